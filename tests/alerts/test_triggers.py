"""The triggers' decisions on plain rows: when an alert fires, and what it says in the owner's words."""

from __future__ import annotations

import datetime as dt
import uuid

from coach.alerts import triggers
from coach.alerts.model import FailedCheck
from coach.alerts.triggers import ForecastedDay, GoalEvaluation, HealthMonth, SourceLoad

GOAL_ID = uuid.UUID("00000000-0000-0000-0000-0000000000a1")


def goal(status: str, **changes: object) -> GoalEvaluation:
    values: dict[str, object] = {
        "goal_id": GOAL_ID,
        "title": "Reach $40k a month by June",
        "metric": "revenue_net",
        "target": 40000.0,
        "deadline": dt.date(2027, 6, 30),
        "goal_status": status,
        "status": status,
        "status_rule": "Less than 50% likely to be reached by the deadline",
        "probability": 0.34,
        "expected_value": 36200.0,
        "expected_lower": 31000.0,
        "expected_upper": 41000.0,
        "progress_value": 30500.0,
        "levers": [
            {
                "metric": "discount_rate",
                "label": "Discounts",
                "grade": "weak",
                "effect": 0.1,
                "explanation": "",
            },
            {
                "metric": "marketing_spend_total",
                "label": "Marketing spend",
                "grade": "moderate",
                "effect": 2.4,
                "explanation": "Each extra $1 of ads brought about $2.40 of revenue.",
            },
        ],
        "plan": {"summary": "Shift ad budget", "steps": ["Move $300 a week from print to search ads."]},
    }
    values.update(changes)
    return GoalEvaluation(**values)  # type: ignore[arg-type]


def test_a_goal_at_risk_says_what_why_and_which_lever() -> None:
    [alert] = triggers.goal_alerts([goal("at_risk")], "USD")
    assert alert.kind == "goal" and alert.severity == "warning"
    assert alert.cause_key == f"goal:{GOAL_ID}"
    assert "“Reach $40k a month by June” is now at risk" in alert.what_happened
    assert "34% chance of reaching $40,000.00 by 30 June 2027" in alert.what_happened
    assert "likely between $31,000.00 and $41,000.00" in alert.what_happened
    assert "falls short by about $3,800.00" in alert.why_it_matters
    # The best-graded lever, not the first one listed, and the plan's first step.
    assert "Marketing spend (moderate evidence)" in alert.what_to_do
    assert "Move $300 a week from print to search ads." in alert.what_to_do
    assert alert.link == f"/goals?goal={GOAL_ID}"
    assert "revenue_net" not in alert.what_happened + alert.why_it_matters + alert.what_to_do


def test_goal_states_decide_firing_severity_and_fingerprint() -> None:
    assert triggers.goal_alerts([goal("on_track")], "USD") == []
    [off] = triggers.goal_alerts([goal("off_track")], "EUR")
    [risk] = triggers.goal_alerts([goal("at_risk")], "EUR")
    assert off.severity == "critical" and "€40,000.00" in off.what_happened
    assert off.cause_key == risk.cause_key and off.fingerprint != risk.fingerprint
    assert triggers.goal_alerts([goal("at_risk")], "USD")[0].fingerprint == risk.fingerprint
    plan = {"summary": "x", "steps": [{"action": "Open on Mondays", "impact": 120.0}]}
    [structured] = triggers.goal_alerts([goal("at_risk", plan=plan)], "USD")
    assert "First step of the plan: Open on Mondays." in structured.what_to_do
    [bare] = triggers.goal_alerts([goal("at_risk", levers=[], plan=None)], "USD")
    assert "check-in" in bare.what_to_do


def day(actual: float, **changes: object) -> ForecastedDay:
    values: dict[str, object] = {
        "metric": "revenue_net",
        "ds": dt.date(2026, 11, 20),
        "actual": actual,
        "point": 2350.0,
        "lo_95": 1800.0,
        "hi_95": 2900.0,
    }
    values.update(changes)
    return ForecastedDay(**values)  # type: ignore[arg-type]


def test_a_metric_outside_its_95_percent_interval_gives_the_size_of_the_surprise() -> None:
    assert triggers.anomaly_alerts([day(1800.0), day(2900.0), day(2400.0)], [], "USD") == []
    [low] = triggers.anomaly_alerts([day(1240.0)], [goal("on_track")], "USD")
    assert low.what_happened == (
        "Net revenue on 20 November 2026 was $1,240.00, $560.00 below the lowest value the forecast "
        "expected (95% range $1,800.00 to $2,900.00; forecast $2,350.00, 47% under it)."
    )
    assert "“Reach $40k a month by June” depends on net revenue" in low.why_it_matters
    assert low.link == "/forecasts?metric=revenue_net"
    [high] = triggers.anomaly_alerts([day(3500.0, metric="orders", point=80, lo_95=60, hi_95=100)], [], "USD")
    assert "Orders on 20 November 2026 was 3,500, 3,400 above the highest" in high.what_happened
    assert "record it as an intervention" in high.what_to_do
    assert "once in 20 days" in high.why_it_matters
    assert high.fingerprint != low.fingerprint


def test_a_health_score_drop_of_the_set_size_fires_and_names_the_weakest_part() -> None:
    components = {
        "growth_score": 40.0,
        "profitability_score": 71.0,
        "liquidity_score": 22.0,
        "efficiency_score": None,
        "customers_score": 55.0,
    }
    latest = HealthMonth(dt.date(2026, 11, 1), 58.0, ["Revenue growth slowed to 2%."], components)
    before = HealthMonth(dt.date(2026, 10, 1), 66.0, [], components)
    [alert] = triggers.health_alerts([latest, before], 5, [])
    assert (
        "fell from 66 to 58 (8 points) in November 2026. Revenue growth slowed to 2%." in alert.what_happened
    )
    assert "Start with cash and receivables" in alert.what_to_do and "(22 of 100)" in alert.what_to_do
    assert alert.severity == "warning" and alert.link == "/health"
    assert triggers.health_alerts([latest, before], 10, []) == []
    assert triggers.health_alerts([latest], 1, []) == []


def test_a_source_outside_its_freshness_window_fires() -> None:
    now = dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC)
    fresh = SourceLoad(uuid.uuid4(), "Main shop", "shopify", now - dt.timedelta(hours=47))
    stale = SourceLoad(uuid.uuid4(), "Payments", "stripe", now - dt.timedelta(days=5))
    never = SourceLoad(uuid.uuid4(), "Payroll", "shifts", None)
    alerts = triggers.freshness_alerts([fresh, stale, never], 48, now)
    assert [a.title for a in alerts] == ["No new data from Payments", "No new data from Payroll"]
    assert "Payments last loaded on 1 December 2026, 5 days ago" in alerts[0].what_happened
    assert "never loaded" in alerts[1].what_happened


def test_a_failed_check_alerts_only_the_tenants_it_concerns() -> None:
    mine, other = uuid.uuid4(), uuid.uuid4()
    everyone = FailedCheck("business_metrics_daily", "not_null_orders", "3 rows have no order count")
    theirs = FailedCheck("dlt_shopify_orders", "all_tenants_loaded", "failed", frozenset({other}))
    [alert] = triggers.data_check_alerts([everyone, theirs], mine)
    assert "“not null orders” on business metrics daily failed: 3 rows have no order count." in (
        alert.what_happened
    )
    assert len(triggers.data_check_alerts([everyone, theirs], other)) == 2
