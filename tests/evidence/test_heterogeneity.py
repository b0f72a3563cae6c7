"""EconML segment effects and price elasticities on a simulated business with known truth."""

from __future__ import annotations

import dataclasses

import polars as pl

from models_ml.evidence import Elasticity, EvidenceSettings, check_evidence, estimate_segment_effects
from models_ml.evidence.run import EvidenceRun
from models_ml.evidence.synthetic import SyntheticBusiness
from models_ml.optimization.pricing import Elasticity as OptimizerElasticity

WEEKEND = {"Friday", "Saturday", "Sunday"}


def test_flash_sales_respond_more_on_weekends(run_a: EvidenceRun, business_a: SyntheticBusiness) -> None:
    assert [s.intervention.name for s in run_a.segments] == ["flash_sales"]
    segments = run_a.segments[0]
    assert len(segments.segments) == 7
    ranked = [s.segment for s in segments.ranked()]
    # The three largest effects are the weekend days, where the simulated uplift is +20% (not +6%).
    assert set(ranked[:3]) == WEEKEND
    covered = 0
    for segment in segments.segments:
        truth = business_a.true_segment_effects["weekend" if segment.segment in WEEKEND else "weekday"]
        assert segment.ci_low is not None and segment.ci_high is not None
        covered += segment.ci_low <= truth <= segment.ci_high
    assert covered >= 6
    assert all(s.grade == "strong" for s in segments.segments if s.segment in WEEKEND)
    edges = segments.to_edges("tenant-x")
    assert check_evidence(edges) == []
    assert {edge.effect for edge in edges} == {f"orders ({s.segment})" for s in segments.segments}


def test_price_elasticities_cover_the_truth(run_a: EvidenceRun, business_a: SyntheticBusiness) -> None:
    report = run_a.elasticities
    assert report is not None
    assert [e.product_id for e in report.elasticities] == sorted(business_a.true_elasticities)
    covered = 0
    for elasticity in report.elasticities:
        truth = business_a.true_elasticities[elasticity.product_id]
        covered += elasticity.ci_low <= truth <= elasticity.ci_high
        assert elasticity.estimate < 0
        assert elasticity.grade in ("strong", "moderate")
    assert covered >= 3
    assert check_evidence(report.to_edges("tenant-x")) == []


def test_elasticity_has_the_optimizers_fields_exactly(run_a: EvidenceRun) -> None:
    assert [f.name for f in dataclasses.fields(Elasticity)] == [
        "product_id",
        "estimate",
        "ci_low",
        "ci_high",
        "grade",
    ]
    assert run_a.elasticities is not None
    for elasticity in run_a.elasticities.elasticities:
        # The pricing optimizer builds its own Elasticity from ours without translation.
        converted = OptimizerElasticity(**dataclasses.asdict(elasticity))
        assert converted.estimate == elasticity.estimate
        assert isinstance(elasticity.ci_low, float) and isinstance(elasticity.ci_high, float)


def test_segments_from_a_panel_column(business_a: SyntheticBusiness) -> None:
    # A label column instead of weekdays: the simulated uplift is larger Friday to Sunday.
    panel = business_a.panel.with_columns(
        pl.when(pl.col("ds").dt.weekday() >= 5)
        .then(pl.lit("weekend"))
        .otherwise(pl.lit("weekday"))
        .alias("part")
    )
    flash = next(i for i in business_a.interventions if i.name == "flash_sales")
    result = estimate_segment_effects(
        panel,
        flash,
        other_interventions=business_a.interventions,
        segment_by="part",
        settings=EvidenceSettings(dml_refuter_simulations=2),
    )
    by_name = {s.segment: s for s in result.segments}
    assert set(by_name) == {"weekday", "weekend"}
    for name, segment in by_name.items():
        truth = business_a.true_segment_effects[name]
        assert segment.estimate is not None and segment.ci_low is not None and segment.ci_high is not None
        # Within one and a half interval half-widths of the truth (about three standard errors).
        assert abs(segment.estimate - truth) <= 0.75 * (segment.ci_high - segment.ci_low)
    assert result.ranked()[0].segment == "weekend"
    assert all(isinstance(s.segment, str) for s in result.segments)
    assert all(r.num_simulations == 2 for r in result.refutations)
