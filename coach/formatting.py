"""How the coach writes numbers for an owner: money in the tenant's currency, percentages, dates, counts.

Every number an offline answer states goes through these functions, so the quality test can read them
back: money with its currency symbol and two decimals (babel), percentages with one decimal, dates as
"31 October 2026", months as "October 2026".
"""

from __future__ import annotations

from datetime import date, timedelta

from babel.numbers import format_currency, format_decimal

LOCALE = "en_US"


def money(amount: float, currency: str) -> str:
    """``$12,345.67`` (the tenant's currency; a negative amount as ``-$12.00``)."""
    return format_currency(round(float(amount), 2), currency, locale=LOCALE)


def percent(share: float, *, ratio: bool = True) -> str:
    """``12.3%`` from a ratio (0.123), or from a number already in percent with ``ratio=False``."""
    value = float(share) * (100.0 if ratio else 1.0)
    return f"{format_decimal(round(value, 1), format='#,##0.0', locale=LOCALE)}%"


def count(value: float, decimals: int = 0) -> str:
    """``1,234`` or ``1,234.5``."""
    pattern = "#,##0" if decimals == 0 else "#,##0." + "0" * decimals
    return format_decimal(round(float(value), decimals), format=pattern, locale=LOCALE)


def day(value: date) -> str:
    """``31 October 2026``."""
    return f"{value.day} {value.strftime('%B %Y')}"


def month(value: date) -> str:
    """``October 2026``."""
    return value.strftime("%B %Y")


def span(start: date, end: date) -> str:
    """A period in words: a whole month as ``October 2026``, else ``1 October to 15 October 2026``."""
    if start.day == 1 and (end.month != (end + timedelta(days=1)).month) and start.month == end.month:
        return month(start)
    if start == end:
        return day(start)
    return f"{day(start)} to {day(end)}"
