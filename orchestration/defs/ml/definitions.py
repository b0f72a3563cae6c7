"""Definitions of the ML domain: the forecasting assets and their checks (the checks run in the same step)."""

import dagster as dg

from orchestration.defs.ml.evidence import ml_evidence
from orchestration.defs.ml.forecasts import ml_forecasting
from orchestration.defs.ml.plans import ml_plans

defs = dg.Definitions(assets=[ml_forecasting, ml_evidence, ml_plans])
