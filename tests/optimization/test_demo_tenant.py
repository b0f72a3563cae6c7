"""All four plans of one demo-sized tenant: valid, checked, serializable; and the checker's own rules."""

from __future__ import annotations

import dataclasses
import json

from models_ml.optimization import (
    check_plan_constraints,
    plan_budget,
    plan_inventory,
    plan_pricing,
    plan_staffing,
)
from models_ml.optimization.synthetic import demo_tenant


def test_demo_tenant_gets_four_valid_explained_plans() -> None:
    tenant = demo_tenant(seed=0)
    plans = {
        "inventory": (plan_inventory(tenant.inventory), tenant.inventory),
        "staffing": (plan_staffing(tenant.staffing), tenant.staffing),
        "pricing": (plan_pricing(tenant.pricing), tenant.pricing),
        "budget": (plan_budget(tenant.budget), tenant.budget),
    }
    for plan_type, (plan, problem) in plans.items():
        assert plan.plan_type == plan_type
        assert plan.feasible and plan.status in ("optimal", "feasible")
        assert check_plan_constraints(plan, problem) == [], plan_type
        assert plan.optimality_gap is not None and plan.optimality_gap < 0.01
        assert plan.expected_impact is not None and plan.current_policy_value is not None
        assert plan.explanation and plan.decisions.height > 0
        data = json.loads(plan.to_json())
        assert data["plan_type"] == plan_type and len(data["decisions"]) == plan.decisions.height
        assert all(b["sentence"] in plan.explanation for b in data["binding_constraints"])


def test_checker_rejects_mismatched_and_inconsistent_plans() -> None:
    tenant = demo_tenant(seed=0)
    plan = plan_budget(tenant.budget)
    assert check_plan_constraints(plan, tenant.pricing) == [
        "a budget plan cannot be checked against a pricing problem"
    ]
    marked_infeasible = dataclasses.replace(plan, feasible=False, status="infeasible")
    assert check_plan_constraints(marked_infeasible, tenant.budget) == [
        "a plan marked infeasible carries decisions"
    ]
    renamed = plan.decisions.rename({"planned_spend": "spend"})
    assert check_plan_constraints(dataclasses.replace(plan, decisions=renamed), tenant.budget) == [
        "decisions lack columns ['planned_spend']"
    ]
