"""The candidate models of a run: statsforecast models for each series class, and one LightGBM.

Cost is what shapes this module. STACK-NOTES measured AutoARIMA at ~2.8 s per 3-year daily series and
cross-validation multiplies every fit by the number of windows plus one, so the statistical models do
not see the whole history:

* AutoARIMA (with a narrowed search: p, q <= 2, P, Q <= 1, at most 20 models, CSS approximation),
  AutoETS and AutoTheta model the weekly season only and fit on the last ``arima_history_days`` (one
  year): older days barely move a 4-week forecast of a weekly-seasonal model.
* MSTL carries the yearly season and fits on the last ``mstl_history_days`` (two years, the least
  that estimates a yearly pattern). A series shorter than two seasons loses that season, not the model.

The trimming happens inside the model (:class:`RecentHistory`), so all series and models still go
through a single ``StatsForecast`` call. LightGBM is one global ``MLForecast`` model over all regular
series, with lags, rolling means, calendar and holiday features and the exogenous drivers.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl
from lightgbm import LGBMRegressor
from mlforecast import MLForecast
from mlforecast.lag_transforms import RollingMean, SeasonalRollingMean
from mlforecast.target_transforms import LocalStandardScaler
from statsforecast.models import (
    ADIDA,
    IMAPA,
    MSTL,
    AutoARIMA,
    AutoETS,
    AutoTheta,
    CrostonOptimized,
    Naive,
    SeasonalNaive,
)

from models_ml.forecasting.config import INTERMITTENT_MODELS, STATISTICAL_MODELS, ForecastConfig
from models_ml.forecasting.frequency import DAILY, Periods, periods_of
from models_ml.forecasting.prepare import holiday_dates

HOLIDAY_FEATURES: tuple[str, ...] = ("is_holiday", "is_day_before_holiday", "is_day_after_holiday")


class RecentHistory:
    """A statsforecast model that fits on the last ``history_days`` observations of each series.

    It speaks the statsforecast model protocol (``forecast``, ``fit``, ``predict``, ``forward``, ``new``
    and an ``alias``) and delegates to the wrapped model, so it runs inside one ``StatsForecast`` call.
    Every statistical candidate runs behind it, which also makes ``forward`` as failure-proof as
    statsforecast makes ``fit`` and ``forecast`` (a failing series gets NaN, see ``pipeline``).
    """

    uses_exog = False

    def __init__(self, model: Any, history_days: int, alias: str) -> None:
        self.model = model
        self.history_days = history_days
        self.alias = alias
        self.prediction_intervals = None

    def __repr__(self) -> str:
        return self.alias

    def new(self) -> RecentHistory:
        return RecentHistory(self.model.new(), self.history_days, self.alias)

    def _recent(self, y: np.ndarray, X: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        start = max(0, y.shape[0] - self.history_days)
        return y[start:], None if X is None else X[start:]

    def _model_for(self, y: np.ndarray) -> Any:
        return self.model

    def forecast(
        self,
        y: np.ndarray,
        h: int,
        X: np.ndarray | None = None,
        X_future: np.ndarray | None = None,
        level: list[int] | None = None,
        fitted: bool = False,
    ) -> dict[str, np.ndarray]:
        y, X = self._recent(y, X)
        return self._model_for(y).forecast(y=y, h=h, level=level)

    def fit(self, y: np.ndarray, X: np.ndarray | None = None) -> RecentHistory:
        y, X = self._recent(y, X)
        self.fitted_ = self._model_for(y).new().fit(y=y)
        return self

    def predict(self, h: int, X: np.ndarray | None = None, level: list[int] | None = None) -> dict:
        return self.fitted_.predict(h=h, level=level)

    def forward(
        self,
        y: np.ndarray,
        h: int,
        X: np.ndarray | None = None,
        X_future: np.ndarray | None = None,
        level: list[int] | None = None,
        fitted: bool = False,
    ) -> dict[str, np.ndarray]:
        """Apply the model fitted at an earlier origin to the longer history (refit-free CV).

        Models without ``forward`` (the Croston family) simply refit, which is cheap for them.
        """
        y, X = self._recent(y, X)
        try:
            if hasattr(self.fitted_, "forward"):
                return self.fitted_.forward(y=y, h=h, level=level)
            return self._model_for(y).forecast(y=y, h=h, level=level)
        except Exception:
            # statsforecast guards fit and forecast with its fallback model but not forward (used by
            # cross-validation without refit): a failure here must cost one series, not the run.
            missing = np.full(h, np.nan)
            bounds = {f"{side}-{lv}": missing for lv in level or [] for side in ("lo", "hi")}
            return {"mean": missing} | bounds


def guarded(model: Any, history_days: int) -> RecentHistory:
    """``model`` behind the :class:`RecentHistory` guard, unless it already is."""
    if isinstance(model, RecentHistory):
        return model
    return RecentHistory(model, history_days, repr(model))


class SeasonAdaptiveMSTL(RecentHistory):
    """MSTL that keeps only the seasons a series is long enough for (two full cycles each)."""

    def __init__(self, seasons: tuple[int, ...], history_days: int, alias: str = "MSTL") -> None:
        super().__init__(MSTL(season_length=list(seasons)), history_days, alias)
        self.seasons = seasons

    def new(self) -> SeasonAdaptiveMSTL:
        return SeasonAdaptiveMSTL(self.seasons, self.history_days, self.alias)

    def _model_for(self, y: np.ndarray) -> Any:
        fitting = [s for s in self.seasons if y.shape[0] >= 2 * s + 1]
        if fitting == list(self.seasons):
            return self.model
        if not fitting:
            raise ValueError(f"MSTL needs at least {2 * min(self.seasons) + 1} observations")
        return MSTL(season_length=fitting, alias=self.alias)


def _periods(config: ForecastConfig, periods: Periods | None) -> Periods:
    return periods if periods is not None else periods_of(config, DAILY)


def regular_models(config: ForecastConfig, periods: Periods | None = None) -> list[Any]:
    """The statistical candidates for regular series, in the order of ``STATISTICAL_MODELS``.

    ``periods`` (daily by default) gives the season and history lengths. AutoETS and AutoARIMA model a
    season of at most 24 periods (statsforecast's limit for ETS; a seasonal ARIMA of 52 weeks costs
    about 10 s per weekly series): a weekly series' yearly season is left to AutoTheta and MSTL. MSTL
    is left out where there is no season (yearly series).
    """
    periods = _periods(config, periods)
    weekly = periods.season
    recent = periods.recent_history
    seasons = tuple(s for s in (weekly, periods.yearly_season) if s is not None and s > 1)
    builders = {
        "AutoARIMA": lambda: RecentHistory(
            AutoARIMA(
                season_length=weekly if weekly <= 24 else 1,
                max_p=2,
                max_q=2,
                max_P=1,
                max_Q=1,
                max_d=1,
                nmodels=20,
                approximation=True,
            ),
            recent,
            "AutoARIMA",
        ),
        "AutoETS": lambda: RecentHistory(
            AutoETS(season_length=weekly if weekly <= 24 else 1), recent, "AutoETS"
        ),
        "AutoTheta": lambda: RecentHistory(AutoTheta(season_length=weekly), recent, "AutoTheta"),
        "MSTL": lambda: SeasonAdaptiveMSTL(seasons, periods.mstl_history),
        "SeasonalNaive": lambda: SeasonalNaive(season_length=weekly),
    }
    names = [name for name in STATISTICAL_MODELS if name in config.candidate_models]
    if not seasons:
        names = [name for name in names if name != "MSTL"]
    return [builders[name]() for name in names]


def intermittent_models(config: ForecastConfig, periods: Periods | None = None) -> list[Any]:
    """Candidates for intermittent series, in the order of ``INTERMITTENT_MODELS``."""
    season = _periods(config, periods).season
    models = [CrostonOptimized(), ADIDA(), IMAPA(), SeasonalNaive(season_length=season)]
    assert [repr(m) for m in models] == list(INTERMITTENT_MODELS)
    return models


def short_series_model(periods: Periods, n_obs: int) -> Any:
    """The fallback for a series too short to cross-validate; it has native intervals."""
    if periods.season > 1 and n_obs >= 2 * periods.season:
        return SeasonalNaive(season_length=periods.season)
    return Naive()


def lightgbm_forecaster(config: ForecastConfig, periods: Periods | None = None) -> MLForecast:
    """One global LightGBM over all regular series, forecasting recursively period by period (one thread).

    Series differ in level by orders of magnitude, so each is standardised on its own history
    (``LocalStandardScaler``) and the model learns shapes, not sizes. Daily series get weekday, month
    and day-of-year features; monthly and quarterly series their month or quarter; weekly and yearly
    series none (their lags carry the season).
    """
    periods = _periods(config, periods)
    regressor = LGBMRegressor(
        n_estimators=config.lightgbm_estimators,
        learning_rate=0.05,
        num_leaves=31,
        min_child_samples=20,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.8,
        random_state=config.seed,
        # One thread: on 2 shared cores, OpenMP threads that wait for each other made the fits 5-6x
        # slower than one thread (6 series: 12 s against 2 s; 100 series: 54-67 s against 9-11 s, under
        # a load average of 5; docs/benchmarks.md). The features are still built on n_jobs threads.
        n_jobs=1,
        verbosity=-1,
    )
    weekly = periods.season
    if periods.frequency.is_daily:
        lags = [1, 2, weekly, 2 * weekly, 4 * weekly]
        lag_transforms: dict[int, list[Any]] = {
            1: [RollingMean(window_size=weekly), RollingMean(window_size=4 * weekly)],
            weekly: [SeasonalRollingMean(season_length=weekly, window_size=4)],
        }
        date_features = ["weekday", "month", "ordinal_day"]
    else:
        lags = sorted({1, 2, 3, weekly} | ({2 * weekly} if weekly > 1 else set()))
        lag_transforms = {1: [RollingMean(window_size=max(weekly, 3))]}
        date_features = {"monthly": ["month"], "quarterly": ["quarter"]}.get(periods.frequency.name, [])
    return MLForecast(
        models={"LightGBM": regressor},
        freq=periods.frequency.interval,
        lags=lags,
        lag_transforms=lag_transforms,
        date_features=date_features,
        target_transforms=[LocalStandardScaler()],
        num_threads=config.n_jobs,
    )


def holiday_features(ds: pl.Series, country: str | None) -> pl.DataFrame:
    """``ds`` plus 0/1 columns for a public holiday on the day, the day before and the day after."""
    unique_days = ds.unique().sort()
    if unique_days.is_empty():
        return pl.DataFrame(schema={"ds": pl.Date, **dict.fromkeys(HOLIDAY_FEATURES, pl.Float64)})
    first: date = unique_days.min()  # type: ignore[assignment]
    last: date = unique_days.max()  # type: ignore[assignment]
    days_off = holiday_dates(country, first - timedelta(days=1), last + timedelta(days=1))
    before = {d - timedelta(days=1) for d in days_off}
    after = {d + timedelta(days=1) for d in days_off}
    return pl.DataFrame(
        {
            "ds": unique_days,
            "is_holiday": [float(d in days_off) for d in unique_days],
            "is_day_before_holiday": [float(d in before) for d in unique_days],
            "is_day_after_holiday": [float(d in after) for d in unique_days],
        }
    )
