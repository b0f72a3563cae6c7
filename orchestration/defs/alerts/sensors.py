"""``keel_alerts``: every few minutes, run the alert triggers for every active tenant and send what is due.

Thin: it collects the failed data checks from Dagster's own records, lists the tenants, and hands each
tenant to :func:`coach.alerts.check.check_tenant` (triggers, inbox, delivery with quiet hours and
retries). It starts no runs; a tenant that fails is logged and the others still get their alerts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import dagster as dg

from coach.alerts.check import check_tenant
from coach.alerts.model import FailedCheck
from keel.warehouse import connect

SENSOR_INTERVAL_SECONDS = 300


def failed_checks(instance: dg.DagsterInstance, check_keys: Iterable[dg.AssetCheckKey]) -> list[FailedCheck]:
    """The checks whose latest execution failed, as the alerts library takes them.

    A check's metadata may name the tenants it concerns (``tenant_ids``: a list of ids); without it the
    check concerns every tenant.
    """
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(list(check_keys))
    found = []
    for key, record in latest.items():
        if record.status != AssetCheckExecutionRecordStatus.FAILED or record.event is None:
            continue
        dagster_event = record.event.dagster_event
        evaluation: Any = dagster_event.event_specific_data if dagster_event else None
        metadata: Mapping[str, Any] = getattr(evaluation, "metadata", None) or {}
        description = getattr(evaluation, "description", None) or _describe(metadata)
        tenants = metadata.get("tenant_ids")
        tenant_ids = None
        if tenants is not None:
            tenant_ids = frozenset(uuid.UUID(str(t)) for t in getattr(tenants, "value", tenants))
        found.append(FailedCheck(key.asset_key.to_user_string(), key.name, description, tenant_ids))
    return found


def _describe(metadata: Mapping[str, Any]) -> str:
    parts = [f"{name.replace('_', ' ')}: {getattr(v, 'value', v)}" for name, v in metadata.items()]

    return "; ".join(parts[:3]) or "the check did not pass"


def active_tenants() -> list[uuid.UUID]:
    with connect("keel_transformer") as conn:
        # benchmark peers (demo copies) have no owners to alert
        rows = conn.execute(
            "select tenant_id from app.tenants where is_active and not is_benchmark_peer order by slug"
        ).fetchall()
    return [uuid.UUID(str(r[0])) for r in rows]


@dg.sensor(
    name="keel_alerts",
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Runs the alert triggers for every tenant (goals at risk, metrics outside their forecast, health "
        "score drops, stale sources, failed data checks), keeps new alerts in the inbox and sends what is "
        "due to the tenants' channels (quiet hours, retries with back-off)."
    ),
)
def keel_alerts(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    repository = context.repository_def
    checks = failed_checks(context.instance, repository.asset_checks_defs_by_key if repository else {})
    new = sent = failed = 0
    errors = []
    for tenant_id in active_tenants():
        try:
            result = check_tenant(tenant_id, failed_checks=checks)
        except Exception as exc:  # one tenant's trouble must not silence the others' alerts
            errors.append(tenant_id)
            context.log.error(f"alerts of tenant {tenant_id} could not be checked: {exc}")
            continue
        new += len(result.new_alert_ids)
        sent += result.delivery.sent
        failed += result.delivery.failed
        for error in result.delivery.errors:
            context.log.warning(f"tenant {tenant_id}: delivery failed, will retry: {error}")
    summary = f"{new} new alert(s), {sent} sent, {failed} failed deliveries (retried later)"
    if errors:
        summary += f"; {len(errors)} tenant(s) could not be checked"
    context.log.info(summary)
    return dg.SkipReason(summary)
