"""Turns a long-format metrics frame into clean model input and a profile of every series.

Real tenant data is messy: days are missing, new tenants have a few weeks of history, some metrics
are mostly zero, a bulk order makes a one-day spike, a price change moves the level for good. This
module decides, per series and before any model runs, which of these it is dealing with:

* the calendar is completed day by day inside each series (interpolated or zero, by configuration);
* series are classed as ``regular`` (full model choice), ``intermittent`` (Croston-type models),
  ``short`` (too short to cross-validate: a seasonal naive forecast), ``constant`` (all values equal,
  including all zero), ``insufficient`` (too little history to forecast) or ``invalid`` (duplicate
  dates: the input is wrong and is not guessed at);
* outlier days are replaced by their weekday median for fitting, but scores use the raw values.

Level shifts are left to the models rather than cut out here: on seasonal, trending daily data a
change-point test cannot tell a lasting shift from a seasonal swing reliably (tried on the synthetic
panel: the statistics of series with a +50% shift overlapped those of unshifted series with a December
peak or a strong yearly season, so truncating history would have hurt good series). AutoETS,
AutoARIMA, AutoTheta and SeasonalNaive adapt to a new level within weeks, cross-validation on the
latest windows picks the ones that did, and the interval scale is measured over the last 13 weeks.

Problems of one series never raise: they are written into the profile (``fallback_reason`` and
``data_notes``) and the run goes on. Only a frame that is malformed as a whole raises
:class:`ForecastInputError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import holidays
import polars as pl

from models_ml.forecasting.config import ForecastConfig
from models_ml.forecasting.errors import ForecastInputError

SERIES_KEY = "series_key"
ID_COLUMNS: tuple[str, str] = ("tenant_id", "unique_id")
REQUIRED_COLUMNS: tuple[str, ...] = ("tenant_id", "unique_id", "ds", "y")

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
    if df["ds"].null_count():
        raise ForecastInputError(f"{name}.ds has {df['ds'].null_count()} null value(s)")
    exogenous = tuple(c for c in df.columns if c not in REQUIRED_COLUMNS)
    for column in ("y", *exogenous):
        dtype = df.schema[column]
        if not (dtype.is_numeric() or dtype == pl.Boolean):
            raise ForecastInputError(f"{name}.{column} must be numeric, got {dtype}")
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
    frame = frame.with_columns(
        pl.when(pl.col("y").is_finite()).then(pl.col("y")).otherwise(None).alias("y"),
    )
    identities = frame.group_by(SERIES_KEY).agg(pl.col("tenant_id").first(), pl.col("unique_id").first())

    duplicated = (
        frame.group_by(SERIES_KEY, "ds")
        .len()
        .filter(pl.col("len") > 1)
        .group_by(SERIES_KEY)
        .agg(pl.len().alias("n_duplicates"))
    )
    frame = frame.join(duplicated.select(SERIES_KEY), on=SERIES_KEY, how="anti")
    spans = (
        frame.filter(pl.col("y").is_not_null())
        .group_by(SERIES_KEY)
        .agg(pl.col("ds").min().alias("first"), pl.col("ds").max().alias("history_end"))
        .with_columns(
            pl.max_horizontal(
                pl.col("first"), pl.col("history_end") - pl.duration(days=config.max_history_days - 1)
            ).alias("history_start")
        )
        .drop("first")
    )
    data = _complete_calendar(frame, spans, exogenous, config)
    stats = _series_statistics(data, config)
    data, outliers = _clean_outliers(data, stats, config)

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
    profile = _describe(profile, config)
    forecastable = profile.filter(pl.col("series_class").is_in(FORECASTABLE))[SERIES_KEY]
    data = data.filter(pl.col(SERIES_KEY).is_in(forecastable.to_list()))
    return PreparedPanel(data=data.sort(SERIES_KEY, "ds"), profile=profile, exogenous=exogenous)


def _complete_calendar(
    frame: pl.DataFrame, spans: pl.DataFrame, exogenous: tuple[str, ...], config: ForecastConfig
) -> pl.DataFrame:
    """Every day from a series' first to last observed value, with the gaps filled as configured."""
    calendar = spans.select(
        SERIES_KEY, pl.date_ranges("history_start", "history_end", interval="1d").alias("ds")
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


def _class_expression(config: ForecastConfig) -> pl.Expr:
    adi = pl.col("n_obs") / pl.col("n_nonzero")
    return (
        pl.when(pl.col("n_duplicates").is_not_null())
        .then(pl.lit(INVALID))
        .when(pl.col("n_obs") < config.min_history_days)
        .then(pl.lit(INSUFFICIENT))
        .when(pl.col("y_min") == pl.col("y_max"))
        .then(pl.lit(CONSTANT))
        .when(pl.col("n_obs") < config.min_cv_days)
        .then(pl.lit(SHORT))
        .when(adi > config.intermittent_adi)
        .then(pl.lit(INTERMITTENT))
        .otherwise(pl.lit(REGULAR))
    )


def _clean_outliers(
    data: pl.DataFrame, stats: pl.DataFrame, config: ForecastConfig
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Replace isolated extreme days of regular and short series by their weekday median.

    The reference is a centred median of the same weekday over five weeks, so the weekly profile is not
    mistaken for outliers; holidays and the day after are exempt because their effect is real.
    Intermittent series are left alone: their rare non-zero days are the signal.
    """
    eligible = (
        stats.with_columns(pl.lit(None, dtype=pl.Int64).alias("n_duplicates"))
        .with_columns(_class_expression(config).alias("series_class"))
        .filter(pl.col("series_class").is_in([REGULAR, SHORT]) & (pl.col("n_obs") >= 35))[SERIES_KEY]
    )
    if not config.clean_outliers or eligible.is_empty():
        return data, pl.DataFrame(schema={SERIES_KEY: pl.String, "n_outliers": pl.UInt32})
    exempt: set[date] = set()
    for day in holiday_dates(config.holiday_country, data["ds"].min(), data["ds"].max()):  # type: ignore[arg-type]
        exempt.update({day, day + timedelta(days=1)})
    reference = (
        pl.col("y").rolling_median(window_size=5, center=True, min_samples=3).over(SERIES_KEY, "weekday")
    )
    # Relative residuals: business noise grows with the level (weekday vs weekend, growth over years);
    # the soft floor keeps days with a reference near zero from dominating.
    floor = 0.1 * pl.col("y").abs().mean().over(SERIES_KEY)
    residual = (pl.col("y") - pl.col("reference")) / (pl.col("reference").abs() + floor)
    spread = (residual - residual.median()).abs().median().over(SERIES_KEY) * 1.4826
    flagged = (
        data.with_columns(pl.col("ds").dt.weekday().alias("weekday"))
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
    ).drop("weekday", "reference", "outlier")
    return cleaned, counts


def _describe(profile: pl.DataFrame, config: ForecastConfig) -> pl.DataFrame:
    """Add the series class and the human-readable fallback reason and data notes."""
    profile = profile.with_columns(_class_expression(config).alias("series_class"))
    reasons: list[str | None] = []
    notes: list[str | None] = []
    for row in profile.iter_rows(named=True):
        reasons.append(_fallback_reason(row, config))
        notes.append(_data_notes(row, config))
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


def _fallback_reason(row: dict[str, object], config: ForecastConfig) -> str | None:
    series_class = row["series_class"]
    n_obs = int(row["n_obs"] or 0)  # type: ignore[call-overload]
    if series_class == INVALID:
        return f"{row['n_duplicates']} date(s) appear more than once in the input: no forecast"
    if series_class == INSUFFICIENT:
        if n_obs == 0:
            return "no numeric values: no forecast"
        return f"only {n_obs} days of history, {config.min_history_days} needed: no forecast"
    if series_class == CONSTANT:
        value = float(row["y_min"])  # type: ignore[arg-type]
        if value == 0:
            return "all values are zero: constant zero forecast with zero-width intervals"
        return f"every value equals {value:g}: constant forecast with zero-width intervals"
    if series_class == SHORT:
        method = "SeasonalNaive" if n_obs >= 2 * config.weekly_season else "Naive"
        return (
            f"short history ({n_obs} days, {config.min_cv_days} needed for {config.cv_windows} "
            f"cross-validation windows of {config.horizon} days): {method} without model choice; "
            "its intervals are the model's own, not calibrated"
        )
    if series_class == INTERMITTENT:
        zero_share = 1 - int(row["n_nonzero"]) / n_obs  # type: ignore[call-overload]
        return (
            f"intermittent ({zero_share:.0%} zero days): CrostonOptimized, ADIDA, IMAPA and "
            "SeasonalNaive instead of the regular models"
        )
    if series_class == REGULAR and "MSTL" in config.candidate_models and n_obs < 2 * config.yearly_season:
        return f"under two years of history ({n_obs} days): MSTL without the yearly season"
    return None


def _data_notes(row: dict[str, object], config: ForecastConfig) -> str | None:
    notes = []
    if row["n_filled_days"]:
        how = "linear interpolation" if config.missing_days == "interpolate" else "zeros"
        notes.append(f"{row['n_filled_days']} missing days filled by {how}")
    if row["n_outliers"]:
        notes.append(f"{row['n_outliers']} outlier days replaced by their weekday median for fitting")
    return "; ".join(notes) or None
