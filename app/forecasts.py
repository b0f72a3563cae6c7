"""The Forecasts page: one metric's history, its 28-day forecast with 80% and 95% bands, and how good it is.

The numbers come from ``ml.forecasts`` and ``ml.forecast_accuracy`` (written by the Dagster assets in
``orchestration/defs/ml``) and the history from ``metrics.business_metrics_daily``, read through
:mod:`app.data` (the readers ``keel forecast`` uses too) as ``keel_app`` scoped to the signed-in user's
tenant only; the caption names the run the forecast comes from. ``keel forecast --plot`` draws the same chart.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from app.data import cached
from app.session import require_user
from app.your_data import show_empty
from keel.errors import KeelError
from serving.readers import StoredForecast, forecast_figure

EMPTY_SUBJECT = "forecasts"
#: Readable names of the metrics the assets forecast by default; others show their column name.
METRIC_LABELS = {"revenue_net": "Net revenue", "orders": "Orders", "new_customers": "New customers"}


def render() -> None:
    user = require_user()
    st.title("Forecasts")
    try:
        metrics = cached.forecast_metrics(user)
    except KeelError as exc:
        st.error(str(exc))
        return
    if not metrics:
        show_empty(EMPTY_SUBJECT, user)
        return
    default = metrics.index("revenue_net") if "revenue_net" in metrics else 0
    metric = st.selectbox(
        "Metric", metrics, index=default, format_func=lambda m: METRIC_LABELS.get(m, m), key="forecast_metric"
    )
    try:
        stored = cached.forecast(user, metric)
    except KeelError as exc:
        st.error(str(exc))
        return
    _scores(stored)
    st.pyplot(forecast_figure(stored), clear_figure=False)
    _next_days(stored)
    st.caption(
        f"From Keel's forecasting run {stored.run_id}, on your daily history. The shaded bands are set from "
        "how far Keel's past forecasts of your numbers missed."
    )


def _scores(stored: StoredForecast) -> None:
    model, mase, cover_80, cover_95 = st.columns(4)
    model.metric("Chosen model", stored.chosen_model, help="Picked by rolling-origin cross-validation.")
    mase.metric(
        "MASE",
        "-" if stored.mase is None else f"{stored.mase:.2f}",
        help="Mean absolute error relative to repeating last week; below 1 beats that baseline.",
    )
    for column, label, value in (
        (cover_80, "80% interval coverage", stored.coverage_80),
        (cover_95, "95% interval coverage", stored.coverage_95),
    ):
        column.metric(
            label,
            "-" if value is None else f"{value:.0%}",
            help="Share of past actual values that fell inside the band, on windows it was not fitted on.",
        )
    if stored.fallback_reason:
        st.caption(f"Simpler method used: {stored.fallback_reason}")


def _next_days(stored: StoredForecast) -> None:
    table = stored.forecast.select(
        pl.col("ds").alias("Day"),
        pl.col("point").round(2).alias("Forecast"),
        pl.col("lo_80").round(2).alias("80% low"),
        pl.col("hi_80").round(2).alias("80% high"),
        pl.col("lo_95").round(2).alias("95% low"),
        pl.col("hi_95").round(2).alias("95% high"),
    )
    with st.expander("Day by day"):
        st.dataframe(table, hide_index=True, width="stretch")
