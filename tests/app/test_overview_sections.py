"""The Overview's sections from frames, without a browser: a firm billing on the 1st is compared by calendar
month, subscriptions and invoices read their monthly tables, and each sentence says which periods."""

from __future__ import annotations

import datetime as dt

import polars as pl

from app.kpis import OVERVIEW_COLUMNS, comparison_range, default_range
from app.overview import billing_section, shop_section, subscription_section


def billed_on_the_first(amounts: dict[dt.date, float]) -> pl.DataFrame:
    """Daily metrics of a firm that invoices once a month, on the 1st, from 1 Aug to 31 Oct 2026."""
    days = [dt.date(2026, 8, 1) + dt.timedelta(days=i) for i in range(92)]
    return pl.DataFrame(
        [(d, amounts.get(d, 0.0), 1 if d in amounts else 0, amounts.get(d), 0.0, 0, 0) for d in days],
        schema=OVERVIEW_COLUMNS,
        orient="row",
    )


def test_a_firm_billing_on_the_first_is_compared_by_calendar_month_not_a_rolling_30_days() -> None:
    metrics = billed_on_the_first(
        {dt.date(2026, 8, 1): 150_000.0, dt.date(2026, 9, 1): 184_300.0, dt.date(2026, 10, 1): 202_000.0}
    )
    span = default_range(dt.date(2026, 8, 1), dt.date(2026, 10, 31), monthly=True)
    assert span == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    before = comparison_range(span, "previous")
    section = shop_section(metrics, span, before, "USD", "en_US")
    assert section.takeaway.startswith("Revenue in October 2026 was $202,000, up 9.6% on September 2026")
    assert section.caption.startswith("October 2026 compared with September 2026")
    # The rolling window the issue found: 2 Oct-31 Oct against 2 Sep-1 Oct holds 0 against 202,000.
    rolling = shop_section(
        metrics,
        (dt.date(2026, 10, 2), dt.date(2026, 10, 31)),
        (dt.date(2026, 9, 2), dt.date(2026, 10, 1)),
        "USD",
        "en_US",
    )
    assert "down 100.0%" in rolling.takeaway
    assert "52.6%" not in section.takeaway and "down" not in section.takeaway


def test_invoices_and_subscriptions_read_their_monthly_tables() -> None:
    months = [dt.date(2026, 8, 1), dt.date(2026, 9, 1), dt.date(2026, 10, 1)]
    billing = pl.DataFrame(
        {
            "month": months,
            "billed_revenue": [150_000.0, 184_300.0, 202_000.0],
            "collected": [140_000.0, 170_000.0, 190_000.0],
            "receivables_end": [60_000.0, 74_000.0, 86_000.0],
            "days_sales_outstanding": [12.0, 12.5, 13.1],
            "billable_hours": [None, None, None],
            "available_hours": [800.0, 800.0, 800.0],
        }
    )
    october = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    september = comparison_range(october, "previous")
    section = billing_section(billing, october, september, "USD", "en_US")
    assert section is not None
    assert section.takeaway == (
        "You billed $202,000 in October 2026, up 9.6% on September 2026; customers owed you $86,000 at the "
        "end of it, about 13 days of sales."
    )
    assert [t.label for t in section.tiles if t.current is not None] == [
        "Billed revenue",
        "Collected",
        "Owed to you",
        "Days to get paid",
    ]  # no hours recorded: no utilization figure, and the tile says why instead of showing 0% or n/a
    utilization = next(t for t in section.tiles if t.label == "Utilization")
    assert utilization.current is None and utilization.missing == "Not available"
    assert "none of the data you connected says which of your team's hours were billable" in (
        utilization.why_missing
    )
    # with billable hours recorded, the figure is billable over available hours of the period
    hours = billing.with_columns(pl.Series("billable_hours", [600.0, 620.0, 640.0]))
    recorded = billing_section(hours, october, september, "USD", "en_US")
    assert recorded is not None
    utilization = next(t for t in recorded.tiles if t.label == "Utilization")
    assert (utilization.current, utilization.previous) == (640.0 / 800.0, 620.0 / 800.0)
    subscriptions = pl.DataFrame(
        {
            "month": months,
            "mrr": [9_000.0, 9_500.0, 10_070.0],
            "start_mrr": [8_800.0, 9_000.0, 9_500.0],
            "new_mrr": [400.0, 700.0, 800.0],
            "churned_mrr": [200.0, 200.0, 230.0],
            "subscribers": [180, 190, 200],
            "start_subscribers": [176, 180, 190],
            "churned_subscribers": [4, 4, 5],
            "churn_rate": [0.0227, 0.0222, 0.0263],
            "net_revenue_retention": [0.99, 0.98, 0.976],
        }
    )
    section = subscription_section(subscriptions, october, september, "CAD", "en_CA")
    assert section is not None
    assert section.takeaway == (
        "Monthly recurring revenue was $10,070 at the end of October 2026, up 6.0% on the end of September "
        "2026, from 200 subscribers; 2.6% of subscribers left in October 2026."
    )
    assert "Orders" not in [t.label for t in section.tiles]
    assert subscription_section(pl.DataFrame(), october, september, "CAD", "en_CA") is None
