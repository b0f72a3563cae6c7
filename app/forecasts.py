"""The Forecasts page: "What will happen?": one figure's next weeks, with the range it will likely fall in.

The numbers come from ``ml.forecasts`` and ``ml.forecast_accuracy`` (written by the Dagster assets in
``orchestration/defs/ml``) and the history from ``metrics.business_metrics_daily``, read through
:mod:`app.data` as ``keel_app`` scoped to the signed-in user's tenant only. The chart is an interactive
Altair chart of those stored rows (history, forecast, 80% and 95% bands, values on hover): drawing it never
imports the forecasting library. The model's name and its scores are for analysts, in an expander.
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import polars as pl
import streamlit as st

from app import words
from app.data import cached
from app.exports import export_buttons
from app.kpis import DateRange, comparison_range
from app.page_parts import compared, period_controls, reads_by_month
from app.session import require_user
from app.your_data import show_empty
from keel.errors import KeelError
from serving.readers import StoredForecast

EMPTY_SUBJECT = "forecasts"
#: Owner's names of the metrics the assets forecast by default, and whether they are money.
METRIC_LABELS = {"revenue_net": "Revenue", "orders": "Orders", "new_customers": "New customers"}
MONEY_METRICS = frozenset({"revenue_net", "revenue_gross", "gross_margin", "cash_in", "cash_out"})
#: Days of history the chart shows before the forecast.
HISTORY_DAYS = 120


def metric_label(metric: str) -> str:
    return METRIC_LABELS.get(metric, metric.replace("_", " ").capitalize())


def takeaway(stored: StoredForecast, currency: str, locale: str) -> str:
    """One sentence from the numbers: the forecast total of the coming days against the same span before."""
    forecast = stored.forecast
    days = forecast.height
    first, last = forecast["ds"].min(), forecast["ds"].max()
    assert isinstance(first, dt.date) and isinstance(last, dt.date)
    total = float(forecast["point"].sum())
    low, high = float(forecast["lo_80"].sum()), float(forecast["hi_80"].sum())
    recent = stored.history.filter(pl.col("ds") > stored.history["ds"].max() - dt.timedelta(days=days))  # type: ignore[operator]
    before = float(recent["y"].sum()) if recent.height else None
    label = metric_label(stored.metric)

    def say(value: float) -> str:
        return words.money(value, currency, locale) if stored.metric in MONEY_METRICS else words.count(value)

    text = (
        f"{label} over the next {days} days ({words.day(first)} to {words.day(last)}) should come to about "
        f"{say(total)}, most likely between {say(low)} and {say(high)}"
    )
    if before:
        text += f": {words.change_words(total, before)} on the {days} days before"
    return text + "."


def render() -> None:
    user = require_user()
    st.title("What will happen?")
    try:
        metrics = cached.forecast_metrics(user)
        profile = cached.tenant_profile(user)
    except KeelError as exc:
        st.error(str(exc))
        return
    if not metrics:
        show_empty(EMPTY_SUBJECT, user)
        return
    locale = words.locale_for(profile.country)
    default = metrics.index("revenue_net") if "revenue_net" in metrics else 0
    metric = st.selectbox("Figure", metrics, index=default, format_func=metric_label, key="forecast_metric")
    try:
        stored = cached.forecast(user, metric)
    except KeelError as exc:
        st.error(str(exc))
        return
    span: DateRange | None = None
    if stored.history.height:
        first, latest = stored.history["ds"].min(), stored.history["ds"].max()
        assert isinstance(first, dt.date) and isinstance(latest, dt.date)
        try:
            monthly = reads_by_month(cached.business_kind(user))
        except KeelError:
            monthly = False
        span, comparison = period_controls(first, latest, monthly, page="forecasts")
        before = comparison_range(span, comparison)
    st.markdown(f"**{takeaway(stored, profile.currency, locale)}**")
    if span is not None:
        _so_far(stored, span, before, profile.currency, locale)
    unit = profile.currency if metric in MONEY_METRICS else None
    st.altair_chart(forecast_chart(stored, unit, span=span), width="stretch")
    st.caption(
        "Line: your actual figures; dashed line: the forecast; darker band: where the figure falls 8 times "
        "in 10, lighter band: 19 times in 20. The bands come from how far Keel's past forecasts of your "
        "numbers missed. Hover the chart for each day's values."
    )
    table = _next_days(stored, profile.currency, locale)
    with st.expander("Day by day"):
        st.dataframe(table, hide_index=True, width="stretch")
        export_buttons(table, f"forecast-{metric}", key=f"forecast_export_{metric}")
    _for_analysts(stored)


def history_in(stored: StoredForecast, span: DateRange) -> pl.DataFrame:
    """The figure's actual values (``ds, y``) on the days of ``span``."""
    return stored.history.filter(pl.col("ds").is_between(*span))


def _so_far(stored: StoredForecast, span: DateRange, before: DateRange, currency: str, locale: str) -> None:
    """The figure's actual total in the period picked against the comparison period; its days to export."""
    money = stored.metric in MONEY_METRICS
    label = metric_label(stored.metric)
    now, then = history_in(stored, span), history_in(stored, before)
    total_now = float(now["y"].sum()) if now.height else None
    total_before = float(then["y"].sum()) if then.height else None

    def say(value: float | None) -> str:
        return words.money(value, currency, locale) if money else words.count(value, locale)

    st.metric(
        f"{label}, {words.period(*span)}",
        say(total_now),
        delta=words.change_delta(total_now, total_before),
        help="What actually happened in the period you picked, added up over its days.",
    )
    st.caption(
        f"{compared(span, before)}: {say(total_now)} against "
        f"{say(total_before)}. The chart shows your figures in the period picked, then the forecast."
    )
    column = f"{label} ({currency})" if money else label
    table = now.select(pl.col("ds").alias("Day"), pl.col("y").round(2).alias(column))
    with st.expander(f"Your figures, {words.period(*span)}"):
        st.dataframe(table, hide_index=True, width="stretch")
        export_buttons(
            table,
            f"{stored.metric}-{span[0]:%Y%m%d}-{span[1]:%Y%m%d}",
            key=f"forecast_history_export_{stored.metric}",
        )


def forecast_chart(
    stored: StoredForecast,
    currency: str | None,
    history_days: int = HISTORY_DAYS,
    span: DateRange | None = None,
) -> alt.LayerChart:
    """History (the days of ``span``, else the last ``history_days``), forecast and the 80%/95% bands from the
    stored rows, with values on hover."""
    history = stored.history
    if span is not None:
        history = history_in(stored, span)
    elif history.height:
        latest = history["ds"].max()
        assert isinstance(latest, dt.date)
        history = history.filter(pl.col("ds") > latest - dt.timedelta(days=history_days))
    label = metric_label(stored.metric)
    y_title = f"{label} ({currency})" if currency else label
    actual = history.select(pl.col("ds").alias("Day"), pl.col("y").alias("Actual"))
    ahead = stored.forecast.select(
        pl.col("ds").alias("Day"),
        pl.col("point").alias("Forecast"),
        pl.col("lo_80").alias("Low (80%)"),
        pl.col("hi_80").alias("High (80%)"),
        pl.col("lo_95").alias("Low (95%)"),
        pl.col("hi_95").alias("High (95%)"),
    )
    frame = pl.concat([actual, ahead], how="diagonal_relaxed").sort("Day")
    x = alt.X("Day:T", title="Day", axis=alt.Axis(format="%d %b %Y", labelAngle=0, tickCount=6))
    base = alt.Chart(frame).encode(x=x)
    fmt = ",.0f"
    band_95 = base.mark_area(opacity=0.15, color="#1f77b4").encode(
        y=alt.Y("Low (95%):Q", title=y_title), y2="High (95%):Q"
    )
    band_80 = base.mark_area(opacity=0.3, color="#1f77b4").encode(y="Low (80%):Q", y2="High (80%):Q")
    line_actual = base.mark_line(color="#333333").encode(y=alt.Y("Actual:Q", title=y_title))
    line_forecast = base.mark_line(color="#1f77b4", strokeDash=[6, 3], strokeWidth=2.5).encode(y="Forecast:Q")
    hover = alt.selection_point(fields=["Day"], nearest=True, on="pointerover", empty=False)
    tooltip = [
        alt.Tooltip("Day:T", format="%a %d %b %Y"),
        alt.Tooltip("Actual:Q", format=fmt),
        alt.Tooltip("Forecast:Q", format=fmt),
        alt.Tooltip("Low (80%):Q", format=fmt),
        alt.Tooltip("High (80%):Q", format=fmt),
        alt.Tooltip("Low (95%):Q", format=fmt),
        alt.Tooltip("High (95%):Q", format=fmt),
    ]
    points = (
        base.mark_rule(color="#999999")
        .encode(opacity=alt.condition(hover, alt.value(0.6), alt.value(0)), tooltip=tooltip)
        .add_params(hover)
    )
    return alt.LayerChart(layer=[band_95, band_80, line_actual, line_forecast, points]).properties(height=360)


def _next_days(stored: StoredForecast, currency: str, locale: str) -> pl.DataFrame:
    money = stored.metric in MONEY_METRICS

    def say(value: float | None) -> str:
        if value is None:
            return "n/a"
        return words.money(value, currency, locale) if money else words.count(value)

    rows = [
        {
            "Day": words.day(r["ds"]),
            "Forecast": say(r["point"]),
            "Likely low (8 in 10)": say(r["lo_80"]),
            "Likely high (8 in 10)": say(r["hi_80"]),
            "Low (19 in 20)": say(r["lo_95"]),
            "High (19 in 20)": say(r["hi_95"]),
        }
        for r in stored.forecast.iter_rows(named=True)
    ]
    return pl.DataFrame(rows)


def _for_analysts(stored: StoredForecast) -> None:
    with st.expander("For analysts"):
        cover_80 = "-" if stored.coverage_80 is None else f"{stored.coverage_80:.0%}"
        cover_95 = "-" if stored.coverage_95 is None else f"{stored.coverage_95:.0%}"
        mase = "-" if stored.mase is None else f"{stored.mase:.2f}"
        st.markdown(
            f"- Series: `{stored.metric}` from `metrics.business_metrics_daily`; forecast from "
            f"`ml.forecasts`, run `{stored.run_id}`\n"
            f"- Chosen model: `{stored.chosen_model}` (rolling-origin cross-validation)\n"
            f"- MASE {mase} (below 1 beats repeating last week); interval coverage 80%: {cover_80}, "
            f"95%: {cover_95}"
            + (f"\n- Simpler method used: {stored.fallback_reason}" if stored.fallback_reason else "")
        )
