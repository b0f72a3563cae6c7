"""The Health page through Streamlit's AppTest, on the real test warehouse.

Two tenants get rows in ``metrics.health_score`` and ``benchmarks.tenant_benchmarks`` as the dbt models write
them (as keel_transformer; where no dbt build has created the tables yet in this session, they are created
with the columns the page reads, and ``tests/dbt/test_health_score.py`` checks that the real models have
those columns). The page shows the score, its components, drivers and confidence, the tenant's metric over
its peer band with the peer group and its size, and a signed-in user their own tenant's rows only.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from keel import warehouse
from keel.settings import KeelSettings
from keel.tenancy import create_tenant
from tests.app.pages import signed_in_page

MONTHS = (dt.date(2026, 8, 1), dt.date(2026, 9, 1), dt.date(2026, 10, 1))
#: The columns the page reads, typed as the dbt models build them.
SCORE_DDL = """
    create table if not exists metrics.health_score (
        tenant_id uuid, confidence_label text, peer_groups text, health_score numeric(4, 1),
        health_score_change numeric(5, 1), growth_score numeric(4, 1), profitability_score numeric(4, 1),
        liquidity_score numeric(4, 1), efficiency_score numeric(4, 1), customers_score numeric(4, 1),
        confidence numeric(3, 2), weight_coverage numeric(4, 3), min_peer_count integer,
        complete_months integer, score_drivers text[], change_drivers text[], metric_month date
    )
"""
BENCHMARK_DDL = """
    create table if not exists benchmarks.tenant_benchmarks (
        tenant_id uuid, metric text, metric_label text, component text, unit text, group_level text,
        peer_group text, group_rank integer, peer_count integer, metric_value numeric(20, 6), p10 numeric,
        p25 numeric, p50 numeric, p75 numeric, p90 numeric, tenant_percentile numeric(6, 4),
        percentile_better numeric, higher_is_better boolean, is_fallback boolean, metric_month date
    );
    alter table benchmarks.tenant_benchmarks add column if not exists comparison_label text
"""
A_DRIVERS = [
    "Growth lifts your score by 9.1 points: your revenue growth over last month is better than 81% of "
    "the 6 similar businesses (NAICS 722515, small, West).",
    "Cash and receivables holds your score back by 3.0 points: your net cash flow margin is better than "
    "only 35% of the 14 businesses compared.",
]
A_CHANGE = ["Growth raised your score by 2.5 points since last month (its score went from 70 to 76)."]
B_DRIVERS = [
    "Customer health lifts your score by 5.0 points: your share of returning customers is better "
    "than 70% of the 14 businesses compared."
]


def score_row(
    tenant_id: uuid.UUID, month: dt.date, score: str, change: str | None, **extra: Any
) -> dict[str, Any]:
    row = {
        "tenant_id": tenant_id,
        "metric_month": month,
        "health_score": Decimal(score),
        "health_score_change": None if change is None else Decimal(change),
        "confidence": Decimal("0.52"),
        "confidence_label": "medium",
        "weight_coverage": Decimal("0.800"),
        "min_peer_count": 6,
        "peer_groups": "NAICS 722515, small, West; all businesses",
        "complete_months": 12,
        "growth_score": Decimal("76.0"),
        "profitability_score": Decimal("55.0"),
        "liquidity_score": Decimal("35.0"),
        "efficiency_score": None,
        "customers_score": Decimal("60.0"),
        "score_drivers": [],
        "change_drivers": [],
    }
    row.update(extra)
    return row


def benchmark_row(
    tenant_id: uuid.UUID, month: dt.date, metric: str, value: str, group: str, peers: int
) -> dict[str, Any]:
    v = Decimal(value)
    return {
        "tenant_id": tenant_id,
        "metric_month": month,
        "metric": metric,
        "metric_label": {
            "gross_margin_pct": "gross margin",
            "revenue_growth_mom": "revenue growth over last month",
        }[metric],
        "component": "profitability" if metric == "gross_margin_pct" else "growth",
        "unit": "ratio",
        "group_level": "industry_size_region" if group.startswith("NAICS") else "all",
        "peer_group": group,
        "group_rank": 1,
        "peer_count": peers,
        "metric_value": v,
        "p10": v - Decimal("0.2"),
        "p25": v - Decimal("0.1"),
        "p50": v - Decimal("0.05"),
        "p75": v + Decimal("0.05"),
        "p90": v + Decimal("0.1"),
        "tenant_percentile": Decimal("0.6500"),
        "percentile_better": Decimal("0.6500"),
        "higher_is_better": True,
        "is_fallback": False,
        "comparison_label": None,  # benchmarks built by an older Keel: the page names the peer group
    }


def insert(conn: Any, table: str, rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    placeholders = ", ".join(f"%({c})s" for c in columns)
    conn.cursor().executemany(f"insert into {table} ({', '.join(columns)}) values ({placeholders})", rows)


@pytest.fixture(scope="module")
def tenants(settings: KeelSettings) -> Iterator[dict[str, uuid.UUID]]:
    a = create_tenant("health-page-a", "Health Page A", industry="cafe", naics_code="722515").tenant_id
    b = create_tenant("health-page-b", "Health Page B", industry="salon", naics_code="812112").tenant_id
    scores = [
        score_row(a, MONTHS[0], "55.0", None),
        score_row(a, MONTHS[1], "59.5", "4.5", change_drivers=["Growth raised your score by 4.5 points."]),
        score_row(a, MONTHS[2], "62.0", "2.5", score_drivers=A_DRIVERS, change_drivers=A_CHANGE),
        score_row(b, MONTHS[2], "41.0", None, score_drivers=B_DRIVERS, peer_groups="all businesses"),
    ]
    benchmarks = [
        *(
            benchmark_row(a, m, "gross_margin_pct", f"0.6{i}", "NAICS 722515, small, West", 6)
            for i, m in enumerate(MONTHS)
        ),
        *(
            benchmark_row(a, m, "revenue_growth_mom", f"0.0{i + 1}", "all businesses", 14)
            for i, m in enumerate(MONTHS)
        ),
        {
            **benchmark_row(b, MONTHS[2], "revenue_growth_mom", "0.031", "all businesses", 14),
            "comparison_label": "salons of your size",
        },
    ]
    with warehouse.connect("keel_transformer") as conn:
        conn.execute(SCORE_DDL)
        conn.execute(BENCHMARK_DDL)
        insert(conn, "metrics.health_score", scores)
        insert(conn, "benchmarks.tenant_benchmarks", benchmarks)
    yield {"a": a, "b": b}
    with warehouse.connect("keel_transformer") as conn:
        for table in ("metrics.health_score", "benchmarks.tenant_benchmarks"):
            conn.execute(f"delete from {table} where tenant_id = any(%s)", ([a, b],))
    with warehouse.connect("admin") as conn:
        conn.execute("delete from app.tenants where tenant_id = any(%s)", ([a, b],))


def page(tenant_id: uuid.UUID) -> AppTest:
    at = signed_in_page("health", tenant_id)
    assert not at.exception, [e.message for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> Any:
    matches = [m for m in at.metric if m.label == label]
    assert len(matches) == 1, [m.label for m in at.metric]
    return matches[0]


def test_the_page_shows_the_score_its_components_and_drivers(tenants: dict[str, uuid.UUID]) -> None:
    at = page(tenants["a"])
    assert at.title[0].value == "How do I compare?"
    score = metric(at, "Health score")
    assert score.value == "62 / 100" and score.delta == "+2.5 since last month"
    assert metric(at, "Confidence").value == "medium"
    assert at.markdown[0].value == (
        "**In "
        + MONTHS[-1].strftime("%B %Y")
        + " your health score is 62 out of 100: ahead of most businesses like yours, up 2.5 points on the "
        "month before.**"
    )
    assert metric(at, "Growth").value == "76" and metric(at, "Efficiency").value == "no data"
    markdown = "\n".join(md.value for md in at.markdown)
    for sentence in (*A_DRIVERS, *A_CHANGE):
        assert sentence in markdown
    assert any("NAICS 722515, small, West" in c.value for c in at.caption)
    # the comparison period the owner picked, with the score then
    assert any(
        c.value == "October 2026 compared with September 2026: your score was 60 in September 2026, so it is "
        "up 2.5 points since."
        for c in at.caption
    )


def test_the_metric_is_drawn_over_its_peer_band_with_the_group_and_its_size(
    tenants: dict[str, uuid.UUID],
) -> None:
    at = page(tenants["a"])
    assert at.selectbox(key="health_metric").value == "gross_margin_pct"
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    spec = charts[0].proto.spec
    assert all(field in spec for field in ('"p10"', '"p90"', '"p25"', '"p75"', '"metric_value"'))
    caption = next(c.value for c in at.caption if c.value.startswith("Peer group in"))
    assert "NAICS 722515, small, West (your industry, size and region), 6 businesses" in caption
    assert "better than 65% of them" in caption
    assert len(at.dataframe[0].value) == 1  # the period shown first: the latest month
    at = at.date_input(key="health_period").set_value((MONTHS[0], dt.date(2026, 10, 31))).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 3 and list(table["Peers"]) == [6, 6, 6]
    at = at.selectbox(key="health_metric").set_value("revenue_growth_mom").run()
    caption = next(c.value for c in at.caption if c.value.startswith("Peer group in"))
    assert "all businesses (all businesses on Keel), 14 businesses" in caption


def test_an_earlier_month_shows_that_months_score(tenants: dict[str, uuid.UUID]) -> None:
    at = page(tenants["a"])
    at = at.date_input(key="health_period").set_value((MONTHS[0], dt.date(2026, 8, 31))).run()
    assert not at.exception
    assert metric(at, "Health score").value == "55 / 100"
    assert len(at.dataframe[0].value) == 1  # benchmarks of that month only
    # a period that is not whole months reads as the months it touches, compared with the months before
    at = at.date_input(key="health_period").set_value((dt.date(2026, 10, 2), dt.date(2026, 10, 31))).run()
    assert metric(at, "Health score").value == "62 / 100"
    assert any(
        c.value.startswith("October 2026 compared with September 2026: your score was 60") for c in at.caption
    )
    at = at.date_input(key="health_period").set_value((MONTHS[0], dt.date(2026, 8, 31))).run()
    # compared with the same month last year: no score then, and the page says so
    at = at.radio(key="health_comparison").set_value("The same period last year").run()
    assert any(
        c.value == "August 2026 compared with August 2025: no score for that period." for c in at.caption
    )


def test_each_tenant_sees_only_its_own_score_and_benchmarks(tenants: dict[str, uuid.UUID]) -> None:
    at = page(tenants["b"])
    assert metric(at, "Health score").value == "41 / 100"
    markdown = "\n".join(md.value for md in at.markdown)
    assert B_DRIVERS[0] in markdown
    assert not any(sentence in markdown for sentence in (*A_DRIVERS, *A_CHANGE))
    assert at.selectbox(key="health_metric").options == ["Revenue growth over last month"]
    # the benchmarks' own words for the group, when the table has them
    assert any(
        c.value.startswith("Compared in October 2026 with salons of your size: 14 businesses.")
        for c in at.caption
    )
    assert at.date_input(key="health_period").value == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def test_a_tenant_without_a_score_is_told_what_to_connect(tenants: dict[str, uuid.UUID]) -> None:
    at = page(create_tenant("score-not-yet", "Score Not Yet").tenant_id)  # registered, no score
    assert at.info[0].value.startswith("No health score yet: Keel has no data of your business")
    assert not at.metric
