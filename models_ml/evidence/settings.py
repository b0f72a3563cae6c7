"""Tunable settings of the evidence engine, in one frozen object.

The library never reads the environment: the Dagster layer builds :class:`EvidenceSettings` from
Keel's settings object and passes it in, so tests and scripts can change one knob at a time.
Every result records the settings it was computed with.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from models_ml.evidence.errors import EvidenceInputError


@dataclass(frozen=True)
class EvidenceSettings:
    """Thresholds and sizes used by every part of the evidence engine.

    The defaults keep one tenant's full run (a few interventions, elasticities, drivers) within
    seconds on two cores: refuters use ``refuter_simulations`` re-estimates each, not DoWhy's 100.
    """

    #: Two-sided level of every interval: 0.05 gives 95% intervals.
    alpha: float = 0.05
    #: Fewer treated days than this and an intervention effect is "inconclusive".
    min_treated_days: int = 4
    #: Fewer untreated days before the intervention than this and the effect is "inconclusive".
    min_pre_days: int = 56
    #: A treated day counts as covered when an untreated day from another year lies within this many
    #: days of the same day of the year; that is what lets the yearly season be told apart from it.
    seasonal_match_days: int = 14
    #: Share of treated days that must be covered (seasonally, or by propensity) to estimate at all.
    min_overlap_share: float = 0.8
    #: Sine/cosine pairs used to model the yearly season.
    yearly_harmonics: int = 10
    #: Lags of the Newey-West (HAC) covariance, used for scattered treated days (flash sales).
    hac_max_lags: int = 7
    #: Longest placebo window used to calibrate intervals of contiguous interventions, in days.
    placebo_max_window_days: int = 91
    #: Fewer independent placebo windows than this and an interval cannot be calibrated.
    min_placebo_windows: float = 3.0
    #: Longest treatment window that the comparable-periods (prior years) design compares.
    comparable_max_window_days: int = 120
    #: Re-estimates per DoWhy refuter (placebo treatment, random common cause, data subset).
    refuter_simulations: int = 20
    #: Refits per refuter of the EconML estimates (segments, elasticities); each refit cross-fits
    #: five folds, so these are fewer than ``refuter_simulations``.
    dml_refuter_simulations: int = 8
    #: Fraction of days kept by the data-subset refuter.
    subset_fraction: float = 0.8
    #: Bootstrap resamples behind the intervals of the propensity-score estimators.
    bootstrap_simulations: int = 30
    #: Above this width (upper minus lower bound, as a relative change) an interval says nothing.
    max_relative_ci_width: float = 1.0
    #: Above this width, in standard deviations of the outcome, an interval of an effect measured in
    #: the outcome's own units (dollars, kilograms, counts: the plain-table path) says nothing.
    max_ci_width_in_sd: float = 1.0
    #: A strong grade needs a p-value at or below this (intervention and table effects): an interval
    #: that only just excludes zero is moderate, so null effects are rarely graded strong.
    strong_max_p_value: float = 0.01
    #: Iterations the propensity model (a logistic regression on standardised confounders) may take;
    #: one that has not converged by then is recorded as a warning in the estimate's settings.
    propensity_max_iter: int = 5000
    #: A propensity design needs at least this effective sample size in each group after weighting.
    min_effective_sample_size: float = 20.0
    #: A propensity design fails overlap when one unit carries more than this share of its group's weight.
    max_weight_share: float = 0.1
    #: Fewer treated or untreated units (rows) than this in a plain table and no design can answer.
    min_group_units: int = 10
    #: Above this width (upper minus lower bound) an elasticity interval says nothing.
    max_elasticity_ci_width: float = 2.0
    #: Peers' synthetic series must explain at least this share of the pre-period variation.
    min_synthetic_fit_r2: float = 0.5
    #: Days of the naive before/after comparison (each side), at most.
    naive_window_days: int = 28
    #: Largest lag tried when choosing the Granger lag order.
    granger_max_lag: int = 14
    #: Information criterion that chooses the Granger lag order: "aic", "bic", "hqic" or "fpe".
    granger_ic: str = "aic"
    #: Multiple-testing correction over all Granger pairs (statsmodels name): "fdr_bh" or "holm".
    multiple_testing: str = "fdr_bh"
    #: Significance level of the PC algorithm's conditional independence tests.
    pc_alpha: float = 0.01
    #: Lagged copies of each series offered to PC (time order as background knowledge).
    pc_max_lag: int = 2
    #: Smallest standard deviation of log price that can identify an elasticity.
    min_log_price_std: float = 0.01
    #: Samples DoWhy's gcm draws to estimate each Shapley value of a change attribution.
    gcm_num_samples: int = 1000
    #: Bootstrap resamples of the days behind the intervals of a gcm change attribution.
    gcm_bootstrap_resamples: int = 10
    #: Seed of every random step (refuters, bootstraps, cross-fitting).
    random_seed: int = 0
    #: BLAS threads while the engine runs; more threads than cores slow it down on a shared machine.
    blas_threads: int = 1

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha < 0.5:
            raise EvidenceInputError(f"settings.alpha must lie in (0, 0.5), got {self.alpha}")
        for name in (
            "min_treated_days",
            "min_pre_days",
            "refuter_simulations",
            "dml_refuter_simulations",
            "bootstrap_simulations",
            "granger_max_lag",
            "pc_max_lag",
            "yearly_harmonics",
            "blas_threads",
            "gcm_num_samples",
            "gcm_bootstrap_resamples",
            "propensity_max_iter",
            "min_group_units",
        ):
            if getattr(self, name) < 1:
                raise EvidenceInputError(f"settings.{name} must be at least 1, got {getattr(self, name)}")
        if not 0.0 < self.subset_fraction < 1.0:
            raise EvidenceInputError(
                f"settings.subset_fraction must lie in (0, 1), got {self.subset_fraction}"
            )
        if not 0.0 < self.min_overlap_share <= 1.0:
            raise EvidenceInputError(
                f"settings.min_overlap_share must lie in (0, 1], got {self.min_overlap_share}"
            )
        if not 0.0 < self.max_weight_share <= 1.0:
            raise EvidenceInputError(
                f"settings.max_weight_share must lie in (0, 1], got {self.max_weight_share}"
            )
        if not 0.0 < self.strong_max_p_value <= 1.0:
            raise EvidenceInputError(
                f"settings.strong_max_p_value must lie in (0, 1], got {self.strong_max_p_value}"
            )
        if self.granger_ic not in {"aic", "bic", "hqic", "fpe"}:
            raise EvidenceInputError(
                f"settings.granger_ic must be aic, bic, hqic or fpe, got {self.granger_ic!r}"
            )
        if self.multiple_testing not in {"fdr_bh", "holm", "bonferroni"}:
            raise EvidenceInputError(
                f"settings.multiple_testing must be fdr_bh, holm or bonferroni, got {self.multiple_testing!r}"
            )

    @property
    def confidence_level(self) -> float:
        return 1.0 - self.alpha

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
