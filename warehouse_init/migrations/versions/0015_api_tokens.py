"""``app.api_tokens``: personal access tokens of the HTTP API (``api/``), hashed, scoped and expiring.

- ``app.api_tokens``: one row per token a user created (``keel token create`` or the console's "API
  tokens" section). The token itself is shown once and never stored: the row keeps the SHA-256 of it
  (a token carries 256 random bits, so a fast hash is enough: there is nothing to guess, and a plain
  digest can be looked up by an index, which a salted password hash cannot), its first characters to
  recognise it by, its scopes (``read``, ``write``), when it expires and when it was revoked. Tenant
  rows under row-level security (``app.enable_tenant_isolation``): a tenant's ``keel_app`` login creates,
  lists and revokes its own users' tokens only.
- ``app.api_token_user(digest)``: what the API asks before it knows the tenant: the token's user,
  tenant, scopes, expiry and revocation, for the digest of a presented token. SECURITY DEFINER,
  executable by ``keel_auth`` only (like the sign-in functions of 0009); a user or tenant that is no
  longer active has no tokens. It notes the token's last use at most once a minute.
- ``app.api_identity_user(email)``: the active user with this e-mail address (for an OAuth2/OIDC bearer
  token whose signature, issuer and audience the API checked against the configured identity provider).
  SECURITY DEFINER, executable by ``keel_auth`` only.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

FUNCTIONS = ("app.api_token_user(text)", "app.api_identity_user(text)")


def upgrade() -> None:
    op.execute(
        """
        create table if not exists app.api_tokens (
            token_id uuid primary key default gen_random_uuid(),
            tenant_id uuid not null references app.tenants (tenant_id) on delete cascade,
            user_id uuid not null references app.users (user_id) on delete cascade,
            name text not null check (length(name) between 1 and 100),
            token_prefix text not null check (length(token_prefix) between 8 and 20),
            token_sha256 text not null unique check (token_sha256 ~ '^[0-9a-f]{64}$'),
            scopes text[] not null check (
                cardinality(scopes) > 0 and scopes <@ array['read', 'write']::text[]
            ),
            created_by text,
            created_at timestamptz not null default now(),
            expires_at timestamptz not null,
            last_used_at timestamptz,
            revoked_at timestamptz,
            revoked_by text,
            check (expires_at > created_at)
        );
        create index if not exists api_tokens_user_idx on app.api_tokens (user_id);
        comment on table app.api_tokens is
            'Personal access tokens of the HTTP API: SHA-256 of the token (never the token), scopes, expiry';
        """
    )
    op.execute("select app.enable_tenant_isolation('app.api_tokens')")
    op.execute(
        """
        grant select, insert, update (revoked_at, revoked_by) on app.api_tokens to keel_app;
        """
    )
    op.execute(
        """
        create or replace function app.api_token_user(p_sha256 text)
        returns table (token_id uuid, user_id uuid, tenant_id uuid, email text, scopes text[],
                       expires_at timestamptz, revoked_at timestamptz)
        language plpgsql security definer
        set search_path = pg_catalog, pg_temp
        as $$
        declare
            found_token uuid;
        begin
            return query
                select k.token_id, k.user_id, k.tenant_id, u.email, k.scopes, k.expires_at, k.revoked_at
                from app.api_tokens k
                join app.users u on u.user_id = k.user_id and u.tenant_id = k.tenant_id
                join app.tenants t on t.tenant_id = k.tenant_id
                where k.token_sha256 = p_sha256 and u.is_active and t.is_active;
            -- last use, at most once a minute: a busy client must not turn every read into a write
            update app.api_tokens k set last_used_at = now()
                where k.token_sha256 = p_sha256 and k.revoked_at is null
                  and (k.last_used_at is null or k.last_used_at < now() - interval '1 minute')
                returning k.token_id into found_token;
        end
        $$;

        create or replace function app.api_identity_user(p_email text)
        returns table (user_id uuid, tenant_id uuid, email text)
        language sql stable security definer
        set search_path = pg_catalog, pg_temp
        as $$
            select u.user_id, u.tenant_id, u.email
            from app.users u
            join app.tenants t on t.tenant_id = u.tenant_id
            where u.email = lower(trim(p_email)) and u.is_active and t.is_active
        $$;
        """
    )
    for function in FUNCTIONS:
        op.execute(f"revoke all on function {function} from public, keel_app")
        op.execute(f"grant execute on function {function} to keel_auth")


def downgrade() -> None:
    for function in FUNCTIONS:
        op.execute(f"drop function if exists {function}")
    op.execute("drop table if exists app.api_tokens")
