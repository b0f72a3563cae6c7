"""The fixed panel of real public series for the accuracy regression test and its benchmark.

Nine series that installed packages ship (nothing is downloaded), in four frequencies:

* weekly: ``statsmodels.datasets.co2`` (Mauna Loa CO2, 2,284 Saturdays, 59 missing);
* monthly: ``statsmodels.datasets.elnino`` (sea surface temperature, 1950-2010) and pmdarima's
  ``airpassengers`` (1949-1960);
* quarterly: ``statsmodels.datasets.macrodata`` realgdp, realcons and cpi (1959Q1-2009Q3) and
  pmdarima's ``woolyrnq`` (Australian woollen yarn production, 1965Q1-1994Q3);
* yearly: ``statsmodels.datasets.sunspots`` (1700-2008) and pmdarima's ``lynx`` (1821-1934).

pmdarima's ``gasoline`` is left out: it downloads. Keep the panel exactly as it is, so that figures
stay comparable from one change to the next.

Each series' last ``HORIZONS[frequency]`` periods are held out (the M4 horizons, with 12 months);
:func:`score_keel` forecasts the histories with Keel's default configuration (one run per
frequency, the frequency inferred from the dates) and :func:`score_statsforecast` with a bare
statsforecast model and its own intervals. Both are scored alike: MASE against the in-sample seasonal
naive MAE of the history (M4's definition, season one year of periods, 1 for yearly series) and the
share of held-out values inside the 80% and 95% intervals.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pmdarima.datasets as pmdarima_datasets
import polars as pl
import statsmodels.api as sm
from statsforecast import StatsForecast

from models_ml.forecasting import ForecastConfig, forecast_panel

#: Held-out periods per frequency.
HORIZONS: dict[str, int] = {"weekly": 13, "monthly": 12, "quarterly": 8, "yearly": 6}
#: Season (periods per year) for MASE and for the bare statsforecast models.
SEASONS: dict[str, int] = {"weekly": 52, "monthly": 12, "quarterly": 4, "yearly": 1}
#: statsforecast frequency of each group (polars intervals).
INTERVALS: dict[str, str] = {"weekly": "1w", "monthly": "1mo", "quarterly": "3mo", "yearly": "1y"}
TENANT = "public"


def _frame(name: str, dates: list[date], values: Any) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "tenant_id": TENANT,
            "unique_id": name,
            "ds": dates,
            "y": np.asarray(values, dtype=float),
        }
    )


def _months(start: date, n: int, step: int = 1) -> list[date]:
    return [
        date(start.year + (start.month - 1 + i * step) // 12, (start.month - 1 + i * step) % 12 + 1, 1)
        for i in range(n)
    ]


def load_real_panel() -> dict[str, pl.DataFrame]:
    """Frequency name -> long frame ``tenant_id, unique_id, ds, y`` of that group's series."""
    co2 = sm.datasets.co2.load_pandas().data["co2"]
    weekly = _frame("co2", [d.date() for d in co2.index], co2.to_numpy())
    # Missing weeks are missing rows, as a real export would have them.
    weekly = weekly.filter(pl.col("y").is_not_nan())

    elnino = sm.datasets.elnino.load_pandas().data
    start_year = int(elnino["YEAR"].iloc[0])
    sst = elnino.drop(columns="YEAR").to_numpy().ravel()
    airpassengers = pmdarima_datasets.load_airpassengers()
    monthly = pl.concat(
        [
            _frame("elnino", _months(date(start_year, 1, 1), sst.size), sst),
            _frame("airpassengers", _months(date(1949, 1, 1), airpassengers.size), airpassengers),
        ]
    )

    macro = sm.datasets.macrodata.load_pandas().data
    quarters = [
        date(int(y), 3 * (int(q) - 1) + 1, 1) for y, q in zip(macro["year"], macro["quarter"], strict=True)
    ]
    wool = pmdarima_datasets.load_woolyrnq()
    quarterly = pl.concat(
        [
            *[
                _frame(column, quarters, macro[column].to_numpy())
                for column in ("realgdp", "realcons", "cpi")
            ],
            _frame("woolyrnq", _months(date(1965, 1, 1), wool.size, step=3), wool),
        ]
    )

    sunspots = sm.datasets.sunspots.load_pandas().data
    lynx = pmdarima_datasets.load_lynx()
    yearly = pl.concat(
        [
            _frame("sunspots", [date(int(y), 1, 1) for y in sunspots["YEAR"]], sunspots["SUNACTIVITY"]),
            _frame("lynx", [date(1821 + i, 1, 1) for i in range(lynx.size)], lynx),
        ]
    )
    return {"weekly": weekly, "monthly": monthly, "quarterly": quarterly, "yearly": yearly}


def split(frame: pl.DataFrame, horizon: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """History and the last ``horizon`` observed periods of every series."""
    ranked = frame.sort("unique_id", "ds").with_columns(
        pl.int_range(pl.len(), 0, -1).over("unique_id").alias("from_end")
    )
    history = ranked.filter(pl.col("from_end") > horizon).drop("from_end")
    tail = ranked.filter(pl.col("from_end") <= horizon).drop("from_end")
    return history, tail


@dataclass(frozen=True)
class SeriesScore:
    frequency: str
    unique_id: str
    mase: float
    coverage_80: float
    coverage_95: float
    n_points: int


@dataclass(frozen=True)
class MethodScore:
    method: str
    series: list[SeriesScore]
    seconds: float

    @property
    def mean_mase(self) -> float:
        return float(np.mean([s.mase for s in self.series]))

    @property
    def median_mase(self) -> float:
        return float(np.median([s.mase for s in self.series]))

    def coverage(self, level: int) -> float:
        """Share of all held-out points inside the ``level`` interval."""
        inside = sum(getattr(s, f"coverage_{level}") * s.n_points for s in self.series)
        return float(inside / sum(s.n_points for s in self.series))


def _mase_scale(history: np.ndarray, season: int) -> float:
    changes = np.abs(history[season:] - history[:-season])
    return float(np.nanmean(changes))


def _score(
    frequency: str, history: pl.DataFrame, tail: pl.DataFrame, forecast: pl.DataFrame
) -> list[SeriesScore]:
    """Scores of one group; ``forecast`` has ``unique_id, ds, point, lo_80, hi_80, lo_95, hi_95``
    with ``ds`` aligned to the tail's order (the n-th row of a series is its n-th period ahead)."""
    season = SEASONS[frequency]
    scores = []
    for unique_id in sorted(tail["unique_id"].unique().to_list()):
        # The history on its complete calendar (gaps as NaN), so seasonal differences span one year.
        past = history.filter(pl.col("unique_id") == unique_id).sort("ds")
        calendar = pl.DataFrame(
            {"ds": pl.date_range(past["ds"].min(), past["ds"].max(), INTERVALS[frequency], eager=True)}
        )
        values = calendar.join(past, on="ds", how="left")["y"].fill_null(float("nan")).to_numpy()
        actual = tail.filter(pl.col("unique_id") == unique_id).sort("ds")["y"].to_numpy()
        rows = forecast.filter(pl.col("unique_id") == unique_id).sort("ds").head(actual.size)
        assert rows.height == actual.size, (unique_id, rows.height, actual.size)
        point = rows["point"].to_numpy()
        inside_80 = (rows["lo_80"].to_numpy() <= actual) & (actual <= rows["hi_80"].to_numpy())
        inside_95 = (rows["lo_95"].to_numpy() <= actual) & (actual <= rows["hi_95"].to_numpy())
        scores.append(
            SeriesScore(
                frequency=frequency,
                unique_id=unique_id,
                mase=float(np.mean(np.abs(actual - point)) / _mase_scale(values, season)),
                coverage_80=float(inside_80.mean()),
                coverage_95=float(inside_95.mean()),
                n_points=int(actual.size),
            )
        )
    return scores


def _horizon_rows(tail: pl.DataFrame, forecast: pl.DataFrame) -> pl.DataFrame:
    """Forecast rows on the tail's weekly dates (co2 misses some weeks: those steps are skipped)."""
    return forecast.join(tail.select("unique_id", "ds"), on=["unique_id", "ds"], how="inner")


def score_keel(panel: dict[str, pl.DataFrame], config: ForecastConfig | None = None) -> MethodScore:
    """Keel's ``forecast_panel`` (default configuration unless given), one run per frequency."""
    scores: list[SeriesScore] = []
    started = time.perf_counter()
    for frequency, frame in panel.items():
        horizon = HORIZONS[frequency]
        history, tail = split(frame, horizon)
        settings = {"horizon": _steps_to_cover(history, tail, frequency)}
        run_config = ForecastConfig(**settings) if config is None else _with(config, settings)
        run = forecast_panel(history, config=run_config)
        chosen = run.chosen_forecasts().select("unique_id", "ds", "point", "lo_80", "hi_80", "lo_95", "hi_95")
        scores += _score(frequency, history, tail, _horizon_rows(tail, chosen))
    return MethodScore("Keel default", scores, time.perf_counter() - started)


def _with(config: ForecastConfig, settings: dict[str, Any]) -> ForecastConfig:
    from dataclasses import replace

    return replace(config, **settings)


def _steps_to_cover(history: pl.DataFrame, tail: pl.DataFrame, frequency: str) -> int:
    """Periods from the end of the history to the last held-out date (more than the horizon for co2,
    whose tail skips missing weeks)."""
    end = history["ds"].max()
    last = tail["ds"].max()
    return pl.date_range(end, last, INTERVALS[frequency], eager=True).len() - 1


def score_statsforecast(panel: dict[str, pl.DataFrame], name: str, build: Any) -> MethodScore:
    """A bare statsforecast model (``build(season)``) with its own 80%/95% intervals, per frequency.

    Its input is the history on a complete calendar, gaps interpolated linearly (statsforecast takes
    no missing values).
    """
    scores: list[SeriesScore] = []
    started = time.perf_counter()
    for frequency, frame in panel.items():
        history, tail = split(frame, HORIZONS[frequency])
        interval = INTERVALS[frequency]
        complete = (
            history.group_by("unique_id")
            .agg(pl.col("ds").min().alias("start"), pl.col("ds").max().alias("end"))
            .select("unique_id", pl.date_ranges("start", "end", interval).alias("ds"))
            .explode("ds")
            .join(history, on=["unique_id", "ds"], how="left")
            .sort("unique_id", "ds")
            .with_columns(pl.col("y").interpolate().over("unique_id"))
            .select("unique_id", "ds", "y")
        )
        engine = StatsForecast(models=[build(SEASONS[frequency])], freq=interval, n_jobs=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = engine.forecast(h=_steps_to_cover(history, tail, frequency), df=complete, level=[80, 95])
        model = next(c for c in result.columns if c not in ("unique_id", "ds") and "-" not in c)
        forecast = result.select(
            "unique_id",
            "ds",
            pl.col(model).alias("point"),
            *[
                pl.col(f"{model}-{side}-{level}").alias(f"{side}_{level}")
                for side in ("lo", "hi")
                for level in (80, 95)
            ],
        )
        scores += _score(frequency, history, tail, _horizon_rows(tail, forecast))
    return MethodScore(name, scores, time.perf_counter() - started)


def table(methods: list[MethodScore]) -> pd.DataFrame:
    """One row per method: mean and median MASE, coverage of 80% and 95%, seconds."""
    return pd.DataFrame(
        [
            {
                "method": m.method,
                "mean_mase": round(m.mean_mase, 3),
                "median_mase": round(m.median_mase, 3),
                "coverage_80": round(m.coverage(80), 3),
                "coverage_95": round(m.coverage(95), 3),
                "seconds": round(m.seconds, 1),
            }
            for m in methods
        ]
    )
