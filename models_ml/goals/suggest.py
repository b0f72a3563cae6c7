"""Help an owner set a good goal: the baseline, a suggested target range, and the odds of each target.

- **Baseline**: the goal's aggregate over the same days a year before when the history reaches that far
  ("the same period last year"), else over the period of the same length just before the start.
- **From your own history**: from the baseline (holding steady) to the tenant's best complete month so far,
  scaled to the goal's period (for a metric where lower is better: its lowest month).
- **From peers** (when ``benchmarks.tenant_benchmarks`` publishes the metric for the tenant's peer group):
  a share metric's peer median to its upper quartile (the better side); a revenue goal grows the baseline
  by the peers' median to upper-quartile monthly revenue growth over the goal's months. The peer group is
  named in the note.
- **Candidates**: those range ends, the forecast's median, and any targets the owner typed, each with its
  probability from the same simulated paths; a target more than 95% likely is "not a stretch", one less
  than 5% likely is "unlikely without a change".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from models_ml.goals.catalog import GoalMetric, format_value
from models_ml.goals.evaluate import GoalSpec, first_day, last_day, period_frame, simulate

NOT_A_STRETCH_ABOVE = 0.95
UNLIKELY_BELOW = 0.05
#: Peer metrics of ``benchmarks.tenant_benchmarks`` that set a share goal's range directly.
PEER_SHARE_METRICS = {
    "gross_margin_pct": "gross_margin_pct",
    "labor_cost_share": "labor_cost_share",
    "marketing_spend_share": "marketing_spend_share",
}
#: Goal metrics whose peer range comes from the peers' monthly revenue growth.
PEER_GROWTH_METRICS = ("revenue_net", "gross_margin", "mrr")


@dataclass(frozen=True)
class TargetRange:
    low: float
    high: float
    source: str
    note: str


@dataclass(frozen=True)
class Candidate:
    target: float
    probability: float
    source: str
    warning: str | None


@dataclass(frozen=True)
class GoalProposal:
    metric: str
    label: str
    unit: str
    aggregation: str
    starts_on: date
    deadline: date
    data_through: date
    baseline: float | None
    baseline_note: str
    expected: tuple[float, float, float]
    """10th, 50th and 90th percentile of the simulated outcome."""
    own_range: TargetRange | None
    peer_range: TargetRange | None
    peer_note: str
    candidates: list[Candidate] = field(default_factory=list)
    currency: str | None = None


def target_warning(probability: float) -> str | None:
    """The warning the owner sees for a target this likely (None: a sensible stretch)."""
    if probability > NOT_A_STRETCH_ABOVE:
        return f"Not a stretch: more than {NOT_A_STRETCH_ABOVE:.0%} likely at the current pace."
    if probability < UNLIKELY_BELOW:
        return f"Unlikely without a change: less than {UNLIKELY_BELOW:.0%} likely at the current pace."
    return None


def aggregate(
    frame: pl.DataFrame, entry: GoalMetric, aggregation: str, first: date, last: date
) -> float | None:
    """The goal's aggregate over ``first..last`` from observed days (None when less than half is observed)."""
    window = frame.filter(pl.col("ds").is_between(first, last))
    days = (last - first).days + 1
    if window.height < max(1, days // 2):
        return None
    if aggregation == "level":
        return float(window[entry.numerator][-1])
    if aggregation == "ratio":
        bottom = float(window[entry.ratio_denominator].sum())
        return float(window[entry.numerator].sum()) / bottom if bottom > 0 else None
    total = float(window[entry.numerator].sum())
    if aggregation == "average":
        return total / window.height
    return total * days / window.height  # a sum, scaled up for days missing at the edges


def baseline_for(spec: GoalSpec, frame: pl.DataFrame) -> tuple[float | None, str]:
    entry = spec.catalog
    year_first, year_last = spec.starts_on - timedelta(days=364), spec.deadline - timedelta(days=364)
    if first_day(frame) <= year_first and last_day(frame) >= year_last:
        value = aggregate(frame, entry, spec.aggregation, year_first, year_last)
        if value is not None:
            return value, f"the same period last year ({year_first:%d %b %Y} to {year_last:%d %b %Y})"
    last = min(spec.starts_on - timedelta(days=1), last_day(frame))
    first = last - timedelta(days=spec.days - 1)
    if spec.aggregation == "level":
        value = aggregate(frame, entry, "level", first_day(frame), last)
        return value, f"the latest value before the start ({last:%d %b %Y})"
    value = aggregate(frame, entry, spec.aggregation, first, last)
    return value, f"the {spec.days} days before the start ({first:%d %b %Y} to {last:%d %b %Y})"


def own_range(spec: GoalSpec, frame: pl.DataFrame, baseline: float | None) -> TargetRange | None:
    """From the baseline to the best complete month so far, scaled to the goal's period."""
    entry = spec.catalog
    if baseline is None:
        return None
    months = (
        frame.with_columns(pl.col("ds").dt.truncate("1mo").alias("month"))
        .group_by("month")
        .agg(
            pl.len().alias("days"),
            *(pl.col(c).sum() for c in entry.columns),
            pl.col(entry.numerator).last().alias("last"),
        )
        .filter(pl.col("days") >= 28)
        .sort("month")
    )
    if months.is_empty():
        return None
    values: list[tuple[date, float]] = []
    for row in months.iter_rows(named=True):
        if spec.aggregation == "ratio":
            if row[entry.ratio_denominator] <= 0:
                continue
            value = row[entry.numerator] / row[entry.ratio_denominator]
        elif spec.aggregation == "level":
            value = row["last"]
        elif spec.aggregation == "average":
            value = row[entry.numerator] / row["days"]
        else:
            value = row[entry.numerator] / row["days"] * spec.days
        values.append((row["month"], float(value)))
    if not values:
        return None
    better = max if entry.higher_is_better else min
    month, best = better(values, key=lambda item: item[1])
    if (best <= baseline) if entry.higher_is_better else (best >= baseline):
        best = baseline * (1.05 if entry.higher_is_better else 0.95)
        note = "from holding your recent level to 5% better (no month so far beat it)"
    else:
        note = f"from holding your recent level to matching your best month so far ({month:%B %Y})"
    return TargetRange(baseline, best, "your own history", note)


def peer_range(
    spec: GoalSpec, baseline: float | None, peers: Mapping[str, Mapping[str, Any]] | None
) -> tuple[TargetRange | None, str]:
    """The range from published peer percentiles (``peers``: metric -> a row of tenant_benchmarks)."""
    entry = spec.catalog
    if not peers:
        return (
            None,
            "No peer benchmarks are published for your peer group yet (too few comparable businesses).",
        )
    if entry.metric in PEER_SHARE_METRICS and spec.aggregation == "ratio":
        row = peers.get(PEER_SHARE_METRICS[entry.metric])
        if row and row.get("p50") is not None:
            better = row.get("p75") if entry.higher_is_better else row.get("p25")
            if better is not None:
                group = (
                    f"{row.get('peer_group')} ({row.get('peer_count')} businesses, {row.get('metric_month')})"
                )
                return (
                    TargetRange(
                        float(row["p50"]),
                        float(better),
                        "peer benchmarks",
                        f"from the peer median to the better quarter of {group}",
                    ),
                    group,
                )
    if entry.metric in PEER_GROWTH_METRICS and baseline is not None and spec.aggregation != "ratio":
        row = peers.get("revenue_growth_mom")
        if row and row.get("p50") is not None and row.get("p75") is not None:
            months = spec.days / 30.44
            group = f"{row.get('peer_group')} ({row.get('peer_count')} businesses, {row.get('metric_month')})"
            low = baseline * (1 + float(row["p50"])) ** months
            high = baseline * (1 + float(row["p75"])) ** months
            return (
                TargetRange(
                    min(low, high),
                    max(low, high),
                    "peer benchmarks",
                    "your baseline grown at the monthly revenue growth of the median to the upper quarter "
                    f"of {group}",
                ),
                group,
            )
    return None, f"Peers publish no benchmark that maps onto {entry.label} goals."


def nice(value: float, unit: str) -> float:
    """Round a suggested target the way an owner would say it (three significant digits; 0.1% for shares)."""
    if not math.isfinite(value) or value == 0:
        return value
    if unit == "ratio":
        return round(value, 3)
    digits = 3 - math.floor(math.log10(abs(value))) - 1
    return round(value, digits) if digits > 0 else float(round(value, digits))


def propose_goal(
    metric: str,
    aggregation: str,
    starts_on: date,
    deadline: date,
    history: pl.DataFrame,
    *,
    direction: str | None = None,
    peers: Mapping[str, Mapping[str, Any]] | None = None,
    targets: Iterable[float] = (),
    currency: str | None = None,
    n_paths: int = 2000,
    seed: int = 0,
) -> GoalProposal:
    """Baseline, ranges and scored candidate targets for a goal being set (see the module docstring)."""
    from models_ml.forecasting import probability_of  # here, not at import: see models_ml/goals/evaluate.py
    from models_ml.goals.catalog import goal_metric

    entry = goal_metric(metric)
    direction = direction or ("at_least" if entry.higher_is_better else "at_most")
    probe = GoalSpec(metric, aggregation, 0.0, starts_on, deadline, direction, currency=currency)
    probe.validate()
    frame = period_frame(history, probe)
    baseline, baseline_note = baseline_for(probe, frame)
    spec = GoalSpec(metric, aggregation, 0.0, starts_on, deadline, direction, baseline, currency)
    outcomes = simulate(spec, history, n_paths=n_paths, seed=seed).outcomes
    p10, p50, p90 = (float(q) for q in np.quantile(outcomes, [0.1, 0.5, 0.9]))
    own = own_range(spec, frame, baseline)
    peer, peer_note = peer_range(spec, baseline, peers)

    proposed: dict[float, str] = {}

    def offer(value: float | None, source: str) -> None:
        if value is not None and math.isfinite(value):
            proposed.setdefault(nice(value, entry.unit), source)

    for value in targets:
        offer(float(value), "your target")
    offer(p50, "the forecast's middle")
    safe, stretch = (p10, p90) if direction == "at_least" else (p90, p10)
    offer(safe, "a safe target (about 9 in 10)")
    offer(stretch, "a stretch (about 1 in 10)")
    if own is not None:
        offer(own.low, "hold your recent level")
        offer(own.high, "your best month so far")
    if peer is not None:
        offer(peer.low, "peer median")
        offer(peer.high, "peers' better quarter")
    candidates = [
        Candidate(target, probability_of(outcomes, target, direction), source, None)  # type: ignore[arg-type]
        for target, source in proposed.items()
    ]
    candidates = [
        Candidate(c.target, c.probability, c.source, target_warning(c.probability)) for c in candidates
    ]
    candidates.sort(key=lambda c: c.target, reverse=not entry.higher_is_better)
    return GoalProposal(
        metric=metric,
        label=entry.label,
        unit=entry.unit,
        aggregation=aggregation,
        starts_on=starts_on,
        deadline=deadline,
        data_through=last_day(frame),
        baseline=baseline,
        baseline_note=f"{format_value(baseline, entry.unit, currency)}: {baseline_note}",
        expected=(p10, p50, p90),
        own_range=own,
        peer_range=peer,
        peer_note=peer_note,
        candidates=candidates,
        currency=currency,
    )
