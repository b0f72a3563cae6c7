"""Homebase (public API v1) shaped records: employees with their job and wage, and timecards with clock-in
and clock-out, breaks and labor (hours, wage rate, cost).

Conventions followed: integer ids, timestamps in UTC with a `Z`, wage rates and costs as JSON numbers in
major units. A timecard changes after its shift: it is approved the following Monday, and a forgotten
clock-out (Homebase closes it automatically after 12 hours) is corrected by the manager a few days later.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import uuid5

from .clock import iso_utc
from .engine_staff import AUTO_CLOCK_OUT_SECONDS, Employee
from .ids import homebase_id
from .keyed_random import stable_hash64
from .names import person_name
from .profiles import DEMO_TENANT_NAMESPACE
from .shapes_common import ShapeContext

APPROVAL_SOD = 11 * 3600
CORRECTION_SOD = 10 * 3600
TERMINATION_SOD = 18 * 3600


def location_uuid(ctx: ShapeContext) -> str:
    return str(uuid5(DEMO_TENANT_NAMESPACE, f"homebase-location:{ctx.slug}"))


def _identity(ctx: ShapeContext, employee: Employee) -> tuple[int, str, str]:
    first, last = person_name(stable_hash64(f"{ctx.slug}:employee:{employee.seq}"))
    return homebase_id("employee", ctx.slug, employee.seq), first, last


def employees(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    staff = ctx.run.staff
    if staff is None:
        return
    clock = ctx.clock
    rows = []
    for e in staff.employees:
        created = clock.epoch(e.hired_ordinal, e.hired_sod)
        if created > ctx.end_epoch:
            continue
        changes = [created]
        changes += [
            clock.epoch(o, 9 * 3600) for o, _ in e.raises if clock.epoch(o, 9 * 3600) <= ctx.end_epoch
        ]
        archived = None
        if e.terminated_ordinal is not None:
            t = clock.epoch(e.terminated_ordinal, TERMINATION_SOD)
            if t <= ctx.end_epoch:
                archived = t
                changes.append(t)
        rows.append((max(changes), e.seq, e, created, archived))
    rows.sort(key=lambda r: (r[0], r[1]))
    loc = location_uuid(ctx)
    for updated, _, e, created, archived in rows:
        eid, first, last = _identity(ctx, e)
        wage = e.wage_on(ctx.last_ordinal)
        yield {
            "tenant_id": ctx.tenant_id,
            "id": eid,
            "first_name": first,
            "last_name": last,
            "email": f"{first.lower()}.{last.lower()}.{e.seq}@example.net",
            "phone": None,
            "job": {
                "id": homebase_id("job", ctx.slug, e.seq),
                "level": "Manager" if e.role in ("Store Manager", "Shift Lead") else "Employee",
                "default_role": e.role,
                "pin": None,
                "pos_partner_id": None,
                "payroll_id": f"P{e.seq + 1:04d}",
                "wage_rate": wage,
                "wage_type": "Hourly",
                "roles": [{"name": e.role, "wage_rate": wage}],
                "archived_at": iso_utc(archived) if archived is not None else None,
                "location_uuid": loc,
            },
            "created_at": iso_utc(created),
            "updated_at": iso_utc(updated),
        }


def timecards(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    staff = ctx.run.staff
    if staff is None:
        return
    clock = ctx.clock
    end = ctx.end_epoch
    rows = []
    for n in range(staff.n_timecards):
        ordinal = ctx.ordinal(int(staff.tc_day[n]))
        clock_in = clock.epoch(ordinal, int(staff.tc_clock_in[n]))
        if clock_in > end:
            continue
        true_out = clock.epoch(ordinal, int(staff.tc_clock_out[n]))
        clock_out: int | None = true_out
        updated = true_out
        if staff.tc_forgot[n]:
            fixed_at = clock.epoch(int(staff.tc_fix_ordinal[n]), CORRECTION_SOD)
            if fixed_at <= end:
                updated = fixed_at
            else:
                auto = clock_in + AUTO_CLOCK_OUT_SECONDS
                clock_out, updated = (auto, auto) if auto <= end else (None, clock_in)
        elif true_out > end:
            clock_out, updated = None, clock_in
        approved_at = clock.epoch(int(staff.tc_approve_ordinal[n]), APPROVAL_SOD)
        approved = approved_at <= end
        if approved:
            updated = max(updated, approved_at)
        rows.append((updated, n, clock_in, clock_out, approved))
    rows.sort(key=lambda r: (r[0], r[1]))
    for updated, n, clock_in, clock_out, approved in rows:
        yield _timecard(ctx, n, clock_in, clock_out, approved, updated)


def _timecard(
    ctx: ShapeContext, n: int, clock_in: int, clock_out: int | None, approved: bool, updated: int
) -> dict[str, Any]:
    staff = ctx.run.staff
    assert staff is not None
    employee = staff.employees[int(staff.tc_employee[n])]
    eid, first, last = _identity(ctx, employee)
    unpaid = int(staff.tc_break[n])
    wage = int(staff.tc_wage_cents[n]) / 100.0
    scheduled = (int(staff.tc_scheduled_end[n]) - int(staff.tc_scheduled_start[n]) - unpaid) / 3600.0
    paid = max((clock_out - clock_in - unpaid) / 3600.0, 0.0) if clock_out is not None else 0.0
    timebreaks = []
    if unpaid and clock_out is not None:
        break_start = clock_in + (clock_out - clock_in) // 2 - unpaid // 2
        timebreaks.append(
            {
                "id": homebase_id("break", ctx.slug, n),
                "mandated_break_id": None,
                "timecard_id": homebase_id("timecard", ctx.slug, n),
                "paid": False,
                "duration": unpaid,
                "work_period": None,
                "created_at": iso_utc(break_start),
                "updated_at": iso_utc(break_start + unpaid),
                "start_at": iso_utc(break_start),
                "end_at": iso_utc(break_start + unpaid),
            }
        )
    role = next(r for r in ctx.run.behaviour.staff if r.role == employee.role)
    return {
        "tenant_id": ctx.tenant_id,
        "id": homebase_id("timecard", ctx.slug, n),
        "user_id": eid,
        "first_name": first,
        "last_name": last,
        "payroll_id": f"P{employee.seq + 1:04d}",
        "job_id": homebase_id("job", ctx.slug, employee.seq),
        "shift_id": None,
        "role": employee.role,
        "department": role.department,
        "timebreaks": timebreaks,
        "labor": {
            "wage_type": "Hourly",
            "break_penalty": 0.0,
            "costs": round(paid * wage, 2),
            "cash_tips": 0.0,
            "credit_tips": 0.0,
            "weekly_overtime": 0.0,
            "paid_time_off_hours": 0.0,
            "time_off_hours": 0.0,
            "unpaid_break_hours": round(unpaid / 3600.0, 2),
            "regular_hours": round(paid, 2),
            "paid_hours": round(paid, 2),
            "scheduled_hours": round(scheduled, 2),
            "daily_overtime": 0.0,
            "double_overtime": 0.0,
            "wage_rate": wage,
        },
        "approved": approved,
        "created_at": iso_utc(clock_in),
        "updated_at": iso_utc(updated),
        "clock_in": iso_utc(clock_in),
        "clock_out": iso_utc(clock_out) if clock_out is not None else None,
    }
