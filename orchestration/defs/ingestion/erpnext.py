"""ERPNext sites as assets: ``dlt_erpnext_<resource>``, one per resource of the ERPNext connector.

No demo business uses ERPNext: these assets load the tenants that connected a site (``keel source add
erpnext``, the console's Your data page), each through its own stored key (``ingestion.run``), and
give the dbt staging models of ERPNext an upstream in the lineage graph. A tenant whose key was
revoked is reported in the metadata (``needs_reconnect``) while the other tenants load.
"""

from collections import Counter
from collections.abc import Iterator

import dagster as dg

from ingestion.run import run_tenant_sources
from ingestion.sources.erpnext.settings import RESOURCES
from keel import warehouse
from orchestration.defs.ingestion.assets import APP_TENANTS

SOURCE = "erpnext"


def _key(name: str) -> dg.AssetKey:
    return dg.AssetKey(f"dlt_{SOURCE}_{name}")


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=_key(spec.name),
            deps=[APP_TENANTS],
            group_name="ingestion",
            description=f"ERPNext: {spec.description}",
            kinds={"dlt", "postgres"},
        )
        for spec in RESOURCES
    ],
    name="erpnext_sites",
)
def erpnext_sites(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
    with warehouse.connect("keel_loader") as conn:
        tenants = [
            str(row[0])
            for row in conn.execute(
                "select distinct tenant_id from app.data_sources where source_type = %s and is_enabled "
                "order by 1",
                (SOURCE,),
            ).fetchall()
        ]
    rows: Counter[str] = Counter()
    failed: dict[str, str] = {}
    reconnect: list[str] = []
    for tenant in tenants:
        for run in run_tenant_sources(tenant, source=SOURCE):
            rows.update(run.load.rows)
            if not run.ok:
                failed[f"{tenant} {run.name}"] = run.load.error or "failed"
                if run.load.needs_reconnect:
                    reconnect.append(f"{tenant} {run.name}")
            context.log.info(f"erpnext {run.name!r} of tenant {tenant}: {'ok' if run.ok else run.load.error}")
    for spec in RESOURCES:
        yield dg.MaterializeResult(
            asset_key=_key(spec.name),
            metadata={
                "rows": rows.get(spec.name, 0),
                "tenants": len(tenants),
                "failed_tenants": len(failed),
                "failures": failed,
                "needs_reconnect": reconnect,
            },
        )
