"""Problems and plans as JSON-ready dictionaries and back: what ``ml.plans`` stores and the console re-solves.

A stored plan keeps the problem it was made from (``problem_to_dict``), so that

* the asset check can re-check the stored decisions against the stored problem
  (:func:`~models_ml.optimization.check_plan_constraints` on :func:`plan_from_dict` and
  :func:`problem_from_dict`), without trusting the solver or re-reading the marts;
* the console's what-if control can move one bound of the very same problem and solve it again.

Every value is plain JSON: tuples become lists, frozensets sorted lists, polars frames a mapping of column
lists, infinities ``null``. :func:`problem_from_dict` rebuilds the dataclasses, so their own validation runs
again on whatever was stored.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import polars as pl

from models_ml.optimization import budget, inventory, pricing, staffing
from models_ml.optimization.budget import BudgetProblem, Channel, ResponseCurve
from models_ml.optimization.credibility import Credibility
from models_ml.optimization.inventory import InventoryProblem, InventoryProduct
from models_ml.optimization.plan import CREDIBILITY_KEY, BindingConstraint, OptimizationInputError, Plan
from models_ml.optimization.pricing import Elasticity, PricedProduct, PricingProblem
from models_ml.optimization.staffing import Availability, Employee, ShiftAssignment, StaffingProblem

Problem = InventoryProblem | StaffingProblem | PricingProblem | BudgetProblem

PROBLEM_TYPES: dict[type, str] = {
    InventoryProblem: "inventory",
    StaffingProblem: "staffing",
    PricingProblem: "pricing",
    BudgetProblem: "budget",
}

#: Column types of each plan type's decision rows, to rebuild the frame from stored records.
DECISION_SCHEMAS: dict[str, Mapping[str, type[pl.DataType]]] = {
    "inventory": inventory.DECISION_SCHEMA,
    "staffing": staffing.DECISION_SCHEMA,
    "pricing": pricing.DECISION_SCHEMA,
    "budget": budget.DECISION_SCHEMA,
}

#: Columns of a stored plan (table ``ml.plans``, written by the Dagster asset, read by the console).
PLAN_TABLE_COLUMNS: tuple[str, ...] = (
    "tenant_id",
    "plan_type",
    "horizon",
    "period",
    "status",
    "decisions",
    "objective_name",
    "objective_sense",
    "objective_value",
    "current_policy_value",
    "expected_impact",
    "currency",
    "binding_constraints",
    "conflicting_constraints",
    "explanation",
    "notes",
    "metrics",
    "inputs",
    "problem",
    "solver",
    "solve_seconds",
    "total_seconds",
    "optimality_gap",
    "run_id",
)


def problem_to_dict(problem: Problem) -> dict[str, Any]:
    """The problem as JSON-ready values, with its ``plan_type``."""
    plan_type = PROBLEM_TYPES.get(type(problem))
    if plan_type is None:
        raise OptimizationInputError(f"cannot serialize a {type(problem).__name__}: not a planning problem")
    values = {field.name: _plain(getattr(problem, field.name)) for field in dataclasses.fields(problem)}
    return {"plan_type": plan_type, **values}


def problem_from_dict(data: Mapping[str, Any]) -> Problem:
    """The problem :func:`problem_to_dict` wrote; its dataclasses validate the values again."""
    plan_type = data.get("plan_type")
    values = {key: value for key, value in data.items() if key != "plan_type"}
    try:
        if plan_type == "inventory":
            return InventoryProblem(
                **{
                    **values,
                    "products": tuple(
                        InventoryProduct(**{**p, "on_order": tuple(p.get("on_order") or ())})
                        for p in values["products"]
                    ),
                    "demand": _frame(values["demand"]),
                    "period_labels": _tuple_or_none(values.get("period_labels")),
                    "context": dict(values.get("context") or {}),
                }
            )
        if plan_type == "staffing":
            return StaffingProblem(
                **{
                    **values,
                    "employees": tuple(_employee(e) for e in values["employees"]),
                    "demand": _frame(values["demand"]),
                    "current_roster": tuple(ShiftAssignment(**s) for s in values["current_roster"]),
                    "skill_requirements": None
                    if values.get("skill_requirements") is None
                    else _frame(values["skill_requirements"]),
                    "shift_lengths": tuple(values["shift_lengths"]),
                    "day_labels": _tuple_or_none(values.get("day_labels")),
                    "context": dict(values.get("context") or {}),
                }
            )
        if plan_type == "pricing":
            return PricingProblem(
                **{
                    **values,
                    "products": tuple(PricedProduct(**p) for p in values["products"]),
                    "elasticities": tuple(Elasticity(**e) for e in values["elasticities"]),
                    "price_endings": _tuple_or_none(values.get("price_endings")),
                    "tier_order": tuple(tuple(pair) for pair in values.get("tier_order") or ()),
                    "context": dict(values.get("context") or {}),
                }
            )
        if plan_type == "budget":
            return BudgetProblem(
                **{
                    **values,
                    "channels": tuple(_channel(c) for c in values["channels"]),
                    "context": dict(values.get("context") or {}),
                }
            )
    except (KeyError, TypeError) as exc:
        raise OptimizationInputError(f"stored {plan_type} problem is malformed: {exc}") from exc
    raise OptimizationInputError(f"stored problem has unknown plan_type {plan_type!r}")


def plan_from_dict(data: Mapping[str, Any]) -> Plan:
    """A :class:`Plan` from :meth:`Plan.to_dict` output (decisions typed by the plan type's schema)."""
    plan_type = data.get("plan_type")
    if plan_type not in DECISION_SCHEMAS:
        raise OptimizationInputError(f"stored plan has unknown plan_type {plan_type!r}")
    schema = DECISION_SCHEMAS[plan_type]
    records = list(data.get("decisions") or [])
    unknown = sorted({key for record in records for key in record} - set(schema))
    if unknown:
        raise OptimizationInputError(f"stored {plan_type} decisions have unknown columns {unknown}")
    objective = data.get("objective") or {}
    inputs = dict(data.get("inputs") or {})
    stored_credibility = inputs.pop(CREDIBILITY_KEY, None)
    try:
        credibility = None if stored_credibility is None else Credibility.from_dict(stored_credibility)
    except (KeyError, TypeError, ValueError) as exc:
        raise OptimizationInputError(
            f"stored {plan_type} plan has a malformed credibility record: {exc}"
        ) from exc
    return Plan(
        plan_type=plan_type,
        horizon=int(data["horizon"]),
        period=str(data["period"]),
        status=data["status"],
        feasible=bool(data["feasible"]),
        decisions=pl.DataFrame(records, schema=dict(schema), orient="row")
        if records
        else pl.DataFrame(schema=dict(schema)),
        objective_name=str(objective.get("name", "")),
        objective_sense=objective.get("sense", "maximize"),
        objective_value=_number(objective.get("value")),
        current_policy_value=_number(data.get("current_policy_value")),
        expected_impact=_number(data.get("expected_impact")),
        binding_constraints=tuple(BindingConstraint(**b) for b in data.get("binding_constraints") or ()),
        conflicting_constraints=tuple(data.get("conflicting_constraints") or ()),
        explanation=str(data.get("explanation", "")),
        notes=tuple(data.get("notes") or ()),
        metrics={key: value for key, value in (data.get("metrics") or {}).items() if value is not None},
        solver=str(data.get("solver", "")),
        solve_seconds=float(data.get("solve_seconds") or 0.0),
        total_seconds=float(data.get("total_seconds") or 0.0),
        optimality_gap=_number(data.get("optimality_gap")),
        currency=str(data.get("currency", "$")),
        inputs=inputs,
        credibility=credibility,
    )


def plan_from_row(row: Mapping[str, Any]) -> Plan:
    """A :class:`Plan` from a flat ``ml.plans`` row (objective columns ``objective_name, _sense, _value``).

    Only for rows a planner produced (not the ``not_applicable`` or ``error`` rows the asset adds).
    """
    return plan_from_dict(
        {
            **row,
            "feasible": row["status"] in ("optimal", "feasible"),
            "objective": {
                "name": row.get("objective_name"),
                "sense": row.get("objective_sense"),
                "value": row.get("objective_value"),
            },
        }
    )


def _plain(value: Any) -> Any:
    if isinstance(value, pl.DataFrame):
        return {"columns": value.columns, "data": value.to_dict(as_series=False)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, frozenset | set):
        return sorted(_plain(item) for item in value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def _frame(data: Mapping[str, Any]) -> pl.DataFrame:
    columns = data["columns"]
    return pl.DataFrame({column: data["data"][column] for column in columns})


def _tuple_or_none(value: Any) -> tuple[Any, ...] | None:
    return None if value is None else tuple(value)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _employee(data: Mapping[str, Any]) -> Employee:
    availability = data.get("availability")
    return Employee(
        **{
            **data,
            "skills": frozenset(data.get("skills") or ()),
            "availability": None if availability is None else tuple(Availability(**w) for w in availability),
        }
    )


def _channel(data: Mapping[str, Any]) -> Channel:
    curve = dict(data["curve"])
    # Non-finite numbers were stored as null: r_squared unknown, no observed spend limit.
    curve["r_squared"] = math.nan if curve.get("r_squared") is None else curve["r_squared"]
    curve["max_observed_spend"] = (
        math.inf if curve.get("max_observed_spend") is None else curve["max_observed_spend"]
    )
    return Channel(**{**data, "curve": ResponseCurve(**curve)})
