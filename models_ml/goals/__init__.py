"""Goals that know their odds: the metric catalogue, evaluation (probability, pace, status, levers, plan)
and the creation helper (baseline, suggested ranges, scored candidate targets). No warehouse, no Dagster."""

from models_ml.goals.catalog import CATALOG, UNAVAILABLE, GoalMetric, format_value, goal_metric
from models_ml.goals.evaluate import (
    CLOSED_STATUSES,
    EVALUATED_STATUSES,
    STATUS_RULE,
    GoalEvaluation,
    GoalSpec,
    decide_status,
    evaluate_goal,
    link_plan,
    pick_levers,
)
from models_ml.goals.suggest import Candidate, GoalProposal, TargetRange, propose_goal, target_warning

__all__ = [
    "CATALOG",
    "CLOSED_STATUSES",
    "EVALUATED_STATUSES",
    "STATUS_RULE",
    "UNAVAILABLE",
    "Candidate",
    "GoalEvaluation",
    "GoalMetric",
    "GoalProposal",
    "GoalSpec",
    "TargetRange",
    "decide_status",
    "evaluate_goal",
    "format_value",
    "goal_metric",
    "link_plan",
    "pick_levers",
    "propose_goal",
    "target_warning",
]
