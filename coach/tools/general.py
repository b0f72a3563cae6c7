"""General tools: a metric over a period, two periods compared, the business against its peers, the health
score and its drivers, and how fresh the data is.

Each reads one materialized dbt model through :mod:`coach.tools._db` and cites it. The dbt models carry no
Dagster run id; ``metrics.business_metrics_daily`` stores the dbt invocation that built its rows and when
(``dbt_invocation_id``, ``built_at``), which its citation names; the health score and benchmarks models are
built by the same dbt build, so they cite that build too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from psycopg import sql

from coach.core import Citation, CoachContext, ToolResult
from coach.errors import CoachInputError
from coach.metrics import BY_NAME, MetricSpec
from coach.tools._db import as_date, one, remembered, rows, tenant_connection

METRICS_ASSET = "metrics/business_metrics_daily"


def _metric(name: str) -> MetricSpec:
    if name not in BY_NAME:
        known = ", ".join(spec.label for spec in BY_NAME.values())
        raise CoachInputError(f"metric {name!r} is not one Keel tracks", f"ask about one of: {known}")
    return BY_NAME[name]


def _period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise CoachInputError(
            f"the period ends ({end}) before it starts ({start})", "name the earlier date first"
        )


def metrics_build(ctx: CoachContext) -> dict[str, Any]:
    """The dbt build behind the tenant's daily metrics: invocation, time, first and last day."""
    return dict(remembered(ctx.tenant_id, "metrics_build", lambda: _metrics_build(ctx)))


def _metrics_build(ctx: CoachContext) -> dict[str, Any]:
    # Newest and oldest row by the primary key (tenant, day): an index probe per partition, not a scan.
    # Incremental builds rewrite the latest days, so the newest row names the latest build.
    with tenant_connection(ctx.tenant_id) as conn:
        newest = one(
            conn,
            "select metric_date, built_at, dbt_invocation_id from metrics.business_metrics_daily "
            "where tenant_id = (select app.current_tenant_id()) order by metric_date desc limit 1",
        )
        oldest = one(
            conn,
            "select metric_date from metrics.business_metrics_daily "
            "where tenant_id = (select app.current_tenant_id()) order by metric_date limit 1",
        )
    if newest is None:
        return {"last_day": None, "first_day": None, "built_at": None, "run_id": None}
    return {
        "last_day": newest["metric_date"],
        "first_day": oldest["metric_date"] if oldest else None,
        "built_at": newest["built_at"],
        "run_id": newest["dbt_invocation_id"],
    }


def metrics_citation(
    ctx: CoachContext, asset: str = METRICS_ASSET, page: str = "Overview", through: dt.date | None = None
) -> Citation:
    build = metrics_build(ctx)
    return Citation(asset, build["run_id"], build["built_at"], through or build["last_day"], page)


def _value(conn: Any, spec: MetricSpec, start: dt.date, end: dt.date) -> tuple[float | None, int]:
    if spec.aggregation == "ratio":
        expression = sql.SQL("sum({})::double precision / nullif(sum({}), 0)").format(
            sql.Identifier(spec.numerator or ""), sql.Identifier(spec.denominator or "")
        )
    elif spec.aggregation == "level":
        expression = sql.SQL(
            "(array_agg({} order by metric_date desc) filter (where {} is not null))[1]::double precision"
        ).format(sql.Identifier(spec.name), sql.Identifier(spec.name))
    else:
        expression = sql.SQL("sum({})::double precision").format(sql.Identifier(spec.name))
    query = sql.SQL(
        "select {} as value, count(*) as days from metrics.business_metrics_daily "
        "where tenant_id = (select app.current_tenant_id()) and metric_date between %s and %s"
    ).format(expression)
    found = rows(conn, query.as_string(conn), (start, end))
    if not found:
        return None, 0
    return found[0]["value"], int(found[0]["days"])


def metric_over_period(ctx: CoachContext, metric: str, start: dt.date, end: dt.date) -> ToolResult:
    """One metric over a period: a sum over the days, a ratio of sums, or a level on the last day."""
    spec = _metric(metric)
    _period(start, end)
    with tenant_connection(ctx.tenant_id) as conn:
        value, days = _value(conn, spec, start, end)
        citation = metrics_citation(ctx)
    facts = {
        "metric": spec.name,
        "label": spec.label,
        "kind": spec.kind,
        "aggregation": spec.aggregation,
        "value": value,
        "start": start,
        "end": end,
        "days_with_data": days,
        "period_days": (end - start).days + 1,
    }
    return ToolResult("metric_over_period", facts, [citation])


def compare_periods(
    ctx: CoachContext,
    metric: str,
    start: dt.date,
    end: dt.date,
    previous_start: dt.date,
    previous_end: dt.date,
) -> ToolResult:
    """One metric in a period against another period (usually the one before, or a year earlier)."""
    spec = _metric(metric)
    _period(start, end)
    _period(previous_start, previous_end)
    with tenant_connection(ctx.tenant_id) as conn:
        current, days = _value(conn, spec, start, end)
        previous, previous_days = _value(conn, spec, previous_start, previous_end)
        citation = metrics_citation(ctx)
    change = None
    if current is not None and previous is not None and previous != 0:
        change = (current - previous) / abs(previous)
    facts = {
        "metric": spec.name,
        "label": spec.label,
        "kind": spec.kind,
        "higher_is_better": spec.higher_is_better,
        "current": current,
        "previous": previous,
        "change": change,
        "start": start,
        "end": end,
        "previous_start": previous_start,
        "previous_end": previous_end,
        "days_with_data": days,
        "previous_days_with_data": previous_days,
    }
    return ToolResult("compare_periods", facts, [citation])


def compare_with_peers(ctx: CoachContext, metric: str | None = None) -> ToolResult:
    """The business's latest complete month against its peer group's percentiles (k-anonymous peers)."""
    with tenant_connection(ctx.tenant_id) as conn:
        found = rows(
            conn,
            "select metric_month, metric, metric_label, unit, peer_group, peer_count, metric_value, p25, "
            "p50, "
            "p75, percentile_better from benchmarks.tenant_benchmarks "
            "where tenant_id = (select app.current_tenant_id()) and metric_value is not null and p50 is not "
            "null "
            "and metric_month = (select max(metric_month) from benchmarks.tenant_benchmarks "
            "where tenant_id = (select app.current_tenant_id()) and p50 is not null) "
            "order by metric",
        )
        build = metrics_build(ctx)
    month = found[0]["metric_month"] if found else None
    chosen = ([r for r in found if r["metric"] == metric] or found) if metric is not None else found
    chosen = sorted(chosen, key=lambda r: abs(float(r["percentile_better"] or 0.5) - 0.5), reverse=True)
    facts = {"month": as_date(month), "metric": metric, "comparisons": len(found)}
    citation = Citation(
        "benchmarks/tenant_benchmarks",
        build["run_id"],
        build["built_at"],
        _month_end(as_date(month)),
        "Health",
    )
    table = [
        {
            "metric": r["metric"],
            "label": r["metric_label"],
            "unit": r["unit"],
            "value": _num(r["metric_value"]),
            "median": _num(r["p50"]),
            "p25": _num(r["p25"]),
            "p75": _num(r["p75"]),
            "better_than": _num(r["percentile_better"]),
            "peers": r["peer_count"],
            "peer_group": r["peer_group"],
        }
        for r in chosen
    ]
    return ToolResult("compare_with_peers", facts, [citation], rows=table)


def health_score(ctx: CoachContext) -> ToolResult:
    """The latest monthly health score (0-100), its change, its components and what drives it."""
    with tenant_connection(ctx.tenant_id) as conn:
        found = one(
            conn,
            "select metric_month, health_score, health_score_change, confidence_label, score_drivers, "
            "change_drivers, growth_score, profitability_score, liquidity_score, efficiency_score, "
            "customers_score from metrics.health_score where tenant_id = (select app.current_tenant_id()) "
            "and health_score is not null order by metric_month desc limit 1",
        )
        build = metrics_build(ctx)
    facts: dict[str, Any] = {"month": None, "score": None}
    if found:
        facts = {
            "month": as_date(found["metric_month"]),
            "score": _num(found["health_score"]),
            "change": _num(found["health_score_change"]),
            "confidence": found["confidence_label"],
            "score_drivers": list(found["score_drivers"] or []),
            "change_drivers": list(found["change_drivers"] or []),
            "components": {
                name: _num(found[f"{name}_score"])
                for name in ("growth", "profitability", "liquidity", "efficiency", "customers")
            },
        }
    citation = Citation(
        "metrics/health_score", build["run_id"], build["built_at"], _month_end(facts["month"]), "Health"
    )
    return ToolResult("health_score", facts, [citation])


def data_freshness(ctx: CoachContext) -> ToolResult:
    """How current the tenant's data and models are: last day of data, when each layer was last built."""
    build = metrics_build(ctx)
    with tenant_connection(ctx.tenant_id) as conn:
        layers = {}
        for name, relation in (
            ("forecasts", "ml.forecasts"),
            ("evidence", "ml.evidence_edges"),
            ("plans", "ml.plans"),
        ):
            found = one(
                conn,
                sql.SQL(
                    "select max(created_at) as at, (array_agg(run_id order by created_at desc))[1] as run_id "
                    "from {} where tenant_id = (select app.current_tenant_id())"
                )
                .format(sql.Identifier(*relation.split(".")))
                .as_string(conn),
            )
            layers[name] = found or {"at": None, "run_id": None}
    today = ctx.today or dt.date.today()
    last_day = build["last_day"]
    facts = {
        "last_day": last_day,
        "first_day": build["first_day"],
        "built_at": build["built_at"],
        "days_behind": (today - last_day).days if last_day else None,
        "today": today,
        **{f"{name}_at": value["at"] for name, value in layers.items()},
    }
    citations = [Citation(METRICS_ASSET, build["run_id"], build["built_at"], last_day, "Overview")]
    pages = {"forecasts": "Forecasts", "evidence": "Evidence", "plans": "Plans"}
    assets = {"forecasts": "ml/forecasts", "evidence": "ml/evidence_edges", "plans": "ml/plans"}
    for name, value in layers.items():
        if value["at"] is not None:
            citations.append(Citation(assets[name], value["run_id"], value["at"], last_day, pages[name]))
    return ToolResult("data_freshness", facts, citations)


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _month_end(month: dt.date | None) -> dt.date | None:
    if month is None:
        return None
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)
