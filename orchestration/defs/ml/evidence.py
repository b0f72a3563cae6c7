"""``ml.evidence_nodes`` and ``ml.evidence_edges``: what drove each tenant's metrics, and how sure Keel is.

One multi-asset step reads, for the selected tenants, the daily metrics (``metrics.business_metrics_daily``),
product sales (``marts.order_lines``), trial and paid-subscription counts (``marts.subscriptions``) and the
interventions owners recorded (``app.interventions``); builds one metric panel per tenant (product series
named ``<product_id>.units``); runs :func:`models_ml.evidence.run_evidence` per tenant, in worker processes
(``config.processes``); and replaces those tenants' rows in both tables in one transaction, stamped with the
Dagster run id. A tenant whose data the engine refuses is reported (metadata and the coverage check) while
the others are written. Besides intervention effects, each tenant gets price elasticities for its best
sellers, Granger and PC drivers between its metrics, and two root causes of last month's revenue change
(the exact orders x basket split, and DoWhy's gcm attribution over ``GCM_GRAPH``).

Interventions come only from ``app.interventions``, what owners recorded (the console as keel_app, the demo
loader as each demo owner). They are not derived from source data here: a Shopify price rule or a new unit
price in the order lines shows that something changed, but not what it was meant to move, over which days
it should be judged, or whether several traces are one action; proposing such candidates for the owner to
confirm is a later step.

Peers for synthetic control are the other tenants of the same industry (their daily metrics only; nothing of
theirs is stored under the tenant). An intervention whose metric or product Keel does not have gets an
"inconclusive" row saying so, never silence.

Asset checks, on what was stored: every edge satisfies :func:`models_ml.evidence.check_evidence` (intervals
ordered, grades allowed, inconclusive rows with a reason and no number), and every recorded intervention of
the tenants run has a primary row.
"""

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import dagster as dg
import polars as pl
import psycopg
from psycopg import sql
from pydantic import Field

from models_ml.evidence import EvidenceSettings, check_evidence
from models_ml.evidence.batch import TenantInputs, TenantOutcome, run_tenants
from models_ml.evidence.errors import EvidenceInputError
from models_ml.evidence.recorded import RecordedIntervention, product_series, unresolved_edge
from models_ml.evidence.records import (
    EDGE_SCHEMA,
    METRIC_LABELS,
    EvidenceGraph,
    node_labels,
    nodes_for_edges,
    relabel_edges,
)
from orchestration.defs.ml import tables
from orchestration.defs.ml.tables import numeric_metric_columns, resolve_tenants, table_exists
from orchestration.defs.warehouse.resources import WarehouseResource

BUSINESS_METRICS_DAILY = dg.AssetKey("business_metrics_daily")
ORDER_LINES = dg.AssetKey("order_lines")
SUBSCRIPTIONS = dg.AssetKey("subscriptions")
APP_INTERVENTIONS = dg.AssetKey("app_interventions")
ML_EVIDENCE_NODES = dg.AssetKey("ml_evidence_nodes")
ML_EVIDENCE_EDGES = dg.AssetKey("ml_evidence_edges")
NODES_TABLE = "ml.evidence_nodes"
EDGES_TABLE = "ml.evidence_edges"

#: Metrics of metrics.business_metrics_daily in every tenant's panel (drivers, root cause, targets).
DEFAULT_METRICS = [
    "revenue_net",
    "orders",
    "average_order_value",
    "new_customers",
    "marketing_spend_total",
    "labor_hours",
]
#: Causal graph of the gcm root-cause attribution (child -> candidate parents), where the metrics vary.
GCM_GRAPH: dict[str, tuple[str, ...]] = {
    "orders": ("marketing_spend_total", "labor_hours"),
    "revenue_net": ("orders", "average_order_value"),
}
#: Targets read from marts.subscriptions (counts by the subscription's start day, trial cohort).
SUBSCRIPTION_TARGETS = ("new_trials", "new_paid_subscriptions")
#: Product-level targets read from marts.order_lines.
PRODUCT_TARGETS = ("units",)

NODE_COLUMNS: tuple[str, ...] = ("tenant_id", "node", "kind", "label", "run_id")
EDGE_COLUMNS: tuple[str, ...] = (*EDGE_SCHEMA, "intervention_id", "run_id")


class EvidenceAssetConfig(dg.Config):
    """Which tenants the evidence step runs and how hard it works; the rest is ``EvidenceSettings``."""

    tenants: list[str] = Field(
        default_factory=list,
        description="Tenant slugs or ids (empty: every tenant with metrics). Only their rows in "
        "ml.evidence_nodes and ml.evidence_edges are replaced.",
    )
    metrics: list[str] = Field(
        default_factory=lambda: list(DEFAULT_METRICS),
        description="Columns of metrics.business_metrics_daily in each tenant's panel: drivers (Granger, "
        "PC), the root cause of the last month's revenue change, and targets of interventions.",
    )
    processes: int = Field(
        default=2, ge=1, description="Worker processes, one tenant each at a time (1: in this process)."
    )
    max_products: int = Field(
        default=12,
        ge=0,
        description="Price elasticities for this many best-selling products per tenant (plus every product "
        "an intervention names); 0 skips elasticities and the price-volume-mix split.",
    )
    use_peers: bool = Field(
        default=True,
        description="Synthetic control against the other tenants of the same industry (daily metrics only).",
    )
    refuter_simulations: int = Field(
        default=EvidenceSettings.refuter_simulations,
        ge=1,
        description="Re-estimates per DoWhy refuter (placebo treatment, random common cause, data subset).",
    )
    bootstrap_simulations: int = Field(
        default=EvidenceSettings.bootstrap_simulations,
        ge=1,
        description="Bootstrap resamples behind the propensity-score intervals.",
    )
    seed: int = Field(
        default=0, description="Seed of every random step (refuters, bootstraps, cross-fitting)."
    )

    def evidence_settings(self) -> EvidenceSettings:
        return EvidenceSettings(
            refuter_simulations=self.refuter_simulations,
            bootstrap_simulations=self.bootstrap_simulations,
            random_seed=self.seed,
        )


# --------------------------------------------------------------------------------------------
# Reading the inputs
# --------------------------------------------------------------------------------------------


def read_metric_panels(
    conn: psycopg.Connection[Any], metrics: list[str], tenant_ids: list[str]
) -> dict[str, pl.DataFrame]:
    """Per tenant, ``ds`` and the metrics as floats, one row per day."""
    allowed = numeric_metric_columns(conn)
    wrong = [m for m in metrics if m not in allowed]
    if wrong or not metrics:
        raise dg.Failure(
            f"config.metrics {wrong or metrics} are not numeric columns of metrics.business_metrics_daily: "
            f"choose from {sorted(allowed)}"
        )
    query = sql.SQL(
        "select tenant_id::text, metric_date, {values} from metrics.business_metrics_daily "
        "where tenant_id = any(%s::uuid[]) order by tenant_id, metric_date"
    ).format(
        values=sql.SQL(", ").join(sql.SQL("{}::double precision").format(sql.Identifier(m)) for m in metrics)
    )
    rows = conn.execute(query, (tenant_ids,)).fetchall()
    schema: dict[str, Any] = {"tenant_id": pl.String, "ds": pl.Date} | {m: pl.Float64 for m in metrics}
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    return {
        str(tenant): part.drop("tenant_id")
        for (tenant,), part in frame.partition_by("tenant_id", as_dict=True).items()
    }


def read_interventions(
    conn: psycopg.Connection[Any], tenant_ids: list[str]
) -> dict[str, list[tuple[str, RecordedIntervention]]]:
    """Per tenant, ``(intervention_id, recorded intervention)`` in the order they started."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(
            "select intervention_id::text, tenant_id::text, kind, name, starts_on, ends_on, weekdays, "
            "target_metric, target_product, evaluate_days, notes from app.interventions "
            "where tenant_id = any(%s::uuid[]) order by tenant_id, starts_on, name",
            (tenant_ids,),
        )
        rows = cur.fetchall()
    recorded: dict[str, list[tuple[str, RecordedIntervention]]] = {}
    for row in rows:
        recorded.setdefault(row["tenant_id"], []).append(
            (row["intervention_id"], RecordedIntervention.from_row(row))
        )
    return recorded


def read_node_labels(conn: psycopg.Connection[Any], tenant_ids: list[str]) -> dict[str, dict[str, str]]:
    """:func:`node_labels` for the tenants, with product names from ``marts.products`` when it exists."""
    if not table_exists(conn, "marts.products"):
        return {}
    rows = conn.execute(
        "select tenant_id::text, product_id, max(product_name) from marts.products "
        "where tenant_id = any(%s::uuid[]) group by tenant_id, product_id",
        (tenant_ids,),
    ).fetchall()
    return node_labels([(str(t), str(p), n) for t, p, n in rows])


def read_product_sales(conn: psycopg.Connection[Any], tenant_ids: list[str]) -> pl.DataFrame:
    """Daily price (gross revenue per unit, before discounts) and units of every product sold."""
    schema: dict[str, Any] = {
        "tenant_id": pl.String,
        "product_id": pl.String,
        "sku": pl.String,
        "ds": pl.Date,
        "price": pl.Float64,
        "units": pl.Float64,
    }
    if not table_exists(conn, "marts.order_lines"):
        return pl.DataFrame(schema=schema)
    rows = conn.execute(
        """
        select tenant_id::text, product_id, max(sku), order_date,
               (sum(gross_revenue) / sum(quantity))::double precision,
               sum(quantity)::double precision
        from marts.order_lines
        where tenant_id = any(%s::uuid[]) and quantity > 0 and product_id is not null
        group by tenant_id, product_id, order_date
        """,
        (tenant_ids,),
    ).fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row")


def read_subscription_counts(conn: psycopg.Connection[Any], tenant_ids: list[str]) -> pl.DataFrame:
    """Per tenant, plan and start day: new trials and new subscriptions that went on to pay."""
    schema: dict[str, Any] = {
        "tenant_id": pl.String,
        "plan": pl.String,
        "ds": pl.Date,
        "new_trials": pl.Float64,
        "new_paid_subscriptions": pl.Float64,
    }
    if not table_exists(conn, "marts.subscriptions"):
        return pl.DataFrame(schema=schema)
    rows = conn.execute(
        """
        select tenant_id::text, coalesce(plan_code, price_id, 'subscription'), start_date,
               (count(*) filter (where had_trial))::double precision,
               (count(*) filter (where is_converted))::double precision
        from marts.subscriptions
        where tenant_id = any(%s::uuid[]) and start_date is not null
        group by 1, 2, 3
        """,
        (tenant_ids,),
    ).fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row")


def peer_groups(conn: psycopg.Connection[Any], tenant_ids: list[str]) -> dict[str, list[str]]:
    """For each tenant, the other tenants of its industry that have daily metrics."""
    rows = conn.execute(
        """
        select t.tenant_id::text, p.tenant_id::text
        from app.tenants t
        join app.tenants p on p.industry = t.industry and p.tenant_id <> t.tenant_id
        where t.tenant_id = any(%s::uuid[]) and t.industry is not null
          and exists (select 1 from metrics.business_metrics_daily m where m.tenant_id = p.tenant_id)
        order by 1, 2
        """,
        (tenant_ids,),
    ).fetchall()
    groups: dict[str, list[str]] = {}
    for tenant, peer in rows:
        groups.setdefault(tenant, []).append(peer)
    return groups


# --------------------------------------------------------------------------------------------
# Building each tenant's inputs
# --------------------------------------------------------------------------------------------


def _daily_series(days: pl.DataFrame, frame: pl.DataFrame, value: str, name: str) -> pl.DataFrame:
    """``frame``'s ``value`` on every day of ``days`` (0 on days without a row), named ``name``."""
    return days.join(frame.select("ds", pl.col(value).alias(name)), on="ds", how="left").with_columns(
        pl.col(name).fill_null(0.0)
    )


def build_tenant_inputs(
    tenant_id: str,
    panel: pl.DataFrame,
    recorded: list[tuple[str, RecordedIntervention]],
    product_sales: pl.DataFrame,
    subscriptions: pl.DataFrame,
    peers: dict[str, pl.DataFrame],
    metrics: list[str],
    max_products: int,
) -> tuple[TenantInputs, list[Any]]:
    """The engine's inputs for one tenant, and the "inconclusive" edges of interventions it cannot set up.

    Each intervention's target becomes a panel column: a metric of the panel, a product's units
    (``<product_id>.units``, the product found by id or sku), or new trials / paid subscriptions (of one
    plan when ``target_product`` names it).
    """
    days = panel.select("ds")
    sales = product_sales.filter(pl.col("tenant_id") == tenant_id).drop("tenant_id")
    subs = subscriptions.filter(pl.col("tenant_id") == tenant_id).drop("tenant_id")
    interventions = []
    unresolved = []
    named_products: set[str] = set()
    for _intervention_id, item in recorded:
        metric, product = item.target_metric, item.target_product
        column: str | None = None
        reason = ""
        if product is None and metric in panel.columns:
            column = metric
        elif metric in PRODUCT_TARGETS and product is not None:
            match = sales.filter((pl.col("product_id") == product) | (pl.col("sku") == product))
            ids = match["product_id"].unique().to_list()
            if len(ids) == 1:
                column = product_series(ids[0], metric)
                named_products.add(ids[0])
                if column not in panel.columns:
                    panel = panel.join(
                        _daily_series(days, match, metric, column), on="ds", how="left"
                    ).with_columns(pl.col(column).fill_null(0.0))
            else:
                reason = (
                    f"no sales of product {product!r} in marts.order_lines"
                    if not ids
                    else f"{product!r} names {len(ids)} products ({', '.join(sorted(ids)[:5])}); record one"
                )
        elif metric in SUBSCRIPTION_TARGETS:
            chosen = subs if product is None else subs.filter(pl.col("plan") == product)
            if chosen.is_empty():
                reason = (
                    f"no subscriptions{f' on plan {product!r}' if product else ''} in marts.subscriptions"
                )
            else:
                column = product_series(product, metric) if product else metric
                counts = chosen.group_by("ds").agg(pl.col(metric).sum())
                if column not in panel.columns:
                    panel = panel.join(_daily_series(days, counts, metric, column), on="ds", how="left")
        else:
            known = sorted({*metrics, *SUBSCRIPTION_TARGETS, *PRODUCT_TARGETS})
            reason = (
                f"target_metric {metric!r} is not one Keel measures for it (one of {known}; "
                "units and price changes need target_product)"
            )
        if column is None:
            unresolved.append(unresolved_edge(tenant_id, item, reason))
        else:
            interventions.append(replace(item.to_intervention(), target_metric=column))

    products = None
    if max_products > 0 and not sales.is_empty():
        best = (
            sales.group_by("product_id")
            .agg((pl.col("price") * pl.col("units")).sum().alias("revenue"))
            .sort("revenue", descending=True)
            .head(max_products)["product_id"]
            .to_list()
        )
        keep = set(best) | named_products
        products = sales.filter(pl.col("product_id").is_in(list(keep))).select(
            "ds", "product_id", "price", "units"
        )
    driver_metrics = tuple(
        m for m in metrics if m in panel.columns and panel[m].drop_nulls().n_unique() >= 20
    )
    gcm_parents = {
        child: tuple(p for p in candidates if p in driver_metrics)
        for child, candidates in GCM_GRAPH.items()
        if child in driver_metrics
    }
    gcm_parents = {child: parents for child, parents in gcm_parents.items() if parents}
    inputs = TenantInputs(
        tenant_id=tenant_id,
        panel=panel,
        interventions=tuple(interventions),
        peers=peers,
        product_sales=products,
        driver_metrics=driver_metrics if len(driver_metrics) >= 2 else None,
        revenue_column="revenue_net",
        orders_column="orders",
        gcm_parents=gcm_parents if "revenue_net" in gcm_parents else None,
    )
    return inputs, unresolved


# --------------------------------------------------------------------------------------------
# Writing the results
# --------------------------------------------------------------------------------------------


def graph_rows(
    graph: EvidenceGraph, intervention_ids: dict[str, str], run_id: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The graph's node and edge rows, with the run id and each intervention edge's intervention id."""
    nodes = graph.nodes_frame().with_columns(pl.lit(run_id).alias("run_id")).select(NODE_COLUMNS)
    edges = (
        graph.edges_frame()
        .with_columns(
            pl.col("cause")
            .replace_strict(intervention_ids, default=None, return_dtype=pl.String)
            .alias("intervention_id"),
            pl.lit(run_id).alias("run_id"),
        )
        .select(EDGE_COLUMNS)
    )
    return nodes, edges


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
# Checks
# --------------------------------------------------------------------------------------------


def edges_sound_result(stored: list[dict[str, Any]], expected_rows: int) -> dg.AssetCheckResult:
    problems = check_evidence(stored)
    if len(stored) != expected_rows:
        problems.append(f"{len(stored)} edges stored where the run produced {expected_rows}")
    return dg.AssetCheckResult(
        asset_key=ML_EVIDENCE_EDGES,
        check_name="evidence_rows_sound",
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"rows_checked": len(stored), "problems": dg.MetadataValue.json(problems[:100])},
        description="; ".join(problems[:5]) or None,
    )


def interventions_covered_result(
    stored: list[dict[str, Any]],
    recorded: dict[str, list[tuple[str, RecordedIntervention]]],
    failed: dict[str, str],
) -> dg.AssetCheckResult:
    """Every recorded intervention of the tenants run has a primary row (inconclusive with reason is fine)."""
    primary = {(r["tenant_id"], r["cause"]) for r in stored if r["is_primary"]}
    missing = [
        f"{tenant}: {item.name}"
        for tenant, items in recorded.items()
        for _, item in items
        if (tenant, item.name) not in primary
    ]
    problems = [f"tenant {tenant} failed: {error}" for tenant, error in failed.items()]
    if missing:
        problems.append(f"{len(missing)} intervention(s) without evidence: {missing[:20]}")
    graded: dict[str, int] = {}
    for row in stored:
        if row["is_primary"] and row["intervention_id"]:
            graded[row["grade"]] = graded.get(row["grade"], 0) + 1
    return dg.AssetCheckResult(
        asset_key=ML_EVIDENCE_EDGES,
        check_name="every_intervention_has_evidence",
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "interventions": sum(len(items) for items in recorded.values()),
            "missing": dg.MetadataValue.json(missing[:100]),
            "failed_tenants": dg.MetadataValue.json(failed),
            "primary_grades": dg.MetadataValue.json(graded),
        },
        description="; ".join(problems) or None,
    )


# --------------------------------------------------------------------------------------------
# The asset
# --------------------------------------------------------------------------------------------

_DEPS = [BUSINESS_METRICS_DAILY, ORDER_LINES, SUBSCRIPTIONS, APP_INTERVENTIONS]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ML_EVIDENCE_NODES,
            deps=_DEPS,
            group_name="ml",
            kinds={"dowhy", "econml", "postgres"},
            description="ml.evidence_nodes: per tenant, the metrics, interventions, drivers, segments and "
            "products that the evidence graph connects; run_id the Dagster run.",
        ),
        dg.AssetSpec(
            ML_EVIDENCE_EDGES,
            deps=_DEPS,
            group_name="ml",
            kinds={"dowhy", "econml", "postgres"},
            description="ml.evidence_edges: per tenant, cause -> effect with method, estimate, 95% interval, "
            "p-value, refutations, grade, assumptions and a one-sentence explanation. Price elasticities are "
            "'<product_id>.price' -> '<product_id>.units' (is_primary).",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "evidence_rows_sound",
            asset=ML_EVIDENCE_EDGES,
            description="Stored edges: intervals ordered around the estimate, grades allowed, p-values in "
            "[0, 1], JSON valid, and inconclusive rows with a reason and no number.",
        ),
        dg.AssetCheckSpec(
            "every_intervention_has_evidence",
            asset=ML_EVIDENCE_EDGES,
            description="Every intervention recorded in app.interventions for the tenants run has a primary "
            "edge (an inconclusive one with its reason counts), and no tenant's run failed.",
        ),
    ],
    name="ml_evidence",
)
def ml_evidence(
    context: dg.AssetExecutionContext, config: EvidenceAssetConfig, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Estimate every selected tenant's evidence graph and replace their stored rows."""
    try:
        settings = config.evidence_settings()
    except EvidenceInputError as error:
        raise dg.Failure(f"config: {error}") from error
    started = time.perf_counter()
    with warehouse.connect() as conn:
        if config.tenants:
            tenant_ids = [str(t) for t in resolve_tenants(conn, config.tenants)]
        else:
            rows = conn.execute(
                "select distinct tenant_id::text from metrics.business_metrics_daily"
            ).fetchall()
            tenant_ids = sorted(r[0] for r in rows)
        groups = peer_groups(conn, tenant_ids) if config.use_peers else {}
        peer_ids = sorted({p for peers in groups.values() for p in peers} - set(tenant_ids))
        panels = read_metric_panels(conn, config.metrics, tenant_ids + peer_ids)
        recorded = read_interventions(conn, tenant_ids)
        product_sales = read_product_sales(conn, tenant_ids)
        subscriptions = read_subscription_counts(conn, tenant_ids)
    tenants = [t for t in tenant_ids if t in panels]
    if not tenants:
        raise dg.Failure(
            "metrics.business_metrics_daily has no rows for the selected tenants: build it first "
            "(`keel demo`), or check config.tenants"
        )
    recorded = {t: recorded.get(t, []) for t in tenants}
    batch: list[TenantInputs] = []
    unresolved: dict[str, list[Any]] = {}
    for tenant in tenants:
        peers = {p: panels[p] for p in groups.get(tenant, []) if p in panels}
        inputs, unresolved[tenant] = build_tenant_inputs(
            tenant,
            panels[tenant],
            recorded[tenant],
            product_sales,
            subscriptions,
            peers,
            config.metrics,
            config.max_products,
        )
        batch.append(inputs)
    read_seconds = time.perf_counter() - started
    context.log.info(
        f"evidence for {len(tenants)} tenant(s), {sum(len(v) for v in recorded.values())} recorded "
        f"intervention(s), {config.processes} process(es); inputs read in {read_seconds:.1f} s"
    )

    def progress(outcome: TenantOutcome, index: int, total: int) -> None:
        status = "ok" if outcome.ok else f"FAILED: {outcome.error}"
        context.log.info(
            f"[{index}/{total}] evidence tenant {outcome.tenant_id}: {outcome.seconds:.1f} s, {status}"
        )

    outcomes = run_tenants(batch, settings, processes=config.processes, progress=progress)
    failed = {o.tenant_id: o.error or "" for o in outcomes if not o.ok}
    done = [o for o in outcomes if o.ok]
    if not done:
        raise dg.Failure(f"the evidence run failed for every tenant: {failed}")

    run_id = context.run.run_id
    with warehouse.connect() as conn:
        labels = read_node_labels(conn, [o.tenant_id for o in done])
    node_frames, edge_frames = [], []
    for outcome in done:
        assert outcome.graph is not None
        extra = tuple(unresolved[outcome.tenant_id])
        tenant_labels = labels.get(outcome.tenant_id, METRIC_LABELS)
        all_edges = relabel_edges((*outcome.graph.edges, *extra), tenant_labels)
        graph = EvidenceGraph(
            nodes_for_edges(all_edges, _node_kinds(outcome.graph, extra), tenant_labels), all_edges
        )
        ids = {item.name: intervention_id for intervention_id, item in recorded[outcome.tenant_id]}
        tenant_nodes, tenant_edges = graph_rows(graph, ids, run_id)
        node_frames.append(tenant_nodes)
        edge_frames.append(tenant_edges)
    nodes = pl.concat(node_frames)
    edges = pl.concat(edge_frames)
    written = [o.tenant_id for o in done]
    with warehouse.connect() as conn:
        tables.replace_tenant_rows(conn, written, {NODES_TABLE: nodes, EDGES_TABLE: edges})
        stored = read_back_edges(conn, written, run_id)

    primary = edges.filter(pl.col("is_primary"))
    yield dg.MaterializeResult(
        asset_key=ML_EVIDENCE_NODES,
        metadata={
            "rows": nodes.height,
            "tenants": len(written),
            "kinds": dg.MetadataValue.json(dict(nodes.group_by("kind").len().sort("kind").iter_rows())),
        },
    )
    yield dg.MaterializeResult(
        asset_key=ML_EVIDENCE_EDGES,
        metadata={
            "rows": edges.height,
            "tenants": len(written),
            "failed_tenants": dg.MetadataValue.json(failed),
            "primary_grades": dg.MetadataValue.json(
                dict(primary.group_by("grade").len().sort("grade").iter_rows())
            ),
            "methods": dg.MetadataValue.json(dict(edges.group_by("method").len().sort("method").iter_rows())),
            "seconds_per_tenant": dg.MetadataValue.json({o.tenant_id: round(o.seconds, 1) for o in outcomes}),
            "skipped": dg.MetadataValue.json({o.tenant_id: list(o.skipped) for o in done if o.skipped}),
            "seconds": round(time.perf_counter() - started, 1),
        },
    )
    yield edges_sound_result(stored, edges.height)
    yield interventions_covered_result(
        stored, {t: items for t, items in recorded.items() if t in written or t in failed}, failed
    )


def _node_kinds(graph: EvidenceGraph, extra: tuple[Any, ...]) -> dict[str, str]:
    kinds = {node.node: node.kind for node in graph.nodes}
    kinds.update({edge.cause: "intervention" for edge in extra})
    return kinds
