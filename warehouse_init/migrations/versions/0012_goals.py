"""Goals that know their odds: ``app.goals``, their history, the owners' check-ins, and their evaluations.

- ``app.goals``: what an owner wants to reach. A metric of the goal catalogue (``models_ml.goals.catalog``),
  how it is aggregated over the goal's period (``sum`` from ``starts_on`` to ``deadline``, ``level`` on the
  deadline, ``average`` per day, or ``ratio`` of two sums), the target, the direction (at least / at most),
  the baseline when it was set, and the SMART fields in the owner's words. ``status`` is the lifecycle:
  draft -> active -> on_track / at_risk / off_track -> achieved / missed, or abandoned at any time.
- ``app.goal_events``: the history. Every creation, change, status transition, evaluation summary and
  check-in of a goal, with the status before and after and the probability at that moment.
- ``app.goal_checkins``: what the owner did and how they feel about it; ``intervention_id`` links a check-in
  to a recorded intervention (``app.interventions``), so the evidence engine measures what was done.
- ``ml.goal_evaluations``: per goal, the latest evaluation of the ``ml_goal_evaluations`` asset: the
  probability of reaching the target by the deadline, the expected value with an 80% interval, progress to
  date against the pace needed, the status with the rule that decided it, the levers (metrics with graded
  evidence of moving the goal's metric) and the linked plan; stamped with the Dagster run id.

The console and the coach write the app tables as the tenant's ``keel_app`` role under row-level security
(``coach/goals.py``); the evaluation asset (``keel_transformer``) reads them, moves ``status`` and writes
the transitions to ``app.goal_events``. Every table has row-level security (``app.enable_tenant_isolation``).

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-06
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

STATUSES = ("draft", "active", "on_track", "at_risk", "off_track", "achieved", "missed", "abandoned")
_STATUS_LIST = ", ".join(f"'{s}'" for s in STATUSES)

APP_TABLES: dict[str, str] = {
    "app.goals": f"""
        goal_id uuid primary key default gen_random_uuid(),
        tenant_id uuid not null references app.tenants (tenant_id) on delete cascade,
        title text not null check (length(title) between 1 and 200),
        metric text not null check (metric ~ '^[a-z][a-z0-9_]{{0,62}}$'),
        aggregation text not null check (aggregation in ('sum', 'level', 'average', 'ratio')),
        direction text not null default 'at_least' check (direction in ('at_least', 'at_most')),
        target numeric not null,
        baseline numeric,
        baseline_note text,
        unit text not null default 'money',
        currency text,
        starts_on date not null,
        deadline date not null,
        status text not null default 'active' check (status in ({_STATUS_LIST})),
        specific text,
        measurable text,
        achievable text,
        relevant text,
        time_bound text,
        created_by text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        closed_at timestamptz,
        check (deadline > starts_on)
    """,
    "app.goal_events": f"""
        event_id bigint generated always as identity primary key,
        tenant_id uuid not null references app.tenants (tenant_id) on delete cascade,
        goal_id uuid not null references app.goals (goal_id) on delete cascade,
        occurred_at timestamptz not null default now(),
        kind text not null check (
            kind in ('created', 'updated', 'status_changed', 'evaluated', 'checked_in', 'abandoned')
        ),
        from_status text check (from_status is null or from_status in ({_STATUS_LIST})),
        to_status text check (to_status is null or to_status in ({_STATUS_LIST})),
        probability double precision check (probability is null or probability between 0 and 1),
        summary text not null,
        detail jsonb not null default '{{}}'::jsonb,
        actor text,
        run_id text
    """,
    "app.goal_checkins": """
        checkin_id uuid primary key default gen_random_uuid(),
        tenant_id uuid not null references app.tenants (tenant_id) on delete cascade,
        goal_id uuid not null references app.goals (goal_id) on delete cascade,
        checked_in_on date not null default current_date,
        did text not null check (length(did) between 1 and 2000),
        feeling text not null check (feeling in ('confident', 'okay', 'unsure', 'worried')),
        note text,
        intervention_id uuid references app.interventions (intervention_id) on delete set null,
        created_by text,
        created_at timestamptz not null default now()
    """,
}

EVALUATIONS = """
    tenant_id uuid not null,
    goal_id uuid not null,
    evaluated_at timestamptz not null default now(),
    data_through date,
    probability double precision check (probability is null or probability between 0 and 1),
    expected_value double precision,
    expected_lower double precision,
    expected_upper double precision,
    progress_value double precision,
    pace_value double precision,
    needed_rest double precision,
    elapsed_share double precision,
    status text not null,
    status_rule text not null,
    method text,
    levers jsonb not null default '[]'::jsonb,
    plan jsonb,
    pace jsonb not null default '[]'::jsonb,
    error text,
    run_id text not null,
    primary key (tenant_id, goal_id)
"""

INDEXES = (
    "create index if not exists goals_tenant_status on app.goals (tenant_id, status)",
    "create index if not exists goal_events_goal on app.goal_events (goal_id, occurred_at)",
    "create index if not exists goal_checkins_goal on app.goal_checkins (goal_id, checked_in_on)",
)


def upgrade() -> None:
    for table, columns in APP_TABLES.items():
        op.execute(f"create table if not exists {table} ({columns})")
    for statement in INDEXES:
        op.execute(statement)
    op.execute(
        """
        comment on table app.goals is
            'Owners'' goals: a catalogue metric, its aggregation over starts_on..deadline, target and SMART words';
        comment on table app.goal_events is
            'History of every goal: creation, changes, status transitions, evaluations and check-ins';
        comment on table app.goal_checkins is
            'What an owner did for a goal and how they feel; intervention_id links it to app.interventions';
        """
    )
    op.execute(f"create table if not exists ml.goal_evaluations ({EVALUATIONS})")
    for table in (*APP_TABLES, "ml.goal_evaluations"):
        op.execute(f"select app.enable_tenant_isolation('{table}')")
    op.execute(
        """
        grant select, insert, update, delete on app.goals, app.goal_checkins to keel_app;
        grant select, insert on app.goal_events to keel_app;
        grant select on app.goals, app.goal_checkins, app.goal_events to keel_transformer;
        grant update (status, updated_at, closed_at) on app.goals to keel_transformer;
        grant insert on app.goal_events to keel_transformer;
        """
    )
    # Owned by the pipeline role like the other ml tables (its asset writes them; COPY under RLS needs it).
    op.execute("alter table ml.goal_evaluations owner to keel_transformer")
    op.execute("grant select on ml.goal_evaluations to keel_app, keel_analyst")


def downgrade() -> None:
    op.execute("drop table if exists ml.goal_evaluations")
    for table in reversed(APP_TABLES):
        op.execute(f"drop table if exists {table}")
