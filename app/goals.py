"""The Goals page: the owner's goals with their odds, what moves them, the plan, the history, check-ins; and
setting a new goal with help.

Everything comes through :mod:`app.data.goals` (the owners' goal API, as the signed-in tenant): the list
shows each goal's chance of being reached by its deadline as a gauge and its progress against a straight
path to the target (Altair); a goal's detail shows the levers (what the evidence says moves its metric, with
the grade in words), the linked plan, the history of evaluations and changes, and the check-ins, with a form
to add one. "Set a goal" asks for the metric, how it is measured and the dates, then shows the baseline, the
suggested ranges (own history, peers) and the chance of each candidate target, with a warning when a target
is almost certain or very unlikely. The evaluation itself runs in the nightly pipeline.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import altair as alt
import polars as pl
import streamlit as st

from app.data import goals as data
from app.session import require_user
from keel.errors import KeelError
from models_ml.goals.catalog import AGGREGATION_WORDS, format_value

STATUS_WORDS = {
    "draft": "Draft",
    "active": "Waiting for its first evaluation",
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "achieved": "Achieved",
    "missed": "Missed",
    "abandoned": "Abandoned",
}
STATUS_COLORS = {
    "on_track": "green",
    "at_risk": "orange",
    "off_track": "red",
    "achieved": "green",
    "missed": "red",
}
EVENT_WORDS = {
    "created": "Set",
    "updated": "Changed",
    "status_changed": "Status changed",
    "evaluated": "Evaluated",
    "checked_in": "Check-in",
    "abandoned": "Abandoned",
}
FEELING_WORDS = {"confident": "Confident", "okay": "Okay", "unsure": "Unsure", "worried": "Worried"}
NO_GOALS = "No goals yet. Set one under “Set a goal”; the demo sets three for each business (`keel demo`)."


def render() -> None:
    user = require_user()
    st.title("Goals")
    your_goals, new_goal = st.tabs(["Your goals", "Set a goal"])
    with your_goals:
        try:
            _render_goals(user)
        except (KeelError, data.GoalInputError) as exc:
            st.error(str(exc))
    with new_goal:
        _render_new_goal(user)


def _value(goal: dict[str, Any], value: float | None) -> str:
    return format_value(value, goal["unit"], goal.get("currency"))


def _render_goals(user: Any) -> None:
    goals = data.goals(user)
    if not goals:
        st.info(NO_GOALS)
        return
    for goal in goals:
        with st.container(border=True):
            left, middle, right = st.columns([2, 1, 3])
            with left:
                st.subheader(goal["title"])
                color = STATUS_COLORS.get(goal["status"], "gray")
                st.markdown(f":{color}-badge[{STATUS_WORDS[goal['status']]}]")
                st.caption(
                    f"Target {_value(goal, goal['target'])} "
                    f"({AGGREGATION_WORDS[goal['aggregation']]}), {goal['starts_on']:%d %b %Y} to "
                    f"{goal['deadline']:%d %b %Y}"
                )
                if goal.get("status_rule"):
                    st.caption(goal["status_rule"])
            with middle:
                if goal.get("probability") is not None:
                    st.altair_chart(_gauge(float(goal["probability"])), width="content")
                    st.caption(f"Chance of reaching it: {goal['probability']:.0%}")
                else:
                    st.caption("Not evaluated yet")
            with right:
                pace = goal.get("pace") or []
                if pace:
                    st.altair_chart(_pace_chart(goal, pace), width="stretch")
                if goal.get("expected_value") is not None:
                    st.caption(
                        f"Expected by the deadline: {_value(goal, goal['expected_value'])} "
                        f"(8 in 10 chance between {_value(goal, goal['expected_lower'])} and "
                        f"{_value(goal, goal['expected_upper'])}); "
                        f"data through {goal['data_through']:%d %b %Y}."
                    )
    titles = {str(g["goal_id"]): g["title"] for g in goals}
    chosen = st.selectbox("Look closer at a goal", list(titles), format_func=titles.__getitem__)
    if chosen:
        _render_detail(user, chosen)


def _gauge(probability: float) -> alt.Chart:
    frame = pl.DataFrame({"part": ["chance", "rest"], "share": [probability, 1 - probability]})
    color = "#2e7d32" if probability >= 0.7 else "#ef6c00" if probability >= 0.3 else "#c62828"
    return (
        alt.Chart(frame.to_pandas())
        .mark_arc(innerRadius=28)
        .encode(
            theta=alt.Theta("share:Q"),
            color=alt.Color(
                "part:N", scale=alt.Scale(domain=["chance", "rest"], range=[color, "#e0e0e0"]), legend=None
            ),
            tooltip=[alt.Tooltip("share:Q", format=".0%", title="Share")],
        )
        .properties(width=90, height=90)
    )


def _pace_chart(goal: dict[str, Any], pace: list[dict[str, Any]]) -> alt.Chart:
    frame = pl.DataFrame(
        {
            "Day": [date.fromisoformat(str(p["day"])) for p in pace] * 2,
            "Value": [p["actual"] for p in pace] + [p["on_pace"] for p in pace],
            "Line": ["So far"] * len(pace) + ["On pace for the target"] * len(pace),
        }
    ).to_pandas()
    axis_format = ".0%" if goal["unit"] == "ratio" else ",.0f"
    title = "Share" if goal["unit"] == "ratio" else (goal.get("currency") or "Value")
    return (
        alt.Chart(frame)
        .mark_line()
        .encode(
            x=alt.X("Day:T", title=None),
            y=alt.Y("Value:Q", title=title, axis=alt.Axis(format=axis_format)),
            color=alt.Color("Line:N", title=None, legend=alt.Legend(orient="bottom")),
            strokeDash=alt.StrokeDash("Line:N", legend=None),
        )
        .properties(height=160)
    )


def _render_detail(user: Any, goal_id: str) -> None:
    goal = data.goal(user, goal_id)
    evaluation = goal.get("evaluation") or {}
    st.subheader(goal["title"])
    smart = {
        "Specific": goal["specific"],
        "Measurable": goal["measurable"],
        "Achievable": goal["achievable"],
        "Relevant": goal["relevant"],
        "Time-bound": goal["time_bound"],
    }
    st.markdown("\n".join(f"- **{k}**: {v}" for k, v in smart.items() if v))
    if evaluation.get("progress_value") is not None:
        progress = f"So far: {_value(goal, evaluation['progress_value'])}"
        if evaluation.get("pace_value") is not None:
            progress += f"; on a straight path it would be {_value(goal, evaluation['pace_value'])} by now"
        if evaluation.get("needed_rest") is not None:
            progress += f"; from here it needs {_value(goal, evaluation['needed_rest'])} a day"
        st.write(progress + ".")

    st.markdown("**What moves it**")
    levers = evaluation.get("levers") or []
    if levers:
        st.dataframe(
            pl.DataFrame(
                {
                    "What": [lever["label"] for lever in levers],
                    "How sure Keel is": [lever["grade_words"].capitalize() for lever in levers],
                    "What the evidence says": [lever["explanation"] for lever in levers],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption("No graded evidence yet of what moves this goal's number.")

    st.markdown("**The plan**")
    plan = evaluation.get("plan")
    if plan:
        st.write(plan["summary"])
        for step in plan.get("steps") or []:
            st.markdown(f"- {step}")
        if plan.get("closes_gap") is not None:
            st.caption(
                "The plan's expected gain covers what the goal still lacks."
                if plan["closes_gap"]
                else "The plan alone does not close the gap to the target; it is the best step the data "
                "supports."
            )
        st.caption("The plan is the one the nightly planning made; it was not solved again for this goal.")
    else:
        st.caption("No plan works on this goal's number yet.")

    st.markdown("**History**")
    events = goal.get("events") or []
    st.dataframe(
        pl.DataFrame(
            {
                "When": [e["occurred_at"].strftime("%d %b %Y %H:%M") for e in events],
                "What happened": [EVENT_WORDS[e["kind"]] for e in events],
                "Status": [STATUS_WORDS.get(e["to_status"] or "", "") for e in events],
                "Chance": ["" if e["probability"] is None else f"{e['probability']:.0%}" for e in events],
                "Details": [e["summary"] for e in events],
            }
        ),
        hide_index=True,
        width="stretch",
    )

    st.markdown("**Check-ins**")
    for checkin in goal.get("checkins") or []:
        linked = f" (linked to “{checkin['intervention_name']}”)" if checkin.get("intervention_name") else ""
        st.markdown(
            f"- {checkin['checked_in_on']:%d %b %Y}, feeling {FEELING_WORDS[checkin['feeling']].lower()}: "
            f"{checkin['did']}{linked}"
        )
    if goal["status"] in ("achieved", "missed", "abandoned"):
        return
    options = data.interventions(user)
    names = {str(i): name for i, name in options}
    with st.form(f"checkin-{goal_id}"):
        did = st.text_area("What did you do?")
        feeling = st.radio(
            "How do you feel about it?",
            list(FEELING_WORDS),
            format_func=FEELING_WORDS.__getitem__,
            horizontal=True,
        )
        linked = st.selectbox(
            "Link it to a change you recorded (so Keel can measure its effect)",
            ["", *names],
            format_func=lambda key: names.get(key, "No link"),
        )
        if st.form_submit_button("Save check-in"):
            try:
                data.check_in(user, goal_id, did, feeling, uuid_or_none(linked))
                st.success("Check-in saved.")
                st.rerun()
            except data.GoalInputError as exc:
                st.error(str(exc))
    with st.expander("Stop pursuing this goal"):
        reason = st.text_input("Why?", key=f"abandon-reason-{goal_id}")
        if st.button("Abandon goal", key=f"abandon-{goal_id}"):
            try:
                data.abandon(user, goal_id, reason)
                st.rerun()
            except data.GoalInputError as exc:
                st.error(str(exc))


def uuid_or_none(value: str) -> Any:
    import uuid

    return uuid.UUID(value) if value else None


def _render_new_goal(user: Any) -> None:
    labels = {m.metric: m.label.capitalize() for m in data.CATALOG.values()}
    metric = st.selectbox(
        "What do you want to move?", list(labels), format_func=labels.__getitem__, key="new-metric"
    )
    entry = data.CATALOG[metric]
    aggregation = st.radio(
        "Measured as",
        list(entry.aggregations),
        format_func=lambda a: AGGREGATION_WORDS[a],
        horizontal=True,
        key="new-aggregation",
    )
    today = date.today()
    starts_on = st.date_input("From", value=today, key="new-start")
    deadline = st.date_input("By", value=today + timedelta(days=90), key="new-deadline")
    if st.button("Show suggestions", key="new-suggest"):
        try:
            st.session_state["goal-proposal"] = data.propose(
                user, metric, aggregation, starts_on, deadline, []
            )
        except (data.GoalInputError, KeelError) as exc:
            st.session_state.pop("goal-proposal", None)
            st.error(str(exc))
    proposal = st.session_state.get("goal-proposal")
    if proposal is None or proposal.metric != metric or proposal.aggregation != aggregation:
        return
    unit = entry.unit
    currency = proposal.currency if unit == "money" else None
    st.write(f"**Where you are**: {proposal.baseline_note}.")
    low, middle, high = proposal.expected
    st.write(
        f"At the current pace Keel expects about {format_value(middle, unit, currency)} "
        f"(8 in 10 chance between {format_value(low, unit, currency)} and "
        f"{format_value(high, unit, currency)})."
    )
    for suggested in (proposal.own_range, proposal.peer_range):
        if suggested is not None:
            st.write(
                f"**From {suggested.source}**: {format_value(suggested.low, unit, currency)} to "
                f"{format_value(suggested.high, unit, currency)}, {suggested.note}."
            )
    if proposal.peer_range is None:
        st.caption(proposal.peer_note)
    st.dataframe(
        pl.DataFrame(
            {
                "Target": [format_value(c.target, unit, currency) for c in proposal.candidates],
                "Chance of reaching it": [f"{c.probability:.0%}" for c in proposal.candidates],
                "Where it comes from": [c.source.capitalize() for c in proposal.candidates],
                "Note": [c.warning or "" for c in proposal.candidates],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    with st.form("new-goal"):
        default = next((c.target for c in proposal.candidates if c.warning is None), proposal.expected[1])
        target = st.number_input(
            "Your target" + (" (as a fraction: 0.28 for 28%)" if unit == "ratio" else ""),
            value=float(default),
            format="%.3f" if unit == "ratio" else "%.0f",
        )
        title = st.text_input("Name the goal", value=f"{entry.label.capitalize()} by {deadline:%d %B}")
        relevant = st.text_input("Why it matters to you")
        if st.form_submit_button("Set goal"):
            draft = data.GoalDraft(
                title=title,
                metric=metric,
                aggregation=aggregation,
                target=target,
                starts_on=starts_on,
                deadline=deadline,
                relevant=relevant or None,
            )
            try:
                created = data.create(user, draft)
                st.success(f"Goal set: {created['title']}. {created['achievable']}")
            except (data.GoalInputError, KeelError) as exc:
                st.error(str(exc))
