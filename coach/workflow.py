"""The coach's workflow (a LlamaIndex ``Workflow``): route the question, call the agent's tools, compose.

``ask(question, ctx, history=(), llm=None)`` is the one entry point. Without an LLM the answer is written
from the tools' results by :mod:`coach.compose`; with one, the offline answer and the tools are handed to
:func:`phrase_with_llm` (the hook the LLM path plugs into). A question the guard refuses
(:func:`coach.guard.refusal_for`) reaches no tool.
"""

from __future__ import annotations

import asyncio
import calendar
import datetime as dt
import importlib
from collections.abc import Sequence
from typing import Any

from llama_index.core.workflow import Event, StartEvent, StopEvent, Workflow, step

from coach import compose
from coach.core import Answer, CoachContext, ToolResult
from coach.entities import Entities, Period
from coach.errors import CoachInputError
from coach.guard import OTHER_REFUSAL, SQL_REFUSAL, SQL_WORDS, refusal_for
from coach.metrics import DEFAULT_METRIC
from coach.router import Route, route
from coach.tools import evidence, forecaster, general, goals, optimizer
from coach.tools._db import remembered, tenant_session

History = Sequence[tuple[str, Answer]]


class Routed(Event):
    question: str
    route: Any  # coach.router.Route
    anchor: dt.date


class ToolsCalled(Event):
    route: Any
    results: list[Any]  # ToolResult


def _last_complete_month(anchor: dt.date) -> Period:
    last_day = calendar.monthrange(anchor.year, anchor.month)[1]
    if anchor.day == last_day:
        start = anchor.replace(day=1)
        return Period(start, anchor, "month", "this month")
    end = anchor.replace(day=1) - dt.timedelta(days=1)
    return Period(end.replace(day=1), end, "month", "last month")


def _next_month(anchor: dt.date) -> Period:
    start = (anchor.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return Period(
        start, start.replace(day=calendar.monthrange(start.year, start.month)[1]), "month", "next month"
    )


def _next_weeks(anchor: dt.date, weeks: int = 4) -> Period:
    return Period(
        anchor + dt.timedelta(days=1), anchor + dt.timedelta(days=7 * weeks), "days", "next 4 weeks"
    )


def _before(period: Period) -> Period:
    """The period of the same kind just before ``period``."""
    if period.grain == "month":
        end = period.start - dt.timedelta(days=1)
        return Period(end.replace(day=1), end, "month")
    if period.grain == "year":
        return period.shifted_years(-1)
    if period.grain == "quarter":
        end = period.start - dt.timedelta(days=1)
        start_month = end.month - 2
        return Period(dt.date(end.year, start_month, 1), end, "quarter")
    length = (period.end - period.start).days + 1
    return Period(period.start - dt.timedelta(days=length), period.start - dt.timedelta(days=1), period.grain)


def _anchor(ctx: CoachContext) -> dt.date:
    if ctx.today is not None:
        return ctx.today
    build = general.metrics_build(ctx)
    return build["last_day"] or dt.date.today()


def call_tools(found: Route, ctx: CoachContext, anchor: dt.date) -> list[ToolResult]:
    """The tool calls of one routed question, with the entities (or sensible defaults) as arguments."""
    e: Entities = found.entities
    intent = found.intent
    metric = e.metric or DEFAULT_METRIC
    if intent == "metric_over_period":
        period = e.periods[0] if e.periods else _last_complete_month(anchor)
        return [general.metric_over_period(ctx, metric, period.start, period.end)]
    if intent == "compare_periods":
        period = e.periods[0] if e.periods else _last_complete_month(anchor)
        if len(e.periods) > 1:
            period, previous = sorted(e.periods[:2], key=lambda p: p.start, reverse=True)
        elif e.mentions_last_year and e.periods and e.periods[0].grain != "year":
            previous = period.shifted_years(-1)
        else:
            previous = _before(period)
        return [general.compare_periods(ctx, metric, period.start, period.end, previous.start, previous.end)]
    if intent == "peers":
        return [general.compare_with_peers(ctx, None)]
    if intent == "health":
        return [general.health_score(ctx)]
    if intent == "freshness":
        return [general.data_freshness(ctx)]
    if intent in ("forecast", "forecast_goal"):
        period = e.periods[0] if e.periods else _next_weeks(anchor)
        if intent == "forecast_goal" and e.amount is not None:
            return [forecaster.probability_of_target(ctx, metric, e.amount, period.start, period.end)]
        return [forecaster.forecast_metric(ctx, metric, period.start, period.end)]
    if intent == "staffing":
        return [optimizer.staffing_on_day(ctx, e.weekday if e.weekday is not None else 5)]
    if intent == "evidence_effect":
        return [evidence.intervention_effects(ctx, e.product)]
    if intent == "evidence_drivers":
        return [evidence.drivers(ctx, e.metric)]
    if intent == "optimizer_plan":
        return [optimizer.stored_plans(ctx, e.plan_type)]
    if intent == "optimizer_what_if":
        return [optimizer.what_if(ctx, e.plan_type or "budget", float(e.amount or 0.0))]
    if intent == "goals":
        results = [goals.goals(ctx)]
        if not results[0].facts["goals"] and e.amount is not None:
            period = e.periods[0] if e.periods else _next_month(anchor)
            results.append(forecaster.probability_of_target(ctx, metric, e.amount, period.start, period.end))
        return results
    raise KeyError(intent)


class CoachWorkflow(Workflow):
    """Route → call the agent's tools → compose (offline) or hand to the LLM hook."""

    def __init__(self, ctx: CoachContext, history: History = (), llm: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.coach_ctx = ctx
        self.history = history
        self.llm = llm

    @step
    async def route_question(self, ev: StartEvent) -> Routed | StopEvent:
        question = str(ev.get("question", "")).strip()
        if not question:
            return StopEvent(
                result=Answer(
                    "Ask me about your business, for example: How am I doing?", ["safety"], refused=True
                )
            )
        refusal = refusal_for(question, self.coach_ctx)
        if refusal is not None:
            return StopEvent(result=Answer(refusal, ["safety"], refused=True))
        anchor = _anchor(self.coach_ctx)
        products = remembered(
            self.coach_ctx.tenant_id, "interventions", lambda: evidence.intervention_names(self.coach_ctx)
        )
        found = route(question, anchor, history=self.history, products=products)
        if found.intent == "safety":
            return StopEvent(result=Answer(compose_refusal(question), ["safety"], refused=True))
        return Routed(question=question, route=found, anchor=anchor)

    @step
    async def call_agent_tools(self, ev: Routed) -> ToolsCalled | StopEvent:
        try:
            results = call_tools(ev.route, self.coach_ctx, ev.anchor)
        except CoachInputError as exc:
            text = f"I can't answer that as asked: {exc.what}." + (
                f" Instead, {exc.todo}." if exc.todo else ""
            )
            return StopEvent(result=Answer(text, [ev.route.agent], notes=[f"tool refused input: {exc.what}"]))
        return ToolsCalled(route=ev.route, results=results)

    @step
    async def compose_answer(self, ev: ToolsCalled) -> StopEvent:
        text = compose.compose(ev.route.intent, ev.results, self.coach_ctx)
        answer = Answer(text, [ev.route.agent], results=ev.results, notes=[f"intent: {ev.route.intent}"])
        return StopEvent(result=answer)


def compose_refusal(question: str) -> str:
    """The refusal for a question the router sent to safety: SQL gets the SQL refusal, the rest the other."""
    words = set(question.lower().replace("?", " ").split())
    return SQL_REFUSAL if words & set(SQL_WORDS) else OTHER_REFUSAL


def phrase_with_llm(question: str, ctx: CoachContext, offline: Answer, history: History, llm: Any) -> Answer:
    """The LLM path (:func:`coach.llm.answer_with_llm`): the model chooses the tenant's tools and phrases
    the reply; every number it states is verified, and the offline answer stands in for a reply that
    fails a check. ``llm`` None: the model configured in Keel's settings, or the offline answer if none.
    """
    from coach.tools import function_tools

    llm_module = importlib.import_module("coach.llm")
    answer: Answer = llm_module.answer_with_llm(question, ctx, function_tools(ctx), offline, history, llm=llm)
    return answer


def ask(
    question: str, ctx: CoachContext, history: History = (), llm: Any = None, *, use_llm: bool | None = None
) -> Answer:
    """The coach's answer to one question of the signed-in tenant.

    In order: the safety screen (a signed-in user's rate limit, prompt injection, SQL, other businesses,
    customers' personal data), the offline workflow (route, tools, templates), then the LLM path when a
    model is given or configured (``use_llm`` False: never; None: when ``llm`` is given or a model is
    configured). With a session in ``ctx`` the turn is kept in the conversation memory, and an empty
    ``history`` is read from it, so follow-ups resolve across requests.
    """
    from keel import telemetry

    with telemetry.span("keel.coach.request", tenant_id=str(ctx.tenant_id)) as current:
        answer = _ask(question, ctx, history, llm, use_llm=use_llm)
        telemetry.set_attributes(current, refused=answer.refused)
    return answer


def _ask(question: str, ctx: CoachContext, history: History, llm: Any, *, use_llm: bool | None) -> Answer:
    from coach import memory, safety

    if ctx.session_id is not None and not history:
        history = [(turn.question, _remembered(turn)) for turn in memory.recent_turns(ctx)]
    if ctx.user_id is not None and not safety.within_rate_limit(ctx):
        screened: safety.Refusal | None = safety.refusal("rate_limited")
    else:
        screened = safety.screen_text(question, ctx)
    if screened is not None:
        answer = screened.to_answer()
    else:
        with tenant_session(ctx.tenant_id):
            workflow = CoachWorkflow(ctx, history, llm, timeout=60, verbose=False)
            answer = asyncio.run(_run(workflow, question))
        wanted = use_llm if use_llm is not None else (llm is not None or _llm_configured())
        if wanted and not answer.refused:
            answer = phrase_with_llm(question, ctx, answer, history, llm)
    if ctx.session_id is not None:
        memory.append_turn(ctx, question, answer)
    return answer


def _llm_configured() -> bool:
    llm_module = importlib.import_module("coach.llm")
    return llm_module.llm_config() is not None


def _remembered(turn: Any) -> Answer:
    """A stored turn as the router reads history: the agents and facts it answered with."""
    from coach.core import ToolResult

    facts = turn.facts if isinstance(turn.facts, dict) else {}  # {tool: its facts}, as memory stores them
    return Answer(
        turn.answer_text,
        list(turn.agents or []),
        results=[ToolResult(str(tool), dict(values or {}), []) for tool, values in facts.items()],
        refused=turn.refused,
        used_llm=turn.used_llm,
    )


async def _run(workflow: CoachWorkflow, question: str) -> Answer:
    result = await workflow.run(question=question)
    if not isinstance(result, Answer):
        raise TypeError(f"the coach workflow returned {type(result).__name__}, not an Answer")
    return result
