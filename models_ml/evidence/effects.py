"""Effects of recorded interventions on a tenant's metrics, with intervals, refuters and grades.

For each intervention (promotion, price, staffing or marketing change) the engine estimates the
relative change of its target metric on the treated days (0.10 = +10%) with several designs,
each through DoWhy's identify → estimate → refute flow on the log of the metric:

- ``its_seasonal_regression`` (interrupted time series): backdoor adjustment by linear
  regression for weekday, a yearly season (sine/cosine pairs), a linear trend, the other recorded
  interventions and any declared confounders. Needs untreated days at the same time of year in
  another year, or the season and the intervention cannot be told apart.
- ``synthetic_control`` against peer tenants: non-negative weights summing to one fitted on the
  pre-period; the gap between the tenant and its synthetic peer is regressed on the treatment,
  weekday, trend and the other interventions (difference in differences against peers).
- ``did_comparable_periods``: difference in differences against the same weeks of earlier years
  (shifted by 364 days so weekdays line up): the change from the weeks before to the window,
  this year minus earlier years.
- ``propensity_score_weighting`` / ``propensity_score_matching``: backdoor adjustment by the
  propensity of a day to be treated (weekday, month, trend, other interventions, declared
  confounders), through the plain-table path's :func:`~models_ml.evidence.tabular.propensity_design`:
  only where treated days have comparable untreated days on those features (overlap: share of
  treated days inside the controls' propensity range, effective sample size after weighting, the
  largest weight's share), as with scattered flash sales.
- ``naive_before_after``: the days just before against the first treated days. A baseline, never
  graded above weak; reported so an owner sees what a simple comparison would have claimed.

Intervals. Daily residuals are autocorrelated and the yearly season is itself estimated, so the
ordinary regression interval is too narrow for contiguous windows. For those, the standard error
is calibrated on placebo windows: windows of the same length, shifted by whole weeks into
untreated time, are added to the same regression one at a time; the ratio of the spread of their
"effects" to their nominal standard errors inflates the real one, and the t quantile uses the
number of independent placebo windows as degrees of freedom. Scattered treated days use
Newey-West (HAC) errors. Propensity-score intervals come from a bootstrap that re-fits the
propensity model on every resample.

Refuters: DoWhy's placebo treatment (permuted), random common cause and data subset, each with
``settings.refuter_simulations`` re-estimates (20 by default), each on a fresh copy of the data.
The grade follows the rule of :mod:`models_ml.evidence.grading`; a contiguous window whose weeks of
the year were never seen untreated before it is weak at most (:func:`season_seen_only_after`). The
headline (primary) design is the first conclusive one of seasonal regression, synthetic control and
comparable periods, chosen by :func:`~models_ml.evidence.tabular.grade_designs` as on a plain table;
the others are cross-checks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
from scipy import optimize

from models_ml.evidence.dowhy_flow import (
    TREATMENT,
    identify_and_estimate,
    quiet_numerics,
    refute,
)
from models_ml.evidence.errors import EvidenceInputError
from models_ml.evidence.estimates import MethodEstimate
from models_ml.evidence.estimates import RawEstimate as _Raw
from models_ml.evidence.grading import Grade
from models_ml.evidence.panel import (
    Intervention,
    calendar_controls,
    seasonal_coverage,
    treated_mask,
    validate_panel,
    validate_peers,
)
from models_ml.evidence.records import EvidenceEdge, interval_label, to_json
from models_ml.evidence.settings import EvidenceSettings
from models_ml.evidence.tabular import grade_designs, propensity_design

ITS = "its_seasonal_regression"
SYNTHETIC_CONTROL = "synthetic_control"
COMPARABLE_PERIODS = "did_comparable_periods"
PS_WEIGHTING = "propensity_score_weighting"
PS_MATCHING = "propensity_score_matching"
NAIVE = "naive_before_after"

#: Designs that may be the headline, in order of preference.
PRIMARY_ORDER: tuple[str, ...] = (ITS, SYNTHETIC_CONTROL, COMPARABLE_PERIODS)

OUTCOME = "log_y"
SCATTERED_RUN_DAYS = 3.0  # mean run of treated days below this: scattered days, not a window


@dataclass(frozen=True)
class InterventionEffect:
    """All designs' estimates of one intervention's effect on its target metric."""

    intervention: Intervention
    metric: str
    primary: MethodEstimate
    cross_checks: tuple[MethodEstimate, ...]
    naive_before_after: MethodEstimate

    @property
    def grade(self) -> Grade:
        return self.primary.grade

    def estimates(self) -> tuple[MethodEstimate, ...]:
        return (self.primary, *self.cross_checks, self.naive_before_after)

    def to_edges(self, tenant_id: str) -> list[EvidenceEdge]:
        """The primary edge, plus the conclusive cross-checks when the primary is conclusive.

        The naive before/after number rides in the primary's settings so the console can show what
        a simple comparison would have claimed; an inconclusive row carries no number at all.
        """
        if not self.primary.is_conclusive:
            return [_edge(tenant_id, self, self.primary, is_primary=True)]
        naive = self.naive_before_after
        naive_summary = {
            "estimate": naive.estimate,
            "ci_low": naive.ci_low,
            "ci_high": naive.ci_high,
            "grade": naive.grade,
        }
        edges = [
            _edge(tenant_id, self, self.primary, is_primary=True, extra={"naive_before_after": naive_summary})
        ]
        edges.extend(
            _edge(tenant_id, self, check, is_primary=False)
            for check in self.cross_checks
            if check.is_conclusive
        )
        return edges


def _explanation(effect: InterventionEffect, estimate: MethodEstimate) -> str:
    name = effect.intervention.name.replace("_", " ")
    if not estimate.is_conclusive:
        return f"Cannot tell whether {name} moved {effect.metric}: {estimate.reason}."
    assert estimate.estimate is not None and estimate.ci_low is not None and estimate.ci_high is not None
    sentence = (
        f"{name.capitalize()} changed {effect.metric} by {estimate.estimate:+.1%} on the days it ran "
        f"({interval_label(estimate.settings['alpha'])} {estimate.ci_low:+.1%} to {estimate.ci_high:+.1%}), "
        f"graded {estimate.grade}"
    )
    return sentence + (f" ({estimate.note})." if estimate.note else ".")


def _edge(
    tenant_id: str,
    effect: InterventionEffect,
    estimate: MethodEstimate,
    *,
    is_primary: bool,
    extra: Mapping[str, Any] | None = None,
) -> EvidenceEdge:
    intervention = effect.intervention
    settings = {
        **estimate.settings,
        "kind": intervention.kind,
        "start": intervention.start.isoformat(),
        "end": None if intervention.end is None else intervention.end.isoformat(),
        "n_treated_days": estimate.n_treated,
        "n_control_days": estimate.n_control,
        **(extra or {}),
    }
    return EvidenceEdge(
        tenant_id=tenant_id,
        cause=intervention.name,
        effect=effect.metric,
        method=estimate.method,
        estimand=f"relative change in {effect.metric} on the days {intervention.name} was in effect",
        estimate=estimate.estimate,
        ci_low=estimate.ci_low,
        ci_high=estimate.ci_high,
        p_value=estimate.p_value,
        refutations=to_json([r.as_dict() for r in estimate.refutations]),
        grade=estimate.grade,
        assumptions=estimate.assumptions,
        reason=estimate.reason if not estimate.is_conclusive else None,
        explanation=_explanation(effect, estimate),
        settings=to_json(settings),
        is_primary=is_primary,
    )


# --------------------------------------------------------------------------------------------
# Raw estimates (log scale) before grading


@dataclass(frozen=True)
class TreatmentFrame:
    """The target metric on days where it is positive, with every intervention's treated days."""

    days: list[date]
    log_y: np.ndarray
    treated: np.ndarray
    others: dict[str, np.ndarray]
    other_windows: np.ndarray  # days of other interventions with an end date (promotions, pushes)
    confounders: dict[str, np.ndarray]
    dropped_days: int

    @property
    def n(self) -> int:
        return len(self.days)

    @property
    def scattered(self) -> bool:
        return mean_run_length(self.treated) < SCATTERED_RUN_DAYS

    @property
    def first_treated(self) -> int:
        return int(np.flatnonzero(self.treated)[0])


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the runs of True in a boolean array."""
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def mean_run_length(mask: np.ndarray) -> float:
    runs = _runs(mask)
    return float(np.mean([stop - start for start, stop in runs])) if runs else 0.0


def prepare_frame(
    panel: pl.DataFrame,
    intervention: Intervention,
    others: Sequence[Intervention],
    confounders: Sequence[str],
) -> TreatmentFrame:
    metric = intervention.target_metric
    values = panel[metric].cast(pl.Float64).to_numpy()
    # Closed days (zero or missing) say nothing about a relative effect: they are left out.
    keep = np.isfinite(values) & (values > 0)
    kept = panel.filter(pl.Series(keep))
    other_masks: dict[str, np.ndarray] = {}
    other_windows = np.zeros(kept.height, dtype=bool)
    treated = treated_mask(kept, intervention)
    if intervention.evaluation_days is not None:
        cutoff = intervention.start + timedelta(days=intervention.evaluation_days)
        later = treated & (kept["ds"] >= cutoff).to_numpy()
        treated = treated & ~later
        if later.any():
            # Still treated, but outside the window the estimate is about: its own control column.
            other_masks[f"{intervention.name} after evaluation"] = later.astype(float)
            other_windows |= later
    for other in others:
        if other.name == intervention.name:
            continue
        mask = treated_mask(kept, other)
        if other.end is not None and mean_run_length(mask) >= SCATTERED_RUN_DAYS:
            other_windows |= mask
        if mask.any() and not mask.all():
            other_masks[other.name] = mask.astype(float)
    confounder_values = {name: kept[name].cast(pl.Float64).fill_null(0.0).to_numpy() for name in confounders}
    return TreatmentFrame(
        days=kept["ds"].to_list(),
        log_y=np.log(values[keep]),
        treated=treated,
        others=other_masks,
        other_windows=other_windows & ~treated,
        confounders=confounder_values,
        dropped_days=int((~keep).sum()),
    )


def data_problem(frame: TreatmentFrame, intervention: Intervention, settings: EvidenceSettings) -> str | None:
    """Why no design can estimate the effect at all, or None."""
    n_treated = int(frame.treated.sum())
    period = f"{intervention.start} to {intervention.end or 'now'}"
    if n_treated == 0:
        return (
            f"no day with {intervention.target_metric} data falls in {intervention.name}'s period ({period})"
        )
    if n_treated < settings.min_treated_days:
        return f"only {n_treated} treated days (at least {settings.min_treated_days} needed)"
    if frame.scattered:
        n_control = int((~frame.treated).sum())
        if n_control < settings.min_pre_days:
            return f"only {n_control} untreated days (at least {settings.min_pre_days} needed)"
    else:
        pre_days = frame.first_treated - int(frame.treated[: frame.first_treated].sum())
        if pre_days < settings.min_pre_days:
            return (
                f"only {pre_days} untreated days before {intervention.name} "
                f"(at least {settings.min_pre_days} needed)"
            )
    return None


def season_seen_only_after(
    frame: TreatmentFrame, intervention: Intervention, settings: EvidenceSettings
) -> str | None:
    """Why no design may grade a contiguous window above weak when its time of year was never seen
    untreated before it, or None.

    Then every design learns the season of those weeks from the months after the intervention, where
    its lasting effects (customers won by a promotion who stay) may already be: the estimate cannot be
    checked against earlier history. Measured on the demo: a four-week autumn promotion in the first
    autumn of a café's history was estimated at +28% (95% interval +11% to +48%) against a true +9.6%
    by both the seasonal regression and propensity weighting. Scattered days are exempt: their
    untreated days share the same weeks.
    """
    if frame.scattered:
        return None
    first = frame.first_treated
    rows = np.concatenate([np.arange(first), np.flatnonzero(frame.treated)])
    before = seasonal_coverage(
        [frame.days[i] for i in rows], frame.treated[rows], match_days=settings.seasonal_match_days
    )
    if before >= settings.min_overlap_share:
        return None
    return (
        f"the same weeks of the year were never seen without {intervention.name} before it "
        f"(only {before:.0%} of its days have untreated days at the same time of an earlier year), so their "
        "season is learned from later months, where lasting effects of it may already be"
    )


# --------------------------------------------------------------------------------------------
# Interval calibration


@dataclass(frozen=True)
class _Interval:
    se: float
    dof: float
    info: dict[str, Any]
    problem: str | None = None


def _calibrated_interval(
    design: np.ndarray,
    y: np.ndarray,
    treated: np.ndarray,
    blocked: np.ndarray,
    settings: EvidenceSettings,
) -> _Interval:
    """Standard error of the treatment coefficient (column 1 of ``design``) and its t degrees of freedom.

    Contiguous treatment: the nominal OLS error inflated by placebo windows of the same length
    placed in untreated time (see the module docstring). Scattered treatment: Newey-West errors.
    """
    n, k = design.shape
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    scale = float(resid @ resid) / max(n - k, 1)
    gram_inv = np.linalg.pinv(design.T @ design)
    nominal_se = math.sqrt(scale * gram_inv[1, 1])
    if mean_run_length(treated) < SCATTERED_RUN_DAYS:
        import statsmodels.api as sm

        fit = sm.OLS(y, design).fit(cov_type="HAC", cov_kwds={"maxlags": settings.hac_max_lags})
        return _Interval(
            float(fit.bse[1]), math.inf, {"interval": "newey_west", "maxlags": settings.hac_max_lags}
        )

    window = int(min(round(mean_run_length(treated)), settings.placebo_max_window_days))
    first = int(np.flatnonzero(treated)[0])
    starts = [s for s in range(first % 7, n - window + 1, 7) if not blocked[s : s + window].any()]
    independent = len(starts) * 7.0 / window
    info: dict[str, Any] = {
        "interval": "placebo_calibrated",
        "placebo_windows": len(starts),
        "placebo_window_days": window,
        "independent_placebo_windows": round(independent, 1),
    }
    if independent < settings.min_placebo_windows:
        return _Interval(
            nominal_se,
            math.inf,
            info,
            problem=(
                f"too little untreated history to calibrate the interval: {independent:.1f} independent "
                f"{window}-day stretches (at least {settings.min_placebo_windows:g} needed)"
            ),
        )
    placebo = np.zeros((n, len(starts)))
    for column, start in enumerate(starts):
        placebo[start : start + window, column] = 1.0
    placebo_resid = placebo - design @ np.linalg.lstsq(design, placebo, rcond=None)[0]
    denominators = (placebo_resid * placebo_resid).sum(axis=0)
    usable = denominators > 1e-9
    placebo_effects = (placebo_resid[:, usable].T @ resid) / denominators[usable]
    inflation = float(np.mean(placebo_effects**2) / np.mean(scale / denominators[usable]))
    info["variance_inflation"] = round(inflation, 3)
    info["placebo_effect_sd"] = float(np.sqrt(np.mean(placebo_effects**2)))
    return _Interval(nominal_se * math.sqrt(max(1.0, inflation)), max(independent - 1.0, 1.0), info)


# --------------------------------------------------------------------------------------------
# Designs


def _its(frame: TreatmentFrame, intervention: Intervention, settings: EvidenceSettings) -> _Raw:
    metric = intervention.target_metric
    raw = _Raw(
        ITS,
        "design",
        (
            f"Without {intervention.name}, log {metric} would "
            "have followed the weekday pattern, yearly season "
            "and linear trend seen on untreated days, apart from "
            "the other recorded interventions and declared "
            "confounders; nothing unrecorded that moves it changed at the same time; the effect is the same "
            "on every treated day."
        ),
        n_treated=int(frame.treated.sum()),
        n_control=int((~frame.treated).sum()),
    )
    coverage = seasonal_coverage(frame.days, frame.treated, match_days=settings.seasonal_match_days)
    raw.settings = {
        "yearly_harmonics": settings.yearly_harmonics,
        "seasonal_coverage": round(coverage, 3),
        "controls": ["weekday", "yearly_season", "trend", *sorted(frame.others), *sorted(frame.confounders)],
    }
    if coverage < settings.min_overlap_share:
        raw.problem = (
            f"only {coverage:.0%} of treated days have untreated days at the same time of year in another "
            "year, so the yearly season cannot be told apart from the intervention"
        )
        return raw
    controls = calendar_controls(pl.Series("ds", frame.days), yearly_harmonics=settings.yearly_harmonics)
    columns = {name: controls[name].to_numpy() for name in controls.columns}
    for index, name in enumerate(sorted(frame.others)):
        columns[f"other_{index}"] = frame.others[name]
    for index, name in enumerate(sorted(frame.confounders)):
        columns[f"confounder_{index}"] = frame.confounders[name]
    return _regression_design(
        raw, frame.log_y, frame.treated, columns, frame.treated | frame.other_windows, settings
    )


_NOT_SEPARABLE = (
    "the treated days coincide with other recorded changes or with the calendar, "
    "so their effects cannot be separated"
)


def _separable(design: np.ndarray) -> bool:
    """Whether the treatment (column 1) varies beyond what the other columns explain."""
    treated = design[:, 1]
    controls = np.delete(design, 1, axis=1)
    fitted = controls @ np.linalg.lstsq(controls, treated, rcond=None)[0]
    return float(np.sum((treated - fitted) ** 2)) >= 1e-6 * max(1.0, float(treated.sum()))


def _regression_design(
    raw: _Raw,
    outcome: np.ndarray,
    treated: np.ndarray,
    columns: dict[str, np.ndarray],
    blocked: np.ndarray,
    settings: EvidenceSettings,
) -> _Raw:
    """Shared by the regression designs: separability check, DoWhy flow, calibrated interval, refuters."""
    names = list(columns)
    design = np.column_stack([np.ones(outcome.size), treated.astype(float), *columns.values()])
    if not _separable(design):
        raw.problem = _NOT_SEPARABLE
        return raw
    interval = _calibrated_interval(design, outcome, treated, blocked, settings)
    raw.settings.update(interval.info)
    if interval.problem:
        raw.problem = interval.problem
        return raw
    data = pd.DataFrame({TREATMENT: treated.astype(bool), OUTCOME: outcome, **columns})
    with quiet_numerics(settings):
        run = identify_and_estimate(data, OUTCOME, names, "backdoor.linear_regression")
        raw.refutations = refute(run, settings, interval.se)
    raw.log_effect, raw.log_se, raw.dof = run.value, interval.se, interval.dof
    raw.settings.update(
        {"dowhy_method": "backdoor.linear_regression", "identification": "maximal-adjustment"}
    )
    return raw


def _synthetic_control(
    frame: TreatmentFrame,
    intervention: Intervention,
    peers: Mapping[str, pl.DataFrame],
    settings: EvidenceSettings,
) -> _Raw:
    metric = intervention.target_metric
    raw = _Raw(
        SYNTHETIC_CONTROL,
        "design",
        (
            f"The peer tenants were not affected by {intervention.name} and, weighted to match this business "
            f"before it, would have moved like its {metric} without it; the remaining gap follows a weekday "
            "pattern and a linear trend."
        ),
        n_treated=int(frame.treated.sum()),
        n_control=int((~frame.treated).sum()),
    )
    tenant = pl.DataFrame(
        {"ds": pl.Series(frame.days, dtype=pl.Date), OUTCOME: frame.log_y, "row": np.arange(frame.n)}
    )
    joined = tenant
    peer_ids: list[str] = []
    for peer_id, peer in sorted(peers.items()):
        values = peer.select("ds", pl.col(metric).cast(pl.Float64).alias(f"peer_{len(peer_ids)}"))
        values = values.filter(pl.col(f"peer_{len(peer_ids)}") > 0)
        joined = joined.join(values.with_columns(pl.col(f"peer_{len(peer_ids)}").log()), on="ds", how="inner")
        peer_ids.append(peer_id)
    if len(peer_ids) < 2:
        raw.problem = "fewer than two peer tenants to build a synthetic control from"
        return raw
    rows = joined["row"].to_numpy()
    treated = frame.treated[rows]
    blocked = (frame.treated | frame.other_windows)[rows]
    y = joined[OUTCOME].to_numpy()
    peer_matrix = joined.select([f"peer_{i}" for i in range(len(peer_ids))]).to_numpy()
    if treated.sum() < settings.min_treated_days:
        raw.problem = "too few treated days overlap with the peers' data"
        return raw
    first = int(np.flatnonzero(treated)[0])
    before = (
        np.arange(y.size) < first if mean_run_length(treated) >= SCATTERED_RUN_DAYS else np.ones(y.size, bool)
    )
    fit_rows = before & ~blocked & ~treated
    if fit_rows.sum() < settings.min_pre_days:
        raw.problem = (
            f"only {int(fit_rows.sum())} untreated days before {intervention.name} shared with the peers "
            f"(at least {settings.min_pre_days} needed)"
        )
        return raw
    target = y[fit_rows] - y[fit_rows].mean()
    donors = peer_matrix[fit_rows] - peer_matrix[fit_rows].mean(axis=0)
    # Non-negative weights that sum to one: NNLS with a heavily weighted sum-to-one row.
    penalty = 1e3 * max(1.0, float(np.abs(donors).max()))
    weights, _ = optimize.nnls(
        np.vstack([donors, penalty * np.ones(len(peer_ids))]), np.concatenate([target, [penalty]])
    )
    weights = weights / weights.sum() if weights.sum() > 0 else np.full(len(peer_ids), 1.0 / len(peer_ids))
    residual = target - donors @ weights
    r_squared = 1.0 - float(residual @ residual) / float(target @ target)
    raw.settings = {
        "peer_weights": {peer_ids[i]: round(float(w), 4) for i, w in enumerate(weights)},
        "pre_fit_r2": round(r_squared, 3),
        "pre_fit_days": int(fit_rows.sum()),
    }
    if r_squared < settings.min_synthetic_fit_r2:
        raw.problem = (
            f"the peers do not track this business before {intervention.name} "
            f"(pre-period R² {r_squared:.2f}, at least "
            f"{settings.min_synthetic_fit_r2:.2f} needed): no comparable control"
        )
        return raw
    gap = y - peer_matrix @ weights
    days = pl.Series("ds", joined["ds"].to_list())
    controls = calendar_controls(days, yearly_harmonics=1, include_yearly=False)
    columns = {name: controls[name].to_numpy() for name in controls.columns}
    for index, name in enumerate(sorted(frame.others)):
        values = frame.others[name][rows]
        if values.any() and not values.all():
            columns[f"other_{index}"] = values
    raw.n_treated, raw.n_control = int(treated.sum()), int((~treated).sum())
    return _regression_design(raw, gap, treated, columns, blocked, settings)


def _comparable_periods(
    frame: TreatmentFrame, intervention: Intervention, settings: EvidenceSettings
) -> _Raw:
    raw = _Raw(
        COMPARABLE_PERIODS,
        "design",
        (
            f"Without {intervention.name}, {intervention.target_metric} "
            "would have changed from the weeks before "
            "to the window as it did in the same weeks of earlier years (parallel trends across years)."
        ),
        n_treated=int(frame.treated.sum()),
        n_control=int((~frame.treated).sum()),
    )
    runs = _runs(frame.treated)
    if len(runs) != 1 or runs[0][1] - runs[0][0] > settings.comparable_max_window_days:
        raw.problem = (
            f"the comparable-periods design needs one treatment window of at most "
            f"{settings.comparable_max_window_days} days"
        )
        return raw
    window = runs[0][1] - runs[0][0]
    pre = max(window, 28)
    index_of = {day: i for i, day in enumerate(frame.days)}

    def block(start_row: int, years_back: int) -> list[int] | None:
        first_day = frame.days[start_row] - timedelta(days=364 * years_back + pre)
        rows = [index_of.get(first_day + timedelta(days=offset)) for offset in range(pre + window)]
        if any(row is None for row in rows):
            return None
        found = [row for row in rows if row is not None]
        if years_back > 0 and frame.treated[found].any():
            return None
        return found

    start = runs[0][0]
    available = [k for k in (1, 2, 3) if block(start, k) is not None]
    if not available or block(start, 0) is None:
        raw.problem = (
            "no untreated period at the same time of an earlier year, or too few days before the window"
        )
        return raw
    weekday = np.array([day.weekday() for day in frame.days])

    def stacked(
        start_row: int, years: Sequence[int]
    ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]] | None:
        blocks = [block(start_row, 0)] + [block(start_row, k) for k in years]
        if any(b is None for b in blocks):
            return None
        rows = np.concatenate([np.asarray(b) for b in blocks if b is not None])
        position = np.tile(np.arange(pre + window) >= pre, len(blocks)).astype(float)
        block_id = np.repeat(np.arange(len(blocks)), pre + window)
        treated = position * (block_id == 0)
        columns: dict[str, np.ndarray] = {"in_window": position}
        for b in range(1, len(blocks)):
            columns[f"block_{b}"] = (block_id == b).astype(float)
        for number in range(1, 7):
            columns[f"weekday_{number}"] = (weekday[rows] == number).astype(float)
        for index, name in enumerate(sorted(frame.others)):
            values = frame.others[name][rows]
            if values.any() and not values.all():
                columns[f"other_{index}"] = values
        return rows, treated, columns

    def placebo_effects(years: Sequence[int]) -> list[float]:
        """The same comparison a whole number of weeks earlier, away from the real window."""
        effects = []
        for weeks in range(1, 200):
            placebo_start = start - 7 * weeks
            if placebo_start - pre < 0:
                break
            placebo = stacked(placebo_start, years)
            if placebo is None or frame.treated[placebo[0]].any():
                continue
            design = np.column_stack([np.ones(placebo[0].size), placebo[1], *placebo[2].values()])
            coef, *_ = np.linalg.lstsq(design, frame.log_y[placebo[0]], rcond=None)
            effects.append(float(coef[1]))
        return effects

    # Every earlier year sharpens the comparison but leaves less history for placebos: fall back
    # to the last year alone when the placebos would be too few.
    years = available
    effects = placebo_effects(years)
    if len(effects) * 7.0 / (pre + window) < settings.min_placebo_windows and len(available) > 1:
        years = available[:1]
        effects = placebo_effects(years)
    built = stacked(start, years)
    assert built is not None  # the window and every year were checked above
    rows, treated, columns = built
    if not _separable(np.column_stack([np.ones(treated.size), treated, *columns.values()])):
        raw.problem = _NOT_SEPARABLE
        return raw
    independent = len(effects) * 7.0 / (pre + window)
    raw.settings = {
        "years_compared": years,
        "window_days": window,
        "pre_days": pre,
        "interval": "placebo_did",
        "placebo_windows": len(effects),
        "independent_placebo_windows": round(independent, 1),
    }
    if independent < settings.min_placebo_windows:
        raw.problem = (
            f"too little untreated history to calibrate the interval: {independent:.1f} independent placebo "
            f"comparisons (at least {settings.min_placebo_windows:g} needed)"
        )
        return raw
    se = float(np.sqrt(np.mean(np.square(effects))))
    data = pd.DataFrame({TREATMENT: treated.astype(bool), OUTCOME: frame.log_y[rows], **columns})
    with quiet_numerics(settings):
        run = identify_and_estimate(data, OUTCOME, list(columns), "backdoor.linear_regression")
        raw.refutations = refute(run, settings, se)
    raw.log_effect, raw.log_se, raw.dof = run.value, se, max(independent - 1.0, 1.0)
    raw.n_treated, raw.n_control = int(treated.sum()), int(treated.size - treated.sum())
    raw.settings["dowhy_method"] = "backdoor.linear_regression"
    return raw


def _propensity(
    frame: TreatmentFrame, intervention: Intervention, method: str, settings: EvidenceSettings
) -> _Raw:
    """The table path's propensity design (:func:`models_ml.evidence.tabular.propensity_design`) on days."""
    assumptions = (
        "Treated and untreated days are comparable once "
        "weekday, time of year, trend, the other recorded "
        "interventions and the declared confounders are accounted for (no unmeasured "
        "confounding), and every treated day has comparable "
        "untreated days (overlap)."
    )
    coverage = seasonal_coverage(frame.days, frame.treated, match_days=settings.seasonal_match_days)
    if coverage < settings.min_overlap_share:
        return _Raw(
            method,
            "design",
            assumptions,
            n_treated=int(frame.treated.sum()),
            n_control=int((~frame.treated).sum()),
            problem=(
                f"only {coverage:.0%} of treated days have untreated days at the same time of year "
                "in another year, so the yearly season cannot be told apart from the intervention"
            ),
        )
    # Month dummies, not smooth sine terms: owners decide by the calendar month ("more sales in
    # January"), and a propensity model that misses such steps leaves confounding behind.
    controls = calendar_controls(pl.Series("ds", frame.days), yearly_harmonics=1, include_yearly=False)
    columns = {name: controls[name].to_numpy() for name in controls.columns}
    month = np.array([day.month for day in frame.days])
    for number in range(2, 13):
        columns[f"month_{number}"] = (month == number).astype(float)
    for index, name in enumerate(sorted(frame.others)):
        columns[f"other_{index}"] = frame.others[name]
    # The confounders the owner declared are adjusted for, and overlap is checked on them too.
    for index, name in enumerate(sorted(frame.confounders)):
        columns[f"confounder_{index}"] = frame.confounders[name]
    columns = {name: values for name, values in columns.items() if np.ptp(values) > 0}
    data = pd.DataFrame({TREATMENT: frame.treated, OUTCOME: frame.log_y, **columns})
    return propensity_design(
        data,
        OUTCOME,
        list(columns),
        method,
        "att",
        settings,
        assumptions=assumptions,
        scale="log",
        unit="day",
    )


def _naive(frame: TreatmentFrame, intervention: Intervention, settings: EvidenceSettings) -> _Raw:
    raw = _Raw(
        NAIVE,
        "baseline",
        "Nothing but the intervention changed between the days compared (no season, trend or other change).",
        n_treated=int(frame.treated.sum()),
        n_control=int((~frame.treated).sum()),
    )
    if frame.scattered:
        after, before = frame.log_y[frame.treated], frame.log_y[~frame.treated]
        raw.settings = {"compared": "treated days against untreated days"}
    else:
        first = frame.first_treated
        length = min(settings.naive_window_days, int(frame.treated.sum()), first)
        after = frame.log_y[frame.treated][:length]
        candidates = np.flatnonzero(~frame.treated[:first])
        before = frame.log_y[candidates[-length:]] if length else np.array([])
        raw.settings = {"compared": f"first {length} treated days against the {length} untreated days before"}
    if after.size < 2 or before.size < 2:
        raw.problem = "too few days to compare"
        return raw
    raw.log_effect = float(after.mean() - before.mean())
    raw.log_se = float(math.sqrt(after.var(ddof=1) / after.size + before.var(ddof=1) / before.size))
    raw.dof = float(min(after.size, before.size) - 1)
    return raw


# --------------------------------------------------------------------------------------------
# Grading and assembly


def estimate_intervention_effect(
    panel: pl.DataFrame,
    intervention: Intervention,
    *,
    other_interventions: Sequence[Intervention] = (),
    peers: Mapping[str, pl.DataFrame] | None = None,
    confounders: Sequence[str] = (),
    settings: EvidenceSettings | None = None,
) -> InterventionEffect:
    """Estimate one intervention's effect on its target metric with every applicable design.

    ``other_interventions`` are adjusted for (they may overlap in time); ``confounders`` are panel
    columns that drive both the timing of the intervention and the metric (never a mediator such as
    the marketing spend of a marketing push). Returns the headline design, the cross-checks and the
    naive before/after; every one is graded, and "inconclusive" ones say why.
    """
    settings = settings or EvidenceSettings()
    metric = intervention.target_metric
    panel = validate_panel(panel, required=[metric, *confounders])
    # Peers compare on the metrics they share with the tenant (a product's units are the tenant's own).
    if isinstance(peers, Mapping):
        peers = {peer: frame for peer, frame in peers.items() if metric in getattr(frame, "columns", ())}
    peer_panels = validate_peers(peers, metric)
    frame = prepare_frame(panel, intervention, other_interventions, confounders)
    problem = data_problem(frame, intervention, settings)

    raws: dict[str, _Raw] = {}
    if problem is None:
        raws[ITS] = _its(frame, intervention, settings)
        if peer_panels:
            raws[SYNTHETIC_CONTROL] = _synthetic_control(frame, intervention, peer_panels, settings)
        if not frame.scattered:
            raws[COMPARABLE_PERIODS] = _comparable_periods(frame, intervention, settings)
        for method in (PS_WEIGHTING, PS_MATCHING):
            raws[method] = _propensity(frame, intervention, method, settings)
        raws[NAIVE] = _naive(frame, intervention, settings)
    else:
        n_treated, n_control = int(frame.treated.sum()), int((~frame.treated).sum())
        no_estimate = "No estimate: the data cannot answer (see reason)."
        raws[ITS] = _Raw(ITS, "design", no_estimate, n_treated, n_control, problem=problem)
        raws[NAIVE] = _Raw(NAIVE, "baseline", no_estimate, n_treated, n_control, problem=problem)

    for raw in raws.values():
        # The effect is taken on log(metric): days with zero or missing values (closed days) are left
        # out, and the record says how many. A table whose outcome can be zero or negative belongs in
        # estimate_effect, which keeps every row in the outcome's own units.
        raw.settings.setdefault("days_left_out_not_positive", frame.dropped_days)
    history = season_seen_only_after(frame, intervention, settings) if problem is None else None
    if history is not None:
        for method, raw in raws.items():
            if method != NAIVE:
                raw.cap, raw.cap_reason = "weak", history
    finished = grade_designs(raws, PRIMARY_ORDER, NAIVE, settings)
    primary_name = next(iter(finished))
    primary = finished.pop(primary_name)
    if not primary.is_conclusive:
        # Say why every design failed, not only the first one.
        reasons = [f"{m}: {e.reason}" for m, e in finished.items() if m != NAIVE and e.reason]
        if reasons and problem is None:
            primary = replace(primary, reason=f"{primary.reason}; " + "; ".join(reasons))
    naive = finished.pop(NAIVE)
    return InterventionEffect(
        intervention=intervention,
        metric=metric,
        primary=primary,
        cross_checks=tuple(finished.values()),
        naive_before_after=naive,
    )


def estimate_intervention_effects(
    panel: pl.DataFrame,
    interventions: Sequence[Intervention],
    *,
    peers: Mapping[str, pl.DataFrame] | None = None,
    confounders: Sequence[str] = (),
    settings: EvidenceSettings | None = None,
) -> list[InterventionEffect]:
    """Effects of every intervention, each adjusted for all the others."""
    names = [i.name for i in interventions]
    if len(set(names)) != len(names):
        raise EvidenceInputError(f"intervention names must be unique, got {names}")
    return [
        estimate_intervention_effect(
            panel,
            intervention,
            other_interventions=interventions,
            peers=peers,
            confounders=confounders,
            settings=settings,
        )
        for intervention in interventions
    ]
