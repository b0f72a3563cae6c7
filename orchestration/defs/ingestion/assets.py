"""One ``@dlt_assets`` per demo source; each dlt resource is an asset keyed ``dlt_<source>_<resource>``,
partitioned by tenant (``orchestration.defs.tenants``).

A run of one tenant's partition loads that tenant's records of the source from every provider it has: the
demo provider for a demo business that uses the source (:func:`ingestion.demo_load.load_demo_tenant`,
which neither simulates nor loads when the same request was loaded before), and the tenant's connected
accounts of that service (:func:`ingestion.run.run_tenant_sources`, the same runner as ``keel ingest
run``). A resource is materialized only when the load brought new or changed rows: a refresh with nothing
new leaves no materialization behind, so nothing downstream counts it as a change. A failed load fails
that tenant's partition alone; other tenants run in runs of their own.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
import dlt
from dagster_dlt import DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData
from pydantic import Field

from ingestion.demo import SOURCES, TENANTS
from ingestion.demo.profiles import demo_profile
from ingestion.demo.world import SPECS
from ingestion.demo_load import (
    demo_world,
    load_benchmark_peers,
    load_demo_tenant,
    load_ground_truth,
    record_interventions,
    register_tenants,
)
from ingestion.loader import TenantLoad, build_source, dataset_name
from ingestion.run import run_tenant_sources
from ingestion.sources import connectors
from keel import warehouse
from keel.settings import get_settings
from orchestration.defs.tenants.partitions import TENANT_PARTITIONS, add_tenant_partitions

APP_TENANTS = dg.AssetKey("app_tenants")
#: Dagster pool of the tenant source loads: its limit (``dagster.yaml`` ``concurrency.pools``, written by
#: ``cli.jobs.dagster_home`` from ``KEEL_PARALLEL_TENANTS``) caps the loads writing to the warehouse at once.
TENANT_LOAD_POOL = "keel_tenant_loads"


class KeelDltTranslator(DagsterDltTranslator):
    """Asset keys ``dlt_<source>_<resource>``, downstream of the tenants they load for."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        spec = super().get_asset_spec(data)
        source = data.resource.source_name
        return spec.replace_attributes(
            key=dg.AssetKey(f"dlt_{source}_{data.resource.name}"),
            deps=[APP_TENANTS],
            group_name="ingestion",
            description=SPECS[f"{source}.{data.resource.name}"].description,
            # a tenant that does not use the source, or a load with nothing new, materializes nothing
            skippable=True,
        ).merge_attributes(kinds={"dlt", "postgres"})


class DemoConfig(dg.Config):
    tenants: list[str] = Field(
        default_factory=list, description="Demo tenant slugs to load (empty: every demo tenant)."
    )


def _template_source(source: str) -> Any:
    """The source's resources, for the asset specs (records come per tenant at run time)."""
    specs = [spec for spec in SPECS.values() if spec.source == source]
    return build_source(source, specs, lambda *_: [], "template", [], {})


def _template_pipeline(source: str) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name=f"keel_{source}",
        destination=dlt.destinations.postgres(),
        dataset_name=dataset_name(source),
        pipelines_dir=str(get_settings().dlt_pipelines_dir / "templates"),
    )


class SourceLoadConfig(dg.Config):
    force: bool = Field(
        default=False,
        description="Simulate and load the demo business again even if the same request was loaded before.",
    )


def tenant_row(slug: str) -> tuple[str, bool]:
    """The tenant id and whether it is a demo business; a partition with no tenant fails with its name."""
    with warehouse.connect("keel_loader") as conn:
        row = conn.execute("select tenant_id, is_demo from app.tenants where slug = %s", (slug,)).fetchone()
    if row is None:
        raise dg.Failure(
            f"partition {slug!r} names no business in app.tenants (deleted?): "
            "the tenant_partitions sensor removes it; see `keel tenant list`"
        )
    return str(row[0]), bool(row[1])


def load_tenant(
    context: dg.AssetExecutionContext, source: str, slug: str, force: bool = False
) -> list[TenantLoad]:
    """Every load of ``source`` for the tenant: the demo provider's and its connected accounts'."""
    tenant_id, is_demo = tenant_row(slug)

    def progress(result: TenantLoad, index: int, total: int) -> None:
        status = "ok" if result.ok else f"FAILED: {result.error}"
        context.log.info(
            f"{source} of {slug}: {sum(result.rows.values())} rows new or changed, {result.rejected} "
            f"rejected, {result.seconds:.1f} s, {status}"
        )

    loads: list[TenantLoad] = []
    if is_demo and demo_profile(slug, get_settings().demo_scale) is not None:
        loads.extend(load_demo_tenant(slug, [source], progress, force=force))
    for run in run_tenant_sources(tenant_id, source):
        progress(run.load, 1, 1)
        loads.append(run.load)
    return loads


def _materializations(
    context: dg.AssetExecutionContext, source: str, slug: str, loads: list[TenantLoad]
) -> Iterator[dg.MaterializeResult]:
    """A materialization for each selected resource that got new or changed rows (none: nothing new)."""
    for spec in (s for s in SPECS.values() if s.source == source):
        key = dg.AssetKey(f"dlt_{source}_{spec.name}")
        rows = sum(r.rows.get(spec.name, 0) for r in loads)
        if key not in context.selected_asset_keys or rows == 0:
            continue
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "tenant": slug,
                "rows_loaded": rows,
                "records_offered": sum(r.extracted.get(spec.name, 0) for r in loads),
                "rejected_records": sum(r.rejected_by_resource.get(spec.name, 0) for r in loads),
            },
        )


def make_source_assets(source: str) -> dg.AssetsDefinition:
    @dlt_assets(
        dlt_source=_template_source(source),
        dlt_pipeline=_template_pipeline(source),
        name=f"dlt_{source}",
        dagster_dlt_translator=KeelDltTranslator(),
        partitions_def=TENANT_PARTITIONS,
        pool=TENANT_LOAD_POOL,
    )
    def load_tenant_source(
        context: dg.AssetExecutionContext, config: SourceLoadConfig
    ) -> Iterator[dg.MaterializeResult]:
        slug = context.partition_key
        loads = load_tenant(context, source, slug, force=config.force)
        failed = [r for r in loads if not r.ok]
        if failed:
            # nothing of this tenant's source counts as loaded; the other tenants' runs are not affected
            raise dg.Failure(
                f"the {source} load of {slug} failed: " + "; ".join(str(r.error) for r in failed),
                metadata={"tenant": slug, "needs_reconnect": any(r.needs_reconnect for r in failed)},
            )
        if not loads:
            context.log.info(f"{slug} has no {source} to load (no demo data of it, no connected account)")
        elif not any(sum(r.rows.values()) for r in loads):
            context.log.info(f"{source} of {slug}: nothing new, no materialization")
        yield from _materializations(context, source, slug, loads)

    return load_tenant_source


@dg.asset(
    key=APP_TENANTS,
    group_name="ingestion",
    kinds={"postgres"},
    description="app.tenants: the businesses Keel serves (the demo ones, each with an owner login).",
)
def app_tenants(context: dg.AssetExecutionContext, config: DemoConfig) -> dg.MaterializeResult:
    world = demo_world(tenants=config.tenants or None)
    register_tenants(world)
    # benchmark peers feed the peer benchmarks only: loaded together by demo_benchmark_peers, no partition
    added = add_tenant_partitions(
        context.instance, [t.slug for t in world.tenants if not t.is_benchmark_peer]
    )
    return dg.MaterializeResult(
        metadata={
            "tenants": len(world.tenants),
            "slugs": ", ".join(t.slug for t in world.tenants),
            "partitions_added": ", ".join(added),
        }
    )


@dg.asset(
    key="demo_benchmark_peers",
    deps=[APP_TENANTS],
    group_name="ingestion",
    kinds={"dlt", "postgres"},
    description="The demo's benchmark peers (lighter copies of the demo businesses that feed the peer "
    "benchmarks only), loaded into the raw tables together, one pipeline run per source.",
)
def demo_benchmark_peers(context: dg.AssetExecutionContext, config: DemoConfig) -> dg.MaterializeResult:
    loads = load_benchmark_peers(demo_world(tenants=config.tenants or None))
    failed = [r for r in loads if not r.ok]
    if failed:
        raise dg.Failure("loading the benchmark peers failed: " + "; ".join(str(r.error) for r in failed))
    return dg.MaterializeResult(
        metadata={"sources": len(loads), "rows_loaded": sum(sum(r.rows.values()) for r in loads)}
    )


@dg.asset(
    key="demo_ground_truth",
    deps=[APP_TENANTS],
    group_name="ingestion",
    kinds={"dlt", "postgres"},
    description="raw_demo.ground_truth: the true effects of the demo businesses' interventions.",
)
def demo_ground_truth(config: DemoConfig) -> dg.MaterializeResult:
    rows = load_ground_truth(demo_world(tenants=config.tenants or None))
    return dg.MaterializeResult(metadata={"interventions": rows})


@dg.asset(
    key="app_interventions",
    deps=[APP_TENANTS],
    group_name="ingestion",
    kinds={"postgres"},
    description="app.interventions: what each owner did and when (promotions, price, staffing and "
    "marketing changes); the demo owners' are recorded here, never their true effects.",
)
def app_interventions(config: DemoConfig) -> dg.MaterializeResult:
    rows = record_interventions(demo_world(tenants=config.tenants or None))
    return dg.MaterializeResult(metadata={"interventions_recorded": rows})


DEMO_SOURCES = [s for s in SOURCES if any(s in t.sources for t in TENANTS)]
#: every source a tenant can have: the demo businesses' and those that only owners' connections feed
#: (Salesforce, ERPNext); each tenant's partition loads whatever providers it has of each
TENANT_SOURCES = [*DEMO_SOURCES, *(s for s in connectors() if s not in DEMO_SOURCES)]
source_assets = [make_source_assets(source) for source in TENANT_SOURCES]
