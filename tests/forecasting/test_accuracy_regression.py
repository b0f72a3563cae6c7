"""Accuracy regression on the demo businesses: MASE below recorded bounds, calibrated intervals.

The fixed data set is what the demo simulator says really happened (``world.daily_truth()``, seed 42,
the default window 2023-11-01 .. 2026-10-31) for all 14 demo tenants: net revenue and orders per day,
26 series (the two software tenants have no orders). The last 28 days are kept apart as a true
hold-out; the run sees the 1,068 days before. It is the demo's own configuration (every candidate,
horizon 28, three CV windows) except ``n_jobs=1``, which makes the run deterministic and keeps it at
12-17 s of one core (47 s at a load average of 6), so the test stays in the default suite.

The bounds are recorded as Nixtla's experiments record theirs: measured once, then the measured value
plus a small margin (about 5% of the value), so that a library upgrade that merely shuffles the
numbers passes and a real loss of accuracy fails. Re-measure and re-record them (with the date) when a
change to the library is meant to move them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import polars as pl
import pytest

from ingestion.demo import simulate
from models_ml.forecasting import ForecastConfig, ForecastRun, forecast_panel

SEED = 42
HORIZON = 28
SEASON = 7

# Recorded 2026-11-22 (DEFAULT_MODELS, n_jobs=1, statsforecast 2.1.1, mlforecast 1.1.0, lightgbm 4.7):
# held-out-choice MASE over the CV windows, regular series: 0.738 (seasonal naive 1.000).
REGULAR_CV_MASE_BOUND = 0.78
# Same, intermittent series (Croston family): 0.933 (seasonal naive 1.288).
INTERMITTENT_CV_MASE_BOUND = 0.98
# Mean MASE of the chosen forecasts on the 28 held-out days, all 26 series: 0.832 (seasonal naive
# 1.152; 23 of 26 series no worse than it). Coverage of those days: 76.8% / 94.9%.
HOLD_OUT_MASE_BOUND = 0.87


@dataclass(frozen=True)
class DemoRun:
    history: pl.DataFrame
    future: pl.DataFrame
    run: ForecastRun


@pytest.fixture(scope="module")
def demo_run() -> DemoRun:
    truth = simulate(seed=SEED).daily_truth()
    panel = (
        truth.select(
            pl.col("tenant_slug").alias("tenant_id"),
            pl.col("date").alias("ds"),
            pl.col("net_revenue").cast(pl.Float64).alias("revenue_net"),
            pl.col("orders").cast(pl.Float64),
        )
        .unpivot(index=["tenant_id", "ds"], variable_name="unique_id", value_name="y")
        .drop_nulls("y")
    )
    cut = panel.select(pl.col("ds").max()).item() - timedelta(days=HORIZON)
    history = panel.filter(pl.col("ds") <= cut)
    future = panel.filter(pl.col("ds") > cut)
    run = forecast_panel(history, config=ForecastConfig(horizon=HORIZON, n_jobs=1))
    return DemoRun(history=history, future=future, run=run)


def hold_out_mase(demo: DemoRun) -> pl.DataFrame:
    """Per series: MASE of the chosen forecast and of seasonal naive on the held-out days.

    The denominator is the in-sample seasonal naive MAE of the whole history, as in the M4 definition.
    """
    scale = (
        demo.history.sort("ds")
        .group_by("tenant_id", "unique_id")
        .agg((pl.col("y") - pl.col("y").shift(SEASON)).abs().mean().alias("scale"))
    )
    last_week = (
        demo.history.sort("ds")
        .group_by("tenant_id", "unique_id")
        .agg(pl.col("y").tail(SEASON).alias("week"), pl.col("ds").max().alias("end"))
    )
    naive = (
        demo.future.join(last_week, on=["tenant_id", "unique_id"])
        .with_columns(((pl.col("ds") - pl.col("end")).dt.total_days() - 1).mod(SEASON).alias("lag"))
        .with_columns(pl.col("week").list.get(pl.col("lag")).alias("naive"))
    )
    joined = naive.join(demo.run.chosen_forecasts(), on=["tenant_id", "unique_id", "ds"])
    return (
        joined.group_by("tenant_id", "unique_id")
        .agg(
            (pl.col("y") - pl.col("point")).abs().mean().alias("chosen_mae"),
            (pl.col("y") - pl.col("naive")).abs().mean().alias("naive_mae"),
            pl.len().alias("days"),
        )
        .join(scale, on=["tenant_id", "unique_id"])
        .with_columns(
            (pl.col("chosen_mae") / pl.col("scale")).alias("mase"),
            (pl.col("naive_mae") / pl.col("scale")).alias("naive_mase"),
        )
    )


def test_every_demo_series_is_cross_validated(demo_run: DemoRun) -> None:
    chosen = demo_run.run.accuracy.filter(pl.col("is_chosen"))
    assert chosen.height == 26
    assert chosen["series_class"].value_counts().sort("series_class").rows() == [
        ("intermittent", 6),
        ("regular", 20),
    ]
    assert chosen["mase"].null_count() == 0


def test_cross_validated_mase_stays_below_the_recorded_bounds(demo_run: DemoRun) -> None:
    regular = demo_run.run.checks["regular"]
    assert regular.n_series == 20
    assert regular.mase <= REGULAR_CV_MASE_BOUND
    assert regular.mase <= 0.85 * regular.baseline_mase
    assert regular.share_no_worse_than_baseline >= 0.8
    intermittent = demo_run.run.checks["intermittent"]
    assert intermittent.n_series == 6
    assert intermittent.mase <= INTERMITTENT_CV_MASE_BOUND
    assert intermittent.mase < intermittent.baseline_mase


def test_hold_out_mase_stays_below_the_recorded_bound(demo_run: DemoRun) -> None:
    scores = hold_out_mase(demo_run)
    assert scores.height == 26
    assert scores["days"].to_list() == [HORIZON] * 26
    assert np.isfinite(scores["mase"].to_numpy()).all()
    mase, naive = scores["mase"].to_numpy(), scores["naive_mase"].to_numpy()
    assert mase.mean() <= HOLD_OUT_MASE_BOUND
    assert mase.mean() < naive.mean()
    assert (mase <= naive).mean() >= 0.75


def test_intervals_cover_the_held_out_days(demo_run: DemoRun) -> None:
    """The 28 days the run never saw: 26 series x 28 days, within 5 points of each level."""
    joined = demo_run.run.chosen_forecasts().join(demo_run.future, on=["tenant_id", "unique_id", "ds"])
    assert joined.height == 26 * HORIZON
    y = joined["y"].to_numpy()
    inside_80 = ((y >= joined["lo_80"].to_numpy()) & (y <= joined["hi_80"].to_numpy())).mean()
    inside_95 = ((y >= joined["lo_95"].to_numpy()) & (y <= joined["hi_95"].to_numpy())).mean()
    assert abs(inside_80 - 0.80) <= 0.05
    assert abs(inside_95 - 0.95) <= 0.05


def test_interval_coverage_is_within_five_points_over_the_cv_windows(demo_run: DemoRun) -> None:
    """Coverage of each level on windows the calibration did not see (leave-one-window-out)."""
    checks = demo_run.run.checks
    regular, intermittent = checks["regular"], checks["intermittent"]
    assert abs(regular.coverage_80 - 0.80) <= 0.05
    assert abs(regular.coverage_95 - 0.95) <= 0.05
    # All cross-validated series together (weighted by series), the "on the demo tenants".
    n = regular.n_series + intermittent.n_series
    pooled_80 = (
        regular.n_series * regular.coverage_80 + intermittent.n_series * intermittent.coverage_80
    ) / n
    pooled_95 = (
        regular.n_series * regular.coverage_95 + intermittent.n_series * intermittent.coverage_95
    ) / n
    assert abs(pooled_80 - 0.80) <= 0.05
    assert abs(pooled_95 - 0.95) <= 0.05
    # Intermittent series are counts with many zero days: a bound sits on a whole number, so their
    # coverage is coarse and lands above nominal (0.87 / 0.98 when recorded); it must never fall short.
    assert intermittent.coverage_80 >= 0.75
    assert intermittent.coverage_95 >= 0.90
