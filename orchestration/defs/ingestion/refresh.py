"""``tenant_sources`` and the ``tenant_source_refresh`` sensor: each tenant's sources load when they are due.

Every five minutes the sensor reads the schedules of every active tenant's sources
(:func:`ingestion.refresh.source_schedules`: hourly for sales and payments, daily for accounting, ERP
and CRM, or the account's own ``refresh_every``) and launches, for each tenant with a source due, one run
of that tenant's partition selecting only the due sources' assets. Tenants with nothing due get no run.
Downstream, dbt models and ML assets follow through declarative automation when the loads brought
something new (a load with nothing new materializes nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import dagster as dg

from ingestion.refresh import due_by_tenant, source_schedules
from orchestration.defs.ingestion.assets import source_assets
from orchestration.defs.tenants.partitions import TENANT_PARTITIONS, TENANT_PARTITIONS_NAME

REFRESH_CHECK_SECONDS = 300

#: The source loads of one tenant's partition (``keel demo`` runs it for each tenant, the sensor when due).
tenant_sources = dg.define_asset_job(
    "tenant_sources",
    selection=dg.AssetSelection.assets(*source_assets).without_checks(),
    description="Load one tenant's sources (its partition): the demo provider and its connected accounts.",
)


def keys_of_sources(sources: Iterable[str]) -> list[dg.AssetKey]:
    """The asset keys of the given services' loads (services without a Dagster asset have none)."""
    wanted = {f"dlt_{source}" for source in sources}
    return sorted(
        (key for assets in source_assets if assets.node_def.name in wanted for key in assets.keys),
        key=lambda k: k.to_user_string(),
    )


def refresh_requests(
    due: dict[str, list[str]], known_partitions: Sequence[str], now: datetime
) -> dg.SensorResult | dg.SkipReason:
    """One run request per tenant with sources due; partitions missing for those tenants are added."""
    bucket = now.strftime("%Y-%m-%dT%H:%M")
    requests = []
    for slug, sources in sorted(due.items()):
        keys = keys_of_sources(sources)
        if not keys:
            continue
        requests.append(
            dg.RunRequest(
                run_key=f"{slug}:{','.join(sorted(sources))}:{bucket}",
                partition_key=slug,
                asset_selection=keys,
                tags={"keel/due_sources": ",".join(sorted(sources))},
            )
        )
    if not requests:
        return dg.SkipReason("no tenant has a source due")
    missing = sorted({r.partition_key for r in requests if r.partition_key} - set(known_partitions))
    partition_requests = [TENANT_PARTITIONS.build_add_request(missing)] if missing else []
    return dg.SensorResult(run_requests=requests, dynamic_partitions_requests=partition_requests)


@dg.sensor(
    name="tenant_source_refresh",
    jobs=[tenant_sources],
    minimum_interval_seconds=REFRESH_CHECK_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Launches a run of each tenant whose sources are due (hourly for sales and payments, daily "
    "for accounting, ERP and CRM, or the account's own refresh_every), selecting only the due sources.",
)
def tenant_source_refresh(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    now = datetime.now(UTC)
    schedules = source_schedules()
    for schedule in schedules:
        if schedule.config_error:
            context.log.warning(f"{schedule.config_error}; refreshing every {schedule.interval} instead")
    due = due_by_tenant(schedules, now)
    return refresh_requests(due, context.instance.get_dynamic_partitions(TENANT_PARTITIONS_NAME), now)
