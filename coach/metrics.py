"""The daily metrics a coach answer may talk about, in the owner's words, and how each adds up over a period.

The names are the columns of ``metrics.business_metrics_daily`` (dbt documents each one). ``sum`` metrics
add up over days, ``level`` metrics are read on the period's last day (a subscription count), and
``ratio`` metrics are a sum divided by another sum over the same days (average order, margin share).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["money", "count", "share"]
Aggregation = Literal["sum", "level", "ratio"]


@dataclass(frozen=True)
class MetricSpec:
    name: str
    label: str  # in a sentence: "net revenue"
    kind: Kind
    aggregation: Aggregation
    synonyms: tuple[str, ...] = ()
    numerator: str | None = None  # for a ratio
    denominator: str | None = None
    higher_is_better: bool = True


METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "revenue_net", "net revenue", "money", "sum", ("revenue", "sales", "takings", "turnover", "income")
    ),
    MetricSpec("revenue_gross", "gross revenue", "money", "sum", ("gross sales",)),
    MetricSpec("orders", "orders", "count", "sum", ("transactions", "sales count", "tickets", "visits")),
    MetricSpec(
        "average_order_value",
        "average order value",
        "money",
        "ratio",
        ("average order", "average ticket", "basket size", "average sale", "aov"),
        numerator="revenue_net",
        denominator="orders",
    ),
    MetricSpec("gross_margin", "gross margin", "money", "sum", ("gross profit", "margin", "profit")),
    MetricSpec(
        "gross_margin_pct",
        "gross margin share",
        "share",
        "ratio",
        ("margin percentage", "margin percent", "margin rate"),
        numerator="gross_margin",
        denominator="revenue_net",
    ),
    MetricSpec("new_customers", "new customers", "count", "sum", ("new clients", "first-time customers")),
    MetricSpec("returning_customers", "returning customers", "count", "sum", ("repeat customers",)),
    MetricSpec(
        "labor_cost",
        "labor cost",
        "money",
        "sum",
        ("wages", "payroll", "staff cost", "wage bill"),
        higher_is_better=False,
    ),
    MetricSpec(
        "labor_hours", "labor hours", "count", "sum", ("staff hours", "hours worked"), higher_is_better=False
    ),
    MetricSpec(
        "marketing_spend_total",
        "marketing spend",
        "money",
        "sum",
        ("advertising", "ad spend", "marketing"),
        higher_is_better=False,
    ),
    MetricSpec("discounts", "discounts", "money", "sum", ("promotions given",), higher_is_better=False),
    MetricSpec("refunds", "refunds", "money", "sum", ("returns",), higher_is_better=False),
    MetricSpec(
        "cogs",
        "cost of goods sold",
        "money",
        "sum",
        ("cost of goods", "cogs", "product cost"),
        higher_is_better=False,
    ),
    MetricSpec("cash_in", "cash received", "money", "sum", ("cash in", "money in", "cash coming in")),
    MetricSpec(
        "cash_out",
        "cash paid out",
        "money",
        "sum",
        ("cash out", "money out", "spending"),
        higher_is_better=False,
    ),
    MetricSpec("mrr", "monthly recurring revenue", "money", "level", ("mrr", "recurring revenue")),
    MetricSpec(
        "active_subscriptions", "active subscriptions", "count", "level", ("subscribers", "subscriptions")
    ),
)
BY_NAME: dict[str, MetricSpec] = {spec.name: spec for spec in METRICS}
DEFAULT_METRIC = "revenue_net"


def spec(name: str) -> MetricSpec:
    return BY_NAME[name]
