"""Every read of the console, the HTTP API and ``keel forecast``: one tenant's rows, as ``keel_app``.

Each function opens one connection with :func:`keel.warehouse.connect` as ``keel_app`` for the tenant it is
given; row-level security returns that tenant's rows only, and the queries also say
``tenant_id = (select app.current_tenant_id())``. A relation that is not built yet reads as empty (or
``None``), so a page can say what to run instead of failing. Nothing here imports Streamlit: the pages
reach these through :mod:`app.data.cached`, the API (:mod:`api`) and the CLI directly.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import polars as pl
import psycopg
from psycopg import sql

from ingestion.run import ResourceStatus, latest_loads
from keel.errors import InvalidInput, KeelError
from keel.tenancy import DataSource, TenantUser, list_data_sources, list_users, tenant_id_for
from keel.warehouse import connect

if TYPE_CHECKING:
    from collections.abc import Sequence

    from coach.core import Answer
    from ingestion.run import ResourceStatus

#: Columns of ``metrics.business_metrics_daily`` the Overview page reads (the console loads only these).
OVERVIEW_COLUMNS: dict[str, pl.DataType] = {
    "metric_date": pl.Date(),
    "revenue_net": pl.Float64(),
    "orders": pl.Int64(),
    "average_order_value": pl.Float64(),
    "gross_margin": pl.Float64(),
    "new_customers": pl.Int64(),
    "stockout_product_days": pl.Int64(),
}
#: Where the daily metrics come from; the dbt project builds it.
METRICS_SCHEMA = "metrics"
METRICS_TABLE = "business_metrics_daily"
RUN_THE_DEMO = "run `keel demo` to build the metrics and their forecasts"
#: The chosen forecast's columns a page shows, with the types ``ml.forecasts`` stores them in (written out
#: here: importing the forecasting library to read a table would load statsforecast into every page).
STORED_FORECAST_SCHEMA: dict[str, pl.DataType] = {
    "ds": pl.Date(),
    "model": pl.String(),
    "point": pl.Float64(),
    "lo_80": pl.Float64(),
    "hi_80": pl.Float64(),
    "lo_95": pl.Float64(),
    "hi_95": pl.Float64(),
}
STORED_FORECAST_COLUMNS = tuple(STORED_FORECAST_SCHEMA)


class MetricsNotBuilt(KeelError):
    """``metrics.business_metrics_daily`` does not exist yet (the dbt project has not run)."""


class ForecastsNotStored(KeelError):
    """``ml.forecasts`` holds nothing for this tenant and metric."""


log = logging.getLogger(__name__)


def _exists(conn: psycopg.Connection[Any], relation: str) -> bool:
    row = conn.execute("select to_regclass(%s) is not null", (relation,)).fetchone()
    return bool(row and row[0])


# --------------------------------------------------------------------------------------------
# The tenant and its daily metrics (Overview)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TenantProfile:
    tenant_id: uuid.UUID
    name: str
    industry: str | None
    currency: str
    timezone: str
    country: str | None = None


def metrics_table_name() -> str:
    return f"{METRICS_SCHEMA}.{METRICS_TABLE}"


def resolve_tenant(tenant: str) -> uuid.UUID:
    """A tenant id from a slug or an id, confirmed in ``app.tenants`` as that tenant (RLS).

    A slug maps to its id as :func:`keel.tenancy.tenant_id_for` derives it; ``keel_app`` cannot list
    other tenants, so a tenant created with an explicit id is named by that id.
    """
    text = tenant.strip()
    try:
        tenant_id = uuid.UUID(text)
    except ValueError:
        tenant_id = tenant_id_for(text)
    with connect("keel_app", tenant_id=tenant_id) as conn:
        row = conn.execute(
            "select tenant_id from app.tenants where tenant_id = (select app.current_tenant_id())"
        ).fetchone()
    if row is None:
        raise InvalidInput(
            f"no business {text!r} in Keel", "pass a business's slug or id (`keel demo` lists them)"
        )
    return tenant_id


def tenant_profile(tenant_id: uuid.UUID) -> TenantProfile:
    """The tenant as ``app.tenants`` describes it."""
    with connect("keel_app", tenant_id=tenant_id) as conn:
        row = conn.execute(
            "select tenant_id, name, industry, currency, timezone, country from app.tenants "
            "where tenant_id = (select app.current_tenant_id())"
        ).fetchone()
    if row is None:
        raise KeelError(
            "your business is no longer in Keel",
            "sign out and ask whoever runs Keel whether it was removed",
        )
    return TenantProfile(uuid.UUID(str(row[0])), row[1], row[2], row[3], row[4], row[5])


@dataclass(frozen=True)
class DataFreshness:
    """How current the tenant's numbers are: the last day they cover and when data last came in."""

    data_up_to: dt.date | None
    last_loaded_at: dt.datetime | None


def data_freshness(
    tenant_id: uuid.UUID, schema: str = METRICS_SCHEMA, table: str = METRICS_TABLE
) -> DataFreshness:
    """The latest day of the daily metrics and the latest finished load (``app.source_loads``)."""
    qualified = f"{schema}.{table}"
    with connect("keel_app", tenant_id=tenant_id) as conn:
        loaded = conn.execute(
            "select max(finished_at) from app.source_loads "
            "where tenant_id = (select app.current_tenant_id()) and error is null"
        ).fetchone()
        latest = None
        if _exists(conn, qualified):
            row = conn.execute(
                sql.SQL(
                    "select max(metric_date) from {} where tenant_id = (select app.current_tenant_id())"
                ).format(sql.Identifier(schema, table))
            ).fetchone()
            latest = row[0] if row else None
    return DataFreshness(latest, loaded[0] if loaded else None)


def business_metrics(
    tenant_id: uuid.UUID, schema: str = METRICS_SCHEMA, table: str = METRICS_TABLE
) -> pl.DataFrame:
    """The tenant's daily metrics (the Overview columns), oldest first; empty when none are built yet.

    Raises :class:`MetricsNotBuilt` when the table does not exist.
    """
    casts = {pl.Date(): "date", pl.Float64(): "double precision", pl.Int64(): "bigint"}
    select_list = sql.SQL(", ").join(
        sql.SQL("{}::{}").format(sql.Identifier(name), sql.SQL(casts[dtype]))
        for name, dtype in OVERVIEW_COLUMNS.items()
    )
    query = sql.SQL(
        "select {columns} from {table} where tenant_id = (select app.current_tenant_id()) "
        "order by metric_date"
    ).format(columns=select_list, table=sql.Identifier(schema, table))
    qualified = f"{schema}.{table}"
    with connect("keel_app", tenant_id=tenant_id) as conn:
        # The owner reads these errors' words; the table, column and role go to the log for the data team.
        if not _exists(conn, qualified):
            log.warning("%s does not exist yet (the dbt project has not run)", qualified)
            raise MetricsNotBuilt(
                "your daily figures have not been built yet", "connect your data, then load it"
            )
        try:
            rows: list[tuple[Any, ...]] = conn.execute(query).fetchall()
        except psycopg.errors.UndefinedColumn as exc:
            log.error("%s lacks a column the Overview reads: %s", qualified, str(exc).splitlines()[0])
            raise KeelError(
                "your daily figures were built by an older version of Keel",
                "ask whoever runs Keel to rebuild your numbers",
            ) from exc
        except psycopg.errors.InsufficientPrivilege as exc:
            log.error("the console's role keel_app may not read %s: re-run the dbt build", qualified)
            raise KeelError(
                "your daily figures cannot be read right now", "ask whoever runs Keel to rebuild your numbers"
            ) from exc
    return pl.DataFrame(rows, schema=OVERVIEW_COLUMNS, orient="row")


#: Periods a metric series can be added up over (PostgreSQL's ``date_trunc`` fields; a week starts Monday).
Grain = Literal["day", "week", "month"]
GRAINS: tuple[Grain, ...] = ("day", "week", "month")


@dataclass(frozen=True)
class MetricPoint:
    """One period of a metric: its first day, the days with data in it and the value over them."""

    period_start: dt.date
    first_day: dt.date
    last_day: dt.date
    days_with_data: int
    value: float | None


def latest_metric_date(tenant_id: uuid.UUID) -> dt.date | None:
    """The tenant's latest day with daily metrics, or None before any are built."""
    with connect("keel_app", tenant_id=tenant_id) as conn:
        if not _exists(conn, metrics_table_name()):
            return None
        row = conn.execute(
            sql.SQL(
                "select max(metric_date) from {} where tenant_id = (select app.current_tenant_id())"
            ).format(sql.Identifier(METRICS_SCHEMA, METRICS_TABLE))
        ).fetchone()
    return row[0] if row else None


def metric_series(
    tenant_id: uuid.UUID, metric: str, start: dt.date, end: dt.date, grain: str = "day"
) -> list[MetricPoint]:
    """``metric`` by day, week or month between ``start`` and ``end`` (inclusive), oldest first (see
    :func:`metric_series_in_currency`)."""
    with connect("keel_app", tenant_id=tenant_id) as conn:
        return _metric_series(conn, metric, start, end, grain)


def metric_series_in_currency(
    tenant_id: uuid.UUID, metric: str, start: dt.date, end: dt.date, grain: str = "day"
) -> tuple[list[MetricPoint], str]:
    """:func:`metric_series` and the tenant's currency, read over one connection (the API's metrics).

    Autocommit: two reads need no transaction around them, and that saves two round trips per request.
    """
    with connect("keel_app", tenant_id=tenant_id, autocommit=True) as conn:
        points = _metric_series(conn, metric, start, end, grain)
        row = conn.execute(
            "select currency from app.tenants where tenant_id = (select app.current_tenant_id())"
        ).fetchone()
    if row is None:
        raise KeelError(
            "your business is no longer in Keel",
            "sign out and ask whoever runs Keel whether it was removed",
        )
    return points, row[0]


def _metric_series(
    conn: psycopg.Connection[Any], metric: str, start: dt.date, end: dt.date, grain: str
) -> list[MetricPoint]:
    """``metric`` by day, week or month between ``start`` and ``end`` (inclusive), oldest first.

    How a metric adds up comes from the coach's catalogue (:mod:`coach.metrics`): a ``sum`` metric is summed,
    a ``level`` (subscriptions) is read on the period's last day with data, a ``ratio`` is one sum over
    another (average order value = net revenue over orders). Raises :class:`InvalidInput` for a metric or
    grain Keel does not know, :class:`MetricsNotBuilt` before the dbt project ran.
    """
    from coach.metrics import BY_NAME

    spec = BY_NAME.get(metric)
    if spec is None:
        raise InvalidInput(f"Keel has no metric {metric!r}", f"use one of: {', '.join(sorted(BY_NAME))}")
    if grain not in GRAINS:
        raise InvalidInput(f"grain {grain!r} is not known", f"use one of: {', '.join(GRAINS)}")
    if end < start:
        raise InvalidInput(f"the range ends ({end}) before it starts ({start})", "swap the two dates")
    # Catalogue names only (never the request's text) reach the SQL, as identifiers.
    if spec.aggregation == "ratio":
        assert spec.numerator is not None and spec.denominator is not None
        value = sql.SQL("sum({})::double precision / nullif(sum({}), 0)").format(
            sql.Identifier(spec.numerator), sql.Identifier(spec.denominator)
        )
    elif spec.aggregation == "level":
        value = sql.SQL("((array_agg({} order by metric_date desc)))[1]::double precision").format(
            sql.Identifier(metric)
        )
    else:
        value = sql.SQL("sum({})::double precision").format(sql.Identifier(metric))
    query = sql.SQL(
        "select date_trunc({grain}, metric_date)::date, min(metric_date), max(metric_date), count(*)::int, "
        "{value} from {table} where tenant_id = (select app.current_tenant_id()) "
        "and metric_date between %s and %s group by 1 order by 1"
    ).format(grain=sql.Literal(grain), value=value, table=sql.Identifier(METRICS_SCHEMA, METRICS_TABLE))
    qualified = metrics_table_name()
    try:
        rows = conn.execute(query, (start, end)).fetchall()
    except psycopg.errors.UndefinedTable as exc:
        log.warning("%s does not exist yet (the dbt project has not run)", qualified)
        raise MetricsNotBuilt(
            "your daily figures have not been built yet", "connect your data, then load it"
        ) from exc
    except psycopg.errors.UndefinedColumn as exc:
        log.error("%s lacks a column of metric %s: %s", qualified, metric, str(exc).splitlines()[0])
        raise KeelError(
            "your daily figures were built by an older version of Keel",
            "ask whoever runs Keel to rebuild your numbers",
        ) from exc
    return [MetricPoint(r[0], r[1], r[2], r[3], _finite(r[4])) for r in rows]


# --------------------------------------------------------------------------------------------
# The kind of business and its monthly figures (Overview)
# --------------------------------------------------------------------------------------------

BUSINESS_KINDS = ("retail", "food", "services", "b2b", "subscription")
#: Until ``marts.business_profile`` is built, the kind follows the industry Keel knows the business by.
KIND_OF_INDUSTRY = {
    "cafe": ("food", "continuous"),
    "bakery": ("food", "continuous"),
    "retail_shop": ("retail", "continuous"),
    "online_store": ("retail", "continuous"),
    "salon": ("services", "continuous"),
    "b2b_services": ("b2b", "monthly"),
    "subscription_software": ("subscription", "monthly"),
}
#: The monthly tables of each kind's tiles (dbt models in ``metrics``), beside the daily one.
MONTHLY_RELATIONS = (
    "metrics.business_metrics_monthly",
    "metrics.subscription_metrics_monthly",
    "metrics.billing_metrics_monthly",
)


@dataclass(frozen=True)
class BusinessKind:
    """What kind of business the tenant is (its tiles and charts follow it) and how it bills."""

    kind: str
    billing_cadence: str

    @property
    def bills_monthly(self) -> bool:
        return self.billing_cadence == "monthly"


def business_kind(tenant_id: uuid.UUID, industry: str | None) -> BusinessKind:
    """``marts.business_profile``'s kind and billing cadence; from the industry while it is not built."""
    with connect("keel_app", tenant_id=tenant_id) as conn:
        if _exists(conn, "marts.business_profile"):
            try:
                row = conn.execute(
                    "select business_kind, billing_cadence from marts.business_profile "
                    "where tenant_id = (select app.current_tenant_id())"
                ).fetchone()
            except psycopg.errors.UndefinedColumn as exc:
                log.error("marts.business_profile lacks a column: %s", str(exc).splitlines()[0])
                row = None
            if row is not None and row[0] in BUSINESS_KINDS:
                return BusinessKind(row[0], row[1] or "continuous")
    kind, cadence = KIND_OF_INDUSTRY.get(industry or "", ("retail", "continuous"))
    return BusinessKind(kind, cadence)


def monthly_metrics(tenant_id: uuid.UUID, relation: str) -> pl.DataFrame:
    """Every column of one of :data:`MONTHLY_RELATIONS` for the tenant, oldest month first; empty when the
    table is not built yet."""
    if relation not in MONTHLY_RELATIONS:
        raise InvalidInput(f"{relation!r} is not a monthly metrics table", f"use one of {MONTHLY_RELATIONS}")
    schema, table = relation.split(".")
    with connect("keel_app", tenant_id=tenant_id) as conn, conn.cursor() as cur:
        if not _exists(conn, relation):
            return pl.DataFrame()
        cur.execute(
            sql.SQL(
                "select * from {} where tenant_id = (select app.current_tenant_id()) order by month"
            ).format(sql.Identifier(schema, table))
        )
        columns = [d.name for d in cur.description or ()]
        rows = cur.fetchall()
    frame = pl.DataFrame(rows, schema=columns, orient="row", infer_schema_length=None)
    if "tenant_id" in frame.columns:
        frame = frame.drop("tenant_id")  # the tenant is the one asked for (and a uuid would not cache)
    decimals = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Decimal)]
    objects = [name for name, dtype in frame.schema.items() if dtype == pl.Object]
    return frame.with_columns(
        *(pl.col(name).cast(pl.Float64) for name in decimals),
        *(pl.col(name).map_elements(str, return_dtype=pl.String) for name in objects),
    )


#: Columns of ``metrics.pipeline_daily`` (built for businesses with Salesforce) the Overview reads, typed.
PIPELINE_COLUMNS: dict[str, pl.DataType] = {
    "metric_date": pl.Date(),
    "open_opportunities": pl.Int64(),
    "open_pipeline_amount": pl.Float64(),
    "weighted_pipeline_amount": pl.Float64(),
    "opportunities_won": pl.Int64(),
    "opportunities_lost": pl.Int64(),
    "won_amount": pl.Float64(),
    "median_sales_cycle_days_90d": pl.Float64(),
}
PIPELINE_RELATION = ("metrics", "pipeline_daily")


def pipeline_daily(tenant_id: uuid.UUID) -> pl.DataFrame:
    """The tenant's sales pipeline by day (:data:`PIPELINE_COLUMNS`), oldest first; empty when the business
    has no CRM data or the table is not built yet."""
    casts = {pl.Date(): "date", pl.Float64(): "double precision", pl.Int64(): "bigint"}
    query = sql.SQL(
        "select {columns} from {table} where tenant_id = (select app.current_tenant_id()) "
        "order by metric_date"
    ).format(
        columns=sql.SQL(", ").join(
            sql.SQL("{}::{}").format(sql.Identifier(name), sql.SQL(casts[dtype]))
            for name, dtype in PIPELINE_COLUMNS.items()
        ),
        table=sql.Identifier(*PIPELINE_RELATION),
    )
    with connect("keel_app", tenant_id=tenant_id) as conn:
        if not _exists(conn, ".".join(PIPELINE_RELATION)):
            return pl.DataFrame(schema=PIPELINE_COLUMNS)
        try:
            rows = conn.execute(query).fetchall()
        except psycopg.errors.UndefinedColumn as exc:
            log.error("metrics.pipeline_daily lacks a column the console reads: %s", str(exc).splitlines()[0])
            raise KeelError(
                "your sales pipeline figures were built by an older version of Keel",
                "ask whoever runs Keel to rebuild your numbers",
            ) from exc
    return pl.DataFrame(rows, schema=PIPELINE_COLUMNS, orient="row")


# --------------------------------------------------------------------------------------------
# Health score and benchmarks (Health)
# --------------------------------------------------------------------------------------------

HEALTH_COMPONENTS = (
    ("growth", "Growth"),
    ("profitability", "Profitability"),
    ("liquidity", "Cash and receivables"),
    ("efficiency", "Efficiency"),
    ("customers", "Customer health"),
)
SCORE_COLUMNS = (
    "metric_month",
    "health_score",
    "health_score_change",
    "confidence",
    "confidence_label",
    "weight_coverage",
    "min_peer_count",
    "peer_groups",
    "score_drivers",
    "change_drivers",
    *(f"{name}_score" for name, _ in HEALTH_COMPONENTS),
)
BENCHMARK_COLUMNS = (
    "metric_month",
    "metric",
    "metric_label",
    "unit",
    "group_level",
    "peer_group",
    "peer_count",
    "metric_value",
    "p10",
    "p25",
    "p50",
    "p75",
    "p90",
    "percentile_better",
)
#: Read when the table has them (benchmarks built by an older Keel lack them); missing ones read as null.
OPTIONAL_BENCHMARK_COLUMNS = ("comparison_label", "is_fallback")


def _monthly(
    tenant_id: uuid.UUID, relation: str, columns: tuple[str, ...], optional: tuple[str, ...] = ()
) -> pl.DataFrame:
    schema, table = relation.split(".")
    if optional:
        with connect("keel_app", tenant_id=tenant_id) as conn:
            present = {
                r[0]
                for r in conn.execute(
                    "select column_name from information_schema.columns where table_schema = %s "
                    "and table_name = %s",
                    (schema, table),
                ).fetchall()
            }
        found = tuple(c for c in optional if c in present)
        frame = _monthly(tenant_id, relation, (*columns, *found))
        return frame.with_columns(pl.lit(None).alias(c) for c in optional if c not in found)
    query = sql.SQL(
        "select {columns} from {table} where tenant_id = (select app.current_tenant_id()) "
        "order by metric_month"
    ).format(
        columns=sql.SQL(", ").join(sql.Identifier(c) for c in columns), table=sql.Identifier(schema, table)
    )
    with connect("keel_app", tenant_id=tenant_id) as conn:
        if not _exists(conn, relation):
            return pl.DataFrame(schema=list(columns))
        try:
            rows = conn.execute(query).fetchall()
        except psycopg.errors.UndefinedColumn as exc:
            # the owner reads the error's words: the table and column go to the log for the data team
            log.error("%s lacks a column the console reads: %s", relation, str(exc).splitlines()[0])
            raise KeelError(
                "these monthly figures were built by an older version of Keel",
                "ask whoever runs Keel to rebuild your numbers",
            ) from exc
    return pl.DataFrame(rows, schema=list(columns), orient="row", infer_schema_length=None)


def health_scores(tenant_id: uuid.UUID) -> pl.DataFrame:
    """The tenant's monthly health score with its components and drivers (``metrics.health_score``)."""
    return _monthly(tenant_id, "metrics.health_score", SCORE_COLUMNS)


def benchmarks(tenant_id: uuid.UUID) -> pl.DataFrame:
    """The tenant's monthly metrics against its peer group's percentiles (benchmarks.tenant_benchmarks)."""
    return _monthly(tenant_id, "benchmarks.tenant_benchmarks", BENCHMARK_COLUMNS, OPTIONAL_BENCHMARK_COLUMNS)


# --------------------------------------------------------------------------------------------
# Forecasts (Forecasts, `keel forecast`)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredForecast:
    """One series' chosen forecast as stored, with its history and cross-validated scores."""

    tenant_id: uuid.UUID
    metric: str
    history: pl.DataFrame
    """``ds, y``: the metric's daily values, oldest first."""
    forecast: pl.DataFrame
    """``ds, model, point, lo_80, hi_80, lo_95, hi_95`` of the chosen model, by day."""
    chosen_model: str
    mase: float | None
    coverage_80: float | None
    coverage_95: float | None
    fallback_reason: str | None
    run_id: str


def forecast_metrics(tenant_id: uuid.UUID) -> list[str]:
    """Metrics with a stored forecast for the tenant, sorted; empty when nothing is stored yet."""
    with connect("keel_app", tenant_id=tenant_id) as conn:
        rows = conn.execute(
            "select distinct metric from ml.forecasts where tenant_id = (select app.current_tenant_id()) "
            "order by metric"
        ).fetchall()
    return [r[0] for r in rows]


def load_forecast(tenant_id: uuid.UUID, metric: str, *, with_history: bool = True) -> StoredForecast:
    """The tenant's stored forecast of ``metric`` with its history; raises :class:`ForecastsNotStored`.

    ``with_history=False`` leaves the history empty (the API serves the forecast alone).
    """
    with connect("keel_app", tenant_id=tenant_id) as conn:
        rows = conn.execute(
            sql.SQL("select {}, run_id from ml.forecasts ").format(
                sql.SQL(", ").join(map(sql.Identifier, STORED_FORECAST_COLUMNS))
            )
            + sql.SQL(
                "where tenant_id = (select app.current_tenant_id()) and metric = %s and is_chosen order by ds"
            ),
            (metric,),
        ).fetchall()
        if not rows:
            stored = forecast_metrics(tenant_id)
            hint = f"stored metrics: {', '.join(stored)}" if stored else RUN_THE_DEMO
            raise ForecastsNotStored(f"no forecast of {metric!r} is stored for this tenant", hint)
        scores = conn.execute(
            "select chosen_model, mase, coverage_80, coverage_95, fallback_reason from ml.forecast_accuracy "
            "where tenant_id = (select app.current_tenant_id()) and metric = %s and is_chosen "
            "order by created_at desc limit 1",
            (metric,),
        ).fetchone()
        history_rows = (
            conn.execute(
                sql.SQL(
                    "select metric_date, {}::double precision from metrics.business_metrics_daily "
                    "where tenant_id = (select app.current_tenant_id()) order by metric_date"
                ).format(sql.Identifier(metric))
            ).fetchall()
            if with_history
            else []
        )
    forecast = pl.DataFrame(
        [r[: len(STORED_FORECAST_COLUMNS)] for r in rows],
        schema=STORED_FORECAST_SCHEMA,
        orient="row",
    )
    history = pl.DataFrame(history_rows, schema={"ds": pl.Date, "y": pl.Float64}, orient="row")
    chosen, mase, cover_80, cover_95, reason = scores or (forecast["model"][0], None, None, None, None)
    return StoredForecast(
        tenant_id=tenant_id,
        metric=metric,
        history=history.drop_nulls("y"),
        forecast=forecast,
        chosen_model=str(chosen or forecast["model"][0]),
        mase=_finite(mase),
        coverage_80=_finite(cover_80),
        coverage_95=_finite(cover_95),
        fallback_reason=reason,
        run_id=str(rows[0][len(STORED_FORECAST_COLUMNS)]),
    )


def _finite(value: float | None) -> float | None:
    """A score as shown: NaN (a fallback series has no cross-validated score) becomes None."""
    return value if value is not None and math.isfinite(value) else None


#: Days of history the chart shows before the forecast.
HISTORY_DAYS = 120


def forecast_figure(stored: StoredForecast, history_days: int | None = HISTORY_DAYS) -> Any:
    """The ``plot_forecast`` chart of a stored forecast (a matplotlib Figure)."""
    from models_ml.forecasting import plot_forecast

    return plot_forecast(
        stored.history,
        stored.forecast,
        title=f"{stored.metric}: {stored.chosen_model} forecast with 80% and 95% intervals",
        history_days=history_days,
        ylabel=stored.metric,
    )


# --------------------------------------------------------------------------------------------
# Evidence (Evidence)
# --------------------------------------------------------------------------------------------

EVIDENCE_COLUMNS = (
    "cause",
    "effect",
    "method",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "grade",
    "reason",
    "explanation",
    "assumptions",
    "is_primary",
    "is_intervention",
    "run_id",
    "naive_estimate",
)


@dataclass(frozen=True)
class StoredEvidence:
    edges: pl.DataFrame
    run_id: str
    #: Owner-facing names of the causes and effects (products by name), from ``ml.evidence_nodes``; the
    #: stored sentences already use them (the asset writes them so).
    labels: dict[str, str] = field(default_factory=dict)


def load_evidence(tenant_id: uuid.UUID) -> StoredEvidence | None:
    """The tenant's evidence edges, or ``None`` when none are stored."""
    with connect("keel_app", tenant_id=tenant_id) as conn:
        rows = conn.execute(
            "select cause, effect, method, estimate, ci_low, ci_high, p_value, grade, reason, "
            "explanation, assumptions, is_primary, intervention_id is not null, run_id, "
            "(settings -> 'naive_before_after' ->> 'estimate')::double precision "
            "from ml.evidence_edges "
            "where tenant_id = (select app.current_tenant_id()) order by cause, effect, method"
        ).fetchall()
        labels: dict[str, str] = dict(
            conn.execute(
                "select node, label from ml.evidence_nodes where tenant_id = (select app.current_tenant_id())"
            ).fetchall()
        )
    if not rows:
        return None
    edges = pl.DataFrame(rows, schema=list(EVIDENCE_COLUMNS), orient="row", infer_schema_length=None)
    return StoredEvidence(edges, str(edges["run_id"][0]), labels)


# --------------------------------------------------------------------------------------------
# Plans (Plans)
# --------------------------------------------------------------------------------------------

SOLVED_STATUSES = frozenset({"optimal", "feasible"})


@dataclass(frozen=True)
class StoredPlan:
    """One row of ``ml.plans`` for the tenant."""

    plan_type: str
    status: str
    explanation: str
    currency: str
    run_id: str
    created_at: dt.datetime
    row: dict[str, Any]

    @property
    def solved(self) -> bool:
        return self.status in SOLVED_STATUSES


def load_plans(tenant_id: uuid.UUID) -> list[StoredPlan]:
    """The tenant's stored plans, by plan type, as rows (reading them needs no optimization library)."""
    with connect("keel_app", tenant_id=tenant_id) as conn, conn.cursor() as cur:
        cur.execute(
            "select * from ml.plans where tenant_id = (select app.current_tenant_id()) order by plan_type"
        )
        columns = [d.name for d in cur.description or ()]
        records = [dict(zip(columns, record, strict=True)) for record in cur.fetchall()]
    return [
        StoredPlan(
            plan_type=r["plan_type"],
            status=r["status"],
            explanation=r["explanation"],
            currency=r["currency"],
            run_id=r["run_id"],
            created_at=r["created_at"],
            row=r,
        )
        for r in records
    ]


# --------------------------------------------------------------------------------------------
# The tenant's sources, their loads and its users (Your data)
# --------------------------------------------------------------------------------------------


def data_sources(tenant_id: uuid.UUID) -> list[DataSource]:
    """The tenant's connected services, with masked credential hints only."""
    return list_data_sources(tenant_id)


def source_statuses(tenant_id: uuid.UUID) -> list[ResourceStatus]:
    """The latest load of each resource of each of the tenant's sources (``app.source_loads``)."""
    # Imported here: the loader brings dlt (seconds of imports) that no other page needs.

    return latest_loads(tenant_id)


def users(tenant_id: uuid.UUID) -> list[TenantUser]:
    return list_users(tenant_id)


def data_quality(tenant_id: uuid.UUID) -> list[str]:
    """What the latest data-quality checks found, in the owner's words (none before the first check)."""
    from ingestion.quality.words import owner_summary

    try:
        return owner_summary(str(tenant_id))
    except psycopg.errors.UndefinedTable:  # a warehouse older than the checks (migration 0016)
        return []


def has_loaded_data(tenant_id: uuid.UUID) -> bool:
    """Whether any data of the tenant came in: a demo business, or a load that brought rows."""
    with connect("keel_app", tenant_id=tenant_id) as conn:
        row = conn.execute(
            "select exists (select 1 from app.tenants where tenant_id = (select app.current_tenant_id()) "
            "and is_demo) or exists (select 1 from app.source_loads "
            "where tenant_id = (select app.current_tenant_id()) and rows > 0)"
        ).fetchone()
    return bool(row and row[0])


# Coach (Coach)
# --------------------------------------------------------------------------------------------


def coach_answer(
    tenant_id: uuid.UUID,
    question: str,
    history: Sequence[tuple[str, Answer]] = (),
    *,
    user_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
) -> Answer:
    """The coach's answer for the tenant (its tools read as the tenant's ``keel_app`` login), kept in the
    signed-in user's latest conversation (``session_id``: the console sign-in, not a coach session)."""
    from coach import ask, memory
    from coach.core import CoachContext

    profile = tenant_profile(tenant_id)
    ctx = CoachContext(tenant_id=tenant_id, user_id=user_id, currency=profile.currency)
    ctx = memory.continue_session(ctx, channel="console")
    return ask(question, ctx, history=history)
