"""Which plans fit which kind of business: a subscription company or a B2B firm gets "not applicable to
this kind of business" with the reason for inventory, staffing and pricing, never an empty plan."""

from __future__ import annotations

import pytest

from models_ml.optimization.tenant_plans import NOT_FOR_KIND, PLAN_TYPES, PLANS_NOT_FOR_KIND, kind_row

KINDS = ("retail", "food", "services", "b2b", "subscription")


def test_every_kind_is_decided_and_shops_get_every_plan() -> None:
    assert set(PLANS_NOT_FOR_KIND) == set(KINDS)
    for kind in ("retail", "food"):
        assert all(kind_row("t", plan, kind, "run") is None for plan in PLAN_TYPES)


@pytest.mark.parametrize("kind", ["b2b", "subscription"])
def test_service_firms_and_subscriptions_get_reasons_for_the_plans_that_do_not_fit(kind: str) -> None:
    rows = {plan: kind_row("t", plan, kind, "run", "CA$") for plan in PLAN_TYPES}
    assert rows["budget"] is None  # ads can be planned for any business that runs them
    for plan in ("inventory", "staffing", "pricing"):
        row = rows[plan]
        assert row is not None
        assert row["status"] == "not_applicable" and row["plan_type"] == plan
        assert row["explanation"].startswith(f"{NOT_FOR_KIND}: ") and len(row["explanation"]) > 60
        assert row["inputs"] == {"business_kind": kind, "applies_to_kind": False}
        assert row["decisions"] == [] and row["problem"] is None and row["currency"] == "CA$"


def test_a_salon_keeps_no_stock_but_schedules_and_prices() -> None:
    assert kind_row("t", "inventory", "services", "run") is not None
    assert all(kind_row("t", plan, "services", "run") is None for plan in ("staffing", "pricing", "budget"))
    assert kind_row("t", "inventory", "a kind nobody knows", "run") is None  # unknown: the data decides
