"""How the evidence engine grades a number: strong, moderate, weak or inconclusive.

The grade tells an owner how far to trust an effect. It comes from one rule, :func:`grade_evidence`,
applied to every estimate the engine produces (intervention effects, elasticities, segment effects,
drivers), in this order:

1. **inconclusive** when the data cannot answer: a data check failed (no treated days, fewer
   treated days than ``min_treated_days``, a pre-period shorter than ``min_pre_days``, no overlap
   between treated and untreated days or units, no price variation), the estimate or its interval
   is not a finite number, or the interval is wider than ``max_relative_ci_width`` measured on the
   effect's own scale: ``scale`` is the unit the width is divided by (1.0 for a relative change,
   where 1.0 = 100 percentage points; the outcome's standard deviation for an effect in dollars,
   kilograms or counts), so every unit is graded alike. Inconclusive results carry the reason and
   no number.
2. **weak** when the number is a baseline that adjusts for nothing (the naive before/after), the
   placebo refuter failed (a fake treatment shows an "effect" too), two or more refuters failed,
   or the interval contains zero (the effect may be nothing).
3. **moderate** when the interval excludes zero but one refuter failed, another design
   disagrees (its interval lies wholly on the other side of zero, or does not overlap), or the
   identification is only predictive (Granger causality).
4. **strong** otherwise: the interval excludes zero, every refuter passed, no other design
   disagrees, and the design identifies a causal effect under stated assumptions. Where the caller
   gives a p-value and ``strong_max_p_value``, strong also needs p at or below it (0.01 for
   intervention and table effects): an interval that only just excludes zero is moderate, so that
   null effects are graded strong far less than 5% of the time (measured in docs/benchmarks.md).

Then a caller's cap lowers the grade with its stated reason (segment effects from one contiguous
window are capped at weak: its days share shocks that per-segment intervals ignore). Structure
discovery (PC) finds edges, not sizes, and is graded weak; exact accounting decompositions are
strong (the arithmetic is exact, and their assumptions say they are not causal claims).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

#: The grades, strongest first.
GRADES: tuple[str, ...] = ("strong", "moderate", "weak", "inconclusive")

Grade = Literal["strong", "moderate", "weak", "inconclusive"]

#: How a method identifies a cause: "design" (adjustment, ITS, DiD, synthetic control, DML),
#: "baseline" (naive comparisons), "predictive" (Granger), "structure" (PC), "accounting"
#: (exact decompositions of a metric into factors).
Identification = Literal["design", "baseline", "predictive", "structure", "accounting"]


@dataclass(frozen=True)
class GradeInput:
    """Everything the grading rule looks at for one estimate (relative-change scale)."""

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    identification: Identification
    data_problem: str | None = None
    refuters_passed: Sequence[bool] = ()
    placebo_passed: bool | None = None
    designs_disagree: bool = False
    cap: Grade | None = None
    cap_reason: str | None = None
    #: The unit the interval's width is measured in: 1.0 for a relative change, the outcome's
    #: standard deviation for an effect in the outcome's own units.
    scale: float = 1.0
    #: Words for that unit, used in the reason ("standard deviations of the outcome").
    scale_label: str | None = None
    p_value: float | None = None


@dataclass(frozen=True)
class GradeDecision:
    """A grade with the sentence that explains it; ``reason`` is always set for inconclusive."""

    grade: Grade
    reason: str | None


def _weaker(a: Grade, b: Grade) -> Grade:
    return a if GRADES.index(a) >= GRADES.index(b) else b


def grade_evidence(
    evidence: GradeInput, *, max_relative_ci_width: float, strong_max_p_value: float | None = None
) -> GradeDecision:
    """The one grading rule of the evidence engine; see the module docstring for the rule in words."""
    if evidence.data_problem:
        return GradeDecision("inconclusive", evidence.data_problem)
    if evidence.identification == "accounting":
        return GradeDecision("strong", None)
    if evidence.identification == "structure" and evidence.estimate is None:
        return GradeDecision("weak", "structure discovery finds an edge, not its size")
    values = (evidence.estimate, evidence.ci_low, evidence.ci_high)
    if any(v is None or not math.isfinite(v) for v in values):
        return GradeDecision("inconclusive", "the estimate or its interval could not be computed")
    ci_low, ci_high = float(evidence.ci_low), float(evidence.ci_high)  # type: ignore[arg-type]
    if not (math.isfinite(evidence.scale) and evidence.scale > 0):
        return GradeDecision("inconclusive", "the outcome does not vary, so no effect can be measured on it")
    width = (ci_high - ci_low) / evidence.scale
    if width > max_relative_ci_width:
        if evidence.scale_label:
            return GradeDecision(
                "inconclusive",
                f"the interval ({ci_low:+.4g} to {ci_high:+.4g}) is {width:.2g} {evidence.scale_label} wide "
                f"(at most {max_relative_ci_width:g} can say anything)",
            )
        return GradeDecision(
            "inconclusive",
            f"the interval ({ci_low:+.3g} to {ci_high:+.3g}) is too wide to say anything",
        )

    grade: Grade = "strong"
    reasons: list[str] = []
    failed = sum(1 for passed in evidence.refuters_passed if not passed)
    excludes_zero = ci_low > 0.0 or ci_high < 0.0
    if evidence.identification == "baseline":
        grade, reasons = (
            "weak",
            ["a plain before/after or treated/untreated comparison adjusts for nothing else that differs"],
        )
    elif evidence.placebo_passed is False:
        grade, reasons = "weak", ["a placebo treatment shows an effect too"]
    elif failed >= 2:
        grade, reasons = "weak", [f"{failed} refuters failed"]
    elif not excludes_zero:
        grade, reasons = "weak", ["the interval contains zero"]
    else:
        if failed == 1:
            grade, reasons = "moderate", ["one refuter failed"]
        if (
            strong_max_p_value is not None
            and evidence.p_value is not None
            and evidence.p_value > strong_max_p_value
        ):
            grade = _weaker(grade, "moderate")
            reasons.append(f"the interval only just excludes zero (p = {evidence.p_value:.2g})")
        if evidence.designs_disagree:
            grade, reasons = "moderate", [*reasons, "another design disagrees"]
        if evidence.identification == "predictive":
            grade = _weaker(grade, "moderate")
            reasons.append("predictive (Granger) evidence, not an intervention")
        if evidence.identification == "structure":
            grade = _weaker(grade, "weak")
            reasons.append("structure discovery on observational data")
    if evidence.cap is not None and GRADES.index(evidence.cap) > GRADES.index(grade):
        grade = evidence.cap
        if evidence.cap_reason:
            reasons.append(evidence.cap_reason)
    if grade == "inconclusive":
        return GradeDecision(grade, "; ".join(reasons) or "capped at inconclusive")
    return GradeDecision(grade, "; ".join(reasons) or None)
