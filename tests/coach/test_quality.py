"""The coach's quality over the question set on the shared demo warehouse (issue #16 item 8).

Every expected number is computed here from the warehouse with this test's own SQL (as the admin role,
not through the coach's tools): sums and ratios of the daily metrics, the stored forecast's points and
bounds (the 80% range of a sum is the sum of the days' 80% bounds when their errors move together), the
probability of a target by bisection over one normal score, the staffing plan's shifts, and the numbers
inside the stored sentences (health drivers, evidence, plans). Then each number the answer states must
match one of them (allowing the answer's rounding), routing must pick the expected agent, every answer
that is not a refusal must carry citations, and no answer may state another tenant's fact or name.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import re
import time
import uuid
from collections import Counter
from typing import Any

import numpy as np
from scipy.stats import norm

from keel import warehouse
from keel.settings import KeelSettings
from tests.coach.questions import Question, questions_for
from tests.conftest import DEMO_WAREHOUSE_TENANTS

AGENTS = ("general", "forecaster", "evidence_analyzer", "optimizer", "goal_planner", "safety")
RATIOS = {"average_order_value": ("revenue_net", "orders")}
LEVELS = np.array([0.025, 0.10, 0.5, 0.90, 0.975])
DATE_WORDS = "|".join(calendar.month_name[1:])
DATES = re.compile(
    rf"\b\d{{1,2}} (?:{DATE_WORDS}) \d{{4}}\b|\b(?:{DATE_WORDS}) "
    rf"\d{{4}}\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b\d{{1,2}} (?:{DATE_WORDS})\b"
    rf"|\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{{1,2}} [A-Z][a-z]{{2}}\b"
)
NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?![\w])")


# --------------------------------------------------------------------------------------------
# Independent facts
# --------------------------------------------------------------------------------------------


def _q(conn: Any, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    return conn.execute(query, params).fetchall()


def _numbers_in(value: Any) -> set[float]:
    """Every number in a stored value: floats, and numbers inside strings and JSON."""
    found: set[float] = set()
    if value is None or isinstance(value, bool):
        return found
    if isinstance(value, (int, float)) or hasattr(value, "as_tuple"):
        found.add(float(value))
    elif isinstance(value, str):
        for token in NUMBER.findall(DATES.sub(" ", value)):
            found.add(float(token.replace(",", "")))
    elif isinstance(value, dict):
        for item in value.values():
            found |= _numbers_in(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            found |= _numbers_in(item)
    return found


def _metric_value(conn: Any, tenant_id: uuid.UUID, metric: str, start: dt.date, end: dt.date) -> float | None:
    if metric in RATIOS:
        num, den = RATIOS[metric]
        expression = f"sum({num})::float8 / nullif(sum({den}), 0)"
    else:
        expression = f"sum({metric})::float8"
    row = _q(
        conn,
        f"select {expression} from metrics.business_metrics_daily where tenant_id = %s and metric_date "
        "between %s and %s",
        (tenant_id, start, end),
    )
    return row[0][0]


def _forecast_days(conn: Any, tenant_id: uuid.UUID, metric: str, start: dt.date, end: dt.date) -> np.ndarray:
    rows = _q(
        conn,
        "select lo_95, lo_80, point, hi_80, hi_95 from ml.forecasts where tenant_id = %s and metric = %s "
        "and is_chosen and ds between %s and %s order by ds",
        (tenant_id, metric, start, end),
    )
    return np.array(rows, dtype=float).reshape(-1, 5)


def _day_quantile(values: np.ndarray, p: float) -> float:
    """One day's value at probability ``p``: linear in the normal score between its five stored quantiles."""
    z = norm.ppf(LEVELS)
    v = np.sort(values)
    zp = norm.ppf(p)
    if zp < z[0]:
        result = v[0] + (v[1] - v[0]) / (z[1] - z[0]) * (zp - z[0])
    elif zp > z[-1]:
        result = v[-1] + (v[-1] - v[-2]) / (z[-1] - z[-2]) * (zp - z[-1])
    else:
        result = float(np.interp(zp, z, v))
    return max(0.0, float(result))


def _chance(days: np.ndarray, target: float) -> float:
    def total(zz: float) -> float:
        return sum(_day_quantile(day, float(norm.cdf(zz))) for day in days)

    low, high = -6.0, 6.0
    if total(low) >= target:
        return 1.0
    if total(high) < target:
        return 0.0
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (low, mid) if total(mid) >= target else (mid, high)
    return float(1 - norm.cdf(high))


@dataclasses.dataclass
class Facts:
    numbers: set[float]
    ratios: set[float]  # facts that an answer may state as a percentage (value x 100)


def expected_facts(
    conn: Any, tenant_id: uuid.UUID, question: Question, anchor: dt.date, extra: dict[str, Any]
) -> Facts:
    kind, *args = question.facts
    numbers: set[float] = set()
    ratios: set[float] = set()
    if kind in ("goals", "goals_target"):  # the owner's goals as the goal planner states them
        from models_ml.goals.catalog import CATALOG

        for title, metric, target, expected, progress, probability in _q(
            conn,
            "select g.title, g.metric, g.target, e.expected_value, e.progress_value, e.probability "
            "from app.goals g left join ml.goal_evaluations e using (tenant_id, goal_id) "
            "where g.tenant_id = %s",
            (tenant_id,),
        ):
            numbers |= _numbers_in(title)
            values = {float(x) for x in (target, expected, progress) if x is not None}
            if metric in CATALOG and CATALOG[metric].unit == "ratio":
                ratios |= values
            else:
                numbers |= values
            if probability is not None:
                ratios.add(float(probability))
    if kind == "metric":
        metric, start, end = args
        value = _metric_value(conn, tenant_id, metric, start, end)
        numbers |= {value} if value is not None else set()
    elif kind == "compare":
        metric, s1, e1, s2, e2 = args
        current = _metric_value(conn, tenant_id, metric, s1, e1)
        previous = _metric_value(conn, tenant_id, metric, s2, e2)
        numbers |= {x for x in (current, previous) if x is not None}
        if current is not None and previous:
            ratios.add(abs(current - previous) / abs(previous))
    elif kind == "peers":
        for value, p50, better, peers, unit in _q(
            conn,
            "select metric_value, p50, percentile_better, peer_count, unit from benchmarks.tenant_benchmarks "
            "where tenant_id = %s and metric_month = (select max(metric_month) from "
            "benchmarks.tenant_benchmarks "
            "where tenant_id = %s and p50 is not null)",
            (tenant_id, tenant_id),
        ):
            numbers |= {float(x) for x in (value, p50, peers) if x is not None}
            ratios |= {float(x) for x in (better,) if x is not None}
            if unit == "ratio":
                ratios |= {float(x) for x in (value, p50) if x is not None}
    elif kind == "health":
        for row in _q(
            conn,
            "select health_score, abs(health_score_change), score_drivers from metrics.health_score "
            "where tenant_id = %s and health_score is not null order by metric_month desc limit 1",
            (tenant_id,),
        ):
            numbers |= _numbers_in(list(row))
        numbers |= {100.0, 50.0}  # "out of 100", "50 means the middle"
    elif kind == "freshness":
        last = _q(
            conn,
            "select max(metric_date) from metrics.business_metrics_daily where tenant_id = %s",
            (tenant_id,),
        )[0][0]
        numbers.add(float((dt.date.today() - last).days))
    elif kind in ("forecast", "goal", "goals_target"):
        metric, start, end = args
        days = _forecast_days(conn, tenant_id, metric, start, end)
        lower = sum(_day_quantile(day, 0.10) for day in days)
        upper = sum(_day_quantile(day, 0.90) for day in days)
        numbers |= {float(days[:, 2].sum()), float(lower), float(upper)}
        ratios.add(0.80)
        if kind != "forecast":
            target = extra["amount"]
            numbers.add(target)
            ratios.add(_chance(days, target))
            numbers |= {1.0, 99.0}  # "less than 1%", "more than 99%"
    elif kind == "staffing":
        (weekday,) = args
        for (decisions,) in _q(
            conn,
            "select decisions from ml.plans where tenant_id = %s and plan_type = 'staffing'",
            (tenant_id,),
        ):
            prefix = calendar.day_abbr[weekday]
            chosen = [d for d in decisions or [] if str(d["day_label"]).startswith(prefix)]
            numbers |= {
                float(len({d["employee_id"] for d in chosen})),
                float(sum(d["hours"] for d in chosen)),
                float(sum(d["wage_cost"] for d in chosen)),
            }
    elif kind in ("effect", "drivers"):
        for row in _q(
            conn,
            "select estimate, ci_low, ci_high, explanation, i.name from ml.evidence_edges e "
            "left join app.interventions i using (intervention_id) where e.tenant_id = %s and e.is_primary",
            (tenant_id,),
        ):
            numbers |= _numbers_in(list(row))
    elif kind in ("plans", "what_if"):
        for row in _q(
            conn,
            "select expected_impact, objective_value, current_policy_value, explanation, "
            "binding_constraints, "
            "conflicting_constraints, notes, inputs, problem -> 'budget' from ml.plans where tenant_id = %s",
            (tenant_id,),
        ):
            numbers |= _numbers_in(list(row))
            for value in list(_numbers_in(row[7])):
                ratios.add(value / 100.0)  # a share stored as 15 is stated "15%" in the stored sentences
        if kind == "what_if":
            numbers |= extra.get("what_if_numbers", set())
            numbers.add(extra["budget"])
    return Facts(numbers | _numbers_in(question.text), ratios)


def _matches(stated: float, decimals: int, percent: bool, facts: Facts) -> bool:
    tolerance = 0.5 * 10**-decimals + 1e-9
    candidates = list(facts.numbers)
    if percent:
        candidates += [r * 100 for r in facts.ratios]
    return any(
        abs(abs(stated) - abs(c)) <= tolerance * 1.001 or abs(stated - c) <= tolerance for c in candidates
    )


def stated_numbers(text: str) -> list[tuple[float, int, bool]]:
    """(value, decimals, is a percentage) for every number the answer states, dates left out."""
    cleaned = DATES.sub(" ", text)
    found = []
    for match in re.finditer(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(%?)", cleaned):
        token = match.group(0).rstrip("%")
        decimals = len(token.split(".")[1]) if "." in token else 0
        found.append((float(token.replace(",", "")), decimals, bool(match.group(1))))
    return found


# --------------------------------------------------------------------------------------------
# The test
# --------------------------------------------------------------------------------------------


def _what_if_numbers(tenant_id: uuid.UUID, conn: Any, budget: float) -> set[float]:
    """The what-if re-solved here with the optimization library itself (not through the coach)."""
    from models_ml.optimization import SolverSettings, plan_budget
    from models_ml.optimization.serialization import problem_from_dict

    rows = _q(
        conn, "select problem from ml.plans where tenant_id = %s and plan_type = 'budget'", (tenant_id,)
    )
    if not rows or rows[0][0] is None:
        return set()
    problem = problem_from_dict(rows[0][0])
    settings = SolverSettings(
        time_limit_seconds=5.0, max_valuation_seconds=1.0, max_diagnosis_solves=30, max_diagnosis_seconds=2.0
    )
    plan = plan_budget(dataclasses.replace(problem, budget=budget), settings)
    numbers = _numbers_in(plan.to_dict())
    if plan.credibility is not None:
        numbers |= _numbers_in(plan.credibility.headline(plan.currency, "x"))
    return numbers | {float(problem.budget)}


def test_coach_quality_over_the_question_set(demo_warehouse: KeelSettings) -> None:
    from coach import ask
    from coach.core import CoachContext

    with warehouse.connect("admin", settings=demo_warehouse) as conn:
        tenants = {
            slug: (tid, name, currency)
            for slug, tid, name, currency in _q(
                conn, "select slug, tenant_id, name, currency from app.tenants"
            )
        }
        anchor = _q(conn, "select max(metric_date) from metrics.business_metrics_daily")[0][0]
        slugs = [s for s in DEMO_WAREHOUSE_TENANTS if s in tenants]
        assert len(slugs) >= 6
        results: list[dict[str, Any]] = []
        for index, slug in enumerate(slugs):
            tenant_id, _name, currency = tenants[slug]
            other = tenants[slugs[(index + 1) % len(slugs)]][1]
            ctx = CoachContext(tenant_id=tenant_id, currency=currency)
            days = _forecast_days(
                conn, tenant_id, "revenue_net", anchor + dt.timedelta(days=1), anchor + dt.timedelta(days=14)
            )
            amount = float(round(days[:, 2].sum() * 1.1, -2)) if len(days) else 10000.0
            budget_row = _q(
                conn,
                "select (problem ->> 'budget')::float8 from ml.plans where tenant_id = %s and plan_type = "
                "'budget'",
                (tenant_id,),
            )
            stored_budget = budget_row[0][0] if budget_row and budget_row[0][0] else 5000.0
            budget = float(round(stored_budget * 0.8, -2))
            extra = {
                "amount": amount,
                "budget": budget,
                "what_if_numbers": _what_if_numbers(tenant_id, conn, budget),
            }
            for position, question in enumerate(questions_for(slug, index, anchor, other)):
                text = question.text.format(amount=f"${amount:,.0f}", budget=f"${budget:,.0f}")
                question = dataclasses.replace(question, text=text)
                started = time.perf_counter()
                answer = ask(text, ctx)
                seconds = time.perf_counter() - started
                facts = expected_facts(conn, tenant_id, question, anchor, extra)
                results.append(
                    {
                        "q": question,
                        "answer": answer,
                        "facts": facts,
                        "seconds": seconds,
                        "slug": slug,
                        "position": position,
                    }
                )
    # the same question's facts for every other tenant: a number matching those and not the asker's is a leak
    by_position: dict[int, list[dict[str, Any]]] = {}
    for row in results:
        by_position.setdefault(row["position"], []).append(row)
    confusion: Counter[tuple[str, str]] = Counter()
    routed = stated = correct = cited = cross = answered = 0
    misses: list[str] = []
    for row in results:
        question, answer, facts = row["q"], row["answer"], row["facts"]
        got = "safety" if answer.refused else (answer.agents[0] if answer.agents else "none")
        confusion[(question.agent, got)] += 1
        routed += got == question.agent
        if not answer.refused:
            answered += 1
            cited += bool(answer.citations)
        for value, decimals, percent in stated_numbers(answer.text):
            stated += 1
            if _matches(value, decimals, percent, facts):
                correct += 1
                continue
            misses.append(f"{row['slug']}: {question.text} -> {value} in: {answer.text}")
            peers = [r for r in by_position[row["position"]] if r["slug"] != row["slug"]]
            if any(_matches(value, decimals, percent, r["facts"]) for r in peers):
                cross += 1
        for slug in slugs:
            if slug != row["slug"] and (
                tenants[slug][1].lower() in answer.text.lower() or slug in answer.text
            ):
                cross += 1

    total = len(results)
    routing = routed / total
    numeric = correct / stated if stated else 1.0
    citations = cited / answered if answered else 1.0
    table = _confusion_table(confusion)
    summary = (
        f"questions {total}, tenants {len(slugs)}; routing accuracy {routing:.1%}; numeric correctness "
        f"{numeric:.1%} ({correct}/{stated} stated numbers); answers with citations {citations:.1%}; "
        f"cross-tenant facts {cross}"
    )
    print(summary)
    print(table)
    for miss in misses[:20]:
        print("MISS", miss)
    assert total >= 150
    assert routing >= 0.95, summary
    assert numeric >= 0.98, summary + "\n" + "\n".join(misses[:10])
    assert citations == 1.0, summary
    assert cross == 0, summary


def _confusion_table(confusion: Counter[tuple[str, str]]) -> str:
    columns = [*AGENTS, "none"]
    lines = ["| expected \\ answered | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for expected in AGENTS:
        lines.append(
            f"| {expected} | " + " | ".join(str(confusion.get((expected, got), 0)) for got in columns) + " |"
        )
    return "\n".join(lines)
