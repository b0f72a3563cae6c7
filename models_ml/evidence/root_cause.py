"""Root cause of a change: split a metric's move between its drivers so the parts add up exactly.

When revenue falls 12% month over month, the owner's first question is "is it fewer orders,
smaller baskets, or a shorter month?". The metric is written as a product of factors (an
accounting identity), and the change is split between the factors with Shapley values: each
factor's contribution is its average marginal effect over every order in which the factors could
switch from the earlier period's value to the later one. The contributions add up exactly to the
change (efficiency of Shapley values), with no residual and no order dependence.

Identities provided:

- ``revenue = days * orders per day * average order value`` over a period
  (:func:`attribute_revenue_change`);
- ``revenue = units * Σ share_p * price_p`` over products, that is volume * mix * price
  (:func:`attribute_price_volume_mix`).

These are accounting, not causal claims about why orders moved; the edges say so and are graded
strong because the arithmetic is exact. Intervention effects and drivers explain the factors.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from models_ml.evidence.errors import EvidenceInputError
from models_ml.evidence.panel import validate_panel
from models_ml.evidence.records import EvidenceEdge, to_json

Period = tuple[date, date]


def shapley_decomposition(
    value: Callable[[Mapping[str, Any]], float], before: Mapping[str, Any], after: Mapping[str, Any]
) -> dict[str, float]:
    """Exact Shapley split of ``value(after) - value(before)`` between the factors (the keys).

    ``value`` maps a full set of factor values to the metric. Every subset of factors is
    evaluated once (2**k evaluations; k is 2 or 3 here), so the split is exact.
    """
    if set(before) != set(after):
        raise EvidenceInputError(
            f"before and after must name the same factors, got {sorted(before)} and {sorted(after)}"
        )
    factors = list(before)
    k = len(factors)
    if k == 0:
        raise EvidenceInputError("at least one factor is needed")
    cache: dict[frozenset[str], float] = {}

    def evaluate(switched: frozenset[str]) -> float:
        if switched not in cache:
            cache[switched] = float(value({f: (after[f] if f in switched else before[f]) for f in factors}))
        return cache[switched]

    contributions = dict.fromkeys(factors, 0.0)
    for factor in factors:
        others = [f for f in factors if f != factor]
        for size in range(k):
            weight = math.factorial(size) * math.factorial(k - size - 1) / math.factorial(k)
            for subset in itertools.combinations(others, size):
                base = frozenset(subset)
                contributions[factor] += weight * (evaluate(base | {factor}) - evaluate(base))
    return contributions


@dataclass(frozen=True)
class Contribution:
    """One driver's part of the change, in the metric's units, and its share of the change."""

    driver: str
    amount: float
    share: float
    before: float
    after: float


@dataclass(frozen=True)
class ChangeAttribution:
    """A metric's change between two periods, split into ranked contributions that sum to it."""

    metric: str
    identity: str
    before_period: Period
    after_period: Period
    before: float
    after: float
    contributions: tuple[Contribution, ...]

    @property
    def change(self) -> float:
        return self.after - self.before

    @property
    def relative_change(self) -> float:
        return self.change / self.before if self.before else math.nan

    def to_edges(self, tenant_id: str) -> list[EvidenceEdge]:
        edges = []
        before, after = self.before_period, self.after_period
        span = f"{before[0]}..{before[1]} to {after[0]}..{after[1]}"
        for rank, part in enumerate(self.contributions, start=1):
            edges.append(
                EvidenceEdge(
                    tenant_id=tenant_id,
                    cause=part.driver,
                    effect=self.metric,
                    method="shapley_decomposition",
                    estimand=f"contribution to the change in {self.metric} from {span} ({self.metric} units)",
                    estimate=part.amount,
                    ci_low=part.amount,
                    ci_high=part.amount,
                    p_value=None,
                    refutations=to_json([]),
                    grade="strong",
                    assumptions=(
                        f"Accounting identity {self.identity}: the split "
                        "is exact arithmetic (Shapley values over "
                        "the factors), not a claim about why each factor moved."
                    ),
                    reason=None,
                    explanation=(
                        f"{part.driver.replace('_', ' ').capitalize()} "
                        f"accounts for {part.amount:+,.2f} of the "
                        f"{self.change:+,.2f} change in {self.metric} "
                        f"({self.relative_change:+.1%}), rank {rank}."
                    ),
                    settings=to_json(
                        {
                            "identity": self.identity,
                            "rank": rank,
                            "share": part.share,
                            "factor_before": part.before,
                            "factor_after": part.after,
                            "metric_before": self.before,
                            "metric_after": self.after,
                        }
                    ),
                    is_primary=False,
                )
            )
        return edges


def _ranked(
    metric: str,
    identity: str,
    periods: tuple[Period, Period],
    totals: tuple[float, float],
    amounts: Mapping[str, float],
    factor_values: tuple[Mapping[str, float], Mapping[str, float]],
) -> ChangeAttribution:
    change = totals[1] - totals[0]
    parts = sorted(
        (
            Contribution(
                driver=name,
                amount=amount,
                share=amount / change if change else math.nan,
                before=factor_values[0][name],
                after=factor_values[1][name],
            )
            for name, amount in amounts.items()
        ),
        key=lambda part: -abs(part.amount),
    )
    return ChangeAttribution(metric, identity, periods[0], periods[1], totals[0], totals[1], tuple(parts))


def _check_period(period: Period, name: str) -> Period:
    if len(period) != 2 or period[0] > period[1]:
        raise EvidenceInputError(f"{name} must be (first day, last day) with first <= last, got {period}")
    return period


def _in_period(frame: pl.DataFrame, period: Period) -> pl.DataFrame:
    return frame.filter((pl.col("ds") >= period[0]) & (pl.col("ds") <= period[1]))


def attribute_revenue_change(
    panel: pl.DataFrame,
    before: Period,
    after: Period,
    *,
    revenue: str = "revenue",
    orders: str = "orders",
) -> ChangeAttribution:
    """Split the change in total revenue into days, orders per day and average order value."""
    _check_period(before, "before")
    _check_period(after, "after")
    panel = validate_panel(panel, required=[revenue, orders])
    values = []
    totals = []
    for period, name in ((before, "before"), (after, "after")):
        rows = _in_period(panel, period).drop_nulls([revenue, orders])
        total_orders = float(rows[orders].sum())
        if rows.height == 0 or total_orders <= 0:
            raise EvidenceInputError(f"the {name} period {period} has no days with orders")
        total_revenue = float(rows[revenue].sum())
        values.append(
            {
                "days": float(rows.height),
                "orders_per_day": total_orders / rows.height,
                "average_order_value": total_revenue / total_orders,
            }
        )
        totals.append(total_revenue)
    amounts = shapley_decomposition(
        lambda f: f["days"] * f["orders_per_day"] * f["average_order_value"], *values
    )
    return _ranked(
        revenue,
        "revenue = days * orders per day * average order value",
        (before, after),
        (totals[0], totals[1]),
        amounts,
        (values[0], values[1]),
    )


def attribute_price_volume_mix(
    product_sales: pl.DataFrame,
    before: Period,
    after: Period,
    *,
    product_column: str = "product_id",
    price_column: str = "price",
    quantity_column: str = "units",
) -> ChangeAttribution:
    """Split the change in product revenue into volume (units), mix (unit shares) and price.

    Revenue per product is price * units summed over days; a product's period price is its
    revenue over its units. A product sold in one period only keeps that period's price in the
    other, so its appearance or disappearance counts as mix and volume, not as price.
    """
    _check_period(before, "before")
    _check_period(after, "after")
    for column in ("ds", product_column, price_column, quantity_column):
        if column not in product_sales.columns:
            raise EvidenceInputError(f"product_sales has no column {column!r}")
    sales = product_sales.with_columns((pl.col(price_column) * pl.col(quantity_column)).alias("_revenue"))
    summaries = []
    for period, name in ((before, "before"), (after, "after")):
        rows = (
            _in_period(sales, period)
            .group_by(product_column)
            .agg(pl.col(quantity_column).sum().alias("units"), pl.col("_revenue").sum().alias("revenue"))
        )
        rows = rows.filter(pl.col("units") > 0)
        if rows.height == 0:
            raise EvidenceInputError(f"the {name} period {period} has no units sold")
        summaries.append(
            {str(r[product_column]): (float(r["units"]), float(r["revenue"])) for r in rows.to_dicts()}
        )
    products = sorted(set(summaries[0]) | set(summaries[1]))

    def price_of(product: str, which: int) -> float:
        own = summaries[which].get(product) or summaries[1 - which][product]
        return own[1] / own[0]

    factor_sets = []
    for which in (0, 1):
        units = np.array([summaries[which].get(p, (0.0, 0.0))[0] for p in products])
        factor_sets.append(
            {
                "volume": float(units.sum()),
                "mix": units / units.sum(),
                "price": np.array([price_of(p, which) for p in products]),
            }
        )

    def revenue_of(factors: Mapping[str, Any]) -> float:
        return float(factors["volume"] * np.dot(factors["mix"], factors["price"]))

    amounts = shapley_decomposition(revenue_of, factor_sets[0], factor_sets[1])
    totals = (revenue_of(factor_sets[0]), revenue_of(factor_sets[1]))
    # Summaries of the vector factors for the edges: average price at fixed mix, and mix as the
    # average price at fixed prices.
    summary = tuple(
        {
            "volume": factor_sets[w]["volume"],
            "mix": float(np.dot(factor_sets[w]["mix"], factor_sets[0]["price"])),
            "price": float(np.dot(factor_sets[0]["mix"], factor_sets[w]["price"])),
        }
        for w in (0, 1)
    )
    return _ranked(
        "product_revenue",
        "product revenue = units * Σ share * price (volume * mix * price)",
        (before, after),
        totals,
        amounts,
        (summary[0], summary[1]),
    )


def month_periods(month_start: date) -> tuple[Period, Period]:
    """(previous month, the month starting at ``month_start``), as inclusive day ranges."""
    if month_start.day != 1:
        raise EvidenceInputError(f"month_start must be the first day of a month, got {month_start}")
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    previous = (month_start - timedelta(days=1)).replace(day=1)
    return (previous, month_start - timedelta(days=1)), (month_start, next_month - timedelta(days=1))


def last_full_month(panel: pl.DataFrame) -> date:
    """First day of the last calendar month the panel covers to its last day."""
    panel = validate_panel(panel)
    last = panel["ds"].max()
    if not isinstance(last, date):
        raise EvidenceInputError("panel.ds has no dates")
    this_month = last.replace(day=1)
    if (last + timedelta(days=1)).day == 1:
        return this_month
    return (this_month - timedelta(days=1)).replace(day=1)
