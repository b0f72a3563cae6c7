"""Monthly partitioning for time-series tables (TimescaleDB hypertables where available).

Adds the ``partitions`` schema, the registry ``app.time_series_tables``, the function
``app.ensure_monthly_partitions(table, from, to)`` and the first time-series table,
``app.audit_events`` (sign-ins, connector changes: who did what, when, per tenant). Later time-series
tables such as ``metrics.business_metrics_daily`` use the same registry and function.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from alembic import op

from warehouse_init.timeseries import time_series_ddl, timescaledb_usable

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Partitions are reached only through their parent, whose privileges and RLS policies apply.
    op.execute("create schema if not exists partitions")
    op.execute("revoke all on schema partitions from public")
    op.execute(
        """
        create table if not exists app.time_series_tables (
            table_name text primary key,
            time_column text not null,
            storage text not null check (storage in ('native', 'hypertable')),
            created_at timestamptz not null default now()
        );
        grant select on app.time_series_tables to keel_transformer, keel_loader;
        """
    )
    op.execute(
        """
        create or replace function app.ensure_monthly_partitions(
            p_table text, p_from timestamptz, p_to timestamptz
        ) returns integer
        language plpgsql security definer
        set search_path = pg_catalog, pg_temp
        as $$
        declare
            reg app.time_series_tables;
            parent regclass;
            base text;
            default_part regclass;
            month_start date;
            month_end date;
            part_name text;
            created integer := 0;
        begin
            select * into reg from app.time_series_tables where table_name = p_table;
            if not found then
                raise exception 'table % is not a registered time-series table', p_table
                    using hint = 'create it with warehouse_init.timeseries.time_series_ddl';
            end if;
            if reg.storage = 'hypertable' then
                return 0;  -- TimescaleDB creates its chunks by itself
            end if;
            if p_to - p_from > interval '50 years' then
                raise exception 'refusing to create more than 600 monthly partitions of % at once', p_table;
            end if;
            parent := p_table::regclass;
            base := replace(p_table, '.', '_');
            default_part := to_regclass(format('partitions.%I', base || '_default'));
            month_start := date_trunc('month', p_from)::date;
            while month_start < p_to loop
                month_end := (month_start + interval '1 month')::date;
                part_name := base || '_p' || to_char(month_start, 'YYYYMM');
                if to_regclass(format('partitions.%I', part_name)) is null then
                    execute format('create table partitions.%I (like %s including defaults including constraints)',
                                   part_name, parent);
                    if default_part is not null then
                        -- Rows the default partition caught for this month move into it first.
                        execute format(
                            'with moved as (delete from %s where %I >= %L and %I < %L returning *) '
                            'insert into partitions.%I select * from moved',
                            default_part, reg.time_column, month_start, reg.time_column, month_end, part_name);
                    end if;
                    execute format('alter table %s attach partition partitions.%I for values from (%L) to (%L)',
                                   parent, part_name, month_start, month_end);
                    created := created + 1;
                end if;
                month_start := month_end;
            end loop;
            return created;
        end
        $$;
        revoke all on function app.ensure_monthly_partitions(text, timestamptz, timestamptz) from public;
        grant execute on function app.ensure_monthly_partitions(text, timestamptz, timestamptz)
            to keel_transformer, keel_loader;
        """
    )

    hypertable = timescaledb_usable(op.get_bind())
    for statement in time_series_ddl(
        "app.audit_events",
        """
            event_id uuid not null default gen_random_uuid(),
            tenant_id uuid not null references app.tenants (tenant_id) on delete cascade,
            occurred_at timestamptz not null default now(),
            actor text,
            action text not null check (action ~ '^[a-z_.]{2,60}$'),
            detail jsonb not null default '{}'::jsonb,
            primary key (event_id, occurred_at)
        """,
        "occurred_at",
        hypertable=hypertable,
    ):
        op.execute(statement)
    op.execute("select app.enable_tenant_isolation('app.audit_events')")
    op.execute("grant select, insert on app.audit_events to keel_app")
    op.execute("grant select on app.audit_events to keel_transformer")


def downgrade() -> None:
    op.execute("drop table if exists app.audit_events cascade")
    op.execute("drop function if exists app.ensure_monthly_partitions(text, timestamptz, timestamptz)")
    op.execute("drop table if exists app.time_series_tables")
    op.execute("drop schema if exists partitions cascade")
