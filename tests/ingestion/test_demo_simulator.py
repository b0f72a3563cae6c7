"""The demo simulator: tenants, determinism, the incremental contract, realism of the history, bad records."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from ingestion.demo import (
    DEFAULT_END,
    DEMO_TENANT_NAMESPACE,
    TENANTS,
    DemoConfigError,
    DemoWorld,
    simulate,
)

from .conftest import all_records, cursor_value, primary_key

ONE_OF_EACH_KIND = [
    "bluebird-coffee",  # café: shopify POS, shifts with the staffing intervention
    "paper-lantern-books",  # retail: stock reorders, missing-data stretch, ads
    "kindred-skincare",  # online: fulfilment and returns after the order
    "gloss-and-grain",  # salon: stripe charges and refunds, capacity
    "tidyshift",  # subscription software: trials, renewals, plan changes, churn
    "ledgerline-advisors",  # B2B: invoices paid late or never
]


# ---------------------------------------------------------------------------------------------- tenants


def test_tenants_cover_industries_sizes_and_peer_groups() -> None:
    assert len(TENANTS) >= 12
    industries = Counter(t.industry for t in TENANTS)
    assert len(industries) >= 6
    assert sum(1 for count in industries.values() if count >= 2) >= 5  # peer groups
    assert {t.size_band for t in TENANTS} == {"micro", "small", "medium"}
    assert all(len(t.naics_code) == 6 and t.naics_code.isdigit() for t in TENANTS)
    assert len({t.slug for t in TENANTS}) == len(TENANTS)
    young = [t for t in TENANTS if (DEFAULT_END - t.opened_on).days < 365]
    assert young, "at least one tenant has less than a year of history"
    for t in TENANTS:
        assert t.tenant_id == uuid.uuid5(DEMO_TENANT_NAMESPACE, t.slug)
        assert set(t.sources) <= {"shopify", "stripe", "quickbooks", "shifts", "ads"}
        ZoneInfo(t.timezone)


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(DemoConfigError, match="seed"):
        simulate(seed=-1)
    with pytest.raises(DemoConfigError, match="after end"):
        simulate(start=date(2026, 1, 2), end=date(2026, 1, 1))
    with pytest.raises(DemoConfigError, match="unknown tenant"):
        simulate(tenants=["no-such-shop"])
    with pytest.raises(DemoConfigError, match="unknown intervention"):
        simulate(tenants=["bluebird-coffee"], interventions_off=["nope"])
    with pytest.raises(DemoConfigError, match="scale"):
        simulate(scale=0)
    world = simulate(start=date(2026, 10, 1), tenants=["bluebird-coffee"])
    with pytest.raises(DemoConfigError, match="unknown resource"):
        world.records("shopify", "nope", TENANTS[0].tenant_id)
    with pytest.raises(DemoConfigError, match="not simulated"):
        world.records("shopify", "orders", "formwise")


def test_records_carry_the_tenant_and_unused_sources_are_empty() -> None:
    world = simulate(start=date(2026, 10, 1), tenants=["bluebird-coffee", "formwise"])
    bluebird, formwise = world.tenant("bluebird-coffee"), world.tenant("formwise")
    orders = list(world.records("shopify", "orders", bluebird.tenant_id))
    assert orders and all(r["tenant_id"] == str(bluebird.tenant_id) for r in orders)
    assert list(world.records("shopify", "orders", formwise.tenant_id)) == []
    assert {s.source for s in world.resources()} == {"shopify", "stripe", "quickbooks", "shifts", "ads"}


# ----------------------------------------------------------------------------------------- determinism


def _small(seed: int) -> DemoWorld:
    return simulate(seed=seed, start=date(2025, 10, 1), end=date(2025, 11, 15), tenants=ONE_OF_EACH_KIND)


def test_same_seed_gives_identical_records_and_another_seed_different_ones() -> None:
    first, again, other = all_records(_small(7)), all_records(_small(7)), all_records(_small(8))
    assert first == again
    assert sum(len(v) for v in first.values()) > 5_000
    bluebird = str(TENANTS[0].tenant_id)
    assert first[("shopify.orders", bluebird)] != other[("shopify.orders", bluebird)]
    streams = [key for key, rows in first.items() if rows]
    changed = [key for key in streams if first[key] != other[key]]
    assert len(changed) > len(streams) // 2


# ----------------------------------------------------------------------------------- incremental contract


def test_a_later_run_repeats_every_unchanged_record_and_moves_the_cursor_of_changed_ones() -> None:
    start, d1, d2 = date(2025, 9, 1), date(2025, 11, 20), date(2026, 1, 10)
    early = simulate(start=start, end=d1, tenants=ONE_OF_EACH_KIND)
    late = simulate(start=start, end=d2, tenants=ONE_OF_EACH_KIND)
    changed_later = Counter()
    for spec in late.resources():
        for tenant in late.tenants:
            zone = ZoneInfo(tenant.timezone)
            bound: float | date = (
                d1
                if spec.cursor_type == "date"
                else datetime(d1.year, d1.month, d1.day, 23, 59, 59, tzinfo=zone).timestamp()
            )
            before = {
                primary_key(spec, r): r for r in early.records(spec.source, spec.name, tenant.tenant_id)
            }
            after = {primary_key(spec, r): r for r in late.records(spec.source, spec.name, tenant.tenant_id)}
            for key, record in after.items():
                if cursor_value(spec, record) <= bound:
                    assert before.get(key) == record, (spec.qualified_name, tenant.slug, key)
            for key, record in before.items():
                assert key in after, (spec.qualified_name, tenant.slug, key)
                assert cursor_value(spec, record) <= bound
                if after[key] != record:
                    assert cursor_value(spec, after[key]) > bound
                    changed_later[spec.qualified_name] += 1
    # objects really do change after the first run: refunds, payments, renewals, approvals
    for name in ("shopify.orders", "stripe.subscriptions", "quickbooks.invoices", "shifts.timecards"):
        assert changed_later[name] > 0, name


def test_records_since_a_moment_hold_every_record_from_it_and_leave_most_older_ones_unbuilt() -> None:
    # A loader that has everything before a cursor asks with ``since``: what it then keeps (cursor at or
    # after it) must be exactly what the whole history gives, or an incremental load would lose rows.
    world = simulate(start=date(2026, 3, 1), end=date(2026, 8, 31), tenants=ONE_OF_EACH_KIND)
    left_out: Counter[str] = Counter()
    for spec in world.resources():
        if spec.cursor_type == "date":
            continue
        for tenant in world.tenants:
            whole = list(world.records(spec.source, spec.name, tenant.tenant_id))
            if len(whole) < 8:
                continue
            # a moment inside the history, with a fraction of a second (a cursor read back from the database)
            moment = sorted(cursor_value(spec, r) for r in whole)[len(whole) * 3 // 4] - 0.25
            since = datetime.fromtimestamp(moment, tz=ZoneInfo("UTC"))
            given = list(world.records(spec.source, spec.name, tenant.tenant_id, since))
            kept = [r for r in given if cursor_value(spec, r) >= moment]
            where = (spec.qualified_name, tenant.slug)
            assert kept == [r for r in whole if cursor_value(spec, r) >= moment], where
            assert kept, where
            left_out[spec.qualified_name] += len(whole) - len(given)
    for name in (
        "shopify.orders",
        "shopify.customers",
        "shopify.inventory_levels",
        "stripe.charges",
        "stripe.invoices",
        "stripe.subscriptions",
        "stripe.balance_transactions",
        "stripe.customers",
    ):
        assert left_out[name] > 0, name  # the large resources build only what is new


# ---------------------------------------------------------------------------------------------- volume


def test_default_volume_is_moderate(full_world: DemoWorld) -> None:
    shop_orders = sum(
        int(run.sales.o_recorded.sum())
        for run in (full_world.run(t.slug) for t in full_world.tenants)
        if run.sales is not None and run.profile.uses("shopify")
    )
    assert 100_000 <= shop_orders <= 250_000
    truth = full_world.daily_truth()
    assert truth.height == sum(full_world.run(t.slug).n_days for t in full_world.tenants)
    assert truth["date"].min() == date(2023, 11, 1) and truth["date"].max() == date(2026, 10, 31)


# ----------------------------------------------------------------------------------- realistic history


def _truth(world: DemoWorld, slug: str) -> pl.DataFrame:
    return world.daily_truth().filter(pl.col("tenant_slug") == slug)


def test_weekly_yearly_and_holiday_patterns_are_in_the_data(full_world: DemoWorld) -> None:
    cafe = _truth(full_world, "bluebird-coffee").filter(pl.col("is_open"))
    weekend = cafe.filter(pl.col("date").dt.weekday() >= 6)["net_revenue"].mean()
    weekday = cafe.filter(pl.col("date").dt.weekday() <= 5)["net_revenue"].mean()
    assert weekend > 1.15 * weekday

    books = _truth(full_world, "paper-lantern-books").filter(pl.col("is_open"))
    december = books.filter(pl.col("date").dt.month() == 12)["net_revenue"].mean()
    rest = books.filter(pl.col("date").dt.month() <= 10)["net_revenue"].mean()
    assert december > 1.5 * rest

    cpa = _truth(full_world, "ledgerline-advisors").filter(pl.col("is_open"))
    tax_season = cpa.filter(pl.col("date").dt.month().is_in([3, 4]))["net_revenue"].mean()
    summer = cpa.filter(pl.col("date").dt.month().is_in([6, 7, 8]))["net_revenue"].mean()
    assert tax_season > 1.3 * summer

    christmas = _truth(full_world, "bluebird-coffee").filter(pl.col("date") == date(2024, 12, 25))
    assert christmas["is_open"].to_list() == [False]
    assert christmas["closed_reason"].to_list() == ["public_holiday"]
    assert christmas["net_revenue"].to_list() == [0.0]


def test_trend_outliers_gaps_and_the_young_tenant(full_world: DemoWorld) -> None:
    online = _truth(full_world, "kindred-skincare")
    first_year = online.filter(pl.col("date") < date(2024, 11, 1))["net_revenue"].sum()
    last_year = online.filter(pl.col("date") >= date(2025, 11, 1))["net_revenue"].sum()
    assert last_year > 1.25 * first_year
    truth = full_world.daily_truth()
    assert truth["is_outlier"].sum() > 10
    renovation = _truth(full_world, "morning-ritual-cafe").filter(
        pl.col("date").is_between(date(2024, 8, 5), date(2024, 8, 18))
    )
    assert renovation["closed_reason"].unique().to_list() == ["renovation"]
    gaps = {(g.tenant_slug, g.kind) for g in full_world.data_gaps}
    assert ("paper-lantern-books", "missing_data") in gaps and ("morning-ritual-cafe", "closed") in gaps
    young = _truth(full_world, "hearth-espresso")
    assert young["date"].min() == date(2026, 2, 2)
    ramp = young.filter(pl.col("is_open"))["net_revenue"]
    assert ramp.head(28).mean() < 0.8 * ramp.tail(28).mean()


def test_missing_data_stretch_is_absent_from_the_source_but_present_in_the_truth() -> None:
    world = simulate(start=date(2025, 3, 1), end=date(2025, 3, 31), tenants=["paper-lantern-books"])
    tenant = world.tenants[0]
    days = {r["created_at"][:10] for r in world.records("shopify", "orders", tenant.tenant_id)}
    assert "2025-03-12" not in days and "2025-03-09" in days and "2025-03-17" in days
    truth = _truth(world, tenant.slug).filter(pl.col("date") == date(2025, 3, 12))
    assert truth["data_missing"].to_list() == [True] and truth["orders"].to_list()[0] > 0


def test_stockouts_cut_sales(full_world: DemoWorld) -> None:
    for slug in ("crumb-and-co", "paper-lantern-books", "kindred-skincare"):
        truth = _truth(full_world, slug)
        assert truth["lost_units"].sum() > 0, slug
    world = simulate(start=date(2025, 11, 1), end=date(2025, 12, 31), tenants=["crumb-and-co"])
    tenant = world.tenants[0]
    levels = list(world.records("shopify", "inventory_levels", tenant.tenant_id))
    sold_out = [r for r in levels if r["available"] == 0]
    assert len(sold_out) > 20
    lost_days = _truth(world, tenant.slug).filter(pl.col("lost_units") > 0).height
    assert lost_days > 10


def test_customers_are_new_and_repeat() -> None:
    world = simulate(start=date(2025, 6, 1), end=date(2025, 8, 31), tenants=["kindred-skincare"])
    tenant = world.tenants[0]
    customers = list(world.records("shopify", "customers", tenant.tenant_id))
    counts = Counter(c["orders_count"] for c in customers)
    assert counts[1] > 100 and sum(v for k, v in counts.items() if k >= 2) > 100
    created_in_range = [c for c in customers if c["created_at"] >= "2025-06-01"]
    assert created_in_range, "new customers appear during the window"


def test_subscriptions_renew_change_plan_and_churn() -> None:
    world = simulate(start=date(2024, 11, 1), end=date(2025, 10, 31), tenants=["tidyshift"])
    tenant = world.tenants[0]
    subs = list(world.records("stripe", "subscriptions", tenant.tenant_id))
    statuses = Counter(s["status"] for s in subs)
    assert statuses["active"] > 200 and statuses["canceled"] > 200 and statuses["trialing"] > 0
    assert any(s["cancel_at_period_end"] for s in subs)
    invoices = list(world.records("stripe", "invoices", tenant.tenant_id))
    plans_by_sub: dict[str, set[str]] = {}
    for inv in invoices:
        plans_by_sub.setdefault(inv["subscription"], set()).add(
            inv["lines"]["data"][0]["price"]["lookup_key"]
        )
    assert sum(1 for plans in plans_by_sub.values() if len(plans) > 1) > 10  # upgrades and downgrades
    charges = list(world.records("stripe", "charges", tenant.tenant_id))
    assert {c["status"] for c in charges} == {"succeeded", "failed"}


def test_receivables_and_payables_have_due_dates_and_later_payments() -> None:
    world = simulate(start=date(2025, 1, 1), end=date(2025, 6, 30), tenants=["ledgerline-advisors"])
    tenant = world.tenants[0]
    invoices = list(world.records("quickbooks", "invoices", tenant.tenant_id))
    payments = {p["Id"]: p for p in world.records("quickbooks", "payments", tenant.tenant_id)}
    open_invoices = [i for i in invoices if i["Balance"] > 0]
    paid = [i for i in invoices if i["Balance"] == 0]
    assert open_invoices and paid
    late = 0
    for invoice in paid:
        payment = payments[invoice["LinkedTxn"][0]["TxnId"]]
        assert payment["Line"][0]["LinkedTxn"][0]["TxnId"] == invoice["Id"]
        assert payment["TxnDate"] >= invoice["TxnDate"]
        late += payment["TxnDate"] > invoice["DueDate"]
    assert late > 10
    bills = list(world.records("quickbooks", "bills", tenant.tenant_id))
    assert bills and all(b["DueDate"] >= b["TxnDate"] for b in bills)


# ----------------------------------------------------------------------------------------- bad records


def test_malformed_injection_adds_exactly_one_bad_record_per_defect() -> None:
    window = {
        "start": date(2025, 10, 1),
        "end": date(2025, 10, 31),
        "tenants": ["bluebird-coffee", "tidyshift"],
    }
    clean = simulate(**window)
    broken = simulate(
        **window,
        malformed={"bluebird-coffee": ["shopify.orders", "shopify.customers:missing_id"]},
    )
    bluebird = clean.tenant("bluebird-coffee")
    good = list(clean.records("shopify", "orders", bluebird.tenant_id))
    bad = list(broken.records("shopify", "orders", bluebird.tenant_id))
    assert len(bad) == len(good) + 1
    extra = [r for r in bad if r not in good]
    assert len(extra) == 1 and extra[0]["total_price"] == "twelve dollars"
    assert [r for r in bad if r is not extra[0]] == good  # the others, intact and in order
    customers = list(broken.records("shopify", "customers", bluebird.tenant_id))
    assert sum(1 for c in customers if "id" not in c) == 1
    tidyshift = clean.tenant("tidyshift")  # other tenants untouched
    assert list(broken.records("stripe", "charges", tidyshift.tenant_id)) == list(
        clean.records("stripe", "charges", tidyshift.tenant_id)
    )
    assert [(d.tenant_slug, d.resource, d.kind) for d in broken.malformed] == [
        ("bluebird-coffee", "orders", "wrong_type"),
        ("bluebird-coffee", "customers", "missing_id"),
    ]


@pytest.mark.parametrize(
    ("kind", "check"),
    [
        ("missing_id", lambda r: "Id" not in r),
        ("wrong_type", lambda r: isinstance(r["TotalAmt"], str)),
        ("negative_quantity", lambda r: r["Line"][0]["SalesItemLineDetail"]["Qty"] < 0),
        ("unknown_currency", lambda r: r["CurrencyRef"]["value"] == "XYZ"),
        ("broken_encoding", lambda r: _not_utf8(r["Line"][0]["Description"])),
    ],
)
def test_each_defect_kind(kind: str, check) -> None:
    world = simulate(
        start=date(2025, 10, 1),
        end=date(2025, 10, 20),
        tenants=["ledgerline-advisors"],
        malformed={"ledgerline-advisors": [f"quickbooks.invoices:{kind}"]},
    )
    records = list(world.records("quickbooks", "invoices", world.tenants[0].tenant_id))
    assert sum(1 for r in records if check(r)) == 1


def _not_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def test_defects_that_cannot_apply_are_refused() -> None:
    with pytest.raises(DemoConfigError, match="does not apply"):
        simulate(
            tenants=["crumb-and-co"],
            malformed={"crumb-and-co": ["shopify.inventory_levels:negative_quantity"]},
        )
    with pytest.raises(DemoConfigError, match="does not use source"):
        simulate(tenants=["crumb-and-co"], malformed={"crumb-and-co": ["stripe.charges"]})
    with pytest.raises(DemoConfigError, match="not one of"):
        simulate(tenants=["crumb-and-co"], malformed={"crumb-and-co": ["shopify.orders:gibberish"]})
