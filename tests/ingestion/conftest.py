"""Shared fixtures of the demo simulator tests: one full default world, and helpers to read records."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pytest

from ingestion.demo import DemoWorld, ResourceSpec, simulate

if TYPE_CHECKING:
    import dagster as dg


@pytest.fixture(scope="session")
def full_world() -> DemoWorld:
    """The default world (all tenants, three years). Built once for the whole test session."""
    return simulate()


def field(record: dict[str, Any], dotted: str) -> Any:
    value: Any = record
    for key in dotted.split("."):
        value = value[key]
    return value


def cursor_value(spec: ResourceSpec, record: dict[str, Any]) -> float | date:
    """The record's cursor as something comparable: epoch seconds, or a date."""
    raw = field(record, spec.cursor_field)
    if spec.cursor_type == "unix_seconds":
        return float(raw)
    if spec.cursor_type == "date":
        return date.fromisoformat(raw)
    return datetime.fromisoformat(raw).timestamp()


def primary_key(spec: ResourceSpec, record: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(record[k] for k in spec.primary_key)


def all_records(world: DemoWorld) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Every record of the world by (resource, tenant id)."""
    out = {}
    for spec in world.resources():
        for tenant in world.tenants:
            out[(spec.qualified_name, str(tenant.tenant_id))] = list(
                world.records(spec.source, spec.name, tenant.tenant_id)
            )
    return out


def materialize_tenant_source(source: str, tenant_id: str | uuid.UUID) -> dg.ExecuteInProcessResult:
    """Materialize the ``dlt_<source>`` assets for one tenant's partition, as the refresh sensor's run does
    (on an ephemeral Dagster instance that knows the tenant's partition)."""
    import dagster as dg

    from keel import warehouse
    from orchestration.defs.ingestion.assets import source_assets
    from orchestration.defs.tenants.partitions import TENANT_PARTITIONS_NAME

    with warehouse.connect("keel_loader") as conn:
        row = conn.execute("select slug from app.tenants where tenant_id = %s", (str(tenant_id),)).fetchone()
    assert row is not None, tenant_id
    (assets,) = [a for a in source_assets if a.node_def.name == f"dlt_{source}"]
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(TENANT_PARTITIONS_NAME, [row[0]])
    return dg.materialize([assets], partition_key=row[0], instance=instance, raise_on_error=False)
