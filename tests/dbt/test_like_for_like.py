"""Numbers that fit the kind of business, and like-for-like peers, on the shared demo warehouse (seven
businesses, one per industry, and their benchmark peers: KEEL_DEMO_PEER_COPIES).

Every demo industry has at least five businesses; every business is compared with businesses of its own
industry and size; no published peer group mixes industries; the compared metrics fit the kind of
business (MRR and churn for subscriptions, days sales outstanding for B2B, no average order value for
either); a B2B firm that bills on the 1st grows by calendar months; plans that do not fit a kind say so;
peers get no forecasts, evidence or plans.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from decimal import Decimal
from typing import Any

from keel import warehouse
from keel.settings import KeelSettings
from models_ml.optimization.tenant_plans import NOT_FOR_KIND
from tests.conftest import DEMO_WAREHOUSE_TENANTS

MIN_PEERS = 5
KINDS = {
    "bluebird-coffee": ("food", "continuous", "cafés"),
    "crumb-and-co": ("food", "continuous", "bakeries"),
    "paper-lantern-books": ("retail", "continuous", "shops"),
    "kindred-skincare": ("retail", "continuous", "online stores"),
    "gloss-and-grain": ("services", "continuous", "salons"),
    "ledgerline-advisors": ("b2b", "monthly", "professional services firms"),
    "formwise": ("subscription", "monthly", "software subscription companies"),
}


def rows(sql: str, *params: Any) -> list[dict[str, Any]]:
    with warehouse.connect("admin") as conn, conn.cursor() as cur:
        cur.execute(sql, params or None)
        names = [d.name for d in cur.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def main_tenants() -> dict[str, Any]:
    found = rows("select slug, tenant_id from app.tenants where slug = any(%s)", list(DEMO_WAREHOUSE_TENANTS))
    return {r["slug"]: r["tenant_id"] for r in found}


def test_every_demo_industry_has_at_least_five_businesses_of_one_size(demo_warehouse: KeelSettings) -> None:
    counts = rows(
        "select industry, naics_code, size_band, count(*) as businesses, "
        "count(*) filter (where is_benchmark_peer) as peers from app.tenants where is_demo group by 1, 2, 3"
    )
    assert {r["industry"] for r in counts} == {
        "cafe",
        "bakery",
        "retail_shop",
        "online_store",
        "salon",
        "b2b_services",
        "subscription_software",
    }
    assert all(r["businesses"] >= MIN_PEERS and r["peers"] >= MIN_PEERS - 1 for r in counts), counts


def test_kinds_and_billing_cadences_come_from_the_data(demo_warehouse: KeelSettings) -> None:
    profiles = {
        r["slug"]: (r["business_kind"], r["billing_cadence"])
        for r in rows(
            "select t.slug, p.business_kind, p.billing_cadence from marts.business_profile p "
            "join app.tenants t using (tenant_id) where t.slug = any(%s)",
            list(DEMO_WAREHOUSE_TENANTS),
        )
    }
    assert profiles == {slug: (kind, cadence) for slug, (kind, cadence, _) in KINDS.items()}


def test_each_business_compares_like_for_like_in_words(demo_warehouse: KeelSettings) -> None:
    """In its latest benchmarked month every business meets businesses of its own industry and size."""
    for slug, tenant_id in main_tenants().items():
        latest = rows(
            "select * from benchmarks.tenant_benchmarks where tenant_id = %s and metric_month = "
            "(select max(metric_month) from benchmarks.tenant_benchmarks where tenant_id = %s)",
            tenant_id,
            tenant_id,
        )
        assert latest, slug
        plural = KINDS[slug][2]
        for row in latest:
            assert row["group_level"] in ("industry_size_region", "industry_size"), (slug, row["metric"])
            assert not row["is_fallback"] and row["peer_count"] >= MIN_PEERS
            assert row["comparison_label"].startswith(f"{row['peer_count']} {plural} of your size"), row


def test_published_peer_groups_never_mix_industries(demo_warehouse: KeelSettings) -> None:
    groups = rows(
        "select m.metric_month, m.metric, m.unit, m.group_level, m.peer_group, "
        "count(distinct t.industry) as industries "
        "from staging.int_peer_group_members m join app.tenants t using (tenant_id) "
        "where m.is_published group by 1, 2, 3, 4, 5"
    )
    assert groups and all(g["industries"] == 1 for g in groups)
    levels = {r["group_level"] for r in rows("select distinct group_level from benchmarks.peer_benchmarks")}
    assert "all" not in levels


def test_the_compared_metrics_fit_the_kind_of_business(demo_warehouse: KeelSettings) -> None:
    ids = main_tenants()
    metrics: dict[str, set[str]] = defaultdict(set)
    for r in rows("select tenant_id, metric from benchmarks.tenant_benchmarks"):
        metrics[r["tenant_id"]].add(r["metric"])
    saas, b2b, cafe = (
        metrics[ids["formwise"]],
        metrics[ids["ledgerline-advisors"]],
        metrics[ids["bluebird-coffee"]],
    )
    assert {"mrr_growth_mom", "subscriber_churn_rate", "net_revenue_retention"} <= saas
    assert not saas & {
        "average_order_value",
        "revenue_growth_mom",
        "gross_margin_pct",
        "repeat_customer_rate",
    }
    assert "days_sales_outstanding" in b2b
    assert not b2b & {"average_order_value", "gross_margin_pct", "mrr_growth_mom"}
    assert {"average_order_value", "gross_margin_pct"} <= cafe and not cafe & {"mrr_growth_mom"}


def test_a_firm_billing_on_the_first_grows_by_calendar_months(demo_warehouse: KeelSettings) -> None:
    """Ledgerline bills its retainers on the 1st: its growth is calendar month against calendar month,
    recomputed here from the daily rows, in the monthly table and in the benchmarks that feed Health."""
    tenant_id = main_tenants()["ledgerline-advisors"]
    daily = rows(
        "select date_trunc('month', metric_date)::date as month, sum(revenue_net) as revenue "
        "from metrics.business_metrics_daily where tenant_id = %s group by 1 order by 1",
        tenant_id,
    )
    monthly = {
        r["month"]: r
        for r in rows("select * from metrics.business_metrics_monthly where tenant_id = %s", tenant_id)
    }
    benchmarked = {
        r["metric_month"]: r["metric_value"]
        for r in rows(
            "select metric_month, metric_value from staging.int_tenant_metric_values "
            "where tenant_id = %s and metric = 'revenue_growth_mom'",
            tenant_id,
        )
    }
    compared = 0
    for before, now in itertools.pairwise(daily):
        row = monthly[now["month"]]
        assert row["revenue_net"] == now["revenue"]
        if row["is_complete_month"] and monthly[before["month"]]["is_complete_month"]:
            expected = round(now["revenue"] / before["revenue"] - 1, 4)
            assert row["revenue_net_growth_mom"] == expected, now["month"]
            assert round(benchmarked[now["month"]], 4) == expected
            compared += 1
    assert compared >= 3
    first_days = rows(
        "select sum(revenue_net) filter (where extract(day from metric_date) = 1) / sum(revenue_net) "
        "as share from metrics.business_metrics_daily where tenant_id = %s",
        tenant_id,
    )
    assert first_days[0]["share"] > Decimal("0.25")  # the case of the issue: much of it billed on the 1st


def test_subscription_metrics_agree_with_the_daily_mrr(demo_warehouse: KeelSettings) -> None:
    tenant_id = main_tenants()["formwise"]
    found = rows(
        "select s.*, m.mrr as daily_mrr, m.currency as tenant_currency "
        "from metrics.subscription_metrics_monthly s join metrics.business_metrics_monthly m "
        "using (tenant_id, month) where s.tenant_id = %s order by month",
        tenant_id,
    )
    assert len(found) >= 6 and {r["currency"] for r in found} == {"CAD"} == {
        r["tenant_currency"] for r in found
    }
    for before, now in itertools.pairwise(found):
        assert now["start_mrr"] == before["mrr"]
    for r in found:
        assert r["mrr"] == r["daily_mrr"]
        assert r["mrr"] == (
            r["start_mrr"]
            + r["new_mrr"]
            + r["reactivation_mrr"]
            + r["expansion_mrr"]
            - r["contraction_mrr"]
            - r["churned_mrr"]
        )
        assert 0 <= r["churn_rate"] < Decimal("0.5") and Decimal("0.5") < r[
            "net_revenue_retention"
        ] < Decimal("1.5")


def test_plans_that_do_not_fit_say_so_and_peers_get_no_models(demo_warehouse: KeelSettings) -> None:
    ids = main_tenants()
    for slug in ("formwise", "ledgerline-advisors"):
        plans = {
            r["plan_type"]: r
            for r in rows(
                "select plan_type, status, explanation from ml.plans where tenant_id = %s", ids[slug]
            )
        }
        for plan_type in ("inventory", "staffing", "pricing"):
            assert plans[plan_type]["status"] == "not_applicable"
            assert plans[plan_type]["explanation"].startswith(f"{NOT_FOR_KIND}: "), plans[plan_type]
    for table in ("ml.forecasts", "ml.plans", "ml.evidence_edges"):
        peers = rows(
            f"select count(*) as n from {table} where tenant_id in "
            "(select tenant_id from app.tenants where is_benchmark_peer)"
        )
        assert peers[0]["n"] == 0, table
