"""Sign-in that resists guessing, and console sessions the database can end.

- ``keel_auth``: a login role used only by the sign-in code (``keel.tenancy``). It owns nothing and may
  only execute the functions below; it is the only role that ever sees a password hash.
  ``app.login_candidate`` is no longer executable by ``keel_app`` (it handed any tenant's user id, tenant
  id and argon2 hash to whoever had a console connection).
- ``app.sign_in_throttle``: consecutive failures per account (sha-256 of the e-mail, so an unknown
  e-mail is throttled the same way as a known one) and per client address, and the lock they earned:
  after ``max_failures`` failures the subject is locked for ``lockout`` seconds, doubled with every
  further failure up to ``max_lockout`` (exponential back-off). A success clears the account's count;
  an address's count only runs out (after ``max_lockout`` without failures), so one good account does
  not reset the count of an address that guesses at others.
- ``app.sign_in_attempts``: every attempt (e-mail as sha-256, address, outcome); failures and locks of
  a known account also go to that tenant's ``app.audit_events``.
- ``app.user_sessions``: one row per console sign-in. A session ends when it is signed out, when it
  has not been seen for the idle limit, when it is older than the absolute limit, or when its user or
  tenant is no longer active; ``app.session_resume`` checks all of that on every page load.
- ``app.tenants.is_active``: an operator can switch a whole tenant off.
- ``app.tenant_data_events``: exports and deletions of a whole tenant's data (``keel tenant export``,
  ``keel tenant delete``). Not tied to ``app.tenants`` by a foreign key: the record of a deletion must
  outlive the tenant it deleted.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from alembic import op

from keel.settings import get_settings

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SIGN_IN_FUNCTIONS = (
    "app.login_candidate(text)",
    "app.sign_in_lock(text, text)",
    "app.sign_in_record(text, text, uuid, boolean, integer, integer, integer)",
    "app.sign_in_rehash(uuid, text)",
    "app.session_start(uuid, text)",
    "app.session_resume(uuid, integer, integer)",
    "app.session_end(uuid, text)",
)


def upgrade() -> None:
    op.execute(
        """
        do $$ begin
          create role keel_auth login;
        exception when duplicate_object then null;
        end $$;
        alter role keel_auth login nosuperuser nocreatedb nocreaterole noreplication nobypassrls;
        """
    )
    password = get_settings().role_password
    if password is not None:
        op.execute("alter role keel_auth password '" + password.get_secret_value().replace("'", "''") + "'")
    op.execute(
        """
        do $$ begin
          execute format('grant connect on database %I to keel_auth', current_database());
        end $$;
        grant usage on schema app to keel_auth;
        """
    )

    op.execute("alter table app.tenants add column if not exists is_active boolean not null default true")
    op.execute(
        """
        create table if not exists app.sign_in_throttle (
            scope text not null check (scope in ('account', 'address')),
            subject text not null,
            failures integer not null default 0 check (failures >= 0),
            last_failure_at timestamptz,
            locked_until timestamptz,
            primary key (scope, subject)
        );
        comment on table app.sign_in_throttle is
            'Consecutive failed sign-ins per account (sha-256 of the e-mail) or client address, and the lock';
        create table if not exists app.sign_in_attempts (
            attempt_id bigint generated always as identity primary key,
            occurred_at timestamptz not null default now(),
            email_sha256 text not null,
            client_address text,
            tenant_id uuid references app.tenants (tenant_id) on delete cascade,
            outcome text not null check (outcome in ('signed_in', 'wrong', 'locked'))
        );
        create index if not exists sign_in_attempts_time_idx on app.sign_in_attempts (occurred_at);
        create table if not exists app.user_sessions (
            session_id uuid primary key default gen_random_uuid(),
            user_id uuid not null references app.users (user_id) on delete cascade,
            tenant_id uuid not null references app.tenants (tenant_id) on delete cascade,
            client_address text,
            created_at timestamptz not null default now(),
            last_seen_at timestamptz not null default now(),
            ended_at timestamptz,
            end_reason text
        );
        create index if not exists user_sessions_user_idx on app.user_sessions (user_id);
        """
    )
    op.execute(
        """
        create table if not exists app.tenant_data_events (
            event_id bigint generated always as identity primary key,
            occurred_at timestamptz not null default now(),
            tenant_id uuid not null,
            tenant_slug text not null,
            actor text,
            action text not null check (action in ('tenant.exported', 'tenant.deleted')),
            detail jsonb not null default '{}'::jsonb
        );
        comment on table app.tenant_data_events is
            'Exports and deletions of all of a tenant''s data; kept after the tenant is deleted';
        """
    )
    # Only the definer functions below (and operators, as the administrator) touch these tables.
    op.execute(
        "revoke all on app.sign_in_throttle, app.sign_in_attempts, app.user_sessions, app.tenant_data_events "
        "from public"
    )

    op.execute(
        """
        create or replace function app.login_candidate(p_email text)
        returns table (user_id uuid, tenant_id uuid, password_hash text)
        language sql stable security definer
        set search_path = pg_catalog, pg_temp
        as $$
            select u.user_id, u.tenant_id, u.password_hash
            from app.users u
            join app.tenants t on t.tenant_id = u.tenant_id
            where u.email = lower(trim(p_email)) and u.is_active and t.is_active
        $$;

        create or replace function app.sign_in_lock(p_email text, p_address text) returns timestamptz
        language sql stable security definer
        set search_path = pg_catalog, pg_temp
        as $$
            select max(locked_until) from app.sign_in_throttle
            where locked_until > now()
              and ((scope = 'account'
                    and subject = encode(sha256(convert_to(lower(trim(p_email)), 'UTF8')), 'hex'))
                   or (scope = 'address' and subject = p_address))
        $$;

        create or replace function app.sign_in_record(
            p_email text, p_address text, p_user_id uuid, p_succeeded boolean,
            p_max_failures integer, p_lockout_seconds integer, p_max_lockout_seconds integer
        ) returns timestamptz
        language plpgsql security definer
        set search_path = pg_catalog, pg_temp
        as $$
        declare
            email_key text := encode(sha256(convert_to(lower(trim(p_email)), 'UTF8')), 'hex');
            user_tenant uuid;
            lock_until timestamptz;
            account_failures integer;
            subject_scope text;
            subject_key text;
            scope_failures integer;
            scope_lock timestamptz;
        begin
            select u.tenant_id into user_tenant from app.users u where u.user_id = p_user_id;
            if p_succeeded then
                if user_tenant is null then
                    raise exception 'sign_in_record: unknown user %', p_user_id;
                end if;
                delete from app.sign_in_throttle where scope = 'account' and subject = email_key;
                insert into app.sign_in_attempts (email_sha256, client_address, tenant_id, outcome)
                    values (email_key, p_address, user_tenant, 'signed_in');
                update app.users set last_login_at = now() where user_id = p_user_id;
                insert into app.audit_events (tenant_id, actor, action, detail)
                    values (user_tenant, lower(trim(p_email)), 'user.signed_in',
                            jsonb_build_object('client_address', p_address));
                return null;
            end if;

            foreach subject_scope in array array['account', 'address'] loop
                subject_key := case subject_scope when 'account' then email_key else p_address end;
                continue when subject_key is null;
                insert into app.sign_in_throttle as t (scope, subject, failures, last_failure_at)
                    values (subject_scope, subject_key, 1, now())
                on conflict (scope, subject) do update set
                    -- a count runs out after the longest lock passed without a failure
                    failures = case when t.last_failure_at < now() - make_interval(secs => p_max_lockout_seconds)
                                    then 1 else t.failures + 1 end,
                    last_failure_at = now()
                returning failures into scope_failures;
                scope_lock := null;
                if scope_failures >= p_max_failures then
                    scope_lock := now() + make_interval(secs => least(
                        p_max_lockout_seconds::double precision,
                        p_lockout_seconds * power(2, least(scope_failures - p_max_failures, 30))));
                    update app.sign_in_throttle set locked_until = scope_lock
                        where scope = subject_scope and subject = subject_key;
                end if;
                if subject_scope = 'account' then
                    account_failures := scope_failures;
                end if;
                lock_until := greatest(lock_until, scope_lock);
            end loop;

            insert into app.sign_in_attempts (email_sha256, client_address, tenant_id, outcome)
                values (email_key, p_address, user_tenant, 'wrong');
            if user_tenant is not null then
                insert into app.audit_events (tenant_id, actor, action, detail)
                    values (user_tenant, lower(trim(p_email)), 'user.sign_in_failed',
                            jsonb_build_object('client_address', p_address, 'failures_in_a_row', account_failures,
                                               'locked_until', lock_until));
                if lock_until is not null then
                    insert into app.audit_events (tenant_id, actor, action, detail)
                        values (user_tenant, lower(trim(p_email)), 'user.locked_out',
                                jsonb_build_object('client_address', p_address, 'locked_until', lock_until));
                end if;
            end if;
            return lock_until;
        end
        $$;

        create or replace function app.sign_in_rehash(p_user_id uuid, p_hash text) returns void
        language sql security definer
        set search_path = pg_catalog, pg_temp
        as $$
            update app.users set password_hash = p_hash where user_id = p_user_id and p_hash like '$argon2%'
        $$;

        create or replace function app.session_start(p_user_id uuid, p_address text) returns uuid
        language sql security definer
        set search_path = pg_catalog, pg_temp
        as $$
            insert into app.user_sessions (user_id, tenant_id, client_address)
            select u.user_id, u.tenant_id, p_address from app.users u where u.user_id = p_user_id
            returning session_id
        $$;

        -- The session's user while it is valid (and it is seen now); nothing once it has ended.
        create or replace function app.session_resume(
            p_session_id uuid, p_idle_seconds integer, p_max_seconds integer
        ) returns table (user_id uuid, tenant_id uuid, email text)
        language plpgsql security definer
        set search_path = pg_catalog, pg_temp
        as $$
        declare
            s app.user_sessions;
            reason text;
        begin
            select * into s from app.user_sessions where session_id = p_session_id for update;
            if not found or s.ended_at is not null then
                return;
            end if;
            reason := case
                when s.created_at < now() - make_interval(secs => p_max_seconds) then 'expired'
                when s.last_seen_at < now() - make_interval(secs => p_idle_seconds) then 'idle'
                when not exists (select 1 from app.users u join app.tenants t on t.tenant_id = u.tenant_id
                                 where u.user_id = s.user_id and u.is_active and t.is_active) then 'deactivated'
            end;
            if reason is not null then
                update app.user_sessions set ended_at = now(), end_reason = reason
                    where session_id = p_session_id;
                insert into app.audit_events (tenant_id, actor, action, detail)
                    select s.tenant_id, u.email, 'user.session_ended', jsonb_build_object('reason', reason)
                    from app.users u where u.user_id = s.user_id;
                return;
            end if;
            update app.user_sessions set last_seen_at = now() where session_id = p_session_id;
            return query select u.user_id, u.tenant_id, u.email from app.users u where u.user_id = s.user_id;
        end
        $$;

        create or replace function app.session_end(p_session_id uuid, p_reason text) returns void
        language sql security definer
        set search_path = pg_catalog, pg_temp
        as $$
            update app.user_sessions set ended_at = now(), end_reason = left(p_reason, 40)
            where session_id = p_session_id and ended_at is null
        $$;
        """
    )
    for function in SIGN_IN_FUNCTIONS:
        op.execute(f"revoke all on function {function} from public, keel_app")
        op.execute(f"grant execute on function {function} to keel_auth")


def downgrade() -> None:
    for function in SIGN_IN_FUNCTIONS[1:]:
        op.execute(f"drop function if exists {function}")
    op.execute("grant execute on function app.login_candidate(text) to keel_app")
    op.execute("revoke all on function app.login_candidate(text) from keel_auth")
    op.execute(
        "drop table if exists app.tenant_data_events, app.user_sessions, app.sign_in_attempts, "
        "app.sign_in_throttle"
    )
    op.execute("alter table app.tenants drop column if exists is_active")
    op.execute(
        """
        do $$ begin
          execute format('revoke all on database %I from keel_auth', current_database());
        end $$;
        revoke all on schema app from keel_auth;
        """
    )
