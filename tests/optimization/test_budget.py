"""Budget plans: closed-form equal-marginal optimum, shadow prices, curve fitting and infeasibility."""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl
import pytest

from models_ml.optimization import (
    BudgetProblem,
    Channel,
    ResponseCurve,
    check_plan_constraints,
    equal_marginal_allocation,
    fit_response_curves,
    plan_budget,
)

TRUTH = {"search": (400.0, 150.0), "social": (250.0, 60.0), "email": (120.0, 20.0)}  # (b, c) per day


def _problem(budget: float = 9000.0, days: int = 30) -> BudgetProblem:
    channels = tuple(
        Channel(name, name.title(), ResponseCurve(name, "log", 0.0, b, c), current_spend=budget / 3)
        for name, (b, c) in TRUTH.items()
    )
    return BudgetProblem(channels, budget=budget, horizon_days=days, n_segments=60)


def test_allocation_matches_the_equal_marginal_closed_form() -> None:
    problem = _problem()
    # Marginal return b / (c + s) equal to λ on every channel, with Σ s = budget / days per day.
    level = sum(b for b, _ in TRUTH.values()) / (
        problem.budget / problem.horizon_days + sum(c for _, c in TRUTH.values())
    )
    exact = {name: problem.horizon_days * (b / level - c) for name, (b, c) in TRUTH.items()}
    assert all(value > 0 for value in exact.values())
    assert equal_marginal_allocation(problem) == pytest.approx(exact, rel=1e-6)
    plan = plan_budget(problem)
    spends = dict(plan.decisions.select(["channel_id", "planned_spend"]).iter_rows())
    for name, spend in spends.items():
        assert spend == pytest.approx(exact[name], abs=0.03 * problem.budget)
    best = sum(problem.outcome_value(c, exact[c.channel_id]) for c in problem.channels)
    assert plan.objective_value == pytest.approx(best, rel=2e-3)
    # The budget's shadow price is the common marginal return λ (per $1 of the whole horizon's budget).
    budget = next(b for b in plan.binding_constraints if b.key == "budget")
    assert budget.method == "lp_dual"
    assert budget.value_of_relaxing == pytest.approx(level, rel=0.05)
    assert check_plan_constraints(plan, problem) == []


def test_shadow_price_agrees_with_re_solving_with_one_more_dollar() -> None:
    problem = _problem()
    plan = plan_budget(problem)
    richer = plan_budget(dataclasses.replace(problem, budget=problem.budget + 100))
    budget = next(b for b in plan.binding_constraints if b.key == "budget")
    per_dollar = (richer.metrics["lp_objective"] - plan.metrics["lp_objective"]) / 100
    assert budget.value_of_relaxing == pytest.approx(per_dollar, rel=0.03)


def test_bounds_hold_and_bind_with_their_own_duals() -> None:
    problem = _problem()
    email, search = problem.channels[2], problem.channels[0]
    bounded = dataclasses.replace(
        problem,
        channels=(
            dataclasses.replace(search, max_spend=2000.0),
            problem.channels[1],
            dataclasses.replace(email, min_spend=3000.0),
        ),
    )
    plan = plan_budget(bounded)
    spends = dict(plan.decisions.select(["channel_id", "planned_spend"]).iter_rows())
    assert spends["search"] == pytest.approx(2000.0, abs=0.01)
    assert spends["email"] == pytest.approx(3000.0, abs=0.01)
    keys = {b.key for b in plan.binding_constraints}
    assert {"budget", "max:search", "min:email"} <= keys
    reference = equal_marginal_allocation(bounded)
    assert spends["social"] == pytest.approx(reference["social"], abs=0.03 * bounded.budget)


def test_minimums_above_the_budget_are_named() -> None:
    problem = _problem(budget=1000.0)
    channels = tuple(
        dataclasses.replace(c, min_spend=600.0) if c.channel_id != "email" else c for c in problem.channels
    )
    plan = plan_budget(dataclasses.replace(problem, channels=channels))
    assert plan.status == "infeasible" and plan.decisions.height == 0
    assert set(plan.conflicting_constraints) == {
        "the budget of $1,000",
        "the minimum of $600 on Search",
        "the minimum of $600 on Social",
    }


def test_fitting_recovers_known_log_curves() -> None:
    rng = np.random.default_rng(7)
    rows = []
    for name, (b, c) in TRUTH.items():
        for spend in rng.uniform(0, 4 * c, 150):
            rows.append(
                {"channel": name, "spend": spend, "outcome": 30 + b * np.log1p(spend / c) + rng.normal(0, 5)}
            )
    curves = fit_response_curves(pl.DataFrame(rows))
    for name, (b, c) in TRUTH.items():
        curve = curves[name]
        assert curve.r_squared > 0.95
        grid = np.linspace(0, 4 * c, 20)
        true = b * np.log1p(grid / c)
        assert np.max(np.abs(curve.increment(grid) - true)) < 0.05 * true.max()
    hill = fit_response_curves(pl.DataFrame(rows), form="hill")
    assert all(0 < curve.shape <= 1 and curve.r_squared > 0.9 for curve in hill.values())


def test_check_catches_an_overspending_split() -> None:
    problem = _problem()
    plan = plan_budget(problem)
    doubled = plan.decisions.with_columns(pl.col("planned_spend") * 2)
    violations = check_plan_constraints(dataclasses.replace(plan, decisions=doubled), problem)
    assert any("exceeds the budget" in message for message in violations)
    assert check_plan_constraints(plan, _problem()) == []


def test_constant_spend_cannot_be_fitted() -> None:
    frame = pl.DataFrame({"channel": "x", "spend": [10.0] * 10, "outcome": np.arange(10.0)})
    with pytest.raises(ValueError, match="fewer than 3 distinct values"):
        fit_response_curves(frame)
