"""One tenant's full evidence run: every analysis, then the rows of the evidence graph.

The Dagster assets call :func:`run_evidence` with the tenant's metric panel, recorded
interventions, peer panels and product sales, and write ``EvidenceRun.graph()`` to
``ml.evidence_nodes`` and ``ml.evidence_edges`` (adding the run id). A part that cannot run on
this tenant's data (no product sales, a single metric) is skipped and says why in ``skipped``;
parts that run but cannot answer come back graded "inconclusive" with their reason.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from models_ml.evidence.attribution_gcm import GcmAttribution, attribute_change_gcm
from models_ml.evidence.drivers import GrangerResult, StructureResult, discover_structure, granger_drivers
from models_ml.evidence.effects import (
    SCATTERED_RUN_DAYS,
    InterventionEffect,
    estimate_intervention_effects,
    mean_run_length,
)
from models_ml.evidence.errors import EvidenceInputError
from models_ml.evidence.heterogeneity import (
    ElasticityReport,
    SegmentEffects,
    estimate_price_elasticities,
    estimate_segment_effects,
)
from models_ml.evidence.panel import Intervention, treated_mask, validate_panel
from models_ml.evidence.records import (
    EvidenceEdge,
    EvidenceGraph,
    EvidenceNode,
    check_evidence,
    nodes_for_edges,
)
from models_ml.evidence.root_cause import (
    ChangeAttribution,
    attribute_price_volume_mix,
    attribute_revenue_change,
    last_full_month,
    month_periods,
)
from models_ml.evidence.settings import EvidenceSettings

_ROOT_CAUSE_FACTORS = ("days", "orders_per_day", "average_order_value", "volume", "mix", "price")


@dataclass(frozen=True)
class EvidenceRun:
    """Everything the engine found for one tenant, and how long each part took (seconds)."""

    tenant_id: str
    effects: tuple[InterventionEffect, ...]
    segments: tuple[SegmentEffects, ...]
    elasticities: ElasticityReport | None
    granger: GrangerResult | None
    structure: StructureResult | None
    revenue_change: ChangeAttribution | None
    product_change: ChangeAttribution | None
    settings: EvidenceSettings
    skipped: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    gcm_change: GcmAttribution | None = None

    def edges(self) -> list[EvidenceEdge]:
        tenant = self.tenant_id
        edges: list[EvidenceEdge] = []
        for effect in self.effects:
            edges.extend(effect.to_edges(tenant))
        for segments in self.segments:
            edges.extend(segments.to_edges(tenant))
        for part in (
            self.elasticities,
            self.granger,
            self.structure,
            self.revenue_change,
            self.product_change,
            self.gcm_change,
        ):
            if part is not None:
                edges.extend(part.to_edges(tenant))
        return edges

    def nodes(self, edges: Sequence[EvidenceEdge] | None = None) -> tuple[EvidenceNode, ...]:
        edges = self.edges() if edges is None else edges
        kinds = {effect.intervention.name: "intervention" for effect in self.effects}
        kinds.update(dict.fromkeys(_ROOT_CAUSE_FACTORS, "driver"))
        for segments in self.segments:
            for segment in segments.segments:
                kinds[f"{segments.metric} ({segment.segment})"] = "segment"
        for edge in edges:
            for name in (edge.cause, edge.effect):
                if name.endswith((".price", ".units")):
                    kinds[name] = "product"
        return nodes_for_edges(edges, kinds)

    def graph(self) -> EvidenceGraph:
        """Nodes, edges, and the problems :func:`check_evidence` finds in the edges (none expected)."""
        edges = self.edges()
        return EvidenceGraph(self.nodes(edges), tuple(edges), tuple(check_evidence(edges)))


def run_evidence(
    tenant_id: str,
    panel: pl.DataFrame,
    interventions: Sequence[Intervention],
    *,
    peers: Mapping[str, pl.DataFrame] | None = None,
    product_sales: pl.DataFrame | None = None,
    confounders: Sequence[str] = (),
    driver_metrics: Sequence[str] | None = None,
    segment_interventions: Sequence[str] | None = None,
    revenue_column: str = "revenue",
    orders_column: str = "orders",
    gcm_parents: Mapping[str, Sequence[str]] | None = None,
    settings: EvidenceSettings | None = None,
) -> EvidenceRun:
    """Run intervention effects, segment effects, elasticities, drivers and root cause for a tenant.

    ``segment_interventions`` names the interventions to split by weekday; by default those whose
    treated days are scattered (repeated short promotions), the only kind a split can resolve.
    ``driver_metrics`` defaults to the panel's numeric series with at least 20 distinct values.
    ``revenue_column`` and ``orders_column`` name the panel's revenue and orders for the root cause.
    ``gcm_parents`` (child metric -> its direct causes) adds DoWhy's gcm attribution of the last month's
    change in ``revenue_column`` as a second root-cause method.
    """
    if not tenant_id:
        raise EvidenceInputError("tenant_id must not be empty")
    settings = settings or EvidenceSettings()
    panel = validate_panel(panel)
    timings: dict[str, float] = {}
    skipped: list[str] = []

    started = time.perf_counter()
    effects = tuple(
        estimate_intervention_effects(
            panel, interventions, peers=peers, confounders=confounders, settings=settings
        )
    )
    timings["intervention_effects"] = time.perf_counter() - started

    started = time.perf_counter()
    if segment_interventions is None:
        chosen = [
            i.name
            for i in interventions
            if treated_mask(panel, i).any() and mean_run_length(treated_mask(panel, i)) < SCATTERED_RUN_DAYS
        ]
    else:
        chosen = list(segment_interventions)
    by_name = {i.name: i for i in interventions}
    unknown = [name for name in chosen if name not in by_name]
    if unknown:
        raise EvidenceInputError(f"segment_interventions names unknown interventions: {unknown}")
    segments = tuple(
        estimate_segment_effects(panel, by_name[name], other_interventions=interventions, settings=settings)
        for name in chosen
    )
    timings["segment_effects"] = time.perf_counter() - started

    elasticities = None
    started = time.perf_counter()
    if product_sales is None:
        skipped.append("price elasticities: no product sales given")
    else:
        elasticities = estimate_price_elasticities(product_sales, settings=settings)
    timings["elasticities"] = time.perf_counter() - started

    granger = structure = None
    started = time.perf_counter()
    try:
        granger = granger_drivers(
            panel, metrics=driver_metrics, interventions=interventions, settings=settings
        )
        timings["granger"] = time.perf_counter() - started
        started = time.perf_counter()
        structure = discover_structure(
            panel, metrics=driver_metrics, interventions=interventions, settings=settings
        )
        timings["structure"] = time.perf_counter() - started
    except EvidenceInputError as error:
        skipped.append(f"drivers: {error}")

    revenue_change = product_change = None
    started = time.perf_counter()
    try:
        before, after = month_periods(last_full_month(panel))
        if panel["ds"].min() > before[0]:  # type: ignore[operator]
            raise EvidenceInputError("the panel does not cover two full months")
        if {revenue_column, orders_column} <= set(panel.columns):
            revenue_change = attribute_revenue_change(
                panel, before, after, revenue=revenue_column, orders=orders_column
            )
        else:
            skipped.append(f"revenue change: the panel has no {revenue_column} and {orders_column} columns")
        if product_sales is not None:
            product_change = attribute_price_volume_mix(product_sales, before, after)
    except EvidenceInputError as error:
        skipped.append(f"root cause: {error}")
    timings["root_cause"] = time.perf_counter() - started

    gcm_change = None
    if gcm_parents:
        started = time.perf_counter()
        try:
            before, after = month_periods(last_full_month(panel))
            gcm_change = attribute_change_gcm(
                panel, before, after, target=revenue_column, parents=gcm_parents, settings=settings
            )
        except EvidenceInputError as error:
            skipped.append(f"root cause (gcm): {error}")
        timings["root_cause_gcm"] = time.perf_counter() - started

    return EvidenceRun(
        tenant_id=tenant_id,
        effects=effects,
        segments=segments,
        elasticities=elasticities,
        granger=granger,
        structure=structure,
        revenue_change=revenue_change,
        product_change=product_change,
        settings=settings,
        skipped=tuple(skipped),
        timings=timings,
        gcm_change=gcm_change,
    )
