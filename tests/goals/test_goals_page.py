"""The Goals page through Streamlit's AppTest on the real warehouse: goals evaluated by the asset, shown in
the owner's words; a check-in and a new goal written through the page; another tenant sees none of it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from coach import goals
from keel import warehouse
from orchestration.defs.ml.goals import ml_goal_evaluations
from tests.app.pages import signed_in_page
from tests.partitioned import materialize_tenants

from .conftest import GoalTenants

RAW_NAMES = ("revenue_net", "on_track", "at_risk", "off_track", "aggregation", "goal_id", "ml.", "app.")


@pytest.fixture(scope="module")
def evaluated(goal_tenants: GoalTenants) -> Iterator[GoalTenants]:
    draft = goals.GoalDraft(
        title="Keep October sales up",
        metric="revenue_net",
        aggregation="sum",
        target=1_000.0,
        starts_on=date(2026, 10, 1),
        deadline=date(2026, 10, 31),
    )
    goals.create_goal(goal_tenants.a, draft)
    past = goals.GoalDraft(
        title="Double September",
        metric="revenue_net",
        aggregation="sum",
        target=10_000_000.0,
        starts_on=date(2026, 9, 1),
        deadline=date(2026, 9, 30),
    )
    goals.create_goal(goal_tenants.a, past)
    with warehouse.connect("keel_transformer") as conn:
        conn.execute(
            "insert into ml.evidence_edges (tenant_id, cause, effect, method, estimand, refutations, grade, "
            "assumptions, explanation, settings, is_primary, run_id, estimate) "
            "values (%s, 'average_order_value', 'revenue_net', 'test', 'ate', '[]', 'moderate', 'none', "
            "'Bigger baskets lifted revenue.', '{}', false, 'test', 2.5)",
            (goal_tenants.a,),
        )
    result = materialize_tenants(
        [ml_goal_evaluations],
        ["goals-cafe-a"],
        {"ops": {"ml_goal_evaluations": {"config": {"n_paths": 500}}}},
    )["goals-cafe-a"]
    assert result.success
    yield goal_tenants
    with warehouse.connect("keel_transformer") as conn:
        conn.execute("delete from ml.evidence_edges where tenant_id = %s", (goal_tenants.a,))


def _texts(at: AppTest) -> str:
    parts = [
        e.value
        for kind in ("markdown", "caption", "subheader", "title", "info", "success")
        for e in at.get(kind)
    ]
    return "\n".join(str(p) for p in parts)


def test_goals_are_listed_with_odds_pace_and_words(evaluated: GoalTenants) -> None:
    at = signed_in_page("goals", evaluated.a)
    assert not at.exception
    text = _texts(at)
    assert "Keep October sales up" in text and "Double September" in text
    assert "On track" in text and "Missed" in text
    assert "Chance of reaching it:" in text
    assert "1,000 USD" in text  # money with its currency
    assert len(at.get("vega_lite_chart")) >= 3  # gauges and pace charts
    for raw in RAW_NAMES:
        assert raw not in text, raw
    tables = [t.value.to_csv() for t in at.dataframe]
    assert any("Moderate evidence" in str(t) for t in tables)  # the lever, graded in words
    assert any("Evaluated" in str(t) for t in tables)  # the history


def test_a_check_in_is_saved_from_the_page(evaluated: GoalTenants) -> None:
    at = signed_in_page("goals", evaluated.a)
    october = next(g for g in goals.list_goals(evaluated.a) if g["title"] == "Keep October sales up")
    at.selectbox[0].select(str(october["goal_id"])).run()
    at.text_area[0].input("Called our regulars about the new menu")  # a form: sent with the submit
    next(b for b in at.button if b.label == "Save check-in").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    detail = goals.get_goal(evaluated.a, october["goal_id"])
    assert [c["did"] for c in detail["checkins"]] == ["Called our regulars about the new menu"]
    assert detail["events"][-1]["kind"] == "checked_in"


def test_setting_a_goal_shows_the_helper_and_stores_it(evaluated: GoalTenants) -> None:
    at = signed_in_page("goals", evaluated.a)
    next(b for b in at.button if b.label == "Show suggestions").click().run(timeout=120)
    assert not at.exception
    text = _texts(at)
    assert "Where you are" in text and "USD" in text
    table = at.dataframe[-1].value.to_csv()
    assert "Chance of reaching it" in table and "%" in table
    before = len(goals.list_goals(evaluated.a))
    next(b for b in at.button if b.label == "Set goal").click().run(timeout=120)
    assert not at.exception
    assert any("Goal set" in str(s.value) for s in at.success)
    assert len(goals.list_goals(evaluated.a)) == before + 1


def test_another_tenant_sees_none_of_it(evaluated: GoalTenants) -> None:
    at = signed_in_page("goals", evaluated.b)
    assert not at.exception
    text = _texts(at)
    assert "Keep October sales up" not in text and "Double September" not in text
