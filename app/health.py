"""The Health page: "How do I compare?": one sentence on where the business stands, the health score with its
components and drivers, and each metric against peers.

The score comes from ``metrics.health_score`` and the benchmarks from ``benchmarks.tenant_benchmarks`` (dbt
models, rebuilt by Dagster after the marts), read through :mod:`app.data` as ``keel_app`` scoped to the
signed-in user's tenant only. The chart draws the tenant's monthly value over its peers' p10-p90 and
p25-p75 bands, and the caption names the peer group and how many businesses it has. How the score is
computed: docs/health-score.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import altair as alt
import polars as pl
import streamlit as st

from app import words
from app.data import cached
from app.exports import export_buttons
from app.kpis import DateRange, comparison_range
from app.page_parts import compared, period_controls
from app.session import require_user
from app.your_data import show_empty
from keel.errors import KeelError
from serving.readers import HEALTH_COMPONENTS as COMPONENTS

EMPTY_SUBJECT = "health score"
GROUP_LEVELS = {
    "industry_size_region": "your industry, size and region",
    "industry": "your industry",
    "all": "all businesses on Keel",
}


QUANTILE_WORDS = {
    "p10": "Lowest tenth up to",
    "p25": "Lowest quarter up to",
    "p50": "Middle",
    "p75": "Top quarter from",
    "p90": "Top tenth from",
}


def render() -> None:
    user = require_user()
    st.title("How do I compare?")
    try:
        scores = cached.health_scores(user)
        benchmarks = cached.benchmarks(user)
    except KeelError as exc:
        st.error(str(exc))
        return
    if scores.is_empty():
        show_empty(
            EMPTY_SUBJECT, user, "the health score needs a complete month of it and the nightly build."
        )
        return
    first, last = scores["metric_month"].min(), scores["metric_month"].max()
    assert isinstance(first, dt.date) and isinstance(last, dt.date)
    picked, comparison = period_controls(first, month_end(last), True, page="health")
    # scores are monthly: the period reads as the calendar months it touches (2 Oct to 31 Oct is October,
    # compared with September, never with a span that ends on 1 Oct and so holds October too)
    span = (picked[0].replace(day=1), month_end(picked[1]))
    before = comparison_range(span, comparison)
    shown = in_months(scores, span)
    if shown.is_empty():
        st.info(
            f"No health score for {words.period(*span)}: pick a period from {first:%B %Y} to {last:%B %Y}."
        )
        return
    row = shown.row(-1, named=True)
    month = row["metric_month"]
    st.markdown(f"**{takeaway(row)}**")
    _score(row)
    earlier = in_months(scores, before)
    if earlier.height:
        then = earlier.row(-1, named=True)
        points = float(row["health_score"]) - float(then["health_score"])
        change = (
            "the same" if abs(points) < 0.5 else f"{'up' if points > 0 else 'down'} {abs(points):.1f} points"
        )
        st.caption(
            f"{compared(span, before)}: your score was "
            f"{float(then['health_score']):.0f} in {then['metric_month']:%B %Y}, so it is {change} since."
        )
    else:
        st.caption(f"{compared(span, before)}: no score for that period.")
    _components(row)
    _drivers(row)
    st.divider()
    _against_peers(in_months(benchmarks, span), month, span)


def month_end(month: dt.date) -> dt.date:
    return (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def in_months(frame: pl.DataFrame, span: DateRange) -> pl.DataFrame:
    """The rows of the months that overlap ``span`` (a month counts when any of its days is picked)."""
    month = pl.col("metric_month")
    return frame.filter((month <= span[1]) & (month >= span[0].replace(day=1))).sort("metric_month")


def takeaway(row: dict[str, Any]) -> str:
    """Where the business stands in the month, in one sentence from its score."""
    score = float(row["health_score"])
    if score >= 60:
        where = "ahead of most businesses like yours"
    elif score > 40:
        where = "about in the middle of businesses like yours"
    else:
        where = "behind most businesses like yours"
    text = f"In {row['metric_month']:%B %Y} your health score is {score:.0f} out of 100: {where}"
    change = row["health_score_change"]
    if change is not None and abs(float(change)) >= 0.5:
        text += f", {'up' if change > 0 else 'down'} {abs(float(change)):.1f} points on the month before"
    return text + "."


def _score(row: dict[str, Any]) -> None:
    score, confidence, coverage = st.columns(3)
    change = row["health_score_change"]
    score.metric(
        "Health score",
        f"{row['health_score']:.0f} / 100",
        delta=None if change is None else f"{change:+.1f} since last month",
        help="50 is the middle of your peers on every count; 100 better than all of them.",
    )
    confidence.metric(
        "Confidence",
        str(row["confidence_label"]),
        help="How sure Keel is of the score. Lower when some parts of the score lack data, peer groups are "
        "small or your history is short.",
    )
    coverage.metric(
        "Data behind the score",
        f"{row['weight_coverage']:.0%}",
        help="Share of the score's weights your data covers (a part without data is left out).",
    )
    st.caption(
        f"Compared with: {row['peer_groups']} (at least {row['min_peer_count']} businesses in every group)."
    )


def _components(row: dict[str, Any]) -> None:
    for column, (name, label) in zip(st.columns(len(COMPONENTS)), COMPONENTS, strict=True):
        value = row[f"{name}_score"]
        column.metric(label, "no data" if value is None else f"{value:.0f}")


def _drivers(row: dict[str, Any]) -> None:
    left, right = st.columns(2)
    with left:
        st.subheader("What drives your score")
        st.markdown("\n".join(f"- {sentence}" for sentence in row["score_drivers"] or []))
    with right:
        st.subheader("What changed since last month")
        changes = row["change_drivers"] or []
        if changes:
            st.markdown("\n".join(f"- {sentence}" for sentence in changes))
        else:
            st.caption("Nothing to compare with: no score for the month before, or no change.")


def _against_peers(benchmarks: pl.DataFrame, month: dt.date, span: DateRange) -> None:
    st.subheader("Your metrics against your peers")
    shown = benchmarks.filter(pl.col("metric_month") <= month)
    if shown.is_empty():
        st.info(
            f"No benchmarks for {words.period(*span)}: no peer group with at least 5 businesses has your "
            "metrics."
        )
        return
    labels = dict(shown.select("metric", "metric_label").unique().iter_rows())
    metric = st.selectbox(
        "Metric",
        sorted(labels, key=lambda m: labels[m]),
        format_func=lambda m: labels[m].capitalize(),
        key="health_metric",
    )
    series = shown.filter(pl.col("metric") == metric).sort("metric_month")
    latest = series.row(-1, named=True)
    st.altair_chart(_band_chart(series, labels[metric]), width="stretch")
    level = GROUP_LEVELS.get(latest["group_level"], latest["group_level"])
    better = f"Your value is better than {float(latest['percentile_better']):.0%} of them."
    bands = (
        " Bands: the middle half of the peers and four in five; groups with fewer than 5 businesses are "
        "never shown."
    )
    if latest.get("comparison_label"):
        st.caption(
            f"Compared in {latest['metric_month'].strftime('%B %Y')} with {latest['comparison_label']}: "
            f"{latest['peer_count']} businesses. {better}{bands}"
        )
    else:
        st.caption(
            f"Peer group in {latest['metric_month'].strftime('%B %Y')}: {latest['peer_group']} "
            f"({level}), {latest['peer_count']} businesses. {better}{bands}"
        )
    table = series.select(
        pl.col("metric_month").dt.strftime("%B %Y").alias("Month"),
        pl.col("metric_value").cast(pl.Float64).round(2).alias("You"),
        *(pl.col(q).cast(pl.Float64).round(2).alias(name) for q, name in QUANTILE_WORDS.items()),
        pl.col("peer_group").alias("Peer group"),
        pl.col("peer_count").alias("Peers"),
    )
    with st.expander("Month by month"):
        st.dataframe(table, hide_index=True, width="stretch")
        export_buttons(table, f"peers-{metric}-{span[0]:%Y%m%d}-{span[1]:%Y%m%d}", key="health_export")


def _band_chart(series: pl.DataFrame, label: str) -> alt.LayerChart:
    numbers = ("metric_value", "p10", "p25", "p50", "p75", "p90")
    data = series.select(
        "metric_month", *(pl.col(c).cast(pl.Float64) for c in numbers), "peer_group", "peer_count"
    ).to_pandas()
    base = alt.Chart(data).encode(x=alt.X("metric_month:T", title="Month"))
    y_title = label.capitalize()
    outer = base.mark_area(opacity=0.18).encode(
        y=alt.Y("p10:Q", title=y_title), y2="p90:Q", tooltip=["p10", "p90", "peer_group", "peer_count"]
    )
    inner = base.mark_area(opacity=0.35).encode(y="p25:Q", y2="p75:Q", tooltip=["p25", "p50", "p75"])
    median = base.mark_line(strokeDash=[4, 3], opacity=0.7).encode(y="p50:Q")
    own = base.mark_line(point=True, strokeWidth=3, color="#d62728").encode(
        y="metric_value:Q", tooltip=["metric_month", "metric_value"]
    )
    return alt.LayerChart(layer=[outer, inner, median, own])
