"""The plain-table entry point: estimate_effect on units, a treatment, an outcome and confounders.

Each test builds a table whose true effect is known and asserts what the owner would see: the effect
in the outcome's own units with every row kept, propensity designs refused (with the reason in
words) when overlap is poor and the headline falling back, refuters that test something (the random
common cause moves the estimate a little; the placebo outcome catches confounding left over), and the
same estimate from the same seed.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import polars as pl
import pytest

from models_ml.evidence import EvidenceInputError, EvidenceSettings, check_evidence
from models_ml.evidence.tabular import (
    COMMON_SUPPORT,
    PS_MATCHING,
    PS_WEIGHTING,
    REGRESSION,
    TableEffect,
    estimate_effect,
)

#: Fewer refuter re-fits than the default 20 keep each test within seconds; the logic is the same.
FAST = EvidenceSettings(refuter_simulations=4, bootstrap_simulations=20)


def observational(
    n: int = 400, effect: float = 15.0, seed: int = 0, strength: float = 0.8, hidden: float = 0.0
) -> pd.DataFrame:
    """Units whose treatment depends on x1, x2 (and a hidden u when ``hidden`` > 0), as does the outcome.

    ``before`` is the outcome measured before treatment: the treatment cannot have moved it.
    """
    rng = np.random.default_rng(seed)
    x1, x2, u = rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)
    treated = rng.random(n) < 1.0 / (1.0 + np.exp(-(strength * x1 - 0.5 * x2 + hidden * u)))
    base = 100.0 + 20.0 * x1 + 10.0 * x2 + 25.0 * hidden * u
    return pd.DataFrame(
        {
            "treated": treated,
            "spend": base + effect * treated + rng.normal(0.0, 20.0, n),
            "before": base + rng.normal(0.0, 20.0, n),
            "x1": x1,
            "x2": x2,
        }
    )


def _by_method(effect: TableEffect) -> dict[str, object]:
    return {e.method: e for e in effect.estimates()}


def test_a_cross_sectional_table_is_estimated_in_its_own_units_with_every_row() -> None:
    # Profits can be negative or zero: none of those rows may be dropped.
    frame = observational(effect=15.0).assign(spend=lambda d: d["spend"] - 110.0)
    assert (frame["spend"] <= 0).mean() > 0.3
    effect = estimate_effect(pl.from_pandas(frame), "treated", "spend", ["x1", "x2"], settings=FAST)
    assert effect.n_units == len(frame)
    primary = effect.primary
    assert primary.method == REGRESSION and primary.is_conclusive
    assert primary.n_treated + primary.n_control == len(frame)
    assert primary.ci_low is not None and primary.ci_high is not None
    assert primary.ci_low <= 15.0 <= primary.ci_high
    assert primary.settings["scale"]["unit"] == pytest.approx(frame["spend"].std())
    # Row order changes nothing.
    shuffled = frame.sample(frac=1.0, random_state=3)
    again = estimate_effect(shuffled, "treated", "spend", ["x1", "x2"], settings=FAST)
    assert again.primary.estimate == pytest.approx(primary.estimate, rel=1e-9)
    edges = effect.to_edges("tenant-x")
    assert check_evidence(edges) == []
    assert edges[0].cause == "treated" and edges[0].effect == "spend" and "own units" in edges[0].estimand


def test_dollars_and_grams_are_graded_alike() -> None:
    frame = observational(n=500, effect=12.0, seed=1)
    dollars = estimate_effect(frame, "treated", "spend", ["x1", "x2"], settings=FAST)
    grams = estimate_effect(
        frame.assign(spend=frame["spend"] * 1000.0), "treated", "spend", ["x1", "x2"], settings=FAST
    )
    assert dollars.primary.is_conclusive  # an interval of tens of dollars is not "too wide" any more
    assert [e.grade for e in grams.estimates()] == [e.grade for e in dollars.estimates()]
    assert grams.primary.estimate == pytest.approx(1000.0 * (dollars.primary.estimate or 0.0), rel=1e-6)


def test_poor_overlap_refuses_propensity_designs_and_the_headline_falls_back() -> None:
    # Every unit above x1 = 1.2 was treated: about a third of treated units lie beyond every control's
    # propensity.
    rng = np.random.default_rng(5)
    n = 600
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    treated = (x1 > 1.2) | ((x1 > -1.0) & (rng.random(n) < 0.35))
    spend = 100.0 + 20.0 * x1 + 10.0 * x2 + 15.0 * treated + rng.normal(0.0, 20.0, n)
    frame = pd.DataFrame({"treated": treated, "spend": spend, "x1": x1, "x2": x2})
    effect = estimate_effect(frame, "treated", "spend", ["x1", "x2"], estimand="att", settings=FAST)
    designs = _by_method(effect)
    for method in (PS_WEIGHTING, PS_MATCHING):
        check = designs[method]
        assert check.grade == "inconclusive" and check.estimate is None  # type: ignore[attr-defined]
        assert "no overlap" in (check.reason or "")  # type: ignore[attr-defined]
        overlap = check.overlap  # type: ignore[attr-defined]
        assert overlap["share_treated_in_control_range"] < 0.8
        assert {"effective_sample_size_control", "largest_weight_share_control"} <= set(overlap)
    regression = designs[REGRESSION]
    assert regression.grade == "inconclusive" and "extrapolate" in (regression.reason or "")  # type: ignore[attr-defined]
    # The headline is the regression on units with comparable counterparts, or "the data cannot tell".
    primary = effect.primary
    assert primary.method == COMMON_SUPPORT
    if primary.is_conclusive:
        assert primary.ci_low is not None and primary.ci_high is not None
        assert primary.ci_low <= 15.0 <= primary.ci_high
        assert "not on every unit" in primary.assumptions
    else:
        assert (primary.reason or "").startswith("the data cannot tell")
    assert check_evidence(effect.to_edges("tenant-x")) == []


def test_random_common_cause_moves_the_estimate_by_a_small_nonzero_amount() -> None:
    effect = estimate_effect(observational(), "treated", "spend", ["x1", "x2"], settings=FAST)
    # One-to-one matching is discontinuous (a noise column re-draws some matches), so its shifts are
    # larger, but still a fraction of the standard error; smooth estimators move by a sliver.
    for method, bound in ((REGRESSION, 0.25), (PS_WEIGHTING, 0.25), (PS_MATCHING, 0.6)):
        estimate = _by_method(effect)[method]
        assert estimate.is_conclusive, (method, estimate.reason)  # type: ignore[attr-defined]
        refuter = next(r for r in estimate.refutations if r.name == "random_common_cause")  # type: ignore[attr-defined]
        se = (estimate.ci_high - estimate.ci_low) / (2 * 1.96)  # type: ignore[attr-defined]
        shift = abs(refuter.new_effect - refuter.original_effect)
        assert 0.0 < shift < bound * se, (method, shift, se)
        assert refuter.passed


def test_placebo_passes_with_a_true_effect_and_fails_when_confounded() -> None:
    true_effect = estimate_effect(
        observational(seed=2), "treated", "spend", ["x1", "x2"], placebo_outcome="before", settings=FAST
    )
    for estimate in true_effect.estimates()[:-1]:
        placebos = {r.name: r for r in estimate.refutations}
        assert placebos["placebo_treatment"].passed and placebos["placebo_outcome"].passed, estimate.method
    assert true_effect.primary.grade in ("strong", "moderate")

    # A hidden cause drives who is treated, the outcome and the outcome before: adjusting for x1, x2
    # cannot remove it. The permuted placebo cannot see this (it breaks every link by construction);
    # the placebo outcome does, and the grade drops to weak.
    confounded = estimate_effect(
        observational(seed=2, effect=0.0, hidden=1.5),
        "treated",
        "spend",
        ["x1", "x2"],
        placebo_outcome="before",
        settings=FAST,
    )
    primary = confounded.primary
    placebos = {r.name: r for r in primary.refutations}
    assert placebos["placebo_treatment"].passed
    assert not placebos["placebo_outcome"].passed
    assert primary.grade == "weak" and "placebo" in (primary.note or "")


def test_same_seed_gives_the_same_estimate_and_the_propensity_model_converges() -> None:
    frame = observational(n=500, seed=4)
    runs = [estimate_effect(frame, "treated", "spend", ["x1", "x2"], "att", settings=FAST) for _ in range(2)]
    for method in (PS_WEIGHTING, PS_MATCHING, REGRESSION):
        first, second = (_by_method(run)[method] for run in runs)
        assert first.estimate == second.estimate and first.ci_low == second.ci_low  # type: ignore[attr-defined]
    matching = _by_method(runs[0])[PS_MATCHING]
    assert matching.overlap["propensity_converged"] is True  # type: ignore[attr-defined]
    assert "propensity_warning" not in matching.settings  # type: ignore[attr-defined]


def test_a_propensity_model_that_does_not_converge_is_recorded() -> None:
    frame = observational(n=300, seed=6).assign(x1=lambda d: d["x1"] * 1e6)
    effect = estimate_effect(
        frame,
        "treated",
        "spend",
        ["x1", "x2"],
        settings=EvidenceSettings(refuter_simulations=2, propensity_max_iter=1),
    )
    weighting = _by_method(effect)[PS_WEIGHTING]
    assert "did not converge in 1 iterations" in weighting.settings["propensity_warning"]  # type: ignore[attr-defined]


def test_too_few_units_is_inconclusive_with_the_reason() -> None:
    frame = observational(n=200).assign(treated=lambda d: np.arange(len(d)) < 5)
    effect = estimate_effect(frame, "treated", "spend", ["x1", "x2"], settings=FAST)
    for estimate in effect.estimates():
        assert estimate.grade == "inconclusive" and estimate.estimate is None
    assert "only 5 treated" in (effect.primary.reason or "")


def test_bad_inputs_name_the_column_and_the_problem() -> None:
    frame = observational(n=100)
    with pytest.raises(EvidenceInputError, match="no column 'footfall'"):
        estimate_effect(frame, "treated", "footfall", ["x1"])
    with pytest.raises(EvidenceInputError, match=r"data\.x1 \(treatment\) must hold only 0 and 1"):
        estimate_effect(frame, "x1", "spend", ["x2"])
    with pytest.raises(EvidenceInputError, match=r"data\.spend \(outcome\) has 1 missing"):
        estimate_effect(
            frame.assign(spend=frame["spend"].where(frame.index != 3)), "treated", "spend", ["x1"]
        )
    with pytest.raises(EvidenceInputError, match="estimand must be 'ate' or 'att'"):
        estimate_effect(frame, "treated", "spend", ["x1"], estimand="atc")  # type: ignore[arg-type]
    with pytest.raises(EvidenceInputError, match="polars or pandas"):
        estimate_effect([1, 2], "treated", "spend", ["x1"])  # type: ignore[arg-type]


def test_text_confounders_become_indicator_columns() -> None:
    frame = observational(n=400, seed=8)
    frame["region"] = np.where(frame["x1"] > 0, "north", "south")
    effect = estimate_effect(frame, "treated", "spend", ["region", "x2"], settings=FAST)
    assert effect.primary.settings["confounders"] == ["region", "x2"]
    assert math.isfinite(effect.primary.estimate or math.nan)
