"""Inventory plans: newsvendor optimality, constraint satisfaction, binding values, infeasibility."""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl
import pytest
from scipy.stats import norm

from models_ml.optimization import (
    InventoryProblem,
    InventoryProduct,
    OptimizationInputError,
    check_plan_constraints,
    critical_fractile,
    evaluate_orders,
    plan_inventory,
)
from models_ml.optimization.scenarios import demand_quantiles_from_intervals
from models_ml.optimization.synthetic import inventory_instance


def _single(product: InventoryProduct, demand: pl.DataFrame, **kwargs: object) -> InventoryProblem:
    return InventoryProblem(products=(product,), demand=demand, horizon=1, **kwargs)  # type: ignore[arg-type]


def test_critical_fractile_matches_the_textbook_formula() -> None:
    product = InventoryProduct(
        "p",
        "P",
        unit_cost=2.0,
        unit_price=5.0,
        holding_cost=0.5,
        current_order_up_to=0,
        stockout_penalty=1.0,
        salvage_value=0.0,
    )
    # cu = 5 - 2 + 1 = 4, co = 2 + 0.5 - 0 = 2.5
    assert critical_fractile(product) == pytest.approx(4 / 6.5)


def test_single_period_plan_is_the_newsvendor_order_statistic_on_sample_paths() -> None:
    # Demand equally likely 1..100; cu = 3.6, co = 1.4 -> fractile 0.72 -> the 72nd smallest sample.
    product = InventoryProduct(
        "p", "P", unit_cost=1.0, unit_price=4.6, holding_cost=0.4, current_order_up_to=50, salvage_value=0.0
    )
    assert critical_fractile(product) == pytest.approx(0.72)
    demand = pl.DataFrame(
        {"product_id": "p", "period": 0, "sample": range(100), "demand": np.arange(1.0, 101.0)}
    )
    plan = plan_inventory(_single(product, demand))
    assert plan.status == "optimal"
    assert plan.decisions["order_units"].to_list() == [72]


def test_single_period_plan_matches_the_closed_form_on_a_normal_forecast() -> None:
    product = InventoryProduct(
        "oat",
        "Oat Milk",
        unit_cost=2.0,
        unit_price=5.0,
        holding_cost=0.5,
        current_order_up_to=100,
        salvage_value=0.0,
    )
    levels = [0.02, 0.1, 0.25, 0.5, 0.75, 0.9, 0.98]
    demand = pl.DataFrame(
        {
            "product_id": "oat",
            "period": 0,
            "quantile": levels,
            "demand": [norm.ppf(q, 100, 20) for q in levels],
        }
    )
    problem = _single(product, demand, n_scenarios=4000)
    plan = plan_inventory(problem)
    closed_form = norm.ppf(critical_fractile(product), 100, 20)  # 102.3
    ordered = plan.decisions["order_units"][0]
    assert abs(ordered - closed_form) <= 1.0
    # The reported expected profit is the simulated profit of the chosen order, and no whole-unit
    # neighbour does better on the same scenarios.
    scenarios = problem.scenarios()
    profit = {
        q: evaluate_orders(problem, scenarios, np.array([[float(q)]])).expected_profit
        for q in (ordered - 1, ordered, ordered + 1)
    }
    assert plan.objective_value == pytest.approx(profit[ordered])
    assert profit[ordered] >= max(profit.values()) - 1e-9


def test_case_packs_and_minimum_orders_are_respected() -> None:
    product = InventoryProduct(
        "p",
        "P",
        unit_cost=1.0,
        unit_price=3.0,
        holding_cost=0.1,
        current_order_up_to=40,
        case_pack=12,
        min_order_quantity=36,
    )
    demand = pl.DataFrame(
        {"product_id": "p", "period": 0, "sample": range(5), "demand": [20.0, 22, 25, 27, 30]}
    )
    plan = plan_inventory(_single(product, demand))
    units = plan.decisions["order_units"][0]
    assert units % 12 == 0 and (units == 0 or units >= 36)
    assert units == 36  # 24 would break the minimum; 36 beats ordering nothing


def test_demo_sized_plan_satisfies_its_constraints_and_beats_the_lp_bound_gap() -> None:
    problem = inventory_instance(n_products=8, horizon=3, n_scenarios=60, seed=3)
    plan = plan_inventory(problem)
    assert plan.feasible
    assert check_plan_constraints(plan, problem) == []
    assert plan.optimality_gap is not None and plan.optimality_gap < 0.01
    assert plan.objective_value is not None and plan.objective_value <= plan.metrics["lp_bound"] + 1e-6
    assert plan.decisions.height == sum(problem.horizon - p.lead_time for p in problem.products)
    assert "Lost-sales model" in plan.notes[0]


def test_check_catches_a_tampered_order_plan() -> None:
    problem = inventory_instance(n_products=6, horizon=2, n_scenarios=40, seed=1)
    plan = plan_inventory(problem)
    assert check_plan_constraints(plan, problem) == []
    packed = next(p for p in problem.products if p.case_pack > 1)
    tampered = plan.decisions.with_columns(
        pl.when(pl.col("product_id") == packed.product_id)
        .then(pl.col("order_units") + 1)
        .otherwise(pl.col("order_units") * 50)
        .alias("order_units")
    )
    violations = check_plan_constraints(dataclasses.replace(plan, decisions=tampered), problem)
    assert any("whole number of cases" in message for message in violations)
    assert any("exceed the budget" in message for message in violations)
    assert any("storage" in message for message in violations)


def test_binding_storage_is_valued_by_re_solving() -> None:
    problem = dataclasses.replace(
        inventory_instance(n_products=6, horizon=2, n_scenarios=40, seed=2),
        purchasing_budget=None,
        storage_capacity=500.0,
    )
    plan = plan_inventory(problem)
    storage = next(b for b in plan.binding_constraints if b.key == "storage")
    assert storage.method == "re_solve" and storage.value_of_relaxing > 0
    assert "10 more units of storage would be worth" in storage.sentence
    assert storage.sentence in plan.explanation
    wider = plan_inventory(dataclasses.replace(problem, storage_capacity=510.0))
    assert wider.objective_value is not None and plan.objective_value is not None
    assert wider.objective_value >= plan.objective_value + 0.5 * storage.value_of_relaxing


def test_budget_below_the_minimum_order_is_explained_not_raised() -> None:
    # Serving 80% of Oat Milk demand needs about 20 units ($60), but the supplier's minimum is 48 ($144).
    product = InventoryProduct(
        "oat",
        "Oat Milk",
        unit_cost=3.0,
        unit_price=6.0,
        holding_cost=0.1,
        current_order_up_to=60,
        min_order_quantity=48,
        min_fill_rate=0.8,
    )
    other = InventoryProduct(
        "tea", "Tea", unit_cost=1.0, unit_price=2.0, holding_cost=0.1, current_order_up_to=10, case_pack=6
    )
    demand = pl.DataFrame(
        {
            "product_id": ["oat"] * 3 + ["tea"] * 3,
            "period": 0,
            "sample": [0, 1, 2] * 2,
            "demand": [20.0, 25, 30, 5, 6, 7],
        }
    )
    problem = InventoryProblem((product, other), demand, horizon=1, purchasing_budget=100.0)
    plan = plan_inventory(problem)
    assert plan.status == "infeasible" and not plan.feasible
    assert plan.decisions.height == 0
    assert set(plan.conflicting_constraints) == {
        "the purchasing budget of $100",
        "the minimum order of 48 units of Oat Milk ($144 an order)",
        "the target of serving 80% of Oat Milk demand",
    }
    assert "cannot all hold at once" in plan.explanation
    assert check_plan_constraints(plan, problem) == []


def test_stock_already_above_storage_is_named_as_the_conflict() -> None:
    product = InventoryProduct(
        "p", "P", unit_cost=1.0, unit_price=2.0, holding_cost=0.1, current_order_up_to=10, on_hand=500.0
    )
    demand = pl.DataFrame({"product_id": "p", "period": 0, "sample": [0, 1], "demand": [5.0, 6.0]})
    plan = plan_inventory(_single(product, demand, storage_capacity=100.0))
    assert plan.status == "infeasible"
    assert len(plan.conflicting_constraints) == 1
    assert "even if nothing more is ordered" in plan.conflicting_constraints[0]


def test_quantiles_from_statsforecast_intervals() -> None:
    forecasts = pl.DataFrame(
        {
            "unique_id": ["a", "a"],
            "ds": [2, 1],
            "AutoETS": [12.0, 10.0],
            "AutoETS-lo-80": [8.0, 7.0],
            "AutoETS-hi-80": [16.0, 13.0],
        }
    )
    quantiles = demand_quantiles_from_intervals(forecasts, "AutoETS")
    first = quantiles.filter(pl.col("period") == 0).sort("quantile")
    assert first["quantile"].to_list() == pytest.approx([0.1, 0.5, 0.9])
    assert first["demand"].to_list() == [7.0, 10.0, 13.0]


def test_bad_inventory_input_raises_a_named_error() -> None:
    with pytest.raises(OptimizationInputError, match="unit_cost"):
        InventoryProduct("p", "P", unit_cost=-1.0, unit_price=2.0, holding_cost=0.1, current_order_up_to=1)
    product = InventoryProduct(
        "p", "P", unit_cost=1.0, unit_price=2.0, holding_cost=0.1, current_order_up_to=1
    )
    demand = pl.DataFrame({"product_id": "p", "period": 0, "quantile": [0.5], "demand": [3.0]})
    with pytest.raises(OptimizationInputError, match="no forecast quantiles"):
        plan_inventory(InventoryProblem((product,), demand, horizon=2))
