"""One design's estimate of an effect, before and after grading, shared by the panel and table paths.

A design (seasonal regression, synthetic control, propensity weighting, regression adjustment on a
plain table, ...) first produces a :class:`RawEstimate`: a number and its standard error on the
scale the design fits (the log of a metric for the daily panel, the outcome's own units for a
table), or the problem that stopped it. :func:`finish_estimate` turns it into the graded
:class:`MethodEstimate` that every effect record carries: estimate, interval, method, refutations,
overlap, grade, and the reason for the grade.

The width of an interval is judged on the effect's own scale, stated in ``settings["scale"]``:
a relative change for a log-scale fit (1.0 = 100 percentage points), or standard deviations of the
outcome for an effect in dollars, kilograms or counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from scipy import stats

from models_ml.evidence.dowhy_flow import Refutation
from models_ml.evidence.grading import Grade, GradeInput, Identification, grade_evidence
from models_ml.evidence.settings import EvidenceSettings

#: "log": the design fits log(outcome), and the estimate is reported as a relative change.
#: "absolute": the design fits the outcome in its own units, and the estimate is in those units.
Scale = Literal["log", "absolute"]

#: Refuters whose failure means "a fake treatment or a fake outcome shows an effect too".
PLACEBO_REFUTERS: tuple[str, ...] = ("placebo_treatment", "placebo_outcome")


@dataclass(frozen=True)
class MethodEstimate:
    """One design's estimate of an effect: a relative change (0.10 = +10%) for a metric's log, or a
    difference in the outcome's own units for a table (``settings["scale"]`` says which).

    ``reason`` explains an inconclusive grade; ``note`` explains why a conclusive grade is not
    stronger. Inconclusive estimates carry no numbers. ``overlap`` holds the propensity designs'
    overlap diagnostics (share of treated units within the controls' propensity range, effective
    sample sizes after weighting, the largest weight's share), ``None`` for other designs.
    """

    method: str
    identification: Identification
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    refutations: tuple[Refutation, ...]
    grade: Grade
    reason: str | None
    note: str | None
    assumptions: str
    settings: dict[str, Any]
    n_treated: int
    n_control: int
    overlap: dict[str, Any] | None = None

    @property
    def is_conclusive(self) -> bool:
        return self.grade != "inconclusive"


@dataclass
class RawEstimate:
    """A design's number and standard error on its fitting scale, or the problem that stopped it."""

    method: str
    identification: Identification
    assumptions: str
    n_treated: int
    n_control: int
    problem: str | None = None
    log_effect: float | None = None  # on the fitting scale: log for "log", outcome units for "absolute"
    log_se: float | None = None
    dof: float = math.inf
    refutations: tuple[Refutation, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)
    scale: Scale = "log"
    #: Standard deviation of the outcome: the unit an "absolute" interval's width is judged in.
    outcome_sd: float | None = None
    overlap: dict[str, Any] | None = None
    #: A grade this estimate cannot exceed, whatever its interval, and why (said in the record).
    cap: Grade | None = None
    cap_reason: str | None = None

    def log_interval(self, alpha: float) -> tuple[float, float] | None:
        if self.problem or self.log_effect is None or self.log_se is None:
            return None
        q = stats.norm.ppf(1 - alpha / 2) if math.isinf(self.dof) else stats.t.ppf(1 - alpha / 2, self.dof)
        return self.log_effect - q * self.log_se, self.log_effect + q * self.log_se

    def p_value(self) -> float | None:
        if self.problem or self.log_effect is None or not self.log_se:
            return None
        z = abs(self.log_effect) / self.log_se
        tail = stats.norm.sf(z) if math.isinf(self.dof) else stats.t.sf(z, self.dof)
        return float(min(1.0, 2.0 * tail))


def disagrees(
    primary: tuple[float, float] | None, other: tuple[float, float] | None, estimate: float | None
) -> bool:
    """Two intervals disagree when they do not overlap, or the other lies wholly across zero."""
    if primary is None or other is None or estimate is None:
        return False
    if other[1] < primary[0] or other[0] > primary[1]:
        return True
    return (estimate > 0 and other[1] < 0) or (estimate < 0 and other[0] > 0)


def scale_record(raw: RawEstimate, settings: EvidenceSettings) -> dict[str, Any]:
    """How the interval's width was judged, in words and numbers (stored in the record's settings)."""
    if raw.scale == "log":
        return {
            "kind": "relative change of the outcome (1.0 = +100%)",
            "unit": 1.0,
            "max_width": settings.max_relative_ci_width,
        }
    return {
        "kind": "outcome units, width judged in standard deviations of the outcome",
        "unit": raw.outcome_sd,
        "max_width": settings.max_ci_width_in_sd,
    }


def finish_estimate(raw: RawEstimate, disagree: bool, settings: EvidenceSettings) -> MethodEstimate:
    """Grade a raw estimate with the one rule of :mod:`models_ml.evidence.grading`."""
    interval = raw.log_interval(settings.alpha)
    estimate = ci_low = ci_high = None
    if interval is not None and raw.log_effect is not None:
        if raw.scale == "log":
            estimate, ci_low, ci_high = (
                math.expm1(raw.log_effect),
                math.expm1(interval[0]),
                math.expm1(interval[1]),
            )
        else:
            estimate, ci_low, ci_high = raw.log_effect, interval[0], interval[1]
    placebo = [r.passed for r in raw.refutations if r.name in PLACEBO_REFUTERS]
    absolute = raw.scale == "absolute"
    p_value = raw.p_value()
    decision = grade_evidence(
        GradeInput(
            estimate=estimate,
            ci_low=ci_low,
            ci_high=ci_high,
            identification=raw.identification,
            data_problem=raw.problem,
            refuters_passed=[r.passed for r in raw.refutations],
            placebo_passed=all(placebo) if placebo else None,
            designs_disagree=disagree,
            scale=(raw.outcome_sd or 0.0) if absolute else 1.0,
            scale_label="standard deviations of the outcome" if absolute else None,
            p_value=p_value,
            cap=raw.cap,
            cap_reason=raw.cap_reason,
        ),
        max_relative_ci_width=settings.max_ci_width_in_sd if absolute else settings.max_relative_ci_width,
        strong_max_p_value=settings.strong_max_p_value,
    )
    conclusive = decision.grade != "inconclusive"
    return MethodEstimate(
        method=raw.method,
        identification=raw.identification,
        estimate=estimate if conclusive else None,
        ci_low=ci_low if conclusive else None,
        ci_high=ci_high if conclusive else None,
        p_value=p_value if conclusive else None,
        refutations=raw.refutations,
        grade=decision.grade,
        reason=decision.reason if not conclusive else None,
        note=decision.reason if conclusive else None,
        assumptions=raw.assumptions,
        settings={
            **raw.settings,
            "alpha": settings.alpha,
            "refuter_simulations": settings.refuter_simulations,
            "scale": scale_record(raw, settings),
            **({"overlap": raw.overlap} if raw.overlap is not None else {}),
        },
        n_treated=raw.n_treated,
        n_control=raw.n_control,
        overlap=raw.overlap,
    )
