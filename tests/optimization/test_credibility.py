"""Plans say how far their promise can be trusted: support of the inputs, downside, safe step.

The cases are built unlike the simulator on purpose: a response curve fitted on noisy spend that explains
little, a well-fitted curve whose optimum lies beyond any spend ever observed, a price change that rests
on an assumed elasticity. Each must withhold its headline gain, say why, show its downside and offer a
safe step; well-supported plans keep their headline, with the downside next to it.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from models_ml.optimization import (
    BudgetProblem,
    Channel,
    Elasticity,
    PricedProduct,
    PricingProblem,
    ResponseCurve,
    check_plan_constraints,
    fit_response_curve,
    plan_budget,
    plan_inventory,
    plan_pricing,
    plan_staffing,
)
from models_ml.optimization.credibility import MIN_FIT, Credibility
from models_ml.optimization.plan import OptimizationInputError, Plan
from models_ml.optimization.serialization import plan_from_dict, plan_from_row
from models_ml.optimization.synthetic import demo_tenant

DAYS = 28


def _noisy_budget(seed: int = 3) -> BudgetProblem:
    """Search's daily revenue barely follows its spend (the fit explains little); Email's follows closely."""
    rng = np.random.default_rng(seed)
    search_spend = rng.uniform(20, 60, 120)
    search = fit_response_curve(
        search_spend, 200 * np.log1p(search_spend / 50) + rng.normal(0, 80, 120), "search"
    )
    email_spend = rng.uniform(20, 60, 120)
    email = fit_response_curve(email_spend, 30 * np.log1p(email_spend / 50) + rng.normal(0, 2, 120), "email")
    return BudgetProblem(
        (
            Channel("search", "Search ads", search, current_spend=DAYS * 30),
            Channel("email", "Email", email, current_spend=DAYS * 30),
        ),
        budget=DAYS * 60,
        horizon_days=DAYS,
    )


def _extrapolating_budget() -> BudgetProblem:
    """Curves that fit well, but were only ever seen at up to $40 a day; the optimum lies far beyond."""
    curves = {
        "search": ResponseCurve(
            "search", "log", 0.0, 400.0, 150.0, r_squared=0.9, n_days=200, max_observed_spend=40
        ),
        "social": ResponseCurve(
            "social", "log", 0.0, 60.0, 60.0, r_squared=0.9, n_days=200, max_observed_spend=40
        ),
    }
    return BudgetProblem(
        tuple(Channel(name, name.title(), curve, current_spend=DAYS * 30) for name, curve in curves.items()),
        budget=DAYS * 200,
        horizon_days=DAYS,
    )


def _assumed_elasticity_pricing() -> PricingProblem:
    """No elasticity was estimated: the planner falls back on the retail prior, and cuts a price."""
    product = PricedProduct(
        "tea", "Tea bags", current_price=5.99, unit_cost=1.0, base_demand=300, min_price=4.99, max_price=6.99
    )
    return PricingProblem((product,), elasticities=(), max_change=0.2, prior_elasticity=-2.5, prior_sd=1.0)


@pytest.fixture(scope="module")
def demo_plans() -> dict[str, Plan]:
    """The four plans of the synthetic demo tenant, solved once for this module."""
    tenant = demo_tenant(seed=0)
    return {
        "inventory": plan_inventory(tenant.inventory),
        "staffing": plan_staffing(tenant.staffing),
        "pricing": plan_pricing(tenant.pricing),
        "budget": plan_budget(tenant.budget),
    }


def _round_trip(plan: Plan) -> Plan:
    return plan_from_dict(json.loads(plan.to_json()))


def test_a_curve_that_explains_little_gets_no_headline_but_a_safe_step() -> None:
    problem = _noisy_budget()
    search = problem.channels[0].curve
    assert search.r_squared < MIN_FIT < problem.channels[1].curve.r_squared
    plan = plan_budget(problem)
    assert check_plan_constraints(plan, problem) == []
    credibility = plan.credibility
    assert credibility is not None and not plan.headline_supported
    support = {s.subject: s for s in credibility.supports}
    assert support["Search ads"].level == "weak" and support["Email"].level == "supported"
    assert support["Search ads"].fit == pytest.approx(search.r_squared)
    assert support["Search ads"].observations == 120
    assert support["Search ads"].observed_low == pytest.approx(search.min_observed_spend)
    assert support["Search ads"].observed_high == pytest.approx(search.max_observed_spend)
    assert any(f"explains {search.r_squared:.0%}" in reason for reason in credibility.reasons)
    # No gain is presented as a headline; the reasons and the safe step are, in words.
    assert credibility.expected.impact == pytest.approx(plan.expected_impact)
    assert "Compared with your current split" not in plan.explanation
    assert "No gain is promised" in plan.explanation and "Safe step: test the new split" in plan.explanation
    # The downside reads the extra money on the weak curve as bringing nothing: below the expected gain.
    assert credibility.downside.impact < credibility.expected.impact - 100
    step = credibility.safe_step
    assert step is not None
    # The step moves a quarter of the way and stays within the spend Search has ever had.
    assert step.values["Search ads"] == pytest.approx(
        DAYS * 30 + 0.25 * (plan.decisions["planned_spend"][0] - DAYS * 30)
    )
    assert step.values["Search ads"] <= search.max_observed_spend * DAYS + 0.01
    assert abs(step.downside_impact) < abs(credibility.downside.impact)


def test_an_optimum_beyond_any_spend_observed_is_not_promised() -> None:
    problem = _extrapolating_budget()
    plan = plan_budget(problem)
    credibility = plan.credibility
    assert credibility is not None and not credibility.headline_supported
    assert all(s.level == "supported" for s in credibility.supports)  # the fit is fine...
    search = next(s for s in credibility.supports if s.subject == "Search")
    assert search.within_observed_range is False and search.planned is not None and search.planned > 40 * 1.05
    assert any("more than the $40 a day it has ever had" in reason for reason in credibility.reasons)
    # ...but beyond $40 a day the downside counts nothing, and the safe step never goes there.
    assert credibility.downside.impact < 0.5 * credibility.expected.impact
    step = credibility.safe_step
    assert step is not None
    assert step.values["Search"] <= 40 * DAYS + 0.01
    assert step.expected_impact < credibility.expected.impact


def test_a_well_supported_split_keeps_its_headline_with_the_downside_beside_it() -> None:
    curves = {
        "search": ResponseCurve(
            "search", "log", 0.0, 400.0, 150.0, r_squared=0.8, n_days=200, max_observed_spend=900
        ),
        "social": ResponseCurve(
            "social", "log", 0.0, 60.0, 60.0, r_squared=0.7, n_days=200, max_observed_spend=900
        ),
    }
    problem = BudgetProblem(
        tuple(Channel(n, n.title(), c, current_spend=DAYS * 100) for n, c in curves.items()),
        budget=DAYS * 200,
        horizon_days=DAYS,
    )
    plan = plan_budget(problem)
    credibility = plan.credibility
    assert credibility is not None and plan.headline_supported and credibility.safe_step is None
    assert credibility.reasons == ()
    assert 0 < credibility.downside.impact < credibility.expected.impact
    assert "Compared with your current split, this plan gives" in plan.explanation
    headline = credibility.headline("$", "the next 28 days")
    assert headline.startswith("Expected gain over the next 28 days: $")
    assert "if the channels that get more money bring only" in headline
    assert plan.metrics["downside_impact"] == pytest.approx(credibility.downside.impact)


def test_a_price_change_on_an_assumed_elasticity_shows_its_downside_and_a_test() -> None:
    problem = _assumed_elasticity_pricing()
    plan = plan_pricing(problem)
    assert plan.decisions["new_price"][0] != pytest.approx(5.99)  # the prior makes a change look worth it
    assert plan.expected_impact is not None and plan.expected_impact > 0
    credibility = plan.credibility
    assert credibility is not None and not plan.headline_supported
    (support,) = credibility.supports
    assert support.level == "assumed" and "assumed elasticity -2.5" in support.evidence
    assert any("never measured" in reason for reason in credibility.reasons)
    # The downside (customers reacting at the unfavourable end) is in the record, and it is a loss.
    assert credibility.downside.impact < 0
    assert credibility.downside.impact == pytest.approx(plan.metrics["pessimistic_impact"])
    step = credibility.safe_step
    assert step is not None and step.description.startswith("test one smaller change first: Tea bags at")
    assert "Compared with today's prices" not in plan.explanation
    assert "No gain is promised" in plan.explanation
    # On a finer price grid the test is a smaller move: about halfway to the planned price.
    fine = dataclasses.replace(problem, price_endings=None, price_step=0.1)
    plan = plan_pricing(fine)
    planned = plan.decisions["new_price"][0]
    step = plan.credibility.safe_step if plan.credibility is not None else None
    assert step is not None and planned < step.values["Tea bags"] < 5.99
    assert step.values["Tea bags"] == pytest.approx((planned + 5.99) / 2, abs=0.06)


def test_prices_on_strong_evidence_keep_the_headline_and_prices_never_charged_do_not() -> None:
    product = PricedProduct(
        "tea", "Tea bags", current_price=5.99, unit_cost=1.0, base_demand=300, min_price=4.99, max_price=6.99
    )
    strong = (Elasticity("tea", -2.5, -2.9, -2.1, "strong"),)
    plan = plan_pricing(PricingProblem((product,), strong, max_change=0.2))
    assert plan.credibility is not None and plan.headline_supported
    assert plan.credibility.downside.impact < plan.credibility.expected.impact
    assert "unfavourable end of the evidence" in plan.credibility.headline("$", "this week")
    # The same evidence, but the shop has only ever charged between $5.79 and $5.99.
    narrow = PricedProduct(
        **{**product.__dict__, "lowest_observed_price": 5.79, "highest_observed_price": 5.99}
    )
    plan = plan_pricing(PricingProblem((narrow,), strong, max_change=0.2))
    assert plan.credibility is not None and not plan.headline_supported
    assert plan.credibility.supports[0].within_observed_range is False
    assert any("outside the prices ever charged" in reason for reason in plan.credibility.reasons)


def test_mixed_evidence_keeps_only_the_supported_price_changes_as_the_safe_step() -> None:
    products = (
        PricedProduct("a", "Latte", 4.0, 1.0, 400, 3.0, 5.0),
        PricedProduct("b", "Cookie", 2.0, 0.5, 300, 1.5, 2.5),
    )
    evidence = (Elasticity("a", -0.6, -0.9, -0.3, "strong"), Elasticity("b", -2.4, -3.5, -1.3, "weak"))
    plan = plan_pricing(
        PricingProblem(products, evidence, max_change=0.2, price_endings=None, price_step=0.1)
    )
    credibility = plan.credibility
    assert credibility is not None and not credibility.headline_supported
    assert any("Cookie is weak" in reason for reason in credibility.reasons)
    step = credibility.safe_step
    assert step is not None and set(step.values) == {"Latte"}
    assert step.description.startswith("change only the prices the evidence supports: Latte to")


def test_inventory_and_staffing_records_show_downside_and_service_risk(demo_plans: dict[str, Plan]) -> None:
    inventory = demo_plans["inventory"]
    assert inventory.credibility is not None and inventory.headline_supported
    assert inventory.credibility.downside.impact < inventory.credibility.expected.impact
    assert inventory.credibility.expected.impact == pytest.approx(inventory.expected_impact)
    assert "worst tenth of the forecast's demand outcomes" in inventory.explanation
    staffing = demo_plans["staffing"]
    assert staffing.credibility is not None and staffing.headline_supported
    assert staffing.credibility.caveat in staffing.explanation
    assert (
        "staff-hours short" in staffing.credibility.caveat
        or "covers every hour" in staffing.credibility.caveat
    )


def test_the_record_round_trips_through_storage_for_every_plan_type(demo_plans: dict[str, Plan]) -> None:
    plans = [
        *demo_plans.values(),
        plan_budget(_noisy_budget()),
        plan_pricing(_assumed_elasticity_pricing()),
    ]
    for plan in plans:
        assert plan.credibility is not None
        stored = json.loads(plan.to_json())
        # Stored inside the plan's inputs: ml.plans needs no new column.
        assert "credibility" in stored["inputs"] and "credibility" not in stored
        back = _round_trip(plan)
        assert back.credibility == plan.credibility, plan.plan_type
        assert back.inputs == plan.inputs
        row = {
            **stored,
            "objective_name": plan.objective_name,
            "objective_sense": plan.objective_sense,
            "objective_value": plan.objective_value,
        }
        assert plan_from_row(row).credibility == plan.credibility


def test_a_stored_plan_without_or_with_a_broken_record() -> None:
    plan = plan_budget(_noisy_budget())
    stored = json.loads(plan.to_json())
    del stored["inputs"]["credibility"]
    older = plan_from_dict(stored)
    assert older.credibility is None and older.headline_supported  # plans stored before the record
    stored["inputs"]["credibility"] = {"headline_supported": False, "supports": []}
    with pytest.raises(OptimizationInputError, match="malformed credibility record"):
        plan_from_dict(stored)
    with pytest.raises(ValueError, match="must say why"):
        Credibility.from_dict({**plan.credibility.to_dict(), "reasons": []})  # type: ignore[union-attr]
