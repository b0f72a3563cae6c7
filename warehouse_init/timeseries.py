"""Time-series tables: monthly partitions, or a TimescaleDB hypertable where that extension exists.

Both paths behave the same to every query. On the native path a table is ``PARTITION BY RANGE`` on its
time column with one partition per month in the ``partitions`` schema (which the app and analysts
cannot reach, so a partition can never be read around the parent's row-level security), a DEFAULT
partition so that no row is ever refused, and a BRIN index on time. ``app.ensure_monthly_partitions``
(created by migration 0004) adds months ahead of the data and moves rows that the default partition
caught into their month. Migrations and dbt call :func:`time_series_ddl` / that function; nothing else
creates partitions.
"""

from __future__ import annotations

import re
from typing import Any

_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _split_name(qualified_name: str) -> tuple[str, str]:
    schema, _, name = qualified_name.partition(".")
    if not name or not _IDENT.match(schema) or not _IDENT.match(name):
        raise ValueError(f"time-series table {qualified_name!r} must be written schema.table in lower case")
    return schema, name


def timescaledb_usable(connection: Any) -> bool:
    """True when the server has TimescaleDB installed in this database or can install it."""
    from sqlalchemy import text

    installed = connection.execute(text("select 1 from pg_extension where extname = 'timescaledb'")).first()
    if installed:
        return True
    available = connection.execute(
        text("select 1 from pg_available_extensions where name = 'timescaledb'")
    ).first()
    if not available:
        return False
    # Available is not enough: the library must be preloaded. Try inside a savepoint.
    nested = connection.begin_nested()
    try:
        connection.execute(text("create extension if not exists timescaledb"))
    except Exception:
        nested.rollback()
        return False
    nested.commit()
    return True


def time_series_ddl(
    qualified_name: str, columns_sql: str, time_column: str, *, hypertable: bool
) -> list[str]:
    """Idempotent statements that create ``qualified_name`` as a monthly time-series table."""
    schema, name = _split_name(qualified_name)
    if not _IDENT.match(time_column):
        raise ValueError(f"time column {time_column!r} is not a plain lower-case identifier")
    storage = "hypertable" if hypertable else "native"
    register = (
        "insert into app.time_series_tables (table_name, time_column, storage) "
        f"values ('{schema}.{name}', '{time_column}', '{storage}') "
        "on conflict (table_name) do update "
        "set time_column = excluded.time_column, storage = excluded.storage"
    )
    if hypertable:
        return [
            "create extension if not exists timescaledb",
            f"create table if not exists {schema}.{name} ({columns_sql})",
            f"select create_hypertable('{schema}.{name}', by_range('{time_column}', interval '1 month'), "
            "if_not_exists => true)",
            register,
        ]
    return [
        f"create table if not exists {schema}.{name} ({columns_sql}) partition by range ({time_column})",
        f"create table if not exists partitions.{schema}_{name}_default partition of {schema}.{name} default",
        f"create index if not exists {name}_{time_column}_brin on {schema}.{name} using brin ({time_column})",
        register,
        # A year ahead and a month back from today; loaders call the function again for their range.
        f"select app.ensure_monthly_partitions('{schema}.{name}', "
        "date_trunc('month', now()) - interval '1 month', date_trunc('month', now()) + interval '12 months')",
    ]
