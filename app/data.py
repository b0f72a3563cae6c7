"""The console's only way into the warehouse: every read runs as ``keel_app`` scoped to the signed-in tenant.

The public functions take the :class:`~keel.tenancy.SignedInUser` that sign-in stored in the session and
nothing else, so no page can pass a tenant id from a URL or a widget. Each query runs on
``keel.warehouse.connect("keel_app", tenant_id=...)``: PostgreSQL row-level security returns that tenant's
rows only, and the queries also say ``tenant_id = app.current_tenant_id()`` so they read the same setting.

Results are cached for a short time with ``st.cache_data``. The cached functions take the tenant id as
their argument, which makes it part of the cache key: an entry only ever holds the rows that one tenant's
session was allowed to read, and another tenant's call never finds it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import polars as pl
import psycopg
import streamlit as st
from psycopg import sql

from app.kpis import OVERVIEW_COLUMNS
from keel.errors import KeelError
from keel.tenancy import SignedInUser
from keel.warehouse import connect

#: Where the daily metrics come from; the lead's dbt project builds it.
METRICS_SCHEMA = "metrics"
METRICS_TABLE = "business_metrics_daily"
#: Seconds a cached read is reused: short, so a fresh `keel demo` or daily run shows up within minutes.
CACHE_TTL_SECONDS = 120


class MetricsNotBuilt(KeelError):
    """``metrics.business_metrics_daily`` does not exist yet (the dbt project has not run)."""


@dataclass(frozen=True)
class TenantProfile:
    tenant_id: uuid.UUID
    name: str
    industry: str | None
    currency: str
    timezone: str


def metrics_table_name() -> str:
    return f"{METRICS_SCHEMA}.{METRICS_TABLE}"


def tenant_profile(user: SignedInUser) -> TenantProfile:
    """The signed-in user's tenant as ``app.tenants`` describes it."""
    return _tenant_profile(str(user.tenant_id))


def business_metrics(user: SignedInUser) -> pl.DataFrame:
    """The tenant's daily metrics (the Overview columns), oldest first; empty when none are built yet.

    Raises :class:`MetricsNotBuilt` when the table does not exist.
    """
    return _business_metrics(str(user.tenant_id), METRICS_SCHEMA, METRICS_TABLE)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _tenant_profile(tenant_id: str) -> TenantProfile:
    with connect("keel_app", tenant_id=tenant_id) as conn:
        row = conn.execute(
            "select tenant_id, name, industry, currency, timezone from app.tenants "
            "where tenant_id = (select app.current_tenant_id())"
        ).fetchone()
    if row is None:
        raise KeelError(
            "the signed-in user's tenant is not in app.tenants any more",
            "sign out and ask the operator whether the tenant was removed",
        )
    return TenantProfile(uuid.UUID(str(row[0])), row[1], row[2], row[3], row[4])


# The schema and table are arguments (not read from module globals inside) so they are part of the cache
# key too; a failed read raises, and st.cache_data does not cache exceptions, so a table built a moment
# later is found at the next rerun.
@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _business_metrics(tenant_id: str, schema: str, table: str) -> pl.DataFrame:
    casts = {pl.Date(): "date", pl.Float64(): "double precision", pl.Int64(): "bigint"}
    select_list = sql.SQL(", ").join(
        sql.SQL("{}::{}").format(sql.Identifier(name), sql.SQL(casts[dtype]))
        for name, dtype in OVERVIEW_COLUMNS.items()
    )
    query = sql.SQL(
        "select {columns} from {table} "
        "where tenant_id = (select app.current_tenant_id()) order by metric_date"
    ).format(columns=select_list, table=sql.Identifier(schema, table))
    qualified = f"{schema}.{table}"
    with connect("keel_app", tenant_id=tenant_id) as conn:
        exists = conn.execute("select to_regclass(%s) is not null", (qualified,)).fetchone()
        if not exists or not exists[0]:
            raise MetricsNotBuilt(f"{qualified} does not exist yet", "run `python3 dev.py demo`")
        try:
            rows: list[tuple[Any, ...]] = conn.execute(query).fetchall()
        except psycopg.errors.UndefinedColumn as exc:
            raise KeelError(
                f"{qualified} lacks a column the Overview reads: {str(exc).splitlines()[0]}",
                "rebuild the metrics with the current dbt project (`python3 dev.py demo`)",
            ) from exc
        except psycopg.errors.InsufficientPrivilege as exc:
            raise KeelError(
                f"the console (role keel_app) may not read {qualified}",
                "re-run the dbt build; it grants keel_app read access under row-level security",
            ) from exc
    return pl.DataFrame(rows, schema=OVERVIEW_COLUMNS, orient="row")
