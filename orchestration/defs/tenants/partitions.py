"""``tenants``: the dynamic partitions of every per-tenant asset, one per business in ``app.tenants``.

A partition key is the tenant's slug (unique, readable in the Dagster UI, what the CLI takes). Partitions
are added where tenants are added (``keel tenant add``, the demo's registration in ``app_tenants``),
removed by ``keel tenant delete``, and the ``tenant_partitions`` sensor brings the set in line with
``app.tenants`` every minute, so a tenant added any other way (the console, SQL) appears as well.

With tenants as partitions, one tenant's sources load in a run of their own, and its models (forecasts,
evidence, plans, goals) fit in a run of their own: either can be refreshed, backfilled or fail alone, and
the Dagster UI shows each tenant's state per asset. Benchmark peers have no partition (they feed the
benchmarks only, no loads of their own and no models).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import dagster as dg

from keel import warehouse

TENANT_PARTITIONS_NAME = "tenants"
TENANT_PARTITIONS = dg.DynamicPartitionsDefinition(name=TENANT_PARTITIONS_NAME)
#: Dagster pool of the per-tenant models (forecasts, evidence, plans, goals): like the loads' pool, its
#: limit (``dagster.yaml`` ``concurrency.pools``, from ``KEEL_PARALLEL_TENANTS``) caps the tenants' model
#: steps running at once, whoever launched them (``keel demo``, the automation sensor, a backfill).
TENANT_MODELS_POOL = "keel_tenant_models"


def tenant_slugs() -> list[str]:
    """Every tenant of the warehouse (active or not: an inactive tenant keeps its history), by slug."""
    with warehouse.connect("keel_transformer") as conn:
        return [
            str(r[0])
            for r in conn.execute(
                "select slug from app.tenants where not is_benchmark_peer order by slug"
            ).fetchall()
        ]


@dataclass(frozen=True)
class PartitionChanges:
    """What bringing the partitions in line with ``app.tenants`` adds and removes."""

    added: list[str]
    removed: list[str]


def partition_changes(instance: dg.DagsterInstance, slugs: Iterable[str]) -> PartitionChanges:
    wanted = set(slugs)
    have = set(instance.get_dynamic_partitions(TENANT_PARTITIONS_NAME))
    return PartitionChanges(sorted(wanted - have), sorted(have - wanted))


def add_tenant_partitions(instance: dg.DagsterInstance, slugs: Iterable[str]) -> list[str]:
    """Add the tenants' partitions that are missing; returns the ones added."""
    have = set(instance.get_dynamic_partitions(TENANT_PARTITIONS_NAME))
    missing = sorted(set(slugs) - have)
    if missing:
        instance.add_dynamic_partitions(TENANT_PARTITIONS_NAME, missing)
    return missing


def remove_tenant_partition(instance: dg.DagsterInstance, slug: str) -> bool:
    """Remove a deleted tenant's partition (its past runs stay in Dagster's history)."""
    if not instance.has_dynamic_partition(TENANT_PARTITIONS_NAME, slug):
        return False
    instance.delete_dynamic_partition(TENANT_PARTITIONS_NAME, slug)
    return True


def sync_tenant_partitions(instance: dg.DagsterInstance) -> PartitionChanges:
    """Make the partitions exactly the tenants of ``app.tenants``."""
    changes = partition_changes(instance, tenant_slugs())
    if changes.added:
        instance.add_dynamic_partitions(TENANT_PARTITIONS_NAME, changes.added)
    for slug in changes.removed:
        instance.delete_dynamic_partition(TENANT_PARTITIONS_NAME, slug)
    return changes


@dg.sensor(
    name="tenant_partitions",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Keeps the `tenants` partitions equal to the businesses in app.tenants: adds a partition "
    "for a tenant added any way (CLI, console, SQL), removes the partition of a deleted one.",
)
def tenant_partitions(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    changes = partition_changes(context.instance, tenant_slugs())
    if not changes.added and not changes.removed:
        return dg.SkipReason("the tenant partitions match app.tenants")
    requests: list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest] = []
    if changes.added:
        requests.append(TENANT_PARTITIONS.build_add_request(changes.added))
    if changes.removed:
        requests.append(TENANT_PARTITIONS.build_delete_request(changes.removed))
    context.log.info(f"tenant partitions: added {changes.added}, removed {changes.removed}")
    return dg.SensorResult(dynamic_partitions_requests=requests)
