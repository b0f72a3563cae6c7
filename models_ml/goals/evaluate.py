"""Score a goal: the chance of reaching its target by the deadline, progress against pace, and its status.

The probability comes from :func:`models_ml.forecasting.goal_outcomes`: whole simulated paths of the
metric after the last observed day, added to what is already realised since the goal's start (sum, average
and ratio) or read on the deadline (level). The status rule, stated in every evaluation:

- before the deadline: **on track** when the probability is at least 70%, **at risk** from 30% to 70%,
  **off track** below 30%;
- once the data reaches the deadline: **achieved** when the realised value meets the target, else **missed**.

Levers (:func:`pick_levers`) are the causes with graded evidence of moving the goal's metric in the
evidence graph; the plan (:func:`link_plan`) is the stored optimization plan that works on that metric.
No warehouse, no Dagster: the asset and ``coach/goals.py`` pass the data in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from models_ml.goals.catalog import GoalMetric, format_value, goal_metric

ON_TRACK_AT = 0.7
OFF_TRACK_BELOW = 0.3
STATUS_RULE = (
    f"On track at a {ON_TRACK_AT:.0%} chance or more of reaching the target by the deadline, at risk from "
    f"{OFF_TRACK_BELOW:.0%} to {ON_TRACK_AT:.0%}, off track below {OFF_TRACK_BELOW:.0%}; once the data "
    "reaches the deadline, achieved or missed by what actually happened."
)
#: Statuses the evaluation decides; the owner decides draft, active (on creation) and abandoned.
EVALUATED_STATUSES = ("on_track", "at_risk", "off_track", "achieved", "missed")
CLOSED_STATUSES = ("achieved", "missed", "abandoned")

if TYPE_CHECKING:
    from models_ml.forecasting.goal import GoalOutcomes

# The forecasting library (statsforecast, numba) is imported by the functions that simulate, not here:
# the console's Goals page lists goals and their stored evaluations through this package and must not
# pay seconds of imports to draw them.
GRADE_RANK = {"strong": 0, "moderate": 1, "weak": 2}
GRADE_WORDS = {
    "strong": "strong evidence",
    "moderate": "moderate evidence",
    "weak": "weak evidence",
    "inconclusive": "no clear evidence",
}


@dataclass(frozen=True)
class GoalSpec:
    """What a goal asks for (the columns of ``app.goals`` the engine needs)."""

    metric: str
    aggregation: str
    target: float
    starts_on: date
    deadline: date
    direction: str = "at_least"
    baseline: float | None = None
    currency: str | None = None

    @property
    def catalog(self) -> GoalMetric:
        return goal_metric(self.metric)

    def validate(self) -> None:
        entry = self.catalog
        if self.aggregation not in entry.aggregations:
            raise ValueError(
                f"{entry.label} can be aggregated as {', '.join(entry.aggregations)}, "
                f"not {self.aggregation!r}"
            )
        if self.direction not in ("at_least", "at_most"):
            raise ValueError(f"direction must be 'at_least' or 'at_most', got {self.direction!r}")
        if not math.isfinite(self.target):
            raise ValueError(f"the target must be a number, got {self.target!r}")
        if entry.unit == "ratio" and not 0 <= self.target <= 5:
            raise ValueError(f"a share is given as a fraction (0.28 for 28%), got {self.target!r}")
        if self.deadline <= self.starts_on:
            raise ValueError(f"the deadline {self.deadline} must come after the start {self.starts_on}")

    @property
    def days(self) -> int:
        return (self.deadline - self.starts_on).days + 1


@dataclass(frozen=True)
class GoalEvaluation:
    data_through: date
    probability: float
    expected_value: float
    expected_lower: float
    """10th percentile of the simulated outcome (with ``expected_upper``, an 80% interval)."""
    expected_upper: float
    progress_value: float | None
    """Realised so far: the sum, average or share since the start, or the latest level."""
    pace_value: float | None
    """Where the goal should be by now on a straight path to the target."""
    needed_rest: float | None
    """Per day for the rest of the period to reach the target (sum and average goals)."""
    elapsed_share: float
    status: str
    status_rule: str
    method: str
    pace: list[dict[str, Any]] = field(default_factory=list)
    """Per observed day of the period: ``day``, ``actual`` and ``on_pace`` (the chart)."""
    outcomes: np.ndarray | None = field(default=None, repr=False, compare=False)


def first_day(frame: pl.DataFrame) -> date:
    value = frame["ds"].min()
    assert isinstance(value, date)
    return value


def last_day(frame: pl.DataFrame) -> date:
    value = frame["ds"].max()
    assert isinstance(value, date)
    return value


def period_frame(history: pl.DataFrame, spec: GoalSpec) -> pl.DataFrame:
    """``ds`` and the goal's columns as floats, ordered, nulls as zero (a day without sales sold nothing)."""
    entry = spec.catalog
    missing = [c for c in ("ds", *entry.columns) if c not in history.columns]
    if missing:
        raise ValueError(f"the history lacks {', '.join(missing)} for a {entry.label} goal")
    frame = history.select(
        pl.col("ds").cast(pl.Date), *(pl.col(c).cast(pl.Float64).fill_null(0.0) for c in entry.columns)
    ).sort("ds")
    if frame.is_empty():
        raise ValueError(f"there is no {entry.label} data yet")
    if entry.unit == "ratio" and frame[entry.ratio_denominator].sum() <= 0:
        raise ValueError(f"there is no {entry.label} data yet (no revenue in the history)")
    if frame[entry.numerator].abs().sum() == 0 and entry.denominator is not None:
        raise ValueError(f"there is no {entry.label} data yet: every day's {entry.numerator} is zero")
    return frame


def simulate(spec: GoalSpec, history: pl.DataFrame, *, n_paths: int = 2000, seed: int = 0) -> GoalOutcomes:
    """Simulated outcomes of the goal's aggregate at the deadline (:func:`goal_outcomes`)."""
    from models_ml.forecasting import goal_outcomes

    spec.validate()
    entry = spec.catalog
    frame = period_frame(history, spec)
    if spec.starts_on > last_day(frame) + timedelta(days=1) and spec.aggregation != "level":
        # A period that starts in the future: simulate to the deadline and keep only the period's days.
        return _future_period(spec, frame, n_paths, seed)
    series = frame.select("ds", pl.col(entry.numerator).alias("y"))
    kwargs: dict[str, Any] = {"n_paths": n_paths, "seed": seed}
    if spec.aggregation == "level":
        return goal_outcomes(series, spec.deadline, "level", **kwargs)
    if spec.aggregation == "ratio":
        denominator = frame.select("ds", pl.col(entry.ratio_denominator).alias("y"))
        return goal_outcomes(
            series, spec.deadline, "ratio", period_start=spec.starts_on, denominator=denominator, **kwargs
        )
    return goal_outcomes(series, spec.deadline, spec.aggregation, period_start=spec.starts_on, **kwargs)  # type: ignore[arg-type]


def _future_period(spec: GoalSpec, frame: pl.DataFrame, n_paths: int, seed: int) -> GoalOutcomes:
    from models_ml.forecasting import ForecastInputError, goal_outcomes
    from models_ml.forecasting.goal import GoalOutcomes

    entry = spec.catalog
    history_end = last_day(frame)
    # The sum from the start = the sum to the deadline minus the sum to the day before the start.
    series = frame.select("ds", pl.col(entry.numerator).alias("y"))
    kwargs: dict[str, Any] = {
        "n_paths": n_paths,
        "seed": seed,
        "period_start": history_end + timedelta(days=1),
    }
    before = spec.starts_on - timedelta(days=1)
    top_all = goal_outcomes(series, spec.deadline, "sum", **kwargs).outcomes
    top_before = goal_outcomes(series, before, "sum", **kwargs).outcomes
    top = top_all - top_before  # same seed: the same paths, cut at the start
    if spec.aggregation == "ratio":
        denominator = frame.select("ds", pl.col(entry.ratio_denominator).alias("y"))
        bottom = (
            goal_outcomes(denominator, spec.deadline, "sum", **kwargs).outcomes
            - goal_outcomes(denominator, before, "sum", **kwargs).outcomes
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(bottom > 0, top / bottom, np.nan)
        if np.isnan(ratio).all():
            raise ForecastInputError("the ratio's denominator is zero on every simulated path")
        return GoalOutcomes(
            np.where(np.isnan(ratio), np.nanmedian(ratio), ratio), "model_simulation", math.nan, history_end
        )
    if spec.aggregation == "average":
        top = top / spec.days
    return GoalOutcomes(top, "model_simulation", math.nan, history_end)


def decide_status(
    probability: float, data_through: date, spec: GoalSpec, realized: float | None
) -> tuple[str, str]:
    """The status and, in words, the rule and the numbers that decided it."""
    entry = spec.catalog
    target = format_value(spec.target, entry.unit, spec.currency)
    if data_through >= spec.deadline and realized is not None and not math.isnan(realized):
        reached = realized >= spec.target if spec.direction == "at_least" else realized <= spec.target
        status = "achieved" if reached else "missed"
        return status, (
            f"The deadline {spec.deadline:%d %B %Y} has passed: the result was "
            f"{format_value(realized, entry.unit, spec.currency)} against a target of {target}, so the goal "
            f"was {status}."
        )
    if probability >= ON_TRACK_AT:
        status, band = "on_track", f"{ON_TRACK_AT:.0%} or more counts as on track"
    elif probability >= OFF_TRACK_BELOW:
        status, band = "at_risk", f"{OFF_TRACK_BELOW:.0%} to {ON_TRACK_AT:.0%} counts as at risk"
    else:
        status, band = "off_track", f"below {OFF_TRACK_BELOW:.0%} counts as off track"
    return status, (
        f"A {probability:.0%} chance of reaching {target} by {spec.deadline:%d %B %Y}; {band} "
        f"(on track from {ON_TRACK_AT:.0%}, at risk from {OFF_TRACK_BELOW:.0%}, off track below)."
    )


def evaluate_goal(
    spec: GoalSpec, history: pl.DataFrame, *, n_paths: int = 2000, seed: int = 0
) -> GoalEvaluation:
    """Probability, expected value with an 80% interval, progress against pace and status of one goal."""
    from models_ml.forecasting import probability_of

    entry = spec.catalog
    result = simulate(spec, history, n_paths=n_paths, seed=seed)
    frame = period_frame(history, spec)
    data_through = last_day(frame)
    outcomes = result.outcomes
    probability = probability_of(outcomes, spec.target, spec.direction)  # type: ignore[arg-type]
    low, high = (float(q) for q in np.quantile(outcomes, [0.1, 0.9]))
    elapsed_days = max(0, min((data_through - spec.starts_on).days + 1, spec.days))
    elapsed_share = elapsed_days / spec.days
    progress, pace_value, needed = _progress(spec, entry, frame, data_through, elapsed_days, result.realized)
    realized_final = float(outcomes[0]) if result.method == "realized" else None
    status, rule = decide_status(probability, data_through, spec, realized_final)
    return GoalEvaluation(
        data_through=data_through,
        probability=probability,
        expected_value=float(outcomes.mean()),
        expected_lower=low,
        expected_upper=high,
        progress_value=progress,
        pace_value=pace_value,
        needed_rest=needed,
        elapsed_share=elapsed_share,
        status=status,
        status_rule=rule,
        method=result.method,
        pace=pace_points(spec, frame),
        outcomes=outcomes,
    )


def _progress(
    spec: GoalSpec,
    entry: GoalMetric,
    frame: pl.DataFrame,
    data_through: date,
    elapsed_days: int,
    realized: float,
) -> tuple[float | None, float | None, float | None]:
    if elapsed_days == 0:
        return None, None, None
    remaining = spec.days - elapsed_days
    share = elapsed_days / spec.days
    if spec.aggregation == "sum":
        needed = (spec.target - realized) / remaining if remaining > 0 else None
        return realized, spec.target * share, needed
    if spec.aggregation == "average":
        so_far = realized * elapsed_days
        needed = (spec.target * spec.days - so_far) / remaining if remaining > 0 else None
        return realized, spec.target, needed
    if spec.aggregation == "ratio":
        return (None if math.isnan(realized) else realized), spec.target, None
    latest = float(frame.filter(pl.col("ds") <= data_through)[entry.numerator][-1])
    start = spec.baseline if spec.baseline is not None else latest
    return latest, start + (spec.target - start) * share, None


def pace_points(spec: GoalSpec, history: pl.DataFrame) -> list[dict[str, Any]]:
    """Per observed day of the goal's period: the running actual and where a straight path would be."""
    entry = spec.catalog
    frame = history.filter(pl.col("ds").is_between(spec.starts_on, spec.deadline))
    if frame.is_empty():
        return []
    day_number = np.array([(d - spec.starts_on).days + 1 for d in frame["ds"]], dtype=float)
    numerator = frame[entry.numerator].to_numpy()
    if spec.aggregation == "sum":
        actual = np.cumsum(numerator)
        on_pace = spec.target * day_number / spec.days
    elif spec.aggregation == "average":
        actual = np.cumsum(numerator) / day_number
        on_pace = np.full(actual.shape, spec.target)
    elif spec.aggregation == "ratio":
        denominator = np.cumsum(frame[entry.ratio_denominator].to_numpy())
        with np.errstate(divide="ignore", invalid="ignore"):
            actual = np.where(denominator > 0, np.cumsum(numerator) / denominator, np.nan)
        on_pace = np.full(actual.shape, spec.target)
    else:
        actual = numerator
        start = spec.baseline if spec.baseline is not None else float(numerator[0])
        on_pace = start + (spec.target - start) * day_number / spec.days
    return [
        {"day": d, "actual": None if np.isnan(a) else float(a), "on_pace": float(p)}
        for d, a, p in zip(frame["ds"], actual, on_pace, strict=True)
    ]


def pick_levers(
    spec: GoalSpec,
    edges: Iterable[Mapping[str, Any]],
    labels: Mapping[str, str] | None = None,
    limit: int = 5,
) -> list[dict[str, Any]]:
    """Causes with graded evidence of moving the goal's metric, strongest grade and largest effect first.

    ``edges`` are rows of ``ml.evidence_edges`` (cause, effect, grade, estimate, ci_low, ci_high,
    explanation, and optionally the cause's node ``kind``). Only interventions and metrics count as levers:
    weekday segments and decomposition terms such as "days" explain a change but are nothing to pull.
    """
    labels = labels or {}
    effects = set(spec.catalog.evidence_effects)
    best: dict[str, dict[str, Any]] = {}
    for edge in edges:
        grade = str(edge.get("grade"))
        cause = str(edge.get("cause"))
        if edge.get("effect") not in effects or grade not in GRADE_RANK:
            continue
        if edge.get("kind") not in (None, "metric", "intervention") or cause.startswith("other causes"):
            continue
        if cause in effects or cause in ("days", "orders_per_day", "volume", "mix", "price"):
            continue
        estimate = edge.get("estimate")
        lever = {
            "metric": cause,
            "label": labels.get(cause, cause.replace("_", " ")),
            "grade": grade,
            "grade_words": GRADE_WORDS[grade],
            "effect": None if estimate is None else float(estimate),
            "effect_low": None if edge.get("ci_low") is None else float(edge["ci_low"]),
            "effect_high": None if edge.get("ci_high") is None else float(edge["ci_high"]),
            "explanation": str(edge.get("explanation") or ""),
            "kind": edge.get("kind") or "metric",
        }
        held = best.get(cause)
        if held is None or _lever_key(lever) < _lever_key(held):
            best[cause] = lever
    return sorted(best.values(), key=_lever_key)[:limit]


def _lever_key(lever: Mapping[str, Any]) -> tuple[int, float]:
    effect = lever.get("effect")
    return GRADE_RANK[lever["grade"]], -abs(effect) if effect is not None else 0.0


def link_plan(
    spec: GoalSpec, plans: Iterable[Mapping[str, Any]], gap: float | None = None
) -> dict[str, Any] | None:
    """The stored plan (a row of ``ml.plans``) that works on the goal's metric, with its steps in words.

    The plan is linked as the optimization assets solved it (not re-solved for the goal); ``gap`` (what the
    goal still lacks against its expected value, in the metric's unit) is compared with the plan's expected
    impact where both are money, so the owner sees whether the plan alone would close it.
    """
    by_type = {str(p["plan_type"]): p for p in plans if p.get("status") in ("optimal", "feasible")}
    for plan_type in spec.catalog.plan_types:
        plan = by_type.get(plan_type)
        if plan is None:
            continue
        steps = [_step(plan_type, d) for d in (plan.get("decisions") or [])][:8]
        impact = plan.get("expected_impact")
        closes = None
        if gap is not None and impact is not None and spec.catalog.unit == "money" and gap > 0:
            closes = float(impact) >= gap
        return {
            "plan_type": plan_type,
            "summary": str(plan.get("explanation") or ""),
            "steps": [s for s in steps if s],
            "expected_impact": None if impact is None else float(impact),
            "currency": plan.get("currency"),
            "gap": gap,
            "closes_gap": closes,
            "solved_for_goal": False,
            "source_asset": "ml_plans",
            "source_run_id": plan.get("run_id"),
        }
    return None


def _step(plan_type: str, decision: Mapping[str, Any]) -> str:
    if plan_type == "budget":
        return (
            f"{decision.get('channel_name')}: spend {decision.get('planned_spend', 0):,.0f} over the plan "
            f"(now {decision.get('current_spend', 0):,.0f})"
        )
    if plan_type == "pricing":
        return (
            f"{decision.get('product_name')}: price {decision.get('current_price', 0):,.2f} -> "
            f"{decision.get('new_price', 0):,.2f}"
        )
    if plan_type == "staffing":
        return (
            f"{decision.get('day_label')}: {decision.get('employee_name')} "
            f"{decision.get('start_hour')}:00-{decision.get('end_hour')}:00"
        )
    if plan_type == "inventory":
        name = decision.get("product_name") or decision.get("product_id")
        quantity = decision.get("order_quantity") or decision.get("quantity")
        return f"{name}: order {quantity}" if quantity is not None else str(name or "")
    return ""
