"""Salesforce REST API shaped records of a B2B services business: campaigns, accounts, contacts, leads,
opportunities and their stage history (OpportunityHistory).

The pipeline agrees with the books: every client that the services engine wins during the simulated
history (the customers QuickBooks invoices) is an account whose opportunity closed won on the day the
client was won, for the client's first invoice (a project) or a year of its retainer. Clients from before
the history are customer accounts without an opportunity (the CRM came later). Prospects who never became
clients are opportunities closed lost, or still open on the last simulated day at the stage they reached.
Each opportunity comes from a converted lead; other leads are still being worked or went nowhere.

Conventions followed: 18-character ids with the object's key prefix (001 Account, 003 Contact, 006
Opportunity, 008 OpportunityHistory, 00Q Lead, 701 Campaign), datetimes in UTC as
``2026-04-01T14:03:00.000+0000``, dates as ``YYYY-MM-DD``, money and percentages as JSON numbers,
``IsDeleted`` false. Records show each object as it stands at the end of the last simulated day.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from .clock import SECONDS_PER_DAY, iso_date
from .ids import money_float
from .keyed_random import KeyedRandom
from .names import company_name, person_email, person_name
from .shapes_common import ShapeContext

#: Stages of the sales process with their default probability and forecast category (Salesforce's
#: standard picklist, a subset a small firm uses).
STAGES: dict[str, tuple[float, str]] = {
    "Prospecting": (10.0, "Pipeline"),
    "Qualification": (20.0, "Pipeline"),
    "Proposal/Price Quote": (75.0, "BestCase"),
    "Negotiation/Review": (90.0, "Commit"),
    "Closed Won": (100.0, "Closed"),
    "Closed Lost": (0.0, "Omitted"),
}
#: Share of the sales cycle at which an opportunity reaches each open stage after Prospecting.
STAGE_AT = (("Qualification", 0.2), ("Proposal/Price Quote", 0.55), ("Negotiation/Review", 0.8))
#: Prospects that never become clients, per client won during the history (a win rate near 55 %).
LOST_PER_WON = 0.85
#: Leads that never turn into an opportunity, per opportunity.
UNCONVERTED_LEADS_PER_OPPORTUNITY = 1.5
OWNERS = ("0058d000001KeelAAA", "0058d000002KeelAAA", "0058d000003KeelAAA")
LEAD_SOURCES = ("Web", "Partner Referral", "Phone Inquiry", "Word of mouth", "Trade Show")
CAMPAIGN_TYPES = ("Webinar", "Email", "Conference", "Partners")


def sf_id(prefix: str, n: int) -> str:
    """An 18-character id with the object's key prefix."""
    return f"{prefix}8d{n:010d}AAA"


def sf_datetime(epoch: int) -> str:
    """``2026-04-01T14:03:00.000+0000``: how the REST API writes a datetime."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


@dataclass
class Change:
    """One row of an opportunity's history: its stage, amount and close date from ``at`` on."""

    at: int  # epoch
    stage: str
    amount: int  # cents
    close_ordinal: int


@dataclass
class Deal:
    seq: int
    account: int  # index into _Pipeline.accounts
    name: str
    created: int  # epoch
    close_ordinal: int  # planned (open) or actual (closed) close date
    amount: int  # cents, final
    outcome: str  # "won" or "lost"
    kind: str  # "New Business" (project) or "Existing Business" (retainer)
    campaign: int | None
    lead_source: str
    owner: str
    changes: list[Change] = field(default_factory=list)  # every change, also those after the end


@dataclass
class Account:
    seq: int
    name: str
    created: int
    won: int | None  # epoch the account became a customer (None: a prospect)
    lead_source: str
    owner: str


@dataclass
class Campaign:
    seq: int
    name: str
    kind: str
    start_ordinal: int
    end_ordinal: int
    created: int
    budget: int  # cents
    cost_per_day: int  # cents


@dataclass
class _Pipeline:
    accounts: list[Account]
    deals: list[Deal]
    campaigns: list[Campaign]
    offset: int  # where the tenant's people and prospect names start


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _next_quarter(day: date) -> date:
    return date(day.year + (day.month >= 10), (day.month + 2) % 12 + 1, 1)


def _build(ctx: ShapeContext) -> _Pipeline | None:
    run = ctx.run
    services = run.services
    if services is None:
        return None
    rng: KeyedRandom = run.rng
    clock = ctx.clock
    first, last = ctx.first_ordinal, ctx.last_ordinal
    offset = sum(map(ord, ctx.slug)) * 7 % 500  # the tenant's own run of names

    campaigns: list[Campaign] = []
    quarter = _quarter_start(date.fromordinal(first))
    while quarter.toordinal() <= last:
        end = _next_quarter(quarter).toordinal() - 1
        n = len(campaigns)
        budget = int(round(150_000 + rng.u("sf:campaign", n) * 850_000, -4))
        campaigns.append(
            Campaign(
                n,
                f"Q{(quarter.month - 1) // 3 + 1} {quarter.year} {CAMPAIGN_TYPES[n % len(CAMPAIGN_TYPES)]}",
                CAMPAIGN_TYPES[n % len(CAMPAIGN_TYPES)],
                quarter.toordinal(),
                end,
                clock.epoch(quarter.toordinal() - 14, 10 * 3600),
                budget,
                budget // max(end - quarter.toordinal() + 1, 1),
            )
        )
        quarter = _next_quarter(quarter)

    def campaign_of(ordinal: int, key: int) -> int | None:
        if rng.u("sf:attributed", key) >= 0.6:
            return None
        for campaign in campaigns:
            if campaign.start_ordinal <= ordinal <= campaign.end_ordinal:
                return campaign.seq
        return None

    first_invoice: dict[int, tuple[int, str]] = {}
    for invoice in services.invoices:
        first_invoice.setdefault(invoice.client, (invoice.amount, invoice.kind))

    accounts: list[Account] = []
    deals: list[Deal] = []
    won_in_history = 0
    for client in services.clients:
        name = run.client_names[client.seq]
        won_at = clock.epoch(client.created_ordinal, client.created_sod)
        owner = OWNERS[client.seq % len(OWNERS)]
        source = LEAD_SOURCES[int(rng.u("sf:source", client.seq) * len(LEAD_SOURCES))]
        if client.created_ordinal < first:  # a client from before the CRM: an account, no opportunity
            accounts.append(Account(len(accounts), name, won_at, won_at, source, owner))
            continue
        won_in_history += 1
        cycle = 14 + int(rng.u("sf:cycle-won", client.seq) * 77)
        created_ordinal = client.created_ordinal - cycle
        created = clock.epoch(created_ordinal, 9 * 3600 + int(rng.u("sf:created", client.seq) * 28_000))
        account = Account(len(accounts), name, created, won_at, source, owner)
        accounts.append(account)
        cents, kind = first_invoice.get(client.seq, (client.retainer_fee or 500_000, "project"))
        amount = cents * 12 if kind == "retainer" else cents
        deals.append(
            Deal(
                len(deals),
                account.seq,
                f"{name} - {'Annual retainer' if kind == 'retainer' else 'Project'}",
                created,
                client.created_ordinal,
                amount,
                "won",
                "Existing Business" if kind == "retainer" else "New Business",
                campaign_of(created_ordinal, client.seq),
                source,
                owner,
            )
        )

    span = max(last - first + 1, 1)
    items = services.params.project_items
    low = min(item.low for item in items)
    high = max(item.high for item in items)
    for k in range(round(won_in_history * LOST_PER_WON) + max(3, won_in_history // 6)):
        created_ordinal = first + int(rng.u("sf:lost-day", k) * span)
        created = clock.epoch(created_ordinal, 9 * 3600 + int(rng.u("sf:lost-time", k) * 28_000))
        name = company_name(offset + 1000 + k)
        owner = OWNERS[k % len(OWNERS)]
        source = LEAD_SOURCES[int(rng.u("sf:lost-source", k) * len(LEAD_SOURCES))]
        account = Account(len(accounts), name, created, None, source, owner)
        accounts.append(account)
        cycle = 10 + int(rng.u("sf:cycle-lost", k) * 111)
        amount = int(round(low * (high / low) ** rng.u("sf:lost-amount", k), -4))
        deals.append(
            Deal(
                len(deals),
                account.seq,
                f"{name} - Project",
                created,
                created_ordinal + cycle,
                amount,
                "lost",
                "New Business",
                campaign_of(created_ordinal, 10_000 + k),
                source,
                owner,
            )
        )

    for deal in deals:
        _plan_changes(deal, rng, clock)
    deals.sort(key=lambda d: (d.created, d.seq))
    for n, deal in enumerate(deals):
        deal.seq = n
    return _Pipeline(accounts, deals, campaigns, offset)


def _plan_changes(deal: Deal, rng: KeyedRandom, clock: Any) -> None:
    """The stage path: Prospecting at creation, the open stages through the cycle (a lost deal drops
    out after Qualification or the proposal), then closed on the close date."""
    created_ordinal, _ = clock.local_from_epoch(deal.created)
    cycle = max(deal.close_ordinal - created_ordinal, 1)
    estimate = int(round(deal.amount * (0.8 + 0.5 * rng.u("sf:estimate", deal.seq, deal.account)), -3))
    changes = [Change(deal.created, "Prospecting", estimate, deal.close_ordinal + 7)]
    reached = 3 if deal.outcome == "won" else 1 + int(rng.u("sf:drop", deal.seq, deal.account) * 2)
    for index, (stage, share) in enumerate(STAGE_AT[:reached]):
        ordinal = created_ordinal + max(1, int(cycle * share))
        if ordinal >= deal.close_ordinal:
            break
        amount = deal.amount if stage != "Qualification" else estimate
        at = clock.epoch(ordinal, 10 * 3600 + 900 * index)
        changes.append(Change(at, stage, amount, deal.close_ordinal))
    closed = "Closed Won" if deal.outcome == "won" else "Closed Lost"
    close_sod = 16 * 3600 + 600 * (deal.seq % 12)
    close_at = max(clock.epoch(deal.close_ordinal, close_sod), changes[-1].at + 60)
    changes.append(Change(close_at, closed, deal.amount, deal.close_ordinal))
    deal.changes = changes


def _pipeline(ctx: ShapeContext) -> _Pipeline | None:
    """The tenant's pipeline, built once per run (every resource's builder reads it)."""
    cached = getattr(ctx.run, "_salesforce_pipeline", None)
    if cached is None:
        cached = _build(ctx)
        setattr(ctx.run, "_salesforce_pipeline", cached)  # noqa: B010 - not a field of TenantRun
    return cached


def _happened(ctx: ShapeContext, epoch: int) -> bool:
    return epoch <= ctx.end_epoch


def _audit(created: int, modified: int) -> dict[str, Any]:
    return {
        "CreatedDate": sf_datetime(created),
        "LastModifiedDate": sf_datetime(modified),
        "SystemModstamp": sf_datetime(modified),
        "IsDeleted": False,
    }


def _ordered(ctx: ShapeContext, records: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for record in sorted(records, key=lambda r: (r["SystemModstamp"], r["Id"])):
        yield {"tenant_id": ctx.tenant_id, **record}


def campaigns(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    pipeline = _pipeline(ctx)
    if pipeline is None:
        return
    records = []
    for c in pipeline.campaigns:
        if not _happened(ctx, c.created):
            continue
        done = c.end_ordinal <= ctx.last_ordinal
        started = c.start_ordinal <= ctx.last_ordinal
        running_days = max(0, min(c.end_ordinal, ctx.last_ordinal) - c.start_ordinal + 1)
        modified = c.created
        if started:
            modified = ctx.clock.epoch(min(c.end_ordinal, ctx.last_ordinal), 18 * 3600)
        won = sum(
            d.amount
            for d in pipeline.deals
            if d.campaign == c.seq and d.outcome == "won" and _happened(ctx, d.changes[-1].at)
        )
        records.append(
            {
                "Id": sf_id("701", c.seq + 1),
                "Name": c.name,
                "Type": c.kind,
                "Status": "Completed" if done else ("In Progress" if started else "Planned"),
                "StartDate": iso_date(c.start_ordinal),
                "EndDate": iso_date(c.end_ordinal),
                "BudgetedCost": money_float(c.budget),
                "ActualCost": money_float(c.cost_per_day * running_days),
                "ExpectedRevenue": money_float(won),
                "IsActive": started and not done,
                "OwnerId": OWNERS[0],
                **_audit(c.created, modified),
            }
        )
    yield from _ordered(ctx, records)


def accounts(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    pipeline = _pipeline(ctx)
    if pipeline is None:
        return
    records = []
    for a in pipeline.accounts:
        if not _happened(ctx, a.created):
            continue
        customer = a.won is not None and _happened(ctx, a.won)
        modified = a.won if customer and a.won is not None else a.created
        records.append(
            {
                "Id": sf_id("001", a.seq + 1),
                "Name": a.name,
                "Type": "Customer - Direct" if customer else "Prospect",
                "Industry": "Professional Services",
                "BillingCity": None,
                "BillingState": None,
                "BillingCountry": "United States",
                "AnnualRevenue": None,
                "NumberOfEmployees": 5 + (a.seq * 37) % 400,
                "AccountSource": a.lead_source,
                "OwnerId": a.owner,
                **_audit(a.created, max(modified, a.created)),
            }
        )
    yield from _ordered(ctx, records)


def contacts(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    pipeline = _pipeline(ctx)
    if pipeline is None:
        return
    records = []
    for a in pipeline.accounts:
        if not _happened(ctx, a.created):
            continue
        key = pipeline.offset + a.seq
        first_name, last_name = person_name(key)
        records.append(
            {
                "Id": sf_id("003", a.seq + 1),
                "AccountId": sf_id("001", a.seq + 1),
                "FirstName": first_name,
                "LastName": last_name,
                "Email": person_email(first_name, last_name, key),
                "Title": ("Owner", "Operations Manager", "Finance Director", "CEO")[a.seq % 4],
                "LeadSource": a.lead_source,
                "OwnerId": a.owner,
                **_audit(a.created, a.created),
            }
        )
    yield from _ordered(ctx, records)


def leads(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    pipeline = _pipeline(ctx)
    if pipeline is None:
        return
    rng = ctx.run.rng
    records = []
    for d in pipeline.deals:
        if not _happened(ctx, d.created):
            continue
        key = pipeline.offset + d.account
        first_name, last_name = person_name(key)
        created = d.created - (3 + int(rng.u("sf:lead-age", d.seq) * 20)) * SECONDS_PER_DAY
        records.append(
            {
                "Id": sf_id("00Q", d.seq + 1),
                "FirstName": first_name,
                "LastName": last_name,
                "Company": pipeline.accounts[d.account].name,
                "Email": person_email(first_name, last_name, key),
                "Status": "Closed - Converted",
                "LeadSource": d.lead_source,
                "IsConverted": True,
                "ConvertedDate": iso_date(ctx.clock.local_from_epoch(d.created)[0]),
                "ConvertedAccountId": sf_id("001", d.account + 1),
                "ConvertedContactId": sf_id("003", d.account + 1),
                "ConvertedOpportunityId": sf_id("006", d.seq + 1),
                "OwnerId": d.owner,
                **_audit(created, d.created),
            }
        )
    span = max(ctx.last_ordinal - ctx.first_ordinal + 1, 1)
    base = len(pipeline.deals)
    for k in range(int(len(pipeline.deals) * UNCONVERTED_LEADS_PER_OPPORTUNITY)):
        ordinal = ctx.first_ordinal + int(rng.u("sf:lead-day", k) * span)
        created = ctx.clock.epoch(ordinal, 9 * 3600 + int(rng.u("sf:lead-time", k) * 30_000))
        key = pipeline.offset + 5000 + k
        first_name, last_name = person_name(key)
        age_days = ctx.last_ordinal - ordinal
        worked = created + 2 * SECONDS_PER_DAY
        status = "Open - Not Contacted"
        modified = created
        if age_days > 2:
            status, modified = "Working - Contacted", worked
        if age_days > 30:
            status, modified = "Closed - Not Converted", created + 30 * SECONDS_PER_DAY
        records.append(
            {
                "Id": sf_id("00Q", base + k + 1),
                "FirstName": first_name,
                "LastName": last_name,
                "Company": company_name(pipeline.offset + 3000 + k),
                "Email": person_email(first_name, last_name, key),
                "Status": status,
                "LeadSource": LEAD_SOURCES[k % len(LEAD_SOURCES)],
                "IsConverted": False,
                "ConvertedDate": None,
                "ConvertedAccountId": None,
                "ConvertedContactId": None,
                "ConvertedOpportunityId": None,
                "OwnerId": OWNERS[k % len(OWNERS)],
                **_audit(created, modified),
            }
        )
    yield from _ordered(ctx, records)


def _expected(amount: int, probability: float) -> float:
    return money_float(round(amount * probability / 100.0))


def opportunities(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    pipeline = _pipeline(ctx)
    if pipeline is None:
        return
    records = []
    for d in pipeline.deals:
        seen = [c for c in d.changes if _happened(ctx, c.at)]
        if not seen:
            continue
        now = seen[-1]
        probability, category = STAGES[now.stage]
        closed = now.stage.startswith("Closed")
        records.append(
            {
                "Id": sf_id("006", d.seq + 1),
                "AccountId": sf_id("001", d.account + 1),
                "CampaignId": sf_id("701", d.campaign + 1) if d.campaign is not None else None,
                "Name": d.name,
                "Type": d.kind,
                "LeadSource": d.lead_source,
                "StageName": now.stage,
                "ForecastCategory": category,
                "Amount": money_float(now.amount),
                "Probability": probability,
                "ExpectedRevenue": _expected(now.amount, probability),
                "IsClosed": closed,
                "IsWon": now.stage == "Closed Won",
                "CloseDate": iso_date(now.close_ordinal),
                "OwnerId": d.owner,
                **_audit(d.created, now.at),
            }
        )
    yield from _ordered(ctx, records)


def opportunity_history(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    pipeline = _pipeline(ctx)
    if pipeline is None:
        return
    records = []
    n = 0
    for d in pipeline.deals:
        for change in d.changes:
            n += 1
            if not _happened(ctx, change.at):
                continue
            probability, category = STAGES[change.stage]
            records.append(
                {
                    "Id": sf_id("008", n),
                    "OpportunityId": sf_id("006", d.seq + 1),
                    "StageName": change.stage,
                    "ForecastCategory": category,
                    "Amount": money_float(change.amount),
                    "ExpectedRevenue": _expected(change.amount, probability),
                    "Probability": probability,
                    "CloseDate": iso_date(change.close_ordinal),
                    "CreatedById": d.owner,
                    "CreatedDate": sf_datetime(change.at),
                    "SystemModstamp": sf_datetime(change.at),
                    "IsDeleted": False,
                }
            )
    yield from _ordered(ctx, records)
