"""Demand scenarios for the stochastic inventory model, from forecast quantiles or sample paths.

Two input shapes (long format, one row per number):

* quantiles: ``product_id, period, quantile, demand`` (e.g. the 10%, 50% and 90% quantiles of each
  product's demand in each period). Scenarios are drawn by stratified sampling from the distribution
  those quantiles describe: between given quantiles the demand is interpolated linearly in the normal
  score ``z = Φ⁻¹(level)``, and beyond the outermost ones extrapolated along the same line. That is exact
  when the forecast distribution is normal and keeps realistic tails otherwise; demand is clipped at 0.
  Crossing quantiles (a 90% below a 50%) are sorted first. Periods and products are drawn independently.
* sample paths: ``product_id, period, sample, demand``, e.g. simulated futures from a forecaster. They
  are used as they are (every sample is one scenario), which keeps any correlation between periods
  and products the forecaster produced.

:func:`demand_quantiles_from_intervals` turns a statsforecast-style forecast frame (a point forecast
and ``-lo-80``/``-hi-80`` interval columns) into the quantile shape.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy.stats import norm

from models_ml.optimization.plan import OptimizationInputError

QUANTILE_COLUMNS = ("product_id", "period", "quantile", "demand")
SAMPLE_COLUMNS = ("product_id", "period", "sample", "demand")


def build_demand_scenarios(
    demand: pl.DataFrame, product_ids: Sequence[str], horizon: int, n_scenarios: int, seed: int
) -> np.ndarray:
    """Scenario demand as an array of shape (products, periods, scenarios), in ``product_ids`` order."""
    columns = set(demand.columns)
    if set(QUANTILE_COLUMNS) <= columns:
        return _scenarios_from_quantiles(demand, product_ids, horizon, n_scenarios, seed)
    if set(SAMPLE_COLUMNS) <= columns:
        return _scenarios_from_samples(demand, product_ids, horizon)
    raise OptimizationInputError(
        f"demand needs columns {QUANTILE_COLUMNS} (forecast quantiles) or {SAMPLE_COLUMNS} (sample paths); "
        f"got {sorted(columns)}"
    )


def quantile_function(levels: np.ndarray, values: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Demand at ``probabilities`` from known quantiles, interpolated linearly in the normal score."""
    order = np.argsort(levels)
    levels = levels[order]
    values = np.sort(values)  # rearrangement: crossing quantiles are put back in order
    if len(levels) == 1:
        return np.full(probabilities.shape, max(0.0, float(values[0])))
    z_known = norm.ppf(levels)
    z_wanted = norm.ppf(probabilities)
    result = np.interp(z_wanted, z_known, values)
    low_slope = (values[1] - values[0]) / (z_known[1] - z_known[0])
    high_slope = (values[-1] - values[-2]) / (z_known[-1] - z_known[-2])
    below = z_wanted < z_known[0]
    above = z_wanted > z_known[-1]
    result[below] = values[0] + low_slope * (z_wanted[below] - z_known[0])
    result[above] = values[-1] + high_slope * (z_wanted[above] - z_known[-1])
    return np.clip(result, 0.0, None)


def _scenarios_from_quantiles(
    demand: pl.DataFrame, product_ids: Sequence[str], horizon: int, n_scenarios: int, seed: int
) -> np.ndarray:
    if n_scenarios < 1:
        raise OptimizationInputError(f"n_scenarios must be at least 1, got {n_scenarios}")
    frame = demand.select(
        pl.col("product_id").cast(pl.String),
        pl.col("period").cast(pl.Int64),
        pl.col("quantile").cast(pl.Float64),
        pl.col("demand").cast(pl.Float64),
    )
    bad_levels = frame.filter((pl.col("quantile") <= 0) | (pl.col("quantile") >= 1))
    if bad_levels.height:
        raise OptimizationInputError(
            "demand: quantile levels must lie strictly between 0 and 1, got "
            f"{bad_levels['quantile'].to_list()[:5]}"
        )
    if frame["demand"].is_null().any() or frame["demand"].is_nan().any():
        raise OptimizationInputError("demand: some demand quantiles are missing or NaN")
    rng = np.random.default_rng(seed)
    # Stratified probabilities (one per equal-probability slice) represent the distribution far better
    # than as many random draws; a random permutation per product and period makes them independent.
    probabilities = (np.arange(n_scenarios) + 0.5) / n_scenarios
    scenarios = np.zeros((len(product_ids), horizon, n_scenarios))
    groups = {
        (str(key[0]), int(key[1])): group
        for key, group in frame.group_by(["product_id", "period"], maintain_order=True)
    }
    for p_index, product_id in enumerate(product_ids):
        for period in range(horizon):
            group = groups.get((product_id, period))
            if group is None:
                raise OptimizationInputError(
                    f"demand: no forecast quantiles for product {product_id!r} in period {period}"
                )
            levels = group["quantile"].to_numpy()
            if len(np.unique(levels)) != len(levels):
                raise OptimizationInputError(
                    f"demand: repeated quantile levels for product {product_id!r} in period {period}"
                )
            values = quantile_function(levels, group["demand"].to_numpy(), probabilities)
            scenarios[p_index, period] = rng.permutation(values)
    return scenarios


def _scenarios_from_samples(demand: pl.DataFrame, product_ids: Sequence[str], horizon: int) -> np.ndarray:
    frame = demand.select(
        pl.col("product_id").cast(pl.String),
        pl.col("period").cast(pl.Int64),
        pl.col("sample").cast(pl.Int64),
        pl.col("demand").cast(pl.Float64),
    ).filter(pl.col("period") < horizon)
    if frame["demand"].is_null().any() or frame["demand"].is_nan().any():
        raise OptimizationInputError("demand: some sample-path values are missing or NaN")
    if (frame["demand"] < 0).any():
        raise OptimizationInputError("demand: sample paths contain negative demand")
    samples = sorted(frame["sample"].unique().to_list())
    sample_index = {sample: index for index, sample in enumerate(samples)}
    product_index = {product_id: index for index, product_id in enumerate(product_ids)}
    expected_rows = len(product_ids) * horizon * len(samples)
    known = frame.filter(pl.col("product_id").is_in(list(product_ids)))
    if (
        known.height != expected_rows
        or known.select(["product_id", "period", "sample"]).is_duplicated().any()
    ):
        raise OptimizationInputError(
            f"demand: sample paths must give exactly one value per product, period (0..{horizon - 1}) and "
            f"sample; expected {expected_rows} rows for {len(product_ids)} products and {len(samples)} "
            f"samples, got {known.height}"
        )
    scenarios = np.zeros((len(product_ids), horizon, len(samples)))
    p_idx = np.array([product_index[value] for value in known["product_id"].to_list()])
    s_idx = np.array([sample_index[value] for value in known["sample"].to_list()])
    scenarios[p_idx, known["period"].to_numpy(), s_idx] = known["demand"].to_numpy()
    return scenarios


def demand_quantiles_from_intervals(
    forecasts: pl.DataFrame,
    model: str,
    id_column: str = "unique_id",
    time_column: str = "ds",
) -> pl.DataFrame:
    """Long quantile rows from a statsforecast-style frame (``<model>``, ``<model>-lo-80``, ...).

    The point forecast is taken as the median; a level-L interval gives the (1-L/100)/2 and
    1-(1-L/100)/2 quantiles. Periods are numbered 0, 1, ... in time order per series.
    """
    if model not in forecasts.columns:
        raise OptimizationInputError(f"forecasts: no column {model!r}; columns are {forecasts.columns}")
    for column in (id_column, time_column):
        if column not in forecasts.columns:
            raise OptimizationInputError(f"forecasts: missing column {column!r}")
    numbered = forecasts.sort([id_column, time_column]).with_columns(
        pl.int_range(pl.len()).over(id_column).alias("period")
    )
    parts = [
        numbered.select(
            pl.col(id_column).cast(pl.String).alias("product_id"),
            "period",
            pl.lit(0.5).alias("quantile"),
            pl.col(model).cast(pl.Float64).alias("demand"),
        )
    ]
    for column in forecasts.columns:
        for side in ("lo", "hi"):
            prefix = f"{model}-{side}-"
            if column.startswith(prefix):
                level = float(column.removeprefix(prefix)) / 100
                tail = (1 - level) / 2
                parts.append(
                    numbered.select(
                        pl.col(id_column).cast(pl.String).alias("product_id"),
                        "period",
                        pl.lit(tail if side == "lo" else 1 - tail).alias("quantile"),
                        pl.col(column).cast(pl.Float64).alias("demand"),
                    )
                )
    return pl.concat(parts).sort(["product_id", "period", "quantile"])
