"""Optimizer tools: the stored plans (decisions, expected gain or why none is promised, what holds each
back), the staffing a roster plan puts on a weekday, and a what-if re-solve with the owner's number.

Plans come from ``ml.plans`` (the planning asset). A what-if rebuilds the stored problem
(:func:`~models_ml.optimization.serialization.problem_from_dict`), moves one bound to the owner's number
after checking it lies in a sensible range, and solves it again with the same library; nothing is
written back.
"""

from __future__ import annotations

import calendar
import dataclasses
from collections.abc import Callable
from typing import Any

from coach.core import Citation, CoachContext, ToolResult
from coach.errors import CoachInputError
from coach.tools._db import rows, tenant_connection
from coach.tools.general import metrics_build
from models_ml.optimization import (
    Plan,
    SolverSettings,
    plan_budget,
    plan_inventory,
    plan_pricing,
    plan_staffing,
)
from models_ml.optimization.plan import describe_horizon
from models_ml.optimization.serialization import PLAN_TABLE_COLUMNS, plan_from_row, problem_from_dict

PLAN_TYPES = ("inventory", "staffing", "pricing", "budget")
PLAN_TITLES = {
    "inventory": "inventory",
    "staffing": "staffing",
    "pricing": "pricing",
    "budget": "marketing budget",
}
#: A what-if is solved while the owner waits: short limits.
WHAT_IF_SETTINGS = SolverSettings(
    time_limit_seconds=5.0, max_valuation_seconds=1.0, max_diagnosis_solves=30, max_diagnosis_seconds=2.0
)
SOLVERS: dict[str, Callable[[Any, SolverSettings], Plan]] = {
    "inventory": plan_inventory,
    "staffing": plan_staffing,
    "pricing": plan_pricing,
    "budget": plan_budget,
}


def _stored_rows(ctx: CoachContext) -> list[dict[str, Any]]:
    columns = (*PLAN_TABLE_COLUMNS[1:], "created_at")
    with tenant_connection(ctx.tenant_id) as conn:
        return rows(
            conn,
            f"select {', '.join(columns)} from ml.plans where tenant_id = (select app.current_tenant_id()) "
            "order by plan_type",
        )


def _citation(row: dict[str, Any], ctx: CoachContext) -> Citation:
    """The stored plan's run; its data runs to the daily metrics' last day (the forecasts start after it)."""
    return Citation("ml/plans", row["run_id"], row["created_at"], metrics_build(ctx)["last_day"], "Plans")


def _plan_type(plan_type: str | None) -> str | None:
    if plan_type is not None and plan_type not in PLAN_TYPES:
        raise CoachInputError(f"there is no {plan_type!r} plan", f"ask about one of: {', '.join(PLAN_TYPES)}")
    return plan_type


def _summary(plan: Plan, currency: str) -> dict[str, Any]:
    horizon = describe_horizon(plan.horizon, plan.period)
    facts: dict[str, Any] = {
        "plan_type": plan.plan_type,
        "title": PLAN_TITLES[plan.plan_type],
        "feasible": plan.feasible,
        "horizon": horizon,
        "headline_supported": plan.headline_supported,
        "expected_impact": plan.expected_impact if plan.headline_supported else None,
        "objective_name": plan.objective_name,
        "holding_back": [c.sentence for c in plan.binding_constraints[:2]],
        "conflicts": list(plan.conflicting_constraints),
        "decisions": plan.decisions.height,
        "currency": currency,
    }
    if plan.credibility is not None:
        facts["headline"] = plan.credibility.headline(plan.currency, horizon)
        facts["reasons"] = list(plan.credibility.reasons)
        facts["downside"] = plan.credibility.downside.impact if plan.headline_supported else None
    return facts


def stored_plans(ctx: CoachContext, plan_type: str | None = None) -> ToolResult:
    """The tenant's plans (or one kind): what each gains or why no gain is promised, what holds it back."""
    wanted = _plan_type(plan_type)
    found = [r for r in _stored_rows(ctx) if wanted is None or r["plan_type"] == wanted]
    plans = []
    for row in found:
        plan = plan_from_row(row)
        plans.append(_summary(plan, ctx.currency))
    facts = {"plan_type": wanted, "plans": plans}
    citations = [_citation(r, ctx) for r in found] or [Citation("ml/plans", None, None, None, "Plans")]
    return ToolResult(
        "stored_plans",
        facts,
        citations,
        rows=[{k: p[k] for k in ("title", "expected_impact")} for p in plans],
    )


def staffing_on_day(ctx: CoachContext, weekday: int) -> ToolResult:
    """How many people the roster plan puts on a weekday (Monday = 0), their hours and wage cost."""
    if not 0 <= weekday <= 6:
        raise CoachInputError(f"weekday {weekday} is not a day of the week", "Monday is 0, Sunday 6")
    found = [r for r in _stored_rows(ctx) if r["plan_type"] == "staffing"]
    name = calendar.day_name[weekday]
    facts: dict[str, Any] = {"weekday": name, "available": bool(found)}
    if not found:
        return ToolResult("staffing_on_day", facts, [Citation("ml/plans", None, None, None, "Plans")])
    row = found[0]
    plan = plan_from_row(row)
    decisions = plan.decisions
    day_rows = [d for d in decisions.to_dicts() if name.lower()[:3] in str(d.get("day_label") or "").lower()]
    facts.update(
        {
            "people": len({d["employee_id"] for d in day_rows}),
            "hours": sum(int(d["hours"]) for d in day_rows),
            "wage_cost": sum(float(d["wage_cost"]) for d in day_rows),
            "days_in_plan": len({d["day"] for d in day_rows}),
            "feasible": plan.feasible,
        }
    )
    table = [
        {"who": d["employee_name"], "day": d["day_label"], "from": d["start_hour"], "to": d["end_hour"]}
        for d in day_rows
    ]
    return ToolResult("staffing_on_day", facts, [_citation(row, ctx)], rows=table)


#: The bound a what-if moves per plan type, its words, and the range the owner's number must lie in.
WHAT_IF_FIELDS = {
    "inventory": ("purchasing_budget", "purchasing budget", "money"),
    "staffing": ("service_level", "service level", "share"),
    "pricing": ("max_change", "largest price change", "share"),
    "budget": ("budget", "marketing budget", "money"),
}
SHARE_RANGES = {"service_level": (0.5, 0.99), "max_change": (0.0, 0.5)}


def what_if(ctx: CoachContext, plan_type: str, value: float) -> ToolResult:
    """Re-solve the stored plan with one bound set to the owner's number (validated; nothing is saved)."""
    kind = _plan_type(plan_type)
    assert kind is not None
    found = [r for r in _stored_rows(ctx) if r["plan_type"] == kind]
    field_name, words, unit = WHAT_IF_FIELDS[kind]
    if not found or found[0]["problem"] is None:
        # Nothing to re-solve: say so, citing the plans as stored (the Plans page shows why).
        citations = [_citation(found[0], ctx)] if found else [Citation("ml/plans", None, None, None, "Plans")]
        missing = {"plan_type": kind, "title": PLAN_TITLES[kind], "field": words, "available": False}
        return ToolResult("what_if", missing, citations)
    row = found[0]
    problem = problem_from_dict(row["problem"])
    current = getattr(problem, field_name, None)
    if current is None:
        raise CoachInputError(
            f"the {PLAN_TITLES[kind]} plan has no {words} to change", "ask about another plan"
        )
    if unit == "share":
        share = value / 100.0 if value > 1 else value
        low, high = SHARE_RANGES[field_name]
        if not low <= share <= high:
            raise CoachInputError(
                f"a {words} of {value:g} is outside what Keel can plan for",
                f"name a {words} between {low:.0%} and {high:.0%}",
            )
        new_value = share
    else:
        ceiling = max(10.0 * float(current), 1.0)
        if not 0 < value <= ceiling:
            raise CoachInputError(
                f"a {words} of {value:,.2f} is outside what Keel can plan for",
                f"name an amount above zero and at most ten times today's ({float(current):,.2f})",
            )
        new_value = float(value)
    stored = plan_from_row(row)
    changed: Any = dataclasses.replace(problem, **{field_name: new_value})  # type: ignore[arg-type]
    result = SOLVERS[kind](changed, WHAT_IF_SETTINGS)
    horizon = describe_horizon(result.horizon, result.period)
    facts: dict[str, Any] = {
        "available": True,
        "plan_type": kind,
        "title": PLAN_TITLES[kind],
        "field": words,
        "unit": unit,
        "old_value": float(current),
        "new_value": new_value,
        "feasible": result.feasible,
        "headline_supported": result.headline_supported,
        "new_impact": result.expected_impact if result.headline_supported else None,
        "stored_impact": stored.expected_impact if stored.headline_supported else None,
        "explanation": result.explanation if not result.feasible else "",
        "horizon": horizon,
    }
    if result.credibility is not None and not result.headline_supported:
        facts["headline"] = result.credibility.headline(result.currency, horizon)
    return ToolResult("what_if", facts, [_citation(row, ctx)])
