"""The Overview page: "How am I doing?": one sentence from the numbers, then the tiles and a chart that fit
the kind of business, for a period the owner picks against the one before or the same one last year.

- Shops and food businesses: revenue, orders, average order value, gross margin, new customers and days
  products were out of stock, from the daily metrics; a daily revenue chart.
- Services and B2B firms: billed revenue, money collected, receivables and days sales outstanding,
  utilization, by calendar month (a firm that bills on the 1st is never judged on a rolling 30 days).
- Subscription businesses: monthly recurring revenue and its movements, subscribers, churn and net revenue
  retention, by calendar month.

Every figure comes from the metrics tables through :mod:`app.data`; which tables, for analysts, is in an
expander at the bottom. The table behind the page downloads as CSV or Excel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import altair as alt
import polars as pl
import streamlit as st

from app import words
from app.data import cached as data
from app.exports import export_buttons
from app.kpis import (
    DateRange,
    compare_ranges,
    comparison_range,
    daily_revenue_with_average,
    whole_months,
)
from app.page_parts import compared, period_controls, reads_by_month, show_freshness
from app.session import require_user
from app.your_data import show_empty
from keel.errors import KeelError
from keel.tenancy import SignedInUser

AVERAGE_WINDOW_DAYS = 7
EMPTY_SUBJECT = "numbers"
KIND_WORDS = {
    "retail": "Shop",
    "food": "Food and drink",
    "services": "Services",
    "b2b": "Business services",
    "subscription": "Subscriptions",
}
#: Why a services firm's utilization is not shown: no connected source says which hours were billable.
NO_UTILIZATION = (
    "Keel cannot work out utilization yet: none of the data you connected says which of your team's hours "
    "were billable. Connect timesheets that mark billable hours to see it."
)
SHARE_COLUMNS = frozenset({"churn_rate", "revenue_churn_rate", "net_revenue_retention", "utilization"})


@dataclass(frozen=True)
class Tile:
    """One tile: what it shows, its value now and in the comparison period, and how to say it."""

    label: str
    current: float | None
    previous: float | None
    unit: str  # "money", "count", "share" (0.12 = 12%), "days"
    help: str
    #: For figures where lower is better (churn, receivables days), the delta's colour is inverted.
    lower_is_better: bool = False
    #: What the tile says instead of a number when the business's data cannot give the figure (None: such a
    #: tile is left out).
    missing: str | None = None
    #: The sentence under the tiles that says why (and what to connect), shown with ``missing``.
    why_missing: str = ""


@dataclass(frozen=True)
class Section:
    takeaway: str
    tiles: tuple[Tile, ...]
    chart: alt.Chart | alt.LayerChart | None
    table: pl.DataFrame
    caption: str
    sources: tuple[str, ...]


def say(value: float | None, unit: str, currency: str, locale: str) -> str:
    if value is None:
        return "n/a"
    if unit == "money":
        return words.money(value, currency, locale)
    if unit == "share":
        return words.percent(value, 1, locale)
    if unit == "days":
        return f"{value:,.0f} days"
    return words.count(value, locale)


def render() -> None:
    user = require_user()
    try:
        profile = data.tenant_profile(user)
        kind = data.business_kind(user)
    except KeelError as exc:
        st.error(str(exc))
        return
    locale = words.locale_for(profile.country)
    st.title(profile.name)
    st.subheader("How am I doing?", divider=False)
    show_freshness(user)

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

    first, latest = metrics["metric_date"].min(), metrics["metric_date"].max()
    assert isinstance(first, dt.date) and isinstance(latest, dt.date)
    # monthly figures (subscriptions, invoices) read in calendar months, whatever the billing cadence
    span, comparison = period_controls(first, latest, reads_by_month(kind), page="overview")
    before = comparison_range(span, comparison)

    section: Section | None = None
    try:
        if kind.kind == "subscription":
            section = subscription_section(
                data.monthly_metrics(user, "metrics.subscription_metrics_monthly"),
                span,
                before,
                profile.currency,
                locale,
            )
        elif kind.kind in ("services", "b2b"):
            section = billing_section(
                data.monthly_metrics(user, "metrics.billing_metrics_monthly"),
                span,
                before,
                profile.currency,
                locale,
            )
    except KeelError as exc:
        st.error(str(exc))
        return
    if section is None:
        section = shop_section(metrics, span, before, profile.currency, locale)
    dates = f"{span[0]:%Y%m%d}-{span[1]:%Y%m%d}"
    _show(section, profile.currency, locale, f"overview-{dates}", key="overview_export")
    _show_pipeline(user, span, before, profile.currency, locale, f"pipeline-{dates}")
    st.caption(f"{KIND_WORDS.get(kind.kind, 'Business')} · figures in {profile.currency}.")


def _show_pipeline(
    user: SignedInUser, span: DateRange, before: DateRange, currency: str, locale: str, export_name: str
) -> None:
    """The sales pipeline, for a business whose CRM (Salesforce) is connected; nothing for the others."""
    try:
        section = pipeline_section(data.pipeline_daily(user), span, before, currency, locale)
    except KeelError as exc:
        st.error(str(exc))
        return
    if section is None:
        return
    st.subheader("Sales pipeline", divider=False)
    _show(section, currency, locale, export_name, key="pipeline_export", numbers="The pipeline day by day")


def _show(
    section: Section,
    currency: str,
    locale: str,
    export_name: str,
    *,
    key: str,
    numbers: str = "The numbers behind this page",
) -> None:
    st.markdown(f"**{section.takeaway}**")
    # a figure the business's data cannot give is left out, or says why when the tile has words for it
    tiles = [t for t in section.tiles if t.current is not None or t.unit in ("money", "count") or t.missing]
    columns = st.columns(max(len(tiles), 1))
    for column, tile in zip(columns, tiles, strict=False):
        column.metric(
            tile.label,
            tile.missing
            if tile.current is None and tile.missing
            else say(tile.current, tile.unit, currency, locale),
            delta=_delta(tile),
            delta_color="inverse" if tile.lower_is_better else "normal",
            help=tile.help,
        )
    for tile in tiles:
        if tile.current is None and tile.why_missing:
            st.caption(tile.why_missing)
    st.caption(section.caption)
    if section.chart is not None:
        st.altair_chart(section.chart, width="stretch")
    shown = section.table.select([c for c in section.table.columns if not c.startswith("_")])
    with st.expander(numbers):
        st.dataframe(shown, hide_index=True, width="stretch")
        export_buttons(shown, export_name, key=key)
    with st.expander("For analysts"):
        st.markdown("Sources: " + ", ".join(f"`{s}`" for s in section.sources))


def _delta(tile: Tile) -> str | None:
    if tile.unit == "share":
        if tile.current is None or tile.previous is None:
            return None
        points = (tile.current - tile.previous) * 100
        return None if abs(points) < 0.05 else f"{points:+.1f} points"
    return words.change_delta(tile.current, tile.previous)


# --------------------------------------------------------------------------------------------
# Shops and food: the daily metrics
# --------------------------------------------------------------------------------------------


def shop_section(
    metrics: pl.DataFrame,
    span: DateRange,
    before: DateRange,
    currency: str,
    locale: str,
) -> Section:
    comparison = compare_ranges(metrics, span, before)
    revenue, orders, aov, margin, new_customers = comparison.kpis
    stock_now = _sum(metrics, span, "stockout_product_days")
    stock_before = _sum(metrics, before, "stockout_product_days")
    takeaway = (
        f"Revenue {_in(span)} was {words.money(revenue.current, currency, locale)}, "
        f"{words.change_words(revenue.current, revenue.previous)} on {words.period(*before)}"
    )
    if orders.current:
        takeaway += (
            f", from {words.count(orders.current, locale)} orders at "
            f"{words.money(aov.current, currency, locale, cents=True)} each on average"
        )
    takeaway += "."
    margin_share = comparison.gross_margin_pct_current
    tiles = (
        Tile(
            "Revenue",
            revenue.current,
            revenue.previous,
            "money",
            "What customers paid, less refunds and discounts.",
        ),
        Tile("Orders", orders.current, orders.previous, "count", "Orders placed."),
        Tile("Average order value", aov.current, aov.previous, "money", "Revenue divided by orders."),
        Tile(
            "Gross margin",
            margin.current,
            margin.previous,
            "money",
            "Revenue less what the goods sold cost you"
            + ("" if margin_share is None else f": {margin_share:.0f}% of revenue")
            + ".",
        ),
        Tile(
            "New customers", new_customers.current, new_customers.previous, "count", "First-time customers."
        ),
        Tile(
            "Out-of-stock days",
            stock_now,
            stock_before,
            "count",
            "Days a product could not be sold because it was out of stock, added over your products.",
            lower_is_better=True,
        ),
    )
    gaps = [
        f"{words.period(p.start, p.end)} has figures for {p.days_with_data} of its {p.days} days"
        for p in (comparison.current, comparison.previous)
        if not p.is_complete
    ]
    caption = compared(span, before) + "." + (f" Note: {'; '.join(gaps)}." if gaps else "")
    daily = daily_revenue_with_average(metrics, window_days=AVERAGE_WINDOW_DAYS, show_days=100_000).filter(
        pl.col("metric_date").is_between(*span)
    )
    table = daily.select(
        pl.col("metric_date").alias("Day"),
        pl.col("revenue_net").round(2).alias(f"Revenue ({currency})"),
        pl.col("revenue_net_avg").round(2).alias(f"7-day average ({currency})"),
    )
    return Section(
        takeaway,
        tiles,
        _daily_chart(table, currency),
        table,
        caption,
        ("metrics.business_metrics_daily (revenue_net, orders, average_order_value, gross_margin, "
         "new_customers, stockout_product_days)",),
    )  # fmt: skip


def _sum(metrics: pl.DataFrame, span: DateRange, column: str) -> float | None:
    if column not in metrics.columns:
        return None
    rows = metrics.filter(pl.col("metric_date").is_between(*span))
    return None if rows.is_empty() else float(rows[column].fill_null(0).sum())


def _in(span: DateRange) -> str:
    text = words.period(*span)
    return f"in {text}" if whole_months(span) == 1 else f"from {text}" if " to " in text else f"on {text}"


def _daily_chart(table: pl.DataFrame, currency: str) -> alt.LayerChart:
    revenue, average = f"Revenue ({currency})", f"7-day average ({currency})"
    frame = table.rename({revenue: "Revenue", average: "Average"})
    x = alt.X("Day:T", title="Day", axis=alt.Axis(format="%d %b %Y", labelAngle=0))
    base = alt.Chart(frame).encode(x=x)
    tooltip = [
        alt.Tooltip("Day:T", format="%a %d %b %Y"),
        alt.Tooltip("Revenue:Q", format=",.2f", title=revenue),
        alt.Tooltip("Average:Q", format=",.2f", title=average),
    ]
    bars = base.mark_bar(opacity=0.45).encode(y=alt.Y("Revenue:Q", title=revenue), tooltip=tooltip)
    line = base.mark_line(strokeWidth=2.5, color="#d62728").encode(y=alt.Y("Average:Q", title=revenue))
    return (bars + line).properties(height=320)


# --------------------------------------------------------------------------------------------
# Monthly businesses: calendar months of the monthly tables
# --------------------------------------------------------------------------------------------


def _months(table: pl.DataFrame, span: DateRange) -> pl.DataFrame:
    """The rows of the calendar months that lie wholly inside ``span``."""
    if table.is_empty() or "month" not in table.columns:
        return table
    month = pl.col("month").cast(pl.Date)
    month_end = month.dt.month_end()
    return table.filter((month >= span[0]) & (month_end <= span[1])).sort("month")


def _total(rows: pl.DataFrame, column: str) -> float | None:
    if rows.is_empty() or column not in rows.columns:
        return None
    values = rows[column].drop_nulls()
    return None if values.is_empty() else float(values.cast(pl.Float64).sum())


def _last(rows: pl.DataFrame, column: str) -> float | None:
    if rows.is_empty() or column not in rows.columns:
        return None
    value = rows[column][-1]
    return None if value is None else float(value)


def _whole_month_note(span: DateRange) -> str:
    return (
        f"The period {words.period(*span)} holds no whole calendar month: this business bills by month, "
        "so pick whole months (first day of a month to last day of a month)."
    )


def billing_section(
    monthly: pl.DataFrame, span: DateRange, before: DateRange, currency: str, locale: str
) -> Section | None:
    """Billed revenue, collections, receivables, DSO and utilization by calendar month (None: no table)."""
    if monthly.is_empty():
        return None
    now, then = _months(monthly, span), _months(monthly, before)
    billed, billed_before = _total(now, "billed_revenue"), _total(then, "billed_revenue")
    if now.is_empty():
        return Section(_whole_month_note(span), (), None, pl.DataFrame(), compared(span, before), ())
    receivables = _last(now, "receivables_end")
    dso = _last(now, "days_sales_outstanding")
    utilization_now = _ratio(now, "billable_hours", "available_hours")
    utilization_before = _ratio(then, "billable_hours", "available_hours")
    takeaway = (
        f"You billed {words.money(billed, currency, locale)} {_in(span)}, "
        f"{words.change_words(billed, billed_before)} on {words.period(*before)}"
    )
    if receivables is not None:
        takeaway += f"; customers owed you {words.money(receivables, currency, locale)} at the end of it"
        if dso is not None:
            takeaway += f", about {dso:,.0f} days of sales"
    takeaway += "."
    tiles = (
        Tile("Billed revenue", billed, billed_before, "money", "What you invoiced in these calendar months."),
        Tile(
            "Collected",
            _total(now, "collected"),
            _total(then, "collected"),
            "money",
            "What customers paid you in these months.",
        ),
        Tile(
            "Owed to you",
            receivables,
            _last(then, "receivables_end"),
            "money",
            "Invoices not yet paid at the end of the period.",
            lower_is_better=True,
        ),
        Tile(
            "Days to get paid",
            dso,
            _last(then, "days_sales_outstanding"),
            "days",
            "How many days of sales are waiting to be paid (days sales outstanding).",
            lower_is_better=True,
        ),
        Tile(
            "Utilization",
            utilization_now,
            utilization_before,
            "share",
            "Billable hours as a share of the hours your team had.",
            missing="Not available",
            why_missing=NO_UTILIZATION,
        ),
    )
    table = _month_table(
        monthly,
        {
            "billed_revenue": f"Billed ({currency})",
            "collected": f"Collected ({currency})",
            "receivables_end": f"Owed at month end ({currency})",
            "days_sales_outstanding": "Days to get paid",
            "invoices_count": "Invoices",
            "customers_billed": "Customers billed",
            "utilization": "Utilization",
        },
    )
    chart = _monthly_bars(table, f"Billed ({currency})", span)
    return Section(
        takeaway,
        tiles,
        chart,
        table,
        compared(span, before) + ", by calendar month.",
        ("metrics.billing_metrics_monthly",),
    )


def _ratio(rows: pl.DataFrame, part: str, whole: str) -> float | None:
    top, bottom = _total(rows, part), _total(rows, whole)
    return None if top is None or not bottom else top / bottom


def subscription_section(
    monthly: pl.DataFrame, span: DateRange, before: DateRange, currency: str, locale: str
) -> Section | None:
    """MRR and its movements, subscribers, churn and NRR by calendar month; None without the table."""
    if monthly.is_empty():
        return None
    now, then = _months(monthly, span), _months(monthly, before)
    if now.is_empty():
        return Section(_whole_month_note(span), (), None, pl.DataFrame(), compared(span, before), ())
    mrr, mrr_before = _last(now, "mrr"), _last(then, "mrr")
    subscribers = _last(now, "subscribers")
    churned = _total(now, "churned_subscribers")
    # the subscribers at the start of the period: the churn rate of several months divides by them
    start_subscribers = (
        float(now["start_subscribers"][0])
        if "start_subscribers" in now.columns
        else _first_before(monthly, span, "subscribers")
    )
    churn_rate = (
        churned / start_subscribers if churned is not None and start_subscribers else _last(now, "churn_rate")
    )
    takeaway = (
        f"Monthly recurring revenue was {words.money(mrr, currency, locale)} at the end of "
        f"{words.month(span[1])}, {words.change_words(mrr, mrr_before)} on the end of "
        f"{words.month(before[1])}"
    )
    if subscribers is not None:
        takeaway += f", from {words.count(subscribers, locale)} subscribers"
    if churn_rate is not None:
        takeaway += f"; {words.percent(churn_rate, 1, locale)} of subscribers left {_in(span)}"
    takeaway += "."
    new_mrr = _total(now, "new_mrr")
    tiles = (
        Tile(
            "Monthly recurring revenue",
            mrr,
            mrr_before,
            "money",
            "Recurring revenue per month at the period's end.",
        ),
        Tile("New MRR", new_mrr, _total(then, "new_mrr"), "money", "Recurring revenue from new subscribers."),
        Tile(
            "Churned MRR",
            _total(now, "churned_mrr"),
            _total(then, "churned_mrr"),
            "money",
            "Recurring revenue lost to subscribers who left.",
            lower_is_better=True,
        ),
        Tile(
            "Subscribers",
            subscribers,
            _last(then, "subscribers"),
            "count",
            "Paying subscribers at the period's end.",
        ),
        Tile(
            "Churn rate",
            churn_rate,
            _last(then, "churn_rate") if whole_months(before) == 1 else None,
            "share",
            "Share of subscribers who left in the period.",
            lower_is_better=True,
        ),
        Tile(
            "Net revenue retention",
            _last(now, "net_revenue_retention"),
            _last(then, "net_revenue_retention"),
            "share",
            "Recurring revenue kept from last month's subscribers, with upgrades and downgrades; "
            "above 100% grows.",
        ),
    )
    table = _month_table(
        monthly,
        {
            "mrr": f"MRR ({currency})",
            "new_mrr": f"New ({currency})",
            "expansion_mrr": f"Upgrades ({currency})",
            "contraction_mrr": f"Downgrades ({currency})",
            "churned_mrr": f"Churned ({currency})",
            "reactivation_mrr": f"Came back ({currency})",
            "subscribers": "Subscribers",
            "churn_rate": "Churn rate",
            "net_revenue_retention": "Net revenue retention",
        },
    )
    return Section(
        takeaway,
        tiles,
        _monthly_bars(table, f"MRR ({currency})", span),
        table,
        compared(span, before) + ", by calendar month; end-of-month figures for MRR and subscribers.",
        ("metrics.subscription_metrics_monthly",),
    )


def _first_before(monthly: pl.DataFrame, span: DateRange, column: str) -> float | None:
    """``column`` at the end of the month before ``span`` (the base a churn rate divides by)."""
    if column not in monthly.columns:
        return None
    earlier = monthly.filter(pl.col("month").cast(pl.Date) < span[0]).sort("month")
    return _last(earlier, column)


def _month_table(monthly: pl.DataFrame, columns: dict[str, str]) -> pl.DataFrame:
    present = {name: label for name, label in columns.items() if name in monthly.columns}
    return monthly.select(
        pl.col("month").cast(pl.Date).dt.strftime("%B %Y").alias("Month"),
        pl.col("month").cast(pl.Date).alias("_month"),
        *(
            pl.col(name).cast(pl.Float64).round(4 if name in SHARE_COLUMNS else 2).alias(label)
            for name, label in present.items()
        ),
    )  # fmt: skip


def _monthly_bars(table: pl.DataFrame, value: str, span: DateRange) -> alt.Chart | None:
    if value not in table.columns:
        return None
    frame = table.select("_month", "Month", pl.col(value).alias("Value")).with_columns(
        pl.col("_month").is_between(*span).alias("In the period")
    )
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(
                "_month:T", title="Month", timeUnit="yearmonth", axis=alt.Axis(format="%b %Y", labelAngle=0)
            ),
            y=alt.Y("Value:Q", title=value),
            color=alt.Color(
                "In the period:N",
                scale=alt.Scale(domain=[True, False], range=["#1f77b4", "#c7d7e8"]),
                legend=None,
            ),
            tooltip=[alt.Tooltip("Month:N"), alt.Tooltip("Value:Q", format=",.0f", title=value)],
        )
        .properties(height=300)
    )


# --------------------------------------------------------------------------------------------
# The sales pipeline: businesses with a CRM (Salesforce)
# --------------------------------------------------------------------------------------------


def pipeline_section(
    pipeline: pl.DataFrame, span: DateRange, before: DateRange, currency: str, locale: str
) -> Section | None:
    """Open pipeline at the period's end, deals won and the win rate of the deals closed in the period, and
    the sales cycle, against the comparison period; None when the business has no pipeline figures."""
    if pipeline.is_empty():
        return None
    day = pl.col("metric_date")
    now, then = pipeline.filter(day.is_between(*span)), pipeline.filter(day.is_between(*before))
    sources = ("metrics.pipeline_daily",)
    if now.is_empty():
        return Section(
            f"Your sales pipeline has no figures for {words.period(*span)}.",
            (),
            None,
            pl.DataFrame(),
            compared(span, before) + ".",
            sources,
        )
    open_now, open_before = _last(now, "open_pipeline_amount"), _last(then, "open_pipeline_amount")
    won_now = _total(now, "opportunities_won")
    rate_now, rate_before = _win_rate(now), _win_rate(then)
    cycle_now = _last(now, "median_sales_cycle_days_90d")
    cycle_before = _last(then, "median_sales_cycle_days_90d")
    end_now, end_before = now["metric_date"][-1], then["metric_date"][-1] if then.height else before[1]
    takeaway = (
        f"Your open sales pipeline was {words.money(open_now, currency, locale)} on {words.day(end_now)}, "
        f"{words.change_words(open_now, open_before)} on {words.day(end_before)}"
    )
    closed = (won_now or 0) + (_total(now, "opportunities_lost") or 0)
    if closed:
        takeaway += (
            f"; you won {words.count(won_now, locale)} of the {words.count(closed, locale)} deals closed "
            f"{_in(span)} ({words.percent(rate_now, 1, locale)})"
        )
    takeaway += "."
    tiles = (
        Tile(
            "Open pipeline",
            open_now,
            open_before,
            "money",
            f"What the deals still open on {words.day(end_now)} are worth.",
        ),
        Tile(
            "Won",
            _total(now, "won_amount"),
            _total(then, "won_amount"),
            "money",
            "What the deals you won in the period are worth.",
        ),
        Tile(
            "Win rate",
            rate_now,
            rate_before,
            "share",
            "Deals won as a share of the deals closed (won or lost) in the period.",
        ),
        Tile(
            "Sales cycle",
            cycle_now,
            cycle_before,
            "days",
            f"Days from opening a deal to winning it: the middle value of the deals won in the 90 days up to "
            f"{words.day(end_now)}.",
            lower_is_better=True,
        ),
    )
    table = now.select(
        pl.col("metric_date").alias("Day"),
        pl.col("open_pipeline_amount").round(2).alias(f"Open pipeline ({currency})"),
        pl.col("weighted_pipeline_amount").round(2).alias(f"Expected from it ({currency})"),
        pl.col("open_opportunities").alias("Open deals"),
        pl.col("opportunities_won").alias("Deals won"),
        pl.col("opportunities_lost").alias("Deals lost"),
        pl.col("won_amount").round(2).alias(f"Won ({currency})"),
    )
    caption = (
        compared(span, before) + ": the open pipeline on the last day of each, the deals won and closed "
        "over the whole of each."
    )
    return Section(takeaway, tiles, _pipeline_chart(table, currency), table, caption, sources)


def _win_rate(rows: pl.DataFrame) -> float | None:
    won, lost = _total(rows, "opportunities_won"), _total(rows, "opportunities_lost")
    closed = (won or 0) + (lost or 0)
    return None if not closed else (won or 0) / closed


def _pipeline_chart(table: pl.DataFrame, currency: str) -> alt.LayerChart:
    open_label, expected_label = f"Open pipeline ({currency})", f"Expected from it ({currency})"
    frame = table.select("Day", pl.col(open_label).alias("Open"), pl.col(expected_label).alias("Expected"))
    base = alt.Chart(frame).encode(
        x=alt.X("Day:T", title="Day", axis=alt.Axis(format="%d %b %Y", labelAngle=0))
    )
    tooltip = [
        alt.Tooltip("Day:T", format="%a %d %b %Y"),
        alt.Tooltip("Open:Q", format=",.0f", title=open_label),
        alt.Tooltip("Expected:Q", format=",.0f", title=expected_label),
    ]
    area = base.mark_area(opacity=0.35).encode(y=alt.Y("Open:Q", title=open_label), tooltip=tooltip)
    line = base.mark_line(strokeWidth=2.5, color="#d62728").encode(y=alt.Y("Expected:Q", title=open_label))
    return (area + line).properties(height=280)
