"""Turns a long-format metrics frame into clean model input and a profile of every series.

Real tenant data is messy: days are missing, new tenants have a few weeks of history, some metrics
are mostly zero, a bulk order makes a one-day spike, a price change moves the level for good. This
module decides, per series and before any model runs, which of these it is dealing with:

* the run's frequency is named or inferred (:mod:`~models_ml.forecasting.frequency`) and every length
  is measured in its periods;
* the calendar is completed period by period inside each series (interpolated or zero, by
  configuration), never finer than the frequency, and starts at the first observed value;
* series are classed as ``regular`` (full model choice), ``intermittent`` (Croston-type models),
  ``short`` (too short to cross-validate: a seasonal naive forecast), ``constant`` (all values equal,
  including all zero), ``insufficient`` (too little history to forecast) or ``invalid`` (duplicate
  dates: the input is wrong and is not guessed at);
* outlier periods are replaced by the median of the same position in the season (daily: the same
  weekday over five weeks; monthly: the same month over five years) for fitting, but scores use the
  raw values.

Level shifts are left to the models rather than cut out here: on seasonal, trending daily data a
change-point test cannot tell a lasting shift from a seasonal swing reliably (tried on the synthetic
panel: the statistics of series with a +50% shift overlapped those of unshifted series with a December
peak or a strong yearly season, so truncating history would have hurt good series). AutoETS,
AutoARIMA, AutoTheta and SeasonalNaive adapt to a new level within weeks, cross-validation on the
latest windows picks the ones that did, and the interval scale is measured over the last 13 weeks.

Problems of one series never raise: they are written into the profile (``fallback_reason`` and
``data_notes``) and the run goes on: missing or non-finite values, text that is not a number, rows
without a date, negative values of a metric that cannot be negative (``config.cannot_be_negative``),
duplicate dates, a single observation. Only a frame that is malformed as a whole, or a series whose
dates fit no regular calendar, raises :class:`ForecastInputError` (naming the series).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import holidays
import polars as pl

from models_ml.forecasting.config import ForecastConfig
from models_ml.forecasting.errors import ForecastInputError
from models_ml.forecasting.frequency import Periods, infer_frequency, periods_of

SERIES_KEY = "series_key"
ID_COLUMNS: tuple[str, str] = ("tenant_id", "unique_id")
REQUIRED_COLUMNS: tuple[str, ...] = ("tenant_id", "unique_id", "ds", "y")
#: Marks input rows whose ``y`` was text that is not a number (counted in the data notes).
NOT_A_NUMBER = "__not_a_number"

REGULAR = "regular"
INTERMITTENT = "intermittent"
SHORT = "short"
CONSTANT = "constant"
INSUFFICIENT = "insufficient"
INVALID = "invalid"
#: Classes that receive a forecast.
FORECASTABLE = (REGULAR, INTERMITTENT, SHORT, CONSTANT)

# A separator that does not occur in tenant ids or metric names, so the joined key maps back uniquely.
_KEY_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class PreparedPanel:
    """Model input and per-series profile of one run."""

    data: pl.DataFrame
    """``series_key, ds, y, y_raw`` plus exogenous columns; ``y`` is cleaned for fitting, ``y_raw`` is
    the calendar-completed input used for scoring. Only forecastable series are present."""
    profile: pl.DataFrame
    """One row per input series: ``series_key, tenant_id, unique_id, series_class, n_obs,
    history_start, history_end, n_filled_days, n_outliers, nonnegative, fallback_reason, data_notes``."""
    exogenous: tuple[str, ...]
    periods: Periods
    """The run's frequency and every length in its periods."""
    conventions: pl.DataFrame = field(default_factory=pl.DataFrame)
    """``series_key, month_end, day``: for month-based frequencies, the day of the month the input used
    (dates run on the first of the month inside the run)."""

    def restore_dates(self, frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
        """Put ``columns`` (internal period dates) back on each series' own day of the month."""
        if not self.periods.frequency.month_based or frame.is_empty():
            return frame
        joined = frame.join(self.conventions, on=SERIES_KEY, how="left")
        restored = [
            pl.when(pl.col("month_end"))
            .then(pl.col(c).dt.month_end())
            .otherwise(
                pl.min_horizontal(
                    pl.col(c) + pl.duration(days=pl.col("day").fill_null(1) - 1), pl.col(c).dt.month_end()
                )
            )
            .alias(c)
            for c in columns
        ]
        return joined.with_columns(restored).drop("month_end", "day")

    def keys_of(self, series_class: str) -> list[str]:
        return self.profile.filter(pl.col("series_class") == series_class)[SERIES_KEY].to_list()


def series_key(tenant_id: pl.Expr, unique_id: pl.Expr) -> pl.Expr:
    """The internal id of a series: tenant and metric joined, since metric names repeat across tenants."""
    return pl.concat_str([tenant_id, unique_id], separator=_KEY_SEPARATOR).alias(SERIES_KEY)


def validate_frame(df: pl.DataFrame, name: str = "df") -> tuple[pl.DataFrame, tuple[str, ...]]:
    """Check the whole-frame contract and normalise types; return the frame and its exogenous columns."""
    if not isinstance(df, pl.DataFrame):
        raise ForecastInputError(f"{name} must be a polars DataFrame, got {type(df).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise ForecastInputError(
            f"{name} lacks column(s) {missing}", "pass long format: tenant_id, unique_id, ds, y"
        )
    if df.height == 0:
        raise ForecastInputError(f"{name} has no rows")
    for column in ID_COLUMNS:
        if df[column].null_count():
            raise ForecastInputError(f"{name}.{column} has {df[column].null_count()} null value(s)")
    ds_type = df.schema["ds"]
    if ds_type == pl.Datetime or isinstance(ds_type, pl.Datetime):
        not_midnight = df.filter(pl.col("ds").dt.truncate("1d") != pl.col("ds")).height
        if not_midnight:
            raise ForecastInputError(
                f"{name}.ds has {not_midnight} timestamp(s) that are not at midnight",
                "forecasting works on daily data: pass dates",
            )
        df = df.with_columns(pl.col("ds").dt.date())
    elif ds_type != pl.Date:
        raise ForecastInputError(f"{name}.ds must be a Date column, got {ds_type}")
    exogenous = tuple(c for c in df.columns if c not in REQUIRED_COLUMNS)
    if df.schema["y"] == pl.String:
        # Text from a spreadsheet export: what reads as a number is one, the rest is missing (noted).
        df = df.with_columns(
            pl.col("y").str.strip_chars().str.replace_all(",", "").cast(pl.Float64, strict=False).alias("y"),
            (
                pl.col("y").is_not_null()
                & pl.col("y")
                .str.strip_chars()
                .str.replace_all(",", "")
                .cast(pl.Float64, strict=False)
                .is_null()
            ).alias(NOT_A_NUMBER),
        )
    for column in ("y", *[c for c in exogenous if c != NOT_A_NUMBER]):
        dtype = df.schema[column]
        if not (dtype.is_numeric() or dtype == pl.Boolean):
            raise ForecastInputError(f"{name}.{column} must be numeric, got {dtype}")
    exogenous = tuple(c for c in df.columns if c not in (*REQUIRED_COLUMNS, NOT_A_NUMBER))
    df = df.with_columns(
        pl.col("tenant_id").cast(pl.String),
        pl.col("unique_id").cast(pl.String),
        pl.col("y").cast(pl.Float64),
        *[pl.col(c).cast(pl.Float64) for c in exogenous],
    )
    return df, exogenous


def holiday_dates(country: str | None, start: date, end: date) -> set[date]:
    """Public holidays of ``country`` between two dates (empty when no country is configured)."""
    if country is None:
        return set()
    try:
        calendar = holidays.country_holidays(country, years=range(start.year, end.year + 1))
    except NotImplementedError as error:
        raise ForecastInputError(
            f"config.holiday_country {country!r} is not known to the holidays package"
        ) from error
    return {d for d in calendar if start <= d <= end}


def prepare_panel(df: pl.DataFrame, config: ForecastConfig) -> PreparedPanel:
    """Validate, complete, classify and clean a long-format panel (see the module docstring)."""
    frame, exogenous = validate_frame(df)
    frame = frame.with_columns(series_key(pl.col("tenant_id"), pl.col("unique_id")))
    if NOT_A_NUMBER not in frame.columns:
        frame = frame.with_columns(pl.lit(False).alias(NOT_A_NUMBER))
    negative = pl.col("unique_id").is_in(list(config.cannot_be_negative)) & (pl.col("y") < 0)
    frame = frame.with_columns(negative.fill_null(False).alias("negative")).with_columns(
        pl.when(pl.col("y").is_finite() & ~pl.col("negative")).then(pl.col("y")).otherwise(None).alias("y"),
    )
    identities = frame.group_by(SERIES_KEY).agg(
        pl.col("tenant_id").first(),
        pl.col("unique_id").first(),
        pl.col("ds").is_null().sum().alias("n_undated"),
        pl.col(NOT_A_NUMBER).sum().alias("n_not_numbers"),
        pl.col("negative").sum().alias("n_negative"),
    )
    frame = frame.filter(pl.col("ds").is_not_null()).drop(NOT_A_NUMBER, "negative")
    labelled = frame.with_columns(pl.concat_str(["tenant_id", "unique_id"], separator="/").alias("label"))
    frequency = infer_frequency(labelled.filter(pl.col("y").is_not_null()), SERIES_KEY, "label", config.freq)
    periods = periods_of(config, frequency)
    conventions = pl.DataFrame(schema={SERIES_KEY: pl.String, "month_end": pl.Boolean, "day": pl.Int64})
    if frequency.month_based:
        conventions = (
            frame.filter(pl.col("y").is_not_null())
            .group_by(SERIES_KEY)
            .agg(
                (pl.col("ds") == pl.col("ds").dt.month_end()).all().alias("month_end"),
                pl.col("ds").dt.day().max().cast(pl.Int64).alias("day"),
            )
        )
        frame = frame.with_columns(pl.col("ds").dt.month_start())

    duplicated = (
        frame.group_by(SERIES_KEY, "ds")
        .len()
        .filter(pl.col("len") > 1)
        .group_by(SERIES_KEY)
        .agg(pl.len().alias("n_duplicates"))
    )
    frame = frame.join(duplicated.select(SERIES_KEY), on=SERIES_KEY, how="anti")
    observed = frame.filter(pl.col("y").is_not_null())
    window_start = (
        observed.group_by(SERIES_KEY)
        .agg(pl.col("ds").max().alias("history_end"))
        .with_columns(
            frequency.shift(pl.col("history_end"), -(periods.max_history - 1)).alias("window_start")
        )
    )
    # The history starts at the first observed value inside the window, so no series starts with a gap.
    spans = (
        observed.join(window_start, on=SERIES_KEY)
        .filter(pl.col("ds") >= pl.col("window_start"))
        .group_by(SERIES_KEY)
        .agg(pl.col("ds").min().alias("history_start"), pl.col("history_end").first())
    )
    data = _complete_calendar(frame, spans, exogenous, config, periods)
    stats = _series_statistics(data, config)
    data, outliers = _clean_outliers(data, stats, config, periods)

    profile = (
        identities.join(stats, on=SERIES_KEY, how="left")
        .join(outliers, on=SERIES_KEY, how="left")
        .join(duplicated, on=SERIES_KEY, how="left")
        .with_columns(
            pl.col("n_outliers").fill_null(0),
            pl.col("n_filled_days").fill_null(0),
            pl.col("n_obs").fill_null(0),
        )
    )
    profile = _describe(profile, config, periods)
    forecastable = profile.filter(pl.col("series_class").is_in(FORECASTABLE))[SERIES_KEY]
    data = data.filter(pl.col(SERIES_KEY).is_in(forecastable.to_list()))
    return PreparedPanel(
        data=data.sort(SERIES_KEY, "ds"),
        profile=profile,
        exogenous=exogenous,
        periods=periods,
        conventions=conventions,
    )


def _complete_calendar(
    frame: pl.DataFrame,
    spans: pl.DataFrame,
    exogenous: tuple[str, ...],
    config: ForecastConfig,
    periods: Periods,
) -> pl.DataFrame:
    """Every period from a series' first to last observed value, with the gaps filled as configured."""
    calendar = spans.select(
        SERIES_KEY,
        pl.date_ranges("history_start", "history_end", interval=periods.frequency.interval).alias("ds"),
    ).explode("ds")
    data = calendar.join(frame.select(SERIES_KEY, "ds", "y", *exogenous), on=[SERIES_KEY, "ds"], how="left")
    data = data.sort(SERIES_KEY, "ds").with_columns(pl.col("y").is_null().alias("filled"))
    if config.missing_days == "zero":
        filled_y = pl.col("y").fill_null(0.0)
    else:
        filled_y = pl.col("y").interpolate().over(SERIES_KEY)
    data = data.with_columns(filled_y.alias("y"))
    if exogenous:
        # A planned driver that was not recorded on a day most likely kept its previous value.
        data = data.with_columns(
            [pl.col(c).forward_fill().over(SERIES_KEY).fill_null(0.0) for c in exogenous]
        )
    return data.with_columns(pl.col("y").alias("y_raw"))


def _series_statistics(data: pl.DataFrame, config: ForecastConfig) -> pl.DataFrame:
    return data.group_by(SERIES_KEY).agg(
        pl.len().alias("n_obs"),
        pl.col("ds").min().alias("history_start"),
        pl.col("ds").max().alias("history_end"),
        pl.col("filled").sum().alias("n_filled_days"),
        (pl.col("y_raw") != 0).sum().alias("n_nonzero"),
        pl.col("y_raw").min().alias("y_min"),
        pl.col("y_raw").max().alias("y_max"),
        (pl.col("y_raw").min() >= 0).alias("nonnegative"),
    )


def _class_expression(config: ForecastConfig, periods: Periods) -> pl.Expr:
    adi = pl.col("n_obs") / pl.col("n_nonzero")
    return (
        pl.when(pl.col("n_duplicates").is_not_null())
        .then(pl.lit(INVALID))
        .when(pl.col("n_obs") < periods.min_history)
        .then(pl.lit(INSUFFICIENT))
        .when(pl.col("y_min") == pl.col("y_max"))
        .then(pl.lit(CONSTANT))
        .when(pl.col("n_obs") < periods.min_cv)
        .then(pl.lit(SHORT))
        .when(adi > config.intermittent_adi)
        .then(pl.lit(INTERMITTENT))
        .otherwise(pl.lit(REGULAR))
    )


def _clean_outliers(
    data: pl.DataFrame, stats: pl.DataFrame, config: ForecastConfig, periods: Periods
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Replace isolated extreme periods of regular and short series by their seasonal median.

    The reference is a centred median of the same position in the season over five seasons (daily:
    the same weekday over five weeks; monthly: the same month over five years; yearly: five
    neighbouring years), so the seasonal profile is not mistaken for outliers; holidays and the day
    after are exempt because their effect is real. Intermittent series are left alone: their rare
    non-zero days are the signal.
    """
    season = periods.season
    eligible = (
        stats.with_columns(pl.lit(None, dtype=pl.Int64).alias("n_duplicates"))
        .with_columns(_class_expression(config, periods).alias("series_class"))
        .filter(pl.col("series_class").is_in([REGULAR, SHORT]) & (pl.col("n_obs") >= 5 * max(season, 1)))[
            SERIES_KEY
        ]
    )
    if not config.clean_outliers or eligible.is_empty():
        return data, pl.DataFrame(schema={SERIES_KEY: pl.String, "n_outliers": pl.UInt32})
    exempt: set[date] = set()
    if periods.frequency.is_daily:
        for day in holiday_dates(config.holiday_country, data["ds"].min(), data["ds"].max()):  # type: ignore[arg-type]
            exempt.update({day, day + timedelta(days=1)})
        position = (
            pl.col("ds").dt.weekday() if season == 7 else pl.int_range(pl.len()).over(SERIES_KEY) % season
        )
    else:
        # The calendar is complete, so the row number within a series counts periods.
        position = pl.int_range(pl.len()).over(SERIES_KEY) % season
    reference = (
        pl.col("y").rolling_median(window_size=5, center=True, min_samples=3).over(SERIES_KEY, "position")
    )
    # Relative residuals: business noise grows with the level (weekday vs weekend, growth over years);
    # the soft floor keeps days with a reference near zero from dominating.
    floor = 0.1 * pl.col("y").abs().mean().over(SERIES_KEY)
    residual = (pl.col("y") - pl.col("reference")) / (pl.col("reference").abs() + floor)
    spread = (residual - residual.median()).abs().median().over(SERIES_KEY) * 1.4826
    flagged = (
        data.sort(SERIES_KEY, "ds")
        .with_columns(position.alias("position"))
        .with_columns(reference.alias("reference"))
        .with_columns(
            (
                pl.col(SERIES_KEY).is_in(eligible.to_list())
                & ~pl.col("ds").is_in(sorted(exempt))
                & (spread > 0)
                & (residual.abs() > config.outlier_threshold * spread)
            ).alias("outlier")
        )
    )
    counts = (
        flagged.filter(pl.col("outlier"))
        .group_by(SERIES_KEY)
        .agg(pl.len().cast(pl.UInt32).alias("n_outliers"))
    )
    cleaned = flagged.with_columns(
        pl.when(pl.col("outlier")).then(pl.col("reference")).otherwise(pl.col("y")).alias("y")
    ).drop("position", "reference", "outlier")
    return cleaned, counts


def _describe(profile: pl.DataFrame, config: ForecastConfig, periods: Periods) -> pl.DataFrame:
    """Add the series class and the human-readable fallback reason and data notes."""
    profile = profile.with_columns(_class_expression(config, periods).alias("series_class"))
    reasons: list[str | None] = []
    notes: list[str | None] = []
    for row in profile.iter_rows(named=True):
        reasons.append(_fallback_reason(row, config, periods))
        notes.append(_data_notes(row, config, periods))
    return profile.with_columns(
        pl.Series("fallback_reason", reasons, dtype=pl.String),
        pl.Series("data_notes", notes, dtype=pl.String),
    ).select(
        SERIES_KEY,
        "tenant_id",
        "unique_id",
        "series_class",
        pl.col("n_obs").cast(pl.Int64),
        "history_start",
        "history_end",
        pl.col("n_filled_days").cast(pl.Int64),
        pl.col("n_outliers").cast(pl.Int64),
        pl.col("nonnegative").fill_null(True),
        "fallback_reason",
        "data_notes",
    )


def _fallback_reason(row: dict[str, object], config: ForecastConfig, periods: Periods) -> str | None:
    series_class = row["series_class"]
    n_obs = int(row["n_obs"] or 0)  # type: ignore[call-overload]
    unit = periods.frequency
    if series_class == INVALID:
        return f"{row['n_duplicates']} date(s) appear more than once in the input: no forecast"
    if series_class == INSUFFICIENT:
        if n_obs == 0:
            return "no numeric values: no forecast"
        return f"only {unit.plural(n_obs)} of history, {periods.min_history} needed: no forecast"
    if series_class == CONSTANT:
        value = float(row["y_min"])  # type: ignore[arg-type]
        if value == 0:
            return "all values are zero: constant zero forecast with zero-width intervals"
        return f"every value equals {value:g}: constant forecast with zero-width intervals"
    if series_class == SHORT:
        method = "SeasonalNaive" if n_obs >= 2 * periods.season and periods.season > 1 else "Naive"
        return (
            f"short history ({unit.plural(n_obs)}, {periods.min_cv} needed for {periods.cv_windows} "
            f"cross-validation windows of {unit.plural(periods.horizon)}): {method} without model choice; "
            "its intervals are the model's own, not calibrated"
        )
    if series_class == INTERMITTENT:
        zero_share = 1 - int(row["n_nonzero"]) / n_obs  # type: ignore[call-overload]
        return (
            f"intermittent ({zero_share:.0%} zero {unit.unit}s): CrostonOptimized, ADIDA, IMAPA and "
            "SeasonalNaive instead of the regular models"
        )
    if (
        series_class == REGULAR
        and "MSTL" in config.candidate_models
        and periods.yearly_season is not None
        and n_obs < 2 * periods.yearly_season
    ):
        return f"under two years of history ({unit.plural(n_obs)}): MSTL without the yearly season"
    return None


def _data_notes(row: dict[str, object], config: ForecastConfig, periods: Periods) -> str | None:
    notes = []
    unit = periods.frequency.unit
    if row["n_filled_days"]:
        how = "linear interpolation" if config.missing_days == "interpolate" else "zeros"
        notes.append(f"{row['n_filled_days']} missing {unit}s filled by {how}")
    if row["n_outliers"]:
        where = "weekday" if periods.frequency.is_daily else "seasonal"
        notes.append(f"{row['n_outliers']} outlier {unit}s replaced by their {where} median for fitting")
    if row.get("n_not_numbers"):
        notes.append(f"{row['n_not_numbers']} value(s) that are not numbers treated as missing")
    if row.get("n_negative"):
        notes.append(
            f"{row['n_negative']} negative value(s) of a metric that cannot be negative treated as missing"
        )
    if row.get("n_undated"):
        notes.append(f"{row['n_undated']} row(s) without a date ignored")
    return "; ".join(notes) or None
