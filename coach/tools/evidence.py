"""Evidence analyzer tools: the effect of what the owner did (recorded interventions), and what drives a
metric or explains its last change (drivers, root causes), each with its grade.

Everything comes from the evidence graph the evidence asset wrote (``ml.evidence_edges`` with the owner's
names in ``ml.evidence_nodes``) and the owner's own records (``app.interventions``). The grade is the
evidence engine's (strong, moderate, weak, inconclusive); the coach never upgrades it.
"""

from __future__ import annotations

from typing import Any

from coach.core import Citation, CoachContext, ToolResult
from coach.tools._db import rows, tenant_connection
from coach.tools.general import metrics_build

EDGE_COLUMNS = (
    "e.cause, e.effect, e.method, e.estimate, e.ci_low, e.ci_high, e.grade, e.explanation, e.is_primary, "
    "e.run_id, e.created_at, coalesce(nc.label, e.cause) as cause_label, coalesce(ne.label, e.effect) as "
    "effect_label"
)
EDGE_JOIN = (
    "from ml.evidence_edges e "
    "left join ml.evidence_nodes nc on nc.tenant_id = e.tenant_id and nc.node = e.cause "
    "left join ml.evidence_nodes ne on ne.tenant_id = e.tenant_id and ne.node = e.effect "
    "where e.tenant_id = (select app.current_tenant_id())"
)


def _edge(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "cause": row["cause_label"],
        "effect": row["effect_label"],
        "method": row["method"],
        "estimate": row["estimate"],
        "ci_low": row["ci_low"],
        "ci_high": row["ci_high"],
        "grade": row["grade"],
        "explanation": row["explanation"],
    }


def _citations(found: list[dict[str, Any]]) -> list[Citation]:
    if not found:
        return [Citation("ml/evidence_edges", None, None, None, "Evidence")]
    latest = max(found, key=lambda r: r["created_at"])
    return [Citation("ml/evidence_edges", latest["run_id"], latest["created_at"], None, "Evidence")]


def intervention_names(ctx: CoachContext) -> list[str]:
    with tenant_connection(ctx.tenant_id) as conn:
        found = rows(
            conn, "select name from app.interventions where tenant_id = (select app.current_tenant_id())"
        )
    return [r["name"] for r in found]


def intervention_effects(ctx: CoachContext, name: str | None = None) -> ToolResult:
    """The estimated effect of each recorded intervention (or the one named), with interval and grade."""
    with tenant_connection(ctx.tenant_id) as conn:
        found = rows(
            conn,
            f"select i.name, i.kind, i.starts_on, i.ends_on, i.target_metric, {EDGE_COLUMNS} "
            "from app.interventions i join ml.evidence_edges e on e.intervention_id = i.intervention_id "
            "and e.tenant_id = i.tenant_id and e.is_primary "
            "left join ml.evidence_nodes nc on nc.tenant_id = e.tenant_id and nc.node = e.cause "
            "left join ml.evidence_nodes ne on ne.tenant_id = e.tenant_id and ne.node = e.effect "
            "where i.tenant_id = (select app.current_tenant_id()) order by i.starts_on, i.name",
        )
        recorded = rows(
            conn, "select name from app.interventions where tenant_id = (select app.current_tenant_id())"
        )
    if name is not None:
        found = [r for r in found if r["name"] == name] or found
    effects = [
        {
            **_edge(r),
            "name": r["name"],
            "kind": r["kind"],
            "starts_on": r["starts_on"],
            "ends_on": r["ends_on"],
        }
        for r in found
    ]
    facts = {"named": name, "effects": effects, "recorded": len(recorded)}
    table = [
        {"change": e["name"], "effect on": e["effect"], "estimate": e["estimate"], "grade": e["grade"]}
        for e in effects
    ]
    citations = _citations(found)
    citations = [
        Citation(c.asset_key, c.run_id, c.materialized_at, metrics_build(ctx)["last_day"], c.page)
        for c in citations
    ]
    return ToolResult("intervention_effects", facts, citations, rows=table)


def drivers(ctx: CoachContext, metric: str | None = None) -> ToolResult:
    """What drives a metric and what explains its latest change (not the owner's interventions), graded."""
    with tenant_connection(ctx.tenant_id) as conn:
        found = rows(
            conn,
            f"select {EDGE_COLUMNS} {EDGE_JOIN} and e.intervention_id is null and e.is_primary "
            "order by abs(coalesce(e.estimate, 0)) desc",
        )
    chosen = ([r for r in found if r["effect"] == metric] or found) if metric is not None else found
    grade_order = {"strong": 0, "moderate": 1, "weak": 2, "inconclusive": 3}
    chosen = sorted(chosen, key=lambda r: grade_order.get(r["grade"], 4))[:3]
    found_drivers = [_edge(r) for r in chosen]
    facts = {"metric": metric, "drivers": found_drivers, "edges": len(found)}
    citations = _citations(found)
    citations = [
        Citation(c.asset_key, c.run_id, c.materialized_at, metrics_build(ctx)["last_day"], c.page)
        for c in citations
    ]
    table = [{"cause": d["cause"], "effect": d["effect"], "grade": d["grade"]} for d in found_drivers]
    return ToolResult("drivers", facts, citations, rows=table)
