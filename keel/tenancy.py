"""Tenants, their users, subscriptions and data sources: the one API that writes app.* tenancy rows.

Registering a tenant runs ``app.register_tenant`` as ``keel_loader`` (ingestion registers tenants; no
administrator): it writes ``app.tenants`` and creates the tenant's own login roles, whose membership is
what scopes a session to the tenant. Everything a signed-in owner does runs as that tenant's
``keel_app`` login, so row-level security guards it in the database too.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from psycopg.types.json import Jsonb

from keel.errors import AuthenticationFailed, InvalidInput
from keel.secrets import encrypt_secrets, mask
from keel.warehouse import connect, parse_tenant_id, tenant_role_verifiers

_hasher = PasswordHasher()
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Fixed namespace so a tenant's id follows from its slug (demo tenants keep their ids across runs).
TENANT_NAMESPACE = uuid.UUID("6f1d2b1e-4c1a-4c55-9a59-6b3e2a0d5e11")


@dataclass(frozen=True)
class Tenant:
    tenant_id: uuid.UUID
    slug: str
    name: str


@dataclass(frozen=True)
class SignedInUser:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    email: str


def tenant_id_for(slug: str) -> uuid.UUID:
    return uuid.uuid5(TENANT_NAMESPACE, slug)


def create_tenant(
    slug: str,
    name: str,
    *,
    industry: str | None = None,
    naics_code: str | None = None,
    size_band: str | None = None,
    region: str | None = None,
    country: str | None = None,
    timezone: str = "UTC",
    currency: str = "USD",
    opened_on: date | None = None,
    is_demo: bool = False,
    tenant_id: uuid.UUID | None = None,
) -> Tenant:
    """Create (or update, by id) a tenant; its id is derived from the slug unless given."""
    if not _SLUG.match(slug):
        raise InvalidInput(
            f"tenant slug {slug!r} is invalid", "use 2-63 lower-case letters, digits and dashes"
        )
    tenant_id = tenant_id or tenant_id_for(slug)
    values = (
        slug,
        name,
        industry,
        naics_code,
        size_band,
        region,
        country,
        timezone,
        currency,
        opened_on,
        is_demo,
    )
    columns = (
        "slug",
        "name",
        "industry",
        "naics_code",
        "size_band",
        "region",
        "country",
        "timezone",
        "currency",
        "opened_on",
        "is_demo",
    )
    row = {"tenant_id": str(tenant_id), **dict(zip(columns, values, strict=True))}
    row["opened_on"] = opened_on.isoformat() if opened_on else None
    with connect("keel_loader") as conn:
        app_verifier, analyst_verifier = tenant_role_verifiers(conn, tenant_id)
        conn.execute("select app.register_tenant(%s, %s, %s)", (Jsonb(row), app_verifier, analyst_verifier))
    return Tenant(tenant_id, slug, name)


def create_user(
    tenant_id: str | uuid.UUID,
    email: str,
    password: str,
    *,
    display_name: str | None = None,
    role: str = "owner",
) -> uuid.UUID:
    """Add a user to a tenant, as that tenant (RLS refuses a row for any other tenant)."""
    tenant = parse_tenant_id(tenant_id)
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise InvalidInput(f"e-mail address {email!r} is invalid", "use name@example.com")
    if len(password) < 10:
        raise InvalidInput("the password is too short", "use at least 10 characters")
    with connect("keel_app", tenant_id=tenant) as conn:
        row = conn.execute(
            """
            insert into app.users (tenant_id, email, display_name, role, password_hash)
            values (%s, %s, %s, %s, %s) returning user_id
            """,
            (tenant, email, display_name, role, _hasher.hash(password)),
        ).fetchone()
        assert row is not None
        record_event(conn, tenant, "user.created", actor=email)
    return uuid.UUID(str(row[0]))


def authenticate(email: str, password: str) -> SignedInUser:
    """Check a password; raises :class:`AuthenticationFailed` with the same words for any mismatch."""
    normalized = email.strip().lower()
    with connect("keel_app") as conn:
        row = conn.execute("select * from app.login_candidate(%s)", (normalized,)).fetchone()
        failed = AuthenticationFailed("e-mail or password is wrong", "check both and try again")
        if row is None:
            _hasher.hash(password)  # same work as a real check, so timing does not reveal unknown e-mails
            raise failed
        user_id, tenant_id, password_hash = row
        try:
            _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            raise failed from None
    # The tenant is the login role: the rest runs as this tenant's own keel_app login.
    with connect("keel_app", tenant_id=tenant_id) as conn:
        conn.execute("update app.users set last_login_at = now() where user_id = %s", (user_id,))
        if _hasher.check_needs_rehash(password_hash):
            conn.execute(
                "update app.users set password_hash = %s where user_id = %s",
                (_hasher.hash(password), user_id),
            )
        record_event(conn, tenant_id, "user.signed_in", actor=normalized)
    return SignedInUser(uuid.UUID(str(user_id)), uuid.UUID(str(tenant_id)), normalized)


def add_subscription(
    tenant_id: str | uuid.UUID, plan: str, status: str = "active", seats: int = 1
) -> uuid.UUID:
    tenant = parse_tenant_id(tenant_id)
    with connect("keel_app", tenant_id=tenant) as conn:
        row = conn.execute(
            "insert into app.subscriptions (tenant_id, plan, status, seats) values (%s, %s, %s, %s) "
            "returning subscription_id",
            (tenant, plan, status, seats),
        ).fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


def save_data_source(
    tenant_id: str | uuid.UUID,
    source_type: str,
    name: str,
    config: dict[str, Any],
    secrets: dict[str, str] | None = None,
) -> uuid.UUID:
    """Store a tenant's connector settings; ``secrets`` are encrypted, only a masked hint is readable."""
    tenant = parse_tenant_id(tenant_id)
    overlap = set(config) & set(secrets or {})
    if overlap:
        raise InvalidInput(
            f"keys {sorted(overlap)} are given both as config and as secrets",
            "pass each secret only in `secrets`",
        )
    token = encrypt_secrets(secrets) if secrets else None
    hint = {key: mask(str(value)) for key, value in (secrets or {}).items()}
    with connect("keel_app", tenant_id=tenant) as conn:
        row = conn.execute(
            """
            insert into app.data_sources
                (tenant_id, source_type, name, config, secrets_encrypted, secrets_hint)
            values (%s, %s, %s, %s, %s, %s)
            on conflict (tenant_id, source_type, name) do update set
                config = excluded.config, secrets_encrypted = excluded.secrets_encrypted,
                secrets_hint = excluded.secrets_hint, updated_at = now()
            returning data_source_id
            """,
            (tenant, source_type, name, Jsonb(config), token, Jsonb(hint)),
        ).fetchone()
        assert row is not None
        record_event(conn, tenant, "data_source.saved", detail={"source_type": source_type, "name": name})
    return uuid.UUID(str(row[0]))


def record_event(
    conn: Any,
    tenant_id: str | uuid.UUID,
    action: str,
    *,
    actor: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append to the tenant's audit trail (app.audit_events) on an open connection."""
    conn.execute(
        "insert into app.audit_events (tenant_id, actor, action, detail) values (%s, %s, %s, %s)",
        (parse_tenant_id(tenant_id), actor, action, Jsonb(detail or {})),
    )
