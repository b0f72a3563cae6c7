"""Calendar features of a tenant's days: public holidays of its country and subdivision, retail events,
and the smooth yearly curve built from monthly factors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import holidays
import numpy as np
import numpy.typing as npt


def us_thanksgiving(year: int) -> date:
    """Fourth Thursday of November: the anchor of Black Friday and Cyber Monday, also for Canadian shops."""
    first = date(year, 11, 1)
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + timedelta(weeks=3)


def mothers_day(year: int) -> date:
    """Second Sunday of May (United States and Canada)."""
    first = date(year, 5, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7)


@dataclass(frozen=True)
class DayFeatures:
    """Per-day calendar arrays for one tenant's simulated range (index 0 is the first simulated day)."""

    ordinals: npt.NDArray[np.int64]
    weekday: npt.NDArray[np.int64]  # Monday = 0
    month: npt.NDArray[np.int64]  # 1..12
    day_of_year: npt.NDArray[np.int64]
    year: npt.NDArray[np.int64]
    holiday_name: tuple[str | None, ...]
    events: dict[str, npt.NDArray[np.bool_]]

    @property
    def n(self) -> int:
        return len(self.ordinals)

    @property
    def is_holiday(self) -> npt.NDArray[np.bool_]:
        return np.array([h is not None for h in self.holiday_name], dtype=bool)

    def holiday_matches(self, names: tuple[str, ...]) -> npt.NDArray[np.bool_]:
        """Days whose public holiday name contains any of the given fragments."""
        return np.array([h is not None and any(n in h for n in names) for h in self.holiday_name], dtype=bool)


def day_features(first: date, last: date, country: str, subdivision: str) -> DayFeatures:
    n = (last - first).days + 1
    days = [first + timedelta(days=i) for i in range(max(n, 0))]
    years = sorted({d.year for d in days})
    public = holidays.country_holidays(country, subdiv=subdivision, years=years) if years else {}
    names = tuple(public.get(d) for d in days)

    def mark(dates: set[date]) -> npt.NDArray[np.bool_]:
        return np.array([d in dates for d in days], dtype=bool)

    black_friday = {us_thanksgiving(y) + timedelta(days=1) for y in years}
    events = {
        "black_friday": mark(black_friday),
        "bfcm_weekend": mark({bf + timedelta(days=k) for bf in black_friday for k in (1, 2)}),
        "cyber_monday": mark({bf + timedelta(days=3) for bf in black_friday}),
        "pre_christmas": mark({date(y, 12, d) for y in years for d in range(15, 24)}),
        "christmas_eve": mark({date(y, 12, 24) for y in years}),
        "new_years_eve": mark({date(y, 12, 31) for y in years}),
        "valentines": mark({date(y, 2, 14) for y in years}),
        "mothers_day_weekend": mark({mothers_day(y) - timedelta(days=k) for y in years for k in (0, 1)}),
        "post_christmas_lull": mark({date(y, 12, d) for y in years for d in (26, 27, 28, 29, 30)}),
    }
    return DayFeatures(
        ordinals=np.array([d.toordinal() for d in days], dtype=np.int64),
        weekday=np.array([d.weekday() for d in days], dtype=np.int64),
        month=np.array([d.month for d in days], dtype=np.int64),
        day_of_year=np.array([d.timetuple().tm_yday for d in days], dtype=np.int64),
        year=np.array([d.year for d in days], dtype=np.int64),
        holiday_name=names,
        events=events,
    )


def yearly_curve(monthly_factors: tuple[float, ...], day_of_year: npt.NDArray[np.int64]) -> npt.NDArray:
    """Smooth periodic curve through 12 mid-month factors, normalised to mean 1 over the year."""
    if len(monthly_factors) != 12:
        raise ValueError(f"monthly_factors needs 12 values, got {len(monthly_factors)}")
    factors = np.asarray(monthly_factors, dtype=np.float64)
    grid = np.arange(1, 367)
    position = (grid - 15.5) / (365.25 / 12.0)
    lower = np.floor(position).astype(np.int64)
    frac = position - lower
    weight = 0.5 - 0.5 * np.cos(np.pi * frac)  # cosine easing keeps the curve smooth at mid-months
    curve = factors[lower % 12] * (1 - weight) + factors[(lower + 1) % 12] * weight
    curve /= curve[:365].mean()
    return np.asarray(curve[np.clip(day_of_year, 1, 366) - 1], dtype=np.float64)
