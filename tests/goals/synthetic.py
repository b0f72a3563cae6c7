"""Daily series with a known process for the goal tests: a weekly pattern times a persistent AR(1) level.

The AR(1) part makes errors persist (a slow week is followed by more slow days), which is what makes a
sum over a period more uncertain than independent days; a goal model that ignored it would be overconfident.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

WEEKLY = np.array([0.9, 0.95, 1.0, 1.0, 1.1, 1.3, 0.75])


def known_process(
    days: int, *, level: float, rng: np.random.Generator, phi: float = 0.6, sd: float = 0.08
) -> np.ndarray:
    noise = np.zeros(days)
    shocks = rng.normal(0.0, sd, size=days)
    for t in range(1, days):
        noise[t] = phi * noise[t - 1] + shocks[t]
    return level * WEEKLY[np.arange(days) % 7] * np.exp(noise)


def local_level_process(
    days: int, *, level: float, rng: np.random.Generator, level_sd: float = 0.02, sd: float = 0.06
) -> np.ndarray:
    """A weekly pattern times a level that drifts as a random walk, plus independent daily noise."""
    drift = np.cumsum(rng.normal(0.0, level_sd, size=days))
    return level * WEEKLY[np.arange(days) % 7] * np.exp(drift + rng.normal(0.0, sd, size=days))


def frame(values: np.ndarray, end: date, column: str = "revenue_net") -> pl.DataFrame:
    first = end - timedelta(days=len(values) - 1)
    return pl.DataFrame({"ds": [first + timedelta(days=i) for i in range(len(values))], column: values})


def calibration_trial(
    n_series: int,
    targets_per_series: int,
    *,
    seed: int,
    process: str = "local_level",
    history_days: int = 120,
    horizon: int = 28,
    n_paths: int = 500,
) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities the engine gives random targets, and whether each target was reached.

    Each series follows ``process`` (:func:`local_level_process`, or :func:`known_process` for the
    mean-reverting AR(1)) with its own level; the goal is the sum of the ``horizon`` days after the history.
    Targets are drawn around the recent run rate (0.9x to 1.1x), never from the realised future, so
    "reached" is an honest outcome.
    """
    from models_ml.forecasting import goal_outcomes, probability_of

    rng = np.random.default_rng(seed)
    probabilities: list[float] = []
    reached: list[bool] = []
    end = date(2026, 6, 30)
    for i in range(n_series):
        level = float(rng.uniform(200, 5000))
        make = local_level_process if process == "local_level" else known_process
        values = make(history_days + horizon, level=level, rng=rng)
        history = frame(values[:history_days], end).rename({"revenue_net": "y"})
        actual = float(values[history_days:].sum())
        outcomes = goal_outcomes(
            history, end + timedelta(days=horizon), "sum", n_paths=n_paths, seed=i
        ).outcomes
        # The level the process had at the end of the history (known to the test, not to the engine).
        true_mean = float(values[history_days - 28 : history_days].mean()) * horizon
        for target in true_mean * rng.uniform(0.9, 1.1, size=targets_per_series):
            probabilities.append(probability_of(outcomes, float(target)))
            reached.append(actual >= target)
    return np.array(probabilities), np.array(reached)


def reliability(
    probabilities: np.ndarray, reached: np.ndarray, bins: int = 5
) -> list[tuple[float, float, int]]:
    """Per probability bin: the mean probability given, the share reached, and the number of goals."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(probabilities, edges) - 1, 0, bins - 1)
    return [
        (float(probabilities[index == b].mean()), float(reached[index == b].mean()), int((index == b).sum()))
        for b in range(bins)
        if (index == b).any()
    ]
