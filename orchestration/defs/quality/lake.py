"""The analysts' lake as an asset: after each build, the changed partitions of the marts and metrics are
written as Parquet (``keel.lake.export_lake``), per tenant and month, for ``keel sql``. It follows the
models it exports (``ON_NEW_INPUTS``): finding what changed is one aggregate per table in the warehouse
(4 s on the full demo when nothing changed), so it can run after every build."""

from pathlib import Path

import dagster as dg

from keel import telemetry
from keel.lake import SCHEMAS, export_lake
from orchestration.defs.automation import ON_NEW_INPUTS

MODELS = Path(__file__).resolve().parents[3] / "dbt_project" / "models"


def _upstream() -> list[dg.AssetKey]:
    """The dbt models of the lake's schemas (their asset keys are their names)."""
    return [dg.AssetKey(path.stem) for schema in SCHEMAS for path in sorted((MODELS / schema).glob("*.sql"))]


@dg.asset(
    key="lake_parquet",
    deps=_upstream(),
    group_name="lake",
    kinds={"parquet", "duckdb"},
    automation_condition=ON_NEW_INPUTS,
    description="KEEL_HOME/lake: marts and metrics as Parquet per table, tenant and month (changed "
    "partitions only), for analysts' `keel sql --tenant SLUG`.",
)
def lake_parquet() -> dg.MaterializeResult:
    with telemetry.span("keel.lake.export") as current:
        result = export_lake()
        telemetry.set_attributes(current, written=result.partitions_written, rows=result.rows_written)
    return dg.MaterializeResult(
        metadata={
            "tables": result.tables,
            "partitions_written": result.partitions_written,
            "partitions_unchanged": result.partitions_unchanged,
            "partitions_removed": result.partitions_removed,
            "rows_written": result.rows_written,
        }
    )
