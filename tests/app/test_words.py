"""The owner's words: money as the locale writes it, dates, changes without a fake arrow, chance, periods."""

from __future__ import annotations

import datetime as dt

import pytest

from app import words
from app.kpis import comparison_range, default_range, whole_months
from app.page_parts import freshness_line, stale_warning
from serving.readers import DataFreshness


@pytest.mark.parametrize(
    ("value", "currency", "country", "expected"),
    [
        (1980.0, "USD", "US", "$1,980"),  # not "1980 $"
        (8.834, "USD", "US", "$8.83"),  # small amounts keep their cents
        (1432.4804, "USD", "US", "$1,432"),  # large ones are rounded to whole units
        (-202_345.6, "USD", "US", "-$202,346"),
        (1980.0, "CAD", "CA", "$1,980"),  # Canadian dollars in Canada
        (1980.0, "CAD", "US", "CA$1,980"),  # ... and elsewhere
        (1980.0, "EUR", "DE", "1.980 €"),  # the symbol goes where the locale puts it
        (None, "USD", "US", "n/a"),
    ],
)
def test_money_follows_the_locale_and_rounds_sensibly(
    value: float | None, currency: str, country: str, expected: str
) -> None:
    assert words.money(value, currency, words.locale_for(country)) == expected


def test_unknown_country_falls_back_to_us_english() -> None:
    assert words.locale_for(None) == "en_US"
    assert words.locale_for("ZZ") == "en_US"


def test_changes_dates_and_chance_in_words() -> None:
    assert words.change_delta(100.0, 100.0) is None  # never "+0.0%" with an arrow
    assert words.change_delta(100.001, 100.0) is None
    assert words.change_delta(109.6, 100.0) == "+9.6%"
    assert words.change_delta(5.0, 0.0) is None
    assert words.change_words(47.4, 100.0) == "down 52.6%"
    assert words.change_words(100.0, 100.0) == "about the same"
    assert words.percent(0.1) == "10.0%" and words.percent(0.1, 0) == "10%"
    assert words.day(dt.datetime(2026, 11, 1, 0, 0)) == "1 Nov 2026"  # not "2026-11-01 00:00:00"
    assert words.moment(dt.datetime(2026, 12, 6, 14, 2, tzinfo=dt.UTC)) == "6 Dec 2026 14:02"
    assert words.period(dt.date(2026, 10, 1), dt.date(2026, 10, 31)) == "October 2026"
    assert words.period(dt.date(2026, 10, 2), dt.date(2026, 10, 31)) == "2 Oct 2026 to 31 Oct 2026"
    assert words.chance(8.89e-15) == "very unlikely to be chance"
    assert words.chance(0.03) == "unlikely to be chance"
    assert words.chance(0.5) == "may well be chance"


def test_calendar_months_are_compared_with_calendar_months() -> None:
    october = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert whole_months(october) == 1
    assert comparison_range(october, "previous") == (dt.date(2026, 9, 1), dt.date(2026, 9, 30))
    assert comparison_range(october, "last_year") == (dt.date(2025, 10, 1), dt.date(2025, 10, 31))
    march = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert comparison_range(march, "previous") == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    leap = (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert comparison_range(leap, "last_year") == (dt.date(2023, 2, 1), dt.date(2023, 2, 28))
    days = (dt.date(2026, 10, 5), dt.date(2026, 11, 3))
    assert whole_months(days) is None
    assert comparison_range(days, "previous") == (dt.date(2026, 9, 5), dt.date(2026, 10, 4))


def test_a_monthly_biller_starts_on_its_latest_complete_month() -> None:
    first = dt.date(2026, 4, 1)
    assert default_range(first, dt.date(2026, 10, 31), monthly=True) == october()
    assert default_range(first, dt.date(2026, 11, 20), monthly=True) == october()
    assert default_range(first, dt.date(2026, 11, 20), monthly=False) == (
        dt.date(2026, 10, 22),
        dt.date(2026, 11, 20),
    )
    # no complete month yet: the last 30 days
    assert default_range(dt.date(2026, 4, 10), dt.date(2026, 4, 20), monthly=True) == (
        dt.date(2026, 4, 10),
        dt.date(2026, 4, 20),
    )


def october() -> tuple[dt.date, dt.date]:
    return dt.date(2026, 10, 1), dt.date(2026, 10, 31)


def test_the_data_line_says_how_current_the_figures_are() -> None:
    freshness = DataFreshness(dt.date(2026, 10, 31), dt.datetime(2026, 12, 6, 14, 2, tzinfo=dt.UTC))
    assert freshness_line(freshness) == "Data up to 31 Oct 2026, last loaded 6 Dec 2026 14:02 UTC."
    warning = stale_warning(freshness, today=dt.date(2026, 12, 6))
    assert warning is not None and "31 Oct 2026, 36 days ago" in warning and "not this week" in warning
    assert stale_warning(freshness, today=dt.date(2026, 11, 2)) is None
    assert freshness_line(DataFreshness(None, None)) == "No data loaded yet."
