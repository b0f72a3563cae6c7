"""Run every trigger for one tenant, keep the news in the inbox, and (optionally) send what is due.

The Dagster sensor (``orchestration/defs/alerts``) and ``keel alerts check`` call :func:`check_tenant`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from coach.alerts import triggers
from coach.alerts.delivery import DeliveryReport, deliver_pending
from coach.alerts.inbox import record_alerts
from coach.alerts.model import Alert, FailedCheck, Kind
from keel.settings import KeelSettings, get_settings
from keel.warehouse import connect


@dataclass
class CheckResult:
    tenant_id: uuid.UUID
    firing: list[Alert]
    """Every alert the triggers raise now (new or already in the inbox)."""
    new_alert_ids: list[uuid.UUID]
    delivery: DeliveryReport = field(default_factory=DeliveryReport)


def evaluate(
    tenant_id: uuid.UUID,
    *,
    now: dt.datetime,
    failed_checks: Sequence[FailedCheck] | None = None,
    note: bool = True,
) -> tuple[list[Alert], list[Kind]]:
    """The alerts the triggers raise for the tenant now, and the kinds that were evaluated.

    ``note``: also note the coming days' forecasts for the anomaly trigger (a write; off for a dry run).
    """
    with connect("keel_app", tenant_id=tenant_id) as conn:
        if note:
            triggers.note_forecasts(conn)
            conn.commit()
        tenant = conn.execute(
            "select t.currency, coalesce(p.health_drop_points, 5), coalesce(p.source_freshness_hours, 48) "
            "from app.tenants t left join app.alert_preferences p on p.tenant_id = t.tenant_id "
            "where t.tenant_id = (select app.current_tenant_id())"
        ).fetchone()
        if tenant is None:
            raise LookupError(f"tenant {tenant_id} is not in Keel")
        currency, drop_points, freshness_hours = tenant
        goals = triggers.read_goal_evaluations(conn)
        days = triggers.read_forecasted_days(conn)
        months = triggers.read_health_months(conn)
        sources = triggers.read_sources(conn)
    alerts = [
        *triggers.goal_alerts(goals, currency),
        *triggers.anomaly_alerts(days, goals, currency),
        *triggers.health_alerts(months, float(drop_points), goals),
        *triggers.freshness_alerts(sources, int(freshness_hours), now),
    ]
    kinds: list[Kind] = ["goal", "anomaly", "health", "freshness"]
    if failed_checks is not None:
        alerts += triggers.data_check_alerts(failed_checks, tenant_id)
        kinds.append("data_check")
    return alerts, kinds


def check_tenant(
    tenant_id: uuid.UUID,
    *,
    send: bool = True,
    record: bool = True,
    failed_checks: Sequence[FailedCheck] | None = None,
    now: dt.datetime | None = None,
    settings: KeelSettings | None = None,
) -> CheckResult:
    """Evaluate the triggers; with ``record`` keep new alerts in the inbox; with ``send`` deliver what is due.

    ``failed_checks`` None: data checks were not looked at this time (their open alerts stay open).
    """
    settings = settings or get_settings()
    now = now or dt.datetime.now(dt.UTC)
    alerts, kinds = evaluate(tenant_id, now=now, failed_checks=failed_checks, note=record)
    result = CheckResult(tenant_id, alerts, [])
    if not record:
        return result
    with connect("keel_app", tenant_id=tenant_id, settings=settings) as conn:
        result.new_alert_ids = record_alerts(conn, alerts, evaluated=kinds, now=now)
        conn.commit()
        if send:
            result.delivery = deliver_pending(conn, now=now, settings=settings)
    return result
