"""Forecaster tools: a metric's stored forecast over a period with its interval, the chance of reaching a
target the owner names, and the staffing the roster plan needs on a weekday.

Nothing is refitted: everything comes from the chosen model's rows of ``ml.forecasts`` (point, 80% and
95% bounds per day, written by the forecasting asset) plus the days already observed. The interval and
the probability of a sum over days treat the days' errors as moving together (one normal score per
future path: a slow month stays slow), the same dependence the goal-probability simulation of
:mod:`models_ml.forecasting.goal` keeps; each day's distribution is the one its stored quantiles
describe, read with :func:`models_ml.optimization.scenarios.quantile_function`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from scipy.stats import norm

from coach.core import Citation, CoachContext, ToolResult
from coach.tools._db import rows, tenant_connection
from coach.tools.general import _metric, _period, _value, metrics_build
from models_ml.optimization.scenarios import quantile_function

#: Quantile levels of the stored columns lo_95, lo_80, point, hi_80, hi_95.
LEVELS = np.array([0.025, 0.10, 0.5, 0.90, 0.975])


def _stored(conn: Any, metric: str) -> list[dict[str, Any]]:
    return rows(
        conn,
        "select ds, point, lo_80, hi_80, lo_95, hi_95, model, run_id, created_at from ml.forecasts "
        "where tenant_id = (select app.current_tenant_id()) and metric = %s and is_chosen order by ds",
        (metric,),
    )


def forecast_metrics(ctx: CoachContext) -> list[str]:
    with tenant_connection(ctx.tenant_id) as conn:
        found = rows(
            conn,
            "select distinct metric from ml.forecasts where tenant_id = (select app.current_tenant_id()) "
            "order by 1",
        )
    return [r["metric"] for r in found]


def _citation(stored: list[dict[str, Any]], last_actual: dt.date | None) -> Citation:
    first = stored[0]
    return Citation("ml/forecasts", first["run_id"], first["created_at"], last_actual, "Forecasts")


def _sum_at(days: list[dict[str, Any]], probability: float) -> float:
    """The sum over ``days`` when every day sits at the same quantile (errors that move together)."""
    return float(_totals(days, np.array([probability]))[0])


def _totals(days: list[dict[str, Any]], probabilities: np.ndarray) -> np.ndarray:
    """The sum over ``days`` at each of ``probabilities`` (one quantile function call per day)."""
    total = np.zeros(probabilities.shape)
    for day in days:
        values = np.array([day["lo_95"], day["lo_80"], day["point"], day["hi_80"], day["hi_95"]], dtype=float)
        total += quantile_function(LEVELS, values, probabilities)
    return total


def forecast_metric(ctx: CoachContext, metric: str, start: dt.date, end: dt.date) -> ToolResult:
    """The metric over a period from the stored forecast (days already observed count as observed)."""
    spec = _metric(metric)
    _period(start, end)
    with tenant_connection(ctx.tenant_id) as conn:
        stored = _stored(conn, spec.name)
        build = metrics_build(ctx)
        last_actual: dt.date | None = build["last_day"]
        observed_end = min(end, last_actual) if last_actual else None
        realized = 0.0
        observed_days = 0
        if observed_end is not None and observed_end >= start and spec.aggregation == "sum":
            value, observed_days = _value(conn, spec, start, observed_end)
            realized = float(value or 0.0)
    facts: dict[str, Any] = {
        "metric": spec.name,
        "label": spec.label,
        "kind": spec.kind,
        "aggregation": spec.aggregation,
        "start": start,
        "end": end,
        "last_actual": last_actual,
        "available": bool(stored),
    }
    if not stored:
        return ToolResult(
            "forecast_metric", facts, [Citation("ml/forecasts", None, None, last_actual, "Forecasts")]
        )
    horizon_end = stored[-1]["ds"]
    if end > horizon_end and start <= horizon_end:
        # The forecast stops before the period does: answer for the part it reaches, and say so.
        end = horizon_end
        facts["end"] = end
        facts["clipped"] = True
    days = [d for d in stored if start <= d["ds"] <= end]
    facts.update(
        {
            "horizon_end": horizon_end,
            "model": stored[0]["model"],
            "forecast_days": len(days),
            "covered": bool(days) and days[-1]["ds"] >= end,
            "realized": realized,
            "observed_days": observed_days,
        }
    )
    if days and spec.aggregation == "sum":
        facts.update(
            {
                "expected": realized + sum(float(d["point"]) for d in days),
                "lower_80": realized + _sum_at(days, 0.10),
                "upper_80": realized + _sum_at(days, 0.90),
            }
        )
    elif days:
        last = days[-1]
        facts.update(
            {
                "expected": float(last["point"]),
                "lower_80": float(last["lo_80"]),
                "upper_80": float(last["hi_80"]),
                "on": last["ds"],
            }
        )
    table = [
        {
            "day": d["ds"],
            "expected": float(d["point"]),
            "low_80": float(d["lo_80"]),
            "high_80": float(d["hi_80"]),
        }
        for d in days
    ]
    return ToolResult("forecast_metric", facts, [_citation(stored, last_actual)], rows=table)


def probability_of_target(
    ctx: CoachContext, metric: str, target: float, start: dt.date, end: dt.date
) -> ToolResult:
    """The chance that the metric's total over a period reaches ``target`` (from the stored forecast)."""
    spec = _metric(metric)
    _period(start, end)
    if not np.isfinite(target) or target <= 0:
        from coach.errors import CoachInputError

        raise CoachInputError(
            f"the target {target!r} is not a positive amount", "name a target such as $40,000"
        )
    result = forecast_metric(ctx, spec.name, start, end)
    facts = dict(result.facts)
    facts["target"] = float(target)
    days = [r for r in result.rows]
    stored_days = _days_for(ctx, spec.name, start, end) if days else []
    if not facts.get("available") or not stored_days or facts.get("clipped") or not facts.get("covered"):
        facts["probability"] = None
        return ToolResult("probability_of_target", facts, result.citations, rows=result.rows)
    realized = float(facts["realized"]) if spec.aggregation == "sum" else 0.0
    summed = stored_days if spec.aggregation == "sum" else stored_days[-1:]
    facts["probability"] = _probability(realized + _totals(summed, norm.cdf(Z_GRID)), float(target))
    return ToolResult("probability_of_target", facts, result.citations, rows=result.rows)


#: Normal scores at which the total is evaluated; the chance is read off between neighbours.
Z_GRID = np.linspace(-6.0, 6.0, 4801)


def _probability(totals: np.ndarray, target: float) -> float:
    """P(total(Z) >= target) for Z standard normal, the total non-decreasing in Z (given on ``Z_GRID``)."""
    if totals[0] >= target:
        return 1.0
    if totals[-1] < target:
        return 0.0
    above = int(np.argmax(totals >= target))
    low, high = totals[above - 1], totals[above]
    share = (target - low) / (high - low) if high > low else 1.0
    z = Z_GRID[above - 1] + share * (Z_GRID[above] - Z_GRID[above - 1])
    return float(1.0 - norm.cdf(z))


def _days_for(ctx: CoachContext, metric: str, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    with tenant_connection(ctx.tenant_id) as conn:
        return [d for d in _stored(conn, metric) if start <= d["ds"] <= end]
