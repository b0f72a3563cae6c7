"""The guard between the model and a tool: declared arguments only, never a tenant; results kept."""

from __future__ import annotations

import uuid

from llama_index.core.tools import FunctionTool

from coach.core import CoachContext, ToolResult
from coach.llm import _Turn, guard_tool
from ingestion.demo.profiles import demo_tenant_id

CTX = CoachContext(tenant_id=demo_tenant_id("bluebird-coffee"))


def goal_progress(goal_id: str, months: int = 3) -> ToolResult:
    """Progress of one goal over the last months."""
    return ToolResult(tool="goal_progress", facts={"goal_id": goal_id, "months": months}, citations=[])


def test_declared_arguments_reach_the_tool_and_its_result_is_kept() -> None:
    turn = _Turn()
    guarded = guard_tool(FunctionTool.from_defaults(fn=goal_progress), CTX, turn)
    goal = str(uuid.uuid4())  # an id of the tenant's own rows: the tool reads it under row-level security
    output = guarded(goal_id=goal, months=2)
    assert output.content.startswith("DATA from the business's records")
    assert [r.facts for r in turn.results] == [{"goal_id": goal, "months": 2}]
    assert turn.arguments == [{"goal_id": goal, "months": 2}] and turn.refused_calls == []


def test_tenants_and_undeclared_arguments_are_refused() -> None:
    turn = _Turn()
    guarded = guard_tool(FunctionTool.from_defaults(fn=goal_progress), CTX, turn)
    other = demo_tenant_id("crumb-and-co")
    for kwargs in (
        {"goal_id": "g1", "tenant_id": str(other)},  # undeclared argument
        {"goal_id": str(other)},  # another tenant's id in a declared one
        {"goal_id": CTX.tenant_id.hex},  # even its own: tools take no tenant
        {"goal_id": "Crumb & Co. Bakery revenue"},  # another business by name
    ):
        assert guarded(**kwargs).content.startswith("REFUSED")
    assert turn.results == [] and len(turn.refused_calls) == 4
    assert "undeclared arguments ['tenant_id']" in turn.refused_calls[0]
