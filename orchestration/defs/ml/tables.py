"""What every ML asset does with the warehouse: find tenants and metrics, read its inputs, replace its rows.

The forecasting, evidence and planning assets each own ``ml.*`` tables keyed by tenant (created by
migration 0007). They read their inputs with :func:`read_frame` (the dbt ``ml_features`` views, the daily
metrics, earlier ML tables), write a run's rows by deleting the selected tenants' rows and inserting the
new ones in one transaction, so readers never see a gap, and stamp every row with the Dagster run id.
Each of them is partitioned by tenant (``orchestration.defs.tenants.partitions``): a run works on the tenant
of its partition key (:func:`partition_tenant`) and replaces that tenant's rows only.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
import polars as pl
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from models_ml.optimization.serialization import PLAN_TABLE_COLUMNS

_NUMERIC_TYPES = ("numeric", "integer", "bigint", "smallint", "double precision", "real")


def table_exists(conn: psycopg.Connection[Any], table: str) -> bool:
    row = conn.execute("select to_regclass(%s) is not null", (table,)).fetchone()
    return bool(row and row[0])


def numeric_metric_columns(conn: psycopg.Connection[Any]) -> set[str]:
    """The numeric columns of ``metrics.business_metrics_daily`` (the metrics an asset may be asked for)."""
    rows = conn.execute(
        "select column_name from information_schema.columns "
        "where table_schema = 'metrics' and table_name = 'business_metrics_daily' "
        "and data_type = any(%s)",
        (list(_NUMERIC_TYPES),),
    ).fetchall()
    return {r[0] for r in rows}


def read_frame(
    conn: psycopg.Connection[Any],
    relation: str,
    query: str | sql.Composed,
    params: Mapping[str, Any] | Sequence[Any] | None,
    schema: Mapping[str, Any],
) -> pl.DataFrame:
    """Rows of ``query`` as a DataFrame with ``schema`` (its columns in select order).

    Empty, with the schema, when ``relation`` (what the query reads) does not exist yet: a dbt feature
    view or mart that has not been built means "no such data" to the libraries, which say so in their rows.
    """
    if not table_exists(conn, relation):
        return pl.DataFrame(schema=dict(schema))
    rows = conn.execute(query, params).fetchall()
    return pl.DataFrame(rows, schema=dict(schema), orient="row")


def read_daily_metrics(
    conn: psycopg.Connection[Any], metrics: list[str], tenant_ids: Sequence[Any] | None
) -> pl.DataFrame:
    """``tenant_id, ds`` and the metrics (floats) of ``metrics.business_metrics_daily`` (None: every tenant
    but benchmark peers, which feed the benchmarks only).

    A metric that is not a numeric column fails the run with the ones to choose from.
    """
    allowed = numeric_metric_columns(conn)
    wrong = [m for m in metrics if m not in allowed]
    if wrong or not metrics:
        raise dg.Failure(
            f"config.metrics {wrong or metrics} are not numeric columns of metrics.business_metrics_daily: "
            f"choose from {sorted(allowed)}"
        )
    query = sql.SQL(
        "select tenant_id::text, metric_date, {values} from metrics.business_metrics_daily "
        "where (%(all)s and tenant_id not in (select tenant_id from app.tenants where is_benchmark_peer)) "
        "or tenant_id = any(%(ids)s::uuid[]) order by tenant_id, metric_date"
    ).format(
        values=sql.SQL(", ").join(sql.SQL("{}::double precision").format(sql.Identifier(m)) for m in metrics)
    )
    schema: dict[str, Any] = {"tenant_id": pl.String, "ds": pl.Date} | {m: pl.Float64 for m in metrics}
    params = {"all": tenant_ids is None, "ids": [str(t) for t in tenant_ids or []]}
    return read_frame(conn, "metrics.business_metrics_daily", query, params, schema)


def resolve_tenants(conn: psycopg.Connection[Any], tenants: list[str]) -> list[uuid.UUID]:
    """Tenant ids for slugs or ids; an unknown one fails the run with its name."""
    rows = conn.execute("select tenant_id, slug from app.tenants").fetchall()
    by_slug = {slug: uuid.UUID(str(tid)) for tid, slug in rows}
    known = set(by_slug.values())
    resolved: list[uuid.UUID] = []
    unknown: list[str] = []
    for tenant in tenants:
        if tenant in by_slug:
            resolved.append(by_slug[tenant])
            continue
        try:
            tenant_id = uuid.UUID(tenant)
        except ValueError:
            unknown.append(tenant)
            continue
        if tenant_id in known:
            resolved.append(tenant_id)
        else:
            unknown.append(tenant)
    if unknown:
        raise dg.Failure(f"unknown tenant(s) {unknown}: use slugs or ids of app.tenants")
    return resolved


def partition_tenant(conn: psycopg.Connection[Any], context: dg.AssetExecutionContext) -> uuid.UUID:
    """The tenant of the run's partition (its slug is the partition key); peers have no partition.

    A tenant whose latest data checks found errors has its models held (``dg.Failure`` naming them): the
    quality checks run over every tenant in one step, and an error of one tenant's data stops that tenant's
    forecasts, evidence, plans and goals, not every tenant's build."""
    from ingestion.quality.words import errors_holding_models

    (tenant_id,) = resolve_tenants(conn, [context.partition_key])
    errors = errors_holding_models(str(tenant_id))
    if errors:
        raise dg.Failure(
            description=f"{context.partition_key}'s models are held until its data passes its checks: "
            + "; ".join(errors)
            + ". Fix the source (keel ingest status) and load it again; the models follow."
        )
    return tenant_id


def copy_frame(conn: psycopg.Connection[Any], table: str, frame: pl.DataFrame) -> None:
    """Bulk insert through COPY ... FROM STDIN in CSV (an unquoted empty field is NULL)."""
    if frame.is_empty():
        return
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, null_value="")
    statement = sql.SQL("copy {} ({}) from stdin with (format csv)").format(
        sql.Identifier(*table.split(".")), sql.SQL(", ").join(sql.Identifier(c) for c in frame.columns)
    )
    with conn.cursor() as cur, cur.copy(statement) as copy:
        copy.write(buffer.getvalue())


def replace_tenant_rows(
    conn: psycopg.Connection[Any], tenant_ids: list[str], frames: Mapping[str, pl.DataFrame]
) -> None:
    """Delete the tenants' rows of every table in ``frames`` and COPY the new ones, in one transaction."""
    with conn.transaction():
        for table in frames:
            conn.execute(
                sql.SQL("delete from {} where tenant_id = any(%s::uuid[])").format(
                    sql.Identifier(*table.split("."))
                ),
                (tenant_ids,),
            )
        for table, frame in frames.items():
            copy_frame(conn, table, frame)


_JSON_COLUMNS = frozenset(
    {"decisions", "binding_constraints", "conflicting_constraints", "notes", "metrics", "inputs", "problem"}
)


def replace_tenant_plans(
    conn: psycopg.Connection[Any], tenant_ids: list[str], rows: list[dict[str, Any]]
) -> None:
    """Delete the tenants' plans and insert the new ones in one transaction (readers never see a gap)."""
    placeholders = ", ".join(["%s"] * len(PLAN_TABLE_COLUMNS))
    statement = f"insert into ml.plans ({', '.join(PLAN_TABLE_COLUMNS)}) values ({placeholders})"
    values = [
        tuple(
            Jsonb(row[c]) if c in _JSON_COLUMNS and row[c] is not None else row[c] for c in PLAN_TABLE_COLUMNS
        )
        for row in rows
    ]
    with conn.transaction():
        conn.execute("delete from ml.plans where tenant_id = any(%s::uuid[])", (tenant_ids,))
        with conn.cursor() as cur:
            cur.executemany(statement, values)
