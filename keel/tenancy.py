"""Tenants, their users, subscriptions and data sources: the one API that writes app.* tenancy rows.

Registering a tenant runs ``app.register_tenant`` as ``keel_loader`` (ingestion registers tenants; no
administrator): it writes ``app.tenants`` and creates the tenant's own login roles, whose membership is
what scopes a session to the tenant. Everything a signed-in owner does runs as that tenant's
``keel_app`` login, so row-level security guards it in the database too.
"""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from babel import Locale
from babel.numbers import list_currencies
from psycopg.errors import UniqueViolation
from psycopg.types.json import Jsonb

from keel.errors import AuthenticationFailed, InvalidInput, KeelError, SignInLocked
from keel.secrets import encrypt_secrets, mask
from keel.settings import get_settings
from keel.warehouse import connect, parse_tenant_id, tenant_role_verifiers

_hasher = PasswordHasher()
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NAICS = re.compile(r"^[0-9]{2,6}$")
SIZE_BANDS = ("micro", "small", "medium")
USER_ROLES = ("owner", "member", "viewer")
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
    session_id: uuid.UUID | None = None  # the console session (app.user_sessions), once one is open


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
    is_benchmark_peer: bool = False,
    tenant_id: uuid.UUID | None = None,
) -> Tenant:
    """Create (or update, by id) a tenant; its id is derived from the slug unless given.

    Every field is checked first (:func:`check_tenant_fields`): a bad one raises :class:`InvalidInput`
    naming it and what is wrong.
    """
    check_tenant_fields(
        slug=slug,
        name=name,
        naics_code=naics_code,
        size_band=size_band,
        country=country,
        timezone=timezone,
        currency=currency,
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
        is_benchmark_peer,
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
        "is_benchmark_peer",
    )
    row = {"tenant_id": str(tenant_id), **dict(zip(columns, values, strict=True))}
    row["opened_on"] = opened_on.isoformat() if opened_on else None
    with connect("keel_loader") as conn:
        app_verifier, analyst_verifier = tenant_role_verifiers(conn, tenant_id)
        conn.execute("select app.register_tenant(%s, %s, %s)", (Jsonb(row), app_verifier, analyst_verifier))
    return Tenant(tenant_id, slug, name)


def check_tenant_fields(
    *,
    slug: str,
    name: str,
    naics_code: str | None = None,
    size_band: str | None = None,
    country: str | None = None,
    timezone: str = "UTC",
    currency: str = "USD",
) -> None:
    """Refuse a tenant field that app.tenants would refuse, or that names no real currency or time zone."""
    if not _SLUG.match(slug):
        raise InvalidInput(
            f"tenant slug {slug!r} is invalid", "use 2-63 lower-case letters, digits and dashes"
        )
    if not name.strip() or len(name) > 200:
        raise InvalidInput(f"business name {name[:80]!r} is invalid", "give a name of 1 to 200 characters")
    if naics_code is not None and not _NAICS.match(naics_code):
        raise InvalidInput(f"NAICS code {naics_code!r} is invalid", "give 2 to 6 digits, e.g. 722515")
    if size_band is not None and size_band not in SIZE_BANDS:
        raise InvalidInput(
            f"size band {size_band!r} is unknown",
            "use micro (under 10 people), small (under 50) or medium (under 250)",
        )
    if country is not None and (len(country) != 2 or country not in Locale("en").territories):
        raise InvalidInput(
            f"country {country!r} is not an ISO 3166 country code", "use two capital letters, e.g. US, CA, DE"
        )
    if currency not in list_currencies():
        raise InvalidInput(
            f"currency {currency!r} is not an ISO 4217 currency code",
            "use three capital letters, e.g. USD, EUR",
        )
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"time zone {timezone!r} is unknown", "use an IANA name such as Europe/Berlin or America/Chicago"
        ) from None


def find_tenant(slug: str) -> Tenant | None:
    """The tenant with this slug, or None (read as ``keel_loader``, which registers tenants)."""
    with connect("keel_loader") as conn:
        row = conn.execute(
            "select tenant_id, slug, name from app.tenants where slug = %s", (slug,)
        ).fetchone()
    return None if row is None else Tenant(uuid.UUID(str(row[0])), row[1], row[2])


def require_tenant(slug: str) -> Tenant:
    """The tenant with this slug; :class:`InvalidInput` if there is none."""
    tenant = find_tenant(slug)
    if tenant is None:
        raise InvalidInput(f"there is no business {slug!r}", "see `keel tenant list` for the slugs")
    return tenant


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
    if role not in USER_ROLES:
        raise InvalidInput(f"user role {role!r} is unknown", f"use one of {', '.join(USER_ROLES)}")
    try:
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
    except UniqueViolation:
        # The address may belong to another business: say no more than that it is taken.
        raise InvalidInput(
            f"the e-mail address {email} already has a Keel account", "use another address"
        ) from None
    return uuid.UUID(str(row[0]))


@dataclass(frozen=True)
class TenantUser:
    user_id: uuid.UUID
    email: str
    display_name: str | None
    role: str
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


def list_users(tenant_id: str | uuid.UUID) -> list[TenantUser]:
    """The tenant's users (as the tenant: row-level security shows no one else's)."""
    tenant = parse_tenant_id(tenant_id)
    with connect("keel_app", tenant_id=tenant) as conn:
        rows = conn.execute(
            "select user_id, email, display_name, role, is_active, created_at, last_login_at "
            "from app.users where tenant_id = %s order by created_at, email",
            (tenant,),
        ).fetchall()
    return [TenantUser(uuid.UUID(str(r[0])), *r[1:]) for r in rows]


def find_user(tenant_id: str | uuid.UUID, email: str) -> TenantUser | None:
    """The tenant's user with this e-mail address, or None."""
    normalized = email.strip().lower()
    return next((u for u in list_users(tenant_id) if u.email == normalized), None)


def authenticate(email: str, password: str, *, client_address: str | None = None) -> SignedInUser:
    """Check a password as ``keel_auth``, throttled per account and per client address.

    Raises :class:`AuthenticationFailed` with the same words for an unknown e-mail and a wrong password
    (and does the same argon2 work for both), or :class:`SignInLocked` while the account or the address
    is locked after too many failures. Every attempt is recorded (``app.sign_in_attempts``), and a known
    account's failures and locks go to its tenant's audit log. The password hash never reaches any role
    but ``keel_auth``, which can do nothing else.
    """
    settings = get_settings()
    normalized = email.strip().lower()
    failed = AuthenticationFailed("e-mail or password is wrong", "check both and try again")
    with connect("keel_auth", autocommit=True) as conn:
        row = conn.execute("select app.sign_in_lock(%s, %s)", (normalized, client_address)).fetchone()
        if row is not None and row[0] is not None:
            raise _locked(row[0], conn)
        candidate = conn.execute("select * from app.login_candidate(%s)", (normalized,)).fetchone()
        user_id, tenant_id, password_hash = candidate if candidate is not None else (None, None, None)
        try:
            # An unknown e-mail is checked against a dummy hash: the same work, so timing reveals nothing.
            _hasher.verify(password_hash or _dummy_hash(), password)
            ok = candidate is not None
        except (VerificationError, InvalidHashError):
            ok = False
        limits = (
            settings.sign_in_max_failures,
            settings.sign_in_lockout_seconds,
            settings.sign_in_max_lockout_seconds,
        )
        lock = conn.execute(
            "select app.sign_in_record(%s, %s, %s, %s, %s, %s, %s)",
            (normalized, client_address, user_id, ok, *limits),
        ).fetchone()
        if not ok:
            if lock is not None and lock[0] is not None:
                raise _locked(lock[0], conn)
            raise failed
        assert password_hash is not None
        if _hasher.check_needs_rehash(password_hash):
            conn.execute("select app.sign_in_rehash(%s, %s)", (user_id, _hasher.hash(password)))
    return SignedInUser(uuid.UUID(str(user_id)), uuid.UUID(str(tenant_id)), normalized)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(uuid.uuid4().hex)


def _locked(until: datetime, conn: Any) -> SignInLocked:
    now = conn.execute("select now()").fetchone()[0]
    seconds = max(1, math.ceil((until - now).total_seconds()))
    wait = f"{math.ceil(seconds / 60)} minutes" if seconds > 90 else f"{seconds} seconds"
    return SignInLocked("too many failed sign-ins", f"wait {wait} and try again", seconds)


def start_session(user: SignedInUser, *, client_address: str | None = None) -> SignedInUser:
    """Open a console session for a user who just signed in; the returned user carries its id."""
    with connect("keel_auth", autocommit=True) as conn:
        row = conn.execute("select app.session_start(%s, %s)", (user.user_id, client_address)).fetchone()
    if row is None or row[0] is None:
        raise AuthenticationFailed("the user no longer exists", "sign in again")
    return replace(user, session_id=uuid.UUID(str(row[0])))


def resume_session(session_id: uuid.UUID | str) -> SignedInUser | None:
    """The session's user if the session is still valid, else None (and the session is ended).

    Valid: not signed out, seen within ``session_idle_minutes``, opened within ``session_max_hours``,
    and its user and tenant are both still active. Each call counts as the session being seen.
    """
    settings = get_settings()
    try:
        session = uuid.UUID(str(session_id))
    except ValueError:
        return None
    with connect("keel_auth", autocommit=True) as conn:
        row = conn.execute(
            "select * from app.session_resume(%s, %s, %s)",
            (session, settings.session_idle_minutes * 60, settings.session_max_hours * 3600),
        ).fetchone()
    if row is None:
        return None
    return SignedInUser(uuid.UUID(str(row[0])), uuid.UUID(str(row[1])), row[2], session)


def end_session(session_id: uuid.UUID | str, reason: str = "signed_out") -> None:
    with connect("keel_auth", autocommit=True) as conn:
        conn.execute("select app.session_end(%s, %s)", (uuid.UUID(str(session_id)), reason))


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


def replace_data_source_secrets(
    tenant_id: str | uuid.UUID, data_source_id: str | uuid.UUID, secrets: dict[str, str]
) -> None:
    """Store new secrets of a configured source at once (committed on return): a service rotated them
    during a load (OAuth refresh tokens). Raises :class:`KeelError` when the source is gone."""
    tenant = parse_tenant_id(tenant_id)
    token = encrypt_secrets(secrets)
    hint = {key: mask(str(value)) for key, value in secrets.items()}
    with connect("keel_app", tenant_id=tenant) as conn:
        row = conn.execute(
            "update app.data_sources set secrets_encrypted = %s, secrets_hint = %s, updated_at = now() "
            "where data_source_id = %s and tenant_id = %s returning source_type, name",
            (token, Jsonb(hint), uuid.UUID(str(data_source_id)), tenant),
        ).fetchone()
        if row is None:
            raise KeelError(
                "the connection whose credentials were renewed no longer exists",
                "connect the service again if it was removed by mistake",
            )
        record_event(
            conn, tenant, "data_source.secrets_renewed", detail={"source_type": row[0], "name": row[1]}
        )


@dataclass(frozen=True)
class DataSource:
    """A tenant's configured source as the console and the CLI may show it: never the secrets."""

    data_source_id: uuid.UUID
    source_type: str
    name: str
    config: dict[str, Any]
    secrets_hint: dict[str, str]
    is_enabled: bool
    last_loaded_at: datetime | None


def list_data_sources(tenant_id: str | uuid.UUID) -> list[DataSource]:
    """The tenant's configured sources, with masked secret hints only."""
    tenant = parse_tenant_id(tenant_id)
    with connect("keel_app", tenant_id=tenant) as conn:
        rows = conn.execute(
            "select data_source_id, source_type, name, config, secrets_hint, is_enabled, last_loaded_at "
            "from app.data_sources where tenant_id = %s order by source_type, name",
            (tenant,),
        ).fetchall()
    return [DataSource(uuid.UUID(str(r[0])), *r[1:]) for r in rows]


def remove_data_source(tenant_id: str | uuid.UUID, source_type: str, name: str) -> bool:
    """Forget a configured source and its stored secrets; False if the tenant has no such source.

    What it loaded stays in the warehouse (its loads keep their rows in ``app.source_loads``).
    """
    tenant = parse_tenant_id(tenant_id)
    with connect("keel_app", tenant_id=tenant) as conn:
        row = conn.execute(
            "delete from app.data_sources where tenant_id = %s and source_type = %s and name = %s "
            "returning data_source_id",
            (tenant, source_type, name),
        ).fetchone()
        if row is not None:
            record_event(
                conn, tenant, "data_source.removed", detail={"source_type": source_type, "name": name}
            )
    return row is not None


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
