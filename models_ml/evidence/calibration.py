"""Are the grades earned? A synthetic suite of plain tables with known effects, and its confusion table.

Each case is a table of units (two observed confounders, a binary treatment, an outcome in dollars,
the outcome measured before treatment) whose true effect is known, of one of these kinds:

- ``randomized``: a coin decides the treatment; an effect.
- ``confounded``: the observed confounders drive treatment and outcome; an effect.
- ``weak_overlap``: the confounders nearly decide the treatment; an effect.
- ``null_randomized`` / ``null_confounded``: as above, with no effect at all.
- ``hidden_confounder``: a cause that is not among the confounders drives treatment, outcome and the
  outcome before treatment; no effect. Only the placebo outcome can reveal it.

:func:`run_suite` runs :func:`~models_ml.evidence.tabular.estimate_effect` on each and
:func:`summarize` reports what issue 12 asks of the grades: the share of truths inside the 95%
intervals of effects graded strong or moderate, effects graded strong with the wrong sign, and how
often a null effect is graded strong; ``confusion`` counts grades per kind. The headline design is
scored (what an owner reads first), and every conclusive design separately.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models_ml.evidence.settings import EvidenceSettings
from models_ml.evidence.tabular import estimate_effect

KINDS: tuple[str, ...] = (
    "randomized",
    "confounded",
    "weak_overlap",
    "null_randomized",
    "null_confounded",
    "hidden_confounder",
)
NULL_KINDS = frozenset({"null_randomized", "null_confounded", "hidden_confounder"})
#: True effects of the non-null cases, in dollars; the outcome's noise has a standard deviation of 20.
EFFECT_SIZES: tuple[float, ...] = (-15.0, -6.0, 4.0, 8.0, 15.0)


@dataclass(frozen=True)
class CaseResult:
    """One design's graded estimate on one synthetic case."""

    kind: str
    seed: int
    truth: float
    method: str
    is_primary: bool
    grade: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None

    @property
    def covered(self) -> bool:
        return (
            self.ci_low is not None and self.ci_high is not None and self.ci_low <= self.truth <= self.ci_high
        )


def synthetic_case(kind: str, seed: int, n: int = 400) -> tuple[pd.DataFrame, float]:
    """A table of ``n`` units of the given kind and its true average effect (ATE, dollars)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)}, got {kind!r}")
    rng = np.random.default_rng(seed)
    x1, x2, hidden = rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)
    truth = 0.0 if kind in NULL_KINDS else float(rng.choice(EFFECT_SIZES))
    selection = {
        "randomized": 0.0 * x1,
        "null_randomized": 0.0 * x1,
        "confounded": 0.8 * x1 - 0.5 * x2,
        "null_confounded": 0.8 * x1 - 0.5 * x2,
        "weak_overlap": 3.0 * x1 - 1.0 * x2,
        "hidden_confounder": 0.5 * x1 + 1.5 * hidden,
    }[kind]
    treated = rng.random(n) < 1.0 / (1.0 + np.exp(-selection))
    hidden_weight = 25.0 if kind == "hidden_confounder" else 0.0
    base = 100.0 + 20.0 * x1 + 10.0 * x2 + hidden_weight * hidden
    frame = pd.DataFrame(
        {
            "treated": treated,
            "outcome": base + truth * treated + rng.normal(0.0, 20.0, n),
            "before": base + rng.normal(0.0, 20.0, n),
            "x1": x1,
            "x2": x2,
        }
    )
    return frame, truth


def run_case(kind: str, seed: int, settings: EvidenceSettings, n: int = 400) -> list[CaseResult]:
    """Every design's graded estimate on one case, the headline first."""
    frame, truth = synthetic_case(kind, seed, n)
    effect = estimate_effect(
        frame, "treated", "outcome", ["x1", "x2"], "ate", placebo_outcome="before", settings=settings
    )
    return [
        CaseResult(
            kind,
            seed,
            truth,
            e.method,
            e is effect.primary,
            e.grade,
            e.estimate,
            e.ci_low,
            e.ci_high,
        )
        for e in effect.estimates()
    ]


def run_suite(
    seeds_per_kind: int, settings: EvidenceSettings, kinds: Sequence[str] = KINDS, n: int = 400
) -> list[CaseResult]:
    """``seeds_per_kind`` cases of every kind (seeds 0, 1, ...), every design of each."""
    return [
        result
        for kind in kinds
        for seed in range(seeds_per_kind)
        for result in run_case(kind, 1000 * KINDS.index(kind) + seed, settings, n)
    ]


def summarize(results: Iterable[CaseResult]) -> dict[str, Any]:
    """Coverage, wrong signs and null "strong" rates of the headline and of every design."""
    results = list(results)

    def scores(rows: list[CaseResult]) -> dict[str, Any]:
        graded = [r for r in rows if r.grade in ("strong", "moderate")]
        strong = [r for r in rows if r.grade == "strong"]
        nulls = [r for r in rows if r.kind in NULL_KINDS and r.grade != "inconclusive"]
        return {
            "estimates": len(rows),
            "strong_or_moderate": len(graded),
            "coverage_strong_or_moderate": (
                sum(r.covered for r in graded) / len(graded) if graded else math.nan
            ),
            "strong": len(strong),
            "strong_wrong_sign": sum(
                1 for r in strong if r.estimate is not None and (r.truth == 0 or r.estimate * r.truth < 0)
            ),
            "null_estimates": len(nulls),
            "null_graded_strong": sum(1 for r in nulls if r.grade == "strong"),
            "null_strong_rate": (sum(1 for r in nulls if r.grade == "strong") / len(nulls) if nulls else 0.0),
        }

    headline = [r for r in results if r.is_primary]
    confusion: dict[str, dict[str, int]] = {}
    for kind in KINDS:
        counts = Counter(r.grade for r in headline if r.kind == kind)
        if counts:
            confusion[kind] = {g: counts.get(g, 0) for g in ("strong", "moderate", "weak", "inconclusive")}
    adjusted = [r for r in results if r.method != "difference_in_means"]
    return {"headline": scores(headline), "every_design": scores(adjusted), "confusion": confusion}
