"""Property test: a randomly damaged panel yields, per series, a forecast or a stated reason.

A seeded generator builds daily and monthly panels and damages each series at random: rows dropped
at any position (the first, the last, inner runs), nulls, NaN and infinities, duplicated dates,
negative values of a metric that cannot be negative, text that is not a number, rows without a
date, a series of one value, a constant series. Whatever the damage, ``forecast_panel`` must either
return a forecast with any fallback recorded, or raise :class:`ForecastInputError` naming the series
and the problem; never an exception from inside statsforecast, mlforecast or LightGBM.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from models_ml.forecasting import ForecastConfig, ForecastInputError, check_forecasts, forecast_panel

DAMAGES = (
    "drop_first",
    "drop_last",
    "drop_random",
    "drop_run",
    "nulls",
    "non_finite",
    "duplicate",
    "negative",
    "single_value",
    "constant",
    "undated",
    "none",
)
CONFIG = {"models": ("AutoETS", "SeasonalNaive", "LightGBM"), "lightgbm_estimators": 20, "n_jobs": 1}


def _dates(monthly: bool, n: int) -> list[date]:
    if monthly:
        return [date(2016 + i // 12, i % 12 + 1, 1) for i in range(n)]
    start = date(2025, 1, 1)
    return [start + timedelta(days=i) for i in range(n)]


def _series(rng: np.random.Generator, monthly: bool, name: str, damage: str) -> tuple[pl.DataFrame, bool]:
    """One damaged series (``y`` as text) and whether it contains text that is not a number."""
    n = int(rng.integers(60, 120)) if monthly else int(rng.integers(120, 260))
    t = np.arange(n)
    season = 12 if monthly else 7
    y = 100 + 0.3 * t + 20 * np.sin(2 * np.pi * t / season) + rng.normal(0, 5, n)
    frame = pl.DataFrame({"tenant_id": "shop", "unique_id": name, "ds": _dates(monthly, n), "y": y})
    if damage == "drop_first":
        frame = frame.slice(int(rng.integers(1, 5)))
    elif damage == "drop_last":
        frame = frame.head(n - int(rng.integers(1, 5)))
    elif damage == "drop_random":
        frame = frame.filter(pl.Series(rng.uniform(size=n) > 0.2))
    elif damage == "drop_run":
        start = int(rng.integers(0, n - 10))
        frame = frame.filter(~pl.int_range(pl.len()).is_between(start, start + int(rng.integers(2, 10))))
    elif damage == "nulls":
        frame = frame.with_columns(
            pl.when(pl.Series(rng.uniform(size=n) < 0.15)).then(None).otherwise(pl.col("y")).alias("y")
        )
    elif damage == "non_finite":
        values = y.copy()
        values[rng.integers(0, n, 3)] = np.nan
        values[rng.integers(0, n, 2)] = np.inf
        frame = frame.with_columns(pl.Series("y", values))
    elif damage == "duplicate":
        frame = pl.concat([frame, frame.sample(int(rng.integers(1, 4)), seed=int(rng.integers(1000)))])
    elif damage == "negative":
        values = y.copy()
        values[rng.integers(0, n, 3)] = -50.0
        frame = frame.with_columns(pl.Series("y", values))
    elif damage == "single_value":
        frame = frame.slice(int(rng.integers(0, n)), 1)
    elif damage == "constant":
        frame = frame.with_columns(pl.lit(float(rng.integers(0, 3))).alias("y"))
    elif damage == "undated":
        frame = frame.with_columns(
            pl.when(pl.Series(rng.uniform(size=frame.height) < 0.05))
            .then(None)
            .otherwise(pl.col("ds"))
            .alias("ds")
        )
    text = frame["y"].cast(pl.String)
    has_words = bool(rng.uniform() < 0.3)
    if has_words:
        words = pl.Series(rng.uniform(size=frame.height) < 0.05)
        text = pl.select(pl.when(words).then(pl.lit("n/a")).otherwise(text)).to_series()
    return frame.with_columns(text.alias("y")), has_words


def _panel(seed: int) -> tuple[pl.DataFrame, bool, list[str]]:
    rng = np.random.default_rng(seed)
    monthly = seed % 2 == 1
    damages = rng.choice(DAMAGES, size=int(rng.integers(2, 6)), replace=True).tolist()
    parts = [_series(rng, monthly, f"{damage}_{i}", damage)[0] for i, damage in enumerate(damages)]
    panel = pl.concat(parts)
    as_text = bool(rng.uniform() < 0.5)
    if not as_text:
        # Numbers as numbers (text that is not a number becomes null here, as a typed export would have it).
        panel = panel.with_columns(pl.col("y").cast(pl.Float64, strict=False))
    return panel, monthly, damages


@pytest.mark.parametrize("seed", range(10))
def test_every_damaged_series_gets_a_forecast_or_a_reason(seed: int) -> None:
    panel, monthly, _ = _panel(seed)
    horizon = 6 if monthly else 14
    negative = tuple(name for name in panel["unique_id"].unique().to_list() if name.startswith("negative"))
    config = ForecastConfig(horizon=horizon, cannot_be_negative=negative, **CONFIG)  # type: ignore[arg-type]
    try:
        run = forecast_panel(panel, config=config)
    except ForecastInputError as error:
        # Allowed only with the series and the problem named.
        assert "shop/" in str(error), str(error)
        return
    assert check_forecasts(run.forecasts) == []
    series = panel.select("tenant_id", "unique_id").unique()
    assert run.accuracy.select("tenant_id", "unique_id").unique().height == series.height
    chosen = run.chosen_forecasts()
    for unique_id in series["unique_id"].to_list():
        rows = chosen.filter(pl.col("unique_id") == unique_id)
        reasons = run.accuracy.filter(pl.col("unique_id") == unique_id)
        if rows.is_empty():
            assert reasons["fallback_reason"].drop_nulls().len() > 0, unique_id
            continue
        assert rows.height == horizon, unique_id
        values = rows.select("point", "lo_80", "hi_80", "lo_95", "hi_95").to_numpy()
        assert np.isfinite(values).all(), unique_id
        if unique_id.startswith("negative"):
            assert "negative value(s)" in (reasons["data_notes"][0] or ""), unique_id
            assert rows["lo_95"].min() >= 0.0
        if unique_id.startswith(("single_value", "duplicate")):
            pytest.fail(f"{unique_id} should have no forecast")


def test_a_daily_series_missing_only_its_first_day_is_forecast() -> None:
    """The issue's crash: the 3-year window started on a missing day, a null reached mlforecast."""
    n = 3 * 365 + 30
    start = date(2023, 1, 1)
    rng = np.random.default_rng(0)
    values = 100 + 10 * np.sin(2 * np.pi * np.arange(n) / 7) + rng.normal(0, 3, n)
    frame = pl.DataFrame(
        {
            "tenant_id": "t",
            "unique_id": "sales",
            "ds": [start + timedelta(days=i) for i in range(n)],
            "y": values,
        }
    )
    window_start = frame["ds"].max() - timedelta(days=3 * 365 - 1)
    frame = frame.filter(pl.col("ds") != window_start)
    run = forecast_panel(
        frame, config=ForecastConfig(models=("SeasonalNaive", "LightGBM"), lightgbm_estimators=20)
    )
    chosen = run.accuracy.filter(pl.col("is_chosen"))
    assert chosen["series_class"].to_list() == ["regular"]
    assert set(run.accuracy["model"].to_list()) >= {"LightGBM", "SeasonalNaive"}
    assert run.chosen_forecasts().height == 28


def test_text_values_are_read_as_numbers_or_noted() -> None:
    frame = pl.DataFrame(
        {
            "tenant_id": "t",
            "unique_id": "m",
            "ds": [date(2020, 1, 1) + timedelta(days=i) for i in range(120)],
            "y": [f"{1000 + (i % 7) * 10:,}" if i != 50 else "n/a" for i in range(120)],
        }
    )
    run = forecast_panel(frame, config=ForecastConfig(models=("SeasonalNaive",), horizon=7))
    notes = run.accuracy["data_notes"][0]
    assert "1 value(s) that are not numbers treated as missing" in notes
    assert "1 missing days filled" in notes
    assert run.chosen_forecasts()["point"].max() == pytest.approx(1060.0)
