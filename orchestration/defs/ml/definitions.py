"""Definitions of the ML domain: forecasts, evidence, plans and goal evaluations with their checks (the checks
run in the same step), the demo owners' goals, and the sensor that evaluates an owner's new or changed
goal."""

import dagster as dg

from orchestration.defs.ml.evidence import ml_evidence
from orchestration.defs.ml.forecasts import ml_forecasting
from orchestration.defs.ml.goals import app_goals, goal_changes, ml_goal_evaluations
from orchestration.defs.ml.plans import ml_plans

defs = dg.Definitions(
    assets=[ml_forecasting, ml_evidence, ml_plans, app_goals, ml_goal_evaluations], sensors=[goal_changes]
)
