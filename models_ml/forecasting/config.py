"""Settings of one forecasting run: horizon, cross-validation, candidate models and data handling.

The Dagster assets build one :class:`ForecastConfig` from Keel's settings object and pass it in; the
library never reads the environment itself. Every default is chosen for daily small-business metrics
and a run that stays affordable on a 2-core machine (see ``docs/benchmarks.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from models_ml.forecasting.errors import ForecastInputError
from models_ml.forecasting.frequency import parse_frequency

#: Candidate models for regular daily series, in the order they are reported.
STATISTICAL_MODELS: tuple[str, ...] = ("AutoARIMA", "AutoETS", "AutoTheta", "MSTL", "SeasonalNaive")
MACHINE_LEARNING_MODELS: tuple[str, ...] = ("LightGBM",)
DEFAULT_MODELS: tuple[str, ...] = STATISTICAL_MODELS + MACHINE_LEARNING_MODELS
#: A cheaper candidate list: AutoARIMA is the dearest model by far (STACK-NOTES: ~2.8 s per 3-year series).
FAST_MODELS: tuple[str, ...] = ("AutoETS", "AutoTheta", "MSTL", "SeasonalNaive", "LightGBM")
#: Candidates for intermittent series (many zero days), where smoothing models predict a rate.
INTERMITTENT_MODELS: tuple[str, ...] = ("CrostonOptimized", "ADIDA", "IMAPA", "SeasonalNaive")
#: Name of the per-series ensemble of the best candidates.
ENSEMBLE = "Ensemble"
#: The interval levels Keel stores (columns lo_80, hi_80, lo_95, hi_95).
LEVELS: tuple[int, ...] = (80, 95)


@dataclass(frozen=True)
class ForecastConfig:
    """How a forecasting run treats its series; the defaults suit daily business metrics.

    Settings named ``*_days`` (and ``weekly_season``, ``yearly_season``) apply to daily series; a run
    of another frequency derives its lengths from the season instead (``frequency.periods_of``).
    """

    horizon: int = 28
    """Periods ahead to forecast (days for daily series); cross-validation windows have the same length."""
    freq: str | None = None
    """The series' frequency: a pandas alias (``"D"``, ``"W"``, ``"MS"``, ``"QS"``, ``"YS"``) or polars
    interval (``"1d"``, ``"1mo"``); None infers it from the dates (see ``frequency``). Daily runs use the
    day-based settings below; other frequencies measure every length in their own periods."""
    season_length: int | None = None
    """Periods per season; None: ``weekly_season`` for daily series, one year of periods otherwise
    (52 weeks, 12 months, 4 quarters, none for yearly series)."""
    levels: tuple[int, ...] = LEVELS
    """Interval levels in percent; each gives columns ``lo_<level>`` and ``hi_<level>``."""
    cv_windows: int = 3
    """Rolling-origin windows (non-overlapping, each ``horizon`` days) for model choice and calibration."""
    models: tuple[str, ...] = DEFAULT_MODELS
    """Candidates for regular series: any of AutoARIMA, AutoETS, AutoTheta, MSTL, SeasonalNaive, LightGBM.
    SeasonalNaive is always added: it is the baseline every score is compared with."""
    ensemble_size: int = 3
    """The ensemble averages this many best candidates of each series (by cross-validated MASE)."""
    ensemble_margin: float = 0.1
    """A single model replaces the ensemble as a series' choice only if its cross-validated MASE is
    lower by more than this share: with three windows, close scores are mostly noise (on three
    synthetic panels this rule scored 1-2% better than plain argmin on held-out windows, or tied)."""
    weekly_season: int = 7
    yearly_season: int = 365
    max_history_days: int = 3 * 365
    """Older history is dropped before anything else: it costs time and rarely helps a 4-week forecast."""
    arima_history_days: int = 365
    """AutoARIMA, AutoETS and AutoTheta (weekly season only) fit on this many most recent days."""
    mstl_history_days: int = 2 * 365
    """MSTL needs two years to estimate a yearly season; it fits on this many most recent days."""
    min_history_days: int = 7
    """Series shorter than this get no forecast (reported in the accuracy frame)."""
    min_training_days: int = 56
    """Training days the first cross-validation window needs; with the windows this sets what is short."""
    min_error_paths: int = 60
    """A class of few series gets more (non-overlapping) cross-validation windows, as far as its history
    allows, until series x windows reaches this: the intervals are calibrated on those error paths, and
    with one series three windows are three paths (a "95%" bound would be the largest of three)."""
    intermittent_adi: float = 1.32
    """Average days between non-zero values above which a series is intermittent (Syntetos-Boylan)."""
    missing_days: Literal["interpolate", "zero"] = "interpolate"
    """How days missing inside a series are filled: linear interpolation (a gap in the data feed), or
    zero (no row means nothing happened, e.g. no orders)."""
    cannot_be_negative: tuple[str, ...] = ()
    """Metrics (``unique_id``) that cannot be negative (orders, visits): a negative value of theirs is an
    error in the data and is treated as missing, with a note. Other metrics keep negative values."""
    clean_outliers: bool = True
    outlier_threshold: float = 6.0
    """A day is an outlier when it lies this many robust standard deviations from its weekday median."""
    holiday_country: str | None = "US"
    """Country of the public holidays used as features (``holidays`` package code); None disables."""
    calibration_scale_days: int = 91
    """Days before a forecast origin over which the series' scale (seasonal naive MAE) is measured."""
    cv_refit: bool = False
    """False: the statistical models are fitted at the first cross-validation origin and carried
    forward to the later ones (statsforecast ``refit=False``), which cuts their cross-validation cost
    about threefold at equal accuracy on the synthetic panel; True refits in every window."""
    final_refit: bool = False
    """False (with ``cv_refit=False``): the final forecast comes out of the same statsforecast call as the
    cross-validation, as one more window: the models fitted at the first origin are carried forward to
    the whole history, so each statistical model is fitted once per series in all. True fits them again
    on the whole history: one more fit per model and series, for no gain in accuracy (held-out MASE
    0.796 against 0.776 and 0.863 against 0.852 on two synthetic panels; ``docs/benchmarks.md``)."""
    lightgbm_estimators: int = 300
    engine: Literal["local", "dask"] = "local"
    """Where the statistical models run: ``local`` (this process, ``n_jobs`` processes) or ``dask`` (a Dask
    cluster through statsforecast's Fugue backend: ``models_ml.forecasting.engine``); same forecasts."""
    dask_address: str | None = None
    """With ``engine="dask"``: the scheduler of a running cluster; None starts a local one per process."""
    n_jobs: int = 1
    """Processes for the statistical models and threads for LightGBM's features (LightGBM itself fits on
    one thread, see ``candidates.lightgbm_forecaster``); -1 uses every core."""
    seed: int = 0

    def __post_init__(self) -> None:
        allowed = set(DEFAULT_MODELS)
        unknown = [m for m in self.models if m not in allowed]
        if unknown:
            raise ForecastInputError(
                f"config.models has unknown model(s) {unknown}", f"choose from {sorted(allowed)}"
            )
        if len(set(self.models)) != len(self.models):
            raise ForecastInputError(f"config.models lists a model twice: {list(self.models)}")
        positive = {
            "horizon": self.horizon,
            "ensemble_size": self.ensemble_size,
            "weekly_season": self.weekly_season,
            "yearly_season": self.yearly_season,
            "max_history_days": self.max_history_days,
            "arima_history_days": self.arima_history_days,
            "mstl_history_days": self.mstl_history_days,
            "min_history_days": self.min_history_days,
            "min_training_days": self.min_training_days,
            "calibration_scale_days": self.calibration_scale_days,
            "lightgbm_estimators": self.lightgbm_estimators,
            "min_error_paths": self.min_error_paths,
        }
        for name, value in positive.items():
            if value < 1:
                raise ForecastInputError(f"config.{name} must be at least 1, got {value}")
        if self.cv_windows < 3:
            raise ForecastInputError(
                f"config.cv_windows must be at least 3, got {self.cv_windows}",
                "model choice and interval calibration need three or more rolling-origin windows",
            )
        if self.season_length is not None and self.season_length < 1:
            raise ForecastInputError(f"config.season_length must be at least 1, got {self.season_length}")
        if self.freq is not None:
            parse_frequency(self.freq)
        levels = tuple(self.levels)
        if (
            not levels
            or any(not isinstance(v, int) or isinstance(v, bool) or not 0 < v < 100 for v in levels)
            or len(set(levels)) != len(levels)
        ):
            raise ForecastInputError(
                f"config.levels must be distinct whole percentages between 0 and 100, got {self.levels!r}"
            )
        object.__setattr__(self, "levels", tuple(sorted(levels)))
        if self.missing_days not in ("interpolate", "zero"):
            raise ForecastInputError(
                f"config.missing_days must be 'interpolate' or 'zero', got {self.missing_days!r}"
            )
        if self.intermittent_adi <= 1.0:
            raise ForecastInputError(f"config.intermittent_adi must exceed 1, got {self.intermittent_adi}")
        if self.n_jobs == 0 or self.n_jobs < -1:
            raise ForecastInputError(f"config.n_jobs must be -1 or a positive number, got {self.n_jobs}")
        if self.ensemble_margin < 0:
            raise ForecastInputError(
                f"config.ensemble_margin must not be negative, got {self.ensemble_margin}"
            )
        if self.outlier_threshold <= 0:
            raise ForecastInputError(
                f"config.outlier_threshold must be positive, got {self.outlier_threshold}"
            )

    @property
    def candidate_models(self) -> tuple[str, ...]:
        """The configured candidates with the SeasonalNaive baseline always present."""
        if "SeasonalNaive" in self.models:
            return self.models
        return (*self.models, "SeasonalNaive")

    @property
    def interval_columns(self) -> tuple[str, ...]:
        """Bound columns from the lowest to the highest: ``lo_95, lo_80, hi_80, hi_95`` by default."""
        lows = [f"lo_{level}" for level in reversed(self.levels)]
        return (*lows, *[f"hi_{level}" for level in self.levels])

    @property
    def cv_test_days(self) -> int:
        return self.cv_windows * self.horizon

    @property
    def min_cv_days(self) -> int:
        """Shortest series that can be cross-validated; shorter ones fall back to a simple method."""
        return self.cv_test_days + self.min_training_days
