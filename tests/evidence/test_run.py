"""One tenant's full evidence run: rows of the evidence graph, checked, within the time budget."""

from __future__ import annotations

import json
import resource
import time

import numpy as np
import pytest

from models_ml.evidence import EDGE_SCHEMA, NODE_SCHEMA, run_evidence
from models_ml.evidence.run import EvidenceRun
from models_ml.evidence.synthetic import simulate_business


def test_full_run_produces_valid_nodes_and_edges(run_a: EvidenceRun) -> None:
    graph = run_a.graph()
    assert graph.problems == ()
    assert run_a.skipped == ()
    edges = graph.edges_frame()
    nodes = graph.nodes_frame()
    assert edges.columns == list(EDGE_SCHEMA) and nodes.columns == list(NODE_SCHEMA)
    assert edges["tenant_id"].unique().to_list() == [run_a.tenant_id]
    methods = set(edges["method"].to_list())
    assert {
        "its_seasonal_regression",
        "synthetic_control",
        "econml_linear_dml_segments",
        "econml_linear_dml_log_log",
        "granger_causality",
        "causal_learn_pc",
        "shapley_decomposition",
    } <= methods
    # Every edge's endpoints are nodes, and each intervention has exactly one headline edge.
    names = set(nodes["node"].to_list())
    assert set(edges["cause"].to_list()) | set(edges["effect"].to_list()) <= names
    kinds = dict(zip(nodes["node"].to_list(), nodes["kind"].to_list(), strict=True))
    assert kinds["flash_sales"] == "intervention" and kinds["P1.price"] == "product"
    headline = edges.filter(edges["is_primary"])
    for effect in run_a.effects:
        assert headline["cause"].to_list().count(effect.intervention.name) == 1
    for row in edges.iter_rows(named=True):
        json.loads(row["refutations"]), json.loads(row["settings"])


def test_full_run_records_timings(run_a: EvidenceRun) -> None:
    assert set(run_a.timings) == {
        "intervention_effects",
        "segment_effects",
        "elasticities",
        "granger",
        "structure",
        "root_cause",
    }
    assert all(seconds >= 0 for seconds in run_a.timings.values())


@pytest.mark.benchmark
def test_full_run_time_and_memory_and_one_econml_fit() -> None:
    """Issue target: one tenant's full run within 60 s on two cores; also one 50,000 x 20 EconML fit."""
    business = simulate_business(7)
    started = time.perf_counter()
    run = run_evidence(
        business.tenant_id,
        business.panel,
        business.interventions,
        peers=business.peers,
        product_sales=business.product_sales,
    )
    seconds = time.perf_counter() - started
    # Peak resident memory of the whole test process (libraries included), in KiB on Linux.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"\nfull run: {seconds:.1f} s, peak RSS {peak / 1024:.0f} MiB, parts {run.timings}")

    from econml.dml import LinearDML
    from sklearn.linear_model import LinearRegression, LogisticRegression

    rng = np.random.default_rng(0)
    features = rng.normal(size=(50_000, 20))
    treatment = (rng.uniform(size=50_000) < 1 / (1 + np.exp(-features[:, 0]))).astype(int)
    outcome = features @ rng.normal(size=20) + treatment * (1 + features[:, 1]) + rng.normal(size=50_000)
    started = time.perf_counter()
    model = LinearDML(
        model_y=LinearRegression(),
        model_t=LogisticRegression(max_iter=1000),
        discrete_treatment=True,
        cv=5,
        random_state=0,
    ).fit(outcome, treatment, X=features[:, :5], W=features[:, 5:])
    fit_seconds = time.perf_counter() - started
    effect_at_zero = float(model.effect(np.zeros((1, 5)))[0])
    print(f"EconML LinearDML 50,000 x 20: {fit_seconds:.1f} s; effect at X=0 {effect_at_zero:.3f} (true 1.0)")
    assert seconds < 60.0
