"""Sources that only owners' connections feed (no demo business uses them: Salesforce, ERPNext) as assets:
``dlt_<source>_<resource>``, one per resource of the connector.

Materializing them loads every tenant with an enabled connection of that source through its connector
(:func:`ingestion.run.run_tenant_sources`, which records each load in ``app.source_loads``), so the dbt
staging models of the source have an upstream in the lineage graph. One tenant's failure (a revoked
authorization: "needs reconnecting") is reported in the metadata; the others load.
"""

from collections.abc import Iterator

import dagster as dg

from ingestion.run import run_tenant_sources, tenants_with_source
from ingestion.sources import connectors
from orchestration.defs.ingestion.assets import APP_TENANTS, DEMO_SOURCES, make_load_check


def make_connector_assets(source: str) -> dg.AssetsDefinition:
    connector = connectors()[source]

    @dg.multi_asset(
        specs=[
            dg.AssetSpec(
                key=dg.AssetKey(f"dlt_{source}_{spec.name}"),
                deps=[APP_TENANTS],
                group_name="ingestion",
                description=f"{connector.title}: {spec.description}",
                kinds={"dlt", "postgres"},
            )
            for spec in connector.resources
        ],
        name=f"{source}_connections",
    )
    def load_connections(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
        rows = {spec.name: 0 for spec in connector.resources}
        failures: dict[str, str] = {}
        reconnect: list[str] = []
        tenants = tenants_with_source(source)
        for tenant in tenants:
            for run in run_tenant_sources(tenant, source):
                for name, count in run.load.rows.items():
                    rows[name] = rows.get(name, 0) + count
                if not run.ok:
                    failures[f"{tenant} {run.name}"] = run.load.error or "failed"
                    if run.load.needs_reconnect:
                        reconnect.append(f"{tenant} {run.name}")
                    context.log.warning(f"{source} of tenant {tenant} ({run.name}) failed: {run.load.error}")
        for spec in connector.resources:
            yield dg.MaterializeResult(
                asset_key=dg.AssetKey(f"dlt_{source}_{spec.name}"),
                metadata={
                    "rows": rows.get(spec.name, 0),
                    "tenants": len(tenants),
                    "failed_tenants": len(failures),
                    "failures": failures,
                    "needs_reconnect": reconnect,
                },
            )

    return load_connections


CONNECTOR_ONLY_SOURCES = [source for source in connectors() if source not in DEMO_SOURCES]
connector_assets = [make_connector_assets(source) for source in CONNECTOR_ONLY_SOURCES]
connector_checks = [make_load_check(source) for source in CONNECTOR_ONLY_SOURCES]
