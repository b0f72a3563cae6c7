"""The Coach page (named ``coach_chat`` because ``streamlit run app/console.py`` puts ``app/`` first on the
import path, where a ``coach.py`` would hide the coach library):
ask about the business in plain words and get an answer with its numbers and sources.

Answers come from :func:`app.data.cached.ask_coach` (the offline coach: its tools read the materialized
tables as the signed-in user's tenant only). Each answer shows its sentence, the numbers behind it in a
small table where there are several, and an expander naming where they come from and the console page
that shows them. The conversation lives in this browser session; follow-ups ("and last year?") use it.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from app.data import cached
from app.session import require_user
from coach.core import Answer, Citation
from keel.errors import KeelError

TURNS_KEY = "coach_turns"
EXAMPLES = (
    "How am I doing?",
    "What was my revenue last month?",
    "What will revenue be over the next 2 weeks?",
    "Did my changes work?",
    "What should I do next?",
)
SOURCES = {
    "metrics/business_metrics_daily": "Daily business metrics",
    "metrics/health_score": "Monthly health score",
    "benchmarks/tenant_benchmarks": "Peer benchmarks",
    "ml/forecasts": "Forecasts",
    "ml/evidence_edges": "Evidence of what worked",
    "ml/plans": "Optimized plans",
    "ml/goal_evaluations": "Goal evaluations",
    "app/goals": "Goals",
}
PAGE_PATHS = {
    "Overview": "overview",
    "Health": "health",
    "Forecasts": "forecasts",
    "Evidence": "evidence",
    "Plans": "plans",
}
#: Row fields that are the warehouse's own names, not the owner's: never shown.
HIDDEN_FIELDS = {"metric", "unit", "peer_group"}
COLUMN_WORDS = {
    "label": "Figure",
    "value": "Yours",
    "median": "Peers' median",
    "p25": "Peers' lower quarter",
    "p75": "Peers' upper quarter",
    "better_than": "Better than (share of peers)",
    "peers": "Businesses compared",
    "day": "Day",
    "expected": "Expected",
    "low_80": "Low (80% range)",
    "high_80": "High (80% range)",
    "title": "Plan",
    "expected_impact": "Expected gain",
    "change": "Change you made",
    "effect on": "Effect on",
    "estimate": "Estimated effect",
    "grade": "Evidence",
    "cause": "Cause",
    "effect": "Effect",
    "who": "Who",
    "from": "From (hour)",
    "to": "To (hour)",
    "goal": "Goal",
    "target": "Target",
    "chance": "Chance",
}


def render() -> None:
    user = require_user()
    st.title("Coach")
    st.caption(
        "Ask about your business in plain words. Every number comes from Keel's reports on your data; "
        "open *Where these numbers come from* under an answer to see which."
    )
    turns: list[tuple[str, Answer]] = st.session_state.setdefault(TURNS_KEY, [])
    if not turns:  # an empty conversation shows what to ask
        st.markdown("Try: " + " · ".join(f"*{example}*" for example in EXAMPLES))
    for question, answer in turns:
        _show(question, answer)
    asked = st.chat_input("Ask about your business")
    if asked is not None and asked.strip():
        try:
            answer = cached.ask_coach(user, asked, tuple(turns))
        except KeelError as exc:
            st.error(str(exc))
            return
        turns.append((asked, answer))
        _show(asked, answer)


def _show(question: str, answer: Answer) -> None:
    with st.chat_message("user"):
        st.write(question)
    with st.chat_message("assistant"):
        st.write(answer.text)
        table = _table(answer)
        if table is not None:
            st.dataframe(table, hide_index=True, width="stretch")
        if answer.citations:
            with st.expander("Where these numbers come from"):
                for line in _source_lines(answer.citations):
                    st.markdown(line)


def _table(answer: Answer) -> pl.DataFrame | None:
    """The rows behind the answer, in the owner's words, when there are at least two."""
    rows: list[dict[str, Any]] = [row for result in answer.results for row in result.rows]
    if len(rows) < 2:
        return None
    shown = [
        {
            COLUMN_WORDS.get(key, key.replace("_", " ").capitalize()): value
            for key, value in row.items()
            if key not in HIDDEN_FIELDS
        }
        for row in rows[:31]
    ]
    return pl.DataFrame(shown, infer_schema_length=None)


def _source_lines(citations: list[Citation]) -> list[str]:
    lines, seen = [], set()
    for citation in citations:
        key = (citation.asset_key, citation.run_id)
        if key in seen:
            continue
        seen.add(key)
        parts = [f"**{SOURCES.get(citation.asset_key, 'Keel report')}**"]
        if citation.data_through:
            parts.append(f"data up to {citation.data_through:%d %B %Y}")
        if citation.materialized_at:
            parts.append(f"built {citation.materialized_at:%d %B %Y %H:%M} UTC")
        if citation.run_id:
            parts.append(f"run `{citation.run_id}`")
        if citation.page:
            path = PAGE_PATHS.get(citation.page)
            parts.append(f"shown on the [{citation.page}](./{path}) page" if path else f"see {citation.page}")
        lines.append("- " + ", ".join(parts))
    return lines
