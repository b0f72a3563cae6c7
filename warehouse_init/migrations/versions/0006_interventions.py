"""``app.interventions``: what an owner did and when (promotions, price, staffing and marketing changes).

The evidence engine (``orchestration/defs/ml/evidence.py``) estimates the effect of every row here on
the metric it names. An owner records what and when, never an effect: the kind, a name (unique per
tenant; the evidence graph uses it as the cause), the first and last day (no last day for a lasting
change), optionally the weekdays it applied to (Monday = 0), the metric it was meant to move
(a column of ``metrics.business_metrics_daily``, or ``units`` / ``new_paid_subscriptions`` of the
``target_product``, or ``new_trials``), and how many days from the start to judge it over.

The console writes these rows as ``keel_app`` under row-level security; the demo loader records the demo
owners' interventions the same way (``ingestion.demo_load.record_interventions``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        create table if not exists app.interventions (
            intervention_id uuid primary key default gen_random_uuid(),
            tenant_id uuid not null references app.tenants (tenant_id) on delete cascade,
            kind text not null check (
                kind in ('promotion', 'price_change', 'staffing_change', 'marketing_change', 'other')
            ),
            name text not null check (length(name) between 1 and 200),
            starts_on date not null,
            ends_on date check (ends_on is null or ends_on >= starts_on),
            weekdays smallint[] check (
                weekdays is null or (cardinality(weekdays) > 0 and weekdays <@ '{0,1,2,3,4,5,6}'::smallint[])
            ),
            target_metric text not null default 'revenue_net' check (target_metric ~ '^[a-z][a-z0-9_]{0,62}$'),
            target_product text,
            evaluate_days integer check (evaluate_days is null or evaluate_days > 0),
            notes text,
            recorded_at timestamptz not null default now(),
            unique (tenant_id, name)
        )
        """
    )
    op.execute(
        """
        comment on table app.interventions is
            'What an owner did and when; the evidence engine estimates each row''s effect on target_metric';
        comment on column app.interventions.weekdays is
            'Weekdays it applied to (Monday = 0); NULL means every day';
        comment on column app.interventions.target_product is
            'For a price change: the product (sku or product_id of marts.order_lines, or plan code)';
        comment on column app.interventions.evaluate_days is
            'Judge the effect over this many days from starts_on (NULL: the whole period)';
        """
    )
    op.execute("select app.enable_tenant_isolation('app.interventions')")
    op.execute(
        """
        grant select, insert, update, delete on app.interventions to keel_app;
        grant select on app.interventions to keel_transformer;
        """
    )


def downgrade() -> None:
    op.execute("drop table if exists app.interventions cascade")
