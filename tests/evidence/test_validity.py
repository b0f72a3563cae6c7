"""Validity of intervention effects on simulated businesses whose true effects are known.

Default: two businesses (fixed seeds, six interventions each). The benchmark sweep repeats the
checks on more seeds and prints the measured coverage.
"""

from __future__ import annotations

import math

import pytest

from models_ml.evidence import (
    EvidenceSettings,
    InterventionEffect,
    check_evidence,
    estimate_intervention_effects,
)
from models_ml.evidence.run import EvidenceRun
from models_ml.evidence.synthetic import SyntheticBusiness, simulate_business


def _pairs(
    run_a: EvidenceRun,
    business_a: SyntheticBusiness,
    effects_b: list[InterventionEffect],
    business_b: SyntheticBusiness,
) -> list[tuple[InterventionEffect, float]]:
    return [(e, business_a.true_effects[e.intervention.name]) for e in run_a.effects] + [
        (e, business_b.true_effects[e.intervention.name]) for e in effects_b
    ]


def _covered(effect: InterventionEffect, truth: float) -> bool:
    primary = effect.primary
    return (
        primary.ci_low is not None
        and primary.ci_high is not None
        and primary.ci_low <= truth <= primary.ci_high
    )


def test_true_effect_inside_95_interval_for_at_least_90_percent(
    run_a, business_a, effects_b, business_b
) -> None:
    pairs = _pairs(run_a, business_a, effects_b, business_b)
    assert len(pairs) == 12
    conclusive = [(e, t) for e, t in pairs if e.primary.is_conclusive]
    # Every injected intervention has enough data: none may hide behind "inconclusive".
    assert len(conclusive) == len(pairs)
    covered = sum(_covered(e, t) for e, t in conclusive)
    assert covered / len(pairs) >= 0.9, [
        (e.intervention.name, e.primary.ci_low, e.primary.ci_high, t) for e, t in pairs
    ]


def test_every_strong_estimate_has_the_right_sign(run_a, business_a, effects_b, business_b) -> None:
    strong = 0
    for effect, truth in _pairs(run_a, business_a, effects_b, business_b):
        for estimate in (effect.primary, *effect.cross_checks):
            if estimate.grade == "strong":
                strong += 1
                assert estimate.estimate is not None
                assert math.copysign(1, estimate.estimate) == math.copysign(1, truth), (
                    effect.intervention.name,
                    estimate.method,
                )
    assert strong > 0


def test_confounded_december_promotion_is_not_credited_with_the_season(
    run_a, business_a, effects_b, business_b
) -> None:
    for effects, business in ((run_a.effects, business_a), (effects_b, business_b)):
        effect = next(e for e in effects if e.intervention.name == business.confounded_intervention)
        truth = business.true_effects[business.confounded_intervention]
        naive = effect.naive_before_after
        # The naive before/after credits the promotion with the December peak: far above the truth.
        assert naive.estimate is not None and naive.estimate > truth + 0.10
        assert naive.ci_low is not None and naive.ci_low > truth
        assert naive.grade == "weak"
        primary = effect.primary
        if primary.is_conclusive:
            assert primary.estimate is not None and primary.ci_low is not None and primary.ci_high is not None
            # Recovered: the interval holds the truth and excludes the naive number.
            assert primary.ci_low <= truth <= primary.ci_high
            assert not primary.ci_low <= naive.estimate <= primary.ci_high
        else:
            assert primary.reason


def test_naive_before_after_is_never_the_headline(run_a, effects_b) -> None:
    for effect in [*run_a.effects, *effects_b]:
        assert effect.primary.method != "naive_before_after"
        assert effect.naive_before_after.grade in ("weak", "inconclusive")


def test_every_estimate_has_interval_refuters_and_a_documented_grade(
    run_a, effects_b, evidence_settings
) -> None:
    for effect in [*run_a.effects, *effects_b]:
        for estimate in (effect.primary, *effect.cross_checks):
            if not estimate.is_conclusive:
                assert estimate.reason and estimate.estimate is None
                continue
            assert estimate.ci_low is not None and estimate.ci_high is not None
            assert estimate.ci_low <= (estimate.estimate or 0.0) <= estimate.ci_high
            names = [r.name for r in estimate.refutations]
            assert names == ["placebo_treatment", "random_common_cause", "data_subset"]
            assert all(
                r.num_simulations == evidence_settings.refuter_simulations for r in estimate.refutations
            )


def test_effect_edges_pass_the_evidence_check(run_a, effects_b) -> None:
    edges = [edge for effect in [*run_a.effects, *effects_b] for edge in effect.to_edges("tenant-x")]
    assert check_evidence(edges) == []
    primaries = [edge for edge in edges if edge.is_primary]
    assert len(primaries) == 12
    assert all(edge.assumptions and edge.explanation for edge in edges)


@pytest.mark.benchmark
def test_validity_sweep_over_many_businesses() -> None:
    """Coverage and sign over 20 seeds (about 10 minutes on a busy two-core machine)."""
    settings = EvidenceSettings()
    covered = total = strong = wrong_sign = 0
    per_method: dict[str, list[int]] = {}
    for seed in range(100, 120):
        business = simulate_business(seed)
        effects = estimate_intervention_effects(
            business.panel, business.interventions, peers=business.peers, settings=settings
        )
        for effect in effects:
            truth = business.true_effects[effect.intervention.name]
            total += 1
            covered += _covered(effect, truth)
            for estimate in (effect.primary, *effect.cross_checks):
                if estimate.ci_low is not None and estimate.ci_high is not None:
                    hit = per_method.setdefault(estimate.method, [0, 0])
                    hit[0] += estimate.ci_low <= truth <= estimate.ci_high
                    hit[1] += 1
                if estimate.grade == "strong":
                    strong += 1
                    wrong_sign += (estimate.estimate or 0.0) * truth < 0
    print(
        f"\nprimary coverage {covered}/{total} = {covered / total:.1%}; "
        f"strong {strong}, wrong sign {wrong_sign}"
    )
    for method, (hits, count) in sorted(per_method.items()):
        print(f"  {method}: {hits}/{count} = {hits / count:.1%}")
    assert covered / total >= 0.9
    assert wrong_sign == 0
