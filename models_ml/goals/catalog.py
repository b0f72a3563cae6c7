"""The metrics a goal can name: the goal catalogue (what each means, its unit, how it may be aggregated).

Every metric here is read from ``metrics.business_metrics_daily`` (columns named in ``columns``): a plain
metric is one column; a ratio metric (gross margin %, labor cost as a share of revenue) is the sum of a
numerator column over the goal's period divided by the sum of a denominator column, so a goal on it is
judged on the period as a whole, not on an average of daily ratios.

Cash runway is not in the catalogue yet: Keel sees cash in and cash out per day but no bank balance, and a
runway needs the balance (see :data:`UNAVAILABLE`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["money", "count", "ratio"]


@dataclass(frozen=True)
class GoalMetric:
    metric: str
    label: str
    unit: Unit
    aggregations: tuple[str, ...]
    higher_is_better: bool
    numerator: str
    denominator: str | None = None
    """For ratio metrics: the column whose period sum divides the numerator's."""
    plan_types: tuple[str, ...] = ()
    """Plans of the optimization assets (``ml.plans.plan_type``) that move this metric, most direct first."""

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.numerator,) if self.denominator is None else (self.numerator, self.denominator)

    @property
    def ratio_denominator(self) -> str:
        if self.denominator is None:
            raise ValueError(f"{self.label} is not a share of two sums")
        return self.denominator

    @property
    def evidence_effects(self) -> tuple[str, ...]:
        """Names the evidence graph uses for what moves this metric (its columns and itself)."""
        return tuple(dict.fromkeys((self.metric, *self.columns)))


CATALOG: dict[str, GoalMetric] = {
    m.metric: m
    for m in (
        GoalMetric(
            "revenue_net",
            "net revenue",
            "money",
            ("sum", "average"),
            True,
            "revenue_net",
            plan_types=("budget", "pricing", "inventory"),
        ),
        GoalMetric("orders", "orders", "count", ("sum", "average"), True, "orders", plan_types=("budget",)),
        GoalMetric(
            "new_customers",
            "new customers",
            "count",
            ("sum", "average"),
            True,
            "new_customers",
            plan_types=("budget",),
        ),
        GoalMetric(
            "gross_margin",
            "gross profit",
            "money",
            ("sum", "average"),
            True,
            "gross_margin",
            plan_types=("pricing",),
        ),
        GoalMetric(
            "gross_margin_pct",
            "gross margin",
            "ratio",
            ("ratio",),
            True,
            "gross_margin",
            "revenue_net",
            plan_types=("pricing", "inventory"),
        ),
        GoalMetric(
            "labor_cost_share",
            "labor cost as a share of revenue",
            "ratio",
            ("ratio",),
            False,
            "labor_cost",
            "revenue_net",
            plan_types=("staffing",),
        ),
        GoalMetric(
            "marketing_spend_share",
            "ad spend as a share of revenue",
            "ratio",
            ("ratio",),
            False,
            "marketing_spend_total",
            "revenue_net",
            plan_types=("budget",),
        ),
        GoalMetric(
            "mrr",
            "monthly recurring revenue",
            "money",
            ("level", "average"),
            True,
            "mrr",
            plan_types=("pricing", "budget"),
        ),
        GoalMetric(
            "active_subscriptions",
            "active subscriptions",
            "count",
            ("level", "average"),
            True,
            "active_subscriptions",
        ),
    )
}

#: Metrics owners ask for that Keel cannot measure yet, and why (shown instead of a bare refusal).
UNAVAILABLE: dict[str, str] = {
    "cash_runway": "Keel sees the cash coming in and going out each day but not your bank balance, which a "
    "runway needs; connect your bank or accounting balance first.",
}

AGGREGATION_WORDS: dict[str, str] = {
    "sum": "total over the period",
    "level": "value on the deadline",
    "average": "average per day over the period",
    "ratio": "share over the period",
}


def goal_metric(metric: str) -> GoalMetric:
    """The catalogue entry, or a clear error naming what can be chosen."""
    if metric in CATALOG:
        return CATALOG[metric]
    if metric in UNAVAILABLE:
        raise ValueError(UNAVAILABLE[metric])
    choices = ", ".join(f"{m.label} ({m.metric})" for m in CATALOG.values())
    raise ValueError(f"{metric!r} is not a metric a goal can use; choose one of: {choices}")


def format_value(value: float | None, unit: str, currency: str | None = None) -> str:
    """A value in the owner's words: money with its currency, counts whole, ratios as percentages."""
    if value is None or value != value:  # None or NaN
        return "unknown"
    if unit == "ratio":
        return f"{value:.1%}"
    if unit == "money":
        return f"{value:,.0f} {currency}".strip() if currency else f"{value:,.0f}"
    return f"{value:,.0f}"
