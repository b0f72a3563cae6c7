"""The daily business metrics computed again, in Python, straight from the raw tables.

An independent check of the dbt project: it reads raw_* as the loader wrote them (API-shaped JSON
text, ISO and unix timestamps, cents) and applies the written definitions of the metrics
(dbt_project/models/docs.md, metrics/_metrics__models.yml) without any of the SQL models. Money is
Decimal, rounded to the cent the way the warehouse rounds it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
RESTOCKED = {"return", "cancel", "legacy_restock"}
#: What an order is, by industry (docs.md, revenue_models); other industries sell through Shopify.
REVENUE_MODELS = {
    "salon": "stripe_charges",
    "subscription_software": "stripe_subscriptions",
    "b2b_services": "quickbooks_invoices",
}
#: The metrics compared, with their value on a day nothing happened (None: not applicable).
MONEY_METRICS = (
    "revenue_gross",
    "discounts",
    "refunds",
    "revenue_net",
    "cogs",
    "cash_in",
    "cash_out",
    "labor_hours",
    "labor_cost",
    "marketing_spend_total",
)
COUNT_METRICS = ("orders", "new_customers", "returning_customers")
BALANCE_METRICS = ("receivables_outstanding", "payables_outstanding", "mrr", "active_subscriptions")


def money(value: Any) -> Decimal:
    """A decimal string or JSON number as the warehouse stores it: rounded half away from zero."""
    if value is None or value == "":
        return ZERO
    if isinstance(value, float):
        value = format(value, ".15g")  # what PostgreSQL keeps of a double precision
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def cents(value: int | None) -> Decimal:
    return (Decimal(value or 0) / 100).quantize(CENT)


def iso_day(text: str, tz: ZoneInfo) -> date:
    return datetime.fromisoformat(text).astimezone(tz).date()


def unix_day(seconds: int, tz: ZoneInfo) -> date:
    return datetime.fromtimestamp(seconds, UTC).astimezone(tz).date()


def loads(text: str | None) -> Any:
    return json.loads(text) if text else None


@dataclass
class TenantDays:
    """What happened to one tenant, day by day."""

    tz: ZoneInfo
    model: str
    sums: dict[date, dict[str, Decimal]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Decimal))
    )
    activity: set[date] = field(default_factory=set)
    customer_days: dict[str, set[date]] = field(default_factory=lambda: defaultdict(set))
    customer_created: dict[str, date] = field(default_factory=dict)
    receivable_changes: list[tuple[date, Decimal]] | None = None
    payable_changes: list[tuple[date, Decimal]] | None = None
    subscription_periods: list[tuple[date, date, Decimal]] | None = None

    def add(self, day: date, metric: str, amount: Decimal | int) -> None:
        self.sums[day][metric] += Decimal(amount)
        self.activity.add(day)

    def order(self, day: date, customer: str | None, gross: Decimal, discounts: Decimal) -> None:
        self.add(day, "orders", 1)
        self.add(day, "revenue_gross", gross)
        self.add(day, "discounts", discounts)
        if customer is not None:
            self.customer_days[customer].add(day)


def _rows(conn: psycopg.Connection[Any], sql: str, tenant_id: str) -> list[dict[str, Any]]:
    """Rows of a raw table for one tenant; no rows when the table was never created."""
    schema_table = sql.split(" from ", 1)[1].split()[0]
    exists = conn.execute("select to_regclass(%s) is not null", (schema_table,)).fetchone()
    if not exists or not exists[0]:
        return []
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return list(cur.execute(sql + " where tenant_id = %s", (tenant_id,)).fetchall())


def _shopify(conn: psycopg.Connection[Any], tenant_id: str, t: TenantDays) -> None:
    costs = {
        r["id"]: money(r["cost"])
        for r in _rows(conn, "select id, cost from raw_shopify.inventory_items", tenant_id)
    }
    variant_cost: dict[int, Decimal] = {}
    for product in _rows(conn, "select variants from raw_shopify.products", tenant_id):
        for variant in loads(product["variants"]) or []:
            variant_cost[variant["id"]] = costs.get(variant["inventory_item_id"], ZERO)
    for c in _rows(conn, "select id, created_at from raw_shopify.customers", tenant_id):
        t.customer_created[str(c["id"])] = iso_day(c["created_at"], t.tz)
    for o in _rows(
        conn,
        "select created_at, test, cancelled_at, total_line_items_price, total_discounts, total_price, "
        "customer, line_items, refunds from raw_shopify.orders",
        tenant_id,
    ):
        if o["test"] or o["cancelled_at"]:
            continue
        day = iso_day(o["created_at"], t.tz)
        customer = loads(o["customer"])
        t.add(day, "cash_in", money(o["total_price"]))
        if t.model != "shopify_orders":
            continue
        t.order(
            day,
            str(customer["id"]) if customer else None,
            money(o["total_line_items_price"]),
            money(o["total_discounts"]),
        )
        lines = {line["id"]: line for line in loads(o["line_items"]) or []}
        for line in lines.values():
            t.add(day, "cogs", line["quantity"] * variant_cost.get(line["variant_id"], ZERO))
        for refund in loads(o["refunds"]) or []:
            refund_day = iso_day(refund.get("processed_at") or refund["created_at"], t.tz)
            for rl in refund["refund_line_items"]:
                t.add(refund_day, "refunds", money(rl["subtotal_set"]["shop_money"]["amount"]))
                if rl.get("restock_type") in RESTOCKED:
                    cost = variant_cost.get(lines[rl["line_item_id"]]["variant_id"], ZERO)
                    t.add(refund_day, "cogs", -rl["quantity"] * cost)
            for tx in refund["transactions"]:
                if tx["kind"] == "refund" and tx.get("status", "success") == "success":
                    t.add(refund_day, "cash_out", money(tx["amount"]))


def _stripe(conn: psycopg.Connection[Any], tenant_id: str, t: TenantDays) -> None:
    for c in _rows(conn, "select id, created from raw_stripe.customers", tenant_id):
        t.customer_created[c["id"]] = unix_day(c["created"], t.tz)
    charges = {}
    for ch in _rows(
        conn,
        "select id, customer, invoice, status, amount_captured, metadata, created from raw_stripe.charges",
        tenant_id,
    ):
        day = unix_day(ch["created"], t.tz)
        t.activity.add(day)  # failed attempts are payments too
        if ch["status"] != "succeeded":
            continue
        meta = loads(ch["metadata"]) or {}
        tip, discount = money(meta.get("tip_amount")), money(meta.get("discount_amount"))
        charges[ch["id"]] = (ch, cents(ch["amount_captured"]) - tip)
        t.add(day, "cash_in", cents(ch["amount_captured"]))
        if t.model == "stripe_charges" and ch["invoice"] is None:
            t.order(day, ch["customer"], cents(ch["amount_captured"]) - tip + discount, discount)
    refunded: dict[str, Decimal] = defaultdict(Decimal)
    refunds = _rows(conn, "select id, charge, status, amount, created from raw_stripe.refunds", tenant_id)
    for r in sorted(refunds, key=lambda r: (r["created"], r["id"])):
        if r["status"] != "succeeded" or r["charge"] not in charges:
            continue
        charge, revenue = charges[r["charge"]]
        wanted = "stripe_charges" if charge["invoice"] is None else "stripe_subscriptions"
        if t.model != wanted:
            continue
        day, amount = unix_day(r["created"], t.tz), cents(r["amount"])
        before = refunded[r["charge"]]
        refunded[r["charge"]] += amount
        t.add(day, "refunds", min(before + amount, revenue) - min(before, revenue))
        t.add(day, "cash_out", amount)

    invoices = _rows(
        conn,
        "select id, status, subtotal, tax, total, amount_due, amount_paid, status_transitions, lines, "
        "customer, created, updated from raw_stripe.invoices",
        tenant_id,
    )
    periods: list[tuple[date, date, Decimal]] = []
    first_period: dict[str, tuple[datetime, Decimal]] = {}
    for inv in invoices:
        paid_at = (loads(inv["status_transitions"]) or {}).get("paid_at")
        if inv["status"] in ("open", "paid", "uncollectible"):
            t.receivable_changes = t.receivable_changes or []
            t.receivable_changes.append((unix_day(inv["created"], t.tz), cents(inv["amount_due"])))
            t.activity.add(unix_day(inv["created"], t.tz))
            if inv["amount_paid"] and paid_at:
                t.receivable_changes.append((unix_day(paid_at, t.tz), -cents(inv["amount_paid"])))
        if inv["status"] == "paid" and t.model == "stripe_subscriptions":
            tax = int(inv["tax"] or 0)
            t.order(
                unix_day(paid_at or inv["updated"], t.tz),
                inv["customer"],
                cents(inv["subtotal"]),
                cents(inv["subtotal"] + tax - inv["total"]),
            )
        if inv["status"] not in ("paid", "open"):
            continue
        for line in (loads(inv["lines"]) or {}).get("data", []):
            if line.get("type") != "subscription" or not line.get("subscription"):
                continue
            monthly = _monthly(cents(line["amount"]), line["price"]["recurring"])
            start = datetime.fromtimestamp(line["period"]["start"], UTC)
            periods.append((start.astimezone(t.tz).date(), unix_day(line["period"]["end"], t.tz), monthly))
            known = first_period.get(line["subscription"])
            if known is None or start < known[0]:
                first_period[line["subscription"]] = (start, monthly)
    subscriptions = _rows(
        conn,
        "select id, status, items, start_date, trial_end, ended_at, current_period_end "
        "from raw_stripe.subscriptions",
        tenant_id,
    )
    for sub in subscriptions:
        # running before the data begins: no trial, started before its first invoice in the data
        if sub["trial_end"] is not None or sub["status"] == "incomplete":
            continue
        first = first_period.get(sub["id"])
        end = first[0] if first else datetime.fromtimestamp(sub["ended_at"] or sub["current_period_end"], UTC)
        if datetime.fromtimestamp(sub["start_date"], UTC) >= end:
            continue
        item = loads(sub["items"])["data"][0]
        monthly = first[1] if first else cents(item["price"]["unit_amount"]) * item.get("quantity", 1)
        periods.append((unix_day(sub["start_date"], t.tz), end.astimezone(t.tz).date(), monthly))
    if periods:
        t.subscription_periods = periods


def _monthly(amount: Decimal, recurring: dict[str, Any]) -> Decimal:
    per_month = {"year": Decimal(1) / 12, "week": Decimal(52) / 12, "day": Decimal(365) / 12}
    factor = per_month.get(str(recurring.get("interval")), Decimal(1)) / recurring.get("interval_count", 1)
    return (amount * factor).quantize(CENT, rounding=ROUND_HALF_UP)


def _quickbooks(conn: psycopg.Connection[Any], tenant_id: str, t: TenantDays) -> None:
    for c in _rows(conn, "select id, meta_data from raw_quickbooks.customers", tenant_id):
        t.customer_created[c["id"]] = iso_day(loads(c["meta_data"])["CreateTime"], t.tz)
    invoices = _rows(
        conn, "select id, txn_date, total_amt, line, customer_ref from raw_quickbooks.invoices", tenant_id
    )
    known_invoices = {i["id"] for i in invoices}
    if invoices:
        t.receivable_changes = t.receivable_changes or []
    for inv in invoices:
        day = date.fromisoformat(inv["txn_date"])
        t.receivable_changes.append((day, money(inv["total_amt"])))  # type: ignore[union-attr]
        t.activity.add(day)
        if t.model == "quickbooks_invoices":
            lines = loads(inv["line"]) or []
            t.order(
                day,
                loads(inv["customer_ref"])["value"],
                sum((money(li["Amount"]) for li in lines if li["DetailType"] == "SalesItemLineDetail"), ZERO),
                sum((money(li["Amount"]) for li in lines if li["DetailType"] == "DiscountLineDetail"), ZERO),
            )
    for p in _rows(conn, "select txn_date, total_amt, line from raw_quickbooks.payments", tenant_id):
        day = date.fromisoformat(p["txn_date"])
        t.add(day, "cash_in", money(p["total_amt"]))
        for line in loads(p["line"]) or []:
            for linked in line.get("LinkedTxn", []):
                if linked["TxnType"] == "Invoice" and linked["TxnId"] in known_invoices:
                    t.receivable_changes.append((day, -money(line["Amount"])))  # type: ignore[union-attr]
    bills = _rows(conn, "select id, txn_date, total_amt from raw_quickbooks.bills", tenant_id)
    known_bills = {b["id"] for b in bills}
    if bills:
        t.payable_changes = []
    for b in bills:
        day = date.fromisoformat(b["txn_date"])
        t.payable_changes.append((day, money(b["total_amt"])))  # type: ignore[union-attr]
        t.activity.add(day)
    for bp in _rows(conn, "select txn_date, total_amt, line from raw_quickbooks.bill_payments", tenant_id):
        day = date.fromisoformat(bp["txn_date"])
        t.add(day, "cash_out", money(bp["total_amt"]))
        for line in loads(bp["line"]) or []:
            for linked in line.get("LinkedTxn", []):
                if linked["TxnType"] == "Bill" and linked["TxnId"] in known_bills:
                    t.payable_changes.append((day, -money(line["Amount"])))  # type: ignore[union-attr]
    for pu in _rows(conn, "select txn_date, total_amt, credit from raw_quickbooks.purchases", tenant_id):
        amount = money(pu["total_amt"])
        t.add(date.fromisoformat(pu["txn_date"]), "cash_out", -amount if pu["credit"] else amount)


def _operations(conn: psycopg.Connection[Any], tenant_id: str, t: TenantDays) -> None:
    for tc in _rows(conn, "select clock_in, labor from raw_shifts.timecards", tenant_id):
        labor = loads(tc["labor"]) or {}
        day = iso_day(tc["clock_in"], t.tz)
        t.add(day, "labor_hours", money(labor.get("paid_hours")))
        t.add(day, "labor_cost", money(labor.get("costs")))
    for ins in _rows(conn, "select date_start, spend from raw_ads.insights", tenant_id):
        t.add(date.fromisoformat(ins["date_start"]), "marketing_spend_total", money(ins["spend"]))
    for level in _rows(conn, "select updated_at from raw_shopify.inventory_levels", tenant_id):
        t.activity.add(iso_day(level["updated_at"], t.tz))


def tenant_days(conn: psycopg.Connection[Any], tenant_id: str) -> TenantDays:
    row = conn.execute(
        "select timezone, industry from app.tenants where tenant_id = %s", (tenant_id,)
    ).fetchone()
    assert row is not None, tenant_id
    t = TenantDays(tz=ZoneInfo(row[0]), model=REVENUE_MODELS.get(row[1], "shopify_orders"))
    _shopify(conn, tenant_id, t)
    _stripe(conn, tenant_id, t)
    _quickbooks(conn, tenant_id, t)
    _operations(conn, tenant_id, t)
    return t


def _running(changes: Iterable[tuple[date, Decimal]], days: list[date]) -> dict[date, Decimal]:
    by_day: dict[date, Decimal] = defaultdict(Decimal)
    for day, change in changes:
        by_day[max(day, days[0])] += change
    out, total = {}, ZERO
    for day in days:
        total += by_day.get(day, ZERO)
        out[day] = total
    return out


def expected_metrics(t: TenantDays, last_day: date) -> dict[date, dict[str, Any]]:
    """Every metric compared, for every day from the tenant's first activity to ``last_day``."""
    days = [min(t.activity) + timedelta(n) for n in range((last_day - min(t.activity)).days + 1)]
    first_order = min((d for ds in t.customer_days.values() for d in ds), default=None)
    new: dict[date, int] = defaultdict(int)
    returning: dict[date, int] = defaultdict(int)
    for customer, order_days in t.customer_days.items():
        created = t.customer_created.get(customer)
        existed_before = created is not None and first_order is not None and created < first_order
        for day in order_days:
            if day == min(order_days) and not existed_before:
                new[day] += 1
            else:
                returning[day] += 1
    receivables = _running(t.receivable_changes or [], days) if t.receivable_changes is not None else None
    payables = _running(t.payable_changes or [], days) if t.payable_changes is not None else None
    out: dict[date, dict[str, Any]] = {}
    for day in days:
        sums = t.sums.get(day, {})
        row: dict[str, Any] = {m: Decimal(sums.get(m, ZERO)).quantize(CENT) for m in MONEY_METRICS}
        row["revenue_net"] = row["revenue_gross"] - row["discounts"] - row["refunds"]
        row["orders"] = int(sums.get("orders", 0))
        row["new_customers"], row["returning_customers"] = new[day], returning[day]
        row["receivables_outstanding"] = receivables[day] if receivables is not None else None
        row["payables_outstanding"] = payables[day] if payables is not None else None
        if t.subscription_periods is None:
            row["mrr"] = row["active_subscriptions"] = None
        else:
            running = [(s, e, m) for s, e, m in t.subscription_periods if s <= day < e]
            row["mrr"] = sum((m for _, _, m in running), ZERO)
            row["active_subscriptions"] = len(running)
        out[day] = row
    return out
