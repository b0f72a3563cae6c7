"""The ``ml.*`` tables the Dagster ML assets write: forecasts, their accuracy, the evidence graph, the plans.

Until this revision each asset created its own tables when missing; now every table Keel creates is
created here, and the assets only replace their tenants' rows (``orchestration/defs/ml``). The columns,
keys and indexes are the ones the assets created. Each table gets row-level security through
``app.enable_tenant_isolation`` (as 0003 and 0006 do; also where no event trigger runs), belongs to the
pipeline role that writes it (as before), and the console and analysts read it under their tenant.

- ``ml.forecasts``: per tenant, metric, model and day ahead, the point forecast and 80%/95% bounds;
  ``is_chosen`` marks the model each series uses.
- ``ml.forecast_accuracy``: per tenant, metric and candidate model, cross-validated scores and the
  chosen model with any fallback reason.
- ``ml.evidence_nodes`` / ``ml.evidence_edges``: the evidence graph (cause -> effect, method, estimate,
  interval, refutations, grade and a sentence).
- ``ml.plans``: per tenant and plan type, the solved plan and the problem it was solved from.
- the schema ``ml_features``, where dbt builds the views over the marts that the assets read
  (``dbt_project/models/ml_features``); only the pipeline role uses it.

Every row carries the Dagster ``run_id`` that wrote it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES: dict[str, str] = {
    "ml.forecasts": """
        tenant_id uuid not null,
        metric text not null,
        ds date not null,
        model text not null,
        point double precision not null,
        lo_80 double precision not null,
        hi_80 double precision not null,
        lo_95 double precision not null,
        hi_95 double precision not null,
        is_chosen boolean not null,
        run_id text not null,
        created_at timestamptz not null default now(),
        primary key (tenant_id, metric, model, ds)
    """,
    "ml.forecast_accuracy": """
        tenant_id uuid not null,
        metric text not null,
        model text,
        is_chosen boolean not null,
        chosen_model text,
        mase double precision,
        smape double precision,
        coverage_80 double precision,
        coverage_95 double precision,
        cv_windows bigint,
        series_class text,
        fallback_reason text,
        data_notes text,
        ensemble_members text,
        n_obs bigint,
        history_start date,
        history_end date,
        run_id text not null,
        created_at timestamptz not null default now()
    """,
    "ml.evidence_nodes": """
        tenant_id uuid not null,
        node text not null,
        kind text not null,
        label text not null,
        run_id text not null,
        created_at timestamptz not null default now(),
        primary key (tenant_id, node)
    """,
    "ml.evidence_edges": """
        tenant_id uuid not null,
        cause text not null,
        effect text not null,
        method text not null,
        estimand text not null,
        estimate double precision,
        ci_low double precision,
        ci_high double precision,
        p_value double precision,
        refutations jsonb not null,
        grade text not null check (grade in ('strong', 'moderate', 'weak', 'inconclusive')),
        assumptions text not null,
        reason text,
        explanation text not null,
        settings jsonb not null,
        is_primary boolean not null,
        intervention_id uuid,
        run_id text not null,
        created_at timestamptz not null default now()
    """,
    "ml.plans": """
        tenant_id uuid not null,
        plan_type text not null,
        horizon integer not null,
        period text not null,
        status text not null,
        decisions jsonb not null,
        objective_name text,
        objective_sense text,
        objective_value double precision,
        current_policy_value double precision,
        expected_impact double precision,
        currency text not null,
        binding_constraints jsonb not null,
        conflicting_constraints jsonb not null,
        explanation text not null,
        notes jsonb not null,
        metrics jsonb not null,
        inputs jsonb not null,
        problem jsonb,
        solver text,
        solve_seconds double precision,
        total_seconds double precision not null,
        optimality_gap double precision,
        run_id text not null,
        created_at timestamptz not null default now(),
        primary key (tenant_id, plan_type)
    """,
}
INDEXES = (
    "create index if not exists forecast_accuracy_series on ml.forecast_accuracy (tenant_id, metric)",
    "create index if not exists evidence_edges_pair on ml.evidence_edges (tenant_id, cause, effect)",
)


def upgrade() -> None:
    # The dbt models the ML assets read (dbt_project/models/ml_features): the pipeline's only, no readers.
    op.execute("create schema if not exists ml_features")
    op.execute("grant usage, create on schema ml_features to keel_transformer")
    # "if not exists": a warehouse whose assets created these tables before this revision keeps its rows.
    for table, columns in TABLES.items():
        op.execute(f"create table if not exists {table} ({columns})")
    for statement in INDEXES:
        op.execute(statement)
    for table in TABLES:
        op.execute(f"select app.enable_tenant_isolation('{table}')")
        # Owned by the pipeline role, as when the assets created them: the assets write with COPY, which
        # PostgreSQL refuses under row-level security to anyone but the owner.
        op.execute(f"alter table {table} owner to keel_transformer")
        op.execute(f"grant select on {table} to keel_app, keel_analyst")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.execute(f"drop table if exists {table}")
    op.execute("drop schema if exists ml_features cascade")
