"""``metrics.business_metrics_daily``: the daily metrics table, in time-series storage.

dbt builds it incrementally (``dbt_project/models/metrics/business_metrics_daily.sql``, with
``full_refresh: false`` so dbt never replaces it by a plain table). The table itself is created here so
it is partitioned by month (or a hypertable) and carries row-level security from the start. Each
column's definition lives in the dbt model's YAML.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from alembic import op

from warehouse_init.timeseries import time_series_ddl, timescaledb_usable

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = """
    tenant_id uuid not null,
    metric_date date not null,
    currency text not null,
    revenue_gross numeric(14, 2) not null,
    discounts numeric(14, 2) not null,
    refunds numeric(14, 2) not null,
    revenue_net numeric(14, 2) not null,
    orders integer not null,
    average_order_value numeric(14, 2),
    cogs numeric(14, 2) not null,
    gross_margin numeric(14, 2) not null,
    gross_margin_pct numeric(9, 4),
    new_customers integer not null,
    returning_customers integer not null,
    cash_in numeric(14, 2) not null,
    cash_out numeric(14, 2) not null,
    receivables_outstanding numeric(14, 2),
    payables_outstanding numeric(14, 2),
    labor_hours numeric(10, 2) not null,
    labor_cost numeric(14, 2) not null,
    marketing_spend_total numeric(14, 2) not null,
    marketing_spend_by_channel jsonb not null,
    stockout_product_days integer not null,
    active_subscriptions integer,
    mrr numeric(14, 2),
    dbt_invocation_id text,
    built_at timestamptz not null default now(),
    primary key (tenant_id, metric_date)
"""


def upgrade() -> None:
    hypertable = timescaledb_usable(op.get_bind())
    for statement in time_series_ddl(
        "metrics.business_metrics_daily", COLUMNS, "metric_date", hypertable=hypertable
    ):
        op.execute(statement)
    # Daily history reaches back years: partitions from 2018 on, a year ahead from today.
    op.execute(
        "select app.ensure_monthly_partitions('metrics.business_metrics_daily', '2018-01-01', "
        "date_trunc('month', now()) + interval '12 months')"
    )
    op.execute("select app.enable_tenant_isolation('metrics.business_metrics_daily')")
    op.execute("grant select, insert, update, delete on metrics.business_metrics_daily to keel_transformer")
    op.execute("grant select on metrics.business_metrics_daily to keel_app, keel_analyst")


def downgrade() -> None:
    op.execute("drop table if exists metrics.business_metrics_daily cascade")
    op.execute("delete from app.time_series_tables where table_name = 'metrics.business_metrics_daily'")
