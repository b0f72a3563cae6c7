"""``ml.goal_evaluations``: every open goal scored against its deadline; and the demo owners' goals.

Both are partitioned by tenant. ``ml_goal_evaluations`` reads, for the partition's tenant, its open goals
(``app.goals``: active, on track, at risk, off track), its daily metrics, its evidence graph and its stored
plans, and calls :mod:`models_ml.goals` for each goal: the probability of reaching the target by the deadline
(simulated paths plus what is realised), the expected value with an 80% interval, progress against the pace
needed, the status and the rule that decided it, the levers (causes with graded evidence of moving the goal's
metric) and the linked plan. The plan is linked as ``ml_plans`` solved it, with its expected impact set
against the goal's gap; it is not re-solved for the goal. The tenant's rows are replaced in one transaction;
every evaluation and every status transition is appended to ``app.goal_events`` (the history), and
``app.goals.status`` follows.

When it runs: with the tenant's other models, once a day after the daily tick when its inputs changed
(``DAILY_ON_NEW_INPUTS``), and within a minute of an owner setting or changing a goal (the
``goal_changes`` sensor). Not after every load: the evaluation fits a model to the daily metrics and
simulates their paths, and an hourly load leaves today's figures partial, which the evaluation would take
for a finished (slow) day.

``app_goals`` creates two or three goals for the partition's tenant when it is a demo business through
``coach.goals`` (as its owner would, with the creation helper): one likely, one at risk, and one whose
deadline passed within the data and that the history shows was missed. Their ids are fixed, so a second ``keel
demo`` does not add more."""

import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import dagster as dg
import polars as pl
import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from pydantic import Field

from coach import goals as owner_goals
from keel.warehouse import connect
from models_ml.goals import CATALOG, evaluate_goal, link_plan, pick_levers
from models_ml.goals.catalog import format_value
from models_ml.goals.suggest import nice
from orchestration.defs.automation import DAILY_ON_NEW_INPUTS
from orchestration.defs.ingestion.assets import APP_TENANTS
from orchestration.defs.ml.keys import (
    APP_GOALS,
    BUSINESS_METRICS_DAILY,
    ML_EVIDENCE_EDGES,
    ML_FORECASTS,
    ML_GOAL_EVALUATIONS,
    ML_PLANS,
)
from orchestration.defs.ml.tables import partition_tenant, table_exists
from orchestration.defs.tenants.partitions import (
    TENANT_MODELS_POOL,
    TENANT_PARTITIONS,
    TENANT_PARTITIONS_NAME,
)
from orchestration.defs.warehouse.resources import WarehouseResource

OPEN_STATUSES = ("active", "on_track", "at_risk", "off_track")
EVALUATION_COLUMNS = (
    "tenant_id",
    "goal_id",
    "data_through",
    "probability",
    "expected_value",
    "expected_lower",
    "expected_upper",
    "progress_value",
    "pace_value",
    "needed_rest",
    "elapsed_share",
    "status",
    "status_rule",
    "method",
    "levers",
    "plan",
    "pace",
    "error",
    "run_id",
)
_JSON = ("levers", "plan", "pace")
#: Demo goal ids are uuid5 of "<slug>:<kind>" in this namespace.
DEMO_GOAL_NAMESPACE = uuid.UUID("2f4b8c1d-6e3a-4f0b-9d1c-7a5e3b2c1d0e")


class GoalEvaluationConfig(dg.Config):
    n_paths: int = Field(default=2000, ge=100, description="Simulated paths per goal.")
    seed: int = Field(default=0, description="Seed of the simulation (the creation helper uses 0 as well).")


def _history(conn: psycopg.Connection[Any], tenant_id: str) -> pl.DataFrame:
    columns = sorted({c for m in CATALOG.values() for c in m.columns})
    rows = conn.execute(
        f"select metric_date, {', '.join(f'{c}::float8' for c in columns)} "
        "from metrics.business_metrics_daily where tenant_id = %s order by metric_date",
        (tenant_id,),
    ).fetchall()
    schema: dict[str, Any] = {"ds": pl.Date} | {c: pl.Float64 for c in columns}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _edges(conn: psycopg.Connection[Any], tenant_id: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    if not table_exists(conn, "ml.evidence_edges"):
        return [], {}
    with conn.cursor(row_factory=dict_row) as cur:
        edges = cur.execute(
            "select e.cause, e.effect, e.grade, e.estimate, e.ci_low, e.ci_high, e.explanation, n.kind "
            "from ml.evidence_edges e left join ml.evidence_nodes n on n.tenant_id = e.tenant_id "
            "and n.node = e.cause where e.tenant_id = %s",
            (tenant_id,),
        ).fetchall()
        labels = cur.execute(
            "select node, label from ml.evidence_nodes where tenant_id = %s", (tenant_id,)
        ).fetchall()
    return edges, {str(r["node"]): str(r["label"]) for r in labels}


def _plans(conn: psycopg.Connection[Any], tenant_id: str) -> list[dict[str, Any]]:
    if not table_exists(conn, "ml.plans"):
        return []
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "select plan_type, status, decisions, expected_impact, currency, explanation, run_id "
            "from ml.plans where tenant_id = %s",
            (tenant_id,),
        ).fetchall()


def evaluate_tenant_goals(
    goals: list[dict[str, Any]],
    history: pl.DataFrame,
    edges: list[dict[str, Any]],
    labels: dict[str, str],
    plans: list[dict[str, Any]],
    run_id: str,
    n_paths: int,
    seed: int,
) -> list[dict[str, Any]]:
    """One evaluation row per goal; a goal that cannot be evaluated keeps its status and says why."""
    rows: list[dict[str, Any]] = []
    for goal in goals:
        spec = owner_goals.spec_of(goal)
        base: dict[str, Any] = dict.fromkeys(EVALUATION_COLUMNS)
        base |= {"tenant_id": goal["tenant_id"], "goal_id": goal["goal_id"], "run_id": run_id, "pace": []}
        try:
            evaluation = evaluate_goal(spec, history, n_paths=n_paths, seed=seed)
        except ValueError as exc:
            rows.append(
                base
                | {
                    "status": goal["status"],
                    "status_rule": f"Not evaluated: {exc}",
                    "error": f"{type(exc).__name__}: {exc}",
                    "levers": [],
                }
            )
            continue
        gap = None
        if evaluation.status not in ("achieved", "missed"):
            gap = (
                spec.target - evaluation.expected_value
                if spec.direction == "at_least"
                else evaluation.expected_value - spec.target
            )
        rows.append(
            base
            | {
                "data_through": evaluation.data_through,
                "probability": evaluation.probability,
                "expected_value": evaluation.expected_value,
                "expected_lower": evaluation.expected_lower,
                "expected_upper": evaluation.expected_upper,
                "progress_value": evaluation.progress_value,
                "pace_value": evaluation.pace_value,
                "needed_rest": evaluation.needed_rest,
                "elapsed_share": evaluation.elapsed_share,
                "status": evaluation.status,
                "status_rule": evaluation.status_rule,
                "method": evaluation.method,
                "levers": pick_levers(spec, edges, labels),
                "plan": link_plan(spec, plans, gap),
                "pace": [{**p, "day": p["day"].isoformat()} for p in evaluation.pace],
            }
        )
    return rows


def store_evaluations(
    conn: psycopg.Connection[Any],
    tenant_ids: list[str],
    goals: list[dict[str, Any]],
    rows: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Replace the tenants' evaluations, move goal statuses and append the history, in one transaction.

    Returns the status transitions made.
    """
    by_goal = {str(g["goal_id"]): g for g in goals}
    statement = (
        f"insert into ml.goal_evaluations ({', '.join(EVALUATION_COLUMNS)}) "
        f"values ({', '.join(['%s'] * len(EVALUATION_COLUMNS))})"
    )
    values = [
        tuple(Jsonb(r[c]) if c in _JSON and r[c] is not None else r[c] for c in EVALUATION_COLUMNS)
        for r in rows
    ]
    transitions: list[dict[str, Any]] = []
    with conn.transaction():
        conn.execute("delete from ml.goal_evaluations where tenant_id = any(%s::uuid[])", (tenant_ids,))
        with conn.cursor() as cur:
            cur.executemany(statement, values)
        for row in rows:
            goal = by_goal[str(row["goal_id"])]
            if row["error"] is None:
                conn.execute(
                    "insert into app.goal_events (tenant_id, goal_id, kind, from_status, to_status, "
                    "probability, summary, detail, actor, run_id) "
                    "values (%s, %s, 'evaluated', %s, %s, %s, %s, %s, %s, %s)",
                    (
                        row["tenant_id"],
                        row["goal_id"],
                        goal["status"],
                        row["status"],
                        row["probability"],
                        row["status_rule"],
                        Jsonb(
                            {
                                "expected_value": row["expected_value"],
                                "expected_lower": row["expected_lower"],
                                "expected_upper": row["expected_upper"],
                                "progress_value": row["progress_value"],
                                "data_through": str(row["data_through"]),
                            }
                        ),
                        "ml_goal_evaluations",
                        row["run_id"],
                    ),
                )
            if row["status"] != goal["status"]:
                conn.execute(
                    "update app.goals set status = %s, updated_at = now(), "
                    "closed_at = case when %s in ('achieved', 'missed') then now() end where goal_id = %s",
                    (row["status"], row["status"], row["goal_id"]),
                )
                conn.execute(
                    "insert into app.goal_events (tenant_id, goal_id, kind, from_status, to_status, "
                    "probability, summary, actor, run_id) "
                    "values (%s, %s, 'status_changed', %s, %s, %s, %s, %s, %s)",
                    (
                        row["tenant_id"],
                        row["goal_id"],
                        goal["status"],
                        row["status"],
                        row["probability"],
                        row["status_rule"],
                        "ml_goal_evaluations",
                        row["run_id"],
                    ),
                )
                transitions.append(
                    {"goal_id": str(row["goal_id"]), "from": goal["status"], "to": row["status"]}
                )
    return transitions


def _open_goals(conn: psycopg.Connection[Any], tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"select {owner_goals.GOAL_COLUMNS} from app.goals where status = any(%s) "
            "and tenant_id = %s order by tenant_id, deadline",
            (list(OPEN_STATUSES), str(tenant_id)),
        ).fetchall()


@dg.asset(
    key=ML_GOAL_EVALUATIONS,
    deps=[ML_FORECASTS, ML_EVIDENCE_EDGES, ML_PLANS, BUSINESS_METRICS_DAILY, APP_GOALS],
    group_name="ml",
    kinds={"statsforecast", "postgres"},
    # Re-evaluated with the tenant's refits at the daily tick when its inputs changed (with Dagster's
    # automation sensor on, as under `keel ui`), when an owner sets or changes a goal (goal_changes), and by
    # every `keel demo`.
    automation_condition=DAILY_ON_NEW_INPUTS,
    partitions_def=TENANT_PARTITIONS,
    pool=TENANT_MODELS_POOL,
    description="ml.goal_evaluations: per open goal, the probability of reaching its target by the deadline, "
    "the expected value with an 80% interval, progress against pace, the status with the rule that decided "
    "it, the levers with their evidence grades and the linked plan; transitions go to app.goal_events.",
    check_specs=[
        dg.AssetCheckSpec(
            "every_open_goal_evaluated",
            asset=ML_GOAL_EVALUATIONS,
            description="Every open goal of the tenant has an evaluation with a probability in [0, 1] "
            "and a stated rule (a goal that cannot be evaluated says why).",
        )
    ],
)
def ml_goal_evaluations(
    context: dg.AssetExecutionContext, config: GoalEvaluationConfig, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Evaluate every open goal of the partition's tenant and record the transitions."""
    run_id = context.run.run_id
    started = time.perf_counter()
    with warehouse.connect() as conn:
        goals = _open_goals(conn, partition_tenant(conn, context))
        tenants = sorted({str(g["tenant_id"]) for g in goals})
        rows: list[dict[str, Any]] = []
        for tenant_id in tenants:
            tenant_goals = [g for g in goals if str(g["tenant_id"]) == tenant_id]
            history = _history(conn, tenant_id)
            edges, labels = _edges(conn, tenant_id)
            plans = _plans(conn, tenant_id)
            conn.commit()
            rows.extend(
                evaluate_tenant_goals(
                    tenant_goals, history, edges, labels, plans, run_id, config.n_paths, config.seed
                )
            )
        transitions = store_evaluations(conn, tenants, goals, rows) if tenants else []
        stored = conn.execute(
            "select count(*), count(*) filter (where (probability between 0 and 1 and error is null) "
            "or (error is not null and status_rule like 'Not evaluated:%%')) from ml.goal_evaluations "
            "where run_id = %s",
            (run_id,),
        ).fetchone()
    assert stored is not None
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    yield dg.MaterializeResult(
        asset_key=ML_GOAL_EVALUATIONS,
        metadata={
            "goals": len(rows),
            "tenants": len(tenants),
            "statuses": dg.MetadataValue.json(statuses),
            "transitions": dg.MetadataValue.json(transitions[:100]),
            "not_evaluated": sum(1 for r in rows if r["error"] is not None),
            "seconds": round(time.perf_counter() - started, 2),
            "plans": "linked as ml_plans solved them (not re-solved for the goal)",
        },
    )
    yield dg.AssetCheckResult(
        asset_key=ML_GOAL_EVALUATIONS,
        check_name="every_open_goal_evaluated",
        passed=int(stored[0]) == len(goals) and int(stored[1]) == len(goals),
        metadata={"open_goals": len(goals), "stored": int(stored[0]), "sound": int(stored[1])},
    )


def goals_awaiting_evaluation() -> dict[str, str]:
    """Tenants with an open goal set or changed after its latest evaluation (or never evaluated): their slug
    and the latest such change, an ISO timestamp. Benchmark peers have no goals."""
    with connect("keel_transformer") as conn:
        if not table_exists(conn, "ml.goal_evaluations"):
            return {}
        rows = conn.execute(
            "select t.slug, max(g.updated_at) from app.goals g join app.tenants t using (tenant_id) "
            "left join ml.goal_evaluations e on e.goal_id = g.goal_id "
            "where g.status = any(%s) and not t.is_benchmark_peer "
            "and (e.goal_id is null or g.updated_at > e.evaluated_at) group by t.slug order by t.slug",
            (list(OPEN_STATUSES),),
        ).fetchall()
    return {str(slug): changed.isoformat() for slug, changed in rows}


@dg.sensor(
    name="goal_changes",
    target=[ML_GOAL_EVALUATIONS],
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Evaluates a tenant's goals within a minute of its owner setting or changing one; otherwise "
    "they are evaluated daily with the tenant's other models.",
)
def goal_changes(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    waiting = goals_awaiting_evaluation()
    known = set(context.instance.get_dynamic_partitions(TENANT_PARTITIONS_NAME))
    requests = [
        # one run per change: the run key is the latest change, so a later tick does not ask again while
        # the run is queued, nor after a run that failed (the next change or the daily tick retries)
        dg.RunRequest(run_key=f"{slug}@{changed}", partition_key=slug, asset_selection=[ML_GOAL_EVALUATIONS])
        for slug, changed in waiting.items()
        if slug in known
    ]
    if not requests:
        return dg.SkipReason("every open goal was evaluated after its latest change")
    return dg.SensorResult(run_requests=requests)


# --------------------------------------------------------------------------------------------
# The demo owners' goals
# --------------------------------------------------------------------------------------------


def demo_goal_id(slug: str, kind: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_GOAL_NAMESPACE, f"{slug}:{kind}")


def _month_start(day: date) -> date:
    return day.replace(day=1)


def set_demo_goals(tenant_id: uuid.UUID, slug: str, history: pl.DataFrame) -> list[str]:
    """Three goals for one demo business, as its owner would set them with the helper; their titles."""
    if history.height < 60:
        return []
    last: date = history["ds"].max()  # type: ignore[assignment]
    titles: list[str] = []

    def has(column: str) -> bool:
        return column in history.columns and float(history[column].fill_null(0).abs().sum()) > 0

    def create(
        kind: str, title: str, metric: str, aggregation: str, first: date, deadline: date, pick: str
    ) -> None:
        goal_id = demo_goal_id(slug, kind)
        proposal = owner_goals.propose(tenant_id, metric, aggregation, first, deadline)
        p10, p50, p90 = proposal.expected
        entry = CATALOG[metric]
        if pick == "likely":
            target = nice(p10 if entry.higher_is_better else p90, entry.unit)
        else:
            target = nice(p50, entry.unit)
        draft = owner_goals.GoalDraft(
            title=title,
            metric=metric,
            aggregation=aggregation,
            target=target,
            starts_on=first,
            deadline=deadline,
            relevant="Set by the demo owner to show how Keel tracks a goal.",
        )
        owner_goals.create_goal(tenant_id, draft, actor="demo owner", goal_id=goal_id, proposal=proposal)
        titles.append(title)

    # Likely: what the business already does, for the quarter that started a month ago.
    first, deadline = last - timedelta(days=29), last + timedelta(days=61)
    if has("mrr"):
        create(
            "likely",
            "Keep monthly recurring revenue up this quarter",
            "mrr",
            "level",
            first,
            deadline,
            "likely",
        )
    else:
        create("likely", "Net revenue for the quarter", "revenue_net", "sum", first, deadline, "likely")
    # At risk: a second metric at the forecast's middle, six weeks out.
    first, deadline = last - timedelta(days=13), last + timedelta(days=45)
    if has("labor_cost"):
        create(
            "at_risk",
            "Bring labor cost down as a share of revenue",
            "labor_cost_share",
            "ratio",
            first,
            deadline,
            "middle",
        )
    elif has("cogs") and has("gross_margin"):
        create("at_risk", "Lift the gross margin", "gross_margin_pct", "ratio", first, deadline, "middle")
    else:
        create("at_risk", "Win more orders in the next six weeks", "orders", "sum", first, deadline, "middle")
    # Missed: 15% more net revenue than the month before, in a month the data has already closed.
    month = _month_start(_month_start(last) - timedelta(days=1))  # the last complete month
    if (last + timedelta(days=1)).day == 1:
        month = _month_start(last)
    before = _month_start(month - timedelta(days=1))
    month_end = _month_start(month + timedelta(days=32)) - timedelta(days=1)
    revenue = history.filter(pl.col("ds").is_between(month, month_end))["revenue_net"].sum()
    previous = history.filter(pl.col("ds").is_between(before, month - timedelta(days=1)))["revenue_net"].sum()
    if previous and revenue:
        target = nice(max(1.15 * float(previous), 1.05 * float(revenue)), "money")
        goal_id = demo_goal_id(slug, "missed")
        draft = owner_goals.GoalDraft(
            title=f"Grow net revenue 15% in {month:%B}",
            metric="revenue_net",
            aggregation="sum",
            target=target,
            starts_on=month,
            deadline=month_end,
            specific=f"Net revenue of at least {format_value(target, 'money')} in {month:%B %Y}, "
            f"15% more than {before:%B}.",
            relevant="Set by the demo owner to show a goal whose deadline has passed.",
        )
        owner_goals.create_goal(tenant_id, draft, actor="demo owner", goal_id=goal_id)
        titles.append(draft.title)
    return titles


@dg.asset(
    key=APP_GOALS,
    deps=[APP_TENANTS, BUSINESS_METRICS_DAILY],
    group_name="ingestion",
    kinds={"postgres"},
    partitions_def=TENANT_PARTITIONS,
    pool=TENANT_MODELS_POOL,
    description="app.goals: the demo owners' goals (one likely, one at risk, one already missed), set "
    "through the owners' goal API with its creation helper; fixed ids, so repeating the demo adds none.",
)
def app_goals(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as conn:
        rows = conn.execute(
            "select tenant_id, slug from app.tenants where is_demo and not is_benchmark_peer and slug = %s",
            (context.partition_key,),
        ).fetchall()
        histories = {
            str(tenant_id): _history(conn, str(tenant_id))
            if table_exists(conn, "metrics.business_metrics_daily")
            else pl.DataFrame()
            for tenant_id, _ in rows
        }
    created: dict[str, list[str]] = {}
    for tenant_id, slug in rows:
        created[slug] = set_demo_goals(tenant_id, slug, histories[str(tenant_id)])
    return dg.MaterializeResult(
        metadata={"goals": sum(len(v) for v in created.values()), "by_tenant": dg.MetadataValue.json(created)}
    )
