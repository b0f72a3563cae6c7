"""The Plans page through Streamlit's AppTest, on the real test warehouse.

Two tenants get plans stored in ``ml.plans`` the way the ``ml_plans`` asset stores them (solved here from the
library's seeded instances, so the test is about the page): the page shows each plan's impact, explanation
and binding constraints, says why a plan does not apply, re-solves a what-if with one bound moved (and the
numbers change as the library says they should), and shows a signed-in user their own tenant's plans only.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from app.plans import NOT_PROMISED
from app.words import money
from keel import warehouse
from keel.settings import KeelSettings
from keel.tenancy import create_tenant
from models_ml.optimization import (
    BudgetProblem,
    InventoryProblem,
    Plan,
    plan_budget,
    plan_inventory,
    plan_pricing,
)
from models_ml.optimization.synthetic import budget_instance, inventory_instance, pricing_instance
from models_ml.optimization.tenant_plans import plan_row, unplanned_row
from orchestration.defs.ml.tables import replace_tenant_plans
from tests.app.pages import signed_in_page

NO_STAFF = "No staffing plan: no timecards in the last 4 weeks."


@dataclasses.dataclass(frozen=True)
class StoredTenant:
    tenant_id: uuid.UUID
    plans: dict[str, Plan]
    problems: dict[str, Any]


@pytest.fixture(scope="module")
def stored(settings: KeelSettings) -> Iterator[dict[str, StoredTenant]]:
    a = create_tenant("plans-page-a", "Plans Page A", industry="retail_shop").tenant_id
    b = create_tenant("plans-page-b", "Plans Page B", industry="salon").tenant_id
    problems_a: dict[str, Any] = {
        "inventory": inventory_instance(n_products=4, horizon=2, n_scenarios=40, seed=3),
        "pricing": pricing_instance(n_products=6, seed=3),
        "budget": budget_instance(n_channels=3, seed=3),
    }
    problems_b: dict[str, Any] = {
        "budget": budget_instance(n_channels=2, seed=11),
        # A margin floor no price in range can meet: an infeasible plan that names the conflict.
        "pricing": dataclasses.replace(pricing_instance(n_products=4, seed=5), margin_floor=0.95),
    }
    solvers: dict[str, Callable[[Any], Plan]] = {
        "inventory": plan_inventory,
        "pricing": plan_pricing,
        "budget": plan_budget,
    }
    tenants = {}
    rows: list[dict[str, Any]] = []
    for tenant_id, problems in ((a, problems_a), (b, problems_b)):
        plans = {kind: solvers[kind](problem) for kind, problem in problems.items()}
        rows.extend(
            plan_row(str(tenant_id), plan, problems[kind], "run-page-test") for kind, plan in plans.items()
        )
        rows.append(
            unplanned_row(str(tenant_id), "staffing", "not_applicable", NO_STAFF, 0.0, "run-page-test")
        )
        tenants[str(tenant_id)] = StoredTenant(tenant_id, plans, problems)
    with warehouse.connect("keel_transformer") as conn:
        replace_tenant_plans(conn, [str(a), str(b)], rows)
    yield {"a": tenants[str(a)], "b": tenants[str(b)]}
    with warehouse.connect("keel_transformer") as conn:
        conn.execute("delete from ml.plans where tenant_id = any(%s)", ([a, b],))


def page(tenant_id: uuid.UUID) -> AppTest:
    at = signed_in_page("plans", tenant_id)
    assert not at.exception, [e.message for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> Any:
    matches = [m for m in at.metric if m.label == label]
    if not matches:
        raise KeyError(f"no metric {label!r} among {[m.label for m in at.metric]}")
    assert len(matches) == 1, [m.label for m in at.metric]
    return matches[0]


def test_the_page_shows_each_plan_with_impact_explanation_and_binding_constraints(
    stored: dict[str, StoredTenant],
) -> None:
    a = stored["a"]
    at = page(a.tenant_id)
    assert at.title[0].value == "What should I do?"
    # Staffing does not apply to this business: no tab, one sentence
    assert [t.label for t in at.tabs] == ["Inventory", "Pricing", "Marketing budget"]
    for kind, title in (("inventory", "Inventory"), ("pricing", "Pricing"), ("budget", "Marketing budget")):
        plan = a.plans[kind]
        assert plan.expected_impact is not None and plan.credibility is not None
        shown = metric(at, f"{title}: expected impact").value
        assert shown == (money(plan.expected_impact, "USD") if plan.headline_supported else NOT_PROMISED)
        # The downside sits next to the headline, not only in the prose.
        assert metric(at, f"{title}: downside").value == money(plan.credibility.downside.impact, "USD")
        assert any(md.value == plan.explanation for md in at.markdown)
    # Tenant a's pricing rests partly on an assumed elasticity: no gain promised, the reason and a safe step.
    pricing = a.plans["pricing"].credibility
    assert pricing is not None and not pricing.headline_supported and pricing.safe_step is not None
    warnings = [w.value for w in at.warning]
    assert any(w.startswith("No gain is promised") and "Safe step" in w for w in warnings)
    step = metric(at, "Pricing: safe step, expected").value
    assert step == money(pricing.safe_step.expected_impact, "USD")
    assert at.info[0].value == "No staffing plan: no timecards in the last 4 weeks."
    budget_binding = a.plans["budget"].binding_constraints
    assert budget_binding
    tables = [df.value for df in at.dataframe if "Limit" in df.value.columns]
    assert any(set(t["Limit"]) == {b.description for b in budget_binding} for t in tables)
    assert "run-page-test" not in " ".join(c.value for c in at.caption)  # run ids are for analysts


def test_the_what_if_re_solves_and_changes_the_numbers(stored: dict[str, StoredTenant]) -> None:
    a = stored["a"]
    budget_problem: BudgetProblem = a.problems["budget"]
    at = page(a.tenant_id)
    assert at.number_input(key="whatif_budget_budget").value == pytest.approx(budget_problem.budget)
    bigger = round(budget_problem.budget * 1.5, 2)
    at.number_input(key="whatif_budget_budget").set_value(bigger)
    at = at.button(key="whatif_budget_solve").click().run()
    assert not at.exception
    expected = plan_budget(dataclasses.replace(budget_problem, budget=bigger))
    stored_impact = a.plans["budget"].expected_impact
    assert expected.expected_impact is not None and stored_impact is not None
    assert expected.expected_impact > stored_impact + 1
    shown = metric(at, "Marketing budget: what-if impact")
    assert shown.value == money(expected.expected_impact, "USD")
    assert metric(at, "Marketing budget: stored impact").value == money(stored_impact, "USD")

    inventory: InventoryProblem = a.problems["inventory"]
    assert inventory.purchasing_budget is not None
    at.number_input(key="whatif_inventory_purchasing_budget").set_value(
        round(inventory.purchasing_budget / 3)
    )
    at = at.button(key="whatif_inventory_solve").click().run()
    assert not at.exception
    tighter = metric(at, "Inventory: what-if impact")
    assert tighter.value != metric(at, "Inventory: stored impact").value
    assert tighter.delta.startswith("-")  # a third of the budget can only earn less
    # The budget what-if from the previous run is still shown, unchanged.
    assert metric(at, "Marketing budget: what-if impact").value == shown.value


def test_each_tenant_sees_only_its_own_plans(stored: dict[str, StoredTenant]) -> None:
    a, b = stored["a"], stored["b"]
    at = page(b.tenant_id)
    assert [t.label for t in at.tabs] == ["Pricing", "Marketing budget"]
    plan = b.plans["budget"]
    assert plan.expected_impact is not None
    assert metric(at, "Marketing budget: expected impact").value == money(plan.expected_impact, "USD")
    shown = {md.value for md in at.markdown}
    assert b.plans["budget"].explanation in shown
    assert not {p.explanation for p in a.plans.values()} & shown
    assert at.number_input(key="whatif_budget_budget").value == pytest.approx(b.problems["budget"].budget)


def test_an_infeasible_plan_names_the_conflicting_constraints(stored: dict[str, StoredTenant]) -> None:
    b = stored["b"]
    assert b.plans["pricing"].status == "infeasible"
    at = page(b.tenant_id)
    warnings = [w.value for w in at.warning]
    assert any(w.startswith("No set of prices is possible") and "margin floor" in w for w in warnings)
    assert any("margin floor" in md.value for md in at.markdown if md.value.startswith("- "))
    with pytest.raises(KeyError):
        metric(at, "Pricing: expected impact")
    # Loosening the floor in the what-if gives a plan.
    at.slider(key="whatif_pricing_margin_floor").set_value(20)  # percent
    at = at.button(key="whatif_pricing_solve").click().run()
    assert not at.exception
    assert metric(at, "Pricing: what-if impact").value != "-"


def test_a_tenant_without_plans_is_told_what_to_connect(stored: dict[str, StoredTenant]) -> None:
    at = page(create_tenant("plans-not-yet", "Plans Not Yet").tenant_id)  # registered, no plans
    assert at.info[0].value.startswith("No plans yet: Keel has no data of your business")
    assert not at.metric


@pytest.mark.parametrize("bad", [-500.0, 1e15])
def test_what_if_inputs_out_of_range_are_refused_before_solving_and_no_stale_result_stays(
    stored: dict[str, StoredTenant], bad: float
) -> None:
    a = stored["a"]
    budget_problem: BudgetProblem = a.problems["budget"]
    at = page(a.tenant_id)
    bigger = round(budget_problem.budget * 1.5, 2)
    at.number_input(key="whatif_budget_budget").set_value(bigger)
    at = at.button(key="whatif_budget_solve").click().run()
    solved = metric(at, "Marketing budget: what-if impact").value
    assert any(
        c.value.startswith(f"Worked out with marketing budget {money(bigger, 'USD')}") for c in at.caption
    )

    at.number_input(key="whatif_budget_budget").set_value(bad)
    at = at.button(key="whatif_budget_solve").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    limit = money(budget_problem.budget * 10, "USD")
    assert errors == [
        f"Marketing budget {money(bad, 'USD')} "
        + ("cannot be negative" if bad < 0 else "is outside what the plan can work with")
        + f": enter a value from $0.00 to {limit}."
    ]
    # the earlier result (of other inputs) is gone, not shown beside the refused value
    with pytest.raises(KeyError):
        metric(at, "Marketing budget: what-if impact")
    assert solved
