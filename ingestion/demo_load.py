"""Put the demo businesses into the warehouse: their tenant rows, their raw source data, their truth.

``keel demo`` and the Dagster ingestion assets call these; the simulator itself (``ingestion.demo``)
knows nothing about the warehouse.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import dlt

from ingestion.demo import SOURCES, TENANTS_BY_SLUG, DemoWorld, simulate
from ingestion.demo.profiles import demo_profile, scale_copies
from ingestion.demo.world import DEFAULT_END, DEFAULT_START, SPECS
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
    tenants: Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    peers: bool = True,
) -> DemoWorld:
    """The demo world the settings describe (seed, tenants, first and last day), optionally narrowed;
    ``peers=False`` leaves out the benchmark peers (one business's own loads: the peers load together).
    With KEEL_DEMO_SCALE above 1 the settings' tenants bring their full-weight copies along."""
    settings = get_settings()
    selected = tenants or [
        c for slug in settings.demo_tenants for c in _with_copies(slug, settings.demo_scale)
    ]
    kwargs: dict[str, Any] = {
        "seed": settings.demo_seed,
        "tenants": selected or None,
        "start": start or settings.demo_start,
        "peer_copies": settings.demo_peer_copies if peers else 0,
        "peer_history_days": settings.demo_peer_history_days,
    }
    if settings.demo_scale != 1:
        kwargs["tenant_copies"] = settings.demo_scale
    if end or settings.demo_end:
        kwargs["end"] = end or settings.demo_end
    if kwargs["tenants"] is not None:
        kwargs["tenants"] = tuple(kwargs["tenants"])  # hashable: the options are the cache's key
    return _simulated(tuple(sorted(kwargs.items())))


@lru_cache(maxsize=1)
def _simulated(options: tuple[tuple[str, Any], ...]) -> DemoWorld:
    """The world last simulated in this process, kept for the next ask of the same one: a tenant's loads
    run asks once per source (one step each) and the set-up's four assets ask for the same world. Worlds
    are read-only (records are built on demand), and each run of `keel demo` is a process of its own, which
    ends with it."""
    return simulate(**dict(options))


def _with_copies(slug: str, scale: int) -> list[str]:
    """A settings' demo slug and the slugs of its full-weight copies (an unknown slug is left for
    `simulate` to refuse by name)."""
    profile = TENANTS_BY_SLUG.get(slug)
    return [slug] if profile is None else [slug, *(c.slug for c in scale_copies(profile, scale))]


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

    Each tenant's load is recorded in ``app.source_loads`` as the demo provider's, with the request it
    answered (:func:`demo_window`), so ``keel ingest status`` and the console show demo and real loads
    alike and :func:`load_demo_tenant` knows what is already loaded.
    """
    window = demo_window()
    results: list[TenantLoad] = []
    for source in sources:
        specs = world.resources(source)
        tenant_ids = [str(t.tenant_id) for t in world.tenants if t.uses(source) and not t.is_benchmark_peer]
        peer_ids = [str(t.tenant_id) for t in world.tenants if t.uses(source) and t.is_benchmark_peer]
        if not tenant_ids and not peer_ids:  # a source no demo business uses (Salesforce): nothing to do
            continue

        def records_for(tenant_id: str, source: str = source) -> RecordsFn:
            return lambda spec, since: world.records(source, spec.name, tenant_id, since)

        def recorded(result: TenantLoad, index: int, total: int, specs: Sequence[Any] = specs) -> None:
            try:
                record_loads(
                    result.tenant_id,
                    result,
                    [s.name for s in specs],
                    provider="demo",
                    provider_window=window,
                )
            except Exception:  # the load is in; a missing record of it must not stop the demo
                log.exception("recording the demo %s load of %s failed", result.source, result.tenant_id)
            if progress is not None:
                progress(result, index, total)

        if tenant_ids:
            results.extend(load_source(source, specs, records_for, tenant_ids, recorded))
    results.extend(load_benchmark_peers(world, sources, progress))
    return results


def load_benchmark_peers(
    world: DemoWorld,
    sources: Sequence[str] = SOURCES,
    progress: Callable[[TenantLoad, int, int], None] | None = None,
) -> list[TenantLoad]:
    """The world's benchmark peers, in one pipeline run per source (their own load records are not kept):
    they feed the peer benchmarks only, so they are loaded together, not as tenants of their own."""
    results: list[TenantLoad] = []
    for source in sources:
        peer_ids = [str(t.tenant_id) for t in world.tenants if t.uses(source) and t.is_benchmark_peer]
        if not peer_ids:
            continue

        def peer_records(
            spec: Any, since: datetime | None, source: str = source, peer_ids: list[str] = peer_ids
        ) -> Any:
            for tenant_id in peer_ids:
                yield from world.records(source, spec.name, tenant_id, since)

        result = load_group(source, world.resources(source), peer_records, "benchmark_peers", peer_ids)
        results.append(result)
        if progress is not None:
            progress(result, 1, 1)
    return results


def demo_window() -> str:
    """What the settings ask the demo provider for: seed, first and last day (``seed=42;start=...;end=...``).

    The simulation is a function of these (each business's run is independent of the others), so a load
    recorded with the same window has nothing new to give.
    """
    settings = get_settings()
    start = settings.demo_start or DEFAULT_START
    end = settings.demo_end or DEFAULT_END
    return f"seed={settings.demo_seed};start={start.isoformat()};end={end.isoformat()}"


def loaded_window(tenant_id: str | uuid.UUID, source: str) -> str | None:
    """The window every resource of the tenant's demo ``source`` was last loaded with, if one and the same.

    None when a resource was never loaded, its latest load failed, or the resources disagree.
    """
    names = [spec.name for spec in SPECS.values() if spec.source == source]
    with warehouse.connect("keel_loader") as conn:
        rows = conn.execute(
            """
            select distinct on (resource) resource, provider_window, error
            from app.source_loads
            where tenant_id = %s and source = %s and provider = 'demo'
            order by resource, started_at desc, finished_at desc
            """,
            (str(tenant_id), source),
        ).fetchall()
    latest = {r[0]: (r[1], r[2]) for r in rows}
    windows = {latest[n][0] if n in latest and latest[n][1] is None else None for n in names}
    return windows.pop() if len(windows) == 1 else None


def load_demo_tenant(
    slug: str,
    sources: Sequence[str],
    progress: Callable[[TenantLoad, int, int], None] | None = None,
    force: bool = False,
) -> list[TenantLoad]:
    """One demo business's ``sources`` (those it uses), simulating it only if something new is asked for.

    A source whose every resource was last loaded with today's :func:`demo_window` is not simulated nor
    loaded again: its result has no rows and the check is recorded in ``app.source_loads`` (a load of
    nothing new), so freshness sees the source as checked. ``force`` loads regardless.
    """
    profile = demo_profile(slug, get_settings().demo_scale)
    if profile is None:
        raise ValueError(f"{slug!r} is not a demo business; known: {sorted(TENANTS_BY_SLUG)}")
    window = demo_window()
    world: DemoWorld | None = None
    results: list[TenantLoad] = []
    for source in (s for s in sources if profile.uses(s)):
        if not force and loaded_window(profile.tenant_id, source) == window:
            unchanged = TenantLoad(source, str(profile.tenant_id))
            names = [spec.name for spec in SPECS.values() if spec.source == source]
            record_loads(profile.tenant_id, unchanged, names, provider="demo", provider_window=window)
            results.append(unchanged)
            continue
        world = world or demo_world(tenants=[slug], peers=False)
        results.extend(load_sources(world, [source], progress))
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
