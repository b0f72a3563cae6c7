"""Keel's forecasting library: calibrated forecasts of every tenant metric, goal probabilities, charts.

Pure Python over polars frames in long format (``tenant_id, unique_id, ds, y``); it does not import
Dagster. The assets in ``orchestration/`` call :func:`forecast_panel` and write ``ForecastRun.forecasts``
to ``ml.forecasts`` and ``ForecastRun.accuracy`` to ``ml.forecast_accuracy``, checking the former with
:func:`check_forecasts`. See ``docs/benchmarks.md`` for cost and accuracy figures.
"""

from models_ml.forecasting.checks import check_forecasts
from models_ml.forecasting.config import (
    DEFAULT_MODELS,
    ENSEMBLE,
    FAST_MODELS,
    INTERMITTENT_MODELS,
    ForecastConfig,
)
from models_ml.forecasting.errors import ForecastInputError
from models_ml.forecasting.evaluation import SelectionCheck
from models_ml.forecasting.goal import (
    GoalOutcomes,
    GoalProbability,
    goal_outcomes,
    goal_probability,
    probability_of,
)
from models_ml.forecasting.pipeline import (
    ACCURACY_SCHEMA,
    FORECAST_COLUMNS,
    FORECAST_SCHEMA,
    ForecastRun,
    forecast_panel,
)
from models_ml.forecasting.plot import plot_forecast

__all__ = [
    "ACCURACY_SCHEMA",
    "DEFAULT_MODELS",
    "ENSEMBLE",
    "FAST_MODELS",
    "FORECAST_COLUMNS",
    "FORECAST_SCHEMA",
    "INTERMITTENT_MODELS",
    "ForecastConfig",
    "ForecastInputError",
    "ForecastRun",
    "GoalOutcomes",
    "GoalProbability",
    "SelectionCheck",
    "check_forecasts",
    "forecast_panel",
    "goal_outcomes",
    "goal_probability",
    "plot_forecast",
    "probability_of",
]
