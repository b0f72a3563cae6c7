"""One ``@dlt_assets`` per demo source; each dlt resource is an asset keyed ``dlt_<source>_<resource>``.

A run loads every tenant that uses the source, one dlt pipeline per tenant (see ``ingestion.loader``):
a tenant whose load fails is reported in the materialization's metadata and by the
``all_tenants_loaded`` asset check, while the other tenants' data still flows downstream.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
import dlt
from dagster_dlt import DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData
from pydantic import Field

from ingestion.demo import SOURCES, TENANTS
from ingestion.demo.world import SPECS
from ingestion.demo_load import (
    demo_world,
    load_ground_truth,
    load_sources,
    record_interventions,
    register_tenants,
)
from ingestion.loader import TenantLoad, build_source, dataset_name
from keel.settings import get_settings

APP_TENANTS = dg.AssetKey("app_tenants")


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
        ).merge_attributes(kinds={"dlt", "postgres"})


class DemoConfig(dg.Config):
    tenants: list[str] = Field(
        default_factory=list, description="Demo tenant slugs to load (empty: every demo tenant)."
    )


def _template_source(source: str) -> Any:
    """The source's resources, for the asset specs (records come per tenant at run time)."""
    specs = [spec for spec in SPECS.values() if spec.source == source]
    return build_source(source, specs, lambda spec: [], "template", [], {})


def _template_pipeline(source: str) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name=f"keel_{source}",
        destination=dlt.destinations.postgres(),
        dataset_name=dataset_name(source),
        pipelines_dir=str(get_settings().dlt_pipelines_dir / "templates"),
    )


def _materializations(
    context: dg.AssetExecutionContext, source: str, results: list[TenantLoad]
) -> Iterator[dg.MaterializeResult]:
    failed = {r.tenant_id: r.error for r in results if not r.ok}
    for spec in (s for s in SPECS.values() if s.source == source):
        key = dg.AssetKey(f"dlt_{source}_{spec.name}")
        if key not in context.selected_asset_keys:
            continue
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "rows_loaded": sum(r.rows.get(spec.name, 0) for r in results),
                "records_offered": sum(r.extracted.get(spec.name, 0) for r in results),
                "tenants_loaded": sum(1 for r in results if r.ok),
                "failed_tenants": len(failed),
                "failures": dg.MetadataValue.json(failed),
                "rejected_records": sum(r.rejected for r in results),
            },
        )


def make_source_assets(source: str) -> dg.AssetsDefinition:
    @dlt_assets(
        dlt_source=_template_source(source),
        dlt_pipeline=_template_pipeline(source),
        name=f"dlt_{source}",
        dagster_dlt_translator=KeelDltTranslator(),
    )
    def load_demo_source(
        context: dg.AssetExecutionContext, config: DemoConfig
    ) -> Iterator[dg.MaterializeResult]:
        world = demo_world(tenants=config.tenants or None)

        def progress(result: TenantLoad, index: int, total: int) -> None:
            status = "ok" if result.ok else f"FAILED: {result.error}"
            context.log.info(
                f"[{index}/{total}] {source} tenant {result.tenant_id}: {sum(result.rows.values())} rows, "
                f"{result.rejected} rejected, {result.seconds:.1f} s, {status}"
            )

        yield from _materializations(context, source, load_sources(world, [source], progress))

    return load_demo_source


def make_load_check(source: str) -> dg.AssetChecksDefinition:
    first = next(spec for spec in SPECS.values() if spec.source == source)
    key = dg.AssetKey(f"dlt_{source}_{first.name}")

    @dg.asset_check(
        asset=key,
        name="all_tenants_loaded",
        blocking=False,
        description=f"Every tenant's {source} load in the latest run succeeded.",
    )
    def all_tenants_loaded(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        event = context.instance.get_latest_materialization_event(key)
        metadata = event.asset_materialization.metadata if event and event.asset_materialization else {}
        failed = metadata.get("failed_tenants")
        failures = metadata.get("failures")
        count = int(failed.value) if failed is not None else -1
        return dg.AssetCheckResult(
            passed=count == 0,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"failed_tenants": count, "failures": failures.value if failures else {}},
            description="no materialization yet" if count < 0 else None,
        )

    return all_tenants_loaded


@dg.asset(
    key=APP_TENANTS,
    group_name="ingestion",
    kinds={"postgres"},
    description="app.tenants: the businesses Keel serves (the demo ones, each with an owner login).",
)
def app_tenants(config: DemoConfig) -> dg.MaterializeResult:
    world = demo_world(tenants=config.tenants or None)
    register_tenants(world)
    return dg.MaterializeResult(
        metadata={"tenants": len(world.tenants), "slugs": ", ".join(t.slug for t in world.tenants)}
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
source_assets = [make_source_assets(source) for source in DEMO_SOURCES]
load_checks = [make_load_check(source) for source in DEMO_SOURCES]
