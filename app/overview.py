"""The Overview page: who the tenant is, five KPIs for the last 30 days against the 30 before, daily revenue.

Every figure comes from ``metrics.business_metrics_daily`` (or ``app.tenants`` for the profile) through
:mod:`app.data`, and a caption under it names the table and the latest ``metric_date`` it reflects.
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import polars as pl
import streamlit as st

from app.data import cached as data
from app.kpis import (
    KpiComparison,
    compare_periods,
    daily_revenue_with_average,
    format_change,
    format_kpi_value,
)
from app.session import require_user
from app.your_data import show_empty
from keel.errors import KeelError

PERIOD_DAYS = 30
AVERAGE_WINDOW_DAYS = 7
CHART_DAYS = 180
EMPTY_SUBJECT = "numbers"


def render() -> None:
    user = require_user()
    try:
        profile = data.tenant_profile(user)
    except KeelError as exc:
        st.error(str(exc))
        return
    st.title(profile.name)
    st.caption(
        f"Industry: {profile.industry or 'not set'} · currency {profile.currency} · as your business is "
        "registered in Keel"
    )

    try:
        metrics = data.business_metrics(user)
    except data.MetricsNotBuilt:
        show_empty(EMPTY_SUBJECT, user)
        return
    except KeelError as exc:
        st.error(str(exc))
        return
    if metrics.is_empty():
        show_empty(EMPTY_SUBJECT, user)
        return

    comparison = compare_periods(metrics, days=PERIOD_DAYS)
    _kpi_tiles(comparison, profile.currency)
    _revenue_chart(metrics, profile.currency, comparison.latest_metric_date)


def _kpi_tiles(comparison: KpiComparison, currency: str) -> None:
    st.subheader(f"Last {PERIOD_DAYS} days")
    margin_now, margin_before = comparison.gross_margin_pct_current, comparison.gross_margin_pct_previous
    for column, kpi in zip(st.columns(len(comparison.kpis)), comparison.kpis, strict=True):
        help_text = f"{kpi.definition}, from {data.metrics_table_name()}."
        if kpi.label == "Gross margin" and margin_now is not None:
            before = f" (previous period {margin_before:.1f}%)" if margin_before is not None else ""
            help_text += f" {margin_now:.1f}% of net revenue{before}."
        column.metric(kpi.label, format_kpi_value(kpi, currency), delta=format_change(kpi), help=help_text)

    current, previous = comparison.current, comparison.previous
    gaps = [
        f"{period.label()} has rows for {period.days_with_data} of {period.days} days"
        for period in (current, previous)
        if not period.is_complete
    ]
    latest = comparison.latest_metric_date.isoformat()
    st.caption(
        f"Source: {data.metrics_table_name()}, latest metric_date {latest}. "
        f"Last {PERIOD_DAYS} days {current.label()} compared with {previous.label()}."
        + (f" Note: {'; '.join(gaps)}." if gaps else "")
    )


def _revenue_chart(metrics: pl.DataFrame, currency: str, latest: dt.date) -> None:
    st.subheader("Daily revenue (net)")
    daily = daily_revenue_with_average(metrics, window_days=AVERAGE_WINDOW_DAYS, show_days=CHART_DAYS)
    frame = daily.rename(
        {"metric_date": "Date", "revenue_net": "Revenue", "revenue_net_avg": "7-day average"}
    )
    base = alt.Chart(frame).encode(x=alt.X("Date:T", title=None))
    money = f"Revenue ({currency})"
    bars = base.mark_bar(opacity=0.45).encode(
        y=alt.Y("Revenue:Q", title=money),
        tooltip=[
            alt.Tooltip("Date:T"),
            alt.Tooltip("Revenue:Q", format=",.2f"),
            alt.Tooltip("7-day average:Q", format=",.2f"),
        ],
    )
    average = base.mark_line(strokeWidth=2.5, color="#d62728").encode(y=alt.Y("7-day average:Q", title=money))
    st.altair_chart((bars + average).properties(height=320), width="stretch")
    first = daily.get_column("metric_date").min()
    assert isinstance(first, dt.date)
    st.caption(
        f"Bars: revenue_net per day; line: its trailing {AVERAGE_WINDOW_DAYS}-day average over calendar "
        f"days. Source: {data.metrics_table_name()}, {first.isoformat()} to {latest.isoformat()} "
        f"(latest metric_date {latest.isoformat()})."
    )
