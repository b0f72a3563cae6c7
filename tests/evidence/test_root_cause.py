"""Root cause of a change: exact Shapley splits that add up to the change."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest

from models_ml.evidence import (
    EvidenceInputError,
    attribute_price_volume_mix,
    attribute_revenue_change,
    check_evidence,
    shapley_decomposition,
)
from models_ml.evidence.root_cause import last_full_month, month_periods


def _product(values: Mapping[str, Any]) -> float:
    return math.prod(values.values())


@pytest.mark.parametrize("seed", range(5))
def test_shapley_contributions_add_up_exactly(seed: int) -> None:
    rng = np.random.default_rng(seed)
    names = ["a", "b", "c"][: 2 + seed % 2]
    before = {n: float(rng.uniform(0.5, 2.0)) for n in names}
    after = {n: float(rng.uniform(0.5, 2.0)) for n in names}
    parts = shapley_decomposition(_product, before, after)
    assert math.isclose(sum(parts.values()), _product(after) - _product(before), rel_tol=1e-12, abs_tol=1e-12)


def test_shapley_gives_nothing_to_an_unchanged_factor() -> None:
    parts = shapley_decomposition(_product, {"a": 2.0, "b": 3.0}, {"a": 2.0, "b": 4.0})
    assert parts["a"] == 0.0 and parts["b"] == pytest.approx(2.0)


def _panel(days: int, start: date, orders: float, aov: float) -> pl.DataFrame:
    ds = [start + timedelta(days=i) for i in range(days)]
    return pl.DataFrame({"ds": ds, "orders": [orders] * days, "revenue": [orders * aov] * days})


def test_revenue_drop_of_12_percent_is_split_and_ranked() -> None:
    # November: 30 days x 100 orders x 50. December: 31 days, orders down 20%, baskets up 6.5%.
    panel = pl.concat(
        [_panel(30, date(2024, 11, 1), 100.0, 50.0), _panel(31, date(2024, 12, 1), 80.0, 53.25)]
    )
    before, after = month_periods(date(2024, 12, 1))
    result = attribute_revenue_change(panel, before, after)
    assert result.relative_change == pytest.approx(31 * 80 * 53.25 / (30 * 100 * 50) - 1)
    assert -0.13 < result.relative_change < -0.11
    total = sum(part.amount for part in result.contributions)
    assert total == pytest.approx(result.change, rel=1e-12)
    assert result.contributions[0].driver == "orders_per_day"
    amounts = [abs(part.amount) for part in result.contributions]
    assert amounts == sorted(amounts, reverse=True)
    assert sum(part.share for part in result.contributions) == pytest.approx(1.0)
    edges = result.to_edges("tenant-x")
    assert check_evidence(edges) == []
    assert sum(edge.estimate or 0.0 for edge in edges) == pytest.approx(result.change)


def test_price_volume_mix_adds_up_with_new_and_dropped_products(business_a) -> None:
    sales = business_a.product_sales
    before, after = month_periods(date(2024, 6, 1))
    # P4 stops selling in June and P5 starts: mix and volume absorb them, price does not.
    sales = sales.filter(~((pl.col("product_id") == "P4") & (pl.col("ds") >= after[0])))
    newcomer = sales.filter((pl.col("product_id") == "P1") & (pl.col("ds") >= after[0])).with_columns(
        pl.lit("P5").alias("product_id")
    )
    sales = pl.concat([sales, newcomer])
    result = attribute_price_volume_mix(sales, before, after)
    revenue = sales.with_columns((pl.col("price") * pl.col("units")).alias("r"))
    expected_before = revenue.filter(pl.col("ds").is_between(*before))["r"].sum()
    expected_after = revenue.filter(pl.col("ds").is_between(*after))["r"].sum()
    assert result.before == pytest.approx(expected_before) and result.after == pytest.approx(expected_after)
    assert sum(part.amount for part in result.contributions) == pytest.approx(result.change, rel=1e-10)
    assert {part.driver for part in result.contributions} == {"volume", "mix", "price"}
    assert check_evidence(result.to_edges("tenant-x")) == []


def test_month_helpers_and_bad_periods(business_a) -> None:
    assert month_periods(date(2024, 3, 1)) == (
        (date(2024, 2, 1), date(2024, 2, 29)),
        (date(2024, 3, 1), date(2024, 3, 31)),
    )
    assert last_full_month(business_a.panel) == date(2024, 12, 1)  # the panel ends on 2025-01-01
    with pytest.raises(EvidenceInputError, match="first day of a month"):
        month_periods(date(2024, 3, 2))
    with pytest.raises(EvidenceInputError, match="first <= last"):
        attribute_revenue_change(
            business_a.panel, (date(2024, 3, 2), date(2024, 3, 1)), (date(2024, 4, 1), date(2024, 4, 2))
        )
    with pytest.raises(EvidenceInputError, match="no days with orders"):
        attribute_revenue_change(
            business_a.panel, (date(2030, 1, 1), date(2030, 1, 2)), (date(2024, 4, 1), date(2024, 4, 2))
        )
