"""The coach's tools: plain functions ``(ctx, typed args) -> ToolResult`` over materialized tables, and the
same functions as LlamaIndex ``FunctionTool``s bound to one signed-in tenant (for an LLM to call).

No tool takes SQL, a table name or a tenant id: the tenant is the :class:`~coach.core.CoachContext`
bound here, and row-level security of the tenant's own login decides what each query sees.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any

from llama_index.core.tools import FunctionTool

from coach.core import Agent, CoachContext, ToolResult
from coach.tools import evidence, forecaster, general, goals, optimizer

#: Each tool with the agent that owns it.
TOOLS: dict[str, tuple[Agent, Callable[..., ToolResult]]] = {
    "metric_over_period": ("general", general.metric_over_period),
    "compare_periods": ("general", general.compare_periods),
    "compare_with_peers": ("general", general.compare_with_peers),
    "health_score": ("general", general.health_score),
    "data_freshness": ("general", general.data_freshness),
    "forecast_metric": ("forecaster", forecaster.forecast_metric),
    "probability_of_target": ("forecaster", forecaster.probability_of_target),
    "staffing_on_day": ("forecaster", optimizer.staffing_on_day),
    "intervention_effects": ("evidence_analyzer", evidence.intervention_effects),
    "drivers": ("evidence_analyzer", evidence.drivers),
    "stored_plans": ("optimizer", optimizer.stored_plans),
    "what_if": ("optimizer", optimizer.what_if),
    "goals": ("goal_planner", goals.goals),
}


def _bound(fn: Callable[..., ToolResult], ctx: CoachContext) -> Callable[..., ToolResult]:
    """``fn`` with the tenant's context filled in, and a signature without it (what the model sees)."""

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> ToolResult:
        return fn(ctx, *args, **kwargs)

    # The modules use postponed annotations: resolve them, so the tool's schema has real types.
    hints = typing.get_type_hints(fn)
    signature = inspect.signature(fn)
    parameters = [
        p.replace(annotation=hints.get(p.name, p.annotation)) for p in list(signature.parameters.values())[1:]
    ]
    call.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters, return_annotation=hints.get("return", signature.return_annotation)
    )
    call.__annotations__ = {name: hint for name, hint in hints.items() if name != "ctx"}
    return call


def function_tools(ctx: CoachContext, agents: tuple[Agent, ...] | None = None) -> list[FunctionTool]:
    """The tools as LlamaIndex ``FunctionTool``s for one tenant (optionally only some agents' tools)."""
    return [
        FunctionTool.from_defaults(fn=_bound(fn, ctx), name=name, description=(fn.__doc__ or name).strip())
        for name, (agent, fn) in TOOLS.items()
        if agents is None or agent in agents
    ]


__all__ = ["TOOLS", "function_tools"]
