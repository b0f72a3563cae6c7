"""Real data, real trouble: each awkward series gets a sensible forecast or a stated reason."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest

from models_ml.forecasting import (
    INTERMITTENT_MODELS,
    ForecastConfig,
    ForecastRun,
    check_forecasts,
    forecast_panel,
)
from models_ml.forecasting import pipeline as pipeline_module
from models_ml.forecasting.candidates import RecentHistory, regular_models
from models_ml.forecasting.prepare import prepare_panel
from models_ml.forecasting.synthetic import synthetic_business_panel

from .conftest import HORIZON, single_series


def chosen_row(run: ForecastRun, tenant_id: str) -> dict[str, Any]:
    rows = run.accuracy.filter(
        (pl.col("tenant_id") == tenant_id) & (pl.col("is_chosen") | pl.col("model").is_null())
    )
    assert rows.height == 1, rows
    return rows.row(0, named=True)


def chosen_forecast(run: ForecastRun, tenant_id: str) -> pl.DataFrame:
    return run.chosen_forecasts().filter(pl.col("tenant_id") == tenant_id).sort("ds")


def test_the_run_survives_every_trouble_case(trouble_run: ForecastRun, trouble_panel: pl.DataFrame) -> None:
    assert check_forecasts(trouble_run.forecasts) == []
    series = trouble_panel.select("tenant_id", "unique_id").unique().height
    assert trouble_run.accuracy.select("tenant_id", "unique_id").unique().height == series
    without_forecast = {"new5", "dup"}
    forecast_tenants = set(trouble_run.chosen_forecasts()["tenant_id"].unique().to_list())
    all_tenants = set(trouble_panel["tenant_id"].unique().to_list())
    assert forecast_tenants == all_tenants - without_forecast


@pytest.mark.parametrize(
    ("tenant_id", "series_class", "model", "reason"),
    [
        ("new35", "short", "SeasonalNaive", "short history (35 days"),
        ("new20", "short", "SeasonalNaive", "short history (20 days"),
        ("new10", "short", "Naive", "short history (10 days"),
        ("new5", "insufficient", None, "only 5 days of history"),
        ("zeros", "constant", "Constant", "all values are zero"),
        ("flat", "constant", "Constant", "every value equals 12"),
        ("sparse", "intermittent", None, "intermittent (8"),
        ("dup", "invalid", None, "2 date(s) appear more than once"),
    ],
)
def test_fallbacks_say_which_and_why(
    trouble_run: ForecastRun, tenant_id: str, series_class: str, model: str | None, reason: str
) -> None:
    row = chosen_row(trouble_run, tenant_id)
    assert row["series_class"] == series_class
    if model is not None:
        assert row["chosen_model"] == model
    assert reason in row["fallback_reason"]


def test_new_tenant_forecast_repeats_its_recent_weeks(
    trouble_run: ForecastRun, trouble_panel: pl.DataFrame
) -> None:
    history = trouble_panel.filter(pl.col("tenant_id") == "new20").sort("ds")["y"].to_numpy()
    forecast = chosen_forecast(trouble_run, "new20")
    assert forecast.height == HORIZON
    assert np.allclose(forecast["point"].to_numpy()[:7], history[-7:])
    assert (forecast["hi_95"] > forecast["hi_80"]).all()


def test_zero_and_flat_series_get_flat_forecasts(trouble_run: ForecastRun) -> None:
    zeros = chosen_forecast(trouble_run, "zeros")
    flat = chosen_forecast(trouble_run, "flat")
    assert zeros.select(pl.col("point", "lo_95", "hi_95").abs().max()).row(0) == (0.0, 0.0, 0.0)
    assert flat.select(pl.col("point", "lo_95", "hi_95").n_unique()).row(0) == (1, 1, 1)
    assert flat["point"][0] == 12.0


def test_intermittent_series_use_intermittent_models(trouble_run: ForecastRun) -> None:
    candidates = trouble_run.accuracy.filter(pl.col("tenant_id") == "sparse")["model"].to_list()
    assert set(candidates) <= {*INTERMITTENT_MODELS, "Ensemble"}
    assert {"CrostonOptimized", "ADIDA", "IMAPA"} <= set(candidates)
    forecast = trouble_run.forecasts.filter(pl.col("tenant_id") == "sparse")
    assert forecast["lo_95"].min() >= 0.0
    assert forecast["hi_95"].max() > 0.0


def test_missing_days_are_filled_and_counted(trouble_run: ForecastRun, trouble_panel: pl.DataFrame) -> None:
    row = chosen_row(trouble_run, "gaps")
    missing = 400 - trouble_panel.filter(pl.col("tenant_id") == "gaps").height
    assert row["series_class"] == "regular"
    assert f"{missing} missing days filled by linear interpolation" in row["data_notes"]
    assert chosen_forecast(trouble_run, "gaps").height == HORIZON


def test_non_finite_values_count_as_missing_days(trouble_run: ForecastRun) -> None:
    row = chosen_row(trouble_run, "nan")
    assert "6 missing days filled" in row["data_notes"]


def test_zero_filling_when_configured() -> None:
    frame = single_series("t", "orders", np.arange(1.0, 31.0)).filter(pl.col("y") % 5 != 0)
    prepared = prepare_panel(frame, ForecastConfig(missing_days="zero"))
    filled = prepared.data.filter(pl.col("filled"))
    # 30 is missing too, but a series ends at its last observed day: only the 5 inner gaps are filled
    assert filled.height == 5
    assert filled["y_raw"].to_list() == [0.0] * 5
    assert "5 missing days filled by zeros" in prepared.profile["data_notes"][0]


def test_a_late_outlier_is_not_repeated_by_the_forecast(
    trouble_run: ForecastRun, trouble_panel: pl.DataFrame
) -> None:
    """SeasonalNaive on the raw values would copy the 8x bulk order into next week."""
    row = chosen_row(trouble_run, "spike")
    assert "2 outlier days replaced" in row["data_notes"]
    history = trouble_panel.filter(pl.col("tenant_id") == "spike").sort("ds")["y"].to_numpy()
    naive = trouble_run.forecasts.filter(
        (pl.col("tenant_id") == "spike") & (pl.col("model") == "SeasonalNaive")
    ).sort("ds")
    same_weekday_next_week = naive["point"][4]  # the spike was 3 days before the end, i.e. step 4
    assert same_weekday_next_week < 2 * np.median(history[-31:-3:7])


def test_forecast_follows_a_level_shift(trouble_run: ForecastRun, trouble_panel: pl.DataFrame) -> None:
    history = trouble_panel.filter(pl.col("tenant_id") == "shift").sort("ds")["y"].to_numpy()
    forecast = chosen_forecast(trouble_run, "shift")
    recent_level = history[-56:].mean()
    assert abs(forecast["point"].mean() / recent_level - 1) < 0.15


class _Fragile:
    """A statsforecast-style model that fails on series with negative values, as numerical trouble would."""

    alias = "Fragile"
    uses_exog = False
    prediction_intervals = None

    def __repr__(self) -> str:
        return self.alias

    def new(self) -> _Fragile:
        return _Fragile()

    def _check(self, y: np.ndarray) -> None:
        if y.min() < 0:
            raise FloatingPointError("log of a negative number")

    def forecast(self, y: np.ndarray, h: int, **_: Any) -> dict[str, np.ndarray]:
        self._check(y)
        return {"mean": np.full(h, y[-7:].mean())}

    def fit(self, y: np.ndarray, X: np.ndarray | None = None) -> _Fragile:
        return self

    def forward(self, y: np.ndarray, h: int, **_: Any) -> dict[str, np.ndarray]:
        self._check(y)
        return {"mean": np.full(h, y[-7:].mean())}


def test_a_model_failing_on_one_series_costs_only_that_series(monkeypatch: pytest.MonkeyPatch) -> None:
    panel = synthetic_business_panel(n_series=3, n_days=200, seed=2)
    profit = panel.filter(pl.col("unique_id") == "revenue").with_columns(
        pl.lit("profit").alias("unique_id"), (pl.col("y") - 10 * pl.col("y").max()).alias("y")
    )

    def with_fragile(config: ForecastConfig, periods: Any = None) -> list[Any]:
        return [*regular_models(config, periods), _Fragile(), RecentHistory(_Fragile(), 60, "FragileForward")]

    monkeypatch.setattr(pipeline_module, "regular_models", with_fragile)
    run = forecast_panel(pl.concat([panel, profit]), config=ForecastConfig(models=("SeasonalNaive",)))
    failing = run.accuracy.filter(pl.col("unique_id") == "profit")
    assert set(failing["model"].to_list()) == {"SeasonalNaive"}
    reason = failing["fallback_reason"][0]
    assert "Fragile failed on this series and was left out" in reason
    assert "FragileForward failed on this series and was left out" in reason
    others = run.accuracy.filter(pl.col("unique_id") != "profit")
    assert others.filter(pl.col("model").str.starts_with("Fragile")).height == 6
    assert check_forecasts(run.forecasts) == []
