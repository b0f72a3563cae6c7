"""Personal access tokens of the HTTP API: created, listed and revoked per user, checked per request.

A token is ``keel_pat_`` and 256 random bits (``secrets.token_urlsafe(32)``). It is shown once, when it is
created; ``app.api_tokens`` (migration 0015) keeps its SHA-256, its first characters (to recognise it in
a list), its scopes (``read``, ``write``) and its expiry. A fast hash is the right one here: argon2 is
slow on purpose so that a *guessable* password costs an attacker time, but a 256-bit random token cannot
be guessed, and an unsalted digest can be found by its unique index in one lookup (a salted hash would
have to be tried against every token).

Creating, listing and revoking run as the tenant's own ``keel_app`` login (row-level security keeps them
inside the tenant). Checking a presented token runs as ``keel_auth`` through ``app.api_token_user``: the
API does not know the tenant before the token names it.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from keel.errors import AuthenticationFailed, InvalidInput
from keel.settings import get_settings
from keel.tenancy import find_user, record_event
from keel.warehouse import connect, parse_tenant_id

#: How every Keel access token starts (secret scanners and the API recognise them by it).
PAT_MARK = "keel_pat_"
#: Characters of a token kept to recognise it by (the prefix and 7 random characters: 42 bits).
SHOWN_CHARACTERS = 16
SCOPES = ("read", "write")


@dataclass(frozen=True)
class ApiToken:
    """A token as its owner may see it afterwards: never the token itself."""

    token_id: uuid.UUID
    user_id: uuid.UUID
    email: str
    name: str
    token_prefix: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > datetime.now(UTC)


@dataclass(frozen=True)
class TokenUser:
    """Who a request acts for: the user, their tenant and what the credential allows."""

    user_id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    scopes: frozenset[str]
    #: The personal access token's id; ``None`` for an identity provider's bearer token.
    token_id: uuid.UUID | None = None


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(s.strip().lower() for s in scopes if s.strip()))
    unknown = [s for s in chosen if s not in SCOPES]
    if not chosen or unknown:
        raise InvalidInput(
            f"token scopes {', '.join(unknown) or '(none)'} are not valid",
            "give read, write or both (write lets the token change goals, alerts and data sources)",
        )
    return chosen


def create_token(
    tenant_id: uuid.UUID | str,
    email: str,
    name: str,
    scopes: Iterable[str] = ("read",),
    *,
    days: int | None = None,
    actor: str | None = None,
) -> tuple[ApiToken, str]:
    """A new token for the tenant's user ``email``; returns it with the token text (shown only now)."""
    settings = get_settings()
    tenant = parse_tenant_id(tenant_id)
    chosen = check_scopes(scopes)
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput(
            "the token's name is empty or too long", "name it for what uses it, in 1 to 100 characters"
        )
    days = settings.api_token_default_days if days is None else days
    if not 1 <= days <= settings.api_token_max_days:
        raise InvalidInput(
            f"a token cannot last {days} days", f"choose 1 to {settings.api_token_max_days} days"
        )
    user = find_user(tenant, email)
    if user is None or not user.is_active:
        raise InvalidInput(
            f"this business has no active user {email.strip().lower()!r}", "add the user first"
        )
    token = PAT_MARK + secrets.token_urlsafe(32)
    with connect("keel_app", tenant_id=tenant) as conn:
        row = conn.execute(
            "insert into app.api_tokens (tenant_id, user_id, name, token_prefix, token_sha256, scopes, "
            "created_by, expires_at) values (%s, %s, %s, %s, %s, %s, %s, now() + make_interval(days => %s)) "
            "returning token_id, created_at, expires_at",
            (
                tenant,
                user.user_id,
                name,
                token[:SHOWN_CHARACTERS],
                token_digest(token),
                list(chosen),
                actor or user.email,
                days,
            ),
        ).fetchone()
        assert row is not None
        record_event(
            conn,
            tenant,
            "api_token.created",
            actor=actor or user.email,
            detail={"token_id": str(row[0]), "user": user.email, "scopes": list(chosen), "days": days},
        )
    created = ApiToken(
        uuid.UUID(str(row[0])),
        user.user_id,
        user.email,
        name,
        token[:SHOWN_CHARACTERS],
        chosen,
        row[1],
        row[2],
        None,
        None,
    )
    return created, token


def list_tokens(tenant_id: uuid.UUID | str, *, email: str | None = None) -> list[ApiToken]:
    """The tenant's tokens (of one user with ``email``), newest first; revoked and expired ones too."""
    tenant = parse_tenant_id(tenant_id)
    with connect("keel_app", tenant_id=tenant) as conn:
        rows = conn.execute(
            "select k.token_id, k.user_id, u.email, k.name, k.token_prefix, k.scopes, k.created_at, "
            "k.expires_at, k.last_used_at, k.revoked_at from app.api_tokens k "
            "join app.users u on u.user_id = k.user_id "
            "where k.tenant_id = (select app.current_tenant_id()) and (%s::text is null or u.email = %s) "
            "order by k.created_at desc, k.token_id",
            (email and email.strip().lower(), email and email.strip().lower()),
        ).fetchall()
    return [
        ApiToken(uuid.UUID(str(r[0])), uuid.UUID(str(r[1])), r[2], r[3], r[4], tuple(r[5]), *r[6:])
        for r in rows
    ]


def revoke_token(tenant_id: uuid.UUID | str, token_id: uuid.UUID | str, *, actor: str | None = None) -> bool:
    """Revoke one of the tenant's tokens at once; False when the tenant has no such unrevoked token."""
    tenant = parse_tenant_id(tenant_id)
    try:
        token = uuid.UUID(str(token_id).strip())
    except ValueError:
        raise InvalidInput(f"token id {str(token_id)[:60]!r} is not valid", "see `keel token list`") from None
    with connect("keel_app", tenant_id=tenant) as conn:
        row = conn.execute(
            "update app.api_tokens set revoked_at = now(), revoked_by = %s "
            "where token_id = %s and tenant_id = (select app.current_tenant_id()) and revoked_at is null "
            "returning token_id",
            (actor, token),
        ).fetchone()
        if row is not None:
            record_event(conn, tenant, "api_token.revoked", actor=actor, detail={"token_id": str(token)})
    return row is not None


def token_user(token: str) -> TokenUser:
    """The user a presented token acts for; :class:`AuthenticationFailed` saying why it is refused."""
    if not token.startswith(PAT_MARK) or len(token) > 200:
        raise AuthenticationFailed("this is not a Keel access token", "create one with `keel token create`")
    with connect("keel_auth", autocommit=True) as conn:
        row = conn.execute("select * from app.api_token_user(%s)", (token_digest(token),)).fetchone()
    if row is None:
        raise AuthenticationFailed(
            "the access token is not known", "create a new one with `keel token create`"
        )
    token_id, user_id, tenant, email, scopes, expires_at, revoked_at = row
    if revoked_at is not None:
        raise AuthenticationFailed("the access token was revoked", "create a new one")
    if expires_at <= datetime.now(UTC):
        raise AuthenticationFailed(
            f"the access token expired on {expires_at:%d %b %Y}", "create a new one with `keel token create`"
        )
    return TokenUser(
        uuid.UUID(str(user_id)), uuid.UUID(str(tenant)), email, frozenset(scopes), uuid.UUID(str(token_id))
    )


def identity_user(email: str, scopes: Iterable[str]) -> TokenUser:
    """The Keel user an identity provider vouched for (by e-mail address), with the scopes it granted."""
    with connect("keel_auth", autocommit=True) as conn:
        row = conn.execute("select * from app.api_identity_user(%s)", (email,)).fetchone()
    if row is None:
        raise AuthenticationFailed(
            "the identity provider's user has no active Keel account", "ask an owner to add the user"
        )
    return TokenUser(uuid.UUID(str(row[0])), uuid.UUID(str(row[1])), row[2], frozenset(scopes) & set(SCOPES))
