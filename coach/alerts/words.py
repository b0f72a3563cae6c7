"""Owner's words for alerts: money with its currency, dates as dates, metrics by name (no column names)."""

from __future__ import annotations

import datetime as dt
import math

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

LOCALE = "en_US"

#: How an owner calls each metric of the catalogue, and what kind of number it is.
METRICS: dict[str, tuple[str, str]] = {
    "revenue_net": ("net revenue", "money"),
    "revenue_gross": ("gross revenue", "money"),
    "orders": ("orders", "count"),
    "new_customers": ("new customers", "count"),
    "average_order_value": ("average order value", "money"),
    "gross_margin": ("gross margin", "money"),
    "gross_margin_pct": ("gross margin", "percent"),
    "labor_cost": ("labor cost", "money"),
    "labor_cost_pct": ("labor cost as a share of revenue", "percent"),
    "labor_cost / revenue_net": ("labor cost as a share of revenue", "percent"),
    "mrr": ("monthly recurring revenue", "money"),
    "cash_runway_months": ("cash runway", "months"),
    "cash_runway": ("cash runway", "months"),
    "ad_spend": ("ad spend", "money"),
    "refunds": ("refunds", "money"),
}


def metric_label(metric: str) -> str:
    return METRICS.get(metric, (metric.replace("_", " "), "number"))[0]


def metric_unit(metric: str) -> str:
    if metric in METRICS:
        return METRICS[metric][1]
    if metric.endswith(("_pct", "_rate", "_share")) or "/" in metric:
        return "percent"
    return "number"


def money(value: float, currency: str) -> str:
    return format_currency(value, currency, locale=LOCALE)


def amount(value: float, metric: str, currency: str) -> str:
    """A value of ``metric`` as an owner reads it (money with currency, a share as a percentage ...)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "unknown"
    unit = metric_unit(metric)
    if unit == "money":
        return money(value, currency)
    if unit == "percent":
        # Stored either as a fraction (0.28) or as points (28.0).
        return format_percent(value if abs(value) <= 1.5 else value / 100, "#,##0.#%", locale=LOCALE)
    if unit == "months":
        return f"{format_decimal(value, '#,##0.#', locale=LOCALE)} months"
    if unit == "count":
        return format_decimal(round(value), "#,##0", locale=LOCALE)
    return format_decimal(value, "#,##0.##", locale=LOCALE)


def day(value: dt.date | dt.datetime) -> str:
    return format_date(value, "d MMMM y", locale=LOCALE)


def month(value: dt.date) -> str:
    return format_date(value, "MMMM y", locale=LOCALE)


def percent(value: float) -> str:
    return format_percent(value, "#,##0%", locale=LOCALE)
