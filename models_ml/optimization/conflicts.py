"""Naming the constraints that make a problem infeasible, by solving, not by guessing.

Every planner tags its constraints with groups an owner recognises ("the purchasing budget",
"Ana's availability", "the minimum order of Oat Milk") and can rebuild its model with any subset of
groups switched on. :func:`find_conflicting_groups` runs a deletion filter over those groups: it drops
groups (in halving blocks first, then one at a time) as long as the rest stays infeasible. What is left
is an irreducible set: the groups together admit no plan, and dropping any single one of them makes the
remaining set feasible, so each of them is part of the conflict.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from models_ml.optimization.plan import Plan, PlanType, SolverSettings


@dataclass(frozen=True)
class ConstraintGroup:
    """A set of constraints that is switched on or off as one, described in the owner's words."""

    key: str
    description: str


@dataclass(frozen=True)
class ConflictDiagnosis:
    """Outcome of the deletion filter."""

    #: An irreducible infeasible set of groups (empty when the data conflict with themselves).
    groups: tuple[ConstraintGroup, ...]
    #: False when the solve budget ran out or some solves were undecided: the set still conflicts,
    #: but may not be the smallest.
    minimal: bool
    #: True when even with every group switched off no plan exists (the conflict is in the data:
    #: e.g. stock already on hand exceeds a fixed capacity).
    structural: bool
    solves: int


#: ``is_feasible(enabled_keys)`` returns True (a plan exists), False (proven infeasible) or None
#: (undecided, e.g. time limit).
FeasibilityOracle = Callable[[frozenset[str]], bool | None]


def find_conflicting_groups(
    groups: Sequence[ConstraintGroup],
    is_feasible: FeasibilityOracle,
    max_solves: int = 120,
    max_seconds: float = 30.0,
) -> ConflictDiagnosis:
    """Shrink ``groups`` (all switched on is known to be infeasible) to an irreducible conflicting set.

    A group is dropped only when the rest is proven infeasible without it, so the result always
    conflicts; within ``max_solves`` solves and ``max_seconds`` it is also minimal.
    """
    deadline = time.perf_counter() + max_seconds
    solves = 0
    undecided = False

    def still_infeasible(active: list[ConstraintGroup]) -> bool:
        nonlocal solves, undecided
        solves += 1
        outcome = is_feasible(frozenset(group.key for group in active))
        if outcome is None:
            undecided = True
        return outcome is False

    if still_infeasible([]):
        return ConflictDiagnosis(groups=(), minimal=True, structural=True, solves=solves)

    active = list(groups)
    block = max(1, len(active) // 2)
    while True:
        index = 0
        while index < len(active):
            if solves >= max_solves or time.perf_counter() > deadline:
                return ConflictDiagnosis(groups=tuple(active), minimal=False, structural=False, solves=solves)
            trial = active[:index] + active[index + block :]
            if still_infeasible(trial):
                active = trial
            else:
                index += block
        if block == 1:
            break
        block = max(1, block // 2)
    return ConflictDiagnosis(groups=tuple(active), minimal=not undecided, structural=False, solves=solves)


def conflict_explanation(diagnosis: ConflictDiagnosis, what: str) -> str:
    """The owner-facing paragraph of an infeasible plan."""
    if diagnosis.structural:
        return (
            f"No {what} is possible even with every adjustable rule switched off: the input data themselves "
            "conflict (see the notes)."
        )
    if not diagnosis.groups:
        return (
            f"No {what} satisfies all constraints, and the solver could not single out which ones conflict."
        )
    listed = "; ".join(group.description for group in diagnosis.groups)
    if len(diagnosis.groups) == 1:
        return f"No {what} is possible: {listed} cannot be met. It has to be relaxed to get a plan."
    qualifier = "" if diagnosis.minimal else " (possibly with more rules than strictly necessary)"
    return (
        f"No {what} is possible: these constraints cannot all hold at once{qualifier}: {listed}. "
        "Relaxing any one of them removes this conflict."
    )


def unsolved_plan(
    *,
    status: Any,
    groups: Sequence[ConstraintGroup],
    is_feasible: Callable[[frozenset[str]], bool | None],
    settings: SolverSettings,
    what: str,
    plan_type: PlanType,
    horizon: int,
    period: str,
    decision_schema: Mapping[str, Any],
    objective_name: str,
    objective_sense: Literal["maximize", "minimize"],
    current_value: float,
    current_metric: str,
    notes: list[str],
    solver: str,
    solve_seconds: float,
    started: float,
    currency: str,
    inputs: Mapping[str, object],
    structural_note: str | None = None,
    timeout_explanation: str | None = None,
) -> Plan:
    """The plan of a problem with no solution: for an infeasible one, the conflicting constraints found
    by :func:`find_conflicting_groups` and said in words; for a timeout, that no plan was found in time."""
    conflicts: tuple[str, ...] = ()
    if status == "infeasible":
        diagnosis = find_conflicting_groups(
            list(groups), is_feasible, settings.max_diagnosis_solves, settings.max_diagnosis_seconds
        )
        conflicts = tuple(group.description for group in diagnosis.groups)
        explanation = conflict_explanation(diagnosis, what)
        if diagnosis.structural and structural_note:
            notes.append(structural_note)
    else:
        explanation = timeout_explanation or (
            f"No {what} was found within the time limit of {settings.time_limit_seconds:g} s."
        )
    return Plan(
        plan_type=plan_type,
        horizon=horizon,
        period=period,
        status=status,
        feasible=False,
        decisions=pl.DataFrame(schema=decision_schema),
        objective_name=objective_name,
        objective_sense=objective_sense,
        objective_value=None,
        current_policy_value=current_value,
        expected_impact=None,
        binding_constraints=(),
        conflicting_constraints=conflicts,
        explanation=explanation,
        notes=tuple(notes),
        metrics={current_metric: current_value},
        solver=solver,
        solve_seconds=solve_seconds,
        total_seconds=time.perf_counter() - started,
        optimality_gap=None,
        currency=currency,
        inputs=dict(inputs),
    )
