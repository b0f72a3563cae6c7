"""``ml.plans``: every tenant's inventory, staffing, pricing and marketing-budget plans, solved and explained.

Partitioned by tenant: one step reads, for the partition's tenant, its stored forecasts (``ml.forecasts``),
the dbt feature views over its marts (``ml_features``: products, daily net sales, stock, shift hours, hourly
orders, marketing spend), its daily metrics and, where the evidence engine has run, its price elasticities
(``ml.evidence_edges``) (:mod:`orchestration.defs.ml.reads`).
:func:`models_ml.optimization.tenant_plans.plan_tenant` builds the four problems and solves them.

The tenant gets one row per plan type: the plan (status optimal, feasible, infeasible or
no_solution), or ``not_applicable`` with the reason when the tenant lacks the data (a SaaS company has no
stock), or ``error`` with the error when building or solving failed (the run still stores them). The
row keeps the problem the plan was made from, so the asset check re-checks the stored
decisions against it and the console's what-if control re-solves it with one bound moved. The tenant's
rows are replaced in one transaction, stamped with the Dagster run id.
"""

import time
from collections.abc import Iterator
from typing import Any

import dagster as dg
from pydantic import Field

from models_ml.optimization import SolverSettings
from models_ml.optimization.tenant_plans import PLAN_TYPES, kind_row, plan_tenant, unplanned_row
from models_ml.optimization.tenant_problems import PlanningOptions, PlanNotApplicable
from orchestration.defs.automation import DAILY_ON_NEW_INPUTS
from orchestration.defs.ml.checks import SOLVED_STATUSES, constraints_result, statuses_result
from orchestration.defs.ml.keys import (
    BUSINESS_METRICS_DAILY,
    ML_EVIDENCE_EDGES,
    ML_FORECASTS,
    ML_PLANS,
    PLAN_FEATURES,
)
from orchestration.defs.ml.reads import read_back_plans, read_business_kind, read_tenant_data
from orchestration.defs.ml.tables import partition_tenant, replace_tenant_plans
from orchestration.defs.tenants.partitions import TENANT_MODELS_POOL, TENANT_PARTITIONS
from orchestration.defs.warehouse.resources import WarehouseResource


class PlansAssetConfig(dg.Config):
    """The assumptions that turn the partition's tenant's history into plan inputs."""

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
# The asset
# --------------------------------------------------------------------------------------------


@dg.asset(
    key=ML_PLANS,
    deps=[ML_FORECASTS, ML_EVIDENCE_EDGES, BUSINESS_METRICS_DAILY, *PLAN_FEATURES],
    group_name="ml",
    kinds={"ortools", "postgres"},
    automation_condition=DAILY_ON_NEW_INPUTS,
    partitions_def=TENANT_PARTITIONS,
    pool=TENANT_MODELS_POOL,
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
    """Plan for the partition's tenant and replace its stored plans."""
    options = config.options()
    settings = config.solver_settings()
    run_id = context.run.run_id
    rows: list[dict[str, Any]] = []
    seconds: dict[str, float] = {}
    failures: dict[str, str] = {}
    with warehouse.connect() as conn:
        tenant_ids = [partition_tenant(conn, context)]
        conn.commit()
        for tenant_id in tenant_ids:
            started = time.perf_counter()
            kind = read_business_kind(conn, tenant_id)
            try:
                data = read_tenant_data(conn, tenant_id, options)
                conn.commit()  # no snapshot held on the marts while solving
                tenant_rows = plan_tenant(data, options, settings, run_id, kind)
            except Exception as exc:  # one tenant's failure never stops the others
                conn.rollback()
                if not isinstance(exc, PlanNotApplicable):
                    context.log.exception(f"planning for tenant {tenant_id} failed")
                failures[str(tenant_id)] = f"{type(exc).__name__}: {exc}"
                tenant_rows = [
                    (None if kind is None else kind_row(str(tenant_id), plan_type, kind, run_id))
                    or unplanned_row(
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
