"""Owners' goals: set one with help, list them, read one with its evaluation, change, check in, abandon.

The console and the coach call these functions (and, later, the HTTP API). Every call runs as the tenant's
own ``keel_app`` role, so row-level security keeps it inside that tenant; every change is recorded in
``app.goal_events`` in the same transaction. The numbers (probability, ranges, baseline) come from
:mod:`models_ml.goals` over the tenant's ``metrics.business_metrics_daily`` and its published peer
benchmarks (``benchmarks.tenant_benchmarks``); the scheduled evaluation (the ``ml_goal_evaluations``
asset) moves the status and stores the evaluation the console shows.
"""

from __future__ import annotations

import contextlib
import math
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl
import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from keel import warehouse
from models_ml.goals import (
    CATALOG,
    CLOSED_STATUSES,
    GoalProposal,
    GoalSpec,
    format_value,
    goal_metric,
    propose_goal,
)
from models_ml.goals.catalog import AGGREGATION_WORDS

FEELINGS = ("confident", "okay", "unsure", "worried")
EDITABLE = ("title", "target", "deadline", "specific", "measurable", "achievable", "relevant", "time_bound")
#: Statuses an owner may set by hand (the evaluation sets the others).
OWNER_STATUSES = ("draft", "active")
GOAL_COLUMNS = (
    "goal_id, tenant_id, title, metric, aggregation, direction, target::float8 as target, "
    "baseline::float8 as baseline, baseline_note, unit, currency, starts_on, deadline, status, specific, "
    "measurable, achievable, relevant, time_bound, created_by, created_at, updated_at, closed_at"
)


class GoalInputError(ValueError):
    """A goal input is missing or wrong; the message names the input and what to do."""


@dataclass(frozen=True)
class GoalDraft:
    """What an owner fills in to set a goal (the SMART fields in their own words are optional)."""

    title: str
    metric: str
    aggregation: str
    target: float
    starts_on: date
    deadline: date
    direction: str | None = None
    specific: str | None = None
    measurable: str | None = None
    achievable: str | None = None
    relevant: str | None = None
    time_bound: str | None = None
    status: str = "active"


def _connect(tenant_id: uuid.UUID | str) -> contextlib.AbstractContextManager[psycopg.Connection[Any]]:
    return warehouse.connect("keel_app", tenant_id=tenant_id)


def _tenant_id(tenant_id: uuid.UUID | str) -> uuid.UUID:
    try:
        return uuid.UUID(str(tenant_id))
    except ValueError as exc:
        raise GoalInputError(f"tenant {tenant_id!r} is not a tenant id") from exc


def tenant_currency(conn: psycopg.Connection[Any], tenant_id: uuid.UUID) -> str:
    row = conn.execute("select currency from app.tenants where tenant_id = %s", (tenant_id,)).fetchone()
    return str(row[0]) if row else "USD"


def metric_history(conn: psycopg.Connection[Any], tenant_id: uuid.UUID, metric: str) -> pl.DataFrame:
    """``ds`` and the goal metric's columns from the tenant's daily metrics (floats)."""
    entry = goal_metric(metric)
    columns = ", ".join(f"{c}::float8" for c in entry.columns)  # catalogue names, never user input
    rows = conn.execute(
        f"select metric_date, {columns} from metrics.business_metrics_daily "
        "where tenant_id = %s order by metric_date",
        (tenant_id,),
    ).fetchall()
    schema: dict[str, Any] = {"ds": pl.Date} | {c: pl.Float64 for c in entry.columns}
    return pl.DataFrame(rows, schema=schema, orient="row")


def peer_benchmarks(conn: psycopg.Connection[Any], tenant_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    """The tenant's latest published peer percentiles per benchmark metric (empty when none are published)."""
    if not _exists(conn, "benchmarks.tenant_benchmarks"):
        return {}
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "select distinct on (metric) metric, metric_month, peer_group, peer_count, "
            "p10::float8 as p10, p25::float8 as p25, p50::float8 as p50, p75::float8 as p75, "
            "p90::float8 as p90 "
            "from benchmarks.tenant_benchmarks where tenant_id = %s order by metric, metric_month desc",
            (tenant_id,),
        ).fetchall()
    return {str(r["metric"]): dict(r) for r in rows}


def _exists(conn: psycopg.Connection[Any], relation: str) -> bool:
    row = conn.execute("select to_regclass(%s) is not null", (relation,)).fetchone()
    return bool(row and row[0])


def _spec_errors(metric: str, aggregation: str, starts_on: date, deadline: date) -> None:
    try:
        entry = goal_metric(metric)
    except ValueError as exc:
        raise GoalInputError(f"metric: {exc}") from exc
    if aggregation not in entry.aggregations:
        words = ", ".join(f"{a} ({AGGREGATION_WORDS[a]})" for a in entry.aggregations)
        raise GoalInputError(f"aggregation: a {entry.label} goal is measured as {words}, not {aggregation!r}")
    if not isinstance(starts_on, date) or not isinstance(deadline, date):
        raise GoalInputError("starts_on and deadline must be dates")
    if deadline <= starts_on:
        raise GoalInputError(f"deadline: {deadline} must come after the start {starts_on}")


def propose(
    tenant_id: uuid.UUID | str,
    metric: str,
    aggregation: str,
    starts_on: date,
    deadline: date,
    targets: Iterable[float] = (),
    *,
    seed: int = 0,
) -> GoalProposal:
    """Baseline, suggested ranges (own history, peers) and the probability of candidate targets."""
    tenant = _tenant_id(tenant_id)
    _spec_errors(metric, aggregation, starts_on, deadline)
    with _connect(tenant) as conn:
        history = metric_history(conn, tenant, metric)
        peers = peer_benchmarks(conn, tenant)
        currency = tenant_currency(conn, tenant)
    if history.is_empty():
        raise GoalInputError(f"metric: there is no {goal_metric(metric).label} data yet for this business")
    try:
        return propose_goal(
            metric,
            aggregation,
            starts_on,
            deadline,
            history,
            peers=peers,
            targets=targets,
            currency=currency,
            seed=seed,
        )
    except ValueError as exc:
        raise GoalInputError(str(exc)) from exc


def create_goal(
    tenant_id: uuid.UUID | str,
    draft: GoalDraft,
    *,
    actor: str | None = None,
    goal_id: uuid.UUID | None = None,
    proposal: GoalProposal | None = None,
) -> dict[str, Any]:
    """Validate and store a goal, with a ``created`` event; returns the stored goal.

    The baseline and the "achievable" sentence come from the creation helper (``proposal``, computed here
    when not given). ``goal_id`` makes creation repeatable (the demo's goals): an existing goal with that
    id is returned unchanged.
    """
    tenant = _tenant_id(tenant_id)
    title = (draft.title or "").strip()
    if not title or len(title) > 200:
        raise GoalInputError("title: give the goal a name of 1 to 200 characters")
    _spec_errors(draft.metric, draft.aggregation, draft.starts_on, draft.deadline)
    entry = goal_metric(draft.metric)
    try:
        target = float(draft.target)
    except (TypeError, ValueError) as exc:
        raise GoalInputError(f"target: {draft.target!r} is not a number") from exc
    if not math.isfinite(target):
        raise GoalInputError(f"target: {draft.target!r} is not a number")
    if entry.unit == "ratio" and not 0 <= target <= 5:
        raise GoalInputError(f"target: a share is a fraction (0.28 for 28%), got {target}")
    if entry.unit != "ratio" and target < 0:
        raise GoalInputError(f"target: {entry.label} cannot be negative, got {target}")
    direction = draft.direction or ("at_least" if entry.higher_is_better else "at_most")
    if direction not in ("at_least", "at_most"):
        raise GoalInputError(f"direction: 'at_least' or 'at_most', not {direction!r}")
    if draft.status not in OWNER_STATUSES:
        raise GoalInputError(f"status: a new goal is {' or '.join(OWNER_STATUSES)}, not {draft.status!r}")
    if goal_id is not None:
        existing = _goal_row(tenant, goal_id)
        if existing is not None:
            return existing
    proposal = proposal or propose(
        tenant, draft.metric, draft.aggregation, draft.starts_on, draft.deadline, [target]
    )
    currency = None
    with _connect(tenant) as conn:
        currency = tenant_currency(conn, tenant)
    chance = next((c for c in proposal.candidates if abs(c.target - target) < 1e-9), None)
    words = AGGREGATION_WORDS[draft.aggregation]
    at = "at least" if direction == "at_least" else "at most"
    shown = format_value(target, entry.unit, currency)
    values = {
        "goal_id": goal_id or uuid.uuid4(),
        "tenant_id": tenant,
        "title": title,
        "metric": draft.metric,
        "aggregation": draft.aggregation,
        "direction": direction,
        "target": target,
        "baseline": proposal.baseline,
        "baseline_note": proposal.baseline_note,
        "unit": entry.unit,
        "currency": currency if entry.unit == "money" else None,
        "starts_on": draft.starts_on,
        "deadline": draft.deadline,
        "status": draft.status,
        "specific": draft.specific or f"{entry.label.capitalize()}, {words}: {at} {shown}.",
        "measurable": draft.measurable
        or f"Measured every day from your {entry.label} in Keel's daily business metrics.",
        "achievable": draft.achievable
        or (
            f"When set, Keel's forecast gave it a {chance.probability:.0%} chance"
            + (f" ({chance.warning})" if chance and chance.warning else "")
            + f"; the baseline was {proposal.baseline_note}."
            if chance
            else f"The baseline was {proposal.baseline_note}."
        ),
        "relevant": draft.relevant,
        "time_bound": draft.time_bound or f"From {draft.starts_on:%d %B %Y} to {draft.deadline:%d %B %Y}.",
        "created_by": actor,
    }
    columns = list(values)
    with _connect(tenant) as conn, conn.transaction():
        conn.execute(
            f"insert into app.goals ({', '.join(columns)}) values ({', '.join(f'%({c})s' for c in columns)})",
            values,
        )
        _event(
            conn,
            tenant,
            values["goal_id"],
            "created",
            None,
            draft.status,
            f"Goal set: {title}",
            {"target": target, "probability": chance.probability if chance else None},
            actor,
            probability=chance.probability if chance else None,
        )
    goal = _goal_row(tenant, values["goal_id"])
    assert goal is not None
    return goal


def _event(
    conn: psycopg.Connection[Any],
    tenant: uuid.UUID,
    goal_id: Any,
    kind: str,
    from_status: str | None,
    to_status: str | None,
    summary: str,
    detail: Mapping[str, Any],
    actor: str | None,
    *,
    probability: float | None = None,
) -> None:
    conn.execute(
        "insert into app.goal_events (tenant_id, goal_id, kind, from_status, to_status, probability, "
        "summary, detail, actor) values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            tenant,
            goal_id,
            kind,
            from_status,
            to_status,
            probability,
            summary,
            Jsonb(_jsonable(detail)),
            actor,
        ),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date | uuid.UUID):
        return str(value)
    return value


def _goal_row(tenant: uuid.UUID, goal_id: Any) -> dict[str, Any] | None:
    with _connect(tenant) as conn, conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"select {GOAL_COLUMNS} from app.goals where goal_id = %s",
            (_goal_uuid(goal_id),),
        ).fetchone()


def _goal_uuid(goal_id: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(goal_id))
    except ValueError as exc:
        raise GoalInputError(f"goal: {goal_id!r} is not a goal id") from exc


def list_goals(tenant_id: uuid.UUID | str, *, include_closed: bool = True) -> list[dict[str, Any]]:
    """The tenant's goals, newest deadline last, each with its latest evaluation's headline numbers."""
    tenant = _tenant_id(tenant_id)
    with _connect(tenant) as conn, conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            f"select {', '.join('g.' + c.strip() for c in GOAL_COLUMNS.split(', '))}, "
            "e.probability, e.expected_value, e.expected_lower, e.expected_upper, e.progress_value, "
            "e.pace_value, e.status_rule, e.data_through, e.evaluated_at, e.pace "
            "from app.goals g left join ml.goal_evaluations e on e.goal_id = g.goal_id "
            "where %s or g.status <> all(%s) order by g.deadline, g.created_at",
            (include_closed, list(CLOSED_STATUSES)),
        ).fetchall()
    return rows


def get_goal(tenant_id: uuid.UUID | str, goal_id: uuid.UUID | str) -> dict[str, Any]:
    """One goal with its latest evaluation (levers, plan, pace), its history and its check-ins."""
    tenant = _tenant_id(tenant_id)
    goal = _goal_row(tenant, goal_id)
    if goal is None:
        raise GoalInputError(f"goal: no goal {goal_id} for this business")
    with _connect(tenant) as conn, conn.cursor(row_factory=dict_row) as cur:
        goal["evaluation"] = cur.execute(
            "select * from ml.goal_evaluations where goal_id = %s", (goal["goal_id"],)
        ).fetchone()
        goal["events"] = cur.execute(
            "select occurred_at, kind, from_status, to_status, probability, summary, detail, actor "
            "from app.goal_events where goal_id = %s order by occurred_at, event_id",
            (goal["goal_id"],),
        ).fetchall()
        goal["checkins"] = cur.execute(
            "select c.checkin_id, c.checked_in_on, c.did, c.feeling, c.note, c.intervention_id, "
            "i.name as intervention_name, c.created_by, c.created_at from app.goal_checkins c "
            "left join app.interventions i on i.intervention_id = c.intervention_id "
            "where c.goal_id = %s order by c.checked_in_on, c.created_at",
            (goal["goal_id"],),
        ).fetchall()
    return goal


def update_goal(
    tenant_id: uuid.UUID | str, goal_id: uuid.UUID | str, *, actor: str | None = None, **changes: Any
) -> dict[str, Any]:
    """Change a goal's title, target, deadline, SMART words or (draft <-> active) status; kept as events."""
    tenant = _tenant_id(tenant_id)
    goal = _goal_row(tenant, goal_id)
    if goal is None:
        raise GoalInputError(f"goal: no goal {goal_id} for this business")
    unknown = set(changes) - {*EDITABLE, "status"}
    if unknown:
        raise GoalInputError(f"{', '.join(sorted(unknown))}: cannot be changed; change {', '.join(EDITABLE)}")
    if goal["status"] in CLOSED_STATUSES:
        raise GoalInputError(f"goal: it is {goal['status'].replace('_', ' ')} and can no longer be changed")
    status = changes.pop("status", None)
    if status is not None and status not in OWNER_STATUSES:
        raise GoalInputError(f"status: set {' or '.join(OWNER_STATUSES)} here; abandon with abandon_goal")
    if "title" in changes and not 1 <= len(str(changes["title"]).strip()) <= 200:
        raise GoalInputError("title: give the goal a name of 1 to 200 characters")
    if "target" in changes:
        try:
            changes["target"] = float(changes["target"])
        except (TypeError, ValueError) as exc:
            raise GoalInputError(f"target: {changes['target']!r} is not a number") from exc
        if not math.isfinite(changes["target"]):
            raise GoalInputError(f"target: {changes['target']!r} is not a number")
    if "deadline" in changes and (
        not isinstance(changes["deadline"], date) or changes["deadline"] <= goal["starts_on"]
    ):
        raise GoalInputError(f"deadline: must be a date after the start {goal['starts_on']}")
    changed = {k: v for k, v in changes.items() if goal.get(k) != v}
    with _connect(tenant) as conn, conn.transaction():
        if changed:
            sets = ", ".join(f"{k} = %({k})s" for k in changed)
            conn.execute(
                f"update app.goals set {sets}, updated_at = now() where goal_id = %(goal_id)s",
                {**changed, "goal_id": goal["goal_id"]},
            )
            before = {k: goal.get(k) for k in changed}
            _event(
                conn,
                tenant,
                goal["goal_id"],
                "updated",
                goal["status"],
                goal["status"],
                "Changed " + ", ".join(k.replace("_", " ") for k in changed),
                {"before": before, "after": changed},
                actor,
            )
        if status is not None and status != goal["status"]:
            conn.execute(
                "update app.goals set status = %s, updated_at = now() where goal_id = %s",
                (status, goal["goal_id"]),
            )
            _event(
                conn,
                tenant,
                goal["goal_id"],
                "status_changed",
                goal["status"],
                status,
                f"Status set to {status} by the owner",
                {},
                actor,
            )
    updated = _goal_row(tenant, goal["goal_id"])
    assert updated is not None
    return updated


def check_in(
    tenant_id: uuid.UUID | str,
    goal_id: uuid.UUID | str,
    did: str,
    feeling: str,
    *,
    note: str | None = None,
    intervention_id: uuid.UUID | str | None = None,
    checked_in_on: date | None = None,
    actor: str | None = None,
) -> dict[str, Any]:
    """Record what the owner did for a goal and how they feel; optionally link a recorded intervention."""
    tenant = _tenant_id(tenant_id)
    goal = _goal_row(tenant, goal_id)
    if goal is None:
        raise GoalInputError(f"goal: no goal {goal_id} for this business")
    did = (did or "").strip()
    if not 1 <= len(did) <= 2000:
        raise GoalInputError("what you did: write a few words (up to 2,000 characters)")
    if feeling not in FEELINGS:
        raise GoalInputError(f"feeling: one of {', '.join(FEELINGS)}, not {feeling!r}")
    with _connect(tenant) as conn, conn.transaction():
        if intervention_id is not None:
            found = conn.execute(
                "select name from app.interventions where intervention_id = %s",
                (_goal_uuid(intervention_id),),
            ).fetchone()
            if found is None:
                raise GoalInputError(f"intervention: no recorded change {intervention_id} for this business")
        with conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                "insert into app.goal_checkins (tenant_id, goal_id, checked_in_on, did, feeling, note, "
                "intervention_id, created_by) "
                "values (%s, %s, coalesce(%s, current_date), %s, %s, %s, %s, %s) returning *",
                (tenant, goal["goal_id"], checked_in_on, did, feeling, note, intervention_id, actor),
            ).fetchone()
        assert row is not None
        _event(
            conn,
            tenant,
            goal["goal_id"],
            "checked_in",
            goal["status"],
            goal["status"],
            f"Check-in ({feeling}): {did[:120]}",
            {"checkin_id": row["checkin_id"]},
            actor,
        )
    return row


def abandon_goal(
    tenant_id: uuid.UUID | str, goal_id: uuid.UUID | str, reason: str, *, actor: str | None = None
) -> dict[str, Any]:
    """Stop pursuing a goal (kept with its history); the reason is recorded."""
    tenant = _tenant_id(tenant_id)
    goal = _goal_row(tenant, goal_id)
    if goal is None:
        raise GoalInputError(f"goal: no goal {goal_id} for this business")
    if goal["status"] in CLOSED_STATUSES:
        raise GoalInputError(f"goal: it is already {goal['status']}")
    reason = (reason or "").strip()
    if not reason:
        raise GoalInputError("reason: say in a few words why the goal is dropped")
    with _connect(tenant) as conn, conn.transaction():
        conn.execute(
            "update app.goals set status = 'abandoned', updated_at = now(), closed_at = now() "
            "where goal_id = %s",
            (goal["goal_id"],),
        )
        _event(
            conn,
            tenant,
            goal["goal_id"],
            "abandoned",
            goal["status"],
            "abandoned",
            f"Abandoned: {reason[:200]}",
            {"reason": reason},
            actor,
        )
    updated = _goal_row(tenant, goal["goal_id"])
    assert updated is not None
    return updated


def catalogue() -> list[dict[str, Any]]:
    """The metrics a goal can name, for pickers: metric, label, unit, aggregations, higher is better."""
    return [
        {
            "metric": m.metric,
            "label": m.label,
            "unit": m.unit,
            "aggregations": list(m.aggregations),
            "higher_is_better": m.higher_is_better,
        }
        for m in CATALOG.values()
    ]


def spec_of(goal: Mapping[str, Any]) -> GoalSpec:
    """The engine's view of a stored goal."""
    return GoalSpec(
        metric=goal["metric"],
        aggregation=goal["aggregation"],
        target=float(goal["target"]),
        starts_on=goal["starts_on"],
        deadline=goal["deadline"],
        direction=goal["direction"],
        baseline=None if goal.get("baseline") is None else float(goal["baseline"]),
        currency=goal.get("currency"),
    )
