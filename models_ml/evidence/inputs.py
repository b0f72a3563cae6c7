"""The evidence step's inputs and outputs, shaped for and from :func:`models_ml.evidence.batch.run_tenants`.

The asset reads the warehouse (daily metrics, the dbt ``ml_features`` views of product sales, subscription
starts and product names, the owners' recorded interventions) into frames; this module turns them into
each tenant's :class:`TenantInputs`, and each tenant's outcome into the graph that is stored:

- :func:`metric_panels`: one panel per tenant (``ds`` and the metrics).
- :func:`build_tenant_inputs`: the panel with a column per intervention target (a metric, a product's
  units ``<product_id>.units``, or new trials / paid subscriptions), the best sellers' daily prices and
  units, the driver metrics and the gcm graph; and an "inconclusive" edge for every intervention whose
  target Keel does not have, saying why.
- :func:`build_batch`: those inputs for every tenant of a run, with its industry peers' panels;
  :func:`prepare_batch` the same from what the run read (:class:`EvidenceData`), as an :class:`EvidenceBatch`.
- :func:`stored_graph`, :func:`graph_rows`: a tenant's estimated graph with those edges, in the owner's
  words, as rows of ``ml.evidence_nodes`` and ``ml.evidence_edges``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from models_ml.evidence.batch import TenantInputs, TenantOutcome
from models_ml.evidence.recorded import RecordedIntervention, product_series, unresolved_edge
from models_ml.evidence.records import (
    EDGE_SCHEMA,
    METRIC_LABELS,
    EvidenceGraph,
    nodes_for_edges,
    relabel_edges,
)

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


def metric_panels(daily_metrics: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Per tenant, ``ds`` and the metrics, one row per day (``daily_metrics`` has ``tenant_id`` too)."""
    return {
        str(tenant): part.drop("tenant_id")
        for (tenant,), part in daily_metrics.partition_by("tenant_id", as_dict=True).items()
    }


def recorded_by_tenant(rows: list[dict[str, Any]]) -> dict[str, list[tuple[str, RecordedIntervention]]]:
    """Per tenant, ``(intervention_id, recorded intervention)`` from ``app.interventions`` rows, in order."""
    recorded: dict[str, list[tuple[str, RecordedIntervention]]] = {}
    for row in rows:
        recorded.setdefault(row["tenant_id"], []).append(
            (row["intervention_id"], RecordedIntervention.from_row(row))
        )
    return recorded


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


def build_batch(
    tenants: list[str],
    panels: dict[str, pl.DataFrame],
    peer_groups: dict[str, list[str]],
    recorded: dict[str, list[tuple[str, RecordedIntervention]]],
    product_sales: pl.DataFrame,
    subscriptions: pl.DataFrame,
    metrics: list[str],
    max_products: int,
) -> tuple[list[TenantInputs], dict[str, list[Any]]]:
    """:func:`build_tenant_inputs` of every tenant (peers: its group's panels), and the unresolved edges."""
    batch: list[TenantInputs] = []
    unresolved: dict[str, list[Any]] = {}
    for tenant in tenants:
        peers = {p: panels[p] for p in peer_groups.get(tenant, []) if p in panels}
        inputs, unresolved[tenant] = build_tenant_inputs(
            tenant,
            panels[tenant],
            recorded.get(tenant, []),
            product_sales,
            subscriptions,
            peers,
            metrics,
            max_products,
        )
        batch.append(inputs)
    return batch, unresolved


@dataclass(frozen=True)
class EvidenceData:
    """What one evidence run reads from the warehouse, as frames and rows (the asset's reader fills it)."""

    tenant_ids: list[str]  # the tenants selected
    peer_groups: dict[str, list[str]]  # per tenant, the other tenants of its industry (empty: no peers)
    daily_metrics: pl.DataFrame  # tenant_id, ds and the metrics, of the tenants and their peers
    interventions: list[dict[str, Any]]  # the tenants' rows of app.interventions, in order
    product_sales: pl.DataFrame  # tenant_id, product_id, sku, ds, price, units
    subscriptions: pl.DataFrame  # tenant_id, plan, ds, new_trials, new_paid_subscriptions


@dataclass(frozen=True)
class EvidenceBatch:
    """A run's tenants (those selected that have daily metrics), what they recorded, and their inputs."""

    tenants: list[str]
    recorded: dict[str, list[tuple[str, RecordedIntervention]]]  # per tenant, (intervention_id, item)
    inputs: list[TenantInputs]
    unresolved: dict[str, list[Any]]  # per tenant, the edges of interventions it could not set up


def prepare_batch(data: EvidenceData, metrics: list[str], max_products: int) -> EvidenceBatch:
    """:func:`build_batch` for the selected tenants that have daily metrics (none: an empty batch)."""
    panels = metric_panels(data.daily_metrics)
    tenants = [t for t in data.tenant_ids if t in panels]
    recorded_rows = recorded_by_tenant(data.interventions)
    recorded = {t: recorded_rows.get(t, []) for t in tenants}
    inputs, unresolved = build_batch(
        tenants,
        panels,
        data.peer_groups,
        recorded,
        data.product_sales,
        data.subscriptions,
        metrics,
        max_products,
    )
    return EvidenceBatch(tenants, recorded, inputs, unresolved)


def stored_graph(outcome: TenantOutcome, unresolved: list[Any], labels: dict[str, str]) -> EvidenceGraph:
    """A tenant's estimated graph plus the edges of interventions it could not set up, in owner's words."""
    assert outcome.graph is not None
    extra = tuple(unresolved)
    all_edges = relabel_edges((*outcome.graph.edges, *extra), labels)
    return EvidenceGraph(nodes_for_edges(all_edges, _node_kinds(outcome.graph, extra), labels), all_edges)


def _node_kinds(graph: EvidenceGraph, extra: tuple[Any, ...]) -> dict[str, str]:
    kinds = {node.node: node.kind for node in graph.nodes}
    kinds.update({edge.cause: "intervention" for edge in extra})
    return kinds


def graph_rows(
    graph: EvidenceGraph, intervention_ids: dict[str, str], run_id: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The graph's node and edge rows, with the run id and each intervention edge's intervention id."""
    nodes = graph.nodes_frame().with_columns(pl.lit(run_id).alias("run_id")).select(NODE_COLUMNS)
    intervention_id = pl.col("cause").replace_strict(intervention_ids, default=None, return_dtype=pl.String)
    edges = graph.edges_frame().with_columns(
        intervention_id.alias("intervention_id"), pl.lit(run_id).alias("run_id")
    )
    return nodes, edges.select(EDGE_COLUMNS)


def stored_rows(
    done: list[TenantOutcome],
    unresolved: dict[str, list[Any]],
    labels: dict[str, dict[str, str]],
    recorded: dict[str, list[tuple[str, RecordedIntervention]]],
    run_id: str,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The node and edge rows of every tenant that ran (labels per tenant; metrics' labels by default)."""
    node_frames, edge_frames = [], []
    for outcome in done:
        tenant = outcome.tenant_id
        graph = stored_graph(outcome, unresolved[tenant], labels.get(tenant, METRIC_LABELS))
        ids = {item.name: intervention_id for intervention_id, item in recorded.get(tenant, [])}
        nodes, edges = graph_rows(graph, ids, run_id)
        node_frames.append(nodes)
        edge_frames.append(edges)
    return pl.concat(node_frames), pl.concat(edge_frames)
