"""Intervention records: weekday-only treatment and a limited evaluation window."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from models_ml.evidence import (
    EvidenceInputError,
    EvidenceSettings,
    Intervention,
    estimate_intervention_effect,
)
from models_ml.evidence.panel import treated_mask
from models_ml.evidence.synthetic import SyntheticBusiness


def test_weekday_only_interventions_treat_only_those_days(business_a: SyntheticBusiness) -> None:
    weekend_hire = Intervention(
        "weekend_barista", "staffing_change", date(2024, 4, 6), None, "orders", weekdays=(5, 6)
    )
    mask = treated_mask(business_a.panel, weekend_hire)
    treated_days = business_a.panel.filter(mask)["ds"].to_list()
    assert treated_days and {d.weekday() for d in treated_days} == {5, 6}
    assert min(treated_days) == date(2024, 4, 6)
    with pytest.raises(EvidenceInputError, match="weekdays must be numbers"):
        replace(weekend_hire, weekdays=(7,))


def test_evaluation_window_limits_the_estimate_to_its_first_days(business_a: SyntheticBusiness) -> None:
    staffing = next(i for i in business_a.interventions if i.name == "staffing_increase")
    first_weeks = replace(staffing, evaluation_days=120)
    others = [i for i in business_a.interventions if i.name != staffing.name]
    effect = estimate_intervention_effect(
        business_a.panel,
        first_weeks,
        other_interventions=others,
        settings=EvidenceSettings(refuter_simulations=5),
    )
    primary = effect.primary
    assert primary.n_treated == 120
    truth = business_a.true_effects["staffing_increase"]  # constant effect: the same in any window
    assert primary.ci_low is not None and primary.ci_high is not None
    assert primary.ci_low <= truth <= primary.ci_high
    assert "staffing_increase after evaluation" in primary.settings["controls"]
