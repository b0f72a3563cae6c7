"""``check_plan_constraints``: does a stored plan satisfy its own problem's constraints?

The check re-derives every constraint from the problem and the plan's decision rows alone (it does not
trust the solver), so the Dagster asset checks on ``ml.plans`` can call it on what was written, and a
tampered or corrupted plan is caught.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from models_ml.optimization.budget import BudgetProblem, allocation_violations
from models_ml.optimization.inventory import InventoryProblem, order_violations
from models_ml.optimization.plan import Plan
from models_ml.optimization.pricing import PricingProblem, price_violations
from models_ml.optimization.staffing import ShiftAssignment, StaffingProblem, roster_violations

Problem = InventoryProblem | StaffingProblem | PricingProblem | BudgetProblem

_PLAN_TYPES: dict[type, str] = {
    InventoryProblem: "inventory",
    StaffingProblem: "staffing",
    PricingProblem: "pricing",
    BudgetProblem: "budget",
}

_REQUIRED_COLUMNS = {
    "inventory": ("product_id", "period", "order_units"),
    "staffing": ("employee_id", "day", "start_hour", "end_hour"),
    "pricing": ("product_id", "new_price"),
    "budget": ("channel_id", "planned_spend"),
}


def check_plan_constraints(plan: Plan, problem: Problem) -> list[str]:
    """Violated constraints of ``plan`` under ``problem``, in words; an empty list means the plan is valid.

    An infeasible plan has nothing to check (it must carry no decisions). The problem should be the one
    the plan was made from (for inventory: the same demand, scenario count and seed).
    """
    expected = _PLAN_TYPES.get(type(problem))
    if expected is None:
        return [f"unknown problem type {type(problem).__name__}"]
    if plan.plan_type != expected:
        return [f"a {plan.plan_type} plan cannot be checked against a {expected} problem"]
    if not plan.feasible:
        return [] if plan.decisions.height == 0 else ["a plan marked infeasible carries decisions"]
    missing = [column for column in _REQUIRED_COLUMNS[expected] if column not in plan.decisions.columns]
    if missing:
        return [f"decisions lack columns {missing}"]
    if isinstance(problem, InventoryProblem):
        return _inventory(plan.decisions, problem)
    if isinstance(problem, StaffingProblem):
        shifts = [
            ShiftAssignment(str(e), int(d), int(s), int(t))
            for e, d, s, t in plan.decisions.select(
                ["employee_id", "day", "start_hour", "end_hour"]
            ).iter_rows()
        ]
        return roster_violations(problem, shifts)
    if isinstance(problem, PricingProblem):
        prices = dict(plan.decisions.select(["product_id", "new_price"]).iter_rows())
        extra = [
            f"price for unknown product {p!r}"
            for p in prices
            if p not in {q.product_id for q in problem.products}
        ]
        return extra + price_violations(problem, prices)
    spends = dict(plan.decisions.select(["channel_id", "planned_spend"]).iter_rows())
    extra = [
        f"spend on unknown channel {c!r}" for c in spends if c not in {q.channel_id for q in problem.channels}
    ]
    return extra + allocation_violations(problem, spends)


def _inventory(decisions: pl.DataFrame, problem: InventoryProblem) -> list[str]:
    index = {product.product_id: p for p, product in enumerate(problem.products)}
    orders = np.zeros((len(problem.products), problem.horizon))
    problems = []
    for product_id, period, units in decisions.select(["product_id", "period", "order_units"]).iter_rows():
        if product_id not in index:
            problems.append(f"order for unknown product {product_id!r}")
        elif not 0 <= int(period) < problem.horizon:
            problems.append(f"order for {product_id!r} in period {period}, outside the horizon")
        else:
            orders[index[product_id], int(period)] += float(units)
    return problems + order_violations(problem, orders)
