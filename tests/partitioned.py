"""Materialize the per-tenant (partitioned) assets for a few tenants in tests: one run per tenant's partition,
as ``keel demo`` and the automation sensor run them, on an ephemeral instance that knows the partitions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg

from orchestration.defs.tenants.partitions import add_tenant_partitions
from orchestration.defs.warehouse.resources import WarehouseResource


def materialize_tenants(
    assets: Sequence[Any],
    slugs: Sequence[str],
    run_config: Mapping[str, Any] | None = None,
    instance: dg.DagsterInstance | None = None,
) -> dict[str, dg.ExecuteInJobResult]:
    """Each tenant's partition of ``assets`` in a run of its own; the results by slug (failures included)."""
    own = instance is None
    instance = instance or dg.DagsterInstance.ephemeral()
    try:
        add_tenant_partitions(instance, slugs)
        return {
            slug: dg.materialize(
                assets,
                partition_key=slug,
                instance=instance,
                resources={"warehouse": WarehouseResource()},
                run_config=dict(run_config or {}),
                raise_on_error=False,
            )
            for slug in slugs
        }
    finally:
        if own:
            instance.dispose()
