"""``ml.evidence_nodes`` and ``ml.evidence_edges``: what drove each tenant's metrics, and how sure Keel is.

Partitioned by tenant: one multi-asset step reads, for the partition's tenant, the daily metrics, the dbt
``ml_features`` views of product sales, subscription starts and product names, and the interventions its
owner recorded (``app.interventions``: only what owners recorded, never guessed from source data); builds
its inputs (:mod:`models_ml.evidence.inputs`; peers for synthetic control are the other tenants of its
industry, read only); runs :func:`models_ml.evidence.batch.run_tenants` in this process; and replaces the
tenant's rows in both tables in one transaction, stamped with the Dagster run id. Tenants run in parallel
as runs of their own (``keel demo``: ``KEEL_PARALLEL_TENANTS`` at a time). Data the engine refuses fails the
partition with the reason; an intervention whose metric or product Keel does not have gets an
"inconclusive" row saying so.

Asset checks, on what was stored: every edge satisfies :func:`models_ml.evidence.check_evidence`, and every
recorded intervention of the tenant has a primary row.
"""

import time
from collections.abc import Iterator

import dagster as dg
import polars as pl
from pydantic import Field

from models_ml.evidence import EvidenceSettings
from models_ml.evidence.batch import TenantOutcome, run_tenants
from models_ml.evidence.errors import EvidenceInputError
from models_ml.evidence.inputs import DEFAULT_METRICS, prepare_batch, stored_rows
from orchestration.defs.automation import DAILY_ON_NEW_INPUTS
from orchestration.defs.ml import tables
from orchestration.defs.ml.checks import edges_sound_result, interventions_covered_result
from orchestration.defs.ml.keys import (
    APP_INTERVENTIONS,
    BUSINESS_METRICS_DAILY,
    EVIDENCE_FEATURES,
    ML_EVIDENCE_EDGES,
    ML_EVIDENCE_NODES,
)
from orchestration.defs.ml.reads import read_back_edges, read_evidence_data, read_node_labels
from orchestration.defs.ml.tables import partition_tenant
from orchestration.defs.tenants.partitions import TENANT_MODELS_POOL, TENANT_PARTITIONS
from orchestration.defs.warehouse.resources import WarehouseResource

NODES_TABLE = "ml.evidence_nodes"
EDGES_TABLE = "ml.evidence_edges"


class EvidenceAssetConfig(dg.Config):
    """How hard the evidence step works for its tenant; the rest is ``EvidenceSettings``."""

    metrics: list[str] = Field(
        default_factory=lambda: list(DEFAULT_METRICS),
        description="Columns of metrics.business_metrics_daily in each tenant's panel: drivers (Granger, "
        "PC), the root cause of the last month's revenue change, and targets of interventions.",
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


_READS = [BUSINESS_METRICS_DAILY, APP_INTERVENTIONS, *EVIDENCE_FEATURES]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ML_EVIDENCE_NODES,
            deps=_READS,
            group_name="ml",
            kinds={"dowhy", "econml", "postgres"},
            automation_condition=DAILY_ON_NEW_INPUTS,
            description="ml.evidence_nodes: per tenant, the metrics, interventions, drivers, segments and "
            "products that the evidence graph connects; run_id the Dagster run.",
        ),
        dg.AssetSpec(
            ML_EVIDENCE_EDGES,
            deps=_READS,
            group_name="ml",
            kinds={"dowhy", "econml", "postgres"},
            automation_condition=DAILY_ON_NEW_INPUTS,
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
    partitions_def=TENANT_PARTITIONS,
    pool=TENANT_MODELS_POOL,
)
def ml_evidence(
    context: dg.AssetExecutionContext, config: EvidenceAssetConfig, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Estimate the partition's tenant's evidence graph and replace its stored rows."""
    try:
        settings = config.evidence_settings()
    except EvidenceInputError as error:
        raise dg.Failure(f"config: {error}") from error
    started = time.perf_counter()
    with warehouse.connect() as conn:
        tenant_id = partition_tenant(conn, context)
        data = read_evidence_data(conn, [str(tenant_id)], config.metrics, config.use_peers)
    batch = prepare_batch(data, config.metrics, config.max_products)
    if not batch.tenants:
        raise dg.Failure(
            f"metrics.business_metrics_daily has no rows for tenant {context.partition_key}: build it "
            "first (`keel demo`, or the keel_models job after its loads)"
        )
    recorded, read_seconds = batch.recorded, time.perf_counter() - started
    context.log.info(
        f"evidence for {len(batch.tenants)} tenant(s), {sum(len(v) for v in recorded.values())} recorded "
        f"intervention(s); inputs read in {read_seconds:.1f} s"
    )

    def progress(outcome: TenantOutcome, index: int, total: int) -> None:
        status = "ok" if outcome.ok else f"FAILED: {outcome.error}"
        context.log.info(
            f"[{index}/{total}] evidence tenant {outcome.tenant_id}: {outcome.seconds:.1f} s, {status}"
        )

    outcomes = run_tenants(batch.inputs, settings, processes=1, progress=progress)
    failed = {o.tenant_id: o.error or "" for o in outcomes if not o.ok}
    done = [o for o in outcomes if o.ok]
    if not done:
        raise dg.Failure(f"the evidence run failed for every tenant: {failed}")

    run_id = context.run.run_id
    with warehouse.connect() as conn:
        labels = read_node_labels(conn, [o.tenant_id for o in done])
    nodes, edges = stored_rows(done, batch.unresolved, labels, recorded, run_id)
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
