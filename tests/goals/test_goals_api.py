"""The owners' goal API on the real warehouse: create with the helper, history, check-ins, abandon, isolation,
and the evaluation asset moving a goal's status (two tenants with 120 days of metrics: ``conftest.py``)."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest

from coach import goals
from keel import warehouse
from orchestration.defs.ml.goals import ml_goal_evaluations
from tests.partitioned import materialize_tenants

from .conftest import GoalTenants


def _draft(**changes: object) -> goals.GoalDraft:
    values: dict[str, object] = {
        "title": "Revenue for October",
        "metric": "revenue_net",
        "aggregation": "sum",
        "target": 30_000.0,
        "starts_on": date(2026, 10, 1),
        "deadline": date(2026, 10, 31),
    }
    return goals.GoalDraft(**(values | changes))  # type: ignore[arg-type]


def test_propose_gives_the_baseline_ranges_and_odds(goal_tenants: GoalTenants) -> None:
    proposal = goals.propose(
        goal_tenants.a, "revenue_net", "sum", date(2026, 10, 1), date(2026, 10, 31), [1e7]
    )
    with warehouse.connect("keel_transformer") as conn:
        row = conn.execute(
            "select sum(revenue_net)::float8 from metrics.business_metrics_daily where tenant_id = %s "
            "and metric_date between '2026-08-31' and '2026-09-30'",
            (goal_tenants.a,),
        ).fetchone()
    assert row is not None
    assert proposal.baseline == pytest.approx(row[0])
    assert "USD" in proposal.baseline_note and "31 days before the start" in proposal.baseline_note
    assert proposal.own_range is not None
    assert "No peer benchmarks" in proposal.peer_note  # two tenants: nothing is published
    assert proposal.candidates[-1].target == 1e7
    assert proposal.candidates[-1].warning and "Unlikely" in proposal.candidates[-1].warning


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"metric": "cash_runway"}, "metric: .*bank balance"),
        ({"metric": "smiles"}, "metric: 'smiles' is not a metric"),
        ({"aggregation": "level"}, "aggregation: a net revenue goal is measured as sum"),
        ({"deadline": date(2026, 9, 1)}, "deadline: 2026-09-01 must come after"),
        ({"target": float("nan")}, "target: nan is not a number"),
        ({"target": -5.0}, "target: net revenue cannot be negative"),
        ({"title": "  "}, "title: give the goal a name"),
        (
            {"metric": "gross_margin_pct", "aggregation": "ratio", "target": 62.0},
            "target: a share is a fraction",
        ),
        ({"status": "achieved"}, "status: a new goal is draft or active"),
    ],
)
def test_bad_goals_are_refused_with_the_input_named(
    goal_tenants: GoalTenants, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(goals.GoalInputError, match=message):
        goals.create_goal(goal_tenants.a, _draft(**changes))


def test_lifecycle_is_kept_in_the_history(goal_tenants: GoalTenants) -> None:
    goal = goals.create_goal(goal_tenants.a, _draft(status="draft"), actor="owner@a")
    assert goal["status"] == "draft" and goal["baseline"] > 0
    assert "chance" in goal["achievable"] and goal["currency"] == "USD"
    goals.update_goal(goal_tenants.a, goal["goal_id"], status="active", target=31_000.0, actor="owner@a")
    with warehouse.connect("keel_app", tenant_id=goal_tenants.a) as conn:
        intervention = conn.execute(
            "insert into app.interventions (tenant_id, kind, name, starts_on) "
            "values (%s, 'promotion', 'October flyers', '2026-10-01') returning intervention_id",
            (goal_tenants.a,),
        ).fetchone()
    assert intervention is not None
    checkin = goals.check_in(
        goal_tenants.a, goal["goal_id"], "Handed out flyers", "okay", intervention_id=intervention[0]
    )
    assert checkin["intervention_id"] == intervention[0]
    with pytest.raises(goals.GoalInputError, match="feeling"):
        goals.check_in(goal_tenants.a, goal["goal_id"], "x", "ecstatic")
    goals.abandon_goal(goal_tenants.a, goal["goal_id"], "Moved to a bigger goal", actor="owner@a")
    with pytest.raises(goals.GoalInputError, match="abandoned"):
        goals.update_goal(goal_tenants.a, goal["goal_id"], target=1.0)

    detail = goals.get_goal(goal_tenants.a, goal["goal_id"])
    assert detail["status"] == "abandoned" and detail["closed_at"] is not None
    assert [(e["kind"], e["from_status"], e["to_status"]) for e in detail["events"]] == [
        ("created", None, "draft"),
        ("updated", "draft", "draft"),
        ("status_changed", "draft", "active"),
        ("checked_in", "active", "active"),
        ("abandoned", "active", "abandoned"),
    ]
    assert detail["events"][1]["detail"]["after"] == {"target": 31_000.0}
    assert detail["checkins"][0]["intervention_name"] == "October flyers"


def test_goal_tables_are_tenant_isolated(goal_tenants: GoalTenants) -> None:
    goal = goals.create_goal(goal_tenants.a, _draft(title="A's secret goal"))
    goals.check_in(goal_tenants.a, goal["goal_id"], "Did a thing", "confident")
    assert all(g["goal_id"] != goal["goal_id"] for g in goals.list_goals(goal_tenants.b))
    with pytest.raises(goals.GoalInputError, match="no goal"):
        goals.get_goal(goal_tenants.b, goal["goal_id"])
    with pytest.raises(goals.GoalInputError, match="no goal"):
        goals.check_in(goal_tenants.b, goal["goal_id"], "sneaky", "okay")
    with warehouse.connect("keel_app", tenant_id=goal_tenants.b) as conn:
        for table in ("app.goals", "app.goal_events", "app.goal_checkins", "ml.goal_evaluations"):
            count = conn.execute(
                f"select count(*) from {table} where tenant_id = %s", (goal_tenants.a,)
            ).fetchone()
            assert count == (0,), table
        assert (
            conn.execute("update app.goals set title = 'x' where goal_id = %s", (goal["goal_id"],)).rowcount
            == 0
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "insert into app.goals (tenant_id, title, metric, aggregation, target, starts_on, deadline) "
                "values (%s, 'planted', 'revenue_net', 'sum', 1, '2026-10-01', '2026-10-31')",
                (goal_tenants.a,),
            )
    with (
        warehouse.connect("keel_app", tenant_id=goal_tenants.b) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(
            "insert into ml.goal_evaluations (tenant_id, goal_id, status, status_rule, run_id) "
            "values (%s, %s, 'achieved', 'x', 'x')",
            (goal_tenants.b, goal["goal_id"]),
        )


def test_evaluation_asset_moves_statuses_and_keeps_the_history(goal_tenants: GoalTenants) -> None:
    likely = goals.create_goal(goal_tenants.b, _draft(title="Easy", target=1_000.0))
    unlikely = goals.create_goal(goal_tenants.b, _draft(title="Moonshot", target=10_000_000.0))
    past = goals.create_goal(
        goal_tenants.b,
        _draft(
            title="September", target=10_000_000.0, starts_on=date(2026, 9, 1), deadline=date(2026, 9, 30)
        ),
    )
    result = materialize_tenants(
        [ml_goal_evaluations],
        ["goals-shop-b"],
        {"ops": {"ml_goal_evaluations": {"config": {"n_paths": 500}}}},
    )["goals-shop-b"]
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert [c.passed for c in checks] == [True]
    expected = {likely["goal_id"]: "on_track", unlikely["goal_id"]: "off_track", past["goal_id"]: "missed"}
    for goal_id, status in expected.items():
        detail = goals.get_goal(goal_tenants.b, goal_id)
        assert detail["status"] == status
        evaluation = detail["evaluation"]
        assert evaluation["status"] == status and evaluation["run_id"] == result.run_id
        assert evaluation["expected_lower"] <= evaluation["expected_value"] <= evaluation["expected_upper"]
        assert evaluation["status_rule"]
        kinds = [(e["kind"], e["to_status"]) for e in detail["events"]]
        assert kinds[-2:] == [("evaluated", status), ("status_changed", status)]
    assert goals.get_goal(goal_tenants.b, past["goal_id"])["closed_at"] is not None
    assert goals.get_goal(goal_tenants.b, likely["goal_id"])["evaluation"]["probability"] > 0.95


def test_a_new_or_changed_goal_is_evaluated_within_a_minute(goal_tenants: GoalTenants) -> None:
    """Goals are evaluated daily with the tenant's models; an owner's new or changed goal does not wait for
    the next day: the goal_changes sensor asks for the tenant's evaluation, once per change."""
    import dagster as dg

    from orchestration.defs.ml.goals import goal_changes
    from orchestration.defs.tenants.partitions import add_tenant_partitions

    slug = "goals-cafe-a"

    def requested(instance: dg.DagsterInstance) -> dict[str, str]:
        result = goal_changes(dg.build_sensor_context(instance=instance))
        if isinstance(result, dg.SkipReason):
            return {}
        assert isinstance(result, dg.SensorResult)
        runs = result.run_requests or []
        assert all(
            [k.to_user_string() for k in r.asset_selection or []] == ["ml_goal_evaluations"] for r in runs
        )
        return {str(r.partition_key): str(r.run_key) for r in runs}

    with dg.DagsterInstance.ephemeral() as instance:
        add_tenant_partitions(instance, [slug, "goals-shop-b"])
        goal = goals.create_goal(goal_tenants.a, _draft(title="October at the café", target=25_000.0))
        first = requested(instance)
        assert slug in first
        result = materialize_tenants(
            [ml_goal_evaluations],
            [slug],
            {"ops": {"ml_goal_evaluations": {"config": {"n_paths": 200}}}},
            instance,
        )[slug]
        assert result.success
        assert slug not in requested(instance)  # evaluated after its latest change: nothing to ask
        goals.update_goal(goal_tenants.a, goal["goal_id"], target=27_000.0)
        again = requested(instance)
        assert slug in again and again[slug] != first[slug]  # a new change is a new run
