"""Key figures of the Overview page, computed from ``metrics.business_metrics_daily`` rows.

Pure polars and no Streamlit, so the arithmetic is tested on its own. Periods end at the tenant's latest
``metric_date`` rather than today: a business whose data stopped arriving still sees its last complete
month instead of empty tiles, and the caption says which dates those are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import polars as pl

from keel.errors import InvalidInput
from serving.readers import OVERVIEW_COLUMNS  # the columns the Overview reads (its reader loads them)

_CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$"}

Unit = Literal["money", "count"]


@dataclass(frozen=True)
class Period:
    """A closed date range and how many of its days have a metrics row."""

    start: dt.date
    end: dt.date
    days_with_data: int

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def is_complete(self) -> bool:
        return self.days_with_data == self.days

    def label(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


@dataclass(frozen=True)
class Kpi:
    """One tile: the value in the current period, the same figure in the previous one, and its source."""

    label: str
    unit: Unit
    current: float | None
    previous: float | None
    definition: str
    decimals: int = 0

    @property
    def change_pct(self) -> float | None:
        """Relative change against the previous period; None when there is nothing to compare with."""
        if self.current is None or self.previous is None or self.previous == 0:
            return None
        return (self.current - self.previous) / abs(self.previous) * 100.0


@dataclass(frozen=True)
class KpiComparison:
    latest_metric_date: dt.date
    current: Period
    previous: Period
    kpis: tuple[Kpi, ...]
    gross_margin_pct_current: float | None
    gross_margin_pct_previous: float | None

    def kpi(self, label: str) -> Kpi:
        for kpi in self.kpis:
            if kpi.label == label:
                return kpi
        raise KeyError(label)


def _check_columns(metrics: pl.DataFrame) -> None:
    missing = [name for name in OVERVIEW_COLUMNS if name not in metrics.columns]
    if missing:
        raise InvalidInput(
            f"business metrics frame lacks the columns {missing}",
            "load it with app.data.business_metrics, which selects every column the Overview needs",
        )


def _sums(rows: pl.DataFrame) -> dict[str, float | None]:
    """Period totals; None for every figure when the period has no rows at all."""
    if rows.is_empty():
        return dict.fromkeys(("revenue_net", "orders", "aov", "gross_margin", "new_customers"))
    totals = rows.select(
        pl.col("revenue_net").sum(),
        pl.col("orders").sum(),
        # Order-weighted mean of the daily AOV equals (period revenue / period orders) for whichever
        # revenue the mart divides by, so the console never restates the mart's definition.
        (pl.col("average_order_value").fill_null(0.0) * pl.col("orders").fill_null(0)).sum().alias("aov_x"),
        pl.col("gross_margin").sum(),
        pl.col("new_customers").sum(),
    ).row(0, named=True)
    orders = float(totals["orders"])
    return {
        "revenue_net": float(totals["revenue_net"]),
        "orders": orders,
        "aov": float(totals["aov_x"]) / orders if orders else None,
        "gross_margin": float(totals["gross_margin"]),
        "new_customers": float(totals["new_customers"]),
    }


def _share(part: float | None, whole: float | None) -> float | None:
    if part is None or not whole:
        return None
    return part / whole * 100.0


def compare_periods(metrics: pl.DataFrame, days: int = 30) -> KpiComparison:
    """KPIs for the last ``days`` days up to the latest ``metric_date`` against the ``days`` before."""
    _check_columns(metrics)
    if days < 1:
        raise InvalidInput(f"period length {days} is not positive", "use a number of days of 1 or more")
    if metrics.is_empty():
        raise InvalidInput("business metrics frame has no rows", "check for rows before comparing periods")
    latest = metrics.get_column("metric_date").max()
    assert isinstance(latest, dt.date)
    current_start = latest - dt.timedelta(days=days - 1)
    previous_end = current_start - dt.timedelta(days=1)
    previous_start = previous_end - dt.timedelta(days=days - 1)
    return compare_ranges(metrics, (current_start, latest), (previous_start, previous_end))


DateRange = tuple[dt.date, dt.date]
#: "previous": the span just before (the calendar months before, for whole months); "last_year": the same
#: dates a year earlier.
Comparison = Literal["previous", "last_year"]


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return following - dt.timedelta(days=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    first = dt.date(index // 12, index % 12 + 1, 1)
    return first.replace(day=min(day.day, _month_end(first).day))


def whole_months(span: DateRange) -> int | None:
    """How many calendar months ``span`` covers exactly (1 Oct to 31 Oct: 1); None if not whole months."""
    start, end = span
    if start.day != 1 or end != _month_end(end) or end < start:
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


def comparison_range(span: DateRange, comparison: Comparison) -> DateRange:
    """What ``span`` is compared with: the span before (whole calendar months before whole months) or the
    same dates last year."""
    start, end = span
    if end < start:
        raise InvalidInput(f"period {start} to {end} ends before it starts", "pick an end after the start")
    if comparison == "last_year":
        year_before = _add_months(end, -12)
        # a span ending on a month's last day ends on that month's last day a year before (29 Feb -> 28 Feb)
        return _add_months(start, -12), _month_end(year_before) if end == _month_end(end) else year_before
    months = whole_months(span)
    if months is not None:
        before_start = _add_months(start, -months)
        return before_start, start - dt.timedelta(days=1)
    days = (end - start).days + 1
    return start - dt.timedelta(days=days), start - dt.timedelta(days=1)


def default_range(first: dt.date, latest: dt.date, monthly: bool, days: int = 30) -> DateRange:
    """What a page shows first: the latest complete calendar month for a business that bills by month
    (a rolling window would leave out the invoices of the 1st), else the last ``days`` days."""
    if monthly:
        end = latest if latest == _month_end(latest) else latest.replace(day=1) - dt.timedelta(days=1)
        start = end.replace(day=1)
        if start >= first:
            return start, end
    return max(first, latest - dt.timedelta(days=days - 1)), latest


def compare_ranges(metrics: pl.DataFrame, current: DateRange, previous: DateRange) -> KpiComparison:
    """KPIs summed over ``current`` against the same sums over ``previous`` (both closed date ranges)."""
    _check_columns(metrics)
    if metrics.is_empty():
        raise InvalidInput("business metrics frame has no rows", "check for rows before comparing periods")
    latest = metrics.get_column("metric_date").max()
    assert isinstance(latest, dt.date)
    date = pl.col("metric_date")
    current_rows = metrics.filter(date.is_between(*current))
    previous_rows = metrics.filter(date.is_between(*previous))
    now, before = _sums(current_rows), _sums(previous_rows)

    kpis = (
        Kpi(
            "Revenue",
            "money",
            now["revenue_net"],
            before["revenue_net"],
            "what customers paid, less refunds and discounts",
        ),
        Kpi("Orders", "count", now["orders"], before["orders"], "orders placed"),
        Kpi(
            "Average order value",
            "money",
            now["aov"],
            before["aov"],
            "revenue divided by orders",
            decimals=2,
        ),
        Kpi(
            "Gross margin",
            "money",
            now["gross_margin"],
            before["gross_margin"],
            "revenue less what the goods sold cost you",
        ),
        Kpi("New customers", "count", now["new_customers"], before["new_customers"], "first-time customers"),
    )
    return KpiComparison(
        latest_metric_date=latest,
        current=Period(current[0], current[1], current_rows.height),
        previous=Period(previous[0], previous[1], previous_rows.height),
        kpis=kpis,
        gross_margin_pct_current=_share(now["gross_margin"], now["revenue_net"]),
        gross_margin_pct_previous=_share(before["gross_margin"], before["revenue_net"]),
    )


def daily_revenue_with_average(
    metrics: pl.DataFrame, window_days: int = 7, show_days: int = 180
) -> pl.DataFrame:
    """Daily net revenue and its trailing ``window_days`` mean over calendar days, for the chart.

    The mean runs over dates, not rows, so a missing day does not stretch the window. It stays empty
    until the history covers a whole window (a mean of the first two days would read as a trend), and it
    is computed on the whole history before cutting to the last ``show_days`` days.
    """
    _check_columns(metrics)
    if window_days < 1 or show_days < 1:
        raise InvalidInput(
            f"chart window {window_days} or span {show_days} is not positive", "use 1 or more days"
        )
    daily = metrics.select("metric_date", "revenue_net").sort("metric_date")
    if daily.is_empty():
        return daily.with_columns(pl.lit(None, dtype=pl.Float64).alias("revenue_net_avg"))
    first = daily.get_column("metric_date").min()
    assert isinstance(first, dt.date)
    full_window_from = first + dt.timedelta(days=window_days - 1)
    daily = daily.with_columns(
        pl.when(pl.col("metric_date") >= full_window_from)
        .then(pl.col("revenue_net").rolling_mean_by("metric_date", window_size=f"{window_days}d"))
        .alias("revenue_net_avg")
    )
    latest = daily.get_column("metric_date").max()
    assert isinstance(latest, dt.date)
    return daily.filter(pl.col("metric_date") > latest - dt.timedelta(days=show_days))


def format_money(value: float | None, currency: str, decimals: int = 0) -> str:
    """``$12,345`` for USD, ``€12,345`` for EUR, ``CHF 12,345`` where no symbol is known; ``n/a`` for None."""
    if value is None:
        return "n/a"
    symbol = _CURRENCY_SYMBOLS.get(currency.upper(), f"{currency.upper()} ")
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.{decimals}f}"


def format_count(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def format_kpi_value(kpi: Kpi, currency: str) -> str:
    if kpi.unit == "money":
        return format_money(kpi.current, currency, kpi.decimals)
    return format_count(kpi.current)


def format_change(kpi: Kpi) -> str | None:
    """``+12.3%`` / ``-4.0%`` for the tile's delta; None hides the delta when there is nothing to compare."""
    change = kpi.change_pct
    return None if change is None else f"{change:+.1f}%"
