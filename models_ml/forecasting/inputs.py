"""The forecasting step's inputs and rows: daily metrics in the library's long format, results as table rows.

``metrics.business_metrics_daily`` has one column per metric; :func:`forecast_panel` takes one row per
series and day (``tenant_id, unique_id, ds, y``, ``unique_id`` being the metric). Days on which a metric
is null are not observations and are dropped.
"""

from __future__ import annotations

import polars as pl

from models_ml.forecasting.pipeline import FORECAST_COLUMNS

#: Columns of ``ml.forecasts`` and ``ml.forecast_accuracy`` (migration 0007), as the asset writes them.
#: ``ml.forecasts`` is the library's forecast frame with ``unique_id`` named ``metric`` and the run id added.
FORECAST_TABLE_COLUMNS: tuple[str, ...] = ("tenant_id", "metric", *FORECAST_COLUMNS[2:], "run_id")
ACCURACY_TABLE_COLUMNS: tuple[str, ...] = (
    "tenant_id",
    "metric",
    "model",
    "is_chosen",
    "chosen_model",
    "mase",
    "smape",
    "coverage_80",
    "coverage_95",
    "cv_windows",
    "series_class",
    "fallback_reason",
    "data_notes",
    "ensemble_members",
    "n_obs",
    "history_start",
    "history_end",
    "run_id",
)


def long_history(wide: pl.DataFrame, metrics: list[str]) -> pl.DataFrame:
    """``tenant_id, unique_id, ds, y`` from ``tenant_id, ds, <metric>...``, sorted by series and day."""
    return (
        wide.unpivot(index=["tenant_id", "ds"], on=metrics, variable_name="unique_id", value_name="y")
        .drop_nulls("y")
        .select("tenant_id", "unique_id", "ds", "y")
        .sort("tenant_id", "unique_id", "ds")
    )


def forecast_rows(forecasts: pl.DataFrame, run_id: str) -> pl.DataFrame:
    """``ForecastRun.forecasts`` as table rows: ``unique_id`` named ``metric``, stamped with the run id."""
    renamed = forecasts.rename({"unique_id": "metric"})
    return renamed.with_columns(pl.lit(run_id).alias("run_id")).select(FORECAST_TABLE_COLUMNS)


def accuracy_rows(accuracy: pl.DataFrame, run_id: str) -> pl.DataFrame:
    """``ForecastRun.accuracy`` as table rows; a series without a candidate row is not chosen."""
    return (
        accuracy.rename({"unique_id": "metric"})
        .with_columns(pl.lit(run_id).alias("run_id"), pl.col("is_chosen").fill_null(False))
        .select(ACCURACY_TABLE_COLUMNS)
    )
