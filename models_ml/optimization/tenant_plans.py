"""Planning one tenant: build and solve its four problems, and a table row per plan type.

Every plan type gets a row: the plan (status optimal, feasible, infeasible or no_solution) with the
problem it was solved from, or ``not_applicable`` with the reason when the plan does not fit the kind of
business (a subscription company keeps no stock: the explanation starts with NOT_FOR_KIND and says why, and
``inputs`` holds ``{"business_kind": ..., "applies_to_kind": false}``) or when the tenant lacks the data,
or ``error`` with the error when building or solving failed. One plan's failure
never stops the others. The rows have the columns of ``ml.plans``
(:data:`models_ml.optimization.serialization.PLAN_TABLE_COLUMNS`).
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Any

from keel import telemetry
from models_ml.optimization import (
    Plan,
    SolverSettings,
    plan_budget,
    plan_inventory,
    plan_pricing,
    plan_staffing,
)
from models_ml.optimization.serialization import problem_to_dict
from models_ml.optimization.tenant_problems import (
    PlanningOptions,
    PlanNotApplicable,
    TenantData,
    build_budget_problem,
    build_inventory_problem,
    build_pricing_problem,
    build_staffing_problem,
)

PLAN_TYPES: tuple[str, ...] = ("inventory", "staffing", "pricing", "budget")
PLANNERS: dict[str, tuple[Callable[[TenantData, PlanningOptions], Any], Callable[..., Plan]]] = {
    "inventory": (build_inventory_problem, plan_inventory),
    "staffing": (build_staffing_problem, plan_staffing),
    "pricing": (build_pricing_problem, plan_pricing),
    "budget": (build_budget_problem, plan_budget),
}

#: The explanation of a plan that does not fit the kind of business starts with this.
NOT_FOR_KIND = "Not applicable to this kind of business"

#: Per kind of business (marts.business_profile.business_kind), the plans that do not fit it and why. The
#: others are planned (and may still be not applicable for lack of data: no ads, no timecards).
PLANS_NOT_FOR_KIND: dict[str, dict[str, str]] = {
    "retail": {},
    "food": {},
    "services": {
        "inventory": "a service business sells appointments and time, not goods it keeps in stock",
    },
    "b2b": {
        "inventory": "a business-to-business service firm sells its team's work, not goods it keeps in stock",
        "staffing": "its team is salaried and not scheduled in hourly shifts to meet walk-in demand",
        "pricing": "its prices are agreed per client in retainers and contracts, not shelf prices that daily "
        "sales respond to",
    },
    "subscription": {
        "inventory": "a subscription business sells access to its service, not goods it keeps in stock",
        "staffing": "its team is not scheduled in hourly shifts to meet customer demand",
        "pricing": "plan prices change rarely and act on sign-ups and cancellations over months, which the "
        "daily price model does not measure",
    },
}


def kind_row(
    tenant_id: str, plan_type: str, business_kind: str, run_id: str, currency: str = "$"
) -> dict[str, Any] | None:
    """The ``not_applicable`` row of a plan that does not fit ``business_kind``; None when it fits."""
    why = PLANS_NOT_FOR_KIND.get(business_kind, {}).get(plan_type)
    if why is None:
        return None
    row = unplanned_row(
        tenant_id, plan_type, "not_applicable", f"{NOT_FOR_KIND}: {why}.", 0.0, run_id, currency
    )
    row["inputs"] = {"business_kind": business_kind, "applies_to_kind": False}
    return row


def plan_row(tenant_id: str, plan: Plan, problem: Any, run_id: str) -> dict[str, Any]:
    stored = plan.to_dict()
    return {
        "tenant_id": tenant_id,
        "plan_type": plan.plan_type,
        "horizon": plan.horizon,
        "period": plan.period,
        "status": plan.status,
        "decisions": stored["decisions"],
        "objective_name": plan.objective_name,
        "objective_sense": plan.objective_sense,
        "objective_value": stored["objective"]["value"],
        "current_policy_value": stored["current_policy_value"],
        "expected_impact": stored["expected_impact"],
        "currency": plan.currency,
        "binding_constraints": stored["binding_constraints"],
        "conflicting_constraints": stored["conflicting_constraints"],
        "explanation": plan.explanation,
        "notes": stored["notes"],
        "metrics": stored["metrics"],
        "inputs": stored["inputs"],
        "problem": problem_to_dict(problem),
        "solver": plan.solver,
        "solve_seconds": plan.solve_seconds,
        "total_seconds": plan.total_seconds,
        "optimality_gap": stored["optimality_gap"],
        "run_id": run_id,
    }


def unplanned_row(
    tenant_id: str, plan_type: str, status: str, reason: str, seconds: float, run_id: str, currency: str = "$"
) -> dict[str, Any]:
    """A ``not_applicable`` or ``error`` row: no decisions, the reason as the explanation."""
    return {
        "tenant_id": tenant_id,
        "plan_type": plan_type,
        "horizon": 0,
        "period": "",
        "status": status,
        "decisions": [],
        "objective_name": None,
        "objective_sense": None,
        "objective_value": None,
        "current_policy_value": None,
        "expected_impact": None,
        "currency": currency,
        "binding_constraints": [],
        "conflicting_constraints": [],
        "explanation": reason,
        "notes": [],
        "metrics": {},
        "inputs": {},
        "problem": None,
        "solver": None,
        "solve_seconds": None,
        "total_seconds": seconds,
        "optimality_gap": None,
        "run_id": run_id,
    }


def plan_tenant(
    data: TenantData,
    options: PlanningOptions,
    settings: SolverSettings,
    run_id: str,
    business_kind: str | None = None,
) -> list[dict[str, Any]]:
    """The four rows of one tenant; a plan that does not fit its kind of business, or cannot be built or
    solved, becomes a row that says why."""
    rows = []
    for plan_type, (build, solve) in PLANNERS.items():
        unfit = (
            None
            if business_kind is None
            else kind_row(data.tenant_id, plan_type, business_kind, run_id, data.symbol)
        )
        if unfit is not None:
            rows.append(unfit)
            continue
        started = time.perf_counter()
        try:
            with telemetry.span("keel.plan", plan_type=plan_type, tenant_id=data.tenant_id):
                problem = build(data, options)
                plan = solve(problem, settings)
            rows.append(plan_row(data.tenant_id, plan, problem, run_id))
        except PlanNotApplicable as exc:
            reason = f"No {plan_type} plan: {exc}."
            rows.append(
                unplanned_row(
                    data.tenant_id,
                    plan_type,
                    "not_applicable",
                    reason,
                    time.perf_counter() - started,
                    run_id,
                    data.symbol,
                )
            )
        except Exception as exc:  # one plan's failure must not stop the tenant's others
            reason = f"The {plan_type} plan could not be made: {type(exc).__name__}: {exc}"
            row = unplanned_row(
                data.tenant_id, plan_type, "error", reason, time.perf_counter() - started, run_id, data.symbol
            )
            row["notes"] = traceback.format_exception_only(exc)
            rows.append(row)
    return rows
