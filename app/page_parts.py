"""Pieces every console page shows the same way: how current the data is, and the period the owner looks at.

"Data up to 31 Oct 2026, last loaded 6 Dec 2026 14:02", with a warning when the figures stop well before
today, so an owner never reads an old week as this week.

The period picker (a date range and what it is compared with) is the same control on every page that shows
figures over time; the range and the comparison the owner picks on one page are kept in the session, so the
next page opens on the same period.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from app import words
from app.data import cached
from app.kpis import Comparison, DateRange, default_range
from keel.errors import KeelError
from keel.tenancy import SignedInUser
from serving.readers import BusinessKind, DataFreshness

#: The figures are stale when their last day is more than this many days before today.
STALE_AFTER_DAYS = 3


def freshness_line(freshness: DataFreshness) -> str:
    parts = []
    if freshness.data_up_to is not None:
        parts.append(f"Data up to {words.day(freshness.data_up_to)}")
    if freshness.last_loaded_at is not None:
        parts.append(f"last loaded {words.moment(freshness.last_loaded_at)} UTC")
    text = ", ".join(parts) or "No data loaded yet"
    return text[0].upper() + text[1:] + "."


def stale_warning(freshness: DataFreshness, today: dt.date | None = None) -> str | None:
    """A sentence when the figures stop more than :data:`STALE_AFTER_DAYS` days before today."""
    if freshness.data_up_to is None:
        return None
    today = today or dt.datetime.now(dt.UTC).date()
    behind = (today - freshness.data_up_to).days
    if behind <= STALE_AFTER_DAYS:
        return None
    return (
        f"Your figures stop at {words.day(freshness.data_up_to)}, {behind} days ago: everything on these "
        "pages describes the business up to that day, not this week. Load your latest data on the Your data "
        "page."
    )


def show_freshness(user: SignedInUser) -> DataFreshness | None:
    """The data line under a page's title, with the stale warning; None when it cannot be read."""
    try:
        freshness = cached.data_freshness(user)
    except KeelError:
        return None
    st.caption(freshness_line(freshness))
    warning = stale_warning(freshness)
    if warning:
        st.warning(warning, icon=":material/schedule:")
    return freshness


COMPARISONS: dict[str, Comparison] = {
    "The period before": "previous",
    "The same period last year": "last_year",
}
#: Session keys of the period the owner picked, kept across pages (not widget keys: Streamlit forgets a
#: widget's state when a page without it runs).
PERIOD_KEY = "keel_period"
COMPARISON_KEY = "keel_comparison"


def compared(span: DateRange, before: DateRange) -> str:
    """Which periods a comparison is between: "October 2026 compared with September 2026"."""
    return f"{words.period(*span)} compared with {words.period(*before)}"


def reads_by_month(kind: BusinessKind) -> bool:
    """Whether the figures read in calendar months (the business bills by month, or its tiles are monthly)."""
    return kind.bills_monthly or kind.kind in ("subscription", "services", "b2b")


def _within(span: object, first: dt.date, latest: dt.date) -> DateRange | None:
    """``span`` cut to the dates the page has; None when it is not a range or lies wholly outside them."""
    if not (isinstance(span, tuple | list) and len(span) == 2):
        return None
    start, end = max(span[0], first), min(span[1], latest)
    return (start, end) if start <= end else None


def period_controls(
    first: dt.date, latest: dt.date, monthly: bool, *, page: str
) -> tuple[DateRange, Comparison]:
    """The date range picker and the comparison period, opened on the period picked on any page before.

    ``first`` and ``latest`` bound what the page can show; ``monthly`` picks the default (the latest whole
    calendar month, else the last 30 days). A half-picked range keeps the period shown.
    """
    state = st.session_state
    kept = _within(state.get(PERIOD_KEY), first, latest) or default_range(first, latest, monthly)
    kept_comparison = state.get(COMPARISON_KEY, "The period before")
    period_widget, comparison_widget, seen = f"{page}_period", f"{page}_comparison", f"{page}_period_seen"
    # The page's widgets start from the kept period when they are new, or when another page changed it.
    if period_widget not in state or state.get(seen) != (kept, kept_comparison):
        state[period_widget] = kept
        state[comparison_widget] = kept_comparison
    left, right = st.columns([2, 2])
    picked = left.date_input(
        "Period",
        min_value=first,
        max_value=latest,
        format="DD/MM/YYYY",
        key=period_widget,
        help="Pick the first and the last day. Businesses that bill by month read best in whole months.",
    )
    span = kept
    if isinstance(picked, tuple | list) and len(picked) == 2:
        span = (picked[0], picked[1])
    choice = right.radio("Compared with", list(COMPARISONS), horizontal=True, key=comparison_widget)
    choice = choice if choice in COMPARISONS else "The period before"
    if span != kept:
        state[PERIOD_KEY] = span
    state[COMPARISON_KEY] = choice
    state[seen] = (span, choice)
    return span, COMPARISONS[choice]
