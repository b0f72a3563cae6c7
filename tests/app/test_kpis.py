"""The Overview's arithmetic and formatting on small frames whose answers are worked out by hand."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from app.kpis import (
    OVERVIEW_COLUMNS,
    Kpi,
    compare_periods,
    daily_revenue_with_average,
    format_change,
    format_count,
    format_money,
)
from keel.errors import InvalidInput

END = dt.date(2026, 3, 31)


def frame(rows: list[tuple[int, float, int, float, float, int]]) -> pl.DataFrame:
    """Rows as (days before END, revenue_net, orders, average_order_value, gross_margin, new_customers);
    no stock-outs."""
    return pl.DataFrame(
        [(END - dt.timedelta(days=back), *rest, 0) for back, *rest in rows],
        schema=OVERVIEW_COLUMNS,
        orient="row",
    )


def test_periods_end_at_the_latest_metric_date_and_sum_each_window() -> None:
    metrics = frame(
        [
            (0, 100.0, 4, 25.0, 40.0, 1),  # current window (END-1 .. END with days=2)
            (1, 300.0, 2, 150.0, 60.0, 2),
            (2, 50.0, 1, 50.0, 10.0, 3),  # previous window (END-3 .. END-2)
            (3, 150.0, 3, 50.0, 30.0, 0),
            (4, 9999.0, 99, 101.0, 999.0, 99),  # older than both windows: ignored
        ]
    )
    result = compare_periods(metrics, days=2)
    assert result.latest_metric_date == END
    assert (result.current.start, result.current.end) == (END - dt.timedelta(days=1), END)
    assert (result.previous.start, result.previous.end) == (
        END - dt.timedelta(days=3),
        END - dt.timedelta(days=2),
    )
    revenue = result.kpi("Revenue")
    assert (revenue.current, revenue.previous) == (400.0, 200.0)
    assert revenue.change_pct == pytest.approx(100.0)
    assert (result.kpi("Orders").current, result.kpi("Orders").previous) == (6, 4)
    # Weighted by orders: (25*4 + 150*2) / 6, not the plain mean of the daily values (87.5).
    assert result.kpi("Average order value").current == pytest.approx(400.0 / 6)
    assert result.kpi("Average order value").previous == pytest.approx(200.0 / 4)
    assert result.kpi("Gross margin").current == 100.0
    assert result.gross_margin_pct_current == pytest.approx(25.0)
    assert (result.kpi("New customers").current, result.kpi("New customers").previous) == (3, 3)
    assert result.kpi("New customers").change_pct == 0.0


def test_a_previous_period_without_rows_has_no_change_and_gaps_are_counted() -> None:
    result = compare_periods(frame([(0, 10.0, 1, 10.0, 5.0, 1), (5, 20.0, 2, 10.0, 5.0, 1)]), days=7)
    assert result.current.days_with_data == 2
    assert not result.current.is_complete
    assert result.previous.days_with_data == 0
    revenue = result.kpi("Revenue")
    assert revenue.previous is None
    assert revenue.change_pct is None
    assert format_change(revenue) is None


def test_bad_frames_are_refused_with_a_clear_error() -> None:
    with pytest.raises(InvalidInput, match="lacks the columns"):
        compare_periods(pl.DataFrame({"metric_date": [END]}))
    with pytest.raises(InvalidInput, match="no rows"):
        compare_periods(frame([]))
    with pytest.raises(InvalidInput, match="not positive"):
        compare_periods(frame([(0, 1.0, 1, 1.0, 1.0, 1)]), days=0)


def test_the_seven_day_average_runs_over_calendar_days() -> None:
    # Seven days of 10 then one of 80: the last point averages END-6 .. END.
    rows = [(back, 10.0, 1, 10.0, 1.0, 0) for back in range(1, 8)] + [(0, 80.0, 1, 80.0, 1.0, 0)]
    daily = daily_revenue_with_average(frame(rows), window_days=7, show_days=3)
    assert daily.height == 3
    assert daily.get_column("metric_date").to_list() == [END - dt.timedelta(days=d) for d in (2, 1, 0)]
    assert daily.get_column("revenue_net_avg").to_list()[-1] == pytest.approx((6 * 10.0 + 80.0) / 7)

    gappy = [(10, 100.0, 1, 1.0, 1.0, 0), (3, 50.0, 1, 1.0, 1.0, 0), (0, 30.0, 1, 1.0, 1.0, 0)]
    # No mean before a whole window of history; END's window (END-6 .. END) skips END-10 and the gap days.
    averages = daily_revenue_with_average(frame(gappy)).get_column("revenue_net_avg").to_list()
    assert averages == [None, 50.0, 40.0]
    assert daily_revenue_with_average(frame([])).height == 0


def test_formatting() -> None:
    assert format_money(1234.6, "USD") == "$1,235"
    assert format_money(1234.567, "usd", decimals=2) == "$1,234.57"
    assert format_money(-50.0, "EUR") == "-€50"
    assert format_money(12.0, "CHF") == "CHF 12"
    assert format_money(None, "USD") == "n/a"
    assert format_count(12345.0) == "12,345"
    assert format_change(Kpi("x", "count", 110.0, 100.0, "d")) == "+10.0%"
    assert format_change(Kpi("x", "count", 90.0, 100.0, "d")) == "-10.0%"
    assert format_change(Kpi("x", "count", 5.0, 0.0, "d")) is None
