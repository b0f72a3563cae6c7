"""Pieces every console page shows the same way: how current the data is, and the page's question.

"Data up to 31 Oct 2026, last loaded 6 Dec 2026 14:02", with a warning when the figures stop well before
today, so an owner never reads an old week as this week.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from app import words
from app.data import cached
from keel.errors import KeelError
from keel.tenancy import SignedInUser
from serving.readers import DataFreshness

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
