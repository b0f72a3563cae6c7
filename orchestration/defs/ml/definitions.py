"""Definitions of the ML domain: the forecasting assets and their checks (the checks run in the same step)."""

import dagster as dg

from orchestration.defs.ml.forecasts import ml_forecasting

defs = dg.Definitions(assets=[ml_forecasting])
