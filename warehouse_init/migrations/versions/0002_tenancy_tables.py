"""Tenants, users, subscriptions and data sources: the app-owned tables every part relies on.

Passwords are stored as argon2 hashes (``keel.tenancy``), connector secrets as Fernet tokens
(``keel.secrets``); neither is ever stored plain. ``keel_app`` may not read password hashes: it
signs people in through ``app.login_candidate``, a security-definer function that returns the hash
of one exact e-mail address.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        create table if not exists app.tenants (
            tenant_id uuid primary key,
            slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
            name text not null check (length(name) between 1 and 200),
            industry text,
            naics_code text check (naics_code ~ '^[0-9]{2,6}$'),
            size_band text check (size_band in ('micro', 'small', 'medium')),
            region text,
            country text check (country ~ '^[A-Z]{2}$'),
            timezone text not null default 'UTC',
            currency text not null default 'USD' check (currency ~ '^[A-Z]{3}$'),
            opened_on date,
            is_demo boolean not null default false,
            created_at timestamptz not null default now()
        )
        """
    )
    op.execute(
        """
        create table if not exists app.users (
            user_id uuid primary key default gen_random_uuid(),
            tenant_id uuid not null references app.tenants (tenant_id) on delete cascade,
            email text not null check (email = lower(email) and email ~ '^[^@\\s]+@[^@\\s]+$'),
            display_name text,
            role text not null default 'owner' check (role in ('owner', 'member', 'viewer')),
            password_hash text not null check (password_hash like '$argon2%'),
            is_active boolean not null default true,
            created_at timestamptz not null default now(),
            last_login_at timestamptz,
            unique (email)
        )
        """
    )
    op.execute("create index if not exists users_tenant_idx on app.users (tenant_id)")
    op.execute(
        """
        create table if not exists app.subscriptions (
            subscription_id uuid primary key default gen_random_uuid(),
            tenant_id uuid not null references app.tenants (tenant_id) on delete cascade,
            plan text not null check (plan in ('free', 'starter', 'growth', 'pro')),
            status text not null check (status in ('trialing', 'active', 'past_due', 'canceled')),
            seats integer not null default 1 check (seats > 0),
            started_at timestamptz not null default now(),
            ends_at timestamptz,
            check (ends_at is null or ends_at > started_at)
        )
        """
    )
    op.execute("create index if not exists subscriptions_tenant_idx on app.subscriptions (tenant_id)")
    op.execute(
        """
        create table if not exists app.data_sources (
            data_source_id uuid primary key default gen_random_uuid(),
            tenant_id uuid not null references app.tenants (tenant_id) on delete cascade,
            source_type text not null check (source_type ~ '^[a-z][a-z0-9_]{1,40}$'),
            name text not null,
            config jsonb not null default '{}'::jsonb,
            secrets_encrypted bytea,
            secrets_hint jsonb not null default '{}'::jsonb,
            is_enabled boolean not null default true,
            created_at timestamptz not null default now(),
            updated_at timestamptz not null default now(),
            last_loaded_at timestamptz,
            unique (tenant_id, source_type, name)
        )
        """
    )
    op.execute(
        """
        comment on column app.data_sources.secrets_encrypted is
            'Fernet token (keel.secrets) of the connector secrets as JSON; never plain text';
        comment on column app.data_sources.secrets_hint is
            'Masked secrets (last characters only) that the console may show back';
        """
    )

    op.execute(
        """
        grant select on app.tenants to keel_app, keel_transformer, keel_loader;
        grant select (user_id, tenant_id, email, display_name, role, is_active, created_at, last_login_at),
              update (display_name, password_hash, last_login_at), insert
              on app.users to keel_app;
        grant select, insert, update on app.subscriptions to keel_app;
        grant select on app.subscriptions to keel_transformer;
        grant select, insert, update, delete on app.data_sources to keel_app;
        grant select, update (last_loaded_at) on app.data_sources to keel_loader;
        """
    )

    # Sign-in happens before a tenant is known, so it cannot go through row-level security; this
    # function answers for one exact, normalized e-mail address and nothing else.
    op.execute(
        """
        create or replace function app.login_candidate(p_email text)
        returns table (user_id uuid, tenant_id uuid, password_hash text)
        language sql stable security definer
        set search_path = pg_catalog, pg_temp
        as $$
            select u.user_id, u.tenant_id, u.password_hash
            from app.users u
            where u.email = lower(trim(p_email)) and u.is_active
        $$;
        revoke all on function app.login_candidate(text) from public;
        grant execute on function app.login_candidate(text) to keel_app;
        """
    )


def downgrade() -> None:
    op.execute("drop function if exists app.login_candidate(text)")
    for table in ("data_sources", "subscriptions", "users", "tenants"):
        op.execute(f"drop table if exists app.{table} cascade")
