"""One forecasting run over a panel of tenant metrics: the library's main entry point.

:func:`forecast_panel` takes long-format data (``tenant_id, unique_id, ds, y`` plus exogenous
columns known in advance) and returns a :class:`ForecastRun` whose ``forecasts`` and ``accuracy``
frames are ready to be written as ``ml.forecasts`` and ``ml.forecast_accuracy``.

Any regular frequency works (daily, weekly, monthly, quarterly, yearly: ``ForecastConfig.freq`` or
inferred, see :mod:`~models_ml.forecasting.frequency`); the horizon and every other length are in
periods of it, and the ``ds`` of the output are the input's own kind of date (month ends stay month
ends).

The run, in order:

1. :mod:`~models_ml.forecasting.prepare` infers the frequency, completes calendars, classes each series
   and cleans outliers; series that cannot be modelled normally are routed to a fallback with a reason.
2. Regular series: one ``StatsForecast`` call (AutoARIMA, AutoETS, AutoTheta, MSTL, SeasonalNaive)
   cross-validates and forecasts all of them; one ``MLForecast`` call does the same for LightGBM.
   Intermittent series: one ``StatsForecast`` call with Croston-type models. A model that fails on a
   series yields NaN for that series only (statsforecast's ``fallback_model``), and is left out of it;
   a LightGBM failure leaves LightGBM out, with the reason.
3. :mod:`~models_ml.forecasting.evaluation` adds the ensemble, scores every candidate (MASE, sMAPE,
   coverage), picks each series' model and calibrates the intervals (``config.levels``, 80%/95% by
   default).
4. Short series get a seasonal naive forecast with its own intervals, constant ones a flat forecast.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from statsforecast import StatsForecast
from statsforecast.models import NaNModel

from keel import telemetry
from models_ml.forecasting.candidates import (
    HOLIDAY_FEATURES,
    guarded,
    holiday_features,
    intermittent_models,
    lightgbm_forecaster,
    regular_models,
    short_series_model,
)
from models_ml.forecasting.config import ENSEMBLE, ForecastConfig
from models_ml.forecasting.engine import run_statistical
from models_ml.forecasting.errors import ForecastInputError
from models_ml.forecasting.evaluation import (
    CrossValidation,
    SelectionCheck,
    add_ensemble,
    calibrate,
    choose_models,
    clip_nonnegative,
    held_out_selection,
    interval_bounds,
    mase,
    quantile_columns,
    scaled_errors,
    smape,
)
from models_ml.forecasting.frequency import Periods
from models_ml.forecasting.prepare import (
    CONSTANT,
    INTERMITTENT,
    REGULAR,
    SERIES_KEY,
    SHORT,
    PreparedPanel,
    prepare_panel,
    series_key,
    validate_frame,
)

#: Columns of ``ForecastRun.forecasts`` (``ml.forecasts`` without the run id the asset adds).
FORECAST_COLUMNS: tuple[str, ...] = (
    "tenant_id",
    "unique_id",
    "ds",
    "model",
    "point",
    "lo_80",
    "hi_80",
    "lo_95",
    "hi_95",
    "is_chosen",
)
FORECAST_SCHEMA: dict[str, Any] = {
    "tenant_id": pl.String,
    "unique_id": pl.String,
    "ds": pl.Date,
    "model": pl.String,
    "point": pl.Float64,
    "lo_80": pl.Float64,
    "hi_80": pl.Float64,
    "lo_95": pl.Float64,
    "hi_95": pl.Float64,
    "is_chosen": pl.Boolean,
}
#: Columns of ``ForecastRun.accuracy`` (``ml.forecast_accuracy``): one row per series and candidate.
ACCURACY_SCHEMA: dict[str, Any] = {
    "tenant_id": pl.String,
    "unique_id": pl.String,
    "model": pl.String,
    "is_chosen": pl.Boolean,
    "chosen_model": pl.String,
    "mase": pl.Float64,
    "smape": pl.Float64,
    "coverage_80": pl.Float64,
    "coverage_95": pl.Float64,
    "cv_windows": pl.Int64,
    "series_class": pl.String,
    "fallback_reason": pl.String,
    "data_notes": pl.String,
    "ensemble_members": pl.String,
    "n_obs": pl.Int64,
    "history_start": pl.Date,
    "history_end": pl.Date,
}


#: Row order of statsforecast's results on the local path (the Dask path is sorted to match).
FORECAST_ORDER = ("unique_id", "ds")
CV_ORDER = ("unique_id", "cutoff", "ds")


def forecast_schema(levels: tuple[int, ...]) -> dict[str, Any]:
    """``FORECAST_SCHEMA`` with the bound columns of ``levels`` (the same for the default levels)."""
    bounds = dict.fromkeys(ForecastConfig(levels=levels).interval_columns, pl.Float64)
    head = {
        c: t for c, t in FORECAST_SCHEMA.items() if c in ("tenant_id", "unique_id", "ds", "model", "point")
    }
    return head | bounds | {"is_chosen": pl.Boolean}


def accuracy_schema(levels: tuple[int, ...]) -> dict[str, Any]:
    """``ACCURACY_SCHEMA`` with a coverage column per level (the same for the default levels)."""
    schema: dict[str, Any] = {}
    for column, dtype in ACCURACY_SCHEMA.items():
        if column == "coverage_80":
            schema |= {f"coverage_{level}": pl.Float64 for level in levels}
        elif column != "coverage_95":
            schema[column] = dtype
    return schema


@dataclass(frozen=True)
class ForecastRun:
    """Result of :func:`forecast_panel`."""

    forecasts: pl.DataFrame
    """One row per series, candidate model and day ahead (``FORECAST_COLUMNS``); ``is_chosen`` marks
    the model each series uses."""
    accuracy: pl.DataFrame
    """One row per series and candidate (``ACCURACY_SCHEMA``): cross-validated MASE, sMAPE and held-out
    interval coverage, the chosen model, the series class and any fallback reason. Series without a
    forecast have one row with a null model and the reason."""
    calibration: pl.DataFrame
    """Conformal quantiles of scaled errors per series class, model and step (for audit)."""
    checks: dict[str, SelectionCheck]
    """Per series class: MASE and coverage of the whole choose-then-calibrate procedure on windows it
    did not see (the honest figure for the delivered forecasts)."""
    timings: dict[str, float]
    """Wall seconds per stage of the run."""
    config: ForecastConfig
    error_paths: dict[tuple[str, str], np.ndarray] = field(repr=False, default_factory=dict)
    """(series class, model) -> scaled cross-validation error paths (path, step), for goal probability."""
    final_scales: dict[tuple[str, str], float] = field(repr=False, default_factory=dict)
    """(tenant_id, unique_id) -> the series' scale at the end of its history."""
    profile: pl.DataFrame = field(repr=False, default_factory=pl.DataFrame)

    def chosen_forecasts(self) -> pl.DataFrame:
        """The forecast each series uses (one model per series)."""
        return self.forecasts.filter(pl.col("is_chosen")).drop("is_chosen")


def forecast_panel(
    df: pl.DataFrame,
    future_exogenous: pl.DataFrame | None = None,
    config: ForecastConfig | None = None,
) -> ForecastRun:
    """Forecast every series of a long-format panel; see the module docstring for the steps.

    ``df`` has ``tenant_id, unique_id, ds (Date), y`` and optionally numeric exogenous columns known
    in advance (planned promotions, marketing spend). Their values for the forecast days come in
    ``future_exogenous`` (``tenant_id, unique_id, ds`` and the same columns); a series missing some
    future values keeps its last known value for them (noted in ``data_notes``).
    """
    tenants = df["tenant_id"].unique().to_list() if "tenant_id" in df.columns else []
    with telemetry.span(
        "keel.forecast",
        tenants=len(tenants),
        tenant_id=str(tenants[0]) if len(tenants) == 1 else None,
        series=(
            df.select("unique_id", *(["tenant_id"] if tenants else [])).n_unique()
            if "unique_id" in df.columns
            else None  # a malformed frame: the pipeline's own check names what is missing
        ),
    ):
        return _forecast_panel(df, future_exogenous, config)


def _forecast_panel(
    df: pl.DataFrame, future_exogenous: pl.DataFrame | None, config: ForecastConfig | None
) -> ForecastRun:
    config = config or ForecastConfig()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    prepared = prepare_panel(df, config)
    # Per series, what the run itself had to work around: data notes and fallbacks.
    notes: dict[str, list[str]] = {}
    fallbacks: dict[str, list[str]] = {}
    future = _future_exogenous(prepared, future_exogenous, config, notes)
    timings["prepare"] = time.perf_counter() - started

    forecast_parts: list[pl.DataFrame] = []
    accuracy_parts: list[pl.DataFrame] = []
    calibration_parts: list[pl.DataFrame] = []
    checks: dict[str, SelectionCheck] = {}
    error_paths: dict[tuple[str, str], np.ndarray] = {}
    final_scales: dict[str, float] = {}
    periods = prepared.periods
    scales = _scale_table(prepared.data, periods)

    for series_class in (REGULAR, INTERMITTENT):
        keys = prepared.keys_of(series_class)
        if not keys:
            continue
        cv = _cross_validate(prepared, keys, series_class, future, scales, config, timings, fallbacks)
        stage = time.perf_counter()
        result = _evaluate(cv, series_class, config, fallbacks)
        timings[f"{series_class}_evaluation"] = time.perf_counter() - stage
        forecast_parts.append(result.forecasts)
        accuracy_parts.append(result.accuracy)
        calibration_parts.append(result.calibration)
        checks[series_class] = result.check
        error_paths.update(result.error_paths)
        final_scales.update(dict(zip(cv.keys, cv.final_scales.tolist(), strict=True)))

    stage = time.perf_counter()
    short_forecasts, short_accuracy = _forecast_short(prepared, config)
    constant_forecasts, constant_accuracy = _forecast_constant(prepared, config)
    timings["fallbacks"] = time.perf_counter() - stage
    forecast_parts += [short_forecasts, constant_forecasts]
    accuracy_parts += [short_accuracy, constant_accuracy]

    identities = prepared.profile.select(SERIES_KEY, "tenant_id", "unique_id", "history_end")
    schema = forecast_schema(config.levels)
    forecasts = _concat_or_empty([f for f in forecast_parts if f.height])
    if forecasts.is_empty():
        forecasts = pl.DataFrame(schema={SERIES_KEY: pl.String, "step": pl.Int64} | schema).drop(
            "tenant_id", "unique_id", "ds"
        )
    forecasts = forecasts.join(identities, on=SERIES_KEY, how="left").with_columns(
        periods.frequency.shift(pl.col("history_end"), pl.col("step")).alias("ds")
    )
    forecasts = (
        prepared.restore_dates(forecasts, "ds")
        .select([pl.col(c).cast(t) for c, t in schema.items()])
        .sort("tenant_id", "unique_id", "model", "ds")
    )
    accuracy = _accuracy_frame(prepared, accuracy_parts, notes, fallbacks, config)
    calibration = (
        pl.concat(calibration_parts)
        if calibration_parts
        else pl.DataFrame(
            schema={"series_class": pl.String, "model": pl.String, "step": pl.Int64}
            | dict.fromkeys(quantile_columns(config.levels), pl.Float64)
        )
    )
    timings["total"] = time.perf_counter() - started
    by_identity = {
        (row["tenant_id"], row["unique_id"]): final_scales[row[SERIES_KEY]]
        for row in identities.iter_rows(named=True)
        if row[SERIES_KEY] in final_scales
    }
    return ForecastRun(
        forecasts=forecasts,
        accuracy=accuracy,
        calibration=calibration,
        checks=checks,
        timings=timings,
        config=config,
        error_paths=error_paths,
        final_scales=by_identity,
        profile=prepared.restore_dates(prepared.profile, "history_start", "history_end"),
    )


def _future_exogenous(
    prepared: PreparedPanel,
    future_exogenous: pl.DataFrame | None,
    config: ForecastConfig,
    notes: dict[str, list[str]],
) -> pl.DataFrame:
    """``series_key, ds`` and exogenous values for the forecast days of every series."""
    ends = prepared.profile.filter(pl.col("n_obs") > 0).select(SERIES_KEY, "history_end")
    frequency = prepared.periods.frequency
    grid = (
        ends.join(pl.DataFrame({"step": list(range(1, config.horizon + 1))}), how="cross")
        .select(SERIES_KEY, frequency.shift(pl.col("history_end"), pl.col("step")).alias("ds"))
        .sort(SERIES_KEY, "ds")
    )
    # Only LightGBM uses exogenous drivers; without it they are ignored and need no future values.
    if not prepared.exogenous or "LightGBM" not in config.candidate_models:
        return grid
    if future_exogenous is None:
        raise ForecastInputError(
            f"df has exogenous column(s) {list(prepared.exogenous)} but future_exogenous is None",
            f"pass their values for the {frequency.plural(config.horizon)} ahead, or drop the columns",
        )
    future, columns = validate_frame(
        future_exogenous.with_columns(pl.lit(0.0).alias("y")), name="future_exogenous"
    )
    missing = [c for c in prepared.exogenous if c not in columns]
    if missing:
        raise ForecastInputError(f"future_exogenous lacks column(s) {missing}")
    if frequency.month_based:
        future = future.with_columns(pl.col("ds").dt.month_start())
    future = future.select(series_key(pl.col("tenant_id"), pl.col("unique_id")), "ds", *prepared.exogenous)
    future = future.unique([SERIES_KEY, "ds"], keep="last")
    last_known = prepared.data.group_by(SERIES_KEY).agg(
        [pl.col(c).last().alias(f"{c}__last") for c in prepared.exogenous]
    )
    grid = grid.join(future, on=[SERIES_KEY, "ds"], how="left").join(last_known, on=SERIES_KEY, how="left")
    gaps = (
        grid.filter(pl.col(SERIES_KEY).is_in(prepared.keys_of(REGULAR)))
        .group_by(SERIES_KEY)
        .agg([pl.col(c).null_count().alias(c) for c in prepared.exogenous])
    )
    for row in gaps.iter_rows(named=True):
        for column in prepared.exogenous:
            if row[column]:
                notes.setdefault(row[SERIES_KEY], []).append(
                    f"{row[column]} future value(s) of {column} missing: held at the last known value"
                )
    return grid.select(
        SERIES_KEY,
        "ds",
        *[pl.col(c).fill_null(pl.col(f"{c}__last")).fill_null(0.0).alias(c) for c in prepared.exogenous],
    )


def _scale_table(data: pl.DataFrame, periods: Periods) -> pl.DataFrame:
    """Per series and period: the calibration scale and the MASE denominator as of that period.

    Calibration scale: mean absolute seasonal change (weekly for daily series) of the cleaned values
    over the last ``calibration_window`` periods, falling back to the whole history so far, then to a
    tenth of the mean level, then 1 (a series flat for months must still get intervals that can
    widen). MASE denominator: the usual in-sample seasonal naive MAE of the raw values up to then.
    """
    weekly = periods.season
    change = (pl.col("y") - pl.col("y").shift(weekly)).abs().over(SERIES_KEY)
    raw_change = (pl.col("y_raw") - pl.col("y_raw").shift(weekly)).abs().over(SERIES_KEY)
    return (
        data.select(SERIES_KEY, "ds", "y", "y_raw")
        .with_columns(change.alias("change"), raw_change.alias("raw_change"))
        .with_columns(
            pl.col("change")
            .rolling_mean(
                window_size=periods.calibration_window, min_samples=min(weekly, periods.calibration_window)
            )
            .over(SERIES_KEY)
            .alias("recent"),
            (pl.col("change").cum_sum() / pl.col("change").cum_count()).over(SERIES_KEY).alias("expanding"),
            (0.1 * pl.col("y").abs().cum_sum() / pl.col("y").cum_count()).over(SERIES_KEY).alias("level"),
            (pl.col("raw_change").cum_sum() / pl.col("raw_change").cum_count())
            .over(SERIES_KEY)
            .alias("raw_expanding"),
            (pl.col("y_raw").abs().cum_sum() / pl.col("y_raw").cum_count())
            .over(SERIES_KEY)
            .alias("raw_level"),
        )
        .select(
            SERIES_KEY,
            "ds",
            _first_positive("recent", "expanding", "level").alias("cv_scale"),
            _first_positive("raw_expanding", "raw_level").alias("mase_scale"),
        )
    )


def _first_positive(*columns: str) -> pl.Expr:
    expression: pl.Expr = pl.lit(1.0)
    for column in reversed(columns):
        expression = pl.when(pl.col(column) > 0).then(pl.col(column)).otherwise(expression)
    return expression


def _statistical_models(series_class: str, config: ForecastConfig, periods: Periods) -> list[Any]:
    if series_class == REGULAR:
        models = regular_models(config, periods)
    else:
        models = intermittent_models(config, periods)
    return [guarded(model, periods.max_history) for model in models]


def cv_window_count(n_series: int, shortest: int, periods: Periods, config: ForecastConfig) -> int:
    """Non-overlapping cross-validation windows for a class of ``n_series`` series.

    ``config.cv_windows`` at least; a run of few series gets more windows, as far as half the shortest
    series' history allows, until series x windows reaches ``config.min_error_paths``: the intervals
    are calibrated on those error paths, and a handful of paths cannot tell a 95% bound.
    """
    wanted = max(periods.cv_windows, -(-config.min_error_paths // max(n_series, 1)))
    # The models are fitted at the first origin and carried forward: it keeps half the history at least.
    room = (shortest - max(periods.min_training, shortest // 2)) // periods.horizon
    return max(periods.cv_windows, min(wanted, room))


def _cross_validate(
    prepared: PreparedPanel,
    keys: list[str],
    series_class: str,
    future: pl.DataFrame,
    scales: pl.DataFrame,
    config: ForecastConfig,
    timings: dict[str, float],
    fallbacks: dict[str, list[str]],
) -> CrossValidation:
    """Cross-validated and final forecasts of every candidate for the series of one class."""
    periods = prepared.periods
    frequency = periods.frequency
    data = prepared.data.filter(pl.col(SERIES_KEY).is_in(keys))
    profile = prepared.profile.filter(pl.col(SERIES_KEY).is_in(keys)).sort(SERIES_KEY)
    keys = profile[SERIES_KEY].to_list()
    h = periods.horizon
    windows = cv_window_count(len(keys), int(profile["n_obs"].min()), periods, config)  # type: ignore[arg-type]
    cv_grid = (
        profile.select(SERIES_KEY, "history_end")
        .join(pl.DataFrame({"window": list(range(windows))}), how="cross")
        .join(pl.DataFrame({"step": list(range(1, h + 1))}), how="cross")
        .with_columns(
            frequency.shift(pl.col("history_end"), (pl.col("window") - windows) * h).alias("cutoff")
        )
        .with_columns(frequency.shift(pl.col("cutoff"), pl.col("step")).alias("ds"))
        .sort(SERIES_KEY, "window", "step")
    )
    final_grid = (
        profile.select(SERIES_KEY, "history_end")
        .join(pl.DataFrame({"step": list(range(1, h + 1))}), how="cross")
        .with_columns(frequency.shift(pl.col("history_end"), pl.col("step")).alias("ds"))
        .sort(SERIES_KEY, "step")
    )

    models = _statistical_models(series_class, config, periods)
    model_names = [repr(m) for m in models]
    statistical = StatsForecast(
        models=models, freq=frequency.interval, n_jobs=config.n_jobs, fallback_model=NaNModel()
    )
    model_input = data.select(pl.col(SERIES_KEY).alias("unique_id"), "ds", "y")
    with warnings.catch_warnings():
        # AutoARIMA's narrowed search warns on every series that it stopped at its model budget.
        warnings.simplefilter("ignore")
        stage = time.perf_counter()
        if config.cv_refit or config.final_refit:
            statistical_cv = run_statistical(
                config,
                model_input,
                lambda df: statistical.cross_validation(
                    h=h, df=df, n_windows=windows, step_size=h, refit=config.cv_refit
                ),
                CV_ORDER,
            )
            timings[f"{series_class}_statistical_cv"] = time.perf_counter() - stage
            stage = time.perf_counter()
            statistical_final = run_statistical(
                config, model_input, lambda df: statistical.forecast(h=h, df=df), FORECAST_ORDER
            )
            timings[f"{series_class}_statistical_forecast"] = time.perf_counter() - stage
        else:
            statistical_cv, statistical_final = _cross_validate_and_forecast(
                statistical, model_input, final_grid, windows, h, config
            )
            timings[f"{series_class}_statistical_cv_and_forecast"] = time.perf_counter() - stage
    cv_frames = [statistical_cv.rename({"unique_id": SERIES_KEY}).drop("y")]
    final_frames = [statistical_final.rename({"unique_id": SERIES_KEY})]

    if series_class == REGULAR and "LightGBM" in config.candidate_models:
        stage = time.perf_counter()
        learner_cv, learner_final = _lightgbm(prepared, data, future, config, windows, fallbacks)
        timings["regular_lightgbm"] = time.perf_counter() - stage
        cv_frames.append(learner_cv)
        final_frames.append(learner_final)
        model_names.append("LightGBM")

    cv_table = cv_grid.join(
        data.select(SERIES_KEY, "ds", pl.col("y_raw").alias("actual")), on=[SERIES_KEY, "ds"]
    )
    for frame in cv_frames:
        cv_table = cv_table.join(frame, on=[SERIES_KEY, "cutoff", "ds"], how="left")
    final_table = final_grid
    for frame in final_frames:
        final_table = final_table.join(frame, on=[SERIES_KEY, "ds"], how="left")
    cv_table = cv_table.sort(SERIES_KEY, "window", "step")
    final_table = final_table.sort(SERIES_KEY, "step")

    n = len(keys)
    cv_scales = (
        cv_grid.filter(pl.col("step") == 1)
        .join(scales, left_on=[SERIES_KEY, "cutoff"], right_on=[SERIES_KEY, "ds"], how="left")
        .sort(SERIES_KEY, "window")
    )
    first_cutoff = cv_scales.filter(pl.col("window") == 0)
    final_scales = profile.join(
        scales, left_on=[SERIES_KEY, "history_end"], right_on=[SERIES_KEY, "ds"], how="left"
    ).sort(SERIES_KEY)

    def cube(table: pl.DataFrame, shape: tuple[int, ...]) -> np.ndarray:
        stacked = [table[name].cast(pl.Float64).fill_null(np.nan).to_numpy() for name in model_names]
        return np.stack([values.reshape(shape) for values in stacked], axis=1)

    return CrossValidation(
        keys=keys,
        models=model_names,
        points=cube(cv_table, (n, windows, h)),
        actuals=cv_table["actual"].to_numpy().reshape(n, windows, h),
        cv_scales=cv_scales["cv_scale"].to_numpy().reshape(n, windows),
        mase_scales=first_cutoff["mase_scale"].to_numpy(),
        final_points=cube(final_table, (n, h)),
        final_scales=final_scales["cv_scale"].to_numpy(),
        nonnegative=profile["nonnegative"].to_numpy(),
        levels=config.levels,
    )


def _cross_validate_and_forecast(
    statistical: StatsForecast,
    model_input: pl.DataFrame,
    final_grid: pl.DataFrame,
    windows: int,
    h: int,
    config: ForecastConfig,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Cross-validation and final forecast in one call, each model fitted once per series.

    The forecast days are appended as one more window with placeholder (NaN) values, which no model
    sees: every window's models only get the history before its cutoff. Without refitting, the models
    fitted at the first origin are carried forward through the CV windows and then to the whole
    history, which is what the last window's forecast is.
    """
    placeholders = final_grid.select(
        pl.col(SERIES_KEY).alias("unique_id"), "ds", pl.lit(float("nan")).alias("y")
    )
    extended = pl.concat([model_input, placeholders], how="vertical_relaxed").sort("unique_id", "ds")
    combined = run_statistical(
        config,
        extended,
        lambda df: statistical.cross_validation(h=h, df=df, n_windows=windows + 1, step_size=h, refit=False),
        CV_ORDER,
    ).rename({"unique_id": SERIES_KEY})
    last_cutoff = pl.col("cutoff") == pl.col("cutoff").max().over(SERIES_KEY)
    final = combined.filter(last_cutoff).drop("cutoff", "y")
    return combined.filter(~last_cutoff).rename({SERIES_KEY: "unique_id"}), final.rename(
        {SERIES_KEY: "unique_id"}
    )


def _lightgbm(
    prepared: PreparedPanel,
    data: pl.DataFrame,
    future: pl.DataFrame,
    config: ForecastConfig,
    windows: int,
    fallbacks: dict[str, list[str]],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Cross-validate and forecast the global LightGBM model over the given series.

    Calendar and holiday features exist only for daily series, where they mean something. A failure
    inside mlforecast or LightGBM costs this candidate (NaN for every series, with the reason), not
    the run.
    """
    periods = prepared.periods
    daily = periods.frequency.is_daily
    keys = data[SERIES_KEY].unique().to_list()
    future = future.filter(pl.col(SERIES_KEY).is_in(keys))
    exogenous = [*(HOLIDAY_FEATURES if daily else ()), *prepared.exogenous]
    history = data.select(pl.col(SERIES_KEY).alias("unique_id"), "ds", "y", *prepared.exogenous)
    future_features = future.rename({SERIES_KEY: "unique_id"})
    if daily:
        calendar = holiday_features(pl.concat([data["ds"], future["ds"]]), config.holiday_country)
        history = history.join(calendar, on="ds", how="left")
        future_features = future_features.join(calendar, on="ds", how="left")
    history = history.select("unique_id", "ds", "y", *exogenous)
    future_features = future_features.select("unique_id", "ds", *exogenous)
    learner = lightgbm_forecaster(config, periods)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cv = learner.cross_validation(
                df=history,
                n_windows=windows,
                h=periods.horizon,
                step_size=periods.horizon,
                static_features=[],
                refit=_lightgbm_refit(windows, periods.cv_windows),
            )
            learner.fit(history, static_features=[])
            final = learner.predict(h=periods.horizon, X_df=future_features if exogenous else None)
    except Exception as error:  # any failure of the learner costs only this candidate
        for key in keys:
            fallbacks.setdefault(key, []).append(
                f"LightGBM could not be fitted ({type(error).__name__}: {str(error)[:120]}) and was left out"
            )
        empty_cv = pl.DataFrame(
            schema={SERIES_KEY: pl.String, "cutoff": pl.Date, "ds": pl.Date, "LightGBM": pl.Float64}
        )
        return empty_cv, future.select(SERIES_KEY, "ds", pl.lit(None, dtype=pl.Float64).alias("LightGBM"))
    return (
        cv.rename({"unique_id": SERIES_KEY}).select(SERIES_KEY, "cutoff", "ds", "LightGBM"),
        final.rename({"unique_id": SERIES_KEY}).select(SERIES_KEY, "ds", "LightGBM"),
    )


def _lightgbm_refit(windows: int, base_windows: int) -> bool | int:
    """Refit LightGBM in every window, or, when a small panel got extra windows, about ``base_windows``
    times: one series with 19 windows cost 25 s of LightGBM fits against 5 s with three."""
    if windows <= base_windows:
        return True
    return -(-windows // base_windows)


@dataclass(frozen=True)
class _ClassResult:
    forecasts: pl.DataFrame
    accuracy: pl.DataFrame
    calibration: pl.DataFrame
    check: SelectionCheck
    error_paths: dict[tuple[str, str], np.ndarray]


def _evaluate(
    cv: CrossValidation, series_class: str, config: ForecastConfig, fallbacks: dict[str, list[str]]
) -> _ClassResult:
    """Ensemble, scores, choice and calibrated intervals for one class of series."""
    candidates = list(cv.models)
    usable_before = cv.usable
    for i, key in enumerate(cv.keys):
        for m, model in enumerate(candidates):
            if not usable_before[i, m]:
                fallbacks.setdefault(key, []).append(f"{model} failed on this series and was left out")
    cv = add_ensemble(clip_nonnegative(cv), config.ensemble_size)
    calibration = calibrate(cv)
    scores_mase, scores_smape = mase(cv), smape(cv)
    chosen = choose_models(cv, scores_mase, config.ensemble_margin)
    usable = cv.usable
    n, n_models, _, h = cv.points.shape

    bounds = interval_bounds(
        cv.final_points,
        cv.final_scales[:, None, None],
        calibration.quantiles[None],
        cv.nonnegative[:, None, None],
    )
    series_index, model_index, step_index = np.meshgrid(
        np.arange(n), np.arange(n_models), np.arange(h), indexing="ij"
    )
    keep = usable[series_index, model_index].ravel()
    forecasts = pl.DataFrame(
        {
            SERIES_KEY: np.asarray(cv.keys, dtype=object)[series_index.ravel()[keep]],
            "step": step_index.ravel()[keep] + 1,
            "model": np.asarray(cv.models, dtype=object)[model_index.ravel()[keep]],
            "point": cv.final_points.ravel()[keep],
            **{column: bounds[..., j].ravel()[keep] for j, column in enumerate(config.interval_columns)},
            "is_chosen": (model_index == chosen[:, None, None]).ravel()[keep],
        },
        schema_overrides={SERIES_KEY: pl.String, "model": pl.String},
    )

    rows = []
    for i, key in enumerate(cv.keys):
        chosen_name = cv.models[chosen[i]] if chosen[i] >= 0 else None
        if chosen[i] < 0:
            fallbacks.setdefault(key, []).append("every candidate failed: no forecast")
        for m, model in enumerate(cv.models):
            if not usable[i, m]:
                continue
            rows.append(
                {
                    SERIES_KEY: key,
                    "model": model,
                    "is_chosen": m == chosen[i],
                    "chosen_model": chosen_name,
                    "mase": float(scores_mase[i, m]),
                    "smape": float(scores_smape[i, m]),
                    **{
                        f"coverage_{level}": float(calibration.coverage[i, m, j])
                        for j, level in enumerate(config.levels)
                    },
                    "cv_windows": cv.points.shape[2],
                    "ensemble_members": ", ".join(cv.ensemble_members[i]) if model == ENSEMBLE else None,
                }
            )
    accuracy = pl.DataFrame(
        rows,
        schema={
            SERIES_KEY: pl.String,
            "model": pl.String,
            "is_chosen": pl.Boolean,
            "chosen_model": pl.String,
            "mase": pl.Float64,
            "smape": pl.Float64,
            **{f"coverage_{level}": pl.Float64 for level in config.levels},
            "cv_windows": pl.Int64,
            "ensemble_members": pl.String,
        },
    )
    calibration_rows = pl.DataFrame(
        {
            "series_class": series_class,
            "model": np.repeat(np.asarray(cv.models, dtype=object), h),
            "step": np.tile(np.arange(1, h + 1), n_models),
            **{
                column: calibration.quantiles[:, :, j].ravel()
                for j, column in enumerate(quantile_columns(config.levels))
            },
        },
        schema_overrides={"model": pl.String, "series_class": pl.String},
    ).filter(pl.col("model").is_in([cv.models[m] for m in range(n_models) if usable[:, m].any()]))
    scores = scaled_errors(cv)
    paths = {
        (series_class, model): scores[usable[:, m], m].reshape(-1, h)
        for m, model in enumerate(cv.models)
        if usable[:, m].any()
    }
    return _ClassResult(
        forecasts=forecasts,
        accuracy=accuracy,
        calibration=calibration_rows,
        check=held_out_selection(
            cv, calibration, baseline="SeasonalNaive", ensemble_margin=config.ensemble_margin
        ),
        error_paths=paths,
    )


def _forecaster(statistical: StatsForecast, h: int, level: list[int]) -> Callable[[Any], pl.DataFrame]:
    """``statistical.forecast`` of a frame, for :func:`run_statistical`."""
    return lambda df: statistical.forecast(h=h, df=df, level=level)


def _forecast_short(prepared: PreparedPanel, config: ForecastConfig) -> tuple[pl.DataFrame, pl.DataFrame]:
    """SeasonalNaive (two weeks or more) or Naive with the models' own intervals for short series."""
    profile = prepared.profile.filter(pl.col("series_class") == SHORT)
    forecast_parts, accuracy_parts = [], []
    by_model: dict[str, list[str]] = {}
    periods = prepared.periods
    for row in profile.iter_rows(named=True):
        by_model.setdefault(repr(short_series_model(periods, row["n_obs"])), []).append(row[SERIES_KEY])
    for keys in by_model.values():
        first = profile.filter(pl.col(SERIES_KEY) == keys[0])["n_obs"][0]
        model = short_series_model(periods, first)
        name = repr(model)
        model_input = prepared.data.filter(pl.col(SERIES_KEY).is_in(keys)).select(
            pl.col(SERIES_KEY).alias("unique_id"), "ds", "y"
        )
        statistical = StatsForecast(
            models=[model], freq=periods.frequency.interval, n_jobs=1, fallback_model=NaNModel()
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = run_statistical(
                config,
                model_input,
                _forecaster(statistical, config.horizon, list(config.levels)),
                FORECAST_ORDER,
            )
        result = (
            result.rename({"unique_id": SERIES_KEY})
            .join(profile.select(SERIES_KEY, "nonnegative"), on=SERIES_KEY)
            .sort(SERIES_KEY, "ds")
            .with_columns(pl.int_range(1, pl.len() + 1).over(SERIES_KEY).alias("step"))
        )
        floor = pl.when(pl.col("nonnegative")).then(0.0).otherwise(None)
        bounds = []
        for column in config.interval_columns:
            side, level = column.split("_")
            # A model's own interval can be undefined on a very short series: the point forecast then.
            bound = pl.col(f"{name}-{side}-{level}").fill_nan(None).fill_null(pl.col(name))
            bounds.append(pl.max_horizontal(bound, floor).alias(column))
        forecast_parts.append(
            result.select(
                SERIES_KEY,
                "step",
                pl.lit(name).alias("model"),
                pl.max_horizontal(pl.col(name), floor).alias("point"),
                *bounds,
                pl.lit(True).alias("is_chosen"),
            )
        )
        accuracy_parts.append(
            pl.DataFrame({SERIES_KEY: keys, "model": name, "chosen_model": name, "is_chosen": True})
        )
    return _concat_or_empty(forecast_parts), _concat_or_empty(accuracy_parts)


def _forecast_constant(prepared: PreparedPanel, config: ForecastConfig) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A flat forecast at the series' only value, with zero-width intervals."""
    constant = (
        prepared.data.filter(pl.col(SERIES_KEY).is_in(prepared.keys_of(CONSTANT)))
        .group_by(SERIES_KEY)
        .agg(pl.col("y_raw").first().alias("value"))
    )
    if constant.is_empty():
        return pl.DataFrame(), pl.DataFrame()
    forecasts = constant.join(pl.DataFrame({"step": list(range(1, config.horizon + 1))}), how="cross").select(
        SERIES_KEY,
        "step",
        pl.lit("Constant").alias("model"),
        *[pl.col("value").alias(c) for c in ("point", *config.interval_columns)],
        pl.lit(True).alias("is_chosen"),
    )
    accuracy = constant.select(
        SERIES_KEY,
        pl.lit("Constant").alias("model"),
        pl.lit("Constant").alias("chosen_model"),
        pl.lit(True).alias("is_chosen"),
    )
    return forecasts, accuracy


def _accuracy_frame(
    prepared: PreparedPanel,
    parts: Sequence[pl.DataFrame],
    notes: dict[str, list[str]],
    fallbacks: dict[str, list[str]],
    config: ForecastConfig,
) -> pl.DataFrame:
    """One row per series and candidate, plus one row (model null) for each series left unforecast."""
    rows = _concat_or_empty([p for p in parts if p.height], how="diagonal_relaxed")
    if rows.is_empty():
        rows = pl.DataFrame(schema={SERIES_KEY: pl.String, "model": pl.String})
    unforecast = prepared.profile.join(rows.select(SERIES_KEY).unique(), on=SERIES_KEY, how="anti")
    rows = pl.concat([rows, unforecast.select(SERIES_KEY)], how="diagonal_relaxed")
    noted = sorted(set(notes) | set(fallbacks))
    extra = pl.DataFrame(
        {
            SERIES_KEY: noted,
            "run_notes": ["; ".join(notes.get(key, [])) or None for key in noted],
            "run_fallbacks": ["; ".join(fallbacks.get(key, [])) or None for key in noted],
        },
        schema={SERIES_KEY: pl.String, "run_notes": pl.String, "run_fallbacks": pl.String},
    )
    joined = (
        rows.join(
            prepared.restore_dates(prepared.profile, "history_start", "history_end"),
            on=SERIES_KEY,
            how="left",
        )
        .join(extra, on=SERIES_KEY, how="left")
        .with_columns(
            pl.concat_str(
                [pl.col("fallback_reason"), pl.col("run_fallbacks")], separator="; ", ignore_nulls=True
            )
            .replace("", None)
            .alias("fallback_reason"),
            pl.concat_str([pl.col("data_notes"), pl.col("run_notes")], separator="; ", ignore_nulls=True)
            .replace("", None)
            .alias("data_notes"),
        )
    )
    schema = accuracy_schema(config.levels)
    for column, dtype in schema.items():
        if column not in joined.columns:
            joined = joined.with_columns(pl.lit(None, dtype=dtype).alias(column))
    return (
        joined.with_columns(pl.col("is_chosen").fill_null(False))
        .with_columns(
            pl.when(pl.col("model").is_null() & pl.col("fallback_reason").is_null())
            .then(pl.lit("no forecast"))
            .otherwise(pl.col("fallback_reason"))
            .alias("fallback_reason")
        )
        .select([pl.col(c).cast(t) for c, t in schema.items()])
        .sort("tenant_id", "unique_id", "model", nulls_last=True)
    )


def _concat_or_empty(parts: Sequence[pl.DataFrame], how: Any = "vertical_relaxed") -> pl.DataFrame:
    return pl.concat(parts, how=how) if parts else pl.DataFrame()
