"""Forecasting on a Dask cluster (statsforecast's Fugue backend) gives the local path's forecasts.

A small panel runs twice through the whole pipeline (cross-validation, choice, ensemble, calibrated
intervals): once in this process and once on a local Dask cluster with two worker processes. The
statistical models are the same code on both; only where they run differs, so the forecasts agree
within floating-point tolerance (the Dask path returns single-precision numbers from the workers).
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from distributed import get_task_stream

from models_ml.forecasting import ForecastConfig, forecast_panel
from models_ml.forecasting.engine import close_clients, dask_client
from models_ml.forecasting.synthetic import synthetic_business_panel

KEYS = ["tenant_id", "unique_id", "model", "ds"]


@pytest.fixture(scope="module")
def panel() -> pl.DataFrame:
    # Four regular series plus a short one (the short-series path runs statsforecast too).
    regular = synthetic_business_panel(n_series=4, n_days=150, end=date(2025, 10, 31), seed=11)
    short = (
        regular.filter(pl.col("tenant_id") == "t001")
        .sort("ds")
        .tail(20)
        .with_columns(pl.lit("t999").alias("tenant_id"))
    )
    return pl.concat([regular, short], how="vertical_relaxed")


def test_dask_engine_gives_the_local_forecasts(panel: pl.DataFrame) -> None:
    models = ("AutoETS", "SeasonalNaive")
    local = forecast_panel(panel, config=ForecastConfig(horizon=14, models=models, n_jobs=1))
    try:
        client = dask_client(None)
        workers = client.scheduler_info()["workers"]
        assert len(workers) >= 1  # a real cluster: worker processes besides this one
        with get_task_stream(client) as stream:
            distributed = forecast_panel(
                panel, config=ForecastConfig(horizon=14, models=models, engine="dask")
            )
        # the workers did the fitting: tasks ran on the cluster, on more than one worker
        assert len(stream.data) > 0
        assert len({task["worker"] for task in stream.data}) == len(workers)
    finally:
        close_clients()

    assert distributed.forecasts.height == local.forecasts.height > 0
    joined = local.forecasts.join(distributed.forecasts, on=KEYS, suffix="_dask")
    assert joined.height == local.forecasts.height  # same series, models and days
    assert joined.filter(pl.col("is_chosen") != pl.col("is_chosen_dask")).height == 0
    for column in ("point", "lo_80", "hi_80", "lo_95", "hi_95"):
        gap = (pl.col(column) - pl.col(f"{column}_dask")).abs() / (pl.col(column).abs() + 1.0)
        worst = joined.select(gap.max()).item()
        assert worst < 1e-4, (column, worst)
    assert set(local.forecasts["tenant_id"]) == set(distributed.forecasts["tenant_id"]) >= {"t999"}
