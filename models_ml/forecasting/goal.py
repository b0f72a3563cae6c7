"""The chance of reaching a goal ("revenue of 50,000 by 31 December") from simulated sample paths.

A probability for a sum over days needs the joint distribution of those days, not only each day's
interval: errors of a forecast persist (a slow month stays slow), so the sum is far more uncertain than
independent days would suggest. Both methods here draw whole paths, which keep that dependence:

``calibrated_error_paths`` (a :class:`~models_ml.forecasting.pipeline.ForecastRun` is passed and the
deadline lies within its horizon)
    The series' chosen forecast plus whole cross-validation error paths of the same model, drawn from
    every series of its class and rescaled to this series' scale. These are the errors behind the
    calibrated intervals, so the goal probability agrees with the bands the owner sees.
``model_simulation`` (no run, a deadline beyond the run's horizon, or a short series)
    statsforecast's own simulation: AutoETS (weekly season) fitted on the recent history, simulated
    with bootstrapped residuals (``AutoETS.simulate(error_distribution="bootstrap")``).

Metrics that were never negative are clipped at zero on every simulated day; then a target at or
below the part of the period already realised has probability 1 exactly.

Aggregations: ``sum`` over the period, ``level`` on the deadline, ``average`` per day over the period (the
sum divided by the period's days), and ``ratio`` of two sums over the period (``denominator`` is the
second series, on the same days: gross margin / net revenue, labor cost / net revenue). A ratio's two
series are simulated with the same seed, so a path of the numerator and a path of the denominator are
drawn with the same random numbers; errors that move both series together are only partly kept, so a
ratio's interval is wider than it would be with a joint model (conservative).

:func:`goal_outcomes` returns every simulated outcome, so many candidate targets can be scored on the same
paths (:func:`probability_of`); :func:`goal_probability` summarises one target.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import numpy as np
import polars as pl
from statsforecast.models import AutoETS, Naive

from models_ml.forecasting.config import ForecastConfig
from models_ml.forecasting.errors import ForecastInputError
from models_ml.forecasting.pipeline import ForecastRun
from models_ml.forecasting.prepare import CONSTANT, FORECASTABLE, prepare_panel

Aggregation = Literal["sum", "level", "average", "ratio"]
AGGREGATIONS: tuple[str, ...] = ("sum", "level", "average", "ratio")
Direction = Literal["at_least", "at_most"]


@dataclass(frozen=True)
class GoalProbability:
    """Probability of reaching a target and the distribution of the goal's metric at the deadline."""

    probability: float
    """Share of simulated paths that reach the target (>= for ``at_least``, <= for ``at_most``)."""
    expected_value: float
    """Mean of the aggregated metric (the sum over the period, or the level on the deadline)."""
    p10: float
    p50: float
    p90: float
    method: str
    """``calibrated_error_paths``, ``model_simulation``, ``constant`` or ``realized``."""
    realized: float
    """For ``sum``: the part of the period already observed. For ``level``: the last observed value."""
    n_paths: int


@dataclass(frozen=True)
class GoalOutcomes:
    """Simulated outcomes of a goal's aggregated metric at the deadline (one per path)."""

    outcomes: np.ndarray
    method: str
    realized: float
    """Observed part: the period's sum, average or ratio so far (``level``: the last observed value)."""
    history_end: date


def goal_probability(
    history: pl.DataFrame,
    target: float,
    deadline: date,
    aggregation: Aggregation = "sum",
    *,
    run: ForecastRun | None = None,
    period_start: date | None = None,
    direction: Direction = "at_least",
    config: ForecastConfig | None = None,
    n_paths: int = 4000,
    seed: int = 0,
    denominator: pl.DataFrame | None = None,
) -> GoalProbability:
    """Probability that one metric reaches ``target`` by ``deadline``.

    ``history`` holds the metric's observed days (``ds, y``; with ``tenant_id`` and ``unique_id``
    when ``run`` is given, to find its forecast). ``aggregation="sum"`` adds up the days from
    ``period_start`` (default: the first day after the history) to ``deadline`` inclusive, observed and
    simulated; ``"level"`` takes the value on ``deadline``; ``"average"`` the sum divided by the days;
    ``"ratio"`` the sum of ``history`` divided by the sum of ``denominator``. See the module docstring.
    """
    if direction not in ("at_least", "at_most"):
        raise ForecastInputError(f"direction must be 'at_least' or 'at_most', got {direction!r}")
    if not np.isfinite(target):
        raise ForecastInputError(f"target must be a finite number, got {target!r}")
    result = goal_outcomes(
        history,
        deadline,
        aggregation,
        run=run,
        period_start=period_start,
        config=config,
        n_paths=n_paths,
        seed=seed,
        denominator=denominator,
    )
    return _summarise(result.outcomes, target, direction, result.method, result.realized)


def probability_of(outcomes: np.ndarray, target: float, direction: Direction = "at_least") -> float:
    """Share of ``outcomes`` that reach ``target`` (>= for ``at_least``, <= for ``at_most``)."""
    reached = outcomes >= target if direction == "at_least" else outcomes <= target
    return float(reached.mean())


def goal_outcomes(
    history: pl.DataFrame,
    deadline: date,
    aggregation: Aggregation = "sum",
    *,
    run: ForecastRun | None = None,
    period_start: date | None = None,
    config: ForecastConfig | None = None,
    n_paths: int = 4000,
    seed: int = 0,
    denominator: pl.DataFrame | None = None,
) -> GoalOutcomes:
    """Every simulated outcome of the goal's aggregated metric (see :func:`goal_probability`)."""
    if aggregation not in AGGREGATIONS:
        raise ForecastInputError(
            f"aggregation must be one of {', '.join(repr(a) for a in AGGREGATIONS)}, got {aggregation!r}"
        )
    if n_paths < 100:
        raise ForecastInputError(f"n_paths must be at least 100, got {n_paths}")
    if aggregation == "ratio":
        if denominator is None:
            raise ForecastInputError("a ratio goal needs the denominator's history (denominator=...)")
        top = _series_outcomes(history, deadline, "sum", run, period_start, config, n_paths, seed)
        bottom = _series_outcomes(denominator, deadline, "sum", run, period_start, config, n_paths, seed)
        if top.history_end != bottom.history_end:
            raise ForecastInputError(
                f"the ratio's two histories end on different days ({top.history_end}, {bottom.history_end})",
                "pass both series over the same days",
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(bottom.outcomes > 0, top.outcomes / bottom.outcomes, np.nan)
            realized = top.realized / bottom.realized if bottom.realized > 0 else float("nan")
        if np.isnan(ratio).all():
            raise ForecastInputError("the ratio's denominator is zero on every simulated path")
        # A path whose denominator is zero has no ratio; it counts as the median of the others.
        ratio = np.where(np.isnan(ratio), np.nanmedian(ratio), ratio)
        method = top.method if top.method == bottom.method else f"{top.method}+{bottom.method}"
        return GoalOutcomes(ratio, method, realized, top.history_end)
    if aggregation == "average":
        result = _series_outcomes(history, deadline, "sum", run, period_start, config, n_paths, seed)
        start = period_start or result.history_end + timedelta(days=1)
        days = (deadline - start).days + 1
        elapsed = max(0, (min(deadline, result.history_end) - start).days + 1)
        realized = result.realized / elapsed if elapsed else float("nan")
        return GoalOutcomes(result.outcomes / days, result.method, realized, result.history_end)
    return _series_outcomes(history, deadline, aggregation, run, period_start, config, n_paths, seed)


def _series_outcomes(
    history: pl.DataFrame,
    deadline: date,
    aggregation: str,
    run: ForecastRun | None,
    period_start: date | None,
    config: ForecastConfig | None,
    n_paths: int,
    seed: int,
) -> GoalOutcomes:
    config = config or (run.config if run is not None else ForecastConfig())

    frame = _single_series(history, run is not None)
    prepared = prepare_panel(frame, config)
    if not prepared.periods.frequency.is_daily:
        # Goals are sums or levels over days (a deadline, the part of the period already realised).
        raise ForecastInputError(
            f"goal probabilities need a daily history; this one is {prepared.periods.frequency.name}",
            "pass the metric's daily values",
        )
    profile = prepared.profile.row(0, named=True)
    if profile["series_class"] not in FORECASTABLE:
        raise ForecastInputError(f"history cannot be forecast: {profile['fallback_reason']}")
    observed = prepared.data.select("ds", "y", "y_raw")
    last_day: date = profile["history_end"]
    start = period_start or last_day + timedelta(days=1)
    if aggregation == "sum" and start > deadline:
        raise ForecastInputError(f"period_start {start} is after the deadline {deadline}")

    if aggregation == "sum":
        realized = float(
            observed.filter(pl.col("ds").is_between(start, min(deadline, last_day)))["y_raw"].sum()
        )
    else:
        realized = float(observed["y_raw"][-1])

    if deadline <= last_day:
        if aggregation == "level":
            on_deadline = observed.filter(pl.col("ds") == deadline)["y_raw"]
            if on_deadline.is_empty():
                raise ForecastInputError(f"deadline {deadline} is before the history starts")
            realized = float(on_deadline[0])
        return GoalOutcomes(np.array([realized]), "realized", realized, last_day)

    horizon = (deadline - last_day).days
    paths, method = _paths(frame, prepared.data["y"].to_numpy(), profile, run, horizon, config, n_paths, seed)
    if profile["nonnegative"]:
        paths = np.maximum(paths, 0.0)
    if aggregation == "sum":
        first_future = max(start, last_day + timedelta(days=1))
        offset = (first_future - last_day).days - 1
        outcome = realized + paths[:, offset:].sum(axis=1)
    else:
        outcome = paths[:, -1]
    return GoalOutcomes(outcome, method, realized, last_day)


def _single_series(history: pl.DataFrame, needs_identity: bool) -> pl.DataFrame:
    if not isinstance(history, pl.DataFrame):
        raise ForecastInputError(f"history must be a polars DataFrame, got {type(history).__name__}")
    for column in ("ds", "y"):
        if column not in history.columns:
            raise ForecastInputError(f"history lacks column {column!r}")
    identity = [c for c in ("tenant_id", "unique_id") if c in history.columns]
    if needs_identity and len(identity) < 2:
        raise ForecastInputError(
            "history needs tenant_id and unique_id columns to find the series in the run"
        )
    for column in identity:
        if history[column].n_unique() > 1:
            raise ForecastInputError(f"history holds several series ({column} varies): pass one")
    frame = history.select(*identity, "ds", "y")
    if "tenant_id" not in identity:
        frame = frame.with_columns(pl.lit("goal").alias("tenant_id"))
    if "unique_id" not in identity:
        frame = frame.with_columns(pl.lit("metric").alias("unique_id"))
    return frame


def _paths(
    frame: pl.DataFrame,
    cleaned: np.ndarray,
    profile: dict[str, object],
    run: ForecastRun | None,
    horizon: int,
    config: ForecastConfig,
    n_paths: int,
    seed: int,
) -> tuple[np.ndarray, str]:
    """(path, day) simulated values for the ``horizon`` days after the history."""
    rng = np.random.default_rng(seed)
    if profile["series_class"] == CONSTANT:
        return np.full((n_paths, horizon), cleaned[-1]), "constant"
    if run is not None and horizon <= run.config.horizon:
        identity = (str(frame["tenant_id"][0]), str(frame["unique_id"][0]))
        chosen = run.forecasts.filter(
            (pl.col("tenant_id") == identity[0]) & (pl.col("unique_id") == identity[1]) & pl.col("is_chosen")
        ).sort("ds")
        if chosen.is_empty():
            raise ForecastInputError(f"the run has no forecast for {identity[0]}/{identity[1]}")
        expected_start = profile["history_end"] + timedelta(days=1)  # type: ignore[operator]
        if chosen["ds"][0] != expected_start:
            raise ForecastInputError(
                f"history ends on {profile['history_end']} but the run's forecast "
                f"starts on {chosen['ds'][0]}",
                "pass the history the run was made from",
            )
        errors = run.error_paths.get((str(profile["series_class"]), str(chosen["model"][0])))
        scale = run.final_scales.get(identity)
        if errors is not None and scale is not None and len(errors):
            draws = errors[rng.integers(0, len(errors), size=n_paths), :horizon]
            point = chosen["point"].to_numpy()[:horizon]
            return point[None, :] + scale * draws, "calibrated_error_paths"
    recent = cleaned[-config.arima_history_days :]
    model = (
        AutoETS(season_length=config.weekly_season) if recent.size >= 2 * config.weekly_season else Naive()
    )
    with warnings.catch_warnings():
        # AutoETS warns that it was fitted with normal errors; bootstrapping its residuals is the point.
        warnings.simplefilter("ignore")
        paths = model.simulate(
            h=horizon, n_paths=n_paths, y=recent, seed=seed, error_distribution="bootstrap"
        )
    return np.asarray(paths, dtype=float), "model_simulation"


def _summarise(
    outcome: np.ndarray, target: float, direction: Direction, method: str, realized: float
) -> GoalProbability:
    p10, p50, p90 = np.quantile(outcome, [0.1, 0.5, 0.9])
    return GoalProbability(
        probability=probability_of(outcome, target, direction),
        expected_value=float(outcome.mean()),
        p10=float(p10),
        p50=float(p50),
        p90=float(p90),
        method=method,
        realized=realized,
        n_paths=int(outcome.size),
    )
