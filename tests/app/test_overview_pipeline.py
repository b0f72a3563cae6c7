"""The Overview's sales pipeline on the shared demo warehouse, through Streamlit's AppTest.

No demo business has Salesforce, so the test writes ``metrics.pipeline_daily`` rows for one demo business (as
the admin role, as dbt would build them) and deletes them again. Before they exist the page says nothing about
a pipeline; with them it shows the open pipeline, deals won, win rate and sales cycle of the period picked,
each against the comparison period, and the tiles' numbers equal what SQL computes over the same dates.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import streamlit as st
from streamlit.testing.v1 import AppTest

from app import words
from app.kpis import comparison_range
from keel import warehouse
from keel.settings import KeelSettings
from tests.app.pages import signed_in_page

SLUG = "bluebird-coffee"
INSERT = """
    insert into metrics.pipeline_daily (
        tenant_id, currency, open_opportunities, open_pipeline_amount, weighted_pipeline_amount,
        opportunities_created, opportunities_won, opportunities_lost, won_amount, closed_opportunities_90d,
        won_opportunities_90d, win_rate_90d, median_sales_cycle_days_90d, metric_date
    ) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, 0, 0, null, %s, %s)
"""


def pipeline_rows(tenant_id: uuid.UUID, currency: str, last: dt.date, days: int) -> list[tuple[Any, ...]]:
    """``days`` days of a pipeline that grows, with a deal or two won or lost on some days."""
    rows = []
    for i in range(days):
        day = last - dt.timedelta(days=days - 1 - i)
        open_amount = 40_000 + 350 * i + (i % 7) * 900
        # more deals won in the last month, so the win rate changes from one period to the next
        won, lost = int(i % 5 == 0 or (i >= days - 30 and i % 4 == 1)), int(i % 3 == 0)
        rows.append(
            (
                tenant_id,
                currency,
                20 + i % 6,
                open_amount,
                round(open_amount * 0.4, 2),
                1,
                won,
                lost,
                2_500 + 10 * i if won else 0,
                None if i < 10 else 30 + i % 9,
                day,
            )
        )
    return rows


def tile(at: AppTest, label: str) -> Any:
    matches = [m for m in at.metric if m.label == label]
    assert len(matches) == 1, [m.label for m in at.metric]
    return matches[0]


def mentions_pipeline(at: AppTest) -> bool:
    shown = [*(m.value for m in at.markdown), *(h.value for h in at.subheader), *(m.label for m in at.metric)]
    return any("pipeline" in text.lower() for text in shown)


def test_pipeline_tiles_appear_with_crm_figures_and_equal_sql(demo_warehouse: KeelSettings) -> None:
    with warehouse.connect("admin", settings=demo_warehouse) as conn:
        row = conn.execute(
            "select t.tenant_id, t.currency, t.country, max(m.metric_date) from app.tenants t "
            "join metrics.business_metrics_daily m using (tenant_id) where t.slug = %s group by 1, 2, 3",
            (SLUG,),
        ).fetchone()
    assert row is not None
    tenant_id, currency, country, latest = row
    locale = words.locale_for(country)

    at = signed_in_page("overview", tenant_id, timeout=120)
    assert not at.exception, [e.message for e in at.exception]
    assert not mentions_pipeline(at), "a business without a CRM sees nothing about a pipeline"

    with warehouse.connect("admin", settings=demo_warehouse) as conn:
        conn.cursor().executemany(INSERT, pipeline_rows(tenant_id, currency, latest, 400))
    st.cache_data.clear()  # the first visit cached "no pipeline"; the console's cache expires in minutes
    try:
        at = signed_in_page("overview", tenant_id, timeout=120)
        assert not at.exception, [e.message for e in at.exception]
        start, end = at.date_input(key="overview_period").value
        span = (start, end)
        check_against_sql(
            at, demo_warehouse, tenant_id, span, comparison_range(span, "previous"), currency, locale
        )
        # the same period last year, picked on the page, is what the tiles compare with then
        at = at.radio(key="overview_comparison").set_value("The same period last year").run()
        assert not at.exception, [e.message for e in at.exception]
        year_before = comparison_range(span, "last_year")
        check_against_sql(at, demo_warehouse, tenant_id, span, year_before, currency, locale)
    finally:
        with warehouse.connect("admin", settings=demo_warehouse) as conn:
            conn.execute("delete from metrics.pipeline_daily where tenant_id = %s", (tenant_id,))


def check_against_sql(
    at: AppTest,
    settings: KeelSettings,
    tenant_id: uuid.UUID,
    span: tuple[dt.date, dt.date],
    before: tuple[dt.date, dt.date],
    currency: str,
    locale: str,
) -> None:
    def figures(period: tuple[dt.date, dt.date]) -> dict[str, Any]:
        with warehouse.connect("admin", settings=settings) as conn:
            last = conn.execute(
                "select open_pipeline_amount::float8, median_sales_cycle_days_90d::float8 "
                "from metrics.pipeline_daily where tenant_id = %s and metric_date between %s and %s "
                "order by metric_date desc limit 1",
                (tenant_id, *period),
            ).fetchone()
            sums = conn.execute(
                "select sum(opportunities_won)::float8, sum(opportunities_lost)::float8, "
                "sum(won_amount)::float8 "
                "from metrics.pipeline_daily where tenant_id = %s and metric_date between %s and %s",
                (tenant_id, *period),
            ).fetchone()
        assert last is not None and sums is not None
        won, lost, won_amount = sums
        return {
            "open": last[0],
            "cycle": last[1],
            "won_amount": won_amount,
            "win_rate": won / (won + lost) if won + lost else None,
        }

    now, then = figures(span), figures(before)
    assert tile(at, "Open pipeline").value == words.money(now["open"], currency, locale)
    assert (tile(at, "Open pipeline").delta or None) == words.change_delta(now["open"], then["open"])
    assert tile(at, "Won").value == words.money(now["won_amount"], currency, locale)
    assert tile(at, "Win rate").value == words.percent(now["win_rate"], 1, locale)
    points = (now["win_rate"] - then["win_rate"]) * 100
    assert (tile(at, "Win rate").delta or None) == (None if abs(points) < 0.05 else f"{points:+.1f} points")
    assert tile(at, "Sales cycle").value == f"{now['cycle']:,.0f} days"
    takeaway = next(m.value for m in at.markdown if "open sales pipeline" in m.value)
    assert words.money(now["open"], currency, locale) in takeaway
    assert words.change_words(now["open"], then["open"]) in takeaway
    assert any(
        c.value.startswith(f"{words.period(*span)} compared with {words.period(*before)}") for c in at.caption
    )
