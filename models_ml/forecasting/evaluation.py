"""Scores, ensemble, model choice and calibrated intervals from rolling-origin cross-validation.

Everything here works on dense arrays of one series class: ``points[series, model, window, step]``
(cross-validated forecasts), ``actuals[series, window, step]`` (raw values, outliers included) and the
final forecasts ``final[series, model, step]``.

Intervals are conformal and pooled, because the per-series conformal intervals of statsforecast
(``ConformalIntervals``) take the quantile of only ``n_windows`` errors per step: with three windows the
"95%" bound is the largest of three errors and covers about 75%, and every window costs another fit.
Instead, each cross-validation error is divided by the series' scale at its forecast origin (the mean
absolute weekly change over the 13 weeks before it, a MASE-style denominator), and the signed scaled
errors of all series of the class are pooled per model and forecast step (with neighbouring steps, so
each pool holds a few hundred errors). An interval is the point forecast plus the series' current scale
times the conformal quantiles of that pool, so it widens with the horizon and with the series' noise,
and may be asymmetric (business errors are skewed). The same errors, resampled as whole paths, give the
goal probabilities.

A run of one or a handful of series has too few errors for that: a series contributes one error path
per window, and the errors of one path are strongly correlated (a forecast that starts too low stays
too low). Three things keep such runs calibrated. The run gets more non-overlapping windows, as far
as half the history allows, until series x windows reaches ``ForecastConfig.min_error_paths``
(pipeline). When a step's neighbourhood still holds fewer than ``_MIN_POOL`` errors, every step is
pooled after dividing it by a smooth, non-decreasing error growth profile (a power law of the mean
absolute error per step), and the quantiles are scaled back by the profile. And the finite-sample
conformal correction counts the pool's effective sample size (Kish's design effect,
``n / (1 + (steps - 1) * icc)`` with ``icc`` the share of variance between paths), not its correlated
errors. Measured held-out coverage for panels of 1, 5 and 50 series is in ``docs/benchmarks.md``.

Reported coverage is honest: each window is covered by intervals calibrated on the *other* windows
(leave-one-window-out), and the "selected" figures also choose the model without the held-out window.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np

from models_ml.forecasting.config import ENSEMBLE, LEVELS

#: Quantile columns in calibration tables: lower 95, lower 80, upper 80, upper 95.
QUANTILE_COLUMNS: tuple[str, ...] = ("q_lo_95", "q_lo_80", "q_hi_80", "q_hi_95")


def quantile_columns(levels: tuple[int, ...]) -> tuple[str, ...]:
    """Calibration table columns for ``levels`` (``QUANTILE_COLUMNS`` for the default levels)."""
    return (*[f"q_lo_{v}" for v in reversed(levels)], *[f"q_hi_{v}" for v in levels])


_MIN_POOL = 200
_BASE_HALF_WIDTH = 3


@dataclass(frozen=True)
class CrossValidation:
    """Cross-validated and final forecasts of one series class, as dense arrays."""

    keys: list[str]
    models: list[str]
    points: np.ndarray
    """(series, model, window, step) cross-validated point forecasts; NaN where a model failed."""
    actuals: np.ndarray
    """(series, window, step) raw observed values."""
    cv_scales: np.ndarray
    """(series, window) scale of each series at each forecast origin."""
    mase_scales: np.ndarray
    """(series,) in-sample seasonal naive MAE before the first origin: the MASE denominator."""
    final_points: np.ndarray
    """(series, model, step) forecasts from the whole history."""
    final_scales: np.ndarray
    """(series,) scale at the end of the history."""
    nonnegative: np.ndarray
    """(series,) True where the history never goes below zero; forecasts are then clipped at zero."""
    ensemble_members: list[list[str]] = field(default_factory=list)
    levels: tuple[int, ...] = LEVELS
    """Interval levels, ascending; bounds are ordered lowest first (``lo_95, lo_80, hi_80, hi_95``)."""
    window_step: int | None = None
    """Periods between consecutive cross-validation origins; None: the horizon (windows do not overlap)."""

    def __post_init__(self) -> None:
        n, m = len(self.keys), len(self.models)
        if self.points.shape[:2] != (n, m) or self.final_points.shape[:2] != (n, m):
            raise ValueError(f"forecast arrays do not match {n} series and {m} models")

    @property
    def usable(self) -> np.ndarray:
        """(series, model) True where a model produced every cross-validated and final value."""
        cv_ok = np.isfinite(self.points).all(axis=(2, 3))
        final_ok = np.isfinite(self.final_points).all(axis=2)
        return cv_ok & final_ok

    @property
    def errors(self) -> np.ndarray:
        """(series, model, window, step) actual minus forecast."""
        return self.actuals[:, None, :, :] - self.points


def clip_nonnegative(cv: CrossValidation) -> CrossValidation:
    """Forecasts of a metric that was never negative (sales, visits) are not allowed below zero."""
    mask = cv.nonnegative
    points = cv.points.copy()
    final = cv.final_points.copy()
    points[mask] = np.maximum(points[mask], 0.0)
    final[mask] = np.maximum(final[mask], 0.0)
    return replace(cv, points=points, final_points=final)


def _nanmean(values: np.ndarray, axis: int | tuple[int, ...]) -> np.ndarray:
    """Mean ignoring NaN; all-NaN slices (a model that failed on a series) give NaN without a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=axis)


def _window_mae(cv: CrossValidation) -> np.ndarray:
    """(series, model, window) mean absolute error."""
    return _nanmean(np.abs(cv.errors), axis=3)


def add_ensemble(cv: CrossValidation, size: int) -> CrossValidation:
    """Append the per-series mean of the ``size`` best usable candidates as model ``Ensemble``.

    Its cross-validated forecast for a window averages the candidates that were best on the *other*
    windows, so its score is not flattered by having been picked on the same data; the final ensemble
    uses the candidates best over all windows.
    """
    usable = cv.usable
    n_series, _, n_windows, horizon = cv.points.shape
    window_mae = np.where(usable[:, :, None], _window_mae(cv), np.inf)
    cv_points = np.full((n_series, n_windows, horizon), np.nan)
    final = np.full((n_series, horizon), np.nan)
    members: list[list[str]] = []
    for i in range(n_series):
        k = min(size, int(usable[i].sum()))
        if k < 2:
            members.append([])
            continue
        for w in range(n_windows):
            other = window_mae[i][:, _held_out_windows(cv, w)].mean(axis=1)
            best = np.argsort(other, kind="stable")[:k]
            cv_points[i, w] = cv.points[i, best, w].mean(axis=0)
        best = np.argsort(window_mae[i].mean(axis=1), kind="stable")[:k]
        final[i] = cv.final_points[i, best].mean(axis=0)
        members.append([cv.models[j] for j in best])
    return replace(
        cv,
        models=[*cv.models, ENSEMBLE],
        points=np.concatenate([cv.points, cv_points[:, None]], axis=1),
        final_points=np.concatenate([cv.final_points, final[:, None]], axis=1),
        ensemble_members=members,
    )


def mase(cv: CrossValidation) -> np.ndarray:
    """(series, model) mean absolute scaled error over all windows."""
    return _nanmean(np.abs(cv.errors), axis=(2, 3)) / cv.mase_scales[:, None]


def smape(cv: CrossValidation) -> np.ndarray:
    """(series, model) symmetric MAPE in percent (0-200); days where both values are zero count as 0."""
    actual = np.abs(cv.actuals[:, None])
    denominator = actual + np.abs(cv.points)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(denominator > 0, 2 * np.abs(cv.errors) / denominator, 0.0)
        ratio = np.where(np.isfinite(cv.points), ratio, np.nan)
    return 100 * _nanmean(ratio, axis=(2, 3))


def conformal_bounds(
    pool: np.ndarray, levels: tuple[int, ...] = LEVELS, n_effective: float | None = None
) -> np.ndarray:
    """Quantiles (lo 95, lo 80, hi 80, hi 95 by default) of scaled errors, with the finite-sample correction.

    The correction counts ``n_effective`` independent samples when given (the errors of one path
    share its level error, so a pool of 8 steps x 20 paths holds fewer than 160 samples), else the
    pool's size. The bounds always bracket zero, so an interval always contains its point forecast.
    """
    values = np.sort(pool[np.isfinite(pool)])
    n = values.size
    if n == 0:
        return np.zeros(2 * len(levels))
    n_paths = n_effective
    samples = n if n_paths is None else max(1.0, min(n_paths, n))
    bounds = []
    for level in reversed(levels):
        alpha = 1 - level / 100
        share = max(0.0, alpha / 2 * (samples + 1) / samples - 1 / samples)
        rank = int(np.floor(share * n)) if n_paths is not None else int(np.floor((n + 1) * alpha / 2))
        bounds.append(min(values[max(rank, 1) - 1], 0.0))
    for level in levels:
        alpha = 1 - level / 100
        if n_paths is not None:
            share = min(1.0, (1 - alpha / 2) * (samples + 1) / samples)
            rank = int(np.ceil(share * n))
        else:
            rank = int(np.ceil((n + 1) * (1 - alpha / 2)))
        bounds.append(max(values[min(rank, n) - 1], 0.0))
    return np.array(bounds)


def _growth_profile(scores: np.ndarray) -> np.ndarray:
    """(step,) typical size of the scaled errors at each step, smooth and non-decreasing.

    A power law ``a * step ** b`` fitted to the mean absolute error per step (few paths make the raw
    means noisy), then made non-decreasing: errors do not shrink further ahead.
    """
    horizon = scores.shape[2]
    steps = np.arange(1, horizon + 1, dtype=float)
    size = _nanmean(np.abs(scores), axis=(0, 1))
    ok = np.isfinite(size) & (size > 0)
    if ok.sum() >= 2:
        slope, intercept = np.polyfit(np.log(steps[ok]), np.log(size[ok]), 1)
        profile = np.exp(intercept + max(slope, 0.0) * np.log(steps))
    elif ok.any():
        profile = np.full(horizon, float(size[ok].mean()))
    else:
        return np.ones(horizon)
    return np.maximum.accumulate(np.maximum(profile, 1e-12))


def _effective_size(normalised: np.ndarray) -> float:
    """Independent samples in a pool of error paths (series, window, step): Kish's design effect.

    The errors of one path are correlated (a forecast that starts too low stays too low), so the pool
    counts as ``n / (1 + (steps - 1) * icc)`` samples, with ``icc`` the share of the variance that lies
    between paths. One value per path (icc 1) gives the number of paths; independent errors give n.
    """
    paths = normalised.reshape(-1, normalised.shape[2])
    paths = paths[np.isfinite(paths).all(axis=1)]
    n_paths, steps = paths.shape
    if n_paths < 2 or steps < 2:
        return float(max(paths.size, 1))
    total = float(paths.var())
    if total <= 0:
        return float(paths.size)
    between = float(paths.mean(axis=1).var())
    icc = float(np.clip((between - total / steps) / (total * (1 - 1 / steps)), 0.0, 1.0))
    return paths.size / (1 + (steps - 1) * icc)


def _pooled_quantiles(scores: np.ndarray, levels: tuple[int, ...] = LEVELS) -> np.ndarray:
    """(step, 2 x levels) quantiles from scaled errors (series, window, step).

    A large panel pools each step with its neighbours (a few hundred errors per pool). When even
    the base neighbourhood holds fewer than ``_MIN_POOL`` errors (a run of one or a handful of series),
    every step is pooled after dividing each by the steps' error growth profile, the quantiles are
    scaled back by the profile, and the finite-sample correction counts the pool's effective samples
    (:func:`_effective_size`), not its errors.
    """
    horizon = scores.shape[2]
    per_step = np.isfinite(scores).sum(axis=(0, 1))
    quantiles = np.zeros((horizon, 2 * len(levels)))
    base = [
        per_step[max(0, t - _BASE_HALF_WIDTH) : min(horizon, t + _BASE_HALF_WIDTH + 1)].sum()
        for t in range(horizon)
    ]
    if horizon and min(base) < _MIN_POOL:
        profile = _growth_profile(scores)
        normalised = scores / profile[None, None, :]
        bounds = conformal_bounds(normalised.ravel(), levels, n_effective=_effective_size(normalised))
        return profile[:, None] * bounds[None, :]
    for t in range(horizon):
        half = _BASE_HALF_WIDTH
        while True:
            lo, hi = max(0, t - half), min(horizon, t + half + 1)
            if per_step[lo:hi].sum() >= _MIN_POOL or (lo == 0 and hi == horizon):
                break
            half += 1
        quantiles[t] = conformal_bounds(scores[:, :, lo:hi].ravel(), levels)
    return quantiles


@dataclass(frozen=True)
class Calibration:
    """Pooled conformal quantiles per model and step, and the leave-one-window-out coverage."""

    quantiles: np.ndarray
    """(model, step, 2 x levels) quantiles of scaled errors from all windows (for the final forecasts)."""
    held_out_quantiles: np.ndarray
    """(window, model, step, 2 x levels) quantiles calibrated without that window (and the windows
    that overlap it)."""
    coverage: np.ndarray
    """(series, model, level) share of held-out values inside each level's interval."""


def scaled_errors(cv: CrossValidation) -> np.ndarray:
    """(series, model, window, step) errors divided by the series' scale at the origin."""
    return cv.errors / cv.cv_scales[:, None, :, None]


def interval_bounds(
    points: np.ndarray, scales: np.ndarray, quantiles: np.ndarray, nonnegative: np.ndarray
) -> np.ndarray:
    """Bounds (..., step, 4) from points (..., step), scales broadcastable to points, quantiles (step, 4).

    ``nonnegative`` (broadcastable to points) clips bounds of never-negative metrics at zero.
    """
    bounds = points[..., None] + scales[..., None] * quantiles
    return np.where(nonnegative[..., None], np.maximum(bounds, 0.0), bounds)


def _held_out_windows(cv: CrossValidation, window: int) -> np.ndarray:
    """Indices of the windows kept when ``window`` is held out: those whose test days do not overlap it."""
    n_windows, horizon = cv.points.shape[2], cv.points.shape[3]
    step = cv.window_step or horizon
    others = np.arange(n_windows)
    kept = others[np.abs(others - window) * step >= horizon]
    return kept if kept.size else others[others != window]


def inside_intervals(bounds: np.ndarray, actual: np.ndarray, n_levels: int) -> np.ndarray:
    """(..., step, level) True where ``actual`` lies inside each level's interval."""
    inside = [
        (bounds[..., n_levels - 1 - j] <= actual) & (actual <= bounds[..., n_levels + j])
        for j in range(n_levels)
    ]
    return np.stack(inside, axis=-1)


def calibrate(cv: CrossValidation) -> Calibration:
    """Fit the pooled quantiles and measure leave-one-window-out coverage for every model."""
    usable = cv.usable
    scores = scaled_errors(cv)
    n_series, n_models, n_windows, horizon = cv.points.shape
    n_levels = len(cv.levels)
    quantiles = np.zeros((n_models, horizon, 2 * n_levels))
    held_out = np.zeros((n_windows, n_models, horizon, 2 * n_levels))
    coverage = np.full((n_series, n_models, n_levels), np.nan)
    nonnegative = np.broadcast_to(cv.nonnegative[:, None], (n_series, horizon))
    for m in range(n_models):
        rows = usable[:, m]
        if not rows.any():
            continue
        quantiles[m] = _pooled_quantiles(scores[rows, m], cv.levels)
        inside = np.zeros((int(rows.sum()), n_windows, horizon, n_levels))
        for w in range(n_windows):
            kept = _held_out_windows(cv, w)
            held_out[w, m] = _pooled_quantiles(scores[rows, m][:, kept], cv.levels)
            bounds = interval_bounds(
                cv.points[rows, m, w],
                cv.cv_scales[rows, w][:, None],
                held_out[w, m],
                nonnegative[rows],
            )
            inside[:, w] = inside_intervals(bounds, cv.actuals[rows, w], n_levels)
        coverage[rows, m] = inside.mean(axis=(1, 2))
    return Calibration(quantiles=quantiles, held_out_quantiles=held_out, coverage=coverage)


def _pick(models: list[str], scores: np.ndarray, ensemble_margin: float) -> int:
    """Index of the lowest score; the ensemble wins unless a single model beats it by the margin."""
    if not np.isfinite(scores).any():
        return -1
    best = int(np.argmin(scores))
    if ENSEMBLE in models:
        ensemble = models.index(ENSEMBLE)
        if np.isfinite(scores[ensemble]) and scores[ensemble] <= (1 + ensemble_margin) * scores[best]:
            return ensemble
    return best


def choose_models(cv: CrossValidation, scores: np.ndarray, ensemble_margin: float) -> np.ndarray:
    """(series,) index of each series' model (-1 where none is usable).

    Three windows are few to tell close candidates apart: picking the single best one chases noise, and
    averaging the best few is steadier. So the ensemble is kept unless a single model beats its score
    by more than ``ensemble_margin`` (relative).
    """
    masked = np.where(cv.usable, scores, np.inf)
    return np.array([_pick(cv.models, row, ensemble_margin) for row in masked], dtype=int)


@dataclass(frozen=True)
class SelectionCheck:
    """How the whole procedure (choose, then calibrate) does on windows it did not see."""

    mase: float
    """Mean MASE of the model chosen without the scored window."""
    coverage_80: float
    coverage_95: float
    baseline_mase: float
    """Mean MASE of SeasonalNaive over the same series and windows."""
    share_no_worse_than_baseline: float
    """Share of series whose held-out chosen forecasts score no worse than SeasonalNaive."""
    n_series: int
    coverage_by_level: dict[int, float] = field(default_factory=dict)
    """Held-out coverage of every configured level (``coverage_80`` and ``coverage_95`` repeat two)."""


def held_out_selection(
    cv: CrossValidation, calibration: Calibration, baseline: str, ensemble_margin: float
) -> SelectionCheck:
    """Choose each series' model without one window, then score and cover that window; average.

    This is the honest estimate of what the delivered forecasts achieve, as opposed to the score of
    the chosen model, which was chosen because it did well on those same windows (and so can never
    look worse than the baseline, which is one of the candidates).
    """
    usable = cv.usable
    window_mae = np.where(usable[:, :, None], _window_mae(cv), np.inf)
    base = cv.models.index(baseline)
    n_series, _, n_windows, _ = cv.points.shape
    n_levels = len(cv.levels)
    chosen_mase: list[float] = []
    baseline_mase: list[float] = []
    inside: list[np.ndarray] = []
    for i in range(n_series):
        if not usable[i].any() or not usable[i, base]:
            continue
        series_mase, series_baseline = [], []
        for w in range(n_windows):
            kept = _held_out_windows(cv, w)
            m = _pick(cv.models, window_mae[i][:, kept].mean(axis=1), ensemble_margin)
            bounds = interval_bounds(
                cv.points[i, m, w],
                np.asarray(cv.cv_scales[i, w]),
                calibration.held_out_quantiles[w, m],
                np.asarray(cv.nonnegative[i]),
            )
            actual = cv.actuals[i, w]
            series_mase.append(window_mae[i, m, w] / cv.mase_scales[i])
            series_baseline.append(window_mae[i, base, w] / cv.mase_scales[i])
            inside.append(inside_intervals(bounds, actual, n_levels).mean(axis=0))
        chosen_mase.append(np.mean(series_mase))
        baseline_mase.append(np.mean(series_baseline))
    if not chosen_mase:
        nan = float("nan")
        return SelectionCheck(nan, nan, nan, nan, nan, 0)
    chosen, baseline_scores = np.array(chosen_mase), np.array(baseline_mase)
    by_level = dict(zip(cv.levels, np.mean(inside, axis=0).tolist(), strict=True))
    return SelectionCheck(
        mase=float(chosen.mean()),
        coverage_80=float(by_level.get(80, float("nan"))),
        coverage_95=float(by_level.get(95, float("nan"))),
        coverage_by_level=by_level,
        baseline_mase=float(baseline_scores.mean()),
        share_no_worse_than_baseline=float(np.mean(chosen <= baseline_scores)),
        n_series=int(chosen.size),
    )
