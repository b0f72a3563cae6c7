"""Granger drivers and PC structure discovery on simulated businesses."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from models_ml.evidence import EvidenceInputError, EvidenceSettings, check_evidence, granger_drivers
from models_ml.evidence.run import EvidenceRun


def test_marketing_spend_granger_causes_orders(run_a: EvidenceRun) -> None:
    granger = run_a.granger
    assert granger is not None
    tests = {(t.cause, t.effect): t for t in granger.tests}
    forward = tests[("marketing_spend", "orders")]
    assert forward.significant and forward.p_adjusted < 1e-4
    assert forward.coefficient_sum > 0 and forward.ci_low > 0
    assert 1 <= forward.lag <= EvidenceSettings().granger_max_lag
    # The adjusted p-values are never below the raw ones, and all pairs were tested together.
    assert all(t.p_adjusted >= t.p_value - 1e-12 for t in granger.tests)
    assert granger.settings["pairs_tested"] == len(granger.tests)
    assert granger.settings["correction"] == "fdr_bh" and granger.settings["lag_selection"] == "aic"
    # revenue = orders x aov exactly: the composite is dropped, not tested against its own factors.
    assert "dropped" in granger.transforms["revenue"]
    edges = granger.to_edges("tenant-x")
    assert check_evidence(edges) == []
    assert all(edge.grade in ("moderate", "weak") for edge in edges)  # predictive: never strong
    assert json.loads(edges[0].settings)["method"] == "granger_causality"


def test_independent_series_are_not_drivers_after_correction() -> None:
    rng = np.random.default_rng(3)
    days = [date(2022, 1, 1) + timedelta(days=i) for i in range(800)]
    panel = pl.DataFrame({"ds": days, **{f"noise_{k}": np.exp(rng.normal(3, 0.2, 800)) for k in range(4)}})
    for method in ("fdr_bh", "holm"):
        result = granger_drivers(panel, settings=EvidenceSettings(multiple_testing=method))
        assert len(result.tests) == 12
        assert result.significant() == []
        assert result.to_edges("tenant-x") == []


def test_pc_orients_drivers_by_time(run_a: EvidenceRun) -> None:
    structure = run_a.structure
    assert structure is not None
    settings = structure.settings
    assert settings["method"] == "causal_learn_pc" and settings["indep_test"] == "fisherz"
    assert settings["max_lag"] == EvidenceSettings().pc_max_lag
    found = {(e.cause, e.effect, e.orientation) for e in structure.edges}
    assert ("marketing_spend", "orders", "directed") in found
    for edge in structure.edges:
        # Edges end in the present; a directed edge from another series starts in the past or today.
        assert 0 <= edge.lag <= settings["max_lag"]
        assert edge.orientation in ("directed", "undirected", "bidirected")
        assert (edge.cause, edge.effect) != ("orders", "marketing_spend") or edge.lag == 0
    edges = structure.to_edges("tenant-x")
    assert check_evidence(edges) == []
    assert all(edge.grade == "weak" and edge.estimate is None for edge in edges)


def test_drivers_need_two_metrics() -> None:
    days = [date(2022, 1, 1) + timedelta(days=i) for i in range(400)]
    panel = pl.DataFrame({"ds": days, "orders": np.linspace(10, 20, 400)})
    with pytest.raises(EvidenceInputError, match="at least two metrics"):
        granger_drivers(panel)
