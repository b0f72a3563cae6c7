"""What the ML assets read from the warehouse, through one reader (:func:`tables.read_frame`).

The SQL over the marts lives in dbt (``dbt_project/models/ml_features``); here are the selects of those
views for the tenants and windows a run needs, of the daily metrics, of what owners recorded
(``app.interventions``), and of earlier ML results (forecasts, elasticities). Each returns frames or rows
that :mod:`models_ml` turns into the libraries' inputs.
"""

import dataclasses
import datetime as dt
import uuid
from typing import Any

import polars as pl
import psycopg

from models_ml.evidence.inputs import EvidenceData
from models_ml.evidence.records import node_labels
from models_ml.optimization.inputs import plan_start, plan_windows
from models_ml.optimization.serialization import PLAN_TABLE_COLUMNS
from models_ml.optimization.tenant_problems import PlanningOptions, PlanNotApplicable, TenantData
from orchestration.defs.ml.tables import read_daily_metrics, read_frame, resolve_tenants

# --------------------------------------------------------------------------------------------
# Evidence (the SQL over the marts is dbt's: models/ml_features/evidence)
# --------------------------------------------------------------------------------------------

PRODUCT_SALES_SCHEMA: dict[str, Any] = {
    "tenant_id": pl.String,
    "product_id": pl.String,
    "sku": pl.String,
    "ds": pl.Date,
    "price": pl.Float64,
    "units": pl.Float64,
}
SUBSCRIPTION_SCHEMA: dict[str, Any] = {
    "tenant_id": pl.String,
    "plan": pl.String,
    "ds": pl.Date,
    "new_trials": pl.Float64,
    "new_paid_subscriptions": pl.Float64,
}


def read_product_sales(conn: psycopg.Connection[Any], tenant_ids: list[str]) -> pl.DataFrame:
    """Daily price (gross revenue per unit, before discounts) and units of every product sold."""
    relation = "ml_features.ml_product_daily_sales"
    query = (
        f"select tenant_id::text, product_id, sku, sales_date, unit_price, units from {relation} "
        "where tenant_id = any(%s::uuid[])"
    )
    return read_frame(conn, relation, query, (tenant_ids,), PRODUCT_SALES_SCHEMA)


def read_subscription_counts(conn: psycopg.Connection[Any], tenant_ids: list[str]) -> pl.DataFrame:
    """Per tenant, plan and start day: new trials and new subscriptions that went on to pay."""
    relation = "ml_features.ml_subscription_daily_starts"
    query = (
        f"select tenant_id::text, plan, start_date, new_trials, new_paid_subscriptions from {relation} "
        "where tenant_id = any(%s::uuid[])"
    )
    return read_frame(conn, relation, query, (tenant_ids,), SUBSCRIPTION_SCHEMA)


def read_node_labels(conn: psycopg.Connection[Any], tenant_ids: list[str]) -> dict[str, dict[str, str]]:
    """:func:`node_labels` for the tenants, with their products' names."""
    relation = "ml_features.ml_product_names"
    query = (
        f"select tenant_id::text, product_id, product_name from {relation} where tenant_id = any(%s::uuid[])"
    )
    schema = {"tenant_id": pl.String, "product_id": pl.String, "product_name": pl.String}
    names = read_frame(conn, relation, query, (tenant_ids,), schema)
    return node_labels(names.iter_rows())


def read_interventions(conn: psycopg.Connection[Any], tenant_ids: list[str]) -> list[dict[str, Any]]:
    """The tenants' rows of ``app.interventions``, in the order they started."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(
            "select intervention_id::text, tenant_id::text, kind, name, starts_on, ends_on, weekdays, "
            "target_metric, target_product, evaluate_days, notes from app.interventions "
            "where tenant_id = any(%s::uuid[]) order by tenant_id, starts_on, name",
            (tenant_ids,),
        )
        return list(cur.fetchall())


def peer_groups(conn: psycopg.Connection[Any], tenant_ids: list[str]) -> dict[str, list[str]]:
    """For each tenant, the other tenants of its industry that have daily metrics."""
    rows = conn.execute(
        "select t.tenant_id::text, p.tenant_id::text from app.tenants t "
        "join app.tenants p on p.industry = t.industry and p.tenant_id <> t.tenant_id "
        "and not p.is_benchmark_peer "
        "where t.tenant_id = any(%s::uuid[]) and t.industry is not null and exists "
        "(select 1 from metrics.business_metrics_daily m where m.tenant_id = p.tenant_id) order by 1, 2",
        (tenant_ids,),
    ).fetchall()
    groups: dict[str, list[str]] = {}
    for tenant, peer in rows:
        groups.setdefault(tenant, []).append(peer)
    return groups


def read_evidence_data(
    conn: psycopg.Connection[Any], tenants: list[str], metrics: list[str], use_peers: bool
) -> EvidenceData:
    """What an evidence run reads: the tenants named (slugs or ids; none: every tenant with daily metrics),
    their industry peers when ``use_peers``, the daily ``metrics`` of both, and the tenants' recorded
    interventions, product sales and subscription starts."""
    if tenants:
        tenant_ids = [str(t) for t in resolve_tenants(conn, tenants)]
    else:
        # benchmark peers (app.tenants.is_benchmark_peer) feed the benchmarks only
        rows = conn.execute(
            "select distinct tenant_id::text from metrics.business_metrics_daily "
            "where tenant_id not in (select tenant_id from app.tenants where is_benchmark_peer)"
        ).fetchall()
        tenant_ids = sorted(r[0] for r in rows)
    groups = peer_groups(conn, tenant_ids) if use_peers else {}
    peer_ids = sorted({p for peers in groups.values() for p in peers} - set(tenant_ids))
    return EvidenceData(
        tenant_ids=tenant_ids,
        peer_groups=groups,
        daily_metrics=read_daily_metrics(conn, metrics, tenant_ids + peer_ids),
        interventions=read_interventions(conn, tenant_ids),
        product_sales=read_product_sales(conn, tenant_ids),
        subscriptions=read_subscription_counts(conn, tenant_ids),
    )


def read_back_edges(
    conn: psycopg.Connection[Any], tenant_ids: list[str], run_id: str
) -> list[dict[str, Any]]:
    """The run's stored edges as dicts with the ``ml.evidence_edges`` columns."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(
            "select tenant_id::text, cause, effect, method, estimand, estimate, ci_low, ci_high, p_value, "
            "refutations::text as refutations, grade, assumptions, reason, explanation, "
            "settings::text as settings, is_primary, intervention_id::text "
            "from ml.evidence_edges where tenant_id = any(%s::uuid[]) and run_id = %s",
            (tenant_ids, run_id),
        )
        return list(cur.fetchall())


# --------------------------------------------------------------------------------------------
# Plans: one tenant's data (the SQL over the marts is dbt's: models/ml_features/plans)
# --------------------------------------------------------------------------------------------


def planned_tenants(conn: psycopg.Connection[Any], tenants: list[str]) -> list[uuid.UUID]:
    """The configured tenants, or every tenant with stored forecasts."""
    if tenants:
        return resolve_tenants(conn, tenants)
    rows = conn.execute("select distinct tenant_id from ml.forecasts order by 1").fetchall()
    return [uuid.UUID(str(r[0])) for r in rows]


_FLOATS = ("point", "lo_80", "hi_80", "lo_95", "hi_95")
#: Per input of TenantData: (relation, select list and filter on the tenant and its window, columns).
_PLAN_INPUTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "products": (
        "ml_features.ml_plan_products",
        "product_id, product_name, product_kind, current_price, unit_cost, is_inventory_tracked {from} "
        "where tenant_id = %(t)s order by product_id",
        {
            "product_id": pl.String,
            "product_name": pl.String,
            "product_kind": pl.String,
            "current_price": pl.Float64,
            "unit_cost": pl.Float64,
            "is_inventory_tracked": pl.Boolean,
        },
    ),
    "product_sales": (
        "ml_features.ml_product_daily_net_sales",
        "product_id, sum(units)::float8, sum(net_sales)::float8 {from} where tenant_id = %(t)s "
        "and sales_date >= %(mix_from)s and sales_date < %(start)s group by 1",
        {"product_id": pl.String, "units": pl.Float64, "net_sales": pl.Float64},
    ),
    "stock": (
        "ml_features.ml_stock_daily",
        "product_id, stock_date, on_hand {from} where tenant_id = %(t)s "
        "and stock_date >= %(stock_from)s and stock_date < %(start)s",
        {"product_id": pl.String, "stock_date": pl.Date, "on_hand": pl.Float64},
    ),
    "shifts": (
        "ml_features.ml_shift_hours",
        "employee_id, employee_name, role, wage_rate, shift_date, start_hour, end_hour {from} "
        "where tenant_id = %(t)s and shift_date >= %(shift_from)s and shift_date < %(start)s",
        {
            "employee_id": pl.String,
            "employee_name": pl.String,
            "role": pl.String,
            "wage_rate": pl.Float64,
            "shift_date": pl.Date,
            "start_hour": pl.Float64,
            "end_hour": pl.Float64,
        },
    ),
    "hourly_orders": (
        "ml_features.ml_hourly_orders",
        "order_date, order_hour, orders {from} where tenant_id = %(t)s "
        "and order_date >= %(mix_from)s and order_date < %(start)s",
        {"order_date": pl.Date, "hour": pl.Int64, "orders": pl.Float64},
    ),
    "marketing": (
        "ml_features.ml_marketing_spend_daily",
        "spend_date, channel, spend {from} where tenant_id = %(t)s "
        "and spend_date >= %(year_from)s and spend_date < %(start)s",
        {"spend_date": pl.Date, "channel": pl.String, "spend": pl.Float64},
    ),
    "revenue": (
        "metrics.business_metrics_daily",
        "metric_date, revenue_net::float8, gross_margin::float8 {from} where tenant_id = %(t)s "
        "and metric_date >= %(year_from)s and metric_date < %(start)s",
        {"metric_date": pl.Date, "revenue_net": pl.Float64, "gross_margin": pl.Float64},
    ),
    "elasticities": (
        "ml.evidence_edges",
        "left(cause, length(cause) - 6), estimate, ci_low, ci_high, grade {from} where tenant_id = %(t)s "
        "and is_primary and cause like '%%.price' and effect = left(cause, length(cause) - 6) || '.units'",
        {
            "product_id": pl.String,
            "estimate": pl.Float64,
            "ci_low": pl.Float64,
            "ci_high": pl.Float64,
            "grade": pl.String,
        },
    ),
}


def _plan_input(conn: psycopg.Connection[Any], name: str, params: dict[str, Any]) -> pl.DataFrame:
    relation, query, schema = _PLAN_INPUTS[name]
    return read_frame(
        conn, relation, "select " + query.format(**{"from": f"from {relation}"}), params, schema
    )


def read_business_kind(conn: psycopg.Connection[Any], tenant_id: uuid.UUID) -> str | None:
    """The tenant's kind of business (marts.business_profile.business_kind); None before dbt has built it."""
    exists = conn.execute(
        "select 1 from information_schema.columns where table_schema = 'marts' "
        "and table_name = 'business_profile' and column_name = 'business_kind'"
    ).fetchone()
    if exists is None:
        return None
    row = conn.execute(
        "select business_kind from marts.business_profile where tenant_id = %s", (tenant_id,)
    ).fetchone()
    return None if row is None else str(row[0])


def read_tenant_data(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID, options: PlanningOptions
) -> TenantData:
    """Everything the four problems of one tenant are built from (see :class:`TenantData`)."""
    row = conn.execute(
        "select currency, timezone, slug from app.tenants where tenant_id = %s", (tenant_id,)
    ).fetchone()
    if row is None:
        raise PlanNotApplicable(f"tenant {tenant_id} is not in app.tenants")
    currency, _timezone, slug = row
    forecasts = read_frame(
        conn,
        "ml.forecasts",
        "select metric, ds, point, lo_80, hi_80, lo_95, hi_95 from ml.forecasts "
        "where tenant_id = %(t)s and is_chosen order by metric, ds",
        {"t": tenant_id},
        {"metric": pl.String, "ds": pl.Date, **dict.fromkeys(_FLOATS, pl.Float64)},
    )
    last = conn.execute(
        "select max(metric_date) from metrics.business_metrics_daily where tenant_id = %s", (tenant_id,)
    ).fetchone()
    first_forecast = forecasts["ds"].min() if forecasts.height else None
    assert first_forecast is None or isinstance(first_forecast, dt.date)
    windows = plan_windows(plan_start(first_forecast, last[0] if last else None, dt.date.today()), options)
    params: dict[str, Any] = {"t": tenant_id, **dataclasses.asdict(windows)}
    window = conn.execute(
        "select coalesce(sum(orders), 0)::float8 from metrics.business_metrics_daily "
        "where tenant_id = %(t)s and metric_date >= %(mix_from)s and metric_date < %(start)s",
        params,
    ).fetchone()
    return TenantData(
        tenant_id=str(tenant_id),
        currency=currency or "USD",
        forecasts=forecasts,
        window_orders=float(window[0]) if window else 0.0,
        context={"tenant": str(slug)},
        **{name: _plan_input(conn, name, params) for name in _PLAN_INPUTS},
    )


def read_back_plans(
    conn: psycopg.Connection[Any], tenant_ids: list[str], run_id: str
) -> list[dict[str, Any]]:
    """The run's stored rows, as dictionaries keyed by column."""
    with conn.cursor() as cur:
        cur.execute(
            f"select {', '.join(PLAN_TABLE_COLUMNS)} from ml.plans "
            "where tenant_id = any(%s::uuid[]) and run_id = %s order by tenant_id, plan_type",
            (tenant_ids, run_id),
        )
        return [dict(zip(PLAN_TABLE_COLUMNS, record, strict=True)) for record in cur.fetchall()]
