"""The tenant comes from the login role, not from a setting; a stricter DDL guard; no peeking at others.

- ``app.tenant_roles``: for every tenant, two login roles that only the administrator (through
  ``app.register_tenant``) creates: ``keel_app_<tenant hex>`` (member of ``keel_app``: the console and
  assets acting for that tenant) and ``keel_analyst_<tenant hex>`` (member of ``keel_analyst``). Sessions
  cannot write the table; each session can read its own row only.
- ``app.current_tenant_id()`` is the tenant of ``current_user`` in that table, or NULL. Nothing a session
  can set (``keel.tenant_id`` or any other setting) changes it; every policy already calls it.
- ``app.register_tenant(tenant jsonb, app_verifier, analyst_verifier)``: the one way to add or update a
  tenant, SECURITY DEFINER, executable by ``keel_loader`` (tenants are registered by ingestion). It creates
  the tenant's roles; passwords (SCRAM verifiers computed by the caller) are set only on roles it creates,
  so the loader cannot take over an existing tenant's roles. ``keel init`` sets every password.
- The DDL guard (``app.enable_tenant_isolation`` and its event trigger) now covers partitions (also when
  attached), every tenant column named in ``app.tenant_columns``, ``ALTER VIEW`` / ``ALTER TABLE ... SET``
  (a view is put back to ``security_invoker``), refuses relations without a tenant column in tenant-facing
  schemas unless they are declared in ``app.public_reference_relations`` (the ``benchmarks`` schema is
  public reference data as a whole), keeps no planner statistics on tenant columns (EXPLAIN would reveal
  another tenant's row count), and refuses views, functions, rules and triggers from ``keel_loader``
  (whose objects the transformer reads). Migrations (superuser) are not refused, only guarded.
- A login event trigger (PostgreSQL 17+) undoes role-level settings (``ALTER ROLE ... SET row_security
  = off`` / timeouts) that a Keel role put on itself, before the session runs anything.
- ``pg_stat_activity``, the backend statistics functions and ``pg_terminate_backend`` /
  ``pg_cancel_backend`` are no longer open to every role: sessions do not see or signal each other.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

#: Schemas the app and analysts read: every relation there is tenant-scoped or public reference data.
TENANT_FACING = ("app", "marts", "metrics", "benchmarks", "ml", "coach")
#: Schemas whose relations are public reference data as a whole (no tenant rows).
PUBLIC_REFERENCE_SCHEMAS = ("benchmarks",)

ENABLE_TENANT_ISOLATION = """
create or replace function app.enable_tenant_isolation(p_relation regclass) returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    kind "char";
    has_rls boolean;
    options text[];
    tenant_columns name[];
    condition text;
    col name;
    part regclass;
begin
    select c.relkind, c.relrowsecurity, coalesce(c.reloptions, '{}')
      into kind, has_rls, options from pg_class c where c.oid = p_relation;
    select coalesce(array_agg(a.attname order by a.attnum), '{}') into tenant_columns
    from pg_attribute a
    where a.attrelid = p_relation and a.attnum > 0 and not a.attisdropped
      and a.attname in (select t.column_name from app.tenant_columns t);
    if kind in ('r', 'p') and cardinality(tenant_columns) > 0 then
        -- Only when off: this ALTER TABLE fires the event trigger again, which then finds it on.
        if not has_rls then
            execute format('alter table %s enable row level security', p_relation);
        end if;
        select string_agg(format('%I = (select app.current_tenant_id())', c), ' and ')
          into condition from unnest(tenant_columns) c;
        execute format('drop policy if exists tenant_isolation on %s', p_relation);
        execute format(
            'create policy tenant_isolation on %s as permissive for all to keel_app, keel_analyst '
            'using (%s) with check (%s)', p_relation, condition, condition);
        execute format('drop policy if exists pipeline_access on %s', p_relation);
        execute format(
            'create policy pipeline_access on %s as permissive for all '
            'to keel_loader, keel_transformer using (true) with check (true)', p_relation);
        -- No statistics on the tenant column: the planner's estimate for "tenant_id = <another
        -- tenant>" would otherwise show that tenant's row count through EXPLAIN.
        foreach col in array tenant_columns loop
            if exists (select 1 from pg_attribute a where a.attrelid = p_relation and a.attname = col
                       and coalesce(a.attstattarget, -1) <> 0) then
                execute format('alter table %s alter column %I set statistics 0', p_relation, col);
            end if;
        end loop;
        if kind = 'p' then
            -- Partitions are tables of their own: reached directly they would skip the parent's policy.
            -- (Partitions already guarded are skipped: attaching a month must not redo a hundred others.)
            for part in
                select t.relid from pg_partition_tree(p_relation) t
                join pg_class c on c.oid = t.relid
                where t.relid <> p_relation and c.relkind in ('r', 'p')
                  and pg_has_role(current_user, c.relowner, 'USAGE')
                  and not (c.relrowsecurity
                           and exists (select 1 from pg_policy p
                                       where p.polrelid = c.oid and p.polname = 'tenant_isolation')
                           and exists (select 1 from pg_policy p
                                       where p.polrelid = c.oid and p.polname = 'pipeline_access'))
            loop
                perform app.enable_tenant_isolation(part);
            end loop;
        end if;
    elsif kind = 'v' then
        if not ('security_invoker=true' = any(options) and 'security_barrier=true' = any(options)) then
            execute format('alter view %s set (security_invoker = true, security_barrier = true)', p_relation);
        end if;
    elsif kind = 'm' and cardinality(tenant_columns) > 0 then
        execute format('revoke all on %s from public, keel_app, keel_analyst', p_relation);
    end if;
end
$$;
revoke all on function app.enable_tenant_isolation(regclass) from public;
grant execute on function app.enable_tenant_isolation(regclass) to keel_transformer, keel_loader;
"""

ON_DDL = """
create or replace function app.on_ddl_enforce_tenant_isolation() returns event_trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    obj record;
    privileged boolean := (select r.rolsuper from pg_roles r where r.rolname = current_user);
begin
    for obj in
        select distinct c.oid::regclass as rel, c.relkind, n.nspname, c.relname,
               exists (select 1 from pg_attribute a
                       where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                         and a.attname in (select t.column_name from app.tenant_columns t)) as has_tenant
        from pg_event_trigger_ddl_commands() cmd
        join pg_class c on c.oid = cmd.objid
        join pg_namespace n on n.oid = c.relnamespace
        where cmd.classid = 'pg_class'::regclass
          and c.relkind in ('r', 'p', 'v', 'm')
          and n.nspname in ('app', 'marts', 'metrics', 'benchmarks', 'ml', 'coach')
          and c.oid <> 'app.tenant_roles'::regclass
    loop
        if not obj.has_tenant and not privileged
           and obj.nspname not in ('benchmarks')
           and not exists (select 1 from app.public_reference_relations p
                           where p.relation_name = obj.nspname || '.' || obj.relname) then
            raise exception '% has no tenant column, and % is read by owners and analysts', obj.rel, obj.nspname
                using hint = 'add a tenant_id column, or declare it public reference data in '
                             'app.public_reference_relations (an administrator does that)';
        end if;
        perform app.enable_tenant_isolation(obj.rel);
    end loop;
end
$$;
"""

LOADER_GUARD = """
create or replace function app.on_ddl_refuse_loader_code() returns event_trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    -- dlt only creates schemas and tables. A view, function, rule or trigger of the loader would run
    -- with the rights of whoever reads raw data (the transformer), so the loader creates none.
    if current_user = 'keel_loader' then
        raise exception 'keel_loader may not create or change code objects (%)', tg_tag
            using hint = 'raw schemas hold tables only';
    end if;
end
$$;
"""

ON_LOGIN = """
create or replace function app.on_login_undo_role_settings() returns event_trigger
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    setting record;
begin
    -- Role-level settings are the administrator's: a Keel role that set row_security = off or a tiny
    -- timeout on itself would break every session of that role. Undo them before anything runs.
    for setting in
        select s.setdatabase, r.rolname, d.datname
        from pg_db_role_setting s
        join pg_roles r on r.oid = s.setrole
        left join pg_database d on d.oid = s.setdatabase
        where r.rolname = session_user and r.rolname like 'keel\\_%' and not r.rolsuper
    loop
        if setting.setdatabase = 0 then
            execute format('alter role %I reset all', setting.rolname);
        else
            execute format('alter role %I in database %I reset all', setting.rolname, setting.datname);
        end if;
        perform set_config('row_security', 'on', false);
        perform set_config('statement_timeout', '0', false);
        perform set_config('lock_timeout', '0', false);
        perform set_config('idle_in_transaction_session_timeout', '0', false);
        perform set_config('idle_session_timeout', '0', false);
        perform set_config('transaction_timeout', '0', false);
    end loop;
exception when others then
    -- A login trigger that fails locks everyone out; the connection options of Keel's own sessions
    -- pin these settings anyway.
    raise warning 'keel login check: %', sqlerrm;
end
$$;
revoke all on function app.on_login_undo_role_settings() from public;
"""

CURRENT_TENANT = """
create or replace function app.current_tenant_id() returns uuid
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select r.tenant_id from app.tenant_roles r where r.role_name = current_user
$$;
grant execute on function app.current_tenant_id() to keel_app, keel_analyst, keel_transformer, keel_loader;
"""

REGISTER = """
create or replace function app.ensure_tenant_roles(
    p_tenant_id uuid, p_app_verifier text, p_analyst_verifier text
) returns void
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    r record;
    hex text := replace(p_tenant_id::text, '-', '');
begin
    for r in
        select * from (values ('keel_app', 'keel_app_' || hex, p_app_verifier),
                              ('keel_analyst', 'keel_analyst_' || hex, p_analyst_verifier)) v(grp, name, verifier)
    loop
        if r.verifier is not null and r.verifier !~ '^SCRAM-SHA-256\\$[0-9]+:[A-Za-z0-9+/=]+\\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$' then
            raise exception 'the password of % must be given as a SCRAM-SHA-256 verifier', r.name;
        end if;
        if not exists (select 1 from pg_roles where rolname = r.name) then
            begin
                execute format('create role %I login inherit nosuperuser nocreatedb nocreaterole '
                               'noreplication nobypassrls', r.name);
                -- Only a role created here gets the caller's password; existing roles keep theirs.
                if r.verifier is not null then
                    execute format('alter role %I password %L', r.name, r.verifier);
                end if;
            exception when duplicate_object then null;  -- created at the same moment elsewhere
            end;
        end if;
        if not pg_has_role(r.name, r.grp, 'MEMBER') then
            execute format('grant %I to %I', r.grp, r.name);
        end if;
        insert into app.tenant_roles (role_name, tenant_id, purpose)
        values (r.name, p_tenant_id, r.grp)
        on conflict (role_name) do update set tenant_id = excluded.tenant_id, purpose = excluded.purpose;
    end loop;
end
$$;
revoke all on function app.ensure_tenant_roles(uuid, text, text) from public;

create or replace function app.register_tenant(
    p_tenant jsonb, p_app_verifier text, p_analyst_verifier text
) returns uuid
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    t app.tenants;
begin
    t := jsonb_populate_record(null::app.tenants, p_tenant);
    if t.tenant_id is null then
        raise exception 'a tenant needs a tenant_id';
    end if;
    insert into app.tenants (tenant_id, slug, name, industry, naics_code, size_band, region, country,
                             timezone, currency, opened_on, is_demo)
    values (t.tenant_id, t.slug, t.name, t.industry, t.naics_code, t.size_band, t.region, t.country,
            coalesce(t.timezone, 'UTC'), coalesce(t.currency, 'USD'), t.opened_on, coalesce(t.is_demo, false))
    on conflict (tenant_id) do update set
        slug = excluded.slug, name = excluded.name, industry = excluded.industry,
        naics_code = excluded.naics_code, size_band = excluded.size_band, region = excluded.region,
        country = excluded.country, timezone = excluded.timezone, currency = excluded.currency,
        opened_on = excluded.opened_on, is_demo = excluded.is_demo;
    perform app.ensure_tenant_roles(t.tenant_id, p_app_verifier, p_analyst_verifier);
    return t.tenant_id;
end
$$;
revoke all on function app.register_tenant(jsonb, text, text) from public;
grant execute on function app.register_tenant(jsonb, text, text) to keel_loader;
"""

#: Who may look at other sessions or signal them: nobody but the administrator.
SESSION_FUNCTIONS = """
select p.proname, pg_get_function_identity_arguments(p.oid)
from pg_proc p
where p.pronamespace = 'pg_catalog'::regnamespace
  and (p.proname in ('pg_stat_get_activity', 'pg_terminate_backend', 'pg_cancel_backend')
       or p.proname ~ '^pg_stat_get_backend_')
"""


def _superuser() -> bool:
    return bool(
        op.get_bind().exec_driver_sql("select rolsuper from pg_roles where rolname = current_user").scalar()
    )


def _server_version() -> int:
    return int(op.get_bind().exec_driver_sql("show server_version_num").scalar() or 0)


def upgrade() -> None:
    op.execute(
        """
        create table if not exists app.tenant_columns (
            column_name name primary key
        );
        insert into app.tenant_columns values ('tenant_id') on conflict do nothing;
        comment on table app.tenant_columns is
            'Columns that name a row''s tenant; the DDL guard puts row-level security on every one';
        create table if not exists app.public_reference_relations (
            relation_name text primary key check (relation_name ~ '^[a-z_][a-z0-9_]*\\.[a-z_][a-z0-9_]*$'),
            reason text not null
        );
        comment on table app.public_reference_relations is
            'Relations without tenant rows that owners and analysts may read (declared by an administrator)';
        -- The DDL guard reads them as whoever runs the DDL (a temporary table of the app's, too).
        grant select on app.tenant_columns, app.public_reference_relations
            to keel_transformer, keel_loader, keel_app, keel_analyst;
        """
    )
    op.execute(
        ON_DDL.replace("('benchmarks')", "(" + ", ".join(f"'{s}'" for s in PUBLIC_REFERENCE_SCHEMAS) + ")")
    )
    op.execute(
        """
        create table if not exists app.tenant_roles (
            role_name name primary key check (role_name ~ '^keel_(app|analyst)_[0-9a-f]{32}$'),
            tenant_id uuid not null references app.tenants (tenant_id) on delete cascade,
            purpose text not null check (purpose in ('keel_app', 'keel_analyst')),
            unique (tenant_id, purpose)
        );
        comment on table app.tenant_roles is
            'The login roles of each tenant; app.current_tenant_id() is the tenant of current_user here';
        alter table app.tenant_roles enable row level security;
        drop policy if exists tenant_isolation on app.tenant_roles;
        drop policy if exists pipeline_access on app.tenant_roles;
        drop policy if exists own_role on app.tenant_roles;
        create policy own_role on app.tenant_roles for select to public using (role_name = current_user);
        revoke all on app.tenant_roles from public;
        grant select on app.tenant_roles to keel_app, keel_analyst, keel_transformer, keel_loader;
        -- app.current_tenant_id() reads it as the session's user; analysts get no app table but this one.
        grant usage on schema app to keel_analyst;
        """
    )
    op.execute(CURRENT_TENANT)
    op.execute(ENABLE_TENANT_ISOLATION)
    op.execute(REGISTER)
    op.execute(LOADER_GUARD)
    op.execute("select app.ensure_tenant_roles(tenant_id, null, null) from app.tenants")

    # Every existing tenant table: partitions, statistics, views (owner-only changes, so where allowed).
    op.execute(
        """
        do $$
        declare rel regclass;
        begin
            for rel in
                select c.oid::regclass from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where n.nspname in ('app', 'marts', 'metrics', 'benchmarks', 'ml', 'coach')
                  and c.relkind in ('r', 'p', 'v', 'm') and not c.relispartition
                  and c.oid <> 'app.tenant_roles'::regclass
                  and pg_has_role(current_user, c.relowner, 'USAGE')
                  and (c.relkind = 'v' or exists (
                        select 1 from pg_attribute a where a.attrelid = c.oid and a.attnum > 0
                        and not a.attisdropped and a.attname in (select column_name from app.tenant_columns)))
            loop
                perform app.enable_tenant_isolation(rel);
            end loop;
        end $$;
        """
    )

    if not _superuser():
        op.execute(
            "do $$ begin raise notice 'not a superuser: event triggers and catalog grants unchanged'; end $$"
        )
        return
    # Statistics gathered before the guard kept none on tenant columns.
    op.execute(
        """
        delete from pg_statistic s using pg_attribute a, pg_class c, pg_namespace n
        where a.attrelid = s.starelid and a.attnum = s.staattnum and c.oid = a.attrelid
          and n.oid = c.relnamespace and a.attname in (select column_name from app.tenant_columns)
          and n.nspname in ('app', 'marts', 'metrics', 'benchmarks', 'ml', 'coach', 'partitions')
        """
    )
    op.execute(
        """
        drop event trigger if exists keel_enforce_tenant_isolation;
        create event trigger keel_enforce_tenant_isolation on ddl_command_end
            when tag in ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'CREATE VIEW',
                         'CREATE MATERIALIZED VIEW', 'ALTER TABLE', 'ALTER VIEW', 'ALTER MATERIALIZED VIEW')
            execute function app.on_ddl_enforce_tenant_isolation();
        drop event trigger if exists keel_refuse_loader_code;
        create event trigger keel_refuse_loader_code on ddl_command_start
            when tag in ('CREATE VIEW', 'ALTER VIEW', 'CREATE MATERIALIZED VIEW', 'CREATE FUNCTION',
                         'ALTER FUNCTION', 'CREATE PROCEDURE', 'CREATE RULE', 'CREATE TRIGGER',
                         'CREATE AGGREGATE', 'CREATE OPERATOR', 'CREATE CAST', 'CREATE TYPE')
            execute function app.on_ddl_refuse_loader_code();
        """
    )
    if _server_version() >= 170000:
        op.execute(ON_LOGIN)
        op.execute(
            """
            drop event trigger if exists keel_undo_role_settings;
            create event trigger keel_undo_role_settings on login
                execute function app.on_login_undo_role_settings();
            """
        )
    op.execute("revoke select on pg_catalog.pg_stat_activity from public")
    for name, args in op.get_bind().exec_driver_sql(SESSION_FUNCTIONS).fetchall():
        op.execute(f"revoke execute on function pg_catalog.{name}({args}) from public")


def downgrade() -> None:
    if _superuser():
        for name, args in op.get_bind().exec_driver_sql(SESSION_FUNCTIONS).fetchall():
            op.execute(f"grant execute on function pg_catalog.{name}({args}) to public")
        op.execute("grant select on pg_catalog.pg_stat_activity to public")
        op.execute("drop event trigger if exists keel_undo_role_settings")
        op.execute("drop event trigger if exists keel_refuse_loader_code")
    op.execute("drop function if exists app.on_login_undo_role_settings()")
    op.execute("drop function if exists app.on_ddl_refuse_loader_code()")
    op.execute("drop function if exists app.register_tenant(jsonb, text, text)")
    op.execute("drop function if exists app.ensure_tenant_roles(uuid, text, text)")
    op.execute("drop table if exists app.tenant_roles")
    op.execute("drop table if exists app.public_reference_relations")
    op.execute("drop table if exists app.tenant_columns")
    # Back to 0003's setting-based tenant and guard: run its upgrade again (every statement is idempotent).
    path = Path(__file__).with_name("0003_row_level_security.py")
    spec = importlib.util.spec_from_file_location("keel_migration_0003", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.upgrade()
