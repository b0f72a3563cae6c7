"""Goal probability: known answers, monotonicity, realised parts and calibration on a hold-out."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from scipy import stats

from models_ml.forecasting import ForecastInputError, goal_probability

from .conftest import HORIZON, HeldOutRun, single_series

WEEKLY_PATTERN = np.array([100.0, 100.0, 100.0, 100.0, 120.0, 140.0, 80.0])
NOISE_SD = 10.0


def steady_history(days: int = 364, seed: int = 0) -> pl.DataFrame:
    """A stable weekly pattern plus independent noise: the sum of future days has a known law."""
    rng = np.random.default_rng(seed)
    values = WEEKLY_PATTERN[np.arange(days) % 7] + rng.normal(0.0, NOISE_SD, size=days)
    return single_series("t", "revenue", values, end=date(2025, 6, 29)).drop("tenant_id", "unique_id")


def test_probability_matches_a_known_answer() -> None:
    history = steady_history()
    last = history["ds"].max()
    deadline = last + timedelta(days=28)
    future_means = WEEKLY_PATTERN[np.arange(364, 364 + 28) % 7]
    mean, sd = future_means.sum(), NOISE_SD * np.sqrt(28)
    for quantile in (0.1, 0.5, 0.9):
        target = mean + sd * stats.norm.ppf(quantile)
        result = goal_probability(history, target=target, deadline=deadline, seed=1)
        assert result.method == "model_simulation"
        assert abs(result.probability - (1 - quantile)) <= 0.1, (quantile, result)
    result = goal_probability(history, target=mean, deadline=deadline, seed=1)
    assert abs(result.expected_value / mean - 1) < 0.01
    assert result.p10 < result.p50 < result.p90


def test_level_on_the_deadline() -> None:
    history = steady_history()
    deadline = history["ds"].max() + timedelta(days=10)  # a Wednesday: mean 100
    likely = goal_probability(history, target=80.0, deadline=deadline, aggregation="level")
    unlikely = goal_probability(history, target=150.0, deadline=deadline, aggregation="level")
    assert likely.probability > 0.9
    assert unlikely.probability < 0.1
    assert 85 < likely.expected_value < 115


def test_at_most_is_the_complement() -> None:
    history = steady_history()
    deadline = history["ds"].max() + timedelta(days=20)
    at_least = goal_probability(history, target=2_100.0, deadline=deadline, seed=3)
    at_most = goal_probability(history, target=2_100.0, deadline=deadline, direction="at_most", seed=3)
    assert abs(at_least.probability + at_most.probability - 1) < 0.01


def test_realised_part_of_the_period_counts(calibration_run: HeldOutRun) -> None:
    tenant = calibration_run.history.filter(
        (pl.col("tenant_id") == "t001") & (pl.col("unique_id") == "revenue")
    )
    last = tenant["ds"].max()
    period_start = last - timedelta(days=20)
    realised = tenant.filter(pl.col("ds") >= period_start)["y"].sum()
    deadline = last + timedelta(days=10)

    below = goal_probability(
        tenant, target=0.9 * realised, deadline=deadline, period_start=period_start, run=calibration_run.run
    )
    assert below.probability == 1.0
    assert below.method == "calibrated_error_paths"
    assert below.realized == pytest.approx(realised)
    assert below.p10 >= realised

    already = goal_probability(tenant, target=realised, deadline=last, period_start=period_start)
    assert already.method == "realized"
    assert already.probability == 1.0
    assert (
        goal_probability(tenant, target=realised + 1, deadline=last, period_start=period_start).probability
        == 0.0
    )


def test_higher_targets_are_less_likely(calibration_run: HeldOutRun) -> None:
    tenant = calibration_run.history.filter(
        (pl.col("tenant_id") == "t002") & (pl.col("unique_id") == "orders")
    )
    deadline = tenant["ds"].max() + timedelta(days=HORIZON)
    expected = goal_probability(tenant, target=0.0, deadline=deadline, run=calibration_run.run).expected_value
    targets = np.linspace(0.5, 1.5, 11) * expected
    probabilities = [
        goal_probability(tenant, target=float(t), deadline=deadline, run=calibration_run.run).probability
        for t in targets
    ]
    assert all(a >= b for a, b in itertools.pairwise(probabilities))
    assert probabilities[0] > 0.95
    assert probabilities[-1] < 0.05


def test_deadline_beyond_the_horizon_simulates_the_model(calibration_run: HeldOutRun) -> None:
    tenant = calibration_run.history.filter(
        (pl.col("tenant_id") == "t003") & (pl.col("unique_id") == "revenue")
    )
    deadline = tenant["ds"].max() + timedelta(days=HORIZON + 30)
    result = goal_probability(tenant, target=0.0, deadline=deadline, run=calibration_run.run, n_paths=500)
    assert result.method == "model_simulation"
    assert result.probability == 1.0


def test_probabilities_are_calibrated_on_the_hold_out(calibration_run: HeldOutRun) -> None:
    """P(sum of the next 28 days >= what actually happened) should look uniform across series."""
    run, future = calibration_run.run, calibration_run.future
    deadline = future["ds"].max()
    pit = []
    for (tenant_id, unique_id), history in calibration_run.history.group_by("tenant_id", "unique_id"):
        actual = future.filter((pl.col("tenant_id") == tenant_id) & (pl.col("unique_id") == unique_id))[
            "y"
        ].sum()
        pit.append(goal_probability(history, target=actual, deadline=deadline, run=run).probability)
    values = np.array(pit)
    assert 0.3 <= values.mean() <= 0.7
    assert np.mean(values < 0.1) <= 0.25
    assert np.mean(values > 0.9) <= 0.25


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"aggregation": "mean"}, "aggregation"),
        ({"direction": "above"}, "direction"),
        ({"target": float("nan")}, "target"),
        ({"n_paths": 10}, "n_paths"),
    ],
)
def test_bad_arguments_raise(arguments: dict[str, object], message: str) -> None:
    call: dict[str, object] = {"target": 1.0, "deadline": date(2025, 7, 30)} | arguments
    with pytest.raises(ForecastInputError, match=message):
        goal_probability(steady_history(), **call)  # type: ignore[arg-type]


def test_history_of_several_series_is_refused(calibration_run: HeldOutRun) -> None:
    with pytest.raises(ForecastInputError, match="several series"):
        goal_probability(
            calibration_run.history, target=1.0, deadline=date(2026, 1, 1), run=calibration_run.run
        )
