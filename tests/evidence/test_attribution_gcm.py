"""DoWhy gcm attribution of a month-over-month change: the driver that moved is credited, and the parts
add up to the change the fitted models reproduce, which is close to the observed one."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from models_ml.evidence import EvidenceInputError, EvidenceSettings, attribute_change_gcm, check_evidence

BEFORE = (date(2025, 5, 1), date(2025, 5, 31))
AFTER = (date(2025, 6, 1), date(2025, 6, 30))
PARENTS = {"orders": ("marketing_spend",), "revenue": ("orders", "aov")}


def shop(seed: int = 0) -> pl.DataFrame:
    """61 days: in June marketing spend rises by half, orders follow it, the basket stays the same.

    The two months' spend overlaps, so the orders' response to spend can be told apart from a change in
    how orders respond (with disjoint ranges the attribution is, rightly, too uncertain to report).
    """
    rng = np.random.default_rng(seed)
    days = [BEFORE[0] + timedelta(days=i) for i in range(61)]
    june = np.array([d >= AFTER[0] for d in days])
    spend = np.where(june, 150.0, 100.0) + rng.normal(0, 25, 61)
    orders = 20 + 0.1 * spend + rng.normal(0, 1.5, 61)
    aov = 25 + rng.normal(0, 1, 61)
    return pl.DataFrame(
        {"ds": days, "marketing_spend": spend, "orders": orders, "aov": aov, "revenue": orders * aov}
    )


def test_the_driver_that_moved_is_credited_and_the_parts_add_up() -> None:
    result = attribute_change_gcm(
        shop(), BEFORE, AFTER, target="revenue", parents=PARENTS, settings=EvidenceSettings()
    )
    top = result.contributions[0]
    assert top.node == "marketing_spend"
    assert (
        top.ci_low is not None and top.ci_low > 0.03 and top.grade == "moderate"
    )  # capped: it rests on the assumed graph
    assert result.settings["nodes_too_uncertain"] == []
    total = sum(part.estimate or 0.0 for part in result.contributions)
    assert total == pytest.approx(result.modelled_change, abs=1e-9)
    assert result.modelled_change == pytest.approx(result.observed_change, abs=0.1)
    assert result.observed_change == pytest.approx(5 / 30, abs=0.06)  # orders 30 -> 35, same basket
    aov = next(p for p in result.contributions if p.node == "aov")
    assert aov.estimate is not None and abs(aov.estimate) < 0.05
    edges = result.to_edges("tenant-x")
    assert check_evidence(edges) == []
    assert edges[0].method == "dowhy_gcm_distribution_change"
    assert "other causes of revenue" in {e.cause for e in edges}


def test_too_few_days_or_an_unknown_target_are_refused() -> None:
    with pytest.raises(EvidenceInputError, match="at least 14 needed"):
        attribute_change_gcm(shop().head(40), BEFORE, AFTER, target="revenue", parents=PARENTS)
    with pytest.raises(EvidenceInputError, match="must have parents"):
        attribute_change_gcm(shop(), BEFORE, AFTER, target="aov", parents=PARENTS)
