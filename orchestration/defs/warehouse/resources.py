"""``WarehouseResource``: how an asset gets a connection, as a least-privilege role, scoped to a tenant.

A thin wrapper over :mod:`keel.warehouse`, which starts the embedded server when needed; `keel init`
(or `keel demo`'s set-up step) has migrated it. With a tenant, ``keel_app`` and ``keel_analyst`` log in
as that tenant's own role.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import dagster as dg
import psycopg
from pydantic import Field

from keel import warehouse


class WarehouseResource(dg.ConfigurableResource):
    """Connections to Keel's PostgreSQL warehouse."""

    role: Literal["keel_loader", "keel_transformer", "keel_app", "keel_analyst"] = Field(
        default="keel_transformer",
        description="Role the asset logs in as; builders use keel_transformer, loaders keel_loader.",
    )

    @contextmanager
    def connect(self, tenant_id: str | uuid.UUID | None = None) -> Iterator[psycopg.Connection[Any]]:
        """A connection as ``role``; with ``tenant_id`` it sees that tenant's rows only (RLS)."""
        with warehouse.connect(self.role, tenant_id=tenant_id) as conn:
            yield conn

    def dlt_credentials(self) -> str:
        return warehouse.dlt_credentials(self.role)

    def dbt_profile(self, schema: str = "staging") -> dict[str, Any]:
        return warehouse.dbt_profile(self.role, schema=schema)
