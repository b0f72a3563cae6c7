"""Benchmark of Keel's forecasting library: cost per series of each model and of the whole run.

Run from the repository root:

    .venv/bin/python benchmarks/bench_forecasting.py                 # 50 series x 3 years, n_jobs=1
    .venv/bin/python benchmarks/bench_forecasting.py --series 200 --n-jobs 2

On a synthetic panel of realistic daily business series (see ``models_ml.forecasting.synthetic``) it
measures, with progress lines as it goes:

* each candidate model alone, as the pipeline configures it, doing what the pipeline asks of it:
  rolling-origin cross-validation (3 windows of ``--horizon`` days) plus the final forecast;
* SeasonalNaive alone, the baseline every cost and score is compared with;
* AutoARIMA with statsforecast's default search on the full history, on a few series, to show
  what the narrowed search and the one-year window save;
* the whole pipeline (``forecast_panel``) with the default candidates and with ``FAST_MODELS``;

and prints one table: seconds per series, cost relative to SeasonalNaive, mean MASE over the
cross-validation windows, and the interval coverage. Peak memory is the process's maximum RSS.
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings
from dataclasses import dataclass, replace
from typing import Any

import polars as pl
from statsforecast import StatsForecast
from statsforecast.models import AutoARIMA, NaNModel

from models_ml.forecasting import FAST_MODELS, ForecastConfig, forecast_panel
from models_ml.forecasting.candidates import guarded, regular_models
from models_ml.forecasting.prepare import SERIES_KEY, prepare_panel
from models_ml.forecasting.synthetic import synthetic_business_panel


@dataclass
class Row:
    name: str
    seconds_per_series: float
    mase: float | None = None
    coverage_80: float | None = None
    coverage_95: float | None = None
    note: str = ""


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def time_statistical_model(model: Any, model_input: pl.DataFrame, config: ForecastConfig) -> float:
    """Seconds for cross-validation plus final forecast of one model over all series."""
    engine = StatsForecast(models=[model], freq="1d", n_jobs=config.n_jobs, fallback_model=NaNModel())
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        engine.cross_validation(
            h=config.horizon,
            df=model_input,
            n_windows=config.cv_windows,
            step_size=config.horizon,
            refit=config.cv_refit,
        )
        engine.forecast(h=config.horizon, df=model_input)
    return time.perf_counter() - started


def time_default_arima(model_input: pl.DataFrame, series: int, config: ForecastConfig) -> float:
    """Seconds per series of one final forecast by AutoARIMA with its default search, full history."""
    keys = model_input["unique_id"].unique(maintain_order=True).head(series).to_list()
    subset = model_input.filter(pl.col("unique_id").is_in(keys))
    engine = StatsForecast(
        models=[AutoARIMA(season_length=config.weekly_season)], freq="1d", n_jobs=config.n_jobs
    )
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        engine.forecast(h=config.horizon, df=subset, level=[80, 95])
    return (time.perf_counter() - started) / len(keys)


def peak_memory_mb() -> float:
    # ru_maxrss is in kilobytes on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", type=int, default=50)
    parser.add_argument("--days", type=int, default=3 * 365)
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--arima-default-series", type=int, default=5)
    parser.add_argument("--refit", action="store_true", help="refit statistical models in every CV window")
    args = parser.parse_args()

    config = ForecastConfig(horizon=args.horizon, n_jobs=args.n_jobs, seed=args.seed, cv_refit=args.refit)
    progress(f"panel: {args.series} synthetic daily series of {args.days} days (seed {args.seed})")
    panel = synthetic_business_panel(n_series=args.series, n_days=args.days, seed=args.seed)
    prepared = prepare_panel(panel, config)
    model_input = prepared.data.select(pl.col(SERIES_KEY).alias("unique_id"), "ds", "y")
    n = panel.select("tenant_id", "unique_id").unique().height

    # Warm numba's compiled code so the first model measured does not pay for everyone.
    warm = model_input.filter(pl.col("unique_id") == model_input["unique_id"][0])
    for model in regular_models(config):
        time_statistical_model(guarded(model, config.max_history_days), warm, config)

    progress("whole pipeline, default candidates")
    started = time.perf_counter()
    run = forecast_panel(panel, config=config)
    pipeline_seconds = time.perf_counter() - started
    progress(
        f"  {pipeline_seconds:.1f} s; stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in run.timings.items())
    )

    progress("whole pipeline, FAST_MODELS (no AutoARIMA)")
    started = time.perf_counter()
    fast_run = forecast_panel(panel, config=replace(config, models=FAST_MODELS))
    fast_seconds = time.perf_counter() - started

    scores = (
        run.accuracy.filter(pl.col("series_class") == "regular")
        .group_by("model")
        .agg(pl.col("mase").mean(), pl.col("coverage_80").mean(), pl.col("coverage_95").mean())
    )
    score = {r["model"]: r for r in scores.iter_rows(named=True)}

    rows: list[Row] = []
    for model in regular_models(config):
        name = repr(model)
        progress(f"{name} alone: cross-validation + forecast")
        seconds = time_statistical_model(guarded(model, config.max_history_days), model_input, config)
        rows.append(
            Row(
                name, seconds / n, score[name]["mase"], score[name]["coverage_80"], score[name]["coverage_95"]
            )
        )
    # LightGBM is one global model: its stage of the pipeline run is exactly its own cost.
    rows.append(
        Row(
            "LightGBM",
            run.timings["regular_lightgbm"] / n,
            score["LightGBM"]["mase"],
            score["LightGBM"]["coverage_80"],
            score["LightGBM"]["coverage_95"],
            "global model; stage of the pipeline run",
        )
    )
    rows.append(
        Row(
            "Ensemble",
            0.0,
            score["Ensemble"]["mase"],
            score["Ensemble"]["coverage_80"],
            score["Ensemble"]["coverage_95"],
            f"mean of the best {config.ensemble_size}; no fitting of its own",
        )
    )
    check = run.checks["regular"]
    rows.append(
        Row(
            "Keel pipeline (default)",
            pipeline_seconds / n,
            check.mase,
            check.coverage_80,
            check.coverage_95,
            "held-out choice; all stages",
        )
    )
    fast_check = fast_run.checks["regular"]
    rows.append(
        Row(
            "Keel pipeline (FAST_MODELS)",
            fast_seconds / n,
            fast_check.mase,
            fast_check.coverage_80,
            fast_check.coverage_95,
            "held-out choice; all stages",
        )
    )
    if args.arima_default_series > 0:
        progress(
            f"AutoARIMA, default search, full history, {args.arima_default_series} series: forecast only"
        )
        seconds = time_default_arima(model_input, args.arima_default_series, config)
        rows.append(Row("AutoARIMA default (1 fit)", seconds, None, None, None, "for scale: one fit, no CV"))

    baseline = next(r for r in rows if r.name == "SeasonalNaive").seconds_per_series
    print()
    print(
        f"{args.series} series x {args.days} days, horizon {args.horizon}, {config.cv_windows} CV windows, "
        f"n_jobs={args.n_jobs}, cv_refit={args.refit}, peak RSS {peak_memory_mb():.0f} MB"
    )
    header = f"{'model':<30} {'s/series':>9} {'x SNaive':>9} {'MASE':>6} {'cov80':>6} {'cov95':>6}  note"
    print(header)
    print("-" * len(header))
    for row in rows:
        ratio = row.seconds_per_series / baseline if baseline > 0 and row.seconds_per_series else float("nan")
        mase = f"{row.mase:6.3f}" if row.mase is not None else f"{'':>6}"
        cov80 = f"{row.coverage_80:6.1%}" if row.coverage_80 is not None else f"{'':>6}"
        cov95 = f"{row.coverage_95:6.1%}" if row.coverage_95 is not None else f"{'':>6}"
        cost = f"{row.seconds_per_series:9.3f}" if row.seconds_per_series else f"{'-':>9}"
        print(f"{row.name:<30} {cost} {ratio:9.0f} {mase} {cov80} {cov95}  {row.note}")
    print(
        f"\nSeasonalNaive MASE is 1 by construction only in-sample; over the CV windows it is "
        f"{check.baseline_mase:.3f}. Series where the held-out choice beats or ties it: "
        f"{check.share_no_worse_than_baseline:.0%}."
    )


if __name__ == "__main__":
    main()
