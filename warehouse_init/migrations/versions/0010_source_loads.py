"""Every load of a tenant's source, per resource: when, how many rows, what was set aside, the cursor, errors.

``app.source_loads`` is what ``keel ingest status`` and the console's "Your data" page show. The ingest
runner (``ingestion.run``) writes one row per (source, resource) of each run as ``keel_loader``; an owner
(``keel_app`` of the tenant) reads its own rows only (row-level security, like ``app.data_sources``).
``data_source_id`` is the configured connection the load came from (null for the demo provider and
uploaded files); ``provider`` says which kind of provider gave the records.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        create table if not exists app.source_loads (
            load_id uuid primary key default gen_random_uuid(),
            run_id uuid not null,
            tenant_id uuid not null references app.tenants (tenant_id) on delete cascade,
            data_source_id uuid references app.data_sources (data_source_id) on delete set null,
            provider text not null default 'connector' check (provider in ('connector', 'demo', 'file')),
            source text not null check (source ~ '^[a-z][a-z0-9_]{1,40}$'),
            resource text not null,
            started_at timestamptz not null,
            finished_at timestamptz not null,
            rows bigint not null default 0 check (rows >= 0),
            rejected integer not null default 0 check (rejected >= 0),
            cursor timestamptz,
            error text,
            needs_reconnect boolean not null default false,
            check (finished_at >= started_at)
        );
        create index if not exists source_loads_latest_idx
            on app.source_loads (tenant_id, source, resource, started_at desc);
        comment on table app.source_loads is
            'One row per (source, resource) of each ingest run of a tenant: rows, rejected, cursor, error';
        comment on column app.source_loads.cursor is
            'The latest cursor (UTC) loaded for the tenant and resource after this load';
        grant select, insert on app.source_loads to keel_loader;
        grant select on app.source_loads to keel_app;
        """
    )
    # The DDL guard's event trigger does this when a superuser migrates; without one it must be asked.
    op.execute("select app.enable_tenant_isolation('app.source_loads')")


def downgrade() -> None:
    op.execute("drop table if exists app.source_loads")
