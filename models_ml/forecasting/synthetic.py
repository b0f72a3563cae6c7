"""Realistic synthetic daily business series, for tests, the benchmark and calibration checks.

The demo simulator lives in ``ingestion/demo``; this generator is the forecasting library's own fixed
data set, so that accuracy and calibration can be asserted on a known panel (as Nixtla's experiments do)
without depending on another package. Each series mixes what small-business metrics show: a level that
differs by orders of magnitude between tenants, growth or decline, a weekly profile (retail busy at the
weekend, B2B quiet), yearly seasonality with a December peak, public holidays, persistent (AR(1)) noise,
count data for small metrics, a few outliers and the occasional level shift.
"""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import numpy as np
import polars as pl

#: Metric names a tenant carries, in the order they are assigned.
METRICS: tuple[str, ...] = ("revenue", "orders", "sessions")

_WEEKLY_PROFILES: dict[str, tuple[float, ...]] = {
    # Monday .. Sunday multipliers
    "retail": (0.85, 0.85, 0.9, 0.95, 1.1, 1.35, 1.1),
    "b2b": (1.2, 1.25, 1.25, 1.2, 1.05, 0.3, 0.2),
    "hospitality": (0.7, 0.75, 0.85, 1.0, 1.25, 1.45, 1.2),
}


def synthetic_business_panel(
    n_series: int = 30,
    n_days: int = 3 * 365,
    end: date = date(2025, 10, 31),
    seed: int = 0,
    outlier_rate: float = 0.002,
    level_shift_share: float = 0.1,
    with_promotions: bool = False,
    holiday_country: str = "US",
) -> pl.DataFrame:
    """A long-format panel ``tenant_id, unique_id, ds, y`` (plus ``promo`` if asked) of daily series.

    ``n_series`` series are spread over tenants with three metrics each (``revenue``, ``orders``,
    ``sessions``). ``orders`` are Poisson counts; the others are continuous. With ``with_promotions`` a
    planned 0/1 ``promo`` column lifts sales by 20-40% on about 6% of days (an exogenous driver known in
    advance). The same seed always gives the same panel.
    """
    if n_series < 1 or n_days < 1:
        raise ValueError(f"n_series and n_days must be positive, got {n_series} and {n_days}")
    rng = np.random.default_rng(seed)
    dates = [end - timedelta(days=n_days - 1 - i) for i in range(n_days)]
    day_index = np.arange(n_days, dtype=float)
    weekday = np.array([d.weekday() for d in dates])
    day_of_year = np.array([d.timetuple().tm_yday for d in dates], dtype=float)
    in_december_run_up = np.array([d.month == 12 and d.day <= 24 for d in dates])
    country_holidays = holidays.country_holidays(holiday_country, years=range(dates[0].year, end.year + 1))
    is_holiday = np.array([d in country_holidays for d in dates])
    thanksgiving = {d for d, name in country_holidays.items() if name.startswith("Thanksgiving")}
    is_black_friday = np.array([(d - timedelta(days=1)) in thanksgiving for d in dates])

    frames: list[pl.DataFrame] = []
    for series_number in range(n_series):
        tenant_number, metric_number = divmod(series_number, len(METRICS))
        metric = METRICS[metric_number]
        profile_name = list(_WEEKLY_PROFILES)[tenant_number % len(_WEEKLY_PROFILES)]
        weekly = np.array(_WEEKLY_PROFILES[profile_name]) * rng.uniform(0.9, 1.1, size=7)
        is_count = metric == "orders"
        level = rng.uniform(8, 60) if is_count else float(np.exp(rng.normal(6.5, 1.0)))
        growth_per_year = rng.uniform(-0.15, 0.35)
        yearly_amplitude = rng.uniform(0.0, 0.25)
        yearly_phase = rng.uniform(0, 365)
        december_lift = rng.uniform(0.1, 0.5) if profile_name == "retail" else 0.0
        holiday_effect = rng.uniform(0.2, 1.3)
        noise_sd = rng.uniform(0.05, 0.2)
        noise_persistence = rng.uniform(0.0, 0.6)

        signal = (
            level
            * np.exp(growth_per_year * day_index / 365.0)
            * weekly[weekday]
            * (1 + yearly_amplitude * np.sin(2 * np.pi * (day_of_year - yearly_phase) / 365.25))
            * (1 + december_lift * in_december_run_up)
            * np.where(is_holiday, holiday_effect, 1.0)
            * np.where(is_black_friday, 1.0 + 2 * december_lift, 1.0)
        )
        if rng.uniform() < level_shift_share:
            shift_day = int(rng.integers(n_days // 4, n_days - n_days // 4))
            signal[shift_day:] *= rng.choice([rng.uniform(0.55, 0.8), rng.uniform(1.25, 1.6)])
        promo = (rng.uniform(size=n_days) < 0.06).astype(np.int8)
        if with_promotions:
            signal *= 1 + promo * rng.uniform(0.2, 0.4)

        log_noise = np.empty(n_days)
        shocks = rng.normal(0.0, noise_sd, size=n_days)
        log_noise[0] = shocks[0]
        for t in range(1, n_days):
            log_noise[t] = noise_persistence * log_noise[t - 1] + shocks[t]
        mean = signal * np.exp(log_noise - noise_sd**2 / 2)
        values = rng.poisson(mean).astype(float) if is_count else np.round(mean, 2)

        outliers = rng.uniform(size=n_days) < outlier_rate
        values[outliers] *= rng.choice([0.2, 3.0, 4.0], size=int(outliers.sum()))

        columns: dict[str, object] = {
            "tenant_id": f"t{tenant_number + 1:03d}",
            "unique_id": metric,
            "ds": dates,
            "y": values,
        }
        if with_promotions:
            columns["promo"] = promo
        frames.append(pl.DataFrame(columns))
    return pl.concat(frames).with_columns(pl.col("ds").cast(pl.Date))


def intermittent_series(
    n_days: int, end: date, zero_share: float = 0.75, seed: int = 0, tenant_id: str = "t900"
) -> pl.DataFrame:
    """One sparse-demand series (refunds, B2B contract sales): mostly zero days, occasional sizes."""
    rng = np.random.default_rng(seed)
    dates = [end - timedelta(days=n_days - 1 - i) for i in range(n_days)]
    nonzero = rng.uniform(size=n_days) >= zero_share
    sizes = rng.poisson(3.0, size=n_days) + 1
    return pl.DataFrame(
        {"tenant_id": tenant_id, "unique_id": "refunds", "ds": dates, "y": (nonzero * sizes).astype(float)}
    ).with_columns(pl.col("ds").cast(pl.Date))
