"""Row-level security: a session sees one tenant's rows, and only after it says which tenant.

- ``app.current_tenant_id()`` reads the session setting ``keel.tenant_id``; anything that is not
  exactly one UUID (unset, empty after RESET, a list, a pattern, injected SQL) gives NULL, and
  ``tenant_id = NULL`` matches no row.
- ``app.enable_tenant_isolation(table)`` turns RLS on for one table (or ``security_invoker`` on for a
  view, or takes reading away from the app and analysts for a materialized view, which RLS cannot
  guard) and creates the two policies: ``tenant_isolation`` for keel_app and keel_analyst, and
  ``pipeline_access`` for the loader and transformer that build the tables across tenants.
- An event trigger calls it for every table, view or materialized view with a ``tenant_id`` column
  created later in a schema the app or analysts can read, so a dbt model or ML table cannot forget
  it (fail closed). Event triggers need a superuser; where the migration runs without one, the
  trigger is skipped and dbt's post-hook (and the test that checks every readable table) remain.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TENANT_TABLES = ("app.tenants", "app.users", "app.subscriptions", "app.data_sources")


def upgrade() -> None:
    op.execute(
        """
        create or replace function app.current_tenant_id() returns uuid
        language plpgsql stable
        set search_path = pg_catalog, pg_temp
        as $$
        declare
            raw text := current_setting('keel.tenant_id', true);
        begin
            if raw is null or raw !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then
                return null;
            end if;
            return raw::uuid;
        end
        $$;
        grant execute on function app.current_tenant_id() to keel_app, keel_analyst, keel_transformer, keel_loader;
        """
    )
    op.execute(
        """
        create or replace function app.enable_tenant_isolation(p_relation regclass) returns void
        language plpgsql
        set search_path = pg_catalog, pg_temp
        as $$
        declare
            kind "char";
            has_rls boolean;
        begin
            select c.relkind, c.relrowsecurity into kind, has_rls from pg_class c where c.oid = p_relation;
            if kind in ('r', 'p') then
                -- Only when off: this ALTER TABLE fires the event trigger again, which then finds it on.
                if not has_rls then
                    execute format('alter table %s enable row level security', p_relation);
                end if;
                execute format('drop policy if exists tenant_isolation on %s', p_relation);
                -- (select ...) makes the setting an init plan: read once per query, not per row.
                execute format(
                    'create policy tenant_isolation on %s as permissive for all to keel_app, keel_analyst '
                    'using (tenant_id = (select app.current_tenant_id())) '
                    'with check (tenant_id = (select app.current_tenant_id()))', p_relation);
                execute format('drop policy if exists pipeline_access on %s', p_relation);
                execute format(
                    'create policy pipeline_access on %s as permissive for all '
                    'to keel_loader, keel_transformer using (true) with check (true)', p_relation);
            elsif kind = 'v' then
                execute format('alter view %s set (security_invoker = true, security_barrier = true)',
                               p_relation);
            elsif kind = 'm' then
                execute format('revoke all on %s from keel_app, keel_analyst', p_relation);
            end if;
        end
        $$;
        revoke all on function app.enable_tenant_isolation(regclass) from public;
        grant execute on function app.enable_tenant_isolation(regclass) to keel_transformer, keel_loader;
        """
    )
    for table in TENANT_TABLES:
        op.execute(f"select app.enable_tenant_isolation('{table}')")

    op.execute(
        """
        create or replace function app.on_ddl_enforce_tenant_isolation() returns event_trigger
        language plpgsql
        set search_path = pg_catalog, pg_temp
        as $$
        declare
            obj record;
        begin
            for obj in
                select c.oid::regclass as rel
                from pg_event_trigger_ddl_commands() cmd
                join pg_class c on c.oid = cmd.objid
                where cmd.classid = 'pg_class'::regclass
                  and c.relkind in ('r', 'p', 'v', 'm')
                  and not c.relispartition
                  and cmd.schema_name in ('app', 'marts', 'metrics', 'benchmarks', 'ml', 'coach')
                  and exists (select 1 from pg_attribute a
                              where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped)
            loop
                perform app.enable_tenant_isolation(obj.rel);
            end loop;
        end
        $$;
        """
    )
    op.execute(
        """
        do $$ begin
            if (select rolsuper from pg_roles where rolname = current_user) then
                drop event trigger if exists keel_enforce_tenant_isolation;
                create event trigger keel_enforce_tenant_isolation on ddl_command_end
                    when tag in ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'CREATE VIEW',
                                 'CREATE MATERIALIZED VIEW', 'ALTER TABLE')
                    execute function app.on_ddl_enforce_tenant_isolation();
            else
                raise notice 'not a superuser: no event trigger; tenant tables need app.enable_tenant_isolation()';
            end if;
        end $$;
        """
    )


def downgrade() -> None:
    op.execute("drop event trigger if exists keel_enforce_tenant_isolation")
    op.execute("drop function if exists app.on_ddl_enforce_tenant_isolation()")
    for table in TENANT_TABLES:
        op.execute(f"drop policy if exists tenant_isolation on {table}")
        op.execute(f"drop policy if exists pipeline_access on {table}")
        op.execute(f"alter table {table} disable row level security")
    op.execute("drop function if exists app.enable_tenant_isolation(regclass)")
    op.execute("drop function if exists app.current_tenant_id()")
