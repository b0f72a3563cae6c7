"""Ground truth: every intervention is there, its true effect is exactly the world minus its counterfactual,
and the confounded cases fool a before/after comparison."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from ingestion.demo import INTERVENTIONS, DemoWorld, GroundTruthEffect, Intervention, simulate


def _row(rows: list[GroundTruthEffect], intervention_id: str) -> GroundTruthEffect:
    return next(r for r in rows if r.intervention_id == intervention_id)


def test_every_intervention_and_channel_has_a_ground_truth_row(full_world: DemoWorld) -> None:
    rows = full_world.ground_truth
    ids = {r.intervention_id for r in rows}
    assert {i.intervention_id for i in INTERVENTIONS} <= ids
    kinds = {r.kind for r in rows}
    assert kinds == {
        "promotion",
        "price_change",
        "staffing_change",
        "marketing_campaign",
        "marketing_response",
    }
    for row in rows:
        assert row.active_days > 0 and row.tenant_id == str(full_world.tenant(row.tenant_slug).tenant_id)
        assert np.isfinite(row.true_effect_abs_daily) and np.isfinite(row.true_effect_rel)
        if row.kind == "price_change":
            assert row.elasticity is not None and row.elasticity < 0
            assert row.price_before is not None and row.price_after is not None
        if row.kind in ("marketing_campaign", "marketing_response"):
            curve = row.response_curve
            assert curve is not None and {"beta", "half_saturation", "shape", "adstock_decay"} <= curve.keys()
            assert row.true_effect_rel > 0  # ads help, with diminishing returns
        if row.kind != "marketing_response":
            assert row.naive_before_after_rel is not None
        assert row.evidence.get("source") in ("shopify", "stripe", "shifts", "ads")
    frame = full_world.ground_truth_frame()
    assert frame.height == len(rows)


def test_designed_effects_show_up_in_the_truth(full_world: DemoWorld) -> None:
    rows = full_world.ground_truth
    staffing = _row(rows, "bluebird-coffee/staffing/weekend-second-barista")
    assert abs(staffing.true_effect_rel - 0.12) < 0.03
    assert staffing.active_weekdays == (5, 6)
    pro = _row(rows, "tidyshift/price/pro-plan")
    assert pro.true_effect_rel == pytest.approx((59 / 49) ** -1.3 - 1, abs=0.06)
    holiday = _row(rows, "paper-lantern-books/promotion/holiday25")
    assert holiday.true_revenue_effect_rel < 0 < holiday.true_units_effect_rel  # sells more, earns less
    scale_test = _row(rows, "kindred-skincare/marketing/meta-scale-test")
    response = _row(rows, "kindred-skincare/marketing-response/meta_ads")
    # 2.5x the spend for six weeks adds far less than 2.5x the channel's average contribution
    assert 0 < scale_test.true_effect_rel < 1.5 * response.true_effect_rel


def test_confounded_cases_fool_the_naive_before_after(full_world: DemoWorld) -> None:
    confounded = [r for r in full_world.ground_truth if r.confounded]
    assert {r.intervention_id for r in confounded} == {
        "paper-lantern-books/promotion/holiday25",
        "kindred-skincare/promotion/bfcm30",
    }
    for row in confounded:
        assert row.naive_before_after_rel is not None
        assert row.naive_before_after_rel - row.true_effect_rel > 0.25, row.intervention_id


def test_evidence_points_at_records_the_sources_show() -> None:
    world = simulate(start=date(2025, 11, 1), end=date(2025, 12, 31), tenants=["paper-lantern-books"])
    row = _row(world.ground_truth, "paper-lantern-books/promotion/holiday25")
    tenant = world.tenants[0]
    codes = list(world.records("shopify", "discount_codes", tenant.tenant_id))
    assert [c["code"] for c in codes] == ["HOLIDAY25"] and codes[0]["usage_count"] > 100
    rules = {r["id"] for r in world.records("shopify", "price_rules", tenant.tenant_id)}
    assert row.evidence["price_rule_id"] in rules
    discounted = [o for o in world.records("shopify", "orders", tenant.tenant_id) if o["discount_codes"]]
    assert all(o["discount_codes"][0]["code"] == "HOLIDAY25" for o in discounted)
    assert all("2025-12-01" <= o["created_at"][:10] <= "2025-12-24" for o in discounted)


def _window(intervention: Intervention) -> tuple[date, date]:
    first, last = intervention.window
    return first - timedelta(days=70), last + timedelta(days=3)


@pytest.mark.parametrize("intervention", INTERVENTIONS, ids=lambda i: i.intervention_id)
def test_true_effect_is_exactly_world_minus_counterfactual(intervention: Intervention) -> None:
    start, end = _window(intervention)
    slug = intervention.tenant_slug
    world = simulate(start=start, end=end, tenants=[slug])
    counterfactual = simulate(
        start=start, end=end, tenants=[slug], interventions_off=[intervention.intervention_id]
    )
    row = _row(world.ground_truth, intervention.intervention_id)
    _assert_exact(world, counterfactual, row)


def test_channel_response_is_exactly_world_minus_world_without_the_channel() -> None:
    rid = "north-loop-threads/marketing-response/meta_ads"
    kwargs = {"start": date(2025, 1, 1), "end": date(2025, 6, 30), "tenants": ["north-loop-threads"]}
    world = simulate(**kwargs)
    counterfactual = simulate(**kwargs, interventions_off=[rid])
    row = _row(world.ground_truth, rid)
    _assert_exact(world, counterfactual, row)
    spend = counterfactual.daily_truth()["ad_spend"].sum()
    assert spend < world.daily_truth()["ad_spend"].sum()


def _assert_exact(world: DemoWorld, counterfactual: DemoWorld, row: GroundTruthEffect) -> None:
    slug = row.tenant_slug
    factual = world.daily_metric(slug, row.target_metric, row.target_scope)
    contrary = counterfactual.daily_metric(slug, row.target_metric, row.target_scope)
    assert factual["date"].to_list() == contrary["date"].to_list()
    dates = factual["date"].to_numpy()
    weekday = np.array([d.weekday() for d in factual["date"].to_list()])
    open_days = world.daily_truth()["is_open"].to_numpy()
    mask = (dates >= np.datetime64(row.start_date)) & (dates <= np.datetime64(row.end_date)) & open_days
    if row.active_weekdays is not None:
        mask &= np.isin(weekday, row.active_weekdays)
    assert mask.sum() == row.active_days
    w, c = factual["value"].to_numpy()[mask], contrary["value"].to_numpy()[mask]
    assert row.true_effect_abs_daily == pytest.approx(float(np.mean(w - c)), abs=1e-5)
    assert row.true_effect_rel == pytest.approx(float(w.sum() / c.sum() - 1), abs=1e-5)
    assert row.true_effect_abs_daily != 0
