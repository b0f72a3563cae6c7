"""Offline answers: one template per intent over the tools' results, the takeaway sentence first.

Money is written in the tenant's currency, shares as percentages, dates as dates (:mod:`coach.formatting`);
how sure Keel is follows the takeaway (an 80% range, a grade, a confidence), and the last sentence says
where the numbers come from. Only numbers the tools returned are stated.
"""

from __future__ import annotations

from collections.abc import Callable

from coach import formatting as fmt
from coach.core import CoachContext, ToolResult
from coach.metrics import BY_NAME

Composer = Callable[[list[ToolResult], CoachContext], str]


def amount(value: float | None, kind: str, ctx: CoachContext) -> str:
    """A metric's value as the owner reads it."""
    if value is None:
        return "no figure"
    if kind == "money":
        return fmt.money(value, ctx.currency)
    if kind == "share":
        return fmt.percent(value)
    return fmt.count(value, 0)


def _source(result: ToolResult) -> str:
    citation = result.citations[0] if result.citations else None
    if citation is None:
        return ""
    through = f", with data up to {fmt.day(citation.data_through)}" if citation.data_through else ""
    page = f" (see the {citation.page} page)" if citation.page else ""
    return f"Source: Keel's {_asset_words(citation.asset_key)}{through}{page}."


#: What each cited asset is, in the owner's words (the answers, the console's sources and ``keel ask``).
ASSET_WORDS: dict[str, str] = {
    "metrics/business_metrics_daily": "daily business metrics",
    "metrics/health_score": "monthly health score",
    "benchmarks/tenant_benchmarks": "peer benchmarks",
    "ml/forecasts": "stored forecasts",
    "ml/evidence_edges": "evidence graph",
    "ml/plans": "optimized plans",
    "ml/goal_evaluations": "goal evaluations",
    "app/goals": "goals",
}


def _asset_words(asset_key: str) -> str:
    return ASSET_WORDS.get(asset_key, "reports")


def _was(label: str) -> str:
    return "were" if label.endswith("s") and not label.endswith("ss") else "was"


def metric_over_period(results: list[ToolResult], ctx: CoachContext) -> str:
    facts = results[0].facts
    when = fmt.span(facts["start"], facts["end"])
    if facts["value"] is None or facts["days_with_data"] == 0:
        return f"Keel has no {facts['label']} figures for {when}. {_source(results[0])}"
    verb = "stood at" if facts["aggregation"] == "level" else _was(facts["label"])
    text = f"Your {facts['label']} for {when} {verb} {amount(facts['value'], facts['kind'], ctx)}."
    if facts["days_with_data"] < facts["period_days"]:
        text += " Keel does not have every day of that period yet, so this covers the days it has."
    return f"{text} {_source(results[0])}"


def compare_periods(results: list[ToolResult], ctx: CoachContext) -> str:
    f = results[0].facts
    now, before = fmt.span(f["start"], f["end"]), fmt.span(f["previous_start"], f["previous_end"])
    current, previous = amount(f["current"], f["kind"], ctx), amount(f["previous"], f["kind"], ctx)
    if f["current"] is None or f["previous"] is None:
        return (
            f"Keel cannot compare {f['label']} for {now} with {before}: one of them has no figures. "
            f"{_source(results[0])}"
        )
    if f["change"] is None or abs(f["change"]) < 0.0005:
        text = (
            f"Your {f['label']} {_was(f['label'])} {current} in {now}, about the same as {previous} in "
            f"{before}."
        )
    else:
        direction = "up" if f["change"] > 0 else "down"
        text = (
            f"Your {f['label']} {_was(f['label'])} {current} in {now}, {direction} "
            f"{fmt.percent(abs(f['change']))} from {previous} in {before}."
        )
        better = (f["change"] > 0) == f["higher_is_better"]
        text += (
            " That is a move in the right direction." if better else " That is a move in the wrong direction."
        )
    return f"{text} {_source(results[0])}"


def _peer_value(value: float | None, unit: str, ctx: CoachContext) -> str:
    if value is None:
        return "no figure"
    if unit == "ratio":
        return fmt.percent(value)
    if unit == "days":
        return f"{fmt.count(value, 1)} days"
    if len(unit) == 3 and unit.isupper():
        return fmt.money(value, unit)
    return fmt.count(value, 1)


def peers(results: list[ToolResult], ctx: CoachContext) -> str:
    result = results[0]
    if not result.rows:
        return f"Keel has no peer comparison for your business yet. {_source(result)}"
    month = fmt.month(result.facts["month"])
    sentences = []
    for row in result.rows[:3]:
        better = row["better_than"]
        sentences.append(
            f"your {row['label'].lower()} of {_peer_value(row['value'], row['unit'], ctx)} is better than "
            f"{fmt.percent(better)} of the {row['peers']} businesses compared "
            f"(their median: {_peer_value(row['median'], row['unit'], ctx)})"
        )
    first, *rest = sentences
    text = f"Against similar businesses in {month}, {first}."
    for sentence in rest:
        text += f" Also, {sentence}."
    return f"{text} {_source(result)}"


def health(results: list[ToolResult], ctx: CoachContext) -> str:
    f = results[0].facts
    if f["score"] is None:
        return (
            "Keel has no health score for your business yet: it needs a complete month of data. "
            f"{_source(results[0])}"
        )
    text = f"Your health score for {fmt.month(f['month'])} is {fmt.count(f['score'], 1)} out of 100"
    change = f.get("change")
    if change is not None and abs(change) >= 0.05:
        text += f", {'up' if change > 0 else 'down'} {fmt.count(abs(change), 1)} points from the month before"
    text += f" ({f['confidence']} confidence; 50 means the middle of similar businesses)."
    drivers = f.get("score_drivers") or []
    if drivers:
        text += " " + " ".join(drivers[:2])
    return f"{text} {_source(results[0])}"


def freshness(results: list[ToolResult], ctx: CoachContext) -> str:
    f = results[0].facts
    if f["last_day"] is None:
        return "Keel has no data for your business yet: connect a source or run the demo."
    text = f"Your figures run up to {fmt.day(f['last_day'])}"
    built = f.get("built_at")
    text += f"; the metrics were last rebuilt on {fmt.day(built.date())}" if built else ""
    layers = [(name, f.get(f"{name}_at")) for name in ("forecasts", "evidence", "plans")]
    made = [f"{name} on {fmt.day(at.date())}" for name, at in layers if at is not None]
    if made:
        text += ", and Keel last updated your " + ", ".join(made)
    text += "."
    behind = f.get("days_behind")
    if behind is not None and behind > 1:
        text += f" The newest day of data is {fmt.count(behind)} days before {fmt.day(f['today'])}."
    return f"{text} {_source(results[0])}"


def forecast(results: list[ToolResult], ctx: CoachContext) -> str:
    f = results[0].facts
    when = fmt.span(f["start"], f["end"])
    if not f.get("available"):
        return f"Keel has no stored forecast of {f['label']} yet. {_source(results[0])}"
    if results[0].tool == "probability_of_target" and f.get("clipped"):
        return (
            f"Keel's forecast of {f['label']} runs only to {fmt.day(f['horizon_end'])}, so it cannot judge "
            "a target "
            f"for a period that ends later; ask about a period up to then. {_source(results[0])}"
        )
    if not f.get("covered") or "expected" not in f:
        return (
            f"Keel's forecast of {f['label']} runs only to {fmt.day(f['horizon_end'])}, so it cannot say "
            "much about "
            f"{when}; ask about a period up to then. {_source(results[0])}"
        )
    kind = f["kind"]
    reach = " (as far as the forecast reaches)" if f.get("clipped") else ""
    text = (
        f"Keel expects your {f['label']} for {when}{reach} to be about {amount(f['expected'], kind, ctx)}, "
        f"likely between {amount(f['lower_80'], kind, ctx)} and {amount(f['upper_80'], kind, ctx)} (an 80% "
        "range)."
    )
    if f.get("observed_days"):
        text += (
            f" That includes {amount(f['realized'], kind, ctx)} already recorded up to "
            f"{fmt.day(f['last_actual'])}."
        )
    return f"{text} {_source(results[0])}"


def forecast_goal(results: list[ToolResult], ctx: CoachContext) -> str:
    f = results[0].facts
    when = fmt.span(f["start"], f["end"])
    kind = f["kind"]
    target = amount(f["target"], kind, ctx)
    if f.get("probability") is None:
        return forecast(results, ctx).replace(
            "Keel", f"To judge a target of {target}, Keel needs a forecast; Keel", 1
        )
    chance = f["probability"]
    if chance >= 0.995:
        odds = "more than 99%"
    elif chance <= 0.005:
        odds = "less than 1%"
    else:
        odds = fmt.percent(chance)
    verdict = "likely" if chance >= 0.6 else ("a toss-up" if chance >= 0.4 else "unlikely")
    text = (
        f"Reaching {target} in {f['label']} for {when} is {verdict}: Keel puts the chance at {odds}. "
        f"It expects about {amount(f['expected'], kind, ctx)}, likely between "
        f"{amount(f['lower_80'], kind, ctx)} "
        f"and {amount(f['upper_80'], kind, ctx)} (an 80% range)."
    )
    return f"{text} {_source(results[0])}"


def staffing(results: list[ToolResult], ctx: CoachContext) -> str:
    f = results[0].facts
    if not f.get("available"):
        return (
            "Keel has no staffing plan for your business, so it cannot say who to schedule on "
            f"{f['weekday']}. {_source(results[0])}"
        )
    if not f["people"]:
        return f"The staffing plan schedules nobody on {f['weekday']}. {_source(results[0])}"
    text = (
        f"The staffing plan puts {fmt.count(f['people'])} people on {f['weekday']}, "
        f"{fmt.count(f['hours'])} staff hours at a wage cost of {fmt.money(f['wage_cost'], ctx.currency)}."
    )
    return (
        f"{text} It covers the customers Keel forecasts for that day at the service level you chose. "
        f"{_source(results[0])}"
    )


def evidence_effect(results: list[ToolResult], ctx: CoachContext) -> str:
    f = results[0].facts
    effects = f["effects"]
    if not effects:
        if f["recorded"]:
            return f"Keel has not estimated the effect of your recorded changes yet. {_source(results[0])}"
        return (
            "You have not recorded any changes yet; record one on the Evidence page and Keel will estimate "
            f"its effect. {_source(results[0])}"
        )
    parts = []
    for effect in effects[: 1 if f["named"] else 3]:
        parts.append(f"{effect['name']}: {effect['grade']} evidence. {effect['explanation']}")
    lead = "Here is what Keel found about your recorded changes." if not f["named"] else ""
    return " ".join(p for p in (lead, *parts, _source(results[0])) if p)


def evidence_drivers(results: list[ToolResult], ctx: CoachContext) -> str:
    f = results[0].facts
    if not f["drivers"]:
        return f"Keel has not found what drives your figures yet. {_source(results[0])}"
    parts = [f"{d['cause']} ({d['grade']} evidence): {d['explanation']}" for d in f["drivers"]]
    return "What moves your figures most: " + " ".join(parts) + f" {_source(results[0])}"


def plans(results: list[ToolResult], ctx: CoachContext) -> str:
    f = results[0].facts
    if not f["plans"]:
        return f"Keel has no plans for your business yet. {_source(results[0])}"
    parts = []
    for plan in f["plans"]:
        title = plan["title"].capitalize()
        if not plan["feasible"]:
            conflicts = "; ".join(plan["conflicts"][:2]) or "its limits cannot all hold together"
            parts.append(f"{title} plan: no plan fits your limits ({conflicts}).")
            continue
        head = plan.get("headline") or ""
        parts.append(f"{title} plan: {head}".strip())
        if plan["holding_back"]:
            parts.append(f"What holds it back: {plan['holding_back'][0]}")
    return " ".join(parts) + f" {_source(results[0])}"


def what_if(results: list[ToolResult], ctx: CoachContext) -> str:
    f = results[0].facts
    if not f["available"]:
        return (
            f"Keel could not build a {f['title']} plan from your data, so there is no plan to try a "
            "different "
            f"{f['field']} on; the Plans page says what is missing. {_source(results[0])}"
        )
    value = fmt.money(f["new_value"], ctx.currency) if f["unit"] == "money" else fmt.percent(f["new_value"])
    old = fmt.money(f["old_value"], ctx.currency) if f["unit"] == "money" else fmt.percent(f["old_value"])
    if not f["feasible"]:
        return (
            f"With a {f['field']} of {value}, no {f['title']} plan fits your limits: {f['explanation']} "
            f"{_source(results[0])}"
        )
    if f["new_impact"] is None:
        return (
            f"With a {f['field']} of {value} instead of {old}, Keel would not promise a gain: "
            f"{f.get('headline', 'the inputs cannot back one')} {_source(results[0])}"
        )
    text = (
        f"With a {f['field']} of {value} instead of {old}, the {f['title']} plan would gain "
        f"{fmt.money(f['new_impact'], ctx.currency)} over {f['horizon']}"
    )
    if f["stored_impact"] is not None:
        text += f", against {fmt.money(f['stored_impact'], ctx.currency)} for the current plan"
    return f"{text}. Nothing was saved; this is a what-if. {_source(results[0])}"


def goals(results: list[ToolResult], ctx: CoachContext) -> str:
    f = results[0].facts
    if not f["goals"]:
        text = (
            "You have no goals set yet. Set one on the Goals page: pick a figure (revenue, orders, new "
            "customers), "
            "a target and a deadline, and Keel will track your chance of reaching it and the levers that "
            "help."
        )
        if len(results) > 1 and results[1].facts.get("probability") is not None:
            text += " Meanwhile: " + forecast_goal(results[1:], ctx)
        return text
    parts = []
    for goal in f["goals"][:3]:
        kind = _goal_kind(goal["metric"])
        target = f"target {amount(goal['target'], kind, ctx)} by {fmt.day(goal['deadline'])}"
        status = goal.get("status")
        if status in ("achieved", "missed"):
            reached = f" ({amount(goal['progress'], kind, ctx)})" if goal.get("progress") is not None else ""
            parts.append(f"{goal['title']}: {target}; the deadline has passed and it was {status}{reached}.")
            continue
        if status == "abandoned":
            parts.append(f"{goal['title']}: {target}; you set it aside.")
            continue
        sentence = f"{goal['title']}: {target}"
        if goal["probability"] is not None:
            sentence += f", a {fmt.percent(goal['probability'])} chance"
        if goal["expected"] is not None:
            sentence += f" (Keel expects about {amount(goal['expected'], kind, ctx)})"
        parts.append(sentence + ".")
    return " ".join(parts) + f" {_source(results[0])}"


def _goal_kind(metric: str) -> str:
    """How a goal's figure reads: the goal catalogue's unit (a share of revenue is a percentage)."""
    from models_ml.goals.catalog import CATALOG

    spec = CATALOG.get(metric)
    if spec is not None:
        return {"money": "money", "ratio": "share"}.get(spec.unit, "count")
    known = BY_NAME.get(metric)
    return known.kind if known else "count"


COMPOSERS: dict[str, Composer] = {
    "metric_over_period": metric_over_period,
    "compare_periods": compare_periods,
    "peers": peers,
    "health": health,
    "freshness": freshness,
    "forecast": forecast,
    "forecast_goal": forecast_goal,
    "staffing": staffing,
    "evidence_effect": evidence_effect,
    "evidence_drivers": evidence_drivers,
    "optimizer_plan": plans,
    "optimizer_what_if": what_if,
    "goals": goals,
}


def compose(intent: str, results: list[ToolResult], ctx: CoachContext) -> str:
    return COMPOSERS[intent](results, ctx)
