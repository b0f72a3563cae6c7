"""Owners' uploaded files as assets: ``dlt_files_<kind>``, one per kind of file.

Uploads are loaded when the owner sends them (``keel ingest file``, the console's Upload data page),
not by a run: materializing these assets records what the uploads have put in ``raw_files`` so far
(rows and tenants per kind), and gives the dbt staging models of files an upstream in the lineage graph.
"""

from collections.abc import Iterator

import dagster as dg

from ingestion.loader import dataset_name
from ingestion.sources.files.settings import RESOURCES, SOURCE
from keel import warehouse
from orchestration.defs.ingestion.assets import APP_TENANTS


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=dg.AssetKey(f"dlt_{SOURCE}_{spec.name}"),
            deps=[APP_TENANTS],
            group_name="ingestion",
            description=f"Uploaded files: {spec.description}",
            kinds={"dlt", "postgres"},
            skippable=True,
        )
        for spec in RESOURCES
    ],
    name="uploaded_files",
    can_subset=True,
)
def uploaded_files(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
    with warehouse.connect("keel_loader") as conn:
        for spec in RESOURCES:
            key = dg.AssetKey(f"dlt_{SOURCE}_{spec.name}")
            if key not in context.selected_asset_keys:
                continue
            table = f"{dataset_name(SOURCE)}.{spec.name}"
            rows = tenants = 0
            if conn.execute("select to_regclass(%s)", (table,)).fetchone() != (None,):
                found = conn.execute(f"select count(*), count(distinct tenant_id) from {table}").fetchone()
                rows, tenants = (int(found[0]), int(found[1])) if found else (0, 0)
            yield dg.MaterializeResult(asset_key=key, metadata={"rows": rows, "tenants": tenants})
