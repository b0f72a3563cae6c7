"""The analysts' lake: the marts and metrics as Parquet, one folder per table, tenant and month.

:func:`export_lake` reads every table of the ``marts`` and ``metrics`` schemas per tenant and writes
``KEEL_HOME/lake/<schema>.<table>/tenant_id=<id>/month=<YYYY-MM>/data.parquet`` (``month=all`` for a
table without a date). It is incremental: the warehouse fingerprints every partition (row count and the sum
of the rows' hashes, in one aggregate per table), and only the partitions whose fingerprint changed since
the last export (kept in ``_manifest.json``) are read and rewritten; partitions whose rows are gone are
removed. So the export can follow every build.

:func:`open_tenant` gives a DuckDB connection over one tenant's Parquet, honoring the warehouse's
isolation: the analyst's own PostgreSQL login must belong to that tenant (``app.current_tenant_id()``)
before the tenant's files are opened; the tenant's rows are copied into in-memory tables, then external
access is switched off and the configuration locked, so no query can read another file (no
``read_parquet``, ``COPY``, ``ATTACH`` or extension) or switch access back on.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from psycopg import sql

from keel import warehouse
from keel.errors import InvalidInput, KeelError
from keel.settings import KeelSettings, get_settings

SCHEMAS = ("marts", "metrics")
MANIFEST = "_manifest.json"
#: Columns that hold a row's build, not its content: left out of the digest so a rebuild of unchanged
#: rows rewrites nothing.
BUILD_COLUMNS = frozenset({"dbt_invocation_id", "built_at", "run_id", "created_at", "_dbt_run_at"})


@dataclass
class LakeExport:
    """What :func:`export_lake` did."""

    tables: int = 0
    partitions_written: int = 0
    partitions_unchanged: int = 0
    partitions_removed: int = 0
    rows_written: int = 0
    by_table: dict[str, int] = field(default_factory=dict)


def _tables(conn: psycopg.Connection[Any]) -> list[tuple[str, str, str | None, list[str]]]:
    """(schema, table, month column, content columns) of every tenant table of the lake's schemas; the
    content columns are all but the build columns, in the table's order."""
    rows = conn.execute(
        """
        select c.table_schema, c.table_name,
               (array_agg(c.column_name order by
                    case when c.column_name like '%%date' then 0 else 1 end, c.ordinal_position)
                filter (where c.data_type in ('date', 'timestamp with time zone')
                        and c.column_name <> all(%s)))[1],
               array_agg(c.column_name::text order by c.ordinal_position)
                   filter (where c.column_name <> all(%s))
        from information_schema.columns c
        join information_schema.tables t using (table_schema, table_name)
        where c.table_schema = any(%s) and t.table_type in ('BASE TABLE', 'VIEW')
        group by c.table_schema, c.table_name
        having bool_or(c.column_name = 'tenant_id')
        order by 1, 2
        """,
        (sorted(BUILD_COLUMNS), sorted(BUILD_COLUMNS), list(SCHEMAS)),
    ).fetchall()
    return [(schema, table, month, list(columns)) for schema, table, month, columns in rows]


def _plain(values: list[Any]) -> list[Any]:
    """A column's values in types Arrow keeps: ids as text, JSON as text, exact decimals as floats."""
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, uuid.UUID):
        return [None if v is None else str(v) for v in values]
    if isinstance(sample, dict | list):
        return [None if v is None else json.dumps(v, default=str) for v in values]
    if isinstance(sample, Decimal):
        return [None if v is None else float(v) for v in values]
    return values


#: How the files are written. A partition is small (a tenant's month: one row of a monthly table, a few
#: thousand of the largest), and ``keel sql`` reads a tenant's files whole into memory (:func:`open_tenant`):
#: column statistics, dictionary pages and Arrow's copy of the schema would skip nothing there, and they
#: were 28% of the lake (89 MB of files against 64 MB without them, on the full demo). The values' types
#: are Parquet's own (dates, timestamps in UTC, doubles, text).
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "use_dictionary": False,
    "write_statistics": False,
    "store_schema": False,
}
#: Rows fetched per round trip while streaming a table.
FETCH_ROWS = 20_000
#: The partition column the queries add (the month as the file path names it), dropped before writing.
MONTH = "_keel_lake_month"
#: Benchmark peers (``app.tenants.is_benchmark_peer``: the demo's lighter copies of its businesses) only
#: feed the peer benchmarks; nobody signs in as them or analyses them, so the lake leaves them out (they
#: were a quarter of its files).
NOT_A_PEER = sql.SQL(
    "tenant_id::text not in (select tenant_id::text from app.tenants where is_benchmark_peer)"
)


def _month(month_column: str | None) -> sql.Composable:
    """The partition's month of a row, computed by the server (in the session's time zone)."""
    if month_column is None:
        return sql.SQL("'all'")
    return sql.SQL("coalesce(to_char({}, 'YYYY-MM'), 'none')").format(sql.Identifier(month_column))


def _fingerprints(
    conn: psycopg.Connection[Any], schema: str, table: str, month_column: str | None, columns: list[str]
) -> dict[tuple[str, str], str]:
    """Each (tenant, month) partition's fingerprint, computed in the warehouse: its row count and the sum of
    its rows' 64-bit hashes over ``columns`` (the build columns left out). One aggregate over the table, so
    finding what changed costs a scan in PostgreSQL, not a transfer of every row."""
    content = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    query = sql.SQL(
        "select tenant_id::text, {month}, count(*), sum(hashtextextended(row({content})::text, 0))::text "
        "from {table} where {not_a_peer} group by 1, 2"
    ).format(
        month=_month(month_column),
        content=content,
        table=sql.Identifier(schema, table),
        not_a_peer=NOT_A_PEER,
    )
    return {(tenant, month): f"{count}:{total}" for tenant, month, count, total in conn.execute(query)}


def _tenant_parts(
    conn: psycopg.Connection[Any],
    schema: str,
    table: str,
    month_column: str | None,
    partitions: list[tuple[str, str]],
) -> Iterator[pa.Table]:
    """The rows of the given (tenant, month) partitions as Arrow, one tenant at a time (with the
    partition's month in column ``MONTH``).

    The rows come sorted by tenant through a server-side cursor, so this process holds one tenant's rows
    of one table at a time: its memory does not grow with the number of tenants."""
    query = sql.SQL(
        "select *, {month} as {month_name} from {table} "
        "where (tenant_id::text, {month}) in (select * from unnest(%s::text[], %s::text[])) "
        "order by tenant_id"
    ).format(
        month=_month(month_column), month_name=sql.Identifier(MONTH), table=sql.Identifier(schema, table)
    )
    tenants, months = [p[0] for p in partitions], [p[1] for p in partitions]
    with conn.cursor(name=f"lake_{schema}_{table}"[:60]) as cursor:
        cursor.itersize = FETCH_ROWS
        cursor.execute(query, (tenants, months))
        columns = [d.name for d in cursor.description or []]
        at = columns.index("tenant_id")
        rows: list[Any] = []
        for row in cursor:
            if rows and row[at] != rows[-1][at]:
                yield _arrow(columns, rows)
                rows = []
            rows.append(row)
        if rows:
            yield _arrow(columns, rows)


def _arrow(columns: list[str], rows: list[Any]) -> pa.Table:
    return pa.table({name: _plain([row[i] for row in rows]) for i, name in enumerate(columns)})


def _partition(name: str, tenant: str, month: str) -> str:
    """A partition's folder under the lake's root."""
    return f"{name}/tenant_id={tenant}/month={month}"


def _write_tenant(
    data: pa.Table,
    name: str,
    root: Path,
    manifest: dict[str, str],
    prints: dict[tuple[str, str], str],
    result: LakeExport,
    settings: KeelSettings,
) -> None:
    """Write one tenant's changed partitions of table ``name``, one file per month (or ``month=all``)."""
    from keel.home import private_dir

    tenant = str(data["tenant_id"][0].as_py())
    month_array = data[MONTH]
    content = data.drop_columns([MONTH])
    distinct = sorted(set(month_array.to_pylist()))
    for month in distinct:
        part = content.filter(pc.equal(month_array, month)) if len(distinct) > 1 else content
        relative = _partition(name, tenant, month)
        folder = private_dir(root / relative, settings)
        pq.write_table(part, folder / "data.parquet", **PARQUET_OPTIONS)
        manifest[relative] = prints[(tenant, month)]
        result.partitions_written += 1
        result.rows_written += part.num_rows
        result.by_table[name] = result.by_table.get(name, 0) + part.num_rows


def export_lake(settings: KeelSettings | None = None) -> LakeExport:
    """Write the changed partitions of every mart and metric table (as the pipeline role, all tenants).

    The warehouse fingerprints every partition (:func:`_fingerprints`); only the partitions whose
    fingerprint differs from the one in the manifest (or whose file is missing) are read and written."""
    from keel.home import private_dir

    settings = settings or get_settings()
    root = private_dir(settings.lake_dir, settings)
    manifest_path = root / MANIFEST
    manifest: dict[str, str] = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    seen: set[str] = set()
    result = LakeExport()
    with warehouse.connect("keel_transformer", settings=settings) as conn:
        for schema, table, month_column, columns in _tables(conn):
            result.tables += 1
            name = f"{schema}.{table}"
            prints = _fingerprints(conn, schema, table, month_column, columns)
            changed: list[tuple[str, str]] = []
            for tenant, month in sorted(prints):
                relative = _partition(name, tenant, month)
                seen.add(relative)
                if (
                    manifest.get(relative) == prints[(tenant, month)]
                    and (root / relative / "data.parquet").exists()
                ):
                    result.partitions_unchanged += 1
                else:
                    changed.append((tenant, month))
            if changed:
                for data in _tenant_parts(conn, schema, table, month_column, changed):
                    _write_tenant(data, name, root, manifest, prints, result, settings)
    for relative in sorted(set(manifest) - seen):
        shutil.rmtree(root / relative, ignore_errors=True)
        del manifest[relative]
        result.partitions_removed += 1
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return result


def _tenant_of_login(login_url: str) -> uuid.UUID | None:
    try:
        with psycopg.connect(login_url, connect_timeout=10) as conn:
            row = conn.execute("select app.current_tenant_id()").fetchone()
    except psycopg.OperationalError as exc:
        raise KeelError(
            f"the analyst login was refused by the warehouse: {str(exc).strip().splitlines()[0]}",
            "get a login with `keel db url --tenant SLUG` from whoever runs Keel",
        ) from exc
    return row[0] if row else None


def tenant_id_of(slug: str, settings: KeelSettings | None = None) -> uuid.UUID:
    with warehouse.connect("keel_transformer", settings=settings) as conn:
        row = conn.execute("select tenant_id from app.tenants where slug = %s", (slug,)).fetchone()
    if row is None:
        raise InvalidInput(f"there is no business {slug!r}", "`keel tenant list` shows the slugs")
    return uuid.UUID(str(row[0]))


def open_tenant(slug: str, login_url: str, settings: KeelSettings | None = None) -> Any:
    """A DuckDB connection holding one tenant's lake tables, for the analyst whose login is ``login_url``.

    Refused unless the login is that tenant's (PostgreSQL decides: ``app.current_tenant_id()`` of the
    login). The tables are named as in the warehouse (``marts.orders``, ``metrics.business_metrics_daily``).
    """
    import duckdb

    settings = settings or get_settings()
    tenant_id = tenant_id_of(slug, settings)
    if _tenant_of_login(login_url) != tenant_id:
        raise KeelError(
            f"this analyst login may not read {slug!r}'s data",
            "use the login of that business (`keel db url --tenant SLUG`)",
        )
    root = settings.lake_dir
    db = duckdb.connect(":memory:")
    for schema in SCHEMAS:
        db.execute(f'create schema if not exists "{schema}"')
    tables = sorted({p.name for p in root.iterdir() if p.is_dir()}) if root.is_dir() else []
    for name in tables:
        files = sorted((root / name / f"tenant_id={tenant_id}").glob("month=*/data.parquet"))
        if not files:
            continue
        schema, table = name.split(".", 1)
        # An in-memory DuckDB table of the tenant's rows (nothing is written to the warehouse).
        db.read_parquet([str(f) for f in files], union_by_name=True).to_table(f'"{schema}"."{table}"')
    # From here on the connection reads nothing but the tables above, and cannot be told otherwise.
    db.execute("set enable_external_access = false")
    db.execute("set lock_configuration = true")
    return db


def lake_size(settings: KeelSettings | None = None) -> int:
    root = (settings or get_settings()).lake_dir
    return sum(p.stat().st_size for p in root.rglob("*.parquet")) if root.is_dir() else 0
