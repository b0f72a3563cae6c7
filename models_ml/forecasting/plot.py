"""The forecast chart of the console's Forecasts page and of ``keel forecast --plot``.

It draws with matplotlib's object API on an Agg canvas (no pyplot, no display, no global state), so
it is safe in Streamlit, Dagster workers and tests alike.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure

from models_ml.forecasting.errors import ForecastInputError

_FORECAST_COLUMNS: tuple[str, ...] = ("ds", "point", "lo_80", "hi_80", "lo_95", "hi_95")
_BAND_COLOR = "#2f6fb0"


def plot_forecast(
    history: pl.DataFrame,
    forecast: pl.DataFrame,
    title: str = "",
    path: str | Path | None = None,
    history_days: int | None = 120,
    ylabel: str | None = None,
) -> Figure:
    """History, point forecast and the 80% and 95% bands of one series; saved to ``path`` if given.

    ``history`` has ``ds, y``; ``forecast`` has ``ds, point, lo_80, hi_80, lo_95, hi_95`` for one
    series. A forecast frame with several models must carry ``is_chosen`` (as ``ml.forecasts`` does):
    the chosen model is drawn. ``history_days`` limits the history shown (None shows all of it).
    """
    for name, frame, columns in (
        ("history", history, ("ds", "y")),
        ("forecast", forecast, _FORECAST_COLUMNS),
    ):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ForecastInputError(f"{name} lacks column(s) {missing}")
    for name, frame in (("history", history), ("forecast", forecast)):
        for column in ("tenant_id", "unique_id"):
            if column in frame.columns and frame[column].n_unique() > 1:
                raise ForecastInputError(f"{name} holds several series ({column} varies): pass one")
    if "model" in forecast.columns and forecast["model"].n_unique() > 1:
        if "is_chosen" not in forecast.columns:
            raise ForecastInputError("forecast holds several models and no is_chosen column: pass one model")
        forecast = forecast.filter(pl.col("is_chosen"))
    if forecast.is_empty():
        raise ForecastInputError("forecast has no rows to draw")

    history = history.sort("ds")
    if history_days is not None and history.height:
        history = history.filter(pl.col("ds") > pl.col("ds").max() - pl.duration(days=history_days))
    forecast = forecast.sort("ds")
    model = forecast["model"][0] if "model" in forecast.columns else None

    figure = Figure(figsize=(10, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    days = forecast["ds"].to_list()
    axes.fill_between(
        days,
        forecast["lo_95"].to_list(),
        forecast["hi_95"].to_list(),
        color=_BAND_COLOR,
        alpha=0.15,
        label="95% interval",
    )
    axes.fill_between(
        days,
        forecast["lo_80"].to_list(),
        forecast["hi_80"].to_list(),
        color=_BAND_COLOR,
        alpha=0.3,
        label="80% interval",
    )
    axes.plot(
        history["ds"].to_list(), history["y"].to_list(), color="#222222", linewidth=1.0, label="history"
    )
    axes.plot(
        days,
        forecast["point"].to_list(),
        color=_BAND_COLOR,
        linewidth=1.6,
        label=f"forecast ({model})" if model else "forecast",
    )
    if history.height:
        axes.axvline(date2num(history["ds"].max()), color="#888888", linestyle=":", linewidth=1.0)
    locator = AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    axes.set_title(title)
    if ylabel:
        axes.set_ylabel(ylabel)
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", frameon=False)
    if path is not None:
        figure.savefig(Path(path), dpi=110)
    return figure
