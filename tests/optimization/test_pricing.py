"""Pricing plans: brute-force optimality on a small grid, the prior path, rules and infeasibility."""

from __future__ import annotations

import dataclasses
import itertools
import math

import polars as pl
import pytest

from models_ml.optimization import (
    Elasticity,
    PricedProduct,
    PricingProblem,
    check_plan_constraints,
    plan_pricing,
)
from models_ml.optimization.pricing import ElasticityBelief, expected_profit, expected_units
from models_ml.optimization.synthetic import pricing_instance


def _small_problem() -> PricingProblem:
    products = (
        PricedProduct(
            "s",
            "Small latte",
            current_price=3.49,
            unit_cost=0.9,
            base_demand=400,
            min_price=2.99,
            max_price=4.49,
        ),
        PricedProduct(
            "l",
            "Large latte",
            current_price=4.29,
            unit_cost=1.2,
            base_demand=300,
            min_price=3.49,
            max_price=5.49,
        ),
        PricedProduct(
            "c", "Cookie", current_price=1.99, unit_cost=0.6, base_demand=200, min_price=0.99, max_price=2.99
        ),
    )
    elasticities = (
        Elasticity("s", -0.7, -1.1, -0.3, "strong"),
        Elasticity("l", -1.2, -2.5, 0.1, "weak"),
        Elasticity("c", 0.3, -2.0, 2.5, "inconclusive"),
    )
    return PricingProblem(
        products, elasticities, margin_floor=0.4, max_change=0.3, tier_order=(("s", "l"),), min_tier_gap=0.5
    )


def _brute_force(problem: PricingProblem) -> float:
    """Best expected profit over every combination of allowed price points (independent rule check)."""
    options = []
    for product in problem.products:
        allowed = [
            price
            for price in problem.candidate_prices(product)
            if product.min_price - 1e-9 <= price <= product.max_price + 1e-9
            and abs(price / product.current_price - 1) <= problem.max_change + 1e-9
            and price - product.unit_cost >= problem.margin_floor * price - 1e-9
        ]
        options.append([(price, expected_profit(problem, product, price)) for price in allowed])
    best = -math.inf
    for combo in itertools.product(*options):
        prices = {p.product_id: price for p, (price, _) in zip(problem.products, combo, strict=True)}
        if all(prices[b] - prices[a] >= problem.min_tier_gap - 1e-9 for a, b in problem.tier_order):
            best = max(best, sum(profit for _, profit in combo))
    return best


def test_prices_are_optimal_against_brute_force_on_a_small_grid() -> None:
    problem = _small_problem()
    plan = plan_pricing(problem)
    assert plan.status == "optimal"
    assert plan.objective_value == pytest.approx(_brute_force(problem), abs=0.01)
    assert check_plan_constraints(plan, problem) == []
    prices = dict(plan.decisions.select(["product_id", "new_price"]).iter_rows())
    assert all(
        f"{price:.2f}".endswith(".99") or price == p.current_price
        for p in problem.products
        for price in [prices[p.product_id]]
    )


def test_step_grid_is_also_optimal() -> None:
    problem = dataclasses.replace(_small_problem(), price_endings=None, price_step=0.25, tier_order=())
    plan = plan_pricing(problem)
    assert plan.objective_value == pytest.approx(_brute_force(problem), abs=0.01)


def test_inconclusive_elasticity_uses_the_documented_prior_and_says_so() -> None:
    problem = _small_problem()
    plan = plan_pricing(problem)
    cookie = plan.decisions.filter(pl.col("product_id") == "c").row(0, named=True)
    assert cookie["elasticity_used"] == -1.5
    assert cookie["elasticity_source"] == "retail prior (inconclusive evidence)"
    assert any(note.startswith("Cookie: retail prior") and "-1.5" in note for note in plan.notes)
    missing = dataclasses.replace(problem, elasticities=problem.elasticities[:2]).belief("c")
    assert (missing.mean, missing.source) == (-1.5, "retail prior (no elasticity estimate)")


def test_the_prior_moves_the_price_where_the_prior_says() -> None:
    # A positive but inconclusive estimate must not be trusted: under the prior -1.5 ± 0.5 the expected
    # profit (p - 0.6) * E[(p / 2.5)^e] peaks below today's $2.50; a strong -0.8 pushes the price up.
    product = PricedProduct(
        "c", "Cookie", current_price=2.5, unit_cost=0.6, base_demand=100, min_price=1.0, max_price=4.0
    )
    base = PricingProblem((product,), price_endings=None, price_step=0.05, max_change=0.5)
    prior = plan_pricing(
        dataclasses.replace(base, elasticities=(Elasticity("c", 0.4, -1.0, 1.8, "inconclusive"),))
    )
    strong = plan_pricing(
        dataclasses.replace(base, elasticities=(Elasticity("c", -0.8, -0.9, -0.7, "strong"),))
    )

    def by_hand(price: float) -> float:  # E[(p/2.5)^e] for e ~ N(-1.5, 0.5²), times the margin and 100 units
        return (
            100 * (price - 0.6) * math.exp(-1.5 * math.log(price / 2.5) + 0.125 * math.log(price / 2.5) ** 2)
        )

    best = max(by_hand(round(0.05 * k, 2)) for k in range(25, 76))  # $1.25 .. $3.75, the 50% band
    assert prior.decisions["new_price"][0] < 2.5
    assert prior.objective_value == pytest.approx(best, abs=0.01)
    assert strong.decisions["new_price"][0] == pytest.approx(3.75)  # the 50% change limit
    assert "inconclusive, so the plan assumes a typical retail elasticity of -1.5" in prior.explanation


def test_weak_evidence_is_shrunk_toward_the_prior() -> None:
    belief = _small_problem().belief("l")
    assert -1.5 < belief.mean < -1.2
    assert belief.source == "weak evidence, shrunk toward the retail prior"


def test_expected_units_average_over_the_elasticity_interval() -> None:
    product = _small_problem().products[0]
    certain = ElasticityBelief(-1.0, 0.0, "x", -1.0, -1.0)
    assert expected_units(product, 2 * product.current_price, certain) == pytest.approx(200)
    uncertain = ElasticityBelief(-1.0, 0.5, "x", -2.0, 0.0)
    # E[2^-e] with e ~ N(1, 0.25) = 2^-1 * exp(0.125 * ln(2)^2)
    assert expected_units(product, 2 * product.current_price, uncertain) == pytest.approx(
        400 * 0.5 * math.exp(0.125 * math.log(2) ** 2)
    )


def test_margin_floor_against_max_change_is_named() -> None:
    problem = _small_problem()
    expensive = dataclasses.replace(problem.products[2], unit_cost=1.5)  # 40% margin needs >= $2.50
    plan = plan_pricing(
        dataclasses.replace(problem, products=(*problem.products[:2], expensive), max_change=0.1)
    )
    assert plan.status == "infeasible"
    assert set(plan.conflicting_constraints) == {
        "the maximum change of 10% for Cookie ($1.79 to $2.19)",
        "the 40% margin floor for Cookie (price at least $2.50)",
    }


def test_binding_rules_are_valued_and_the_check_catches_bad_prices() -> None:
    problem = pricing_instance(n_products=12, seed=4)
    plan = plan_pricing(problem)
    assert check_plan_constraints(plan, problem) == []
    assert plan.binding_constraints, "a realistic menu has some rule holding prices back"
    for constraint in plan.binding_constraints:
        assert constraint.method == "re_solve" and constraint.value_of_relaxing > 0
    off_grid = plan.decisions.with_columns(pl.col("new_price") * 1.37 + 0.013)
    violations = check_plan_constraints(dataclasses.replace(plan, decisions=off_grid), problem)
    assert any("not one of the allowed price points" in message for message in violations)
    assert any("changes more than" in message for message in violations)
