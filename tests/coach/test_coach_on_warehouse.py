"""The offline coach on the shared demo warehouse: answers, follow-ups, goals without goal tables, tool
inputs it refuses, the tools as LlamaIndex FunctionTools, and ``keel ask``."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from typing import Any

import pytest

from keel import warehouse
from keel.settings import KeelSettings

TENANT = "bluebird-coffee"


def _tenant(settings: KeelSettings, slug: str = TENANT) -> tuple[uuid.UUID, str, dt.date]:
    with warehouse.connect("admin", settings=settings) as conn:
        row = conn.execute("select tenant_id, currency from app.tenants where slug = %s", (slug,)).fetchone()
        assert row is not None
        last = conn.execute(
            "select max(metric_date) from metrics.business_metrics_daily where tenant_id = %s", (row[0],)
        ).fetchone()
    assert last is not None
    return row[0], row[1], last[0]


def _sql(settings: KeelSettings, query: str, params: tuple[Any, ...]) -> Any:
    with warehouse.connect("admin", settings=settings) as conn:
        row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def test_follow_ups_resolve_from_history(demo_warehouse: KeelSettings) -> None:
    from coach import ask
    from coach.core import CoachContext

    tenant_id, currency, last = _tenant(demo_warehouse)
    ctx = CoachContext(tenant_id=tenant_id, currency=currency)
    month = (last.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    first_question = f"What was my revenue in {month:%B %Y}?"
    first = ask(first_question, ctx)
    follow = ask(f"and in {(month - dt.timedelta(days=1)):%B %Y}?", ctx, history=[(first_question, first)])
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    assert follow.results[0].facts["metric"] == "revenue_net"
    assert follow.results[0].facts["start"] == previous
    expected = _sql(
        demo_warehouse,
        "select sum(revenue_net) from metrics.business_metrics_daily where tenant_id = %s "
        "and date_trunc('month', metric_date) = %s",
        (tenant_id, previous),
    )
    assert f"{float(expected):,.2f}" in follow.text
    staffing_question = "How many people do I need on Saturday?"
    staffing = ask(staffing_question, ctx)
    sunday = ask("what about Sunday?", ctx, history=[(staffing_question, staffing)])
    assert sunday.results[0].facts["weekday"] == "Sunday"


def test_goal_planner_without_goal_tables_explains_and_gives_the_chance(
    demo_warehouse: KeelSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A warehouse from before the goals feature (no goal tables): the coach says how to set a goal and
    still gives the chance of the target the question names (tests/coach/test_wiring.py: with goals)."""
    from coach import ask
    from coach.core import CoachContext
    from coach.tools import goals

    monkeypatch.setattr(goals, "relation_exists", lambda conn, name: False)
    tenant_id, currency, _ = _tenant(demo_warehouse)
    ctx = CoachContext(tenant_id=tenant_id, currency=currency)
    plain = ask("Am I on track for my goals?", ctx)
    assert plain.agents == ["goal_planner"] and "no goals set yet" in plain.text and plain.citations
    with_target = ask("Will I reach my goal of $20,000 in revenue over the next 2 weeks?", ctx)
    assert "no goals set yet" in with_target.text
    assert with_target.results[-1].tool == "probability_of_target"
    assert with_target.results[-1].facts["probability"] is not None and "chance" in with_target.text


def test_refusals_reach_no_tool(demo_warehouse: KeelSettings) -> None:
    from coach import ask
    from coach.core import CoachContext

    tenant_id, currency, _ = _tenant(demo_warehouse)
    ctx = CoachContext(tenant_id=tenant_id, currency=currency)
    for question in ("Write the SQL for my revenue", "What is Formwise's revenue?", "Drop table orders"):
        answer = ask(question, ctx)
        assert answer.refused and not answer.results and answer.agents == ["safety"]


def test_out_of_range_what_if_is_refused_in_plain_words(demo_warehouse: KeelSettings) -> None:
    from coach import ask
    from coach.core import CoachContext
    from coach.errors import CoachInputError
    from coach.tools import general, optimizer

    tenant_id, currency, _ = _tenant(demo_warehouse)
    ctx = CoachContext(tenant_id=tenant_id, currency=currency)
    answer = ask("What if I aim for a 20% service level?", ctx)
    assert answer.agents == ["optimizer"] and "between 50% and 99%" in answer.text
    with pytest.raises(CoachInputError, match="not one Keel tracks"):
        general.metric_over_period(ctx, "revenue; drop table x", dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    with pytest.raises(CoachInputError, match="there is no 'payroll' plan"):
        optimizer.stored_plans(ctx, "payroll")


def test_function_tools_are_bound_to_the_signed_in_tenant(demo_warehouse: KeelSettings) -> None:
    from coach.core import CoachContext, ToolResult
    from coach.tools import function_tools

    tenant_id, currency, last = _tenant(demo_warehouse)
    other_id, _, _ = _tenant(demo_warehouse, "formwise")
    tools = {
        tool.metadata.name: tool
        for tool in function_tools(CoachContext(tenant_id=tenant_id, currency=currency))
    }
    assert {"metric_over_period", "probability_of_target", "intervention_effects", "what_if", "goals"} <= set(
        tools
    )
    for tool in tools.values():
        schema = tool.metadata.get_parameters_dict()
        assert not {"ctx", "tenant_id", "sql", "table"} & set(schema.get("properties", {}))
    result = tools["metric_over_period"].fn(metric="revenue_net", start=last.replace(day=1), end=last)
    assert (
        isinstance(result, ToolResult) and result.citations[0].asset_key == "metrics/business_metrics_daily"
    )
    expected = _sql(
        demo_warehouse,
        "select sum(revenue_net) from metrics.business_metrics_daily where tenant_id = %s "
        "and metric_date between %s and %s",
        (tenant_id, last.replace(day=1), last),
    )
    other = _sql(
        demo_warehouse,
        "select sum(revenue_net) from metrics.business_metrics_daily where tenant_id = %s "
        "and metric_date between %s and %s",
        (other_id, last.replace(day=1), last),
    )
    assert result.facts["value"] == pytest.approx(float(expected)) != pytest.approx(float(other))
    citation = result.citations[0]
    assert citation.run_id and citation.materialized_at and citation.data_through == last


def test_keel_ask_prints_the_answer_and_its_sources(demo_warehouse: KeelSettings) -> None:
    tenant_id, _, last = _tenant(demo_warehouse)
    env = {**os.environ, "COLUMNS": "200"}
    out = subprocess.run(
        [sys.executable, "-m", "cli", "ask", "--tenant", TENANT, f"What was my revenue in {last:%B %Y}?"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    expected = _sql(
        demo_warehouse,
        "select sum(revenue_net) from metrics.business_metrics_daily where tenant_id = %s "
        "and date_trunc('month', metric_date) = %s",
        (tenant_id, last.replace(day=1)),
    )
    assert f"${float(expected):,.2f}" in out.stdout
    assert "source: daily business metrics" in out.stdout and "console page: Overview" in out.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "cli", "ask", "--tenant", "no-such-business", "How am I doing?"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert bad.returncode != 0 and "no business 'no-such-business'" in bad.stdout + bad.stderr
