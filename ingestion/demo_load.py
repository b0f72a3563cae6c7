"""Put the demo businesses into the warehouse: their tenant rows, their raw source data, their truth.

``keel demo`` and the Dagster ingestion assets call these; the simulator itself (``ingestion.demo``)
knows nothing about the warehouse.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import dlt

from ingestion.demo import SOURCES, DemoWorld, simulate
from ingestion.loader import (
    RecordsFn,
    TenantLoad,
    configure_dlt,
    load_group,
    load_source,
    prune_load_packages,
)
from ingestion.run import record_loads
from keel import tenancy, warehouse
from keel.settings import get_settings

#: Demo owners sign in to the console with <slug>@demo.keel.dev and this password.
DEMO_PASSWORD = "keel-demo-password"  # noqa: S105 - a published demo credential, not a secret
#: Ids of the demo's recorded interventions are uuid5 of the simulator's intervention ids in this namespace.
DEMO_INTERVENTION_NAMESPACE = uuid.UUID("6f1d2c1e-9a57-4b8e-8f0b-6b7a4c1e0d07")

log = logging.getLogger(__name__)


def demo_world(
    tenants: Sequence[str] | None = None, start: date | None = None, end: date | None = None
) -> DemoWorld:
    """The demo world the settings describe (seed, tenants, first and last day), optionally narrowed."""
    settings = get_settings()
    kwargs: dict[str, Any] = {
        "seed": settings.demo_seed,
        "tenants": tenants or settings.demo_tenants or None,
        "start": start or settings.demo_start,
        "peer_copies": settings.demo_peer_copies,
        "peer_history_days": settings.demo_peer_history_days,
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
            is_benchmark_peer=profile.is_benchmark_peer,
            tenant_id=profile.tenant_id,
        )
        if with_owners and not profile.is_benchmark_peer and not _has_users(profile.tenant_id):
            tenancy.create_user(
                profile.tenant_id,
                demo_owner_email(profile.slug),
                DEMO_PASSWORD,
                display_name=f"Owner of {profile.name}",
            )


def demo_owner_email(slug: str) -> str:
    return f"owner@{slug}.demo.keel.dev"


def _has_users(tenant_id: Any) -> bool:
    with warehouse.connect("keel_app", tenant_id=tenant_id) as conn:
        row = conn.execute("select count(*) from app.users where tenant_id = %s", (tenant_id,)).fetchone()
    return bool(row and row[0])


def load_sources(
    world: DemoWorld,
    sources: Sequence[str] = SOURCES,
    progress: Callable[[TenantLoad, int, int], None] | None = None,
) -> list[TenantLoad]:
    """Load every demo source for every tenant that uses it (merge + incremental: safe to repeat).

    Each tenant's load is recorded in ``app.source_loads`` as the demo provider's, so ``keel ingest
    status`` and the console show demo and real loads alike.
    """
    results: list[TenantLoad] = []
    for source in sources:
        specs = world.resources(source)
        tenant_ids = [str(t.tenant_id) for t in world.tenants if t.uses(source) and not t.is_benchmark_peer]
        peer_ids = [str(t.tenant_id) for t in world.tenants if t.uses(source) and t.is_benchmark_peer]

        def records_for(tenant_id: str, source: str = source) -> RecordsFn:
            return lambda spec: world.records(source, spec.name, tenant_id)

        def recorded(result: TenantLoad, index: int, total: int, specs: Sequence[Any] = specs) -> None:
            try:
                record_loads(result.tenant_id, result, [s.name for s in specs], provider="demo")
            except Exception:  # the load is in; a missing record of it must not stop the demo
                log.exception("recording the demo %s load of %s failed", result.source, result.tenant_id)
            if progress is not None:
                progress(result, index, total)

        results.extend(load_source(source, specs, records_for, tenant_ids, recorded))
        if peer_ids:
            # the benchmark peers in one pipeline run per source (their own load records are not kept)
            def peer_records(spec: Any, source: str = source, peer_ids: list[str] = peer_ids) -> Any:
                for tenant_id in peer_ids:
                    yield from world.records(source, spec.name, tenant_id)

            result = load_group(source, specs, peer_records, "benchmark_peers", peer_ids)
            results.append(result)
            if progress is not None:
                progress(result, 1, 1)
    return results


@dataclass(frozen=True)
class DemoLoad:
    """What :func:`load_demo` did."""

    tenants: int
    loads: list[TenantLoad]
    ground_truth: int
    interventions: int


def load_demo(
    world: DemoWorld | None = None, progress: Callable[[TenantLoad, int, int], None] | None = None
) -> DemoLoad:
    """The demo world into the warehouse as one provider of records: tenants with their owners, every
    source's raw records (recorded in ``app.source_loads``), the true effects and the owners' interventions.

    ``keel ingest demo``; ``keel demo`` does the same through Dagster, then builds everything downstream.
    """
    world = world or demo_world()
    register_tenants(world)
    loads = load_sources(world, progress=progress)
    return DemoLoad(len(world.tenants), loads, load_ground_truth(world), record_interventions(world))


def load_ground_truth(world: DemoWorld) -> int:
    """Write the interventions' true effects to raw_demo.ground_truth (replaced on every run)."""
    rows = [effect.as_dict() for effect in world.ground_truth]
    for row in rows:
        row["active_weekdays"] = list(row["active_weekdays"] or [])
    pipeline = dlt.pipeline(
        pipeline_name="keel_demo_truth",
        destination=dlt.destinations.postgres(credentials=warehouse.dlt_credentials("keel_loader")),
        dataset_name="raw_demo",
        pipelines_dir=configure_dlt(),
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
    prune_load_packages(pipeline)
    return len(rows)


def demo_interventions(world: DemoWorld) -> list[dict[str, Any]]:
    """The demo owners' interventions as they would record them in ``app.interventions``.

    What and when only: kind, name, first and last day, weekdays, the metric it was meant to move (a
    product's units for a price change) and what the owner knows (the discount, the new price, the
    extra spend). Never the true effect, which stays in ``raw_demo.ground_truth``.
    """
    rows: list[dict[str, Any]] = []
    for profile in world.tenants:
        run = world.run(profile.slug)
        saas = run.saas is not None
        for item in run.interventions:
            if item.start > world.end:
                continue  # not done yet on the demo's last day
            kind = "marketing_change" if item.kind == "marketing_campaign" else item.kind
            target, product = ("new_trials" if saas else "revenue_net"), None
            if item.kind == "promotion":
                name = f"{item.code} promotion"
                notes = f"Discount code {item.code}: {item.discount_pct:.0%} off."
            elif item.kind == "price_change":
                target, product = ("new_paid_subscriptions" if saas else "units"), item.sku
                name = f"{item.sku} price change"
                notes = f"New price {(item.new_price or 0) / 100:.2f} {profile.currency} for {item.sku}."
            elif item.kind == "staffing_change":
                name = f"New {(item.role or 'staff').lower()}"
                notes = f"Hired a {item.role} on {item.hire_date}; works the listed weekdays."
            else:
                name = f"{item.campaign_name} campaign"
                notes = f"{item.channel} spend {item.spend_multiplier:g}x for the campaign."
            rows.append(
                {
                    "intervention_id": uuid.uuid5(DEMO_INTERVENTION_NAMESPACE, item.intervention_id),
                    "tenant_id": profile.tenant_id,
                    "kind": kind,
                    "name": name,
                    "starts_on": item.start,
                    "ends_on": item.end,
                    "weekdays": list(item.weekdays) if item.weekdays is not None else None,
                    "target_metric": target,
                    "target_product": product,
                    "evaluate_days": item.evaluation_days,
                    "notes": notes,
                }
            )
    return rows


def record_interventions(world: DemoWorld) -> int:
    """Record the demo owners' interventions in app.interventions, as each owner (keel_app, their tenant).

    Upserts by id, so a second run changes nothing; interventions are never deleted here (an owner's
    record stays even if the demo world is narrowed).
    """
    rows = demo_interventions(world)
    columns = [c for c in rows[0] if c != "intervention_id"] if rows else []
    for row in rows:
        with warehouse.connect("keel_app", tenant_id=row["tenant_id"]) as conn:
            conn.execute(
                f"insert into app.interventions (intervention_id, {', '.join(columns)}) "
                f"values (%(intervention_id)s, {', '.join(f'%({c})s' for c in columns)}) "
                "on conflict (intervention_id) do update set "
                + ", ".join(f"{c} = excluded.{c}" for c in columns if c != "tenant_id"),
                row,
            )
    return len(rows)
