"""``ml.forecasts`` and ``ml.forecast_accuracy``: 28-day forecasts of every tenant's daily metrics.

Partitioned by tenant: one multi-asset step reads ``metrics.business_metrics_daily`` of the partition's
tenant in long format (``tenant_id, unique_id = metric, ds, y``), calls
:func:`models_ml.forecasting.forecast_panel` once for its series, and replaces that tenant's rows in both
tables in one transaction (COPY in bulk),
stamped with the Dagster run id so every number the console shows can be traced to its run.

Its asset checks run in the same step, on what was written: forecasts without missing values and with
ordered bounds (:func:`~models_ml.forecasting.check_forecasts` on the rows read back), and forecasts no
worse than seasonal naive on most series (the held-out figures of ``ForecastRun.checks``).
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
import polars as pl
import psycopg
from pydantic import Field

from keel.settings import get_settings
from models_ml.forecasting import DEFAULT_MODELS, ForecastConfig, forecast_panel
from models_ml.forecasting.inputs import accuracy_rows, forecast_rows, long_history
from orchestration.defs.automation import DAILY_ON_NEW_INPUTS
from orchestration.defs.ml import tables
from orchestration.defs.ml.checks import (
    MIN_SHARE_NO_WORSE_THAN_NAIVE,
    forecasts_sound_result,
    no_worse_than_naive_result,
)
from orchestration.defs.ml.keys import BUSINESS_METRICS_DAILY, ML_FORECAST_ACCURACY, ML_FORECASTS
from orchestration.defs.ml.tables import partition_tenant, read_daily_metrics, read_frame
from orchestration.defs.tenants.partitions import TENANT_MODELS_POOL, TENANT_PARTITIONS
from orchestration.defs.warehouse.resources import WarehouseResource

FORECASTS_TABLE = "ml.forecasts"
ACCURACY_TABLE = "ml.forecast_accuracy"
DEFAULT_METRICS = ["revenue_net", "orders", "new_customers"]


class ForecastAssetConfig(dg.Config):
    """What the forecasting step forecasts and how; every field maps onto ``ForecastConfig``."""

    metrics: list[str] = Field(
        default_factory=lambda: list(DEFAULT_METRICS),
        description="Numeric columns of metrics.business_metrics_daily to forecast (a series per tenant).",
    )
    horizon: int = Field(default=28, ge=1, description="Days ahead to forecast.")
    cv_windows: int = Field(
        default=3, ge=3, description="Rolling-origin cross-validation windows for model choice and intervals."
    )
    models: list[str] = Field(
        default_factory=lambda: list(DEFAULT_MODELS),
        description="Candidate models (AutoARIMA, AutoETS, AutoTheta, MSTL, SeasonalNaive, LightGBM). The "
        "default is all of them: about 2 s of one core per 3-year series (docs/benchmarks.md); drop "
        "AutoARIMA (the library's FAST_MODELS) to halve that.",
    )
    n_jobs: int = Field(
        default=2, description="Processes for the statistical models and threads for LightGBM; -1: all cores."
    )
    seed: int = Field(default=0, description="Seed of LightGBM and of any resampling.")

    def forecast_config(self) -> ForecastConfig:
        settings = get_settings()
        return ForecastConfig(
            horizon=self.horizon,
            cv_windows=self.cv_windows,
            models=tuple(self.models),
            n_jobs=self.n_jobs,
            seed=self.seed,
            engine=settings.forecast_engine,
            dask_address=settings.dask_address,
        )


def read_back_forecasts(conn: psycopg.Connection[Any], tenant_ids: list[str], run_id: str) -> pl.DataFrame:
    """The run's stored forecasts, shaped as ``check_forecasts`` expects (``unique_id`` = metric)."""
    schema: dict[str, Any] = {
        "tenant_id": pl.String,
        "unique_id": pl.String,
        "model": pl.String,
        "ds": pl.Date,
        **{c: pl.Float64 for c in ("point", "lo_80", "hi_80", "lo_95", "hi_95")},
        "is_chosen": pl.Boolean,
    }
    query = (
        "select tenant_id::text, metric, model, ds, point, lo_80, hi_80, lo_95, hi_95, is_chosen "
        "from ml.forecasts where tenant_id = any(%s::uuid[]) and run_id = %s"
    )
    return read_frame(conn, FORECASTS_TABLE, query, (tenant_ids, run_id), schema)


def _mean(values: pl.Series) -> float | None:
    finite = values.drop_nulls().drop_nans()
    return float(finite.cast(pl.Float64).sum()) / finite.len() if finite.len() else None


# --------------------------------------------------------------------------------------------
# The asset
# --------------------------------------------------------------------------------------------


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ML_FORECASTS,
            deps=[BUSINESS_METRICS_DAILY],
            group_name="ml",
            kinds={"statsforecast", "postgres"},
            automation_condition=DAILY_ON_NEW_INPUTS,
            description="ml.forecasts: per tenant, metric, model and day ahead, the point forecast and "
            "calibrated 80%/95% bounds; is_chosen marks the model each series uses; run_id the Dagster run.",
        ),
        dg.AssetSpec(
            ML_FORECAST_ACCURACY,
            deps=[BUSINESS_METRICS_DAILY],
            group_name="ml",
            kinds={"statsforecast", "postgres"},
            automation_condition=DAILY_ON_NEW_INPUTS,
            description="ml.forecast_accuracy: per tenant, metric and candidate model, cross-validated "
            "MASE, sMAPE and interval coverage, the chosen model and any fallback reason.",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "forecasts_complete_and_ordered",
            asset=ML_FORECASTS,
            description="Stored forecasts have no missing values, lo_95 <= lo_80 <= point <= hi_80 <= hi_95, "
            "no duplicate keys and one chosen model per series.",
        ),
        dg.AssetCheckSpec(
            "no_worse_than_seasonal_naive",
            asset=ML_FORECAST_ACCURACY,
            description="On held-out cross-validation windows, the chosen forecasts score no worse than "
            f"seasonal naive on at least {MIN_SHARE_NO_WORSE_THAN_NAIVE:.0%} of series.",
        ),
    ],
    name="ml_forecasting",
    partitions_def=TENANT_PARTITIONS,
    pool=TENANT_MODELS_POOL,
)
def ml_forecasting(
    context: dg.AssetExecutionContext, config: ForecastAssetConfig, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Forecast the partition's tenant's metrics in one library call and replace its stored rows."""
    forecast_config = config.forecast_config()
    with warehouse.connect() as conn:
        tenant_id = partition_tenant(conn, context)
        history = long_history(read_daily_metrics(conn, config.metrics, [tenant_id]), config.metrics)
    if history.is_empty():
        raise dg.Failure(
            f"metrics.business_metrics_daily has no rows for tenant {context.partition_key}: build it "
            "first (`keel demo`, or the keel_models job after its loads)"
        )
    tenants = sorted(history["tenant_id"].unique().to_list())
    context.log.info(
        f"forecasting {history.select('tenant_id', 'unique_id').n_unique()} series of {len(tenants)} "
        f"tenant(s), {history.height} observations, models {list(forecast_config.candidate_models)}"
    )
    run = forecast_panel(history, config=forecast_config)
    forecasts = forecast_rows(run.forecasts, context.run.run_id)
    accuracy = accuracy_rows(run.accuracy, context.run.run_id)
    with warehouse.connect() as conn:
        tables.replace_tenant_rows(conn, tenants, {FORECASTS_TABLE: forecasts, ACCURACY_TABLE: accuracy})
        stored = read_back_forecasts(conn, tenants, context.run.run_id)

    chosen = run.accuracy.filter(pl.col("is_chosen"))
    fallbacks = run.accuracy.filter(pl.col("fallback_reason").is_not_null()).select(
        "tenant_id", "unique_id", "fallback_reason"
    )
    yield dg.MaterializeResult(
        asset_key=ML_FORECASTS,
        metadata={
            "rows": forecasts.height,
            "tenants": len(tenants),
            "series": run.forecasts.select("tenant_id", "unique_id").n_unique(),
            "horizon_days": forecast_config.horizon,
            "models": ", ".join(forecast_config.candidate_models),
            "seconds": dg.MetadataValue.json({k: round(v, 2) for k, v in run.timings.items()}),
        },
    )
    yield dg.MaterializeResult(
        asset_key=ML_FORECAST_ACCURACY,
        metadata={
            "rows": accuracy.height,
            "mean_chosen_mase": _mean(chosen["mase"]),
            "chosen_models": dg.MetadataValue.json(
                dict(chosen.group_by("chosen_model").len().sort("chosen_model").iter_rows())
            ),
            "fallbacks": dg.MetadataValue.json(fallbacks.head(50).to_dicts()),
        },
    )
    yield forecasts_sound_result(stored, forecasts.height)
    yield no_worse_than_naive_result(run)
