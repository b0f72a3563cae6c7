"""Shared runs for the forecasting tests: each expensive run happens once per session.

The calibration panel is the fixed data set of the accuracy regression test (seed 7): 20 realistic
daily series (weekly and yearly seasonality, trend, AR noise, holidays, outliers, a level shift) with
the 28 days after the history kept apart as a true hold-out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from models_ml.forecasting import ForecastConfig, ForecastRun, forecast_panel
from models_ml.forecasting.synthetic import intermittent_series, synthetic_business_panel

HORIZON = 28
CALIBRATION_SERIES = 20
PANEL_END = date(2025, 10, 31)


@dataclass(frozen=True)
class HeldOutRun:
    history: pl.DataFrame
    future: pl.DataFrame
    run: ForecastRun


@pytest.fixture(scope="session")
def calibration_run() -> HeldOutRun:
    panel = synthetic_business_panel(n_series=CALIBRATION_SERIES, n_days=548 + HORIZON, end=PANEL_END, seed=7)
    cut = PANEL_END - timedelta(days=HORIZON)
    history = panel.filter(pl.col("ds") <= cut)
    future = panel.filter(pl.col("ds") > cut)
    run = forecast_panel(history, config=ForecastConfig(horizon=HORIZON, n_jobs=1))
    return HeldOutRun(history=history, future=future, run=run)


def single_series(tenant_id: str, unique_id: str, values: np.ndarray, end: date = PANEL_END) -> pl.DataFrame:
    """One series ending on ``end`` with the given daily values."""
    start = end - timedelta(days=values.size - 1)
    return pl.DataFrame(
        {
            "tenant_id": tenant_id,
            "unique_id": unique_id,
            "ds": [start + timedelta(days=i) for i in range(values.size)],
            "y": values.astype(float),
        }
    )


@pytest.fixture(scope="session")
def trouble_panel() -> pl.DataFrame:
    """A few regular series plus one series for each kind of trouble the issue lists."""
    regular = synthetic_business_panel(n_series=4, n_days=400, end=PANEL_END, seed=3, outlier_rate=0.0)
    reference = regular.filter((pl.col("tenant_id") == "t001") & (pl.col("unique_id") == "revenue"))
    values = reference.sort("ds")["y"].to_numpy()
    rng = np.random.default_rng(1)

    spiky = values.copy()
    spiky[-3] *= 8  # a bulk order three days before the end: SeasonalNaive would repeat it next week
    spiky[150] *= 6
    shifted = values.copy()
    shifted[-150:] *= 1.8
    gappy = single_series("gaps", "revenue", values)
    dropped = rng.uniform(size=gappy.height) < 0.1
    dropped[200:214] = True
    dropped[-1] = False
    broken = values.copy()
    broken[40:45] = np.nan
    broken[-10] = np.inf
    duplicated = single_series("dup", "revenue", values[-60:])

    return pl.concat(
        [
            regular,
            single_series("new35", "revenue", values[-35:]),
            single_series("new20", "revenue", values[-20:]),
            single_series("new10", "revenue", values[-10:]),
            single_series("new5", "revenue", values[-5:]),
            single_series("zeros", "refunds", np.zeros(300)),
            single_series("flat", "seats", np.full(300, 12.0)),
            intermittent_series(400, PANEL_END, zero_share=0.8, seed=2, tenant_id="sparse"),
            gappy.filter(~pl.Series(dropped)),
            single_series("spike", "revenue", spiky),
            single_series("shift", "revenue", shifted),
            single_series("nan", "revenue", broken),
            pl.concat([duplicated, duplicated.head(2)]),
        ]
    )


@pytest.fixture(scope="session")
def trouble_run(trouble_panel: pl.DataFrame) -> ForecastRun:
    config = ForecastConfig(models=("AutoETS", "AutoTheta", "SeasonalNaive", "LightGBM"), n_jobs=1)
    return forecast_panel(trouble_panel, config=config)
