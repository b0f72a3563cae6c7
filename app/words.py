"""How the console says numbers, dates and changes to an owner: the one place pages format what they show.

Money is written as the business's locale writes it (babel: "$12,345" in the US, "12.345 €" in Germany,
"$12,345" for Canadian dollars in Canada and "CA$12,345" elsewhere), rounded the way an owner reads it
(whole units from 100 up, cents below); dates as "1 Nov 2026", months as "October 2026"; percentages as
percentages; a change too small to matter is "about the same", never "+0.0%" with an arrow; a p-value is a
sentence about chance. No Streamlit here, so the wording is tested on its own.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, format_decimal, format_percent

#: A relative change smaller than this (0.05%) reads as "about the same" and gets no arrow.
NO_CHANGE = 0.0005


def locale_for(country: str | None) -> str:
    """The English locale of the business's country (``en_CA``), or ``en_US`` when babel has none."""
    if country:
        name = f"en_{country.upper()}"
        try:
            return str(Locale.parse(name))  # babel answers en_US for a country it has no English for
        except (UnknownLocaleError, ValueError):
            pass
    return "en_US"


def money(value: float | None, currency: str, locale: str = "en_US", *, cents: bool | None = None) -> str:
    """``$12,345`` / ``$8.83``; whole units from 100 up unless ``cents`` says otherwise; "n/a" for nothing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    show_cents = abs(value) < 100 if cents is None else cents
    if show_cents:
        text = format_currency(value, currency.upper(), locale=locale)
    else:
        # the locale's own pattern (where the symbol goes, which separators) without the fraction digits
        standard = Locale.parse(locale).currency_formats["standard"].pattern
        whole = re.sub(r"\.0+", "", standard)
        text = format_currency(
            round(value), currency.upper(), format=whole, locale=locale, currency_digits=False
        )
    return text.replace("\xa0", " ")


def signed_money(value: float, currency: str, locale: str = "en_US") -> str:
    return ("+" if value > 0 else "") + money(value, currency, locale)


def count(value: float | None, locale: str = "en_US") -> str:
    return "n/a" if value is None else format_decimal(round(value), locale=locale)


def percent(share: float | None, decimals: int = 1, locale: str = "en_US") -> str:
    """``0.123`` -> ``12.3%``."""
    if share is None or not math.isfinite(share):
        return "n/a"
    pattern = "#,##0%" if decimals == 0 else "#,##0." + "0" * decimals + "%"
    return format_percent(share, format=pattern, locale=locale).replace("\xa0", " ")


def relative_change(current: float | None, previous: float | None) -> float | None:
    """(current - previous) / |previous|; None when there is nothing to compare with."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / abs(previous)


def change_delta(current: float | None, previous: float | None) -> str | None:
    """A tile's delta: ``+9.6%`` / ``-4.0%``; None (no arrow) when there is no comparison or no change."""
    change = relative_change(current, previous)
    if change is None or abs(change) < NO_CHANGE:
        return None
    return f"{change * 100:+.1f}%"


def change_words(current: float | None, previous: float | None) -> str:
    """``up 9.6%`` / ``down 4.0%`` / ``about the same`` / ``with nothing to compare``."""
    change = relative_change(current, previous)
    if change is None:
        return "with nothing to compare it with"
    if abs(change) < NO_CHANGE:
        return "about the same"
    return f"{'up' if change > 0 else 'down'} {abs(change) * 100:.1f}%"


def day(value: dt.date | dt.datetime) -> str:
    """``1 Nov 2026``."""
    return f"{value.day} {value:%b %Y}"


def month(value: dt.date | dt.datetime) -> str:
    """``October 2026``."""
    return f"{value:%B %Y}"


def moment(value: dt.datetime) -> str:
    """``6 Dec 2026 14:02`` (UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return f"{day(value)} {value:%H:%M}"


def period(start: dt.date, end: dt.date) -> str:
    """``October 2026`` for a whole calendar month, else ``2 Oct 2026 to 31 Oct 2026``."""
    if (
        start.day == 1
        and (end + dt.timedelta(days=1)).day == 1
        and (start.year, start.month)
        == (
            end.year,
            end.month,
        )
    ):
        return month(start)
    if start == end:
        return day(start)
    return f"{day(start)} to {day(end)}"


def chance(p_value: float | None) -> str:
    """A p-value as a sentence about chance: 8.89e-15 -> "very unlikely to be chance"."""
    if p_value is None or not math.isfinite(p_value):
        return "not tested against chance"
    if p_value < 0.001:
        return "very unlikely to be chance"
    if p_value < 0.05:
        return "unlikely to be chance"
    if p_value < 0.2:
        return "could be chance"
    return "may well be chance"
