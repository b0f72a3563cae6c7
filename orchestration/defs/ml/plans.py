"""``ml.plans``: every tenant's inventory, staffing, pricing and marketing-budget plans, solved and explained.

One step reads, for each selected tenant, its stored forecasts (``ml.forecasts``), its marts (products,
inventory, order lines, orders, shifts, marketing spend), its daily metrics and, where the evidence engine
has run, its price elasticities (``ml.evidence_edges``). :mod:`models_ml.optimization.tenant_problems`
turns them into the four problems, and the planners of :mod:`models_ml.optimization` solve them.

Every selected tenant gets one row per plan type: the plan (status optimal, feasible, infeasible or
no_solution), or ``not_applicable`` with the reason when the tenant lacks the data (a SaaS company has no
stock), or ``error`` with the error when building or solving failed. One tenant's failure never stops
the others. The row keeps the problem the plan was made from, so the asset check re-checks the stored
decisions against it and the console's what-if control re-solves it with one bound moved. The tenants'
rows are replaced in one transaction, stamped with the Dagster run id.
"""

import datetime as dt
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg
import polars as pl
import psycopg
from psycopg.types.json import Jsonb
from pydantic import Field

from models_ml.optimization import (
    Plan,
    SolverSettings,
    check_plan_constraints,
    plan_budget,
    plan_inventory,
    plan_pricing,
    plan_staffing,
)
from models_ml.optimization.serialization import (
    PLAN_TABLE_COLUMNS as PLAN_COLUMNS,
)
from models_ml.optimization.serialization import (
    plan_from_row,
    problem_from_dict,
    problem_to_dict,
)
from models_ml.optimization.tenant_problems import (
    PlanningOptions,
    PlanNotApplicable,
    TenantData,
    build_budget_problem,
    build_inventory_problem,
    build_pricing_problem,
    build_staffing_problem,
)
from orchestration.defs.ml.forecasts import ML_FORECASTS
from orchestration.defs.ml.tables import resolve_tenants, table_exists
from orchestration.defs.warehouse.resources import WarehouseResource

ML_PLANS = dg.AssetKey("ml_plans")
ML_EVIDENCE_EDGES = dg.AssetKey("ml_evidence_edges")
PLANS_TABLE = "ml.plans"
PLAN_TYPES: tuple[str, ...] = ("inventory", "staffing", "pricing", "budget")
SOLVED_STATUSES = frozenset({"optimal", "feasible"})
#: Every status a row may carry: the planners' four, and the two the asset adds.
KNOWN_STATUSES = frozenset({"optimal", "feasible", "infeasible", "no_solution", "not_applicable", "error"})


PLANNERS: dict[str, tuple[Callable[[TenantData, PlanningOptions], Any], Callable[..., Plan]]] = {
    "inventory": (build_inventory_problem, plan_inventory),
    "staffing": (build_staffing_problem, plan_staffing),
    "pricing": (build_pricing_problem, plan_pricing),
    "budget": (build_budget_problem, plan_budget),
}


class PlansAssetConfig(dg.Config):
    """Which tenants to plan for, and the assumptions that turn their history into plan inputs."""

    tenants: list[str] = Field(
        default_factory=list,
        description="Tenant slugs or ids to plan for (empty: every tenant with forecasts). Only their rows "
        "in ml.plans are replaced.",
    )
    horizon_weeks: int = Field(default=4, ge=1, description="Weeks the inventory and pricing plans cover.")
    lead_time_weeks: int = Field(default=1, ge=0, description="Weeks from placing an order to its delivery.")
    purchasing_budget_ratio: float = Field(
        default=1.0,
        ge=0,
        description="Purchasing budget as a multiple of the cost of median forecast demand.",
    )
    service_level: float = Field(
        default=0.9, gt=0, lt=1, description="Share of each hour's customers that must find enough staff."
    )
    max_price_change: float = Field(default=0.10, ge=0, lt=1, description="Largest price change per plan.")
    margin_floor: float = Field(default=0.2, ge=0, lt=1, description="Minimum gross margin of a new price.")
    marketing_budget_multiple: float = Field(
        default=1.0, ge=0, description="Marketing budget as a multiple of the last 28 days' spend."
    )
    n_scenarios: int = Field(default=60, ge=1, description="Demand scenarios of the inventory model.")
    time_limit_seconds: float = Field(default=5.0, gt=0, description="Wall-clock limit of each solve.")

    def options(self) -> PlanningOptions:
        return PlanningOptions(
            horizon_weeks=self.horizon_weeks,
            lead_time_weeks=self.lead_time_weeks,
            purchasing_budget_ratio=self.purchasing_budget_ratio,
            service_level=self.service_level,
            max_price_change=self.max_price_change,
            margin_floor=self.margin_floor,
            marketing_budget_multiple=self.marketing_budget_multiple,
            n_scenarios=self.n_scenarios,
        )

    def solver_settings(self) -> SolverSettings:
        # Tighter valuation and diagnosis limits than the library's defaults: 14 demo tenants must add
        # well under a minute to `keel demo` (docs/benchmarks.md).
        return SolverSettings(
            time_limit_seconds=self.time_limit_seconds,
            max_valuation_seconds=1.5,
            max_diagnosis_solves=40,
            max_diagnosis_seconds=2.0,
            mip_polish_seconds=1.0,
        )


# --------------------------------------------------------------------------------------------
# Reading a tenant's inputs
# --------------------------------------------------------------------------------------------


def _frame(
    conn: psycopg.Connection[Any], table: str, query: str, params: dict[str, Any], schema: dict[str, Any]
) -> pl.DataFrame:
    """Rows of ``query`` (empty with the schema when ``table`` does not exist yet)."""
    if not table_exists(conn, table):
        return pl.DataFrame(schema=schema)
    rows = conn.execute(query, params).fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row")


def planned_tenants(conn: psycopg.Connection[Any], tenants: list[str]) -> list[uuid.UUID]:
    """The configured tenants, or every tenant with stored forecasts."""
    if tenants:
        return resolve_tenants(conn, tenants)
    if not table_exists(conn, "ml.forecasts"):
        return []
    rows = conn.execute("select distinct tenant_id from ml.forecasts order by 1").fetchall()
    return [uuid.UUID(str(r[0])) for r in rows]


def read_tenant_data(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID, options: PlanningOptions
) -> TenantData:
    """Everything the four problems of one tenant are built from (see :class:`TenantData`)."""
    row = conn.execute(
        "select currency, timezone, slug from app.tenants where tenant_id = %s", (tenant_id,)
    ).fetchone()
    if row is None:
        raise PlanNotApplicable(f"tenant {tenant_id} is not in app.tenants")
    currency, timezone, slug = row
    forecasts = _frame(
        conn,
        "ml.forecasts",
        "select metric, ds, point, lo_80, hi_80, lo_95, hi_95 from ml.forecasts "
        "where tenant_id = %(t)s and is_chosen order by metric, ds",
        {"t": tenant_id},
        {
            "metric": pl.String,
            "ds": pl.Date,
            **{c: pl.Float64 for c in ("point", "lo_80", "hi_80", "lo_95", "hi_95")},
        },
    )
    if forecasts.height:
        start = forecasts["ds"].min()
    else:
        last = conn.execute(
            "select max(metric_date) from metrics.business_metrics_daily where tenant_id = %s", (tenant_id,)
        ).fetchone()
        start = (last[0] + dt.timedelta(days=1)) if last and last[0] else dt.date.today()
    assert isinstance(start, dt.date)
    params: dict[str, Any] = {
        "t": tenant_id,
        "tz": timezone or "UTC",
        "start": start,
        "mix_from": start - dt.timedelta(days=options.mix_days),
        "stock_from": start - dt.timedelta(days=84),
        "shift_from": start - dt.timedelta(days=28),
        "year_from": start - dt.timedelta(days=364),
    }
    window = conn.execute(
        "select coalesce(sum(orders), 0)::float8 from metrics.business_metrics_daily "
        "where tenant_id = %(t)s and metric_date >= %(mix_from)s and metric_date < %(start)s",
        params,
    ).fetchone()
    elasticities = None
    if table_exists(conn, "ml.evidence_edges"):
        elasticities = _frame(
            conn,
            "ml.evidence_edges",
            "select left(cause, length(cause) - 6), estimate, ci_low, ci_high, grade from ml.evidence_edges "
            "where tenant_id = %(t)s and is_primary and cause like '%%.price' "
            "and effect = left(cause, length(cause) - 6) || '.units'",
            params,
            {
                "product_id": pl.String,
                "estimate": pl.Float64,
                "ci_low": pl.Float64,
                "ci_high": pl.Float64,
                "grade": pl.String,
            },
        )
    return TenantData(
        tenant_id=str(tenant_id),
        currency=currency or "USD",
        forecasts=forecasts,
        products=_frame(
            conn,
            "marts.products",
            "select distinct on (product_id) product_id, product_name, product_kind, current_price::float8, "
            "unit_cost::float8, coalesce(is_inventory_tracked, false) from marts.products "
            "where tenant_id = %(t)s order by product_id, source_system",
            params,
            {
                "product_id": pl.String,
                "product_name": pl.String,
                "product_kind": pl.String,
                "current_price": pl.Float64,
                "unit_cost": pl.Float64,
                "is_inventory_tracked": pl.Boolean,
            },
        ),
        product_sales=_frame(
            conn,
            "marts.order_lines",
            "select product_id, sum(quantity)::float8, sum(net_sales)::float8 from marts.order_lines "
            "where tenant_id = %(t)s and order_date >= %(mix_from)s and order_date < %(start)s group by 1",
            params,
            {"product_id": pl.String, "units": pl.Float64, "net_sales": pl.Float64},
        ),
        window_orders=float(window[0]) if window else 0.0,
        stock=_frame(
            conn,
            "marts.inventory",
            "select product_id, stock_date, sum(available_quantity)::float8 from marts.inventory "
            "where tenant_id = %(t)s and is_tracked and product_id is not null "
            "and stock_date >= %(stock_from)s and stock_date < %(start)s group by 1, 2",
            params,
            {"product_id": pl.String, "stock_date": pl.Date, "on_hand": pl.Float64},
        ),
        shifts=_frame(
            conn,
            "marts.shifts",
            "select employee_id::text, employee_name, role, wage_rate::float8, shift_date, "
            "extract(epoch from (clocked_in_at at time zone %(tz)s) - shift_date::timestamp)::float8 / 3600, "
            "extract(epoch from (clocked_out_at at time zone %(tz)s) - shift_date::timestamp)::float8 / 3600 "
            "from marts.shifts where tenant_id = %(t)s and clocked_out_at is not null "
            "and shift_date >= %(shift_from)s and shift_date < %(start)s",
            params,
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
        hourly_orders=_frame(
            conn,
            "marts.orders",
            "select order_date, extract(hour from ordered_at at time zone %(tz)s)::int, count(*)::float8 "
            "from marts.orders where tenant_id = %(t)s and ordered_at is not null "
            "and order_date >= %(mix_from)s and order_date < %(start)s group by 1, 2",
            params,
            {"order_date": pl.Date, "hour": pl.Int64, "orders": pl.Float64},
        ),
        marketing=_frame(
            conn,
            "marts.marketing_spend",
            "select spend_date, channel, spend::float8 from marts.marketing_spend where tenant_id = %(t)s "
            "and spend_date >= %(year_from)s and spend_date < %(start)s and spend is not null",
            params,
            {"spend_date": pl.Date, "channel": pl.String, "spend": pl.Float64},
        ),
        revenue=_frame(
            conn,
            "metrics.business_metrics_daily",
            "select metric_date, revenue_net::float8, gross_margin::float8 "
            "from metrics.business_metrics_daily where tenant_id = %(t)s "
            "and metric_date >= %(year_from)s and metric_date < %(start)s",
            params,
            {"metric_date": pl.Date, "revenue_net": pl.Float64, "gross_margin": pl.Float64},
        ),
        elasticities=elasticities,
        context={"tenant": str(slug)},
    )


# --------------------------------------------------------------------------------------------
# Planning one tenant
# --------------------------------------------------------------------------------------------


def plan_row(tenant_id: str, plan: Plan, problem: Any, run_id: str) -> dict[str, Any]:
    stored = plan.to_dict()
    return {
        "tenant_id": tenant_id,
        "plan_type": plan.plan_type,
        "horizon": plan.horizon,
        "period": plan.period,
        "status": plan.status,
        "decisions": stored["decisions"],
        "objective_name": plan.objective_name,
        "objective_sense": plan.objective_sense,
        "objective_value": stored["objective"]["value"],
        "current_policy_value": stored["current_policy_value"],
        "expected_impact": stored["expected_impact"],
        "currency": plan.currency,
        "binding_constraints": stored["binding_constraints"],
        "conflicting_constraints": stored["conflicting_constraints"],
        "explanation": plan.explanation,
        "notes": stored["notes"],
        "metrics": stored["metrics"],
        "inputs": stored["inputs"],
        "problem": problem_to_dict(problem),
        "solver": plan.solver,
        "solve_seconds": plan.solve_seconds,
        "total_seconds": plan.total_seconds,
        "optimality_gap": stored["optimality_gap"],
        "run_id": run_id,
    }


def unplanned_row(
    tenant_id: str, plan_type: str, status: str, reason: str, seconds: float, run_id: str, currency: str = "$"
) -> dict[str, Any]:
    """A ``not_applicable`` or ``error`` row: no decisions, the reason as the explanation."""
    return {
        "tenant_id": tenant_id,
        "plan_type": plan_type,
        "horizon": 0,
        "period": "",
        "status": status,
        "decisions": [],
        "objective_name": None,
        "objective_sense": None,
        "objective_value": None,
        "current_policy_value": None,
        "expected_impact": None,
        "currency": currency,
        "binding_constraints": [],
        "conflicting_constraints": [],
        "explanation": reason,
        "notes": [],
        "metrics": {},
        "inputs": {},
        "problem": None,
        "solver": None,
        "solve_seconds": None,
        "total_seconds": seconds,
        "optimality_gap": None,
        "run_id": run_id,
    }


def plan_tenant(
    data: TenantData, options: PlanningOptions, settings: SolverSettings, run_id: str
) -> list[dict[str, Any]]:
    """The four rows of one tenant; a plan that cannot be built or solved becomes a row that says why."""
    rows = []
    for plan_type, (build, solve) in PLANNERS.items():
        started = time.perf_counter()
        try:
            problem = build(data, options)
            plan = solve(problem, settings)
            rows.append(plan_row(data.tenant_id, plan, problem, run_id))
        except PlanNotApplicable as exc:
            reason = f"No {plan_type} plan: {exc}."
            rows.append(
                unplanned_row(
                    data.tenant_id,
                    plan_type,
                    "not_applicable",
                    reason,
                    time.perf_counter() - started,
                    run_id,
                    data.symbol,
                )
            )
        except Exception as exc:  # one plan's failure must not stop the tenant's others
            reason = f"The {plan_type} plan could not be made: {type(exc).__name__}: {exc}"
            row = unplanned_row(
                data.tenant_id, plan_type, "error", reason, time.perf_counter() - started, run_id, data.symbol
            )
            row["notes"] = traceback.format_exception_only(exc)
            rows.append(row)
    return rows


# --------------------------------------------------------------------------------------------
# Writing and reading back
# --------------------------------------------------------------------------------------------


_JSON_COLUMNS = frozenset(
    {"decisions", "binding_constraints", "conflicting_constraints", "notes", "metrics", "inputs", "problem"}
)


def replace_tenant_plans(
    conn: psycopg.Connection[Any], tenant_ids: list[str], rows: list[dict[str, Any]]
) -> None:
    """Delete the tenants' plans and insert the new ones in one transaction (readers never see a gap)."""
    placeholders = ", ".join(["%s"] * len(PLAN_COLUMNS))
    statement = f"insert into {PLANS_TABLE} ({', '.join(PLAN_COLUMNS)}) values ({placeholders})"
    values = [
        tuple(Jsonb(row[c]) if c in _JSON_COLUMNS and row[c] is not None else row[c] for c in PLAN_COLUMNS)
        for row in rows
    ]
    with conn.transaction():
        conn.execute(f"delete from {PLANS_TABLE} where tenant_id = any(%s::uuid[])", (tenant_ids,))
        with conn.cursor() as cur:
            cur.executemany(statement, values)


def read_back_plans(
    conn: psycopg.Connection[Any], tenant_ids: list[str], run_id: str
) -> list[dict[str, Any]]:
    """The run's stored rows, as dictionaries keyed by column."""
    with conn.cursor() as cur:
        cur.execute(
            f"select {', '.join(PLAN_COLUMNS)} from {PLANS_TABLE} "
            "where tenant_id = any(%s::uuid[]) and run_id = %s order by tenant_id, plan_type",
            (tenant_ids, run_id),
        )
        return [dict(zip(PLAN_COLUMNS, record, strict=True)) for record in cur.fetchall()]


def stored_plan(row: dict[str, Any]) -> Plan:
    """The :class:`Plan` a stored row holds (for a planner status; not for not_applicable/error rows)."""
    return plan_from_row(row)


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------


def constraints_result(stored: list[dict[str, Any]]) -> dg.AssetCheckResult:
    """Every stored plan satisfies its own problem's constraints (re-derived from the stored rows)."""
    problems: list[str] = []
    checked = 0
    for row in stored:
        if row["status"] in ("not_applicable", "error"):
            continue
        where = f"{row['tenant_id']} {row['plan_type']}"
        if row["problem"] is None:
            problems.append(f"{where}: no stored problem to check against")
            continue
        try:
            violations = check_plan_constraints(stored_plan(row), problem_from_dict(row["problem"]))
        except Exception as exc:  # a malformed row is a failed check, not a crash
            violations = [f"could not be checked: {type(exc).__name__}: {exc}"]
        checked += 1
        problems.extend(f"{where}: {v}" for v in violations[:5])
    return dg.AssetCheckResult(
        asset_key=ML_PLANS,
        check_name="plans_satisfy_their_constraints",
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"plans_checked": checked, "violations": dg.MetadataValue.json(problems[:50])},
        description="; ".join(problems[:5]) or None,
    )


def statuses_result(stored: list[dict[str, Any]], expected_rows: int) -> dg.AssetCheckResult:
    """Statuses are known; solved plans carry decisions; the others carry none and say why."""
    problems: list[str] = []
    for row in stored:
        where = f"{row['tenant_id']} {row['plan_type']}"
        status = row["status"]
        if status not in KNOWN_STATUSES:
            problems.append(f"{where}: unknown status {status!r}")
        elif status in SOLVED_STATUSES and not row["decisions"]:
            problems.append(f"{where}: a {status} plan without decisions")
        elif status not in SOLVED_STATUSES and row["decisions"]:
            problems.append(f"{where}: a {status} plan with decisions")
        if status in ("not_applicable", "error", "infeasible") and not str(row["explanation"]).strip():
            problems.append(f"{where}: {status} without a reason")
    if len(stored) != expected_rows:
        problems.append(f"{len(stored)} rows stored where the run produced {expected_rows}")
    counts: dict[str, int] = {}
    for row in stored:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return dg.AssetCheckResult(
        asset_key=ML_PLANS,
        check_name="plan_statuses_known",
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "statuses": dg.MetadataValue.json(counts),
            "problems": dg.MetadataValue.json(problems[:50]),
        },
        description="; ".join(problems[:5]) or None,
    )


# --------------------------------------------------------------------------------------------
# The asset
# --------------------------------------------------------------------------------------------


@dg.asset(
    key=ML_PLANS,
    deps=[ML_FORECASTS, ML_EVIDENCE_EDGES],
    group_name="ml",
    kinds={"ortools", "postgres"},
    description="ml.plans: per tenant and plan type (inventory, staffing, pricing, budget) the optimal "
    "decisions, objective, expected impact in money against the current policy, binding constraints with "
    "their worth, explanation, solver status and seconds, the problem it solved, and the Dagster run id; "
    "not_applicable rows say which data a tenant lacks.",
    check_specs=[
        dg.AssetCheckSpec(
            "plans_satisfy_their_constraints",
            asset=ML_PLANS,
            description="Each stored plan's decisions satisfy every constraint of its stored problem "
            "(check_plan_constraints, re-derived from the rows, not the solver).",
        ),
        dg.AssetCheckSpec(
            "plan_statuses_known",
            asset=ML_PLANS,
            description="Every row's status is known; solved plans carry decisions, the others a reason.",
        ),
    ],
)
def ml_plans(
    context: dg.AssetExecutionContext, config: PlansAssetConfig, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Plan for every selected tenant and replace their stored plans."""
    options = config.options()
    settings = config.solver_settings()
    run_id = context.run.run_id
    rows: list[dict[str, Any]] = []
    seconds: dict[str, float] = {}
    failures: dict[str, str] = {}
    with warehouse.connect() as conn:
        tenant_ids = planned_tenants(conn, config.tenants)
        if not tenant_ids:
            raise dg.Failure(
                "no tenant to plan for: ml.forecasts holds no forecasts (materialize ml_forecasts first, or "
                "set config.tenants)"
            )
        conn.commit()
        for tenant_id in tenant_ids:
            started = time.perf_counter()
            try:
                data = read_tenant_data(conn, tenant_id, options)
                conn.commit()  # no snapshot held on the marts while solving
                tenant_rows = plan_tenant(data, options, settings, run_id)
            except Exception as exc:  # one tenant's failure never stops the others
                conn.rollback()
                if not isinstance(exc, PlanNotApplicable):
                    context.log.exception(f"planning for tenant {tenant_id} failed")
                failures[str(tenant_id)] = f"{type(exc).__name__}: {exc}"
                tenant_rows = [
                    unplanned_row(
                        str(tenant_id),
                        plan_type,
                        "not_applicable" if isinstance(exc, PlanNotApplicable) else "error",
                        f"No {plan_type} plan: {exc}",
                        0.0,
                        run_id,
                    )
                    for plan_type in PLAN_TYPES
                ]
            seconds[str(tenant_id)] = round(time.perf_counter() - started, 2)
            rows.extend(tenant_rows)
            context.log.info(
                f"tenant {tenant_id}: "
                + ", ".join(
                    f"{r['plan_type']} {r['status']} ({r['total_seconds']:.1f} s)" for r in tenant_rows
                )
            )
        tenants = [str(t) for t in tenant_ids]
        replace_tenant_plans(conn, tenants, rows)
        stored = read_back_plans(conn, tenants, run_id)

    statuses: dict[str, dict[str, int]] = {}
    for row in rows:
        by_status = statuses.setdefault(row["plan_type"], {})
        by_status[row["status"]] = by_status.get(row["status"], 0) + 1
    not_applicable = [
        {"tenant_id": r["tenant_id"], "plan_type": r["plan_type"], "reason": r["explanation"]}
        for r in rows
        if r["status"] in ("not_applicable", "error")
    ]
    yield dg.MaterializeResult(
        asset_key=ML_PLANS,
        metadata={
            "rows": len(rows),
            "tenants": len(tenants),
            "statuses": dg.MetadataValue.json(statuses),
            "not_planned": dg.MetadataValue.json(not_applicable[:100]),
            "tenant_failures": dg.MetadataValue.json(failures),
            "seconds_per_tenant": dg.MetadataValue.json(seconds),
            "max_seconds_per_tenant": max(seconds.values(), default=0.0),
            "total_impact": float(
                sum(r["expected_impact"] or 0.0 for r in rows if r["status"] in SOLVED_STATUSES)
            ),
            "elasticities": "ml.evidence_edges where it exists, else the pricing prior",
        },
    )
    yield constraints_result(stored)
    yield statuses_result(stored, len(rows))
