"""``ml.quality_results`` and ``ml.quality_failures``: what the data-quality expectations found, per tenant.

- ``ml.quality_results``: one row per tenant, run and expectation (great-expectations, suites next to each
  source in ``ingestion/sources/<source>/expectations.py`` and for the key marts in
  ``ingestion/quality/marts.py``): the checked asset, the expectation, its severity (``error`` blocks the
  assets downstream, ``warn`` does not), whether it passed, how many rows it looked at and how many failed,
  the observed value, and a sentence for the owner ("3 days of sales are missing from Shopify since
  Tuesday") when it failed.
- ``ml.quality_failures``: a sample of the rows that failed each expectation (the key columns and the
  failing value as jsonb, never whole records: personal fields stay in the raw tables), for the data team.

Both carry ``tenant_id`` and row-level security (``app.enable_tenant_isolation``, 0003/0008): the pipeline
role writes them, each tenant's console and analyst logins read their own rows.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        create table if not exists ml.quality_results (
            result_id bigint generated always as identity primary key,
            tenant_id uuid not null references app.tenants (tenant_id) on delete cascade,
            run_id text not null,
            checked_at timestamptz not null default now(),
            asset_key text not null,
            source text not null,
            expectation text not null,
            expectation_type text not null,
            column_name text,
            severity text not null check (severity in ('error', 'warn')),
            success boolean not null,
            element_count bigint,
            unexpected_count bigint,
            observed jsonb not null default '{}'::jsonb,
            owner_message text
        );
        create index if not exists quality_results_latest
            on ml.quality_results (tenant_id, asset_key, checked_at desc);
        comment on table ml.quality_results is
            'Data-quality expectations run per tenant (great-expectations): severity, outcome, observed '
            'value and a sentence for the owner when one failed';
        create table if not exists ml.quality_failures (
            tenant_id uuid not null references app.tenants (tenant_id) on delete cascade,
            result_id bigint not null references ml.quality_results (result_id) on delete cascade,
            row_number integer not null,
            failing_row jsonb not null,
            primary key (result_id, row_number)
        );
        create index if not exists quality_failures_tenant on ml.quality_failures (tenant_id, result_id);
        comment on table ml.quality_failures is
            'A sample of the rows each failed expectation found (key columns and the failing value)';
        """
    )
    for table in ("ml.quality_results", "ml.quality_failures"):
        op.execute(f"select app.enable_tenant_isolation('{table}')")
        op.execute(f"alter table {table} owner to keel_transformer")
        op.execute(f"grant select on {table} to keel_app, keel_analyst")


def downgrade() -> None:
    op.execute("drop table if exists ml.quality_failures, ml.quality_results cascade")
