"""Staff, rosters and timecards, shaped for a Homebase-like scheduling and time-clock source.

Headcount per role follows the owner's planning demand (not the realized one: schedules are made ahead).
Employees quit at a daily hazard and are replaced at the next weekly review; everyone gets a raise each
1 January. Timecards carry small clock-in/out noise; a few forget to clock out and are corrected days
later, and all are approved on the Monday after, so timecards change after they are created.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from .behaviour import Behaviour, StaffRole
from .calendar_features import DayFeatures
from .engine_demand import Demand
from .interventions import Intervention
from .keyed_random import KeyedRandom

IntArray = npt.NDArray[np.int64]

QUIT_HAZARD_PER_DAY = 0.0012
SHIFTS_PER_WEEK = 4.5
FORGOT_CLOCK_OUT_PROB = 0.02
AUTO_CLOCK_OUT_SECONDS = 12 * 3600  # Homebase's automatic clock-out
BREAK_AFTER_SECONDS = 6 * 3600
BREAK_SECONDS = 30 * 60
INTERVENTION_HIRE_SEQ = 9_000  # employee numbers of people hired by a staffing intervention


def staff_need(behaviour: Behaviour, days: DayFeatures, demand: Demand, scale: float) -> dict[str, IntArray]:
    """People needed per role and day (zero on closed days)."""
    need: dict[str, IntArray] = {}
    for role in behaviour.staff:
        base = np.round(np.asarray(role.base_count, dtype=np.float64)[days.weekday] * scale)
        base = np.where(np.asarray(role.base_count)[days.weekday] > 0, np.maximum(base, 1), 0)
        extra = np.floor(demand.planning / role.per_demand) if role.per_demand > 0 else 0.0
        cap = role.max_count * max(1, math.ceil(scale))
        count = np.minimum(base + extra, cap)
        need[role.role] = np.where(demand.is_open, count, 0).astype(np.int64)
    return need


@dataclass
class Employee:
    seq: int
    role: str
    department: str
    wage: float  # starting hourly wage
    hired_ordinal: int
    hired_sod: int
    terminated_ordinal: int | None = None
    raises: list[tuple[int, float]] = field(default_factory=list)  # (ordinal effective, new wage)
    intervention_id: str | None = None

    def wage_on(self, ordinal: int) -> float:
        wage = self.wage
        for effective, new_wage in self.raises:
            if effective <= ordinal:
                wage = new_wage
        return wage


@dataclass
class StaffResult:
    employees: list[Employee]
    tc_employee: IntArray  # index into employees
    tc_day: IntArray
    tc_clock_in: IntArray  # seconds of day
    tc_clock_out: IntArray  # true clock-out
    tc_scheduled_start: IntArray
    tc_scheduled_end: IntArray
    tc_break: IntArray  # unpaid break seconds
    tc_wage_cents: IntArray
    tc_forgot: npt.NDArray[np.bool_]
    tc_fix_ordinal: IntArray  # when the missing clock-out was corrected (-1 none)
    tc_approve_ordinal: IntArray
    hours: npt.NDArray[np.float64]  # true paid hours per day
    labor_cost: IntArray  # true cost per day, minor units

    @property
    def n_timecards(self) -> int:
        return len(self.tc_day)


def _round_quarter(value: float) -> float:
    return round(value * 4) / 4


def simulate_staff(
    behaviour: Behaviour,
    days: DayFeatures,
    demand: Demand,
    need: dict[str, IntArray],
    rng: KeyedRandom,
    interventions: tuple[Intervention, ...],
    opened_ordinal: int,
    scale: float,
) -> StaffResult:
    roles = {r.role: r for r in behaviour.staff}
    n_days = days.n
    ordinals = days.ordinals
    first = int(ordinals[0]) if n_days else opened_ordinal
    employees = _initial_staff(behaviour, demand, rng, first, opened_ordinal, scale, n_days)
    extras = _intervention_hires(interventions, roles, ordinals, n_days)

    cards = _Timecards()
    week_shifts: dict[int, int] = {}
    active = [e for e in employees if e.intervention_id is None]
    for t in range(n_days):
        ordinal = int(ordinals[t])
        if days.weekday[t] == 0:
            week_shifts.clear()
            active = _weekly_review(behaviour, need, rng, employees, active, t, ordinal)
        if days.day_of_year[t] == 1:
            _annual_raises(employees, rng, ordinal, int(days.year[t]))
        for role in behaviour.staff:
            _assign_shifts(role, int(need[role.role][t]), active, rng, t, ordinal, week_shifts, cards)
        for change, employee in extras:
            on = change.active(ordinals[t : t + 1], days.weekday[t : t + 1])[0]
            if on and demand.is_open[t] and change.shift and employee.hired_ordinal <= ordinal:
                cards.add(employee.seq, t, change.shift[0], change.shift[1])
        active = _quits(active, rng, ordinal)

    employees.extend(extra for _, extra in extras)
    return _staff_result(employees, cards, days, rng)


def _hire(employees: list[Employee], rng: KeyedRandom, role: StaffRole, ordinal: int) -> Employee:
    """A new employee in ``role`` from ``ordinal`` on, with a wage drawn from the role's range."""
    seq = len(employees)
    u = rng.uniform("staff:wage", seq)[0]
    employee = Employee(
        seq=seq,
        role=role.role,
        department=role.department,
        wage=_round_quarter(role.wage_low + u * (role.wage_high - role.wage_low)),
        hired_ordinal=ordinal,
        hired_sod=int(10 * 3600 + rng.uniform("staff:hired-at", seq)[0] * 6 * 3600),
    )
    employees.append(employee)
    return employee


def _initial_staff(
    behaviour: Behaviour,
    demand: Demand,
    rng: KeyedRandom,
    first: int,
    opened_ordinal: int,
    scale: float,
    n_days: int,
) -> list[Employee]:
    """The people employed before the first simulated day, enough for each role's first week."""
    employees: list[Employee] = []
    for role in behaviour.staff:
        weekly_people = float(np.sum(np.round(np.asarray(role.base_count) * scale)))
        if role.per_demand > 0 and n_days:
            weekly_people += 7 * float(demand.planning[: min(7, n_days)].mean()) / role.per_demand
        for _ in range(max(1, math.ceil(weekly_people / SHIFTS_PER_WEEK))):
            seq = len(employees)
            tenure = int(rng.uniform("staff:tenure", seq)[0] * 900)
            hired = max(first - 1 - tenure, opened_ordinal - 21)
            _hire(employees, rng, role, min(hired, first - 1))
    return employees


def _intervention_hires(
    interventions: tuple[Intervention, ...], roles: dict[str, StaffRole], ordinals: IntArray, n_days: int
) -> list[tuple[Intervention, Employee]]:
    """People hired by a staffing intervention take numbers from their own range, so whether they exist
    yet (or at all, in the counterfactual) never renumbers anyone else."""
    staffing = [i for i in interventions if i.kind == "staffing_change" and i.role in roles]
    extras: list[tuple[Intervention, Employee]] = []
    for index, change in enumerate(staffing):
        hire_ordinal = (change.hire_date or change.start).toordinal()
        if hire_ordinal <= (int(ordinals[-1]) if n_days else hire_ordinal - 1):
            extra = Employee(
                seq=INTERVENTION_HIRE_SEQ + index,
                role=change.role or "",
                department=roles[change.role or ""].department,
                wage=roles[change.role or ""].wage_low,
                hired_ordinal=hire_ordinal,
                hired_sod=10 * 3600,
                intervention_id=change.intervention_id,
            )
            extras.append((change, extra))
    return extras


@dataclass
class _Timecards:
    """Scheduled shifts as they are assigned: employee seq, day index, start and end second of day."""

    employee: list[int] = field(default_factory=list)
    day: list[int] = field(default_factory=list)
    start: list[int] = field(default_factory=list)
    end: list[int] = field(default_factory=list)

    def add(self, employee: int, day: int, start: int, end: int) -> None:
        self.employee.append(employee)
        self.day.append(day)
        self.start.append(start)
        self.end.append(end)


def _weekly_review(
    behaviour: Behaviour,
    need: dict[str, IntArray],
    rng: KeyedRandom,
    employees: list[Employee],
    active: list[Employee],
    t: int,
    ordinal: int,
) -> list[Employee]:
    """Monday: replace leavers and follow demand, hiring up to the past week's need of each role."""
    for role in behaviour.staff:
        recent = need[role.role][max(0, t - 6) : t + 1]
        target = math.ceil(float(recent.sum()) * 7 / len(recent) / SHIFTS_PER_WEEK)
        in_role = sum(1 for e in active if e.role == role.role)
        for _ in range(max(0, target - in_role)):
            active.append(_hire(employees, rng, role, ordinal))
    return active


def _annual_raises(employees: list[Employee], rng: KeyedRandom, ordinal: int, year: int) -> None:
    """1 January: everyone employed gets a raise of 3 to 5 %."""
    for e in employees:
        if e.terminated_ordinal is None and e.hired_ordinal < ordinal:
            bump = 1.03 + 0.02 * rng.uniform("staff:raise", e.seq, year)[0]
            e.raises.append((ordinal, _round_quarter(e.wage_on(ordinal) * bump)))


def _assign_shifts(
    role: StaffRole,
    n: int,
    active: list[Employee],
    rng: KeyedRandom,
    t: int,
    ordinal: int,
    week_shifts: dict[int, int],
    cards: _Timecards,
) -> None:
    """The day's ``n`` shifts of a role go to the people with the fewest shifts this week."""
    if n <= 0:
        return
    pool = [e for e in active if e.role == role.role and e.hired_ordinal <= ordinal]
    if not pool:
        return
    ties = rng.uniform("staff:pick", np.array([e.seq for e in pool]), ordinal)
    ranked = sorted(range(len(pool)), key=lambda i: (week_shifts.get(pool[i].seq, 0), ties[i]))
    for slot, i in enumerate(ranked[:n]):
        employee = pool[i]
        start, end = role.shifts[slot % len(role.shifts)]
        cards.add(employee.seq, t, start, end)
        week_shifts[employee.seq] = week_shifts.get(employee.seq, 0) + 1


def _quits(active: list[Employee], rng: KeyedRandom, ordinal: int) -> list[Employee]:
    """Each active employee may quit today; those who do leave the active staff."""
    if not active:
        return active
    seqs = np.array([e.seq for e in active])
    quits = rng.uniform("staff:quit", seqs, ordinal) < QUIT_HAZARD_PER_DAY
    if not quits.any():
        return active
    for e, quit_today in zip(active, quits, strict=True):
        if quit_today and e.hired_ordinal < ordinal:
            e.terminated_ordinal = ordinal
    return [e for e in active if e.terminated_ordinal is None]


def _staff_result(
    employees: list[Employee], cards: _Timecards, days: DayFeatures, rng: KeyedRandom
) -> StaffResult:
    """Timecards as clocked (late or early, breaks, forgotten clock-outs fixed later, approvals) and
    the daily hours and labour cost they add up to."""
    ordinals = days.ordinals
    index_of = {e.seq: i for i, e in enumerate(employees)}
    seqs = np.asarray(cards.employee, dtype=np.int64)
    emp = np.array([index_of[int(s)] for s in seqs], dtype=np.int64)
    day = np.asarray(cards.day, dtype=np.int64)
    start_sod = np.asarray(cards.start, dtype=np.int64)
    end_sod = np.asarray(cards.end, dtype=np.int64)
    ords = ordinals[day] if len(day) else np.zeros(0, dtype=np.int64)
    clock_in = start_sod + np.round(rng.normal("staff:in", seqs, ords) * 240 - 180).astype(np.int64)
    clock_out = end_sod + np.round(rng.normal("staff:out", seqs, ords) * 480 + 300).astype(np.int64)
    unpaid = np.where(end_sod - start_sod > BREAK_AFTER_SECONDS, BREAK_SECONDS, 0).astype(np.int64)
    forgot = rng.uniform("staff:forgot", seqs, ords) < FORGOT_CLOCK_OUT_PROB
    fix = np.where(forgot, ords + 1 + np.floor(rng.uniform("staff:fix", seqs, ords) * 4).astype(np.int64), -1)
    weekday = days.weekday[day] if len(day) else np.zeros(0, dtype=np.int64)
    days_to_monday = (7 - weekday) % 7
    approve = np.maximum(ords + np.where(days_to_monday == 0, 7, days_to_monday), fix)
    wage_cents = np.array(
        [round(employees[e].wage_on(int(o)) * 100) for e, o in zip(emp, ords, strict=True)],
        dtype=np.int64,
    )
    paid_hours = (clock_out - clock_in - unpaid) / 3600.0
    hours = np.bincount(day, weights=paid_hours, minlength=days.n)
    cost = np.round(np.bincount(day, weights=paid_hours * wage_cents, minlength=days.n)).astype(np.int64)
    return StaffResult(
        employees=employees,
        tc_employee=emp,
        tc_day=day,
        tc_clock_in=clock_in,
        tc_clock_out=clock_out,
        tc_scheduled_start=start_sod,
        tc_scheduled_end=end_sod,
        tc_break=unpaid,
        tc_wage_cents=wage_cents,
        tc_forgot=forgot,
        tc_fix_ordinal=fix,
        tc_approve_ordinal=approve,
        hours=np.asarray(hours, dtype=np.float64),
        labor_cost=cost,
    )
