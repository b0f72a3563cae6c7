"""The goal engine without a warehouse: status rule, aggregations, pace, creation helper, levers, plan."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from models_ml.goals import GoalSpec, decide_status, evaluate_goal, link_plan, pick_levers, propose_goal
from models_ml.goals.suggest import target_warning

from .synthetic import frame, known_process

END = date(2026, 6, 30)


def steady(days: int = 240, seed: int = 0, level: float = 1000.0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    history = frame(known_process(days, level=level, rng=rng, sd=0.03), END)
    labor = history["revenue_net"] * 0.3
    return history.with_columns(labor_cost=labor, gross_margin=history["revenue_net"] * 0.6)


@pytest.mark.parametrize(
    ("probability", "status"),
    [
        (0.95, "on_track"),
        (0.7, "on_track"),
        (0.69, "at_risk"),
        (0.3, "at_risk"),
        (0.29, "off_track"),
        (0.0, "off_track"),
    ],
)
def test_status_rule_thresholds(probability: float, status: str) -> None:
    spec = GoalSpec("revenue_net", "sum", 1000.0, date(2026, 7, 1), date(2026, 7, 31), currency="USD")
    decided, rule = decide_status(probability, date(2026, 7, 10), spec, None)
    assert decided == status
    assert f"{probability:.0%} chance" in rule
    assert "1,000 USD" in rule


def test_after_the_deadline_the_result_decides() -> None:
    history = steady()
    first = END - timedelta(days=29)
    actual = float(history.filter(pl.col("ds") >= first)["revenue_net"].sum())
    reached = evaluate_goal(GoalSpec("revenue_net", "sum", actual * 0.99, first, END), history)
    missed = evaluate_goal(GoalSpec("revenue_net", "sum", actual * 1.01, first, END), history)
    assert (reached.status, reached.probability, reached.method) == ("achieved", 1.0, "realized")
    assert (missed.status, missed.probability) == ("missed", 0.0)
    assert "has passed" in missed.status_rule
    assert reached.progress_value == pytest.approx(actual)


def test_sum_goal_counts_what_is_realised_and_paces_it() -> None:
    history = steady()
    first, deadline = END - timedelta(days=9), END + timedelta(days=20)  # 30 days, 10 observed
    realised = float(history.filter(pl.col("ds") >= first)["revenue_net"].sum())
    daily = float(history.tail(28)["revenue_net"].mean())
    probe = evaluate_goal(GoalSpec("revenue_net", "sum", 1.0, first, deadline), history)
    # What is realised counts in full; the 20 days to come are about the recent level.
    assert probe.expected_value == pytest.approx(realised + 20 * daily, rel=0.15)
    expected = probe.expected_value
    evaluation = evaluate_goal(GoalSpec("revenue_net", "sum", expected, first, deadline), history)
    assert evaluation.expected_lower < expected < evaluation.expected_upper
    assert evaluation.expected_lower > realised
    assert 0.35 < evaluation.probability < 0.65
    assert evaluation.progress_value == pytest.approx(realised)
    assert evaluation.pace_value == pytest.approx(expected * 10 / 30)
    assert evaluation.needed_rest == pytest.approx((expected - realised) / 20)
    assert evaluation.elapsed_share == pytest.approx(10 / 30)
    assert len(evaluation.pace) == 10
    assert evaluation.pace[-1]["actual"] == pytest.approx(realised)
    easy = evaluate_goal(GoalSpec("revenue_net", "sum", expected * 0.8, first, deadline), history)
    hard = evaluate_goal(GoalSpec("revenue_net", "sum", expected * 1.2, first, deadline), history)
    assert (easy.status, hard.status) == ("on_track", "off_track")


def test_average_is_the_sum_per_day() -> None:
    history = steady()
    first, deadline = END - timedelta(days=9), END + timedelta(days=20)
    total = evaluate_goal(GoalSpec("revenue_net", "sum", 30_000.0, first, deadline), history)
    average = evaluate_goal(GoalSpec("revenue_net", "average", 1_000.0, first, deadline), history)
    assert average.probability == pytest.approx(total.probability)
    assert average.expected_value == pytest.approx(total.expected_value / 30)


def test_ratio_goal_on_a_known_share() -> None:
    history = steady()  # labor cost is exactly 30% of revenue every day
    first, deadline = END - timedelta(days=9), END + timedelta(days=30)
    below = evaluate_goal(GoalSpec("labor_cost_share", "ratio", 0.33, first, deadline, "at_most"), history)
    above = evaluate_goal(GoalSpec("labor_cost_share", "ratio", 0.27, first, deadline, "at_most"), history)
    assert below.progress_value == pytest.approx(0.3)
    assert 0.27 < below.expected_value < 0.33
    assert below.probability > 0.9
    assert above.probability < 0.1
    assert below.status == "on_track" and above.status == "off_track"


def test_a_period_that_starts_later_is_all_forecast() -> None:
    history = steady()
    first, deadline = END + timedelta(days=15), END + timedelta(days=44)
    evaluation = evaluate_goal(GoalSpec("revenue_net", "sum", 1.0, first, deadline), history)
    assert evaluation.progress_value is None and evaluation.pace == []
    daily = float(history.tail(28)["revenue_net"].mean())
    assert evaluation.expected_value == pytest.approx(30 * daily, rel=0.15)


def test_bad_goals_are_refused_clearly() -> None:
    history = steady()
    with pytest.raises(ValueError, match="not a metric a goal can use"):
        GoalSpec("happiness", "sum", 1.0, END, END + timedelta(days=5)).validate()
    with pytest.raises(ValueError, match="bank balance"):
        GoalSpec("cash_runway", "level", 6.0, END, END + timedelta(days=5)).validate()
    with pytest.raises(ValueError, match="aggregated as ratio"):
        GoalSpec("labor_cost_share", "sum", 0.3, END, END + timedelta(days=5)).validate()
    with pytest.raises(ValueError, match="must come after"):
        GoalSpec("revenue_net", "sum", 1.0, END, END).validate()
    with pytest.raises(ValueError, match="fraction"):
        GoalSpec("gross_margin_pct", "ratio", 62.0, END, END + timedelta(days=5)).validate()
    with pytest.raises(ValueError, match="lacks mrr"):
        evaluate_goal(GoalSpec("mrr", "level", 1.0, END, END + timedelta(days=5)), history)


def test_creation_helper_baseline_ranges_and_warnings() -> None:
    history = steady()
    first, deadline = END + timedelta(days=1), END + timedelta(days=30)
    before = history.filter(pl.col("ds") > END - timedelta(days=30))["revenue_net"].sum()
    peers = {
        "revenue_growth_mom": {
            "p50": 0.01,
            "p75": 0.04,
            "peer_group": "cafes, small, West",
            "peer_count": 9,
            "metric_month": date(2026, 5, 1),
        },
    }
    proposal = propose_goal(
        "revenue_net",
        "sum",
        first,
        deadline,
        history,
        peers=peers,
        targets=[1.0, 10_000_000.0],
        currency="USD",
    )
    assert proposal.baseline == pytest.approx(before)
    assert "the 30 days before the start" in proposal.baseline_note
    assert "USD" in proposal.baseline_note
    assert proposal.own_range is not None and proposal.own_range.low == pytest.approx(before)
    assert proposal.own_range.high >= proposal.own_range.low
    assert proposal.peer_range is not None
    assert proposal.peer_range.low == pytest.approx(before * 1.01 ** (30 / 30.44))
    assert proposal.peer_range.high == pytest.approx(before * 1.04 ** (30 / 30.44))
    assert "cafes, small, West (9 businesses" in proposal.peer_range.note
    by_source = {c.source: c for c in proposal.candidates}
    assert {"your target", "the forecast's middle", "peer median", "peers' better quarter"} <= set(by_source)
    probabilities = [c.probability for c in proposal.candidates]
    assert probabilities == sorted(probabilities, reverse=True)  # higher targets are less likely
    assert proposal.candidates[0].target == 1.0 and proposal.candidates[0].warning.startswith("Not a stretch")
    assert proposal.candidates[-1].target == 10_000_000.0
    assert proposal.candidates[-1].warning.startswith("Unlikely without a change")
    middle = by_source["the forecast's middle"]
    assert 0.35 < middle.probability < 0.65 and middle.warning is None
    assert target_warning(0.96) and target_warning(0.04) and target_warning(0.5) is None


def test_share_goals_take_peer_percentiles_directly_and_say_when_there_are_none() -> None:
    history = steady()
    first, deadline = END + timedelta(days=1), END + timedelta(days=30)
    peers = {
        "labor_cost_share": {
            "p25": 0.25,
            "p50": 0.31,
            "p75": 0.36,
            "peer_group": "all businesses",
            "peer_count": 40,
            "metric_month": date(2026, 5, 1),
        }
    }
    proposal = propose_goal("labor_cost_share", "ratio", first, deadline, history, peers=peers)
    assert proposal.peer_range is not None
    assert (proposal.peer_range.low, proposal.peer_range.high) == (0.31, 0.25)  # lower is better
    alone = propose_goal("labor_cost_share", "ratio", first, deadline, history, peers={})
    assert alone.peer_range is None and "No peer benchmarks" in alone.peer_note


def test_levers_are_graded_causes_of_the_goal_metric() -> None:
    spec = GoalSpec("revenue_net", "sum", 1.0, END, END + timedelta(days=30))
    edges = [
        {
            "cause": "average_order_value",
            "effect": "revenue_net",
            "grade": "weak",
            "estimate": 0.5,
            "kind": "metric",
        },
        {
            "cause": "Spring promo",
            "effect": "revenue_net",
            "grade": "strong",
            "estimate": 120.0,
            "ci_low": 80.0,
            "ci_high": 160.0,
            "kind": "intervention",
            "explanation": "Lifted revenue.",
        },
        {
            "cause": "Spring promo",
            "effect": "revenue_net",
            "grade": "weak",
            "estimate": 10.0,
            "kind": "intervention",
        },
        {
            "cause": "labor_hours",
            "effect": "revenue_net",
            "grade": "moderate",
            "estimate": 3.0,
            "kind": "metric",
        },
        {"cause": "days", "effect": "revenue_net", "grade": "strong", "estimate": 300.0, "kind": None},
        {
            "cause": "revenue_net (Monday)",
            "effect": "revenue_net",
            "grade": "strong",
            "estimate": 1.0,
            "kind": "segment",
        },
        {
            "cause": "orders",
            "effect": "revenue_net",
            "grade": "inconclusive",
            "estimate": 9.0,
            "kind": "metric",
        },
        {"cause": "marketing_spend_total", "effect": "new_trials", "grade": "strong", "estimate": 9.0},
    ]
    levers = pick_levers(spec, edges, {"labor_hours": "labor hours"})
    assert [lever["metric"] for lever in levers] == ["Spring promo", "labor_hours", "average_order_value"]
    assert levers[0]["grade"] == "strong" and levers[0]["effect"] == 120.0
    assert levers[1]["label"] == "labor hours" and levers[1]["grade_words"] == "moderate evidence"


def test_the_plan_that_works_on_the_metric_is_linked_with_the_gap() -> None:
    spec = GoalSpec("revenue_net", "sum", 1.0, END, END + timedelta(days=30))
    plans = [
        {"plan_type": "inventory", "status": "not_applicable", "decisions": []},
        {
            "plan_type": "budget",
            "status": "optimal",
            "expected_impact": 500.0,
            "currency": "$",
            "explanation": "Move spend to search.",
            "run_id": "r1",
            "decisions": [{"channel_name": "Search", "planned_spend": 900.0, "current_spend": 600.0}],
        },
    ]
    plan = link_plan(spec, plans, gap=400.0)
    assert plan is not None
    assert plan["plan_type"] == "budget" and plan["closes_gap"] is True
    assert plan["steps"] == ["Search: spend 900 over the plan (now 600)"]
    assert plan["solved_for_goal"] is False and plan["source_asset"] == "ml_plans"
    assert link_plan(GoalSpec("labor_cost_share", "ratio", 0.3, END, END + timedelta(days=9)), plans) is None
