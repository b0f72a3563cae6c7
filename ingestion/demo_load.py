"""Put the demo businesses into the warehouse: their tenant rows, their raw source data, their truth.

``keel demo`` and the Dagster ingestion assets call these; the simulator itself (``ingestion.demo``)
knows nothing about the warehouse.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import dlt

from ingestion.demo import SOURCES, DemoWorld, simulate
from ingestion.loader import RecordsFn, TenantLoad, load_source
from keel import tenancy, warehouse
from keel.settings import get_settings

#: Demo owners sign in to the console with <slug>@demo.keel.dev and this password.
DEMO_PASSWORD = "keel-demo-password"  # noqa: S105 - a published demo credential, not a secret


def demo_world(
    tenants: Sequence[str] | None = None, start: date | None = None, end: date | None = None
) -> DemoWorld:
    """The demo world the settings describe (seed, tenants, first and last day), optionally narrowed."""
    settings = get_settings()
    kwargs: dict[str, Any] = {
        "seed": settings.demo_seed,
        "tenants": tenants or settings.demo_tenants or None,
        "start": start or settings.demo_start,
    }
    if end or settings.demo_end:
        kwargs["end"] = end or settings.demo_end
    return simulate(**kwargs)


def register_tenants(world: DemoWorld, with_owners: bool = True) -> None:
    """Create (or refresh) the demo tenants in app.tenants, and an owner login for each."""
    for profile in world.tenants:
        tenancy.create_tenant(
            profile.slug,
            profile.name,
            industry=profile.industry,
            naics_code=profile.naics_code,
            size_band=profile.size_band,
            region=profile.region,
            country=profile.country,
            timezone=profile.timezone,
            currency=profile.currency,
            opened_on=profile.opened_on,
            is_demo=True,
            tenant_id=profile.tenant_id,
        )
        if with_owners and not _has_users(profile.tenant_id):
            tenancy.create_user(
                profile.tenant_id,
                demo_owner_email(profile.slug),
                DEMO_PASSWORD,
                display_name=f"Owner of {profile.name}",
            )


def demo_owner_email(slug: str) -> str:
    return f"owner@{slug}.demo.keel.dev"


def _has_users(tenant_id: Any) -> bool:
    with warehouse.connect("admin") as conn:
        row = conn.execute("select count(*) from app.users where tenant_id = %s", (tenant_id,)).fetchone()
    return bool(row and row[0])


def load_sources(
    world: DemoWorld,
    sources: Sequence[str] = SOURCES,
    progress: Callable[[TenantLoad, int, int], None] | None = None,
) -> list[TenantLoad]:
    """Load every demo source for every tenant that uses it (merge + incremental: safe to repeat)."""
    results: list[TenantLoad] = []
    for source in sources:
        specs = world.resources(source)
        tenant_ids = [str(t.tenant_id) for t in world.tenants if t.uses(source)]

        def records_for(tenant_id: str, source: str = source) -> RecordsFn:
            return lambda spec: world.records(source, spec.name, tenant_id)

        results.extend(load_source(source, specs, records_for, tenant_ids, progress))
    return results


def load_ground_truth(world: DemoWorld) -> int:
    """Write the interventions' true effects to raw_demo.ground_truth (replaced on every run)."""
    rows = [effect.as_dict() for effect in world.ground_truth]
    for row in rows:
        row["active_weekdays"] = list(row["active_weekdays"] or [])
    pipeline = dlt.pipeline(
        pipeline_name="keel_demo_truth",
        destination=dlt.destinations.postgres(credentials=warehouse.dlt_credentials("keel_loader")),
        dataset_name="raw_demo",
        pipelines_dir=str(get_settings().dlt_pipelines_dir),
    )
    pipeline.run(
        dlt.resource(
            rows,
            name="ground_truth",
            write_disposition="replace",
            max_table_nesting=0,
            primary_key=["intervention_id"],
        ),
    ).raise_on_failed_jobs()
    return len(rows)
