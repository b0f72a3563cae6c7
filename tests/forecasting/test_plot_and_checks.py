"""The forecast chart and the forecast-frame validator used by the asset checks."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from matplotlib.collections import PolyCollection

from models_ml.forecasting import ForecastInputError, check_forecasts, plot_forecast

from .conftest import HeldOutRun


def test_chart_is_written_as_png(calibration_run: HeldOutRun, tmp_path: Path) -> None:
    series = {"tenant_id": "t001", "unique_id": "revenue"}
    history = calibration_run.history.filter(
        (pl.col("tenant_id") == series["tenant_id"]) & (pl.col("unique_id") == series["unique_id"])
    )
    forecast = calibration_run.run.forecasts.filter(
        (pl.col("tenant_id") == series["tenant_id"]) & (pl.col("unique_id") == series["unique_id"])
    )
    target = tmp_path / "forecast.png"
    figure = plot_forecast(history, forecast, title="t001 revenue", path=target)

    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert target.stat().st_size > 10_000
    axes = figure.axes[0]
    assert len([c for c in axes.collections if isinstance(c, PolyCollection)]) == 2
    labels = [line.get_label() for line in axes.get_lines()]
    chosen = forecast.filter(pl.col("is_chosen"))["model"][0]
    assert labels[:2] == ["history", f"forecast ({chosen})"]
    assert axes.get_title() == "t001 revenue"


def test_chart_refuses_ambiguous_input(calibration_run: HeldOutRun) -> None:
    forecast = calibration_run.run.forecasts.filter(pl.col("tenant_id") == "t001")
    with pytest.raises(ForecastInputError, match="several series"):
        plot_forecast(calibration_run.history, forecast.filter(pl.col("unique_id") == "orders"))
    single = forecast.filter(pl.col("unique_id") == "orders").drop("is_chosen")
    history = calibration_run.history.filter(
        (pl.col("tenant_id") == "t001") & (pl.col("unique_id") == "orders")
    )
    with pytest.raises(ForecastInputError, match="several models"):
        plot_forecast(history, single)


def _frame(rows: list[tuple[str, float, float, float, float, float, bool]]) -> pl.DataFrame:
    start = date(2025, 1, 1)
    return pl.DataFrame(
        [
            {
                "tenant_id": "t",
                "unique_id": "m",
                "ds": start + timedelta(days=i),
                "model": model,
                "lo_95": lo95,
                "lo_80": lo80,
                "point": point,
                "hi_80": hi80,
                "hi_95": hi95,
                "is_chosen": chosen,
            }
            for i, (model, lo95, lo80, point, hi80, hi95, chosen) in enumerate(rows)
        ]
    )


def test_sound_frame_has_no_problems() -> None:
    assert check_forecasts(_frame([("A", 1, 2, 3, 4, 5, True), ("A", 0, 0, 0, 0, 0, True)])) == []


def test_validator_reports_each_problem() -> None:
    frame = _frame(
        [
            ("A", 1, 2, 3, 4, 5, True),
            ("A", 3, 2, 3, 4, 5, True),  # lo_95 above lo_80
            ("A", 1, 2, 3, 2.5, 5, True),  # point above hi_80
            ("B", 1, 2, float("nan"), 4, 5, True),  # second chosen model, missing point
        ]
    )
    problems = check_forecasts(frame)
    assert any(p.startswith("point: 1 missing") for p in problems)
    assert any(p.startswith("lo_95 > lo_80 on 1 row") for p in problems)
    assert any(p.startswith("point > hi_80 on 1 row") for p in problems)
    assert any("without exactly one chosen model" in p for p in problems)
    duplicated = pl.concat([frame.head(1), frame.head(1)])
    assert any("appear more than once" in p for p in check_forecasts(duplicated))
    assert check_forecasts(frame.drop("hi_95")) == ["missing column(s): hi_95"]
