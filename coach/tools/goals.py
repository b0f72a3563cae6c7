"""Goal planner tools: the owner's goals (``app.goals``) with their latest evaluation
(``ml.goal_evaluations``: probability, expected value and range, progress, levers, plan).

Both tables come with the goals feature; on a warehouse without them (or with no goals yet) the tool says
there are no goals, and the answer explains how to set one, with the forecaster's probability for a target
the question names.
"""

from __future__ import annotations

from typing import Any

from coach.core import Citation, CoachContext, ToolResult
from coach.tools._db import as_date, relation_exists, rows, tenant_connection


def goals(ctx: CoachContext) -> ToolResult:
    """The owner's active goals, each with its latest evaluation; ``{"goals": []}`` when there are none."""
    with tenant_connection(ctx.tenant_id) as conn:
        if not (relation_exists(conn, "app.goals") and relation_exists(conn, "ml.goal_evaluations")):
            return ToolResult(
                "goals", {"goals": [], "feature": False}, [Citation("app/goals", None, None, None, "Goals")]
            )
        found = rows(
            conn,
            "select g.goal_id, g.title, g.metric, g.aggregation, g.target, g.baseline, g.starts_on, "
            "g.deadline, "
            "g.status as goal_status, e.evaluated_at, e.data_through, e.probability, e.expected_value, "
            "e.expected_lower, e.expected_upper, e.progress_value, e.status, e.levers, e.plan, e.run_id "
            "from app.goals g left join lateral (select * from ml.goal_evaluations x "
            "where x.tenant_id = g.tenant_id and x.goal_id = g.goal_id order by x.evaluated_at desc limit "
            "1) e on true "
            "where g.tenant_id = (select app.current_tenant_id()) order by g.deadline, g.title",
        )
    items: list[dict[str, Any]] = []
    for r in found:
        items.append(
            {
                "title": r["title"],
                "metric": r["metric"],
                "target": _num(r["target"]),
                "deadline": r["deadline"],
                "probability": _num(r["probability"]),
                "expected": _num(r["expected_value"]),
                "expected_lower": _num(r["expected_lower"]),
                "expected_upper": _num(r["expected_upper"]),
                "progress": _num(r["progress_value"]),
                "status": r["status"] or r["goal_status"],
                "levers": r["levers"] or [],
            }
        )
    evaluated = [r for r in found if r["evaluated_at"] is not None]
    if evaluated:
        latest = max(evaluated, key=lambda r: r["evaluated_at"])
        citation = Citation(
            "ml/goal_evaluations",
            latest["run_id"],
            latest["evaluated_at"],
            as_date(latest["data_through"]),
            "Goals",
        )
    else:
        citation = Citation("app/goals", None, None, None, "Goals")
    table = [{"goal": g["title"], "target": g["target"], "chance": g["probability"]} for g in items]
    return ToolResult("goals", {"goals": items, "feature": True}, [citation], rows=table)


def _num(value: Any) -> float | None:
    return None if value is None else float(value)
