"""The shared plan shape, money wording and the deletion filter that names conflicting constraints."""

from __future__ import annotations

import json
import time

import polars as pl
import pytest

from models_ml.optimization import OptimizationInputError, Plan, SolverSettings, format_money
from models_ml.optimization.conflicts import ConstraintGroup, find_conflicting_groups
from models_ml.optimization.plan import require_non_negative, require_unique_ids, solved_plan


def test_format_money_uses_cents_only_for_small_amounts() -> None:
    assert format_money(37.0) == "$37"
    assert format_money(37.456) == "$37.46"
    assert format_money(1234.4) == "$1,234"
    assert format_money(-12.5, "€") == "-€12.50"


def test_plan_to_dict_is_json_ready() -> None:
    plan = Plan(
        plan_type="budget",
        horizon=28,
        period="day",
        status="optimal",
        feasible=True,
        decisions=pl.DataFrame({"channel_id": ["a"], "planned_spend": [float("nan")]}),
        objective_name="expected revenue",
        objective_sense="maximize",
        objective_value=10.0,
        current_policy_value=8.0,
        expected_impact=2.0,
        binding_constraints=(),
        conflicting_constraints=(),
        explanation="x",
        notes=(),
        metrics={"m": float("inf")},
        solver="GLOP",
        solve_seconds=0.1,
        total_seconds=0.2,
        optimality_gap=0.0,
    )
    data = json.loads(plan.to_json())
    assert data["decisions"] == [{"channel_id": "a", "planned_spend": None}]
    assert data["metrics"] == {"m": None}
    assert data["objective"] == {"name": "expected revenue", "sense": "maximize", "value": 10.0}


def test_solver_settings_reject_nonsense() -> None:
    with pytest.raises(OptimizationInputError, match="time_limit_seconds"):
        SolverSettings(time_limit_seconds=0)


def _oracle(conflicts: list[set[str]]):  # type: ignore[no-untyped-def]
    """Feasible unless some conflict set is entirely switched on."""

    def is_feasible(enabled: frozenset[str]) -> bool:
        return not any(conflict <= enabled for conflict in conflicts)

    return is_feasible


def test_deletion_filter_returns_an_irreducible_conflict() -> None:
    groups = [ConstraintGroup(f"g{i}", f"rule {i}") for i in range(20)]
    diagnosis = find_conflicting_groups(groups, _oracle([{"g3", "g11", "g17"}, {"g5", "g6", "g7", "g8"}]))
    found = {group.key for group in diagnosis.groups}
    assert found in ({"g3", "g11", "g17"}, {"g5", "g6", "g7", "g8"})
    assert diagnosis.minimal and not diagnosis.structural
    # Irreducible: dropping any one group leaves a feasible set.
    oracle = _oracle([{"g3", "g11", "g17"}, {"g5", "g6", "g7", "g8"}])
    assert all(oracle(frozenset(found - {key})) for key in found)


def test_deletion_filter_reports_structural_conflicts() -> None:
    groups = [ConstraintGroup("a", "rule a")]
    diagnosis = find_conflicting_groups(groups, lambda enabled: False)
    assert diagnosis.structural and diagnosis.groups == ()


def test_deletion_filter_stops_at_its_solve_budget_with_a_conflicting_superset() -> None:
    groups = [ConstraintGroup(f"g{i}", f"rule {i}") for i in range(16)]
    oracle = _oracle([{"g1", "g14"}])
    diagnosis = find_conflicting_groups(groups, oracle, max_solves=3)
    found = frozenset(group.key for group in diagnosis.groups)
    assert not diagnosis.minimal
    assert not oracle(found)  # what it names still conflicts


def test_solved_plan_derives_the_impact_from_the_objective_and_its_sense() -> None:
    common = {
        "plan_type": "staffing",
        "horizon": 1,
        "period": "week",
        "status": "optimal",
        "decisions": pl.DataFrame({"employee_id": ["e1"]}),
        "objective_name": "wage cost",
        "binding": (),
        "explanation": "x",
        "notes": ["n"],
        "metrics": {"m": 1.0},
        "solver": "CP-SAT",
        "solve_seconds": 0.1,
        "started": time.perf_counter(),
        "optimality_gap": 0.0,
        "currency": "€",
        "inputs": {"employees": 1},
    }
    cheaper = solved_plan(**common, objective_sense="minimize", objective_value=900.0, current_value=1000.0)
    assert cheaper.feasible and cheaper.expected_impact == 100.0 and cheaper.conflicting_constraints == ()
    assert cheaper.notes == ("n",) and cheaper.total_seconds >= 0 and cheaper.credibility is None
    richer = solved_plan(**common, objective_sense="maximize", objective_value=900.0, current_value=1000.0)
    assert richer.expected_impact == -100.0


def test_shared_input_checks_name_the_input_and_the_fault() -> None:
    with pytest.raises(OptimizationInputError, match=r"budget problem: channel ids must be unique.*\['a'\]"):
        require_unique_ids("budget problem", "channel", ["a", "b", "a"])
    with pytest.raises(OptimizationInputError, match="pricing problem: products must not be empty"):
        require_unique_ids("pricing problem", "product", [])
    with pytest.raises(OptimizationInputError, match="x: cost must be a finite number >= 0, got nan"):
        require_non_negative(float("nan"), "x: cost")
    with pytest.raises(OptimizationInputError, match="must be a finite number >= 0, got True"):
        require_non_negative(True, "x: flag")
