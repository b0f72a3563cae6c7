"""Staffing plan: the least-cost weekly shift schedule that covers forecast demand at a chosen service level.

From demand to staff (:func:`required_staff_per_hour`): customers arriving in an hour are taken as
Poisson with the forecast mean λ, and one person serves ``customers_per_staff_hour`` (μ) customers an
hour. An hour needs the smallest n with P(arrivals ≤ n·μ) ≥ service level, i.e.
``n = ceil(PoissonQuantile(service level, λ) / μ)``, and at least ``min_staff_when_open`` while open.
A demand frame that already has a ``required_staff`` column is used as given.

Model (CP-SAT): one Boolean per employee, day and candidate shift (every start and length from
``shift_lengths`` inside the day's opening hours; shifts do not cross midnight). Constraints: at most one
shift per employee and day; the staff on duty cover each hour's requirement; for skills, enough
qualified staff are on duty (an employee counts towards every skill they hold, on top of the headcount);
shifts only inside each employee's availability; weekly hours between the employee's minimum and
maximum (prorated for a partial week); at least ``min_rest_hours`` between the end of one day's shift
and the start of the next day's. Objective: least wages.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl
from ortools.sat.python import cp_model
from scipy.stats import poisson

from models_ml.optimization._solvers import SolveOutcome, solve_cp
from models_ml.optimization.conflicts import (
    ConstraintGroup,
    unsolved_plan,
)
from models_ml.optimization.credibility import Credibility, InputSupport, Scenario
from models_ml.optimization.plan import (
    BindingConstraint,
    OptimizationInputError,
    Plan,
    SolverSettings,
    describe_horizon,
    format_money,
    impact_sentence,
    require_non_negative_fields,
    require_unique_ids,
    solved_plan,
)

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

DECISION_SCHEMA: dict[str, type[pl.DataType]] = {
    "employee_id": pl.String,
    "employee_name": pl.String,
    "day": pl.Int64,
    "day_label": pl.String,
    "start_hour": pl.Int64,
    "end_hour": pl.Int64,
    "hours": pl.Int64,
    "wage_cost": pl.Float64,
}


@dataclass(frozen=True)
class Availability:
    """An employee can work on ``day`` between ``start_hour`` and ``end_hour`` (0-24)."""

    day: int
    start_hour: int
    end_hour: int


@dataclass(frozen=True)
class Employee:
    employee_id: str
    name: str
    hourly_wage: float
    #: Contracted weekly hours: at least ``min_hours``, at most ``max_hours``.
    min_hours: float = 0.0
    max_hours: float = 40.0
    skills: frozenset[str] = frozenset()
    #: Windows the employee can work; None means whenever the business is open.
    availability: tuple[Availability, ...] | None = None

    def __post_init__(self) -> None:
        where = f"employee {self.employee_id!r}"
        if not self.employee_id:
            raise OptimizationInputError("employee: employee_id must not be empty")
        require_non_negative_fields(self, where, ("hourly_wage", "min_hours", "max_hours"))
        for window in self.availability or ():
            if not 0 <= window.start_hour < window.end_hour <= 24 or window.day < 0:
                raise OptimizationInputError(
                    f"{where}: availability window {window} is not a valid day and hours"
                )

    def is_available(self, day: int, start: int, end: int) -> bool:
        if self.availability is None:
            return True
        return any(w.day == day and w.start_hour <= start and end <= w.end_hour for w in self.availability)


@dataclass(frozen=True)
class ShiftAssignment:
    """One shift of the current roster (or of a plan): ``employee_id`` works ``day`` from start to end."""

    employee_id: str
    day: int
    start_hour: int
    end_hour: int


@dataclass(frozen=True, eq=False)
class StaffingProblem:
    employees: tuple[Employee, ...]
    #: One row per opening hour: ``day`` (0 = first day of the plan), ``hour`` (0-23) and either
    #: ``expected_customers`` (the forecast) or ``required_staff``.
    demand: pl.DataFrame
    #: The roster the owner runs today (may be empty), valued against the plan.
    current_roster: tuple[ShiftAssignment, ...]
    service_level: float = 0.9
    customers_per_staff_hour: float = 10.0
    min_staff_when_open: int = 1
    #: Optional rows ``day, hour, skill, required``: at least that many people with the skill on duty.
    skill_requirements: pl.DataFrame | None = None
    shift_lengths: tuple[int, ...] = (4, 6, 8)
    min_rest_hours: int = 11
    #: Day names for sentences; default Monday, Tuesday, ... from day 0.
    day_labels: tuple[str, ...] | None = None
    currency: str = "$"
    context: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ids = [employee.employee_id for employee in self.employees]
        require_unique_ids("staffing problem", "employee", ids)
        if not isinstance(self.demand, pl.DataFrame) or not {"day", "hour"} <= set(self.demand.columns):
            raise OptimizationInputError(
                "staffing problem: demand must be a polars DataFrame with day and hour"
            )
        if not {"expected_customers", "required_staff"} & set(self.demand.columns):
            raise OptimizationInputError(
                "staffing problem: demand needs an expected_customers or a required_staff column"
            )
        if self.demand.height == 0:
            raise OptimizationInputError("staffing problem: demand has no opening hours")
        hours = self.demand["hour"]
        if hours.min() < 0 or hours.max() > 23 or self.demand["day"].min() < 0:  # type: ignore[operator]
            raise OptimizationInputError("staffing problem: demand days must be >= 0 and hours within 0-23")
        if self.demand.select(["day", "hour"]).is_duplicated().any():
            raise OptimizationInputError(
                "staffing problem: demand has more than one row for some day and hour"
            )
        if not 0 < self.service_level < 1:
            raise OptimizationInputError(
                f"staffing problem: service_level must lie in (0, 1), got {self.service_level}"
            )
        if not self.customers_per_staff_hour > 0:
            raise OptimizationInputError("staffing problem: customers_per_staff_hour must be positive")
        if not self.shift_lengths or any(length < 1 or length > 24 for length in self.shift_lengths):
            raise OptimizationInputError(
                f"staffing problem: shift_lengths must lie in 1-24, got {self.shift_lengths}"
            )
        if self.min_rest_hours < 0 or self.min_staff_when_open < 0:
            raise OptimizationInputError(
                "staffing problem: min_rest_hours and min_staff_when_open must be >= 0"
            )
        known = set(ids)
        for shift in self.current_roster:
            if shift.employee_id not in known:
                raise OptimizationInputError(
                    f"staffing problem: current roster names unknown employee {shift.employee_id!r}"
                )
            if not 0 <= shift.start_hour < shift.end_hour <= 24:
                raise OptimizationInputError(
                    f"staffing problem: current roster shift {shift} has invalid hours"
                )
        if self.skill_requirements is not None and not {"day", "hour", "skill", "required"} <= set(
            self.skill_requirements.columns
        ):
            raise OptimizationInputError(
                "staffing problem: skill_requirements needs columns day, hour, skill, required"
            )

    @property
    def n_days(self) -> int:
        return int(self.demand["day"].max()) + 1  # type: ignore[arg-type]

    def day_label(self, day: int) -> str:
        if self.day_labels is not None and day < len(self.day_labels):
            return self.day_labels[day]
        return DAY_NAMES[day % 7] if self.n_days <= 7 else f"{DAY_NAMES[day % 7]} (week {day // 7 + 1})"

    def requirements(self, service_level: float | None = None) -> dict[tuple[int, int], int]:
        """Staff needed per (day, hour)."""
        frame = required_staff_per_hour(
            self.demand,
            service_level if service_level is not None else self.service_level,
            self.customers_per_staff_hour,
            self.min_staff_when_open,
        )
        return {
            (int(d), int(h)): int(r)
            for d, h, r in frame.select(["day", "hour", "required_staff"]).iter_rows()
        }

    def skill_needs(self) -> dict[tuple[str, int, int], int]:
        if self.skill_requirements is None:
            return {}
        rows = self.skill_requirements.select(["skill", "day", "hour", "required"]).iter_rows()
        return {(str(s), int(d), int(h)): int(r) for s, d, h, r in rows if int(r) > 0}

    @property
    def uses_service_level(self) -> bool:
        return "required_staff" not in self.demand.columns


def required_staff_per_hour(
    demand: pl.DataFrame, service_level: float, customers_per_staff_hour: float, min_staff_when_open: int = 1
) -> pl.DataFrame:
    """``day, hour, required_staff`` from expected customers per hour (see the module docstring)."""
    if "required_staff" in demand.columns:
        return demand.select("day", "hour", pl.col("required_staff").cast(pl.Int64))
    expected = demand["expected_customers"].cast(pl.Float64).to_numpy()
    if (expected < 0).any() or not all(math.isfinite(value) for value in expected):
        raise OptimizationInputError("staffing demand: expected_customers must be finite and >= 0")
    served = poisson.ppf(service_level, expected)
    served[expected == 0] = 0
    staff = [max(min_staff_when_open, math.ceil(value / customers_per_staff_hour - 1e-9)) for value in served]
    return demand.select("day", "hour").with_columns(pl.Series("required_staff", staff, dtype=pl.Int64))


def plan_staffing(problem: StaffingProblem, settings: SolverSettings | None = None) -> Plan:
    """Least-cost roster covering demand at the service level, valued against the current roster."""
    settings = settings or SolverSettings()
    started = time.perf_counter()
    requirements = problem.requirements()
    groups = _constraint_groups(problem, requirements)
    enabled = frozenset(group.key for group in groups)
    model = _StaffingModel(problem, requirements, enabled, relax={})
    solver, outcome = solve_cp(model.model, settings)
    current_cost = roster_cost(problem, problem.current_roster)
    current_gap = uncovered_staff_hours(problem.current_roster, requirements)
    horizon_days = problem.n_days
    horizon_weeks = max(1, math.ceil(horizon_days / 7))
    inputs: dict[str, object] = {
        "employees": len(problem.employees),
        "days": horizon_days,
        "service_level": problem.service_level,
        **dict(problem.context),
    }
    notes = [_requirement_note(problem)]
    if not outcome.has_solution:
        return _unsolved_plan(
            problem, requirements, groups, outcome, settings, started, current_cost, notes, inputs
        )

    shifts = model.chosen_shifts(solver)
    cost = roster_cost(problem, shifts)
    binding = (
        _value_binding_constraints(problem, requirements, shifts, outcome, settings)
        if settings.value_binding_constraints
        else []
    )
    decisions = _decision_frame(problem, shifts)
    staffed = _staffed(shifts)
    required_hours = sum(requirements.values())
    metrics = {
        "wage_cost": cost,
        "staff_hours": float(sum(s.end_hour - s.start_hour for s in shifts)),
        "required_staff_hours": float(required_hours),
        "overstaffed_staff_hours": float(
            sum(max(0, staffed.get(key, 0) - need) for key, need in requirements.items())
        ),
        "current_roster_cost": current_cost,
        "current_roster_uncovered_staff_hours": float(current_gap),
    }
    impact = current_cost - cost
    credibility = staffing_credibility(problem, shifts, impact)
    metrics["busy_demand_uncovered_staff_hours"] = float(credibility.supports[0].planned or 0.0)
    explanation = _explanation(problem, decisions, cost, impact, current_gap, binding, credibility)
    return solved_plan(
        plan_type="staffing",
        horizon=horizon_weeks,
        period="week",
        status=outcome.status,
        decisions=decisions,
        objective_name="wage cost",
        objective_sense="minimize",
        objective_value=cost,
        current_value=current_cost,
        binding=binding,
        explanation=explanation,
        notes=notes,
        metrics=metrics,
        solver="CP-SAT",
        solve_seconds=outcome.seconds,
        started=started,
        optimality_gap=outcome.gap,
        currency=problem.currency,
        inputs=inputs,
        credibility=credibility,
    )


#: The busy end of demand the staffing plan's downside looks at: customers arriving at this quantile.
BUSY_SERVICE_LEVEL = 0.99


def staffing_credibility(
    problem: StaffingProblem, shifts: list[ShiftAssignment], impact: float
) -> Credibility:
    """The demand the roster rests on, and what a busier week than forecast would leave uncovered.

    Wages follow from the roster, so the saving holds whatever the demand; the risk is service. The
    downside keeps the money figure and records, in the caveat, the staff-hours the roster would be short
    if customers came at the busy end of the forecast (1 hour in 100 rather than the service level).
    """
    if problem.uses_service_level:
        busy = problem.requirements(max(BUSY_SERVICE_LEVEL, problem.service_level))
        short = uncovered_staff_hours(shifts, busy)
        caveat = (
            f"If customers come at the busy end of the forecast, this roster would be {short} staff-hours "
            "short over the plan."
            if short
            else "Even if customers come at the busy end of the forecast, this roster covers every hour."
        )
        evidence = "the customer forecast per opening hour, and the pace the team works at today"
    else:
        short = 0
        caveat = ""
        evidence = "the staff needed per opening hour, as given"
    support = InputSupport(
        subject="Customers per hour",
        quantity="staff needed in each opening hour",
        level="supported",
        evidence=evidence,
        observations=problem.demand.height,
        planned=float(short),
        unit="staff-hours short at busy demand",
    )
    return Credibility(
        supports=(support,),
        expected=Scenario("expected", impact, "wages of the roster against your current one"),
        downside=Scenario("downside", impact, "wages are fixed by the roster, whatever the demand"),
        caveat=caveat,
    )


def roster_cost(
    problem: StaffingProblem, shifts: tuple[ShiftAssignment, ...] | list[ShiftAssignment]
) -> float:
    wages = {employee.employee_id: employee.hourly_wage for employee in problem.employees}
    return float(sum(wages[s.employee_id] * (s.end_hour - s.start_hour) for s in shifts))


def uncovered_staff_hours(
    shifts: tuple[ShiftAssignment, ...] | list[ShiftAssignment], requirements: Mapping[tuple[int, int], int]
) -> int:
    """Staff-hours by which a roster falls short of the requirement, summed over opening hours."""
    staffed = _staffed(shifts)
    return sum(max(0, need - staffed.get(key, 0)) for key, need in requirements.items())


def _staffed(shifts: tuple[ShiftAssignment, ...] | list[ShiftAssignment]) -> dict[tuple[int, int], int]:
    staffed: dict[tuple[int, int], int] = defaultdict(int)
    for shift in shifts:
        for hour in range(shift.start_hour, shift.end_hour):
            staffed[(shift.day, hour)] += 1
    return staffed


@dataclass(frozen=True)
class _Shift:
    day: int
    start: int
    end: int

    @property
    def hours(self) -> int:
        return self.end - self.start


def candidate_shifts(problem: StaffingProblem) -> list[_Shift]:
    """Every start and length inside each day's opening hours."""
    shifts = []
    opening = problem.demand.group_by("day").agg(
        pl.col("hour").min().alias("open"), pl.col("hour").max().alias("last")
    )
    for day, first, last in sorted(opening.iter_rows()):
        close = int(last) + 1
        for length in sorted(set(problem.shift_lengths)):
            for start in range(int(first), close - length + 1):
                shifts.append(_Shift(int(day), start, start + length))
    return shifts


def _weekly_limits(
    problem: StaffingProblem, employee: Employee, relax: Mapping[str, float]
) -> list[tuple[range, int, int]]:
    """(days of the week, minimum hours, maximum hours) per week of the plan; minimums prorated."""
    limits = []
    for first in range(0, problem.n_days, 7):
        days = range(first, min(first + 7, problem.n_days))
        minimum = employee.min_hours * len(days) / 7 - relax.get(f"min_hours:{employee.employee_id}", 0.0)
        maximum = employee.max_hours + relax.get(f"max_hours:{employee.employee_id}", 0.0)
        limits.append((days, max(0, math.ceil(minimum - 1e-9)), math.floor(maximum + 1e-9)))
    return limits


class _StaffingModel:
    """The CP-SAT roster model; groups outside ``enabled`` are left out, ``relax`` loosens bounds."""

    def __init__(
        self,
        problem: StaffingProblem,
        requirements: Mapping[tuple[int, int], int],
        enabled: frozenset[str],
        relax: Mapping[str, float],
        with_objective: bool = True,
    ) -> None:
        model = cp_model.CpModel()
        self.model = model
        self.problem = problem
        shifts = candidate_shifts(problem)
        self.assign: dict[tuple[int, int], Any] = {}
        by_day: dict[int, list[int]] = defaultdict(list)
        for k, shift in enumerate(shifts):
            by_day[shift.day].append(k)
        self.shifts = shifts
        cost_terms = []
        for e, employee in enumerate(problem.employees):
            check_availability = f"availability:{employee.employee_id}" in enabled
            for k, shift in enumerate(shifts):
                if check_availability and not employee.is_available(shift.day, shift.start, shift.end):
                    continue
                variable = model.new_bool_var(f"x_{e}_{k}")
                self.assign[(e, k)] = variable
                cost_terms.append(round(employee.hourly_wage * 100) * shift.hours * variable)
            for day_shifts in by_day.values():
                model.add_at_most_one(self.assign[(e, k)] for k in day_shifts if (e, k) in self.assign)
            for days, minimum, maximum in _weekly_limits(problem, employee, relax):
                worked = sum(
                    shifts[k].hours * self.assign[(e, k)]
                    for day in days
                    for k in by_day.get(day, [])
                    if (e, k) in self.assign
                )
                if f"min_hours:{employee.employee_id}" in enabled and minimum > 0:
                    model.add(worked >= minimum)
                if f"max_hours:{employee.employee_id}" in enabled:
                    model.add(worked <= maximum)
            if "rest" in enabled:
                rest = problem.min_rest_hours - relax.get("rest", 0.0)
                for day, day_shifts in by_day.items():
                    following = by_day.get(day + 1, [])
                    for k in day_shifts:
                        if (e, k) not in self.assign:
                            continue
                        too_soon = [
                            self.assign[(e, j)]
                            for j in following
                            if (e, j) in self.assign and 24 - shifts[k].end + shifts[j].start < rest
                        ]
                        if too_soon:
                            model.add(self.assign[(e, k)] + sum(too_soon) <= 1)
        covering: dict[tuple[int, int], list[int]] = defaultdict(list)
        for k, shift in enumerate(shifts):
            for hour in range(shift.start, shift.end):
                covering[(shift.day, hour)].append(k)
        for (day, hour), need in requirements.items():
            if need <= 0 or f"coverage:{day}" not in enabled:
                continue
            model.add(
                sum(
                    self.assign[(e, k)]
                    for k in covering.get((day, hour), [])
                    for e in range(len(problem.employees))
                    if (e, k) in self.assign
                )
                >= need
            )
        for (skill, day, hour), need in problem.skill_needs().items():
            if f"skill:{skill}:{day}" not in enabled:
                continue
            model.add(
                sum(
                    self.assign[(e, k)]
                    for k in covering.get((day, hour), [])
                    for e, employee in enumerate(problem.employees)
                    if skill in employee.skills and (e, k) in self.assign
                )
                >= need
            )
        if with_objective:
            model.minimize(sum(cost_terms))

    def chosen_shifts(self, solver: cp_model.CpSolver) -> list[ShiftAssignment]:
        chosen = []
        for (e, k), variable in self.assign.items():
            if solver.boolean_value(variable):
                shift = self.shifts[k]
                chosen.append(
                    ShiftAssignment(self.problem.employees[e].employee_id, shift.day, shift.start, shift.end)
                )
        return sorted(chosen, key=lambda s: (s.day, s.start_hour, s.employee_id))

    def hint(self, shifts: list[ShiftAssignment]) -> None:
        index = {employee.employee_id: e for e, employee in enumerate(self.problem.employees)}
        chosen = {(index[s.employee_id], s.day, s.start_hour, s.end_hour) for s in shifts}
        for (e, k), variable in self.assign.items():
            shift = self.shifts[k]
            self.model.add_hint(variable, (e, shift.day, shift.start, shift.end) in chosen)


def _constraint_groups(
    problem: StaffingProblem, requirements: Mapping[tuple[int, int], int]
) -> list[ConstraintGroup]:
    groups = []
    by_day: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for (day, hour), need in requirements.items():
        if need > 0:
            by_day[day].append((hour, need))
    for day in sorted(by_day):
        peak_hour, peak = max(by_day[day], key=lambda item: (item[1], -item[0]))
        groups.append(
            ConstraintGroup(
                f"coverage:{day}",
                f"covering {problem.day_label(day)} (up to {peak} staff at {peak_hour:02d}:00)",
            )
        )
    skills = sorted({(skill, day) for skill, day, _ in problem.skill_needs()})
    for skill, day in skills:
        groups.append(
            ConstraintGroup(
                f"skill:{skill}:{day}", f"having someone with '{skill}' on duty on {problem.day_label(day)}"
            )
        )
    for employee in problem.employees:
        if employee.availability is not None:
            hours = sum(w.end_hour - w.start_hour for w in employee.availability)
            groups.append(
                ConstraintGroup(
                    f"availability:{employee.employee_id}",
                    f"{employee.name}'s availability ({hours} hours offered)",
                )
            )
        if employee.min_hours > 0:
            groups.append(
                ConstraintGroup(
                    f"min_hours:{employee.employee_id}",
                    f"{employee.name}'s minimum of {employee.min_hours:g} hours a week",
                )
            )
        groups.append(
            ConstraintGroup(
                f"max_hours:{employee.employee_id}",
                f"{employee.name}'s maximum of {employee.max_hours:g} hours a week",
            )
        )
    if problem.min_rest_hours > 0:
        groups.append(
            ConstraintGroup("rest", f"the minimum rest of {problem.min_rest_hours} hours between shifts")
        )
    return groups


def _unsolved_plan(
    problem: StaffingProblem,
    requirements: Mapping[tuple[int, int], int],
    groups: list[ConstraintGroup],
    outcome: SolveOutcome,
    settings: SolverSettings,
    started: float,
    current_cost: float,
    notes: list[str],
    inputs: Mapping[str, object],
) -> Plan:
    def is_feasible(enabled: frozenset[str]) -> bool | None:
        candidate = _StaffingModel(problem, requirements, enabled, relax={}, with_objective=False)
        _, result = solve_cp(candidate.model, settings, feasibility_only=True)
        return None if result.status == "no_solution" else result.has_solution

    return unsolved_plan(
        status=outcome.status,
        groups=groups,
        is_feasible=is_feasible,
        settings=settings,
        what="roster",
        plan_type="staffing",
        horizon=max(1, math.ceil(problem.n_days / 7)),
        period="week",
        decision_schema=DECISION_SCHEMA,
        objective_name="wage cost",
        objective_sense="minimize",
        current_value=current_cost,
        current_metric="current_roster_cost",
        notes=notes,
        solver="CP-SAT",
        solve_seconds=outcome.seconds,
        started=started,
        currency=problem.currency,
        inputs=inputs,
        structural_note="Some opening hours cannot be covered by any shift of the allowed lengths.",
    )


@dataclass(frozen=True)
class _Relaxation:
    """One tight rule to loosen for a re-solve, and how to say it."""

    key: str
    amount: float
    unit: str
    #: The loosened rule, e.g. "4 more hours a week for Ana".
    phrase: str
    #: The rule itself, e.g. "Ana's maximum of 24 hours a week".
    description: str
    #: A changed problem to solve instead (the service level); None: relax ``key`` by ``amount``.
    other_problem: StaffingProblem | None = None


def _value_binding_constraints(
    problem: StaffingProblem,
    requirements: Mapping[tuple[int, int], int],
    shifts: list[ShiftAssignment],
    outcome: SolveOutcome,
    settings: SolverSettings,
) -> list[BindingConstraint]:
    """Re-solve (warm-started from the plan) with each tight rule loosened; keep those that save wages.

    A saving counts only if the new roster actually uses the loosened rule (it breaks the original one)
    and exceeds twice the plan's own distance from optimality, so solver noise is not reported as value.
    """
    deadline = time.perf_counter() + settings.max_valuation_seconds
    cost = roster_cost(problem, shifts)
    noise = 2 * max(0.0, ((outcome.objective or 0.0) - (outcome.bound or 0.0)) / 100)
    horizon_words = describe_horizon(max(1, math.ceil(problem.n_days / 7)), "week")
    binding: list[BindingConstraint] = []
    for relaxation in _relaxation_candidates(problem, shifts)[: settings.max_valuation_solves]:
        remaining = deadline - time.perf_counter()
        if remaining <= 0.05:
            break
        other = relaxation.other_problem
        target = other or problem
        target_requirements = target.requirements() if other is not None else requirements
        enabled = frozenset(group.key for group in _constraint_groups(target, target_requirements))
        relaxed = _StaffingModel(
            target, target_requirements, enabled, relax={} if other else {relaxation.key: relaxation.amount}
        )
        relaxed.hint(shifts)
        limited = replace(settings, time_limit_seconds=min(settings.time_limit_seconds, remaining))
        solver, result = solve_cp(relaxed.model, limited)
        if not result.has_solution:
            continue
        new_shifts = relaxed.chosen_shifts(solver)
        saving = cost - roster_cost(target, new_shifts)
        if saving <= max(0.5, noise) or not roster_violations(problem, new_shifts):
            continue
        description = relaxation.description
        binding.append(
            BindingConstraint(
                key=relaxation.key,
                description=description,
                relax_by=relaxation.amount,
                relax_unit=relaxation.unit,
                value_of_relaxing=saving,
                method="re_solve",
                sentence=(
                    f"{description[0].upper()}{description[1:]} binds: {relaxation.phrase} would save "
                    f"{format_money(saving, problem.currency)} over {horizon_words}."
                ),
            )
        )
    return binding


def _relaxation_candidates(problem: StaffingProblem, shifts: list[ShiftAssignment]) -> list[_Relaxation]:
    """The rules worth valuing, most promising first: the service level, the rest rule, and hours limits.

    Cheaper people capped at their maximum, or dearer people held at their minimum, are the hours limits
    that can cost money; the three (two) most promising are valued.
    """
    step = min(problem.shift_lengths)
    weeks = max(1, math.ceil(problem.n_days / 7))
    hours_worked: dict[str, int] = defaultdict(int)
    for shift in shifts:
        hours_worked[shift.employee_id] += shift.end_hour - shift.start_hour
    working_wages = [e.hourly_wage for e in problem.employees if hours_worked[e.employee_id] > 0]
    highest_wage = max(working_wages, default=0.0)
    lowest_wage = min(working_wages, default=0.0)
    candidates: list[_Relaxation] = []
    if problem.uses_service_level and problem.service_level > 0.55:
        lower = round(problem.service_level - 0.05, 4)
        candidates.append(
            _Relaxation(
                "service_level",
                0.05,
                "service level",
                f"a {lower:.0%} service level instead of {problem.service_level:.0%}",
                f"the {problem.service_level:.0%} service level",
                replace(problem, service_level=lower),
            )
        )
    if problem.min_rest_hours > 0 and _works_consecutive_days(shifts):
        description = f"the minimum rest of {problem.min_rest_hours} hours between shifts"
        candidates.append(_Relaxation("rest", 1.0, "hour of rest", "one hour less minimum rest", description))
    at_max = [
        e
        for e in problem.employees
        if hours_worked[e.employee_id] >= math.floor(e.max_hours) * weeks and e.hourly_wage < highest_wage
    ]
    for employee in sorted(at_max, key=lambda e: e.hourly_wage)[:3]:
        candidates.append(
            _Relaxation(
                f"max_hours:{employee.employee_id}",
                float(step),
                f"hours a week for {employee.name}",
                f"{step} more hours a week for {employee.name}",
                f"{employee.name}'s maximum of {employee.max_hours:g} hours a week",
            )
        )
    at_min = [
        e
        for e in problem.employees
        if e.min_hours > 0
        and hours_worked[e.employee_id] <= math.ceil(e.min_hours) * weeks
        and e.hourly_wage > lowest_wage
    ]
    for employee in sorted(at_min, key=lambda e: -e.hourly_wage)[:2]:
        candidates.append(
            _Relaxation(
                f"min_hours:{employee.employee_id}",
                float(step),
                f"hours a week for {employee.name}",
                f"{step} fewer guaranteed hours a week for {employee.name}",
                f"{employee.name}'s minimum of {employee.min_hours:g} hours a week",
            )
        )
    return candidates


def roster_violations(
    problem: StaffingProblem, shifts: tuple[ShiftAssignment, ...] | list[ShiftAssignment]
) -> list[str]:
    """Every rule of ``problem`` that the roster ``shifts`` breaks, in words (empty: the roster is valid)."""
    problems: list[str] = []
    employees = {employee.employee_id: employee for employee in problem.employees}
    opening = {
        int(day): (int(first), int(last) + 1)
        for day, first, last in problem.demand.group_by("day")
        .agg(pl.col("hour").min(), pl.col("hour").max().alias("last"))
        .iter_rows()
    }
    per_day: dict[tuple[str, int], list[ShiftAssignment]] = defaultdict(list)
    for shift in shifts:
        employee = employees.get(shift.employee_id)
        if employee is None:
            problems.append(f"shift of unknown employee {shift.employee_id!r}")
            continue
        per_day[(shift.employee_id, shift.day)].append(shift)
        length = shift.end_hour - shift.start_hour
        if length not in problem.shift_lengths:
            problems.append(
                f"{employee.name}'s shift on day {shift.day} lasts {length} h, "
                f"not one of {problem.shift_lengths}"
            )
        window = opening.get(shift.day)
        if window is None or shift.start_hour < window[0] or shift.end_hour > window[1]:
            problems.append(
                f"{employee.name}'s shift on day {shift.day} ({shift.start_hour}-{shift.end_hour}) "
                "is outside opening hours"
            )
        if not employee.is_available(shift.day, shift.start_hour, shift.end_hour):
            problems.append(
                f"{employee.name} is not available on day {shift.day} {shift.start_hour}-{shift.end_hour}"
            )
    for (employee_id, day), day_shifts in per_day.items():
        if len(day_shifts) > 1:
            problems.append(f"{employees[employee_id].name} has {len(day_shifts)} shifts on day {day}")
        following = per_day.get((employee_id, day + 1), [])
        for first in day_shifts:
            for second in following:
                rest = 24 - first.end_hour + second.start_hour
                if rest < problem.min_rest_hours:
                    problems.append(
                        f"{employees[employee_id].name} rests only {rest} h "
                        f"between day {day} and day {day + 1}"
                    )
    for employee in problem.employees:
        for days, minimum, maximum in _weekly_limits(problem, employee, {}):
            worked = sum(
                s.end_hour - s.start_hour
                for s in shifts
                if s.employee_id == employee.employee_id and s.day in days
            )
            if worked < minimum:
                problems.append(
                    f"{employee.name} works {worked} h in week {days[0] // 7 + 1}, "
                    f"below the minimum {minimum}"
                )
            if worked > maximum:
                problems.append(
                    f"{employee.name} works {worked} h in week {days[0] // 7 + 1}, "
                    f"above the maximum {maximum}"
                )
    staffed = _staffed(shifts)
    for (day, hour), need in sorted(problem.requirements().items()):
        if staffed.get((day, hour), 0) < need:
            problems.append(f"day {day} {hour:02d}:00 has {staffed.get((day, hour), 0)} staff, needs {need}")
    for (skill, day, hour), need in sorted(problem.skill_needs().items()):
        qualified = sum(
            1
            for s in shifts
            if s.day == day
            and s.start_hour <= hour < s.end_hour
            and s.employee_id in employees
            and skill in employees[s.employee_id].skills
        )
        if qualified < need:
            problems.append(f"day {day} {hour:02d}:00 has {qualified} staff with '{skill}', needs {need}")
    return problems


def _works_consecutive_days(shifts: list[ShiftAssignment]) -> bool:
    days = {(s.employee_id, s.day) for s in shifts}
    return any((employee, day + 1) in days for employee, day in days)


def _decision_frame(problem: StaffingProblem, shifts: list[ShiftAssignment]) -> pl.DataFrame:
    employees = {employee.employee_id: employee for employee in problem.employees}
    rows = [
        {
            "employee_id": s.employee_id,
            "employee_name": employees[s.employee_id].name,
            "day": s.day,
            "day_label": problem.day_label(s.day),
            "start_hour": s.start_hour,
            "end_hour": s.end_hour,
            "hours": s.end_hour - s.start_hour,
            "wage_cost": employees[s.employee_id].hourly_wage * (s.end_hour - s.start_hour),
        }
        for s in shifts
    ]
    return pl.DataFrame(rows, schema=DECISION_SCHEMA)


def _requirement_note(problem: StaffingProblem) -> str:
    if not problem.uses_service_level:
        return "Staff needed per hour was given directly (required_staff)."
    return (
        f"Staff needed per hour: enough people that, with customers arriving at random (Poisson) around the "
        f"forecast, the hour's customers can be served in {problem.service_level:.0%} of cases, one person "
        f"serving {problem.customers_per_staff_hour:g} customers an hour; "
        f"at least {problem.min_staff_when_open} "
        "while open."
    )


def _explanation(
    problem: StaffingProblem,
    decisions: pl.DataFrame,
    cost: float,
    impact: float,
    current_gap: int,
    binding: list[BindingConstraint],
    credibility: Credibility,
) -> str:
    currency = problem.currency
    weeks = max(1, math.ceil(problem.n_days / 7))
    horizon_words = describe_horizon(weeks, "week")
    staff_hours = int(decisions["hours"].sum()) if decisions.height else 0
    target = (
        f"at a {problem.service_level:.0%} service level"
        if problem.uses_service_level
        else "at the required staffing levels"
    )
    sentences = [
        f"Roster for {horizon_words}: {decisions.height} shifts, {staff_hours} staff-hours, "
        f"{format_money(cost, currency)} in wages, covering the forecast demand {target}."
    ]
    if decisions.height:
        per_person = (
            decisions.group_by("employee_name")
            .agg(pl.col("hours").sum(), pl.len().alias("shifts"))
            .sort(["hours", "employee_name"], descending=[True, False])
        )
        listed = ", ".join(
            f"{name} {hours} h"
            for name, hours, _ in per_person.head(4).select(["employee_name", "hours", "shifts"]).iter_rows()
        )
        sentences.append(f"Most hours: {listed}.")
    impact_text = impact_sentence(impact, "wage cost", "your current roster", horizon_words, currency)
    if impact_text and problem.current_roster:
        sentences.append(impact_text)
    if current_gap > 0:
        sentences.append(
            f"Your current roster leaves {current_gap} staff-hours below what this service level needs; "
            "the plan leaves none."
        )
    if credibility.caveat:
        sentences.append(credibility.caveat)
    sentences.extend(constraint.sentence for constraint in binding)
    return " ".join(sentences)
