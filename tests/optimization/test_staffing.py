"""Staffing plans: exhaustive-search optimality, labor rules, binding values and infeasibility."""

from __future__ import annotations

import dataclasses
import itertools

import polars as pl
import pytest
from scipy.stats import poisson

from models_ml.optimization import (
    Availability,
    Employee,
    ShiftAssignment,
    SolverSettings,
    StaffingProblem,
    check_plan_constraints,
    plan_staffing,
    required_staff_per_hour,
)
from models_ml.optimization.synthetic import staffing_instance

# Day 0 opens 16-22, day 1 opens 6-12: a closing shift followed by an opening one breaks an 11 h rest.
REQUIRED = {
    (0, 16): 1,
    (0, 17): 2,
    (0, 18): 2,
    (0, 19): 1,
    (0, 20): 1,
    (0, 21): 1,
    (1, 6): 1,
    (1, 7): 1,
    (1, 8): 2,
    (1, 9): 2,
    (1, 10): 1,
    (1, 11): 1,
}
KEYHOLDER = {(0, 16): 1, (0, 21): 1, (1, 6): 1}


def _tiny_problem() -> StaffingProblem:
    employees = (
        Employee("a", "Ana", hourly_wage=15.0, max_hours=9, skills=frozenset({"keyholder"})),
        Employee("b", "Ben", hourly_wage=12.0, min_hours=3, max_hours=12),
        Employee(
            "c",
            "Cleo",
            hourly_wage=20.0,
            max_hours=12,
            skills=frozenset({"keyholder"}),
            availability=(Availability(0, 16, 22),),
        ),
    )
    demand = pl.DataFrame(
        [{"day": d, "hour": h, "required_staff": need} for (d, h), need in REQUIRED.items()]
    )
    skills = pl.DataFrame(
        [{"day": d, "hour": h, "skill": "keyholder", "required": need} for (d, h), need in KEYHOLDER.items()]
    )
    return StaffingProblem(
        employees=employees,
        demand=demand,
        current_roster=(ShiftAssignment("c", 0, 16, 22), ShiftAssignment("a", 1, 6, 12)),
        skill_requirements=skills,
        shift_lengths=(3, 6),
        min_rest_hours=11,
    )


def _brute_force_cost(problem: StaffingProblem) -> float:
    """Cheapest valid roster by trying every combination (an independent check of the rules)."""
    windows = {0: (16, 22), 1: (6, 12)}
    options = {
        day: [None] + [(s, s + length) for length in problem.shift_lengths for s in range(o, c - length + 1)]
        for day, (o, c) in windows.items()
    }
    slots = [(e, day) for e in problem.employees for day in (0, 1)]
    best = float("inf")
    for choice in itertools.product(*(options[day] for _, day in slots)):
        roster = {(e.employee_id, day): shift for (e, day), shift in zip(slots, choice, strict=True)}
        valid = True
        cost = 0.0
        for e in problem.employees:
            hours = 0
            for day in (0, 1):
                shift = roster[(e.employee_id, day)]
                if shift is None:
                    continue
                hours += shift[1] - shift[0]
                if not e.is_available(day, *shift):
                    valid = False
            first, second = roster[(e.employee_id, 0)], roster[(e.employee_id, 1)]
            if first and second and 24 - first[1] + second[0] < problem.min_rest_hours:
                valid = False
            if hours < e.min_hours * 2 / 7 - 1e-9 or hours > e.max_hours:  # minimums prorated to 2 days
                valid = False
            cost += hours * e.hourly_wage
        if not valid or cost >= best:
            continue
        for (day, hour), need in REQUIRED.items():
            on = [e for e in problem.employees if (s := roster[(e.employee_id, day)]) and s[0] <= hour < s[1]]
            if len(on) < need or len([e for e in on if "keyholder" in e.skills]) < KEYHOLDER.get(
                (day, hour), 0
            ):
                valid = False
                break
        if valid:
            best = cost
    return best


def test_required_staff_follows_the_poisson_service_level_rule() -> None:
    demand = pl.DataFrame({"day": [0, 0, 0], "hour": [9, 10, 11], "expected_customers": [30.0, 0.0, 4.0]})
    staff = required_staff_per_hour(
        demand, service_level=0.9, customers_per_staff_hour=10, min_staff_when_open=1
    )
    assert poisson.ppf(0.9, 30) == 37
    assert staff["required_staff"].to_list() == [4, 1, 1]


def test_tiny_roster_is_optimal_against_exhaustive_search() -> None:
    problem = _tiny_problem()
    plan = plan_staffing(problem, SolverSettings(relative_gap=0.0))
    assert plan.status == "optimal"
    assert plan.objective_value == pytest.approx(_brute_force_cost(problem))
    assert check_plan_constraints(plan, problem) == []
    assert plan.current_policy_value == pytest.approx(20 * 6 + 15 * 6)


def test_demo_sized_roster_satisfies_every_labor_rule() -> None:
    problem = staffing_instance(n_employees=12, n_days=7, seed=0)
    plan = plan_staffing(problem, SolverSettings(value_binding_constraints=False))
    assert plan.feasible
    assert check_plan_constraints(plan, problem) == []
    assert plan.metrics["overstaffed_staff_hours"] >= 0
    assert "90% service level" in plan.explanation
    # The roster is cheaper per required staff-hour than any wage above the highest.
    highest = max(e.hourly_wage for e in problem.employees)
    assert plan.objective_value is not None
    assert plan.objective_value <= highest * plan.metrics["staff_hours"]


def test_check_catches_a_tampered_roster() -> None:
    problem = _tiny_problem()
    plan = plan_staffing(problem)
    first = plan.decisions.row(0, named=True)
    doubled = pl.concat([plan.decisions, plan.decisions.head(1)])
    dropped = plan.decisions.slice(1)
    assert any(
        "shifts on day" in message
        for message in check_plan_constraints(dataclasses.replace(plan, decisions=doubled), problem)
    )
    assert any(
        "needs" in message
        for message in check_plan_constraints(dataclasses.replace(plan, decisions=dropped), problem)
    )
    assert first["hours"] in problem.shift_lengths


def test_min_hours_above_availability_is_named() -> None:
    problem = _tiny_problem()
    # Cleo offers 6 hours; a 30-hour weekly minimum prorated to the 2-day plan is 9.
    cleo = dataclasses.replace(problem.employees[2], min_hours=30)
    plan = plan_staffing(dataclasses.replace(problem, employees=(*problem.employees[:2], cleo)))
    assert plan.status == "infeasible" and plan.decisions.height == 0
    assert set(plan.conflicting_constraints) == {
        "Cleo's availability (6 hours offered)",
        "Cleo's minimum of 30 hours a week",
    }
    assert "Relaxing any one of them" in plan.explanation


def test_binding_service_level_is_valued_by_re_solving() -> None:
    problem = staffing_instance(n_employees=6, n_days=3, seed=1)
    plan = plan_staffing(problem)
    keys = {b.key: b for b in plan.binding_constraints}
    assert "service_level" in keys
    lower = plan_staffing(
        dataclasses.replace(problem, service_level=0.85), SolverSettings(value_binding_constraints=False)
    )
    assert lower.objective_value is not None and plan.objective_value is not None
    saving = plan.objective_value - lower.objective_value
    assert keys["service_level"].value_of_relaxing == pytest.approx(saving, abs=0.01 * plan.objective_value)


def test_unknown_employee_in_current_roster_is_an_input_error() -> None:
    problem = _tiny_problem()
    with pytest.raises(ValueError, match="unknown employee 'zed'"):
        dataclasses.replace(problem, current_roster=(ShiftAssignment("zed", 0, 16, 19),))
