"""What an owner did and when (``app.interventions``): recorded by the console and the API, read back by both.

The evidence engine estimates the effect of every recorded intervention on the metric it names; an owner
records what and when, never an effect. Every call runs as the tenant's own ``keel_app`` login, so
row-level security keeps it inside that tenant; a recording is written to the tenant's audit trail.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from keel import warehouse

KINDS = ("promotion", "price_change", "staffing_change", "marketing_change", "other")
COLUMNS = (
    "intervention_id, kind, name, starts_on, ends_on, weekdays, target_metric, target_product, "
    "evaluate_days, notes, recorded_at"
)


class InterventionInputError(ValueError):
    """An intervention's input is wrong; the message names the input and what to do."""


@dataclass(frozen=True)
class Intervention:
    intervention_id: uuid.UUID
    kind: str
    name: str
    starts_on: date
    ends_on: date | None
    weekdays: list[int] | None
    target_metric: str
    target_product: str | None
    evaluate_days: int | None
    notes: str | None
    recorded_at: datetime


def _row(r: tuple[Any, ...]) -> Intervention:
    return Intervention(uuid.UUID(str(r[0])), *r[1:])


def list_interventions(tenant_id: uuid.UUID) -> list[Intervention]:
    """The tenant's recorded interventions, newest first."""
    with warehouse.connect("keel_app", tenant_id=tenant_id) as conn:
        rows = conn.execute(
            f"select {COLUMNS} from app.interventions "
            "where tenant_id = (select app.current_tenant_id()) order by starts_on desc, name"
        ).fetchall()
    return [_row(r) for r in rows]


def record_intervention(
    tenant_id: uuid.UUID,
    *,
    kind: str,
    name: str,
    starts_on: date,
    ends_on: date | None = None,
    weekdays: list[int] | None = None,
    target_metric: str = "revenue_net",
    target_product: str | None = None,
    evaluate_days: int | None = None,
    notes: str | None = None,
    actor: str | None = None,
) -> Intervention:
    """Record what the owner did; :class:`InterventionInputError` naming a wrong input."""
    if kind not in KINDS:
        raise InterventionInputError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    if not 1 <= len(name.strip()) <= 200:
        raise InterventionInputError("name: give 1 to 200 characters")
    if ends_on is not None and ends_on < starts_on:
        raise InterventionInputError(f"ends_on: {ends_on} comes before starts_on {starts_on}")
    if weekdays is not None and (not weekdays or any(not 0 <= d <= 6 for d in weekdays)):
        raise InterventionInputError("weekdays: give days 0 (Monday) to 6 (Sunday), or leave it out")
    if evaluate_days is not None and evaluate_days <= 0:
        raise InterventionInputError("evaluate_days: give a positive number of days")
    try:
        with warehouse.connect("keel_app", tenant_id=tenant_id) as conn:
            row = conn.execute(
                "insert into app.interventions (tenant_id, kind, name, starts_on, ends_on, weekdays, "
                "target_metric, target_product, evaluate_days, notes) "
                "values ((select app.current_tenant_id()), %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                f"returning {COLUMNS}",
                (
                    kind,
                    name.strip(),
                    starts_on,
                    ends_on,
                    weekdays,
                    target_metric,
                    target_product,
                    evaluate_days,
                    notes,
                ),
            ).fetchone()
            assert row is not None
            conn.execute(
                "insert into app.audit_events (tenant_id, actor, action, detail) "
                "values ((select app.current_tenant_id()), %s, 'intervention.recorded', %s)",
                (actor, Jsonb({"intervention_id": str(row[0]), "name": name.strip()})),
            )
    except psycopg.errors.UniqueViolation:
        raise InterventionInputError(
            f"name: an intervention called {name.strip()!r} is already recorded"
        ) from None
    except psycopg.errors.CheckViolation as exc:
        raise InterventionInputError(
            f"target_metric: {target_metric!r} is not a metric name ({exc.diag.constraint_name})"
        ) from None
    return _row(row)
