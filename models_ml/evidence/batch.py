"""Evidence runs for many tenants, side by side in worker processes, one tenant's failure kept to itself.

The engine is single-threaded Python and NumPy (BLAS held to ``settings.blas_threads``), so tenants run
in separate processes: two processes on two cores halve the wall time of a demo-sized batch. A tenant
whose data the engine refuses (:class:`EvidenceInputError`) or that fails in any other way comes back
with its error, and the others' results are unaffected.
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

import polars as pl

from models_ml.evidence.errors import EvidenceInputError
from models_ml.evidence.panel import Intervention
from models_ml.evidence.records import EvidenceGraph
from models_ml.evidence.run import run_evidence
from models_ml.evidence.settings import EvidenceSettings


@dataclass(frozen=True)
class TenantInputs:
    """Everything :func:`run_evidence` needs for one tenant (picklable, to cross into a worker)."""

    tenant_id: str
    panel: pl.DataFrame
    interventions: tuple[Intervention, ...]
    peers: Mapping[str, pl.DataFrame] = field(default_factory=dict)
    product_sales: pl.DataFrame | None = None
    driver_metrics: tuple[str, ...] | None = None
    revenue_column: str = "revenue"
    orders_column: str = "orders"
    gcm_parents: Mapping[str, tuple[str, ...]] | None = None


@dataclass(frozen=True)
class TenantOutcome:
    """One tenant's evidence graph, or the error that stopped it; seconds per part of the run."""

    tenant_id: str
    graph: EvidenceGraph | None
    error: str | None
    skipped: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.graph is not None


def run_tenant(inputs: TenantInputs, settings: EvidenceSettings) -> TenantOutcome:
    """One tenant's full run; any error is returned with the tenant, never raised."""
    started = time.perf_counter()
    try:
        run = run_evidence(
            inputs.tenant_id,
            inputs.panel,
            inputs.interventions,
            peers=inputs.peers or None,
            product_sales=inputs.product_sales,
            driver_metrics=inputs.driver_metrics,
            revenue_column=inputs.revenue_column,
            orders_column=inputs.orders_column,
            gcm_parents=inputs.gcm_parents,
            settings=settings,
        )
        graph = run.graph()
    except EvidenceInputError as error:
        return TenantOutcome(inputs.tenant_id, None, str(error), seconds=time.perf_counter() - started)
    except Exception as error:
        detail = traceback.format_exception_only(type(error), error)[-1].strip()
        return TenantOutcome(inputs.tenant_id, None, detail, seconds=time.perf_counter() - started)
    return TenantOutcome(
        inputs.tenant_id,
        graph,
        None,
        skipped=run.skipped,
        timings=dict(run.timings),
        seconds=time.perf_counter() - started,
    )


def run_tenants(
    batch: Sequence[TenantInputs],
    settings: EvidenceSettings | None = None,
    *,
    processes: int = 1,
    progress: Callable[[TenantOutcome, int, int], None] | None = None,
) -> list[TenantOutcome]:
    """Run every tenant of ``batch``; ``processes`` > 1 runs them in that many spawned workers.

    Results come back in the order of ``batch``. ``progress`` is called as each tenant finishes.
    """
    settings = settings or EvidenceSettings()
    if processes < 1:
        raise EvidenceInputError(f"processes must be at least 1, got {processes}")
    outcomes: dict[str, TenantOutcome] = {}
    if processes == 1 or len(batch) <= 1:
        for inputs in batch:
            outcome = run_tenant(inputs, settings)
            outcomes[inputs.tenant_id] = outcome
            if progress:
                progress(outcome, len(outcomes), len(batch))
    else:
        # spawn, not fork: the caller (a Dagster step) may hold threads and open connections.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(processes, len(batch)), mp_context=context) as pool:
            futures = {pool.submit(run_tenant, inputs, settings): inputs.tenant_id for inputs in batch}
            for future in as_completed(futures):
                tenant_id = futures[future]
                try:
                    outcome = future.result()
                except Exception as error:
                    outcome = TenantOutcome(tenant_id, None, f"worker failed: {error}")
                outcomes[tenant_id] = outcome
                if progress:
                    progress(outcome, len(outcomes), len(batch))
    return [outcomes[inputs.tenant_id] for inputs in batch]
