"""Intervals stay calibrated whether a run holds one series, a handful or fifty.

The same 50 synthetic daily business series (``synthetic_business_panel``, seed 11, 548 days of
history) are forecast 28 days ahead in runs of 1 series (50 runs), 5 series (10 runs) and 50 series
(one run); the 28 days after the history are a true hold-out none of the runs sees. For each panel
size, the share of the 1,400 held-out days inside the 80% and 95% intervals must lie within 5 points
of nominal. With one series the calibration rests on its own error paths only: the run gets more
cross-validation windows (``min_error_paths``) and pools every step through the error growth profile
with a correction for the pool's effective size (``evaluation._pooled_quantiles``).

This takes a few minutes of one core, so it runs with the benchmarks (``pytest -m benchmark``);
the figures are recorded in ``docs/benchmarks.md``.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl
import pytest

from models_ml.forecasting import ForecastConfig, forecast_panel
from models_ml.forecasting.synthetic import synthetic_business_panel

from .conftest import PANEL_END

HORIZON = 28
N_SERIES = 50
CONFIG = ForecastConfig(models=("AutoETS", "AutoTheta", "SeasonalNaive"), horizon=HORIZON, n_jobs=1)


def coverage_by_panel_size(
    sizes: tuple[int, ...], n_series: int = N_SERIES
) -> dict[int, tuple[float, float]]:
    """Panel size -> held-out coverage of the 80% and 95% intervals over the same series."""
    panel = synthetic_business_panel(n_series=n_series, n_days=548 + HORIZON, end=PANEL_END, seed=11)
    cut = PANEL_END - timedelta(days=HORIZON)
    history, future = panel.filter(pl.col("ds") <= cut), panel.filter(pl.col("ds") > cut)
    ids = history.select("tenant_id", "unique_id").unique().sort("tenant_id", "unique_id")
    result = {}
    for size in sizes:
        inside_80, inside_95 = [], []
        for start in range(0, ids.height, size):
            members = ids.slice(start, size)
            run = forecast_panel(history.join(members, on=["tenant_id", "unique_id"]), config=CONFIG)
            joined = run.chosen_forecasts().join(future, on=["tenant_id", "unique_id", "ds"])
            y = joined["y"].to_numpy()
            inside_80.append((joined["lo_80"].to_numpy() <= y) & (y <= joined["hi_80"].to_numpy()))
            inside_95.append((joined["lo_95"].to_numpy() <= y) & (y <= joined["hi_95"].to_numpy()))
        result[size] = (float(np.concatenate(inside_80).mean()), float(np.concatenate(inside_95).mean()))
    return result


@pytest.mark.benchmark
def test_coverage_holds_for_panels_of_1_5_and_50_series() -> None:
    coverage = coverage_by_panel_size((1, 5, 50))
    for size, (cover_80, cover_95) in coverage.items():
        assert abs(cover_80 - 0.80) <= 0.05, (size, coverage)
        assert abs(cover_95 - 0.95) <= 0.05, (size, coverage)
