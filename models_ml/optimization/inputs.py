"""Which days of a tenant's history each plan is built from, counted back from the day the plans start.

Plans start the day after the last actual (the first day of the stored forecasts, or of the metrics when
there are none yet). The product mix and hourly orders use the last ``mix_days`` days, stock levels the
last 12 weeks, timecards the last 4 weeks, marketing spend and revenue the last year. The asset reads
each input over its window (:class:`PlanWindows`), and :mod:`models_ml.optimization.tenant_problems`
builds the problems from what it read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from models_ml.optimization.tenant_problems import PlanningOptions

#: Days of stock history (stock levels and their variation), of timecards, and of spend and revenue.
STOCK_DAYS = 84
SHIFT_DAYS = 28
YEAR_DAYS = 364


@dataclass(frozen=True)
class PlanWindows:
    """The first planned day, and the first day of each input's window (each ends the day before)."""

    start: dt.date
    mix_from: dt.date
    stock_from: dt.date
    shift_from: dt.date
    year_from: dt.date


def plan_start(
    first_forecast_day: dt.date | None, last_actual_day: dt.date | None, today: dt.date
) -> dt.date:
    """The first planned day: the forecasts' first, else the day after the last actual, else today."""
    if first_forecast_day is not None:
        return first_forecast_day
    if last_actual_day is not None:
        return last_actual_day + dt.timedelta(days=1)
    return today


def plan_windows(start: dt.date, options: PlanningOptions) -> PlanWindows:
    return PlanWindows(
        start=start,
        mix_from=start - dt.timedelta(days=options.mix_days),
        stock_from=start - dt.timedelta(days=STOCK_DAYS),
        shift_from=start - dt.timedelta(days=SHIFT_DAYS),
        year_from=start - dt.timedelta(days=YEAR_DAYS),
    )
