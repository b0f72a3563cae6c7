"""Forecasting at scale: Keel's pipeline against bare statsforecast, pmdarima and statsmodels ETS.

Run from the repository root (the full run takes about an hour on 2 shared cores):

    .venv/bin/python benchmarks/bench_forecasting_scale.py                      # 1,000 series x 3 years
    .venv/bin/python benchmarks/bench_forecasting_scale.py --series 50 --pmdarima-series 4

The panel: ``--series`` realistic daily series of ``--days`` days (``models_ml.forecasting.synthetic``:
weekly and yearly seasons, growth or decline, holidays, AR(1) noise, outliers, a level shift in one
series out of ten), one in twenty of them intermittent (mostly zero days). It is the same for a given
``--seed``. The last ``--horizon`` days of every series are held out; every variant sees the rest and
is scored on them (MASE against the in-sample seasonal naive MAE, m = 7, and interval coverage).

The variants, each in a fresh subprocess (its wall time covers the work only, not imports or reading
the data; its peak memory is the maximum RSS of the process and of its largest worker process):

* ``keel``: ``forecast_panel`` as the demo configures it (every candidate: AutoARIMA, AutoETS,
  AutoTheta, MSTL, SeasonalNaive and LightGBM; 3 CV windows of ``--horizon`` days; conformal 80/95%
  intervals; ``--jobs`` processes), the chosen forecast of each series;
* ``statsforecast``: one bare ``StatsForecast`` call with the same statistical models (the objects
  Keel builds, so the same history windows and ARIMA search) doing the same work: ``cross_validation``
  with 3 windows (``refit=False``, as Keel) and ``forecast``, both with native 80/95% intervals, then the
  model with the lowest CV MAE per series;
* ``pmdarima``: ``auto_arima`` (m = 7, stepwise, defaults otherwise) fitted once per series on its
  whole history, on the first ``--pmdarima-series`` series of a stratified subset, ``--jobs`` processes;
* ``statsmodels-ets``: a per-series loop of statsmodels ``ETSModel`` (additive error, damped additive
  trend, additive weekly season), fitted once per series on its whole history, ``--jobs`` processes.

pmdarima and the ETS loop fit once per series; Keel and the bare call also cross-validate.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import date, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from keel.settings import child_env

SEASON = 7
LEVELS = (80, 95)
INTERMITTENT_SHARE = 20  # one series in this many is intermittent
VARIANTS = ("keel", "statsforecast", "pmdarima", "statsmodels-ets")
FORECAST_FRAME = {
    "unique_id": pl.String,
    "ds": pl.Date,
    "point": pl.Float64,
    "lo_80": pl.Float64,
    "hi_80": pl.Float64,
    "lo_95": pl.Float64,
    "hi_95": pl.Float64,
}


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ------------------------------------------------------------------------------------------------
# The panel
# ------------------------------------------------------------------------------------------------


def make_panel(n_series: int, n_days: int, seed: int, end: date = date(2025, 10, 31)) -> pl.DataFrame:
    """``unique_id, ds, y`` (``unique_id`` = ``tenant|metric``): regular and intermittent series."""
    from models_ml.forecasting.synthetic import intermittent_series, synthetic_business_panel

    n_intermittent = n_series // INTERMITTENT_SHARE
    parts = [synthetic_business_panel(n_series=n_series - n_intermittent, n_days=n_days, end=end, seed=seed)]
    rng = np.random.default_rng(seed + 1)
    for i in range(n_intermittent):
        parts.append(
            intermittent_series(
                n_days,
                end,
                zero_share=float(rng.uniform(0.55, 0.9)),
                seed=seed * 10_000 + i,
                tenant_id=f"i{i + 1:04d}",
            )
        )
    return (
        pl.concat(parts)
        .select(pl.concat_str("tenant_id", pl.lit("|"), "unique_id").alias("unique_id"), "ds", "y")
        .sort("unique_id", "ds")
    )


def stratified_subset(keys: list[str], size: int) -> list[str]:
    """``size`` keys spread evenly over the sorted keys (every metric and the intermittent ones)."""
    if size >= len(keys):
        return list(keys)
    picks = np.linspace(0, len(keys) - 1, size).round().astype(int)
    return [keys[i] for i in sorted(set(picks.tolist()))]


# ------------------------------------------------------------------------------------------------
# The variants (each runs in its own subprocess, see ``run_variant``)
# ------------------------------------------------------------------------------------------------


def warm_up(history: pl.DataFrame, run: Callable[[pl.DataFrame], Any]) -> None:
    """Compile numba's code on two series so the timed run does not pay for it."""
    keys = history["unique_id"].unique().sort().head(2).to_list()
    run(history.filter(pl.col("unique_id").is_in(keys)))


def variant_keel(history: pl.DataFrame, horizon: int, jobs: int, _: int) -> tuple[pl.DataFrame, dict]:
    from models_ml.forecasting import ForecastConfig, forecast_panel

    config = ForecastConfig(horizon=horizon, n_jobs=jobs)
    panel = history.with_columns(
        pl.col("unique_id").str.split("|").list.get(0).alias("tenant_id"),
        pl.col("unique_id").str.split("|").list.get(1).alias("metric"),
    ).select("tenant_id", pl.col("metric").alias("unique_id"), "ds", "y")

    def run(frame: pl.DataFrame) -> Any:
        return forecast_panel(frame, config=config)

    run(panel.filter(pl.col("tenant_id") == panel["tenant_id"].min()))  # warm up numba's code
    started = time.perf_counter()
    result = run(panel)
    seconds = time.perf_counter() - started
    chosen = result.chosen_forecasts().select(
        pl.concat_str("tenant_id", pl.lit("|"), "unique_id").alias("unique_id"),
        "ds",
        "point",
        "lo_80",
        "hi_80",
        "lo_95",
        "hi_95",
    )
    models = result.accuracy.filter(pl.col("is_chosen"))["chosen_model"].value_counts().sort("count")
    extra = {
        "seconds": seconds,
        "stages": result.timings,
        "chosen_models": dict(models.iter_rows()),
        "classes": dict(result.profile["series_class"].value_counts().iter_rows()),
    }
    return chosen, extra


def variant_statsforecast(
    history: pl.DataFrame, horizon: int, jobs: int, _: int
) -> tuple[pl.DataFrame, dict]:
    from statsforecast import StatsForecast
    from statsforecast.models import NaNModel

    from models_ml.forecasting import ForecastConfig
    from models_ml.forecasting.candidates import guarded, regular_models

    config = ForecastConfig(horizon=horizon, n_jobs=jobs)
    models = [guarded(m, config.max_history_days) for m in regular_models(config)]
    names = [repr(m) for m in models]
    levels = list(LEVELS)

    def run(frame: pl.DataFrame) -> pl.DataFrame:
        engine = StatsForecast(models=models, freq="1d", n_jobs=jobs, fallback_model=NaNModel())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cv = engine.cross_validation(
                h=horizon, df=frame, n_windows=config.cv_windows, step_size=horizon, refit=False, level=levels
            )
            final = engine.forecast(h=horizon, df=frame, level=levels)
        # The model with the lowest mean absolute CV error per series (a failed model never wins).
        errors = cv.group_by("unique_id").agg(
            [(pl.col(n) - pl.col("y")).abs().mean().fill_nan(None).alias(n) for n in names]
        )
        best = errors.unpivot(index="unique_id", variable_name="model", value_name="mae").drop_nulls()
        best = best.sort("unique_id", "mae").group_by("unique_id", maintain_order=True).first()
        long = pl.concat(
            [
                final.select(
                    "unique_id",
                    "ds",
                    pl.lit(n).alias("model"),
                    pl.col(n).alias("point"),
                    *[
                        pl.col(f"{n}-{side}-{lv}").alias(f"{side}_{lv}")
                        for lv in LEVELS
                        for side in ("lo", "hi")
                    ],
                )
                for n in names
            ]
        )
        return long.join(best.select("unique_id", "model"), on=["unique_id", "model"]).drop("model")

    warm_up(history, run)
    started = time.perf_counter()
    chosen = run(history)
    seconds = time.perf_counter() - started
    return chosen.select(list(FORECAST_FRAME)), {"seconds": seconds}


def _pmdarima_one(job: tuple[str, np.ndarray, date, int]) -> dict[str, Any]:
    import pmdarima

    key, y, end, horizon = job
    days = [end + timedelta(days=i) for i in range(1, horizon + 1)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = pmdarima.auto_arima(
                y, m=SEASON, seasonal=True, stepwise=True, suppress_warnings=True, error_action="ignore"
            )
            point, bounds_80 = model.predict(n_periods=horizon, return_conf_int=True, alpha=0.2)
            _, bounds_95 = model.predict(n_periods=horizon, return_conf_int=True, alpha=0.05)
        except Exception:  # a failed series is reported as NaN, as statsforecast's NaNModel would
            point = bounds_80 = bounds_95 = None
    if point is None:
        nan = np.full(horizon, np.nan)
        point, bounds_80, bounds_95 = nan, np.stack([nan, nan], 1), np.stack([nan, nan], 1)
    return {
        "unique_id": [key] * horizon,
        "ds": days,
        "point": np.asarray(point, dtype=float),
        "lo_80": bounds_80[:, 0],
        "hi_80": bounds_80[:, 1],
        "lo_95": bounds_95[:, 0],
        "hi_95": bounds_95[:, 1],
    }


def _ets_one(job: tuple[str, np.ndarray, date, int]) -> dict[str, Any]:
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    key, y, end, horizon = job
    days = [end + timedelta(days=i) for i in range(1, horizon + 1)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fitted = ETSModel(
                pd.Series(y),  # statsmodels' prediction intervals need a pandas index
                error="add",
                trend="add",
                damped_trend=True,
                seasonal="add",
                seasonal_periods=SEASON,
            ).fit(disp=False)
            prediction = fitted.get_prediction(start=len(y), end=len(y) + horizon - 1)
            point = np.asarray(prediction.predicted_mean, dtype=float)
            frames = {lv: prediction.summary_frame(alpha=1 - lv / 100) for lv in LEVELS}
            bounds = {
                lv: (frames[lv]["pi_lower"].to_numpy(), frames[lv]["pi_upper"].to_numpy()) for lv in LEVELS
            }
        except Exception:
            nan = np.full(horizon, np.nan)
            point, bounds = nan, {lv: (nan, nan) for lv in LEVELS}
    return {
        "unique_id": [key] * horizon,
        "ds": days,
        "point": point,
        **{f"{side}_{lv}": bounds[lv][i] for lv in LEVELS for i, side in enumerate(("lo", "hi"))},
    }


def _per_series_loop(
    one: Callable[[tuple[str, np.ndarray, date, int]], dict[str, Any]],
    history: pl.DataFrame,
    horizon: int,
    jobs: int,
    subset: int,
) -> tuple[pl.DataFrame, dict]:
    keys = stratified_subset(history["unique_id"].unique().sort().to_list(), subset)
    grouped = (
        history.filter(pl.col("unique_id").is_in(keys))
        .sort("ds")
        .group_by("unique_id", maintain_order=True)
        .agg(pl.col("y"), pl.col("ds").max().alias("end"))
        .sort("unique_id")
    )
    jobs_list = [
        (row["unique_id"], np.asarray(row["y"], dtype=float), row["end"], horizon)
        for row in grouped.iter_rows(named=True)
    ]
    key, y, end, _ = jobs_list[0]
    one((key, y[-120:], end, horizon))  # import and warm up
    started = time.perf_counter()
    if jobs > 1:
        with get_context("fork").Pool(jobs) as pool:
            parts = pool.map(one, jobs_list, chunksize=1)
    else:
        parts = [one(job) for job in jobs_list]
    seconds = time.perf_counter() - started
    frame = pl.concat([pl.DataFrame(part, schema=FORECAST_FRAME) for part in parts])
    return frame, {"seconds": seconds}


def variant_pmdarima(
    history: pl.DataFrame, horizon: int, jobs: int, subset: int
) -> tuple[pl.DataFrame, dict]:
    return _per_series_loop(_pmdarima_one, history, horizon, jobs, subset)


def variant_ets(history: pl.DataFrame, horizon: int, jobs: int, subset: int) -> tuple[pl.DataFrame, dict]:
    return _per_series_loop(_ets_one, history, horizon, jobs, subset)


RUNNERS: dict[str, Callable[[pl.DataFrame, int, int, int], tuple[pl.DataFrame, dict]]] = {
    "keel": variant_keel,
    "statsforecast": variant_statsforecast,
    "pmdarima": variant_pmdarima,
    "statsmodels-ets": variant_ets,
}


def peak_rss_mb() -> float:
    """This process's peak resident memory since it was started (``VmHWM``).

    Not ``ru_maxrss``: Linux keeps that across ``execve``, so a subprocess started from a large parent
    would report at least the parent's size at the fork.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_variant(name: str, data: Path, out: Path, horizon: int, jobs: int, subset: int) -> None:
    """Child-process entry: run one variant, write its forecasts and a JSON line with its figures."""
    history = pl.read_parquet(data)
    forecasts, extra = RUNNERS[name](history, horizon, jobs, subset)
    forecasts.select([pl.col(c).cast(t) for c, t in FORECAST_FRAME.items()]).write_parquet(out)
    extra["series"] = forecasts["unique_id"].n_unique()
    extra["rss_main_mb"] = peak_rss_mb()
    # ru_maxrss is in kilobytes on Linux; RUSAGE_CHILDREN holds the largest worker process waited for.
    extra["rss_worker_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print("RESULT " + json.dumps(extra), flush=True)


# ------------------------------------------------------------------------------------------------
# Scoring and the table
# ------------------------------------------------------------------------------------------------


def score(forecasts: pl.DataFrame, history: pl.DataFrame, actual: pl.DataFrame) -> pl.DataFrame:
    """Per series: held-out MASE (in-sample seasonal naive MAE as the scale) and interval coverage."""
    scale = (
        history.sort("ds")
        .group_by("unique_id")
        .agg((pl.col("y") - pl.col("y").shift(SEASON)).abs().mean().alias("scale"))
    )
    joined = forecasts.join(actual, on=["unique_id", "ds"])
    return (
        joined.group_by("unique_id")
        .agg(
            (pl.col("y") - pl.col("point")).abs().mean().alias("mae"),
            ((pl.col("y") >= pl.col("lo_80")) & (pl.col("y") <= pl.col("hi_80"))).mean().alias("cover_80"),
            ((pl.col("y") >= pl.col("lo_95")) & (pl.col("y") <= pl.col("hi_95"))).mean().alias("cover_95"),
            pl.col("point").is_nan().any().alias("failed"),
        )
        .join(scale, on="unique_id")
        .with_columns((pl.col("mae") / pl.col("scale")).alias("mase"))
    )


def load_average() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--days", type=int, default=3 * 365, help="days per series, held-out days included")
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--pmdarima-series", type=int, default=20)
    parser.add_argument("--ets-series", type=int, default=200, help="a stratified subset; 0: every series")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of {VARIANTS}")
    parser.add_argument(
        "--workdir",
        type=Path,
        help="keep the panel, each variant's forecasts and figures here (default: a temp dir)",
    )
    parser.add_argument("--worker", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--subset", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_variant(args.worker, args.data, args.out, args.horizon, args.jobs, args.subset)
        return

    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"--variants has unknown name(s) {unknown}: choose from {VARIANTS}")
    if args.days <= args.horizon + 8 * SEASON:
        parser.error(f"--days must exceed --horizon by at least {8 * SEASON}")
    progress(f"panel: {args.series} series x {args.days} days (seed {args.seed}); load {load_average()}")
    panel = make_panel(args.series, args.days, args.seed)
    cut = panel.select(pl.col("ds").max()).item() - timedelta(days=args.horizon)
    history = panel.filter(pl.col("ds") <= cut)
    actual = panel.filter(pl.col("ds") > cut).select("unique_id", "ds", "y")
    n_series = panel["unique_id"].n_unique()
    subsets = {
        "keel": n_series,
        "statsforecast": n_series,
        "pmdarima": min(args.pmdarima_series, n_series),
        "statsmodels-ets": min(args.ets_series or n_series, n_series),
    }

    results: dict[str, dict[str, Any]] = {}
    scores: dict[str, pl.DataFrame] = {}
    with tempfile.TemporaryDirectory(prefix="keel-bench-") as scratch:
        tmp = args.workdir or Path(scratch)
        tmp.mkdir(parents=True, exist_ok=True)
        data = Path(tmp) / "history.parquet"
        history.write_parquet(data)
        for name in variants:
            out = Path(tmp) / f"{name}.parquet"
            progress(f"{name}: {subsets[name]} series, {args.jobs} jobs; load {load_average()}")
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--worker",
                name,
                "--data",
                str(data),
                "--out",
                str(out),
                "--horizon",
                str(args.horizon),
                "--jobs",
                str(args.jobs),
                "--subset",
                str(subsets[name]),
            ]
            started = time.perf_counter()
            # Parallelism is by processes (--jobs); a BLAS thread pool in each would only oversubscribe.
            env = child_env(OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
            completed = subprocess.run(  # noqa: S603 (this same script, with arguments it built)
                command, capture_output=True, text=True, check=False, env=env
            )
            if completed.returncode != 0:
                progress(f"{name} failed:\n{completed.stderr[-3000:]}")
                continue
            line = next(x for x in completed.stdout.splitlines() if x.startswith("RESULT "))
            results[name] = json.loads(line.removeprefix("RESULT "))
            (Path(tmp) / f"{name}.json").write_text(json.dumps(results[name]))
            scores[name] = score(pl.read_parquet(out), history, actual)
            progress(
                f"  {results[name]['seconds']:.1f} s of work ({time.perf_counter() - started:.1f} s with "
                f"start-up); load {load_average()}"
            )
            mean_mase = float(np.nanmean(scores[name]["mase"].to_numpy()))
            progress(
                f"  {results[name]['series']} series, MASE {mean_mase:.3f}, peak RSS "
                f"{results[name]['rss_main_mb']:.0f} MB + worker {results[name]['rss_worker_mb']:.0f} MB"
            )
            if name == "keel":
                stages = results[name]["stages"]
                progress("  stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in stages.items()))

    print_report(args, n_series, results, scores)


def print_report(
    args: argparse.Namespace,
    n_series: int,
    results: dict[str, dict[str, Any]],
    scores: dict[str, pl.DataFrame],
) -> None:
    print()
    print(
        f"{n_series} series x {args.days} days (last {args.horizon} held out), seed {args.seed}, "
        f"{args.jobs} jobs; {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; load average now {load_average()}"
    )
    header = (
        f"{'variant':<18} {'series':>6} {'wall s':>8} {'s/series':>9} {'RSS MB':>7} {'+worker':>8} "
        f"{'MASE':>6} {'cov80':>6} {'cov95':>6} {'failed':>6}"
    )
    print(header)
    print("-" * len(header))
    for name, result in results.items():
        s = {c: scores[name][c].to_numpy() for c in ("mase", "cover_80", "cover_95", "failed")}
        print(
            f"{name:<18} {result['series']:>6} {result['seconds']:>8.1f} "
            f"{result['seconds'] / result['series']:>9.3f} {result['rss_main_mb']:>7.0f} "
            f"{result['rss_worker_mb']:>8.0f} {np.nanmean(s['mase']):>6.3f} {s['cover_80'].mean():>6.1%} "
            f"{s['cover_95'].mean():>6.1%} {int(s['failed'].sum()):>6}"
        )

    def per_series(name: str) -> float:
        return results[name]["seconds"] / results[name]["series"]

    def mase_on(name: str, keys: list[str]) -> float:
        return float(np.nanmean(scores[name].filter(pl.col("unique_id").is_in(keys))["mase"].to_numpy()))

    print()
    if "keel" in results:
        stages = results["keel"]["stages"]
        print("Keel stages (s): " + ", ".join(f"{k} {v:.1f}" for k, v in stages.items()))
        print(
            f"Keel's chosen models: {results['keel']['chosen_models']}; classes: {results['keel']['classes']}"
        )
    if "keel" in results and "statsforecast" in results:
        keel, bare = results["keel"]["seconds"], results["statsforecast"]["seconds"]
        lightgbm = results["keel"]["stages"].get("regular_lightgbm", 0.0)
        print(
            f"Keel / bare statsforecast: {keel / bare:.2f}x (target <= 1.3x); without Keel's LightGBM stage, "
            f"which the bare call does not have: {(keel - lightgbm) / bare:.2f}x"
        )
    for other, target in (("pmdarima", 15.0), ("statsmodels-ets", None)):
        if "keel" in results and other in results:
            # The series the other variant forecast (a failed fit has NaN forecasts and is left out).
            keys = scores[other].filter(pl.col("mase").is_finite())["unique_id"].to_list()
            ratio = per_series(other) / per_series("keel")
            goal = f" (target >= {target:.0f}x at no worse MASE)" if target else ""
            speed = f"{ratio:.1f}x faster" if ratio >= 1 else f"{1 / ratio:.1f}x slower"
            print(
                f"Keel is {speed} per series than {other}{goal}; "
                f"on the {len(keys)} series {other} forecast, MASE {mase_on('keel', keys):.3f} (Keel) "
                f"vs {mase_on(other, keys):.3f} ({other})"
            )


if __name__ == "__main__":
    main()
