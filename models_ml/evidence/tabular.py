"""Effects on a plain table: units, a binary treatment, an outcome and the confounders to adjust for.

:func:`estimate_effect` is the evidence engine's entry point for "did this work?" asked about any
table (customers who got a coupon, stores that were refitted, trainees of a programme). It returns
the same graded record as the daily-panel path (:class:`~models_ml.evidence.estimates.MethodEstimate`
per design: estimate, interval, method, refutations, overlap, grade, reason), with the effect in the
outcome's own units (dollars stay dollars) and every row kept: nothing is logged, nothing dropped.

Designs, each through DoWhy's identify → estimate → refute flow on the confounders given:

- ``regression_adjustment``: linear regression of the outcome on the treatment and the confounders
  (heteroskedasticity-robust HC3 interval). The headline when overlap holds.
- ``propensity_score_weighting`` / ``propensity_score_matching``: the propensity of each unit to be
  treated, from a logistic regression on the standardised confounders (converged, or a warning is
  recorded); bootstrap intervals that re-fit the propensity model on every resample.
- ``regression_adjustment_common_support``: when overlap is poor, the regression on the units whose
  propensity lies inside the other group's range only; its estimand says which units it is about.
- ``difference_in_means``: the baseline that adjusts for nothing, never graded above weak.

Overlap is checked on the confounders actually used (:func:`overlap_diagnostics`): the share of
treated units inside the controls' propensity range, the effective sample size of each group after
weighting, and the largest single weight's share of its group. Poor overlap makes the propensity
designs and the full-sample regression (which would extrapolate) inconclusive with the reason in
words, and the headline falls back to the common-support regression, or to "the data cannot tell".

Refuters run on a fresh copy of the data for every re-fit (see :mod:`models_ml.evidence.dowhy_flow`).
An optional ``placebo_outcome`` (a measure the treatment cannot have moved, such as the outcome
before treatment) adds the placebo-outcome refuter, the one check that can detect confounding left
over after adjustment: a permuted placebo treatment breaks every link by construction and only
shows that the estimator itself invents nothing.

The daily-panel path (:mod:`models_ml.evidence.effects`) runs its propensity designs through
:func:`propensity_design`, the same code as here, on its own log-scale frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
import polars as pl

from models_ml.evidence.dowhy_flow import (
    TREATMENT,
    Refutation,
    identify_and_estimate,
    quiet_numerics,
    refute,
)
from models_ml.evidence.errors import EvidenceInputError
from models_ml.evidence.estimates import (
    MethodEstimate,
    RawEstimate,
    Scale,
    disagrees,
    finish_estimate,
)
from models_ml.evidence.grading import Grade
from models_ml.evidence.records import EvidenceEdge, interval_label, to_json
from models_ml.evidence.settings import EvidenceSettings

REGRESSION = "regression_adjustment"
PS_WEIGHTING = "propensity_score_weighting"
PS_MATCHING = "propensity_score_matching"
COMMON_SUPPORT = "regression_adjustment_common_support"
DIFFERENCE = "difference_in_means"

#: Designs that may be the headline, in order of preference.
TABLE_PRIMARY_ORDER: tuple[str, ...] = (REGRESSION, PS_WEIGHTING, PS_MATCHING, COMMON_SUPPORT)

Estimand = Literal["ate", "att"]
_Y = "outcome"
_ESTIMAND_WORDS = {
    "ate": "average effect over all units",
    "att": "average effect on the treated units",
}


# --------------------------------------------------------------------------------------------
# Propensity and overlap


def propensity_model(settings: EvidenceSettings) -> Any:
    """A logistic regression on standardised features: scaling lets lbfgs converge in few iterations."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=settings.propensity_max_iter))


def fit_propensity(
    features: np.ndarray, treated: np.ndarray, settings: EvidenceSettings
) -> tuple[np.ndarray, dict[str, Any]]:
    """Propensity scores and how the fit went (iterations, converged, a warning when it did not)."""
    model = propensity_model(settings)
    with quiet_numerics(settings):
        model.fit(features, treated.astype(int))
    iterations = int(np.max(model[-1].n_iter_))
    converged = iterations < settings.propensity_max_iter
    info: dict[str, Any] = {"propensity_iterations": iterations, "propensity_converged": converged}
    if not converged:
        info["propensity_warning"] = (
            f"the propensity model did not converge in {settings.propensity_max_iter} iterations"
        )
    return model.predict_proba(features)[:, 1], info


def _weights(ps: np.ndarray, treated: np.ndarray, estimand: str) -> np.ndarray:
    if estimand == "att":
        return np.where(treated, 1.0, ps / (1.0 - ps))
    return np.where(treated, 1.0 / ps, 1.0 / (1.0 - ps))


def _ess(weights: np.ndarray) -> float:
    total = float(weights.sum())
    return total * total / float(np.square(weights).sum()) if total > 0 else 0.0


def overlap_diagnostics(
    ps: np.ndarray, treated: np.ndarray, estimand: str, settings: EvidenceSettings, *, unit: str = "unit"
) -> tuple[dict[str, Any], str | None]:
    """Overlap of treated and untreated units on their propensity, and the problem in words, if any.

    Measures: share of treated units inside the controls' propensity range (and, for the ATE, of
    controls inside the treated range), effective sample size of each group after weighting
    ((sum w)^2 / sum w^2), and the largest single weight's share of its group's total weight.
    """
    ps = np.clip(ps, 1e-12, 1 - 1e-12)
    treated_ps, control_ps = ps[treated], ps[~treated]
    low, high = float(control_ps.min()), float(control_ps.max())
    share_treated = float(np.mean((treated_ps >= low) & (treated_ps <= high)))
    share_control = float(np.mean((control_ps >= treated_ps.min()) & (control_ps <= treated_ps.max())))
    weights = _weights(ps, treated, estimand)
    ess_treated, ess_control = _ess(weights[treated]), _ess(weights[~treated])
    max_share_treated = float(weights[treated].max() / weights[treated].sum())
    max_share_control = float(weights[~treated].max() / weights[~treated].sum())
    diagnostics: dict[str, Any] = {
        "estimand": estimand,
        "share_treated_in_control_range": round(share_treated, 4),
        "share_control_in_treated_range": round(share_control, 4),
        "control_propensity_range": [round(low, 6), round(high, 6)],
        "effective_sample_size_treated": round(ess_treated, 1),
        "effective_sample_size_control": round(ess_control, 1),
        "largest_weight_share_treated": round(max_share_treated, 4),
        "largest_weight_share_control": round(max_share_control, 4),
        "n_treated": int(treated.sum()),
        "n_control": int((~treated).sum()),
    }
    plural = f"{unit}s"
    problems: list[str] = []
    if share_treated < settings.min_overlap_share:
        problems.append(
            f"no overlap: only {share_treated:.0%} of treated {plural} have untreated {plural} "
            f"with a similar chance of being treated (at least {settings.min_overlap_share:.0%} needed)"
        )
    if estimand == "ate" and share_control < settings.min_overlap_share:
        problems.append(
            f"no overlap: only {share_control:.0%} of untreated {plural} have treated {plural} "
            "with a similar chance of being treated, so the effect over all of them cannot be told"
        )
    checked = (("untreated", ess_control, max_share_control),) + (
        (("treated", ess_treated, max_share_treated),) if estimand == "ate" else ()
    )
    for group, ess, max_share in checked:
        if ess < settings.min_effective_sample_size:
            problems.append(
                f"after weighting, the {group} {plural} count as only {ess:.0f} comparable {plural} "
                f"(at least {settings.min_effective_sample_size:g} needed)"
            )
        if max_share > settings.max_weight_share:
            problems.append(
                f"one {group} {unit} carries {max_share:.0%} of its group's weight "
                f"(at most {settings.max_weight_share:.0%} allowed)"
            )
    return diagnostics, "; ".join(problems) or None


def _bootstrap_se(
    run: Any, data: pd.DataFrame, target_units: str, settings: EvidenceSettings
) -> tuple[float, int]:
    """Standard deviation of the estimate over resamples (treated and untreated resampled apart),
    each re-fitting the propensity model on its own fresh copy; returns it and the resample count."""
    rng = np.random.RandomState(settings.random_seed + 17)
    treated_rows = np.flatnonzero(data[TREATMENT].to_numpy())
    control_rows = np.flatnonzero(~data[TREATMENT].to_numpy())
    values = []
    for _ in range(settings.bootstrap_simulations):
        rows = np.concatenate(
            [rng.choice(treated_rows, treated_rows.size), rng.choice(control_rows, control_rows.size)]
        )
        sample = data.iloc[rows].reset_index(drop=True).copy()
        estimator = run.estimate.estimator.get_new_estimator_object(run.estimand)
        estimator.fit(sample)
        values.append(float(estimator.estimate_effect(sample, target_units=target_units).value))
    finite = np.asarray([v for v in values if math.isfinite(v)])
    return (float(finite.std(ddof=1)) if finite.size > 1 else math.nan), int(finite.size)


def propensity_design(
    data: pd.DataFrame,
    outcome: str,
    confounders: Sequence[str],
    method: str,
    estimand: Estimand,
    settings: EvidenceSettings,
    *,
    assumptions: str,
    scale: Scale,
    outcome_sd: float | None = None,
    unit: str = "unit",
    extra_refutations: Sequence[Refutation] = (),
) -> RawEstimate:
    """Propensity-score weighting or matching on ``data`` (a ``treated`` column, the outcome and the
    confounders), with overlap checked on those confounders first."""
    treated = data[TREATMENT].to_numpy().astype(bool)
    raw = RawEstimate(
        method,
        "design",
        assumptions,
        n_treated=int(treated.sum()),
        n_control=int((~treated).sum()),
        scale=scale,
        outcome_sd=outcome_sd,
    )
    features = data[list(confounders)].to_numpy(dtype=float)
    ps, fit_info = fit_propensity(features, treated, settings)
    overlap, problem = overlap_diagnostics(ps, treated, estimand, settings, unit=unit)
    raw.overlap = {**overlap, **fit_info, "confounders": list(confounders)}
    raw.settings = {"propensity_features": list(confounders), **fit_info}
    if problem:
        raw.problem = problem
        return raw
    with quiet_numerics(settings):
        run = identify_and_estimate(
            data,
            outcome,
            list(confounders),
            f"backdoor.{method}",
            target_units=estimand,
            # No clipping at DoWhy's default 0.05/0.95: clipping silently re-weights every unit below
            # 5% (most controls of an observational table) and moves the estimate towards the naive
            # difference; extreme weights are caught by the overlap diagnostics instead.
            method_params={
                "propensity_score_model": propensity_model(settings),
                **({"min_ps_score": 1e-9, "max_ps_score": 1 - 1e-9} if method == PS_WEIGHTING else {}),
            },
        )
        se, resamples = _bootstrap_se(run, data, estimand, settings)
        if not math.isfinite(se) or se <= 0:
            raw.problem = "the bootstrap could not measure the uncertainty of the estimate"
            return raw
        raw.refutations = (
            *refute(run, settings, se),
            *(replace(r, original_effect=run.value) for r in extra_refutations),
        )
    # A t quantile with the resamples' degrees of freedom: the standard error is itself estimated.
    raw.log_effect, raw.log_se, raw.dof = run.value, se, float(max(resamples - 1, 1))
    raw.settings.update(
        {
            "dowhy_method": f"backdoor.{method}",
            "target_units": estimand,
            "bootstrap_simulations": settings.bootstrap_simulations,
            "interval": "bootstrap, propensity re-fitted per resample",
        }
    )
    return raw


# --------------------------------------------------------------------------------------------
# Regression, difference in means, placebo outcome


def _robust_ols(y: np.ndarray, treated: np.ndarray, features: np.ndarray) -> tuple[float, float, float]:
    """Treatment coefficient, its HC3 standard error and residual degrees of freedom."""
    import statsmodels.api as sm

    design = np.column_stack([np.ones(y.size), treated.astype(float), features])
    fit = sm.OLS(y, design).fit(cov_type="HC3")
    return float(fit.params[1]), float(fit.bse[1]), float(max(y.size - design.shape[1], 1))


def _regression(
    data: pd.DataFrame,
    confounders: Sequence[str],
    method: str,
    settings: EvidenceSettings,
    *,
    assumptions: str,
    outcome_sd: float,
    extra_refutations: Sequence[Refutation] = (),
) -> RawEstimate:
    treated = data[TREATMENT].to_numpy().astype(bool)
    raw = RawEstimate(
        method,
        "design",
        assumptions,
        n_treated=int(treated.sum()),
        n_control=int((~treated).sum()),
        scale="absolute",
        outcome_sd=outcome_sd,
    )
    features = data[list(confounders)].to_numpy(dtype=float)
    design = np.column_stack([np.ones(treated.size), treated.astype(float), features])
    if np.linalg.matrix_rank(design) < design.shape[1]:
        raw.problem = (
            "the treatment coincides with a combination of the confounders, so its effect cannot be separated"
        )
        return raw
    _, se, dof = _robust_ols(data[_Y].to_numpy(dtype=float), treated, features)
    with quiet_numerics(settings):
        run = identify_and_estimate(data, _Y, list(confounders), "backdoor.linear_regression")
        raw.refutations = (
            *refute(run, settings, se),
            *(replace(r, original_effect=run.value) for r in extra_refutations),
        )
    raw.log_effect, raw.log_se, raw.dof = run.value, se, dof
    raw.settings = {
        "dowhy_method": "backdoor.linear_regression",
        "interval": "heteroskedasticity-robust (HC3)",
        "confounders": list(confounders),
    }
    return raw


def _difference(data: pd.DataFrame, outcome_sd: float) -> RawEstimate:
    treated = data[TREATMENT].to_numpy().astype(bool)
    y = data[_Y].to_numpy(dtype=float)
    raw = RawEstimate(
        DIFFERENCE,
        "baseline",
        "Treated and untreated units differ in nothing but the treatment (no confounding at all).",
        n_treated=int(treated.sum()),
        n_control=int((~treated).sum()),
        scale="absolute",
        outcome_sd=outcome_sd,
    )
    a, b = y[treated], y[~treated]
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    raw.log_effect = float(a.mean() - b.mean())
    raw.log_se = float(math.sqrt(va + vb))
    denominator = va * va / (a.size - 1) + vb * vb / (b.size - 1)
    raw.dof = float((va + vb) ** 2 / denominator) if denominator > 0 else math.inf
    raw.settings = {"compared": "mean outcome of treated against untreated units"}
    return raw


def placebo_outcome_refutation(
    data: pd.DataFrame, placebo: np.ndarray, confounders: Sequence[str], original: float
) -> Refutation:
    """The "effect" of the treatment on an outcome it cannot have moved, adjusted for the same
    confounders by regression (for every design: one check of what the confounders leave behind).

    Fails when that effect is significant at 5% (HC3 interval):
    then the confounders given leave a difference between the groups that the treatment did not make.
    """
    from scipy import stats

    treated = data[TREATMENT].to_numpy().astype(bool)
    coef, se, dof = _robust_ols(placebo, treated, data[list(confounders)].to_numpy(dtype=float))
    p_value = float(2.0 * stats.t.sf(abs(coef) / se, dof)) if se > 0 else (1.0 if coef == 0 else 0.0)
    return Refutation(
        name="placebo_outcome",
        original_effect=original,
        new_effect=coef,
        p_value=p_value,
        passed=p_value > 0.05,
        num_simulations=1,
    )


# --------------------------------------------------------------------------------------------
# The record


@dataclass(frozen=True)
class TableEffect:
    """Every design's estimate of one treatment's effect on one outcome in a plain table.

    The same record as an intervention's (:class:`~models_ml.evidence.effects.InterventionEffect`):
    a headline ``primary``, the ``cross_checks`` and the unadjusted baseline; effects in the
    outcome's own units.
    """

    treatment: str
    outcome: str
    estimand: Estimand
    primary: MethodEstimate
    cross_checks: tuple[MethodEstimate, ...]
    naive: MethodEstimate
    n_units: int

    @property
    def grade(self) -> Grade:
        return self.primary.grade

    @property
    def naive_before_after(self) -> MethodEstimate:
        """The unadjusted baseline, under the name the panel record uses."""
        return self.naive

    def estimates(self) -> tuple[MethodEstimate, ...]:
        return (self.primary, *self.cross_checks, self.naive)

    def _explanation(self, estimate: MethodEstimate) -> str:
        what = f"{self.treatment.replace('_', ' ')} changed {self.outcome.replace('_', ' ')}"
        if not estimate.is_conclusive:
            return f"Cannot tell whether {what.replace(' changed ', ' moved ')}: {estimate.reason}."
        assert estimate.estimate is not None and estimate.ci_low is not None and estimate.ci_high is not None
        sentence = (
            f"{what[0].upper()}{what[1:]} by {estimate.estimate:+,.4g} on average "
            f"({interval_label(estimate.settings['alpha'])} "
            f"{estimate.ci_low:+,.4g} to {estimate.ci_high:+,.4g}), "
            f"graded {estimate.grade}"
        )
        return sentence + (f" ({estimate.note})." if estimate.note else ".")

    def _edge(self, tenant_id: str, estimate: MethodEstimate, *, is_primary: bool) -> EvidenceEdge:
        settings = {
            **estimate.settings,
            "estimand": self.estimand,
            "n_units": self.n_units,
            "n_treated_units": estimate.n_treated,
            "n_control_units": estimate.n_control,
        }
        return EvidenceEdge(
            tenant_id=tenant_id,
            cause=self.treatment,
            effect=self.outcome,
            method=estimate.method,
            estimand=(
                f"{_ESTIMAND_WORDS[self.estimand]} of {self.treatment} on {self.outcome}, in its own units"
            ),
            estimate=estimate.estimate,
            ci_low=estimate.ci_low,
            ci_high=estimate.ci_high,
            p_value=estimate.p_value,
            refutations=to_json([r.as_dict() for r in estimate.refutations]),
            grade=estimate.grade,
            assumptions=estimate.assumptions,
            reason=estimate.reason if not estimate.is_conclusive else None,
            explanation=self._explanation(estimate),
            settings=to_json(settings),
            is_primary=is_primary,
        )

    def to_edges(self, tenant_id: str) -> list[EvidenceEdge]:
        """The primary edge, plus the conclusive cross-checks when the primary is conclusive."""
        edges = [self._edge(tenant_id, self.primary, is_primary=True)]
        if self.primary.is_conclusive:
            edges.extend(
                self._edge(tenant_id, check, is_primary=False)
                for check in self.cross_checks
                if check.is_conclusive
            )
        return edges


# --------------------------------------------------------------------------------------------
# Input checks


def _to_pandas(data: Any) -> pd.DataFrame:
    if isinstance(data, pl.DataFrame):
        return data.to_pandas()
    if isinstance(data, pd.DataFrame):
        return data.reset_index(drop=True)
    raise EvidenceInputError(f"data must be a polars or pandas DataFrame, got {type(data).__name__}")


def _numeric(frame: pd.DataFrame, column: str, role: str) -> np.ndarray:
    series = frame[column]
    if series.dtype == bool:
        return series.to_numpy(dtype=float)
    if not pd.api.types.is_numeric_dtype(series):
        raise EvidenceInputError(f"data.{column} ({role}) must be numeric, got {series.dtype}")
    values = series.to_numpy(dtype=float)
    missing = int((~np.isfinite(values)).sum())
    if missing:
        raise EvidenceInputError(
            f"data.{column} ({role}) has {missing} missing or non-finite values; "
            "fill or remove those rows first"
        )
    return values


def _confounder_columns(frame: pd.DataFrame, confounders: Sequence[str]) -> dict[str, np.ndarray]:
    """Numeric confounders as they are; text or categorical ones as 0/1 columns (first level dropped)."""
    columns: dict[str, np.ndarray] = {}
    for name in confounders:
        series = frame[name]
        if pd.api.types.is_numeric_dtype(series) or series.dtype == bool:
            columns[name] = _numeric(frame, name, "confounder")
            continue
        if series.isna().any():
            raise EvidenceInputError(
                f"data.{name} (confounder) has {int(series.isna().sum())} missing values; "
                "fill or remove them first"
            )
        levels = sorted(series.astype(str).unique())
        for level in levels[1:]:
            columns[f"{name}={level}"] = (series.astype(str) == level).to_numpy(dtype=float)
    return columns


def _validated(
    data: Any,
    treatment: str,
    outcome: str,
    confounders: Sequence[str],
    estimand: str,
    placebo_outcome: str | None,
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray | None]:
    frame = _to_pandas(data)
    if estimand not in ("ate", "att"):
        raise EvidenceInputError(f"estimand must be 'ate' or 'att', got {estimand!r}")
    if isinstance(confounders, str):
        raise EvidenceInputError("confounders must be a list of column names, not one string")
    if frame.shape[0] == 0:
        raise EvidenceInputError("data has no rows")
    named = [treatment, outcome, *confounders, *([placebo_outcome] if placebo_outcome else [])]
    missing = [name for name in named if name not in frame.columns]
    if missing:
        raise EvidenceInputError(f"data has no column {missing[0]!r} (columns: {list(frame.columns)})")
    if treatment == outcome or treatment in confounders or outcome in confounders:
        raise EvidenceInputError("treatment, outcome and confounders must be different columns")
    if len(set(confounders)) != len(confounders):
        raise EvidenceInputError(f"confounders name a column twice: {list(confounders)}")
    raw_treatment = _numeric(frame, treatment, "treatment")
    if not np.all(np.isin(raw_treatment, (0.0, 1.0))):
        raise EvidenceInputError(f"data.{treatment} (treatment) must hold only 0 and 1 (or True and False)")
    y = _numeric(frame, outcome, "outcome")
    placebo = _numeric(frame, placebo_outcome, "placebo outcome") if placebo_outcome else None
    return raw_treatment == 1.0, y, _confounder_columns(frame, confounders), placebo


# --------------------------------------------------------------------------------------------
# Entry point


def estimate_effect(
    data: pl.DataFrame | pd.DataFrame,
    treatment: str,
    outcome: str,
    confounders: Sequence[str],
    estimand: Estimand = "ate",
    *,
    placebo_outcome: str | None = None,
    settings: EvidenceSettings | None = None,
) -> TableEffect:
    """Effect of a binary ``treatment`` on ``outcome`` in a plain table, adjusted for ``confounders``.

    ``estimand`` is "ate" (average over all units) or "att" (average over the treated units).
    ``confounders`` are columns that drive both who was treated and the outcome, measured before
    the treatment (never a consequence of it); text columns become 0/1 columns per level.
    ``placebo_outcome`` names a column the treatment cannot have moved (the outcome before
    treatment) for the placebo-outcome refuter. Raises :class:`EvidenceInputError` naming the column
    and the problem for malformed input; data that cannot answer gives "inconclusive" with a reason.
    """
    settings = settings or EvidenceSettings()
    treated, y, columns, placebo = _validated(
        data, treatment, outcome, confounders, estimand, placebo_outcome
    )
    # Plain internal names: DoWhy builds a graph and formulas from column names.
    names = {f"x{index}": name for index, name in enumerate(columns)}
    frame = pd.DataFrame({TREATMENT: treated, _Y: y, **{k: columns[v] for k, v in names.items()}})
    keys = list(names)
    outcome_sd = float(np.std(y, ddof=1)) if y.size > 1 else 0.0
    n_treated, n_control = int(treated.sum()), int((~treated).sum())
    confounder_words = ", ".join(confounders) or "nothing"
    adjusted = (
        f"Once {confounder_words} are accounted for, treated and untreated units are comparable "
        "(no unmeasured confounding)"
    )

    raws: dict[str, RawEstimate] = {}
    problem = None
    if min(n_treated, n_control) < settings.min_group_units:
        problem = (
            f"only {n_treated} treated and {n_control} untreated units "
            f"(at least {settings.min_group_units} of each needed)"
        )
    elif outcome_sd <= 0:
        problem = f"{outcome} takes one value only, so no effect can be measured on it"
    elif not keys:
        problem = "no confounders given: an adjusted estimate needs the causes of who was treated"

    if problem is None:
        extra: tuple[Refutation, ...] = ()
        if placebo is not None:
            extra = (placebo_outcome_refutation(frame, placebo, keys, 0.0),)
        ps, fit_info = fit_propensity(frame[keys].to_numpy(dtype=float), treated, settings)
        overlap, overlap_problem = overlap_diagnostics(ps, treated, estimand, settings)
        regression_assumptions = (
            f"{adjusted}, {outcome} depends linearly on them, and the effect is the same for every unit."
        )
        if overlap_problem:
            raws[REGRESSION] = RawEstimate(
                REGRESSION,
                "design",
                regression_assumptions,
                n_treated,
                n_control,
                problem=f"the regression would extrapolate beyond comparable units: {overlap_problem}",
                scale="absolute",
                outcome_sd=outcome_sd,
                overlap={**overlap, **fit_info},
            )
        else:
            raws[REGRESSION] = _regression(
                frame,
                keys,
                REGRESSION,
                settings,
                assumptions=regression_assumptions,
                outcome_sd=outcome_sd,
                extra_refutations=extra,
            )
            raws[REGRESSION].overlap = {**overlap, **fit_info}
        ps_assumptions = (
            f"{adjusted}, and every treated unit has untreated units with a similar chance of being treated "
            "(overlap)."
        )
        for method in (PS_WEIGHTING, PS_MATCHING):
            raws[method] = propensity_design(
                frame,
                _Y,
                keys,
                method,
                estimand,
                settings,
                assumptions=ps_assumptions,
                scale="absolute",
                outcome_sd=outcome_sd,
                extra_refutations=extra,
            )
        if overlap_problem:
            raws[COMMON_SUPPORT] = _common_support(
                frame,
                keys,
                ps,
                settings,
                assumptions=regression_assumptions,
                outcome_sd=outcome_sd,
                placebo=placebo,
            )
        for raw in raws.values():
            raw.settings["confounders"] = list(confounders)
        raws[DIFFERENCE] = _difference(frame, outcome_sd)
    else:
        no_estimate = "No estimate: the data cannot answer (see reason)."
        raws[REGRESSION] = RawEstimate(
            REGRESSION, "design", no_estimate, n_treated, n_control, problem=problem, scale="absolute"
        )
        raws[DIFFERENCE] = RawEstimate(
            DIFFERENCE, "baseline", no_estimate, n_treated, n_control, problem=problem, scale="absolute"
        )

    finished = grade_designs(raws, TABLE_PRIMARY_ORDER, DIFFERENCE, settings)
    primary_name = next(iter(finished))
    primary = finished.pop(primary_name)
    naive = finished.pop(DIFFERENCE)
    if not primary.is_conclusive and problem is None:
        reasons = [f"{m}: {e.reason}" for m, e in finished.items() if e.reason and e.reason != primary.reason]
        primary = _with_reason(primary, "the data cannot tell", reasons)
    return TableEffect(
        treatment=treatment,
        outcome=outcome,
        estimand=estimand,
        primary=primary,
        cross_checks=tuple(finished.values()),
        naive=naive,
        n_units=int(treated.size),
    )


def _with_reason(primary: MethodEstimate, lead: str, reasons: Sequence[str]) -> MethodEstimate:
    text = f"{lead}: {primary.reason}" + ("; " + "; ".join(reasons) if reasons else "")
    return replace(primary, reason=text)


def _common_support(
    frame: pd.DataFrame,
    keys: Sequence[str],
    ps: np.ndarray,
    settings: EvidenceSettings,
    *,
    assumptions: str,
    outcome_sd: float,
    placebo: np.ndarray | None = None,
) -> RawEstimate:
    """The regression on the units whose propensity lies inside the other group's range."""
    treated = frame[TREATMENT].to_numpy().astype(bool)
    control_ps, treated_ps = ps[~treated], ps[treated]
    keep = np.where(
        treated,
        (ps >= control_ps.min()) & (ps <= control_ps.max()),
        (ps >= treated_ps.min()) & (ps <= treated_ps.max()),
    )
    kept = frame[keep].reset_index(drop=True)
    kept_treated = int(kept[TREATMENT].sum())
    kept_control = int(kept.shape[0] - kept_treated)
    support_assumptions = (
        f"{assumptions} The effect is the one on the {kept_treated} treated and {kept_control} "
        "untreated units with comparable counterparts, not on every unit."
    )
    if min(kept_treated, kept_control) < settings.min_group_units:
        return RawEstimate(
            COMMON_SUPPORT,
            "design",
            support_assumptions,
            kept_treated,
            kept_control,
            problem=(
                f"only {kept_treated} treated and {kept_control} untreated units have comparable "
                f"counterparts (at least {settings.min_group_units} of each needed)"
            ),
            scale="absolute",
            outcome_sd=outcome_sd,
        )
    extra = () if placebo is None else (placebo_outcome_refutation(kept, placebo[keep], keys, 0.0),)
    raw = _regression(
        kept,
        keys,
        COMMON_SUPPORT,
        settings,
        assumptions=support_assumptions,
        outcome_sd=outcome_sd,
        extra_refutations=extra,
    )
    raw.settings.update(
        {
            "units_kept": int(keep.sum()),
            "treated_units_dropped": int((treated & ~keep).sum()),
            "control_units_dropped": int((~treated & ~keep).sum()),
        }
    )
    return raw


def grade_designs(
    raws: dict[str, RawEstimate],
    primary_order: Sequence[str],
    baseline: str,
    settings: EvidenceSettings,
) -> dict[str, MethodEstimate]:
    """Grade every design; the headline is the first of ``primary_order`` that could estimate.

    Returns the graded designs with the headline first. The headline is moderate at best when a
    cross-check's interval disagrees with it; a cross-check that disagrees with the headline is too.
    """
    primary_name = next(
        (m for m in primary_order if m in raws and raws[m].problem is None),
        next(m for m in primary_order if m in raws),
    )
    primary_interval = raws[primary_name].log_interval(settings.alpha)
    finished: dict[str, MethodEstimate] = {}
    for method in [primary_name, *(m for m in raws if m != primary_name)]:
        raw = raws[method]
        interval = raw.log_interval(settings.alpha)
        disagree = False
        if method == primary_name:
            disagree = any(
                disagrees(interval, other.log_interval(settings.alpha), raw.log_effect)
                for name, other in raws.items()
                if name not in (primary_name, baseline)
            )
        elif method != baseline:
            disagree = disagrees(primary_interval, interval, raw.log_effect)
        finished[method] = finish_estimate(raw, disagree, settings)
    return finished
