"""The triggers: when something in a tenant's warehouse deserves the owner's attention, and what to say.

Each trigger has two halves: a reader that fetches plain rows over the tenant's own ``keel_app``
connection (a table that is not built yet reads as nothing to check), and a decision over those rows
that returns :class:`Alert` objects (tested on plain rows). Every alert says what happened, why it
matters for the owner's goals, and what to do, in the owner's words, with a link to a console page.

- goals: a goal whose latest evaluation (``ml.goal_evaluations``) is at risk or off track;
- anomaly: a metric's latest day outside the 95% interval a forecast made before that day gave it
  (``ml.forecasts``, or the forecasts noted ahead in ``app.alert_forecast_marks``);
- health: the monthly health score fell by at least the tenant's set number of points;
- freshness: a data source has not loaded within the tenant's freshness window;
- data checks: a failed Dagster asset check that concerns the tenant (the sensor hands them in).
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from coach.alerts import words
from coach.alerts.model import Alert, FailedCheck

#: Console pages the alerts link to (``app/console.py`` url paths).
PAGES = {
    "goals": "/goals",
    "forecasts": "/forecasts",
    "health": "/health",
    "sources": "/your-data",
    "overview": "/overview",
    "evidence": "/evidence",
    "plans": "/plans",
}
#: Goal statuses that are still being pursued (drafts and closed goals raise nothing).
OPEN_GOAL_STATUSES = ("active", "on_track", "at_risk", "off_track")
#: Metrics whose surprises are checked (the forecast metrics, in this order).
ANOMALY_WINDOW_DAYS = 7


def _exists(conn: psycopg.Connection[Any], relation: str) -> bool:
    row = conn.execute(
        "select to_regclass(%s) is not null and has_table_privilege(to_regclass(%s), 'select')",
        (relation, relation),
    ).fetchone()
    return bool(row and row[0])


# --------------------------------------------------------------------------------------------
# Goals
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalEvaluation:
    """A goal with its latest evaluation (``app.goals`` joined with ``ml.goal_evaluations``)."""

    goal_id: uuid.UUID
    title: str
    metric: str
    target: float
    deadline: dt.date
    goal_status: str
    status: str
    status_rule: str | None
    probability: float | None
    expected_value: float | None
    expected_lower: float | None
    expected_upper: float | None
    progress_value: float | None
    levers: list[dict[str, Any]]
    plan: dict[str, Any] | None
    data_through: dt.date | None = None


def read_goal_evaluations(conn: psycopg.Connection[Any]) -> list[GoalEvaluation]:
    """Open goals with their latest evaluation; nothing when the goal tables are not there yet."""
    if not (_exists(conn, "app.goals") and _exists(conn, "ml.goal_evaluations")):
        return []
    rows = conn.execute(
        """
        select g.goal_id, g.title, g.metric, g.target::double precision, g.deadline, g.status,
               e.status, e.status_rule, e.probability, e.expected_value, e.expected_lower, e.expected_upper,
               e.progress_value, e.levers, e.plan, e.data_through
        from app.goals g
        join lateral (
            select * from ml.goal_evaluations e
            where e.tenant_id = g.tenant_id and e.goal_id = g.goal_id
            order by e.evaluated_at desc limit 1
        ) e on true
        where g.tenant_id = (select app.current_tenant_id()) and g.status = any(%s)
        order by g.deadline
        """,
        (list(OPEN_GOAL_STATUSES),),
    ).fetchall()
    return [
        GoalEvaluation(
            goal_id=uuid.UUID(str(r[0])),
            title=r[1],
            metric=r[2],
            target=float(r[3]),
            deadline=r[4],
            goal_status=r[5],
            status=r[6],
            status_rule=r[7],
            probability=r[8],
            expected_value=r[9],
            expected_lower=r[10],
            expected_upper=r[11],
            progress_value=r[12],
            levers=list(r[13] or []),
            plan=r[14],
            data_through=r[15],
        )
        for r in rows
    ]


_GRADE_ORDER = {"strong": 0, "moderate": 1, "weak": 2, "inconclusive": 3}


def _best_lever(levers: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    graded = [lever for lever in levers if lever.get("grade") in ("strong", "moderate", "weak")]
    if not graded:
        return None
    return min(graded, key=lambda lever: _GRADE_ORDER[str(lever["grade"])])


def _step_text(step: Any) -> str:
    """A plan step as words: a string, or the first text field of a step object."""
    if isinstance(step, dict):
        for key in ("text", "action", "step", "description", "title", "summary"):
            if step.get(key):
                return str(step[key])
    return str(step)


def goal_alerts(goals: Sequence[GoalEvaluation], currency: str) -> list[Alert]:
    """An alert for every open goal whose latest evaluation says at risk or off track."""
    alerts = []
    for goal in goals:
        if goal.status not in ("at_risk", "off_track"):
            continue
        state_words = "at risk" if goal.status == "at_risk" else "off track"
        target = words.amount(goal.target, goal.metric, currency)
        what = f"Your goal “{goal.title}” is now {state_words}"
        if goal.probability is not None:
            what += (
                f": the forecast gives it a {words.percent(goal.probability)} chance of reaching {target} "
                f"by {words.day(goal.deadline)}"
            )
        what += "."
        if goal.expected_value is not None:
            what += f" Expected by then: {words.amount(goal.expected_value, goal.metric, currency)}"
            if goal.expected_lower is not None and goal.expected_upper is not None:
                what += (
                    f" (likely between {words.amount(goal.expected_lower, goal.metric, currency)} and "
                    f"{words.amount(goal.expected_upper, goal.metric, currency)})"
                )
            what += "."
        if goal.status_rule:
            what += f" {goal.status_rule.rstrip('.')}."
        why = (
            f"This is one of your goals: {words.metric_label(goal.metric)} of {target} "
            f"by {words.day(goal.deadline)}."
        )
        if goal.expected_value is not None:
            gap = goal.target - goal.expected_value
            if gap > 0:
                why += (
                    f" At the current pace it falls short by about {words.amount(gap, goal.metric, currency)}"
                    f", and the time left to close the gap gets shorter every week."
                )
        todo_parts = []
        lever = _best_lever(goal.levers)
        if lever is not None:
            lever_name = lever.get("label") or words.metric_label(str(lever.get("metric")))
            todo_parts.append(
                f"Pull the lever with the best evidence: {lever_name} ({lever['grade']} evidence). "
                f"{str(lever.get('explanation') or '').strip()}".strip()
            )
        plan = goal.plan or {}
        steps = [_step_text(step) for step in plan.get("steps") or []]
        if steps:
            todo_parts.append(f"First step of the plan: {steps[0].rstrip('.')}.")
        elif plan.get("summary"):
            todo_parts.append(f"The plan: {str(plan['summary']).rstrip('.')}.")
        if not todo_parts:
            todo_parts.append(
                "Open the goal to see what moves it, and record what you try as a check-in so Keel can "
                "measure it."
            )
        alerts.append(
            Alert(
                kind="goal",
                cause_key=f"goal:{goal.goal_id}",
                state=goal.status,
                severity="critical" if goal.status == "off_track" else "warning",
                title=f"Goal {state_words}: {goal.title}",
                what_happened=what,
                why_it_matters=why,
                what_to_do=" ".join(todo_parts),
                link=f"{PAGES['goals']}?goal={goal.goal_id}",
                detail={"goal_id": str(goal.goal_id), "probability": goal.probability, "status": goal.status},
            )
        )
    return alerts


# --------------------------------------------------------------------------------------------
# Anomalies: a metric outside its forecast's 95% interval
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForecastedDay:
    """A day that has both an actual value and a stored forecast for it (made before it happened)."""

    metric: str
    ds: dt.date
    actual: float
    point: float
    lo_95: float
    hi_95: float


#: Days ahead whose forecast is noted (the sensor runs every few minutes; a week leaves room for pauses).
MARK_DAYS_AHEAD = 14
#: Noted forecasts older than this are removed.
MARK_KEEP_DAYS = 90


def note_forecasts(conn: psycopg.Connection[Any]) -> int:
    """Note the chosen forecast of every day after the latest actual day (``app.alert_forecast_marks``).

    ``ml.forecasts`` holds only the latest run, which starts after the latest actual day; once that
    day's data arrives and the forecasts run again, the interval the day was forecast with is gone.
    Noting it while the day is still ahead keeps it for the anomaly trigger. A day already noted is
    updated until its data arrives (the freshest forecast made before the day wins), then frozen.
    """
    if not (_exists(conn, "ml.forecasts") and _exists(conn, "metrics.business_metrics_daily")):
        return 0
    cur = conn.execute(
        """
        with last_actual as (
            select coalesce(max(metric_date), '-infinity'::date) as day from metrics.business_metrics_daily
            where tenant_id = (select app.current_tenant_id())
        )
        insert into app.alert_forecast_marks as m (tenant_id, metric, ds, point, lo_95, hi_95, run_id)
        select f.tenant_id, f.metric, f.ds, f.point, f.lo_95, f.hi_95, f.run_id
        from ml.forecasts f, last_actual
        where f.tenant_id = (select app.current_tenant_id()) and f.is_chosen and f.ds > last_actual.day
          and f.ds <= last_actual.day + %s
        on conflict (tenant_id, metric, ds) do update set
            point = excluded.point, lo_95 = excluded.lo_95, hi_95 = excluded.hi_95,
            run_id = excluded.run_id, noted_at = now()
        """,
        (MARK_DAYS_AHEAD,),
    )
    conn.execute(
        "delete from app.alert_forecast_marks where tenant_id = (select app.current_tenant_id()) "
        "and ds < current_date - %s",
        (MARK_KEEP_DAYS,),
    )
    return cur.rowcount


def read_forecasted_days(conn: psycopg.Connection[Any]) -> list[ForecastedDay]:
    """Per forecast metric, its latest actual day for which a forecast made before it is stored.

    That forecast is in ``ml.forecasts`` (a run that covers days whose data arrived since) or in the
    forecasts noted by :func:`note_forecasts`.
    """
    if not (_exists(conn, "ml.forecasts") and _exists(conn, "metrics.business_metrics_daily")):
        return []
    metrics = [
        r[0]
        for r in conn.execute(
            "select metric from ml.forecasts "
            "where tenant_id = (select app.current_tenant_id()) and is_chosen "
            "union select metric from app.alert_forecast_marks "
            "where tenant_id = (select app.current_tenant_id()) order by 1"
        ).fetchall()
    ]
    columns = {
        r[0]
        for r in conn.execute(
            "select attname from pg_attribute where attrelid = 'metrics.business_metrics_daily'::regclass "
            "and attnum > 0 and not attisdropped"
        ).fetchall()
    }
    days = []
    for metric in metrics:
        if metric not in columns:
            continue
        row = conn.execute(
            psycopg.sql.SQL(
                """
                with forecast as (
                    select ds, point, lo_95, hi_95 from ml.forecasts
                    where tenant_id = (select app.current_tenant_id()) and metric = %s and is_chosen
                    union all
                    select ds, point, lo_95, hi_95 from app.alert_forecast_marks
                    where tenant_id = (select app.current_tenant_id()) and metric = %s
                )
                select f.ds, m.{column}::double precision, f.point, f.lo_95, f.hi_95
                from forecast f
                join metrics.business_metrics_daily m
                  on m.tenant_id = (select app.current_tenant_id()) and m.metric_date = f.ds
                where m.{column} is not null
                order by f.ds desc limit 1
                """
            ).format(column=psycopg.sql.Identifier(metric)),
            (metric, metric),
        ).fetchone()
        if row is not None:
            days.append(ForecastedDay(metric, row[0], float(row[1]), row[2], row[3], row[4]))
    return days


def anomaly_alerts(
    days: Sequence[ForecastedDay], goals: Sequence[GoalEvaluation], currency: str
) -> list[Alert]:
    """An alert for every metric whose latest forecasted day fell outside the 95% interval."""
    alerts = []
    for day in days:
        if not all(math.isfinite(v) for v in (day.actual, day.lo_95, day.hi_95)):
            continue
        if day.lo_95 <= day.actual <= day.hi_95:
            continue
        below = day.actual < day.lo_95
        bound = day.lo_95 if below else day.hi_95
        miss = abs(day.actual - bound)
        vs_forecast = (day.actual - day.point) / abs(day.point) if day.point else None
        label = words.metric_label(day.metric)

        def fmt(value: float, metric: str = day.metric) -> str:
            return words.amount(value, metric, currency)

        what = (
            f"{label.capitalize()} on {words.day(day.ds)} was {fmt(day.actual)}, {fmt(miss)} "
            f"{'below the lowest' if below else 'above the highest'} value the forecast expected "
            f"(95% range {fmt(day.lo_95)} to {fmt(day.hi_95)}; forecast {fmt(day.point)}"
        )
        if vs_forecast is not None:
            what += f", {words.percent(abs(vs_forecast))} {'under' if below else 'over'} it"
        what += ")."
        related = [g for g in goals if g.metric == day.metric]
        if related:
            why = f"Your goal “{related[0].title}” depends on {label}. " + (
                "A day this far below the forecast, if it repeats, lowers its chances."
                if below
                else "If what drove this day can be repeated, it raises its chances."
            )
        else:
            why = (
                f"A day outside the 95% range happens by chance about once in 20 days; {label} feeds your "
                "forecasts, health score and plans, so a real change here moves all of them."
            )
        if below:
            todo = (
                "Check what was different that day (opening hours, staff, stock-outs, a payment or website "
                "outage) and that all of the day's sales reached Keel. If it was a one-off, no action is "
                "needed; if it repeats tomorrow, look at the forecast page for the trend."
            )
        else:
            todo = (
                "Find what drove it (a promotion, an event, a new channel) and record it as an intervention, "
                "so the evidence engine can measure whether to repeat it."
            )
        alerts.append(
            Alert(
                kind="anomaly",
                cause_key=f"anomaly:{day.metric}",
                state="below" if below else "above",
                severity="warning",
                title=f"Unexpected {label}: {'lower' if below else 'higher'} than forecast",
                what_happened=what,
                why_it_matters=why,
                what_to_do=todo,
                link=f"{PAGES['forecasts']}?metric={day.metric}",
                detail={
                    "metric": day.metric,
                    "date": day.ds.isoformat(),
                    "actual": day.actual,
                    "lo_95": day.lo_95,
                    "hi_95": day.hi_95,
                    "point": day.point,
                },
            )
        )
    return alerts


# --------------------------------------------------------------------------------------------
# Health score
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HealthMonth:
    month: dt.date
    score: float
    change_drivers: list[str]
    components: dict[str, float | None]


HEALTH_COMPONENTS = {
    "growth_score": "growth",
    "profitability_score": "profitability",
    "liquidity_score": "cash and receivables",
    "efficiency_score": "efficiency",
    "customers_score": "customer health",
}


def read_health_months(conn: psycopg.Connection[Any]) -> list[HealthMonth]:
    """The two latest months of the health score, latest first."""
    if not _exists(conn, "metrics.health_score"):
        return []
    rows = conn.execute(
        "select metric_month, health_score, change_drivers, "
        + ", ".join(HEALTH_COMPONENTS)
        + " from metrics.health_score where tenant_id = (select app.current_tenant_id()) "
        "and health_score is not null order by metric_month desc limit 2"
    ).fetchall()
    return [
        HealthMonth(
            r[0],
            float(r[1]),
            list(r[2] or []),
            dict(zip(HEALTH_COMPONENTS, [None if v is None else float(v) for v in r[3:]], strict=True)),
        )
        for r in rows
    ]


def health_alerts(
    months: Sequence[HealthMonth], drop_points: float, goals: Sequence[GoalEvaluation]
) -> list[Alert]:
    """An alert when the latest month's score is ``drop_points`` or more below the month before."""
    if len(months) < 2:
        return []
    latest, previous = months[0], months[1]
    drop = previous.score - latest.score
    if drop < drop_points:
        return []
    scored = {k: v for k, v in latest.components.items() if v is not None}
    weakest = min(scored, key=lambda k: scored[k]) if scored else None
    what = (
        f"Your health score fell from {previous.score:.0f} to {latest.score:.0f} ({drop:.0f} points) in "
        f"{words.month(latest.month)}."
    )
    if latest.change_drivers:
        what += " " + " ".join(s.rstrip(".") + "." for s in latest.change_drivers[:3])
    why = (
        "The score sums up growth, profitability, cash and customers against businesses like yours; a fall "
        f"of {drop:.0f} points in a month is more than the usual ups and downs."
    )
    if goals:
        why += f" It is an early sign for your goals, such as “{goals[0].title}”."
    todo = "Open the health page to see which part fell and why."
    if weakest is not None:
        todo = (
            f"Start with {HEALTH_COMPONENTS[weakest]}, your weakest part this month "
            f"({scored[weakest]:.0f} of 100): the health page shows what drives it and how peers compare."
        )
    return [
        Alert(
            kind="health",
            cause_key="health:score",
            state=latest.month.isoformat(),
            severity="critical" if drop >= 2 * drop_points else "warning",
            title=f"Health score down {drop:.0f} points",
            what_happened=what,
            why_it_matters=why,
            what_to_do=todo,
            link=PAGES["health"],
            detail={"month": latest.month.isoformat(), "from": previous.score, "to": latest.score},
        )
    ]


# --------------------------------------------------------------------------------------------
# Source freshness
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceLoad:
    data_source_id: uuid.UUID
    name: str
    source_type: str
    last_loaded_at: dt.datetime | None


def read_sources(conn: psycopg.Connection[Any]) -> list[SourceLoad]:
    rows = conn.execute(
        "select data_source_id, name, source_type, last_loaded_at from app.data_sources "
        "where tenant_id = (select app.current_tenant_id()) and is_enabled order by name"
    ).fetchall()
    return [SourceLoad(uuid.UUID(str(r[0])), r[1], r[2], r[3]) for r in rows]


def freshness_alerts(sources: Sequence[SourceLoad], window_hours: int, now: dt.datetime) -> list[Alert]:
    """An alert for every enabled source that has not loaded within ``window_hours``."""
    alerts = []
    for source in sources:
        last = source.last_loaded_at
        if last is not None and now - last <= dt.timedelta(hours=window_hours):
            continue
        hours = None if last is None else (now - last).total_seconds() / 3600
        if last is None:
            what = f"{source.name} has never loaded any data into Keel."
        else:
            age = f"{hours / 24:.0f} days" if hours is not None and hours >= 48 else f"{hours:.0f} hours"
            what = (
                f"{source.name} last loaded on {words.day(last)}, {age} ago; Keel expects new data "
                f"at least every {window_hours} hours."
            )
        alerts.append(
            Alert(
                kind="freshness",
                cause_key=f"source:{source.data_source_id}",
                state=None if last is None else last.isoformat(),
                severity="warning",
                title=f"No new data from {source.name}",
                what_happened=what,
                why_it_matters=(
                    "Until it loads again, your metrics, forecasts, goal odds and alerts stop at the last "
                    "day it delivered, so they describe the past, not today."
                ),
                what_to_do=(
                    f"Open the sources page and reconnect {source.name} if it asks you to sign in again; "
                    "if it looks connected, load it again by hand."
                ),
                link=PAGES["sources"],
                detail={"data_source_id": str(source.data_source_id), "source_type": source.source_type},
            )
        )
    return alerts


# --------------------------------------------------------------------------------------------
# Data checks
# --------------------------------------------------------------------------------------------


def data_check_alerts(checks: Sequence[FailedCheck], tenant_id: uuid.UUID) -> list[Alert]:
    """An alert for every failed data check that concerns the tenant."""
    alerts = []
    for check in checks:
        if not check.concerns(tenant_id):
            continue
        subject = check.asset.replace("_", " ").replace("/", " ")
        alerts.append(
            Alert(
                kind="data_check",
                cause_key=f"check:{check.asset}:{check.check_name}",
                state=check.description,
                severity="warning",
                title=f"A data check failed: {check.check_name.replace('_', ' ')}",
                what_happened=(
                    f"Keel checks your data every time it is rebuilt; the check "
                    f"“{check.check_name.replace('_', ' ')}” on {subject} failed: "
                    f"{check.description.rstrip('.')}."
                ),
                why_it_matters=(
                    "Numbers built from data that failed a check may be wrong, and so may the goal odds and "
                    "plans that use them; Keel keeps showing them but flags them until the check passes."
                ),
                what_to_do=(
                    "Look at the source of this data on the sources page: a record may be missing or "
                    "duplicated. The alert clears by itself once the next rebuild passes the check."
                ),
                link=PAGES["sources"],
                detail={"asset": check.asset, "check": check.check_name},
            )
        )
    return alerts
