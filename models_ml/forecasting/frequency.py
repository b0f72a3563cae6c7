"""The frequency of a run: which calendar step a series moves by, and every length measured in it.

A run works in periods of one regular frequency: daily, weekly, monthly, quarterly or yearly. The
frequency is named on the config (``ForecastConfig.freq``, a pandas alias such as ``"D"``, ``"W"``,
``"MS"``, ``"QS"``, ``"YS"`` or a polars interval such as ``"1d"``, ``"1mo"``) or inferred from each
series' dates; a series whose dates fit no regular step, or whose step differs from the others', is
refused with a :class:`ForecastInputError` that names it.

Inside the run, dates of monthly, quarterly and yearly series are moved to the first day of their
month (a month-end or mid-month date marks the same period), so that adding periods is exact; the
forecast dates are put back on the input's own day of the month (month ends stay month ends).

:class:`Periods` holds every length of the run in periods: horizon, season, history limits, the
minimum lengths and the calibration window. Daily runs keep the day-based settings of
:class:`~models_ml.forecasting.config.ForecastConfig` exactly; other frequencies derive theirs from the
season length (one year of periods), as documented on each field.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import polars as pl

from models_ml.forecasting.errors import ForecastInputError

if TYPE_CHECKING:
    from models_ml.forecasting.config import ForecastConfig


@dataclass(frozen=True)
class Frequency:
    """One regular calendar step."""

    name: str
    """``daily``, ``weekly``, ``monthly``, ``quarterly`` or ``yearly``."""
    unit: str
    """The period in words (``day``, ``week``, ``month``, ``quarter``, ``year``)."""
    interval: str
    """The polars interval of one period (``1d``, ``1w``, ``1mo``, ``3mo``, ``1y``)."""
    months: int
    """Months per period (0 for daily and weekly, which step by days)."""
    days: int
    """Days per period (approximate for the month-based frequencies)."""
    season: int
    """Periods per year: the default season length (1 for yearly: no season)."""

    @property
    def is_daily(self) -> bool:
        return self.name == "daily"

    @property
    def month_based(self) -> bool:
        return self.months > 0

    def shift(self, dates: pl.Expr, periods: pl.Expr | int) -> pl.Expr:
        """``dates`` moved by ``periods`` (an integer expression or number) of this frequency."""
        count = periods if isinstance(periods, pl.Expr) else pl.lit(periods)
        if self.month_based:
            return dates.dt.offset_by(pl.format("{}mo", count * self.months))
        return dates + pl.duration(days=count * self.days)

    def plural(self, n: int) -> str:
        return f"{n} {self.unit}{'' if n == 1 else 's'}"


DAILY = Frequency("daily", "day", "1d", 0, 1, 7)
WEEKLY = Frequency("weekly", "week", "1w", 0, 7, 52)
MONTHLY = Frequency("monthly", "month", "1mo", 1, 30, 12)
QUARTERLY = Frequency("quarterly", "quarter", "3mo", 3, 91, 4)
YEARLY = Frequency("yearly", "year", "1y", 12, 365, 1)
FREQUENCIES: tuple[Frequency, ...] = (DAILY, WEEKLY, MONTHLY, QUARTERLY, YEARLY)

# pandas offset aliases (with their anchored forms) and polars intervals that name each frequency.
_ALIASES: dict[str, Frequency] = {
    "d": DAILY,
    "1d": DAILY,
    "b": DAILY,
    "daily": DAILY,
    "w": WEEKLY,
    "1w": WEEKLY,
    "7d": WEEKLY,
    "weekly": WEEKLY,
    "m": MONTHLY,
    "ms": MONTHLY,
    "me": MONTHLY,
    "1mo": MONTHLY,
    "monthly": MONTHLY,
    "q": QUARTERLY,
    "qs": QUARTERLY,
    "qe": QUARTERLY,
    "3mo": QUARTERLY,
    "1q": QUARTERLY,
    "quarterly": QUARTERLY,
    "y": YEARLY,
    "ys": YEARLY,
    "ye": YEARLY,
    "a": YEARLY,
    "as": YEARLY,
    "1y": YEARLY,
    "12mo": YEARLY,
    "yearly": YEARLY,
}


def parse_frequency(alias: str) -> Frequency:
    """The frequency a pandas alias (``"MS"``, ``"W-SUN"``, ``"QS-DEC"``) or polars interval names."""
    if not isinstance(alias, str):
        raise ForecastInputError(f"config.freq must be a string such as 'D', 'W', 'MS', got {alias!r}")
    key = alias.strip().lower().split("-")[0]
    if key in _ALIASES:
        return _ALIASES[key]
    raise ForecastInputError(
        f"config.freq {alias!r} is not a frequency Keel forecasts",
        "use a daily, weekly, monthly, quarterly or yearly alias: 'D', 'W', 'MS', 'QS', 'YS'",
    )


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def _is_month_end(d: date) -> bool:
    return (d + timedelta(days=1)).day == 1


def _step_of(dates: list[date]) -> Frequency | None:
    """The coarsest regular step every gap between sorted distinct dates is a multiple of, if any."""
    if len(dates) < 2:
        return None
    gaps = [(b - a).days for a, b in itertools.pairwise(dates)]
    days_of_month = {d.day for d in dates}
    month_ends = all(_is_month_end(d) for d in dates)
    if len(days_of_month) == 1 or month_ends:
        month_gaps = [_month_index(b) - _month_index(a) for a, b in itertools.pairwise(dates)]
        step = math.gcd(*month_gaps)
        if step % 12 == 0:
            return YEARLY
        if step % 3 == 0:
            return QUARTERLY
        if step >= 1 and min(gaps) >= 28:
            return MONTHLY
    step = math.gcd(*gaps)
    if step % 7 == 0:
        return WEEKLY
    if step == 1:
        return DAILY
    return None


def infer_frequency(frame: pl.DataFrame, key: str, label: str, config_freq: str | None) -> Frequency:
    """The run's frequency: ``config_freq`` if given, else the step the series' dates agree on.

    ``frame`` has the key column, ``label`` (a readable series name) and ``ds``. Series with fewer than
    two dates say nothing and fit any step. Raises :class:`ForecastInputError` naming the series whose
    dates fit no regular step or a different one than the rest.
    """
    steps: dict[str, Frequency | None] = {}
    labels: dict[str, str] = {}
    dates: dict[str, list[date]] = {}
    grouped = frame.group_by(key).agg(pl.col(label).first(), pl.col("ds").unique().sort())
    for row in grouped.iter_rows(named=True):
        labels[row[key]] = row[label]
        steps[row[key]] = _step_of(row["ds"])
        dates[row[key]] = row["ds"]
    if config_freq is not None:
        frequency = parse_frequency(config_freq)
    else:
        known = [s for s in steps.values() if s is not None]
        irregular = sorted(labels[k] for k, s in steps.items() if s is None and len(dates[k]) >= 2)
        if not known and not irregular:
            # Every series has a single date: nothing to infer, and nothing that could be forecast.
            return DAILY
        if not known:
            raise ForecastInputError(
                f"cannot tell the frequency of series {', '.join(irregular[:5])}: "
                "too few dates or dates at irregular intervals",
                "pass config.freq (for example 'D', 'W', 'MS', 'QS' or 'YS')",
            )
        counts = Counter(known)
        # Most common step; on a tie the finer one, which loses nothing.
        frequency = max(counts, key=lambda f: (counts[f], -f.days))
    # Series without a step of their own must fit the panel's; with a named frequency, every series must.
    off_grid = sorted(
        labels[k]
        for k, s in steps.items()
        if (s is None or config_freq is not None) and not _fits(dates[k], frequency)
    )
    if off_grid:
        raise ForecastInputError(
            f"series {', '.join(off_grid[:5])} {'has' if len(off_grid) == 1 else 'have'} dates that are not "
            f"on a regular {frequency.name} calendar",
            "give one date per period, on the same day of the period",
        )
    if config_freq is None:
        different = sorted(
            f"{labels[k]} ({s.name})" for k, s in steps.items() if s is not None and s is not frequency
        )
        # A coarser step inside a finer calendar would be filled period by period (months into days).
        if different:
            raise ForecastInputError(
                f"series {', '.join(different[:5])} "
                f"{'is' if len(different) == 1 else 'are'} not {frequency.name} like the rest of the panel",
                "forecast each frequency in its own run, or pass config.freq",
            )
    else:
        coarser = sorted(
            labels[k]
            for k, s in steps.items()
            if s is not None and frequency.month_based != s.month_based and not frequency.is_daily
        )
        if coarser:
            raise ForecastInputError(
                f"series {', '.join(coarser[:5])} {'does' if len(coarser) == 1 else 'do'} not fit "
                f"config.freq {config_freq!r} ({frequency.name})",
            )
    return frequency


def _fits(dates: list[date], frequency: Frequency) -> bool:
    """Whether a series without a step of its own (one date, or irregular gaps) fits ``frequency``."""
    if len(dates) < 2:
        return True
    if frequency.is_daily:
        return True
    if frequency.month_based:
        same_day = len({d.day for d in dates}) == 1 or all(_is_month_end(d) for d in dates)
        gaps = [_month_index(b) - _month_index(a) for a, b in itertools.pairwise(dates)]
        return same_day and all(g % frequency.months == 0 for g in gaps)
    return all((b - a).days % frequency.days == 0 for a, b in itertools.pairwise(dates))


@dataclass(frozen=True)
class Periods:
    """Every length of a run, in periods of its frequency (see the module docstring)."""

    frequency: Frequency
    horizon: int
    season: int
    """The main season (daily: ``weekly_season``; otherwise ``config.season_length`` or one year)."""
    yearly_season: int | None
    """A second, yearly season for MSTL (daily only: ``yearly_season`` days)."""
    max_history: int
    """Older history is dropped first (daily: ``max_history_days``; otherwise 10 years, at least 120)."""
    recent_history: int
    """AutoARIMA, AutoETS and AutoTheta fit on this many latest periods (daily: ``arima_history_days``;
    otherwise the whole kept history)."""
    mstl_history: int
    min_history: int
    """Shorter series get no forecast (daily: ``min_history_days``; otherwise 3 periods)."""
    min_training: int
    """Training periods the first cross-validation window needs (daily: ``min_training_days``;
    otherwise two seasons, at least 8 periods)."""
    calibration_window: int
    """Periods before an origin over which the series' scale is measured (daily:
    ``calibration_scale_days``; otherwise two seasons, at least 8 periods)."""
    cv_windows: int

    @property
    def min_cv(self) -> int:
        """Shortest series that can be cross-validated."""
        return self.cv_windows * self.horizon + self.min_training


def periods_of(config: ForecastConfig, frequency: Frequency) -> Periods:
    """The run's lengths in periods of ``frequency`` (see :class:`Periods`)."""
    if frequency.is_daily:
        return Periods(
            frequency=frequency,
            horizon=config.horizon,
            season=config.season_length or config.weekly_season,
            yearly_season=config.yearly_season,
            max_history=config.max_history_days,
            recent_history=config.arima_history_days,
            mstl_history=config.mstl_history_days,
            min_history=config.min_history_days,
            min_training=config.min_training_days,
            calibration_window=config.calibration_scale_days,
            cv_windows=config.cv_windows,
        )
    season = config.season_length or frequency.season
    max_history = max(10 * frequency.season, 120)
    return Periods(
        frequency=frequency,
        horizon=config.horizon,
        season=season,
        yearly_season=None,
        max_history=max_history,
        recent_history=max_history,
        mstl_history=max_history,
        min_history=3,
        min_training=max(2 * season, 8),
        calibration_window=max(2 * season, 8),
        cv_windows=config.cv_windows,
    )
