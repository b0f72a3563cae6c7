"""Where a tenant's alerts go: apprise URLs, stored encrypted, shown back masked.

One URL scheme covers e-mail (``mailto://`` / ``mailtos://``), Slack (``slack://``), Microsoft Teams
(``msteams://`` / ``workflow://``), generic webhooks (``json://``, ``form://``), Mattermost and about a
hundred more services (https://appriseit.com). The URL carries the channel's secrets (passwords,
tokens), so it is stored as a Fernet token (:mod:`keel.secrets`) and never shown or logged in full.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import apprise
import psycopg

from coach.alerts.errors import InvalidChannel
from keel.secrets import decrypt_secrets, encrypt_secrets
from keel.warehouse import connect


@dataclass(frozen=True)
class Channel:
    """A channel as the console shows it: the URL masked, never the secret parts."""

    channel_id: uuid.UUID
    name: str
    service: str
    url_masked: str
    is_enabled: bool
    created_at: datetime


def _plugin(url: str) -> Any:
    url = url.strip()
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True) if url else None
    if plugin is None:
        scheme = url.split("://", 1)[0] if "://" in url else url[:20]
        raise InvalidChannel(
            f"{scheme!r} is not a notification address Keel can send to",
            "use an apprise URL such as mailtos://user:password@mail.example.com?to=you@example.com, "
            "slack://TokenA/TokenB/TokenC/#channel or json://hooks.example.com/path (see docs/alerts.md)",
        )
    return plugin


def masked_url(url: str) -> str:
    """What may be shown of a channel URL: apprise's privacy form, without options, long path parts cut."""
    private = _plugin(url).url(privacy=True)
    parts = urlsplit(private)
    path = "/".join(
        (f"…{segment[-4:]}" if len(segment) > 8 and "..." not in segment else segment)
        for segment in parts.path.split("/")
    )
    netloc = re.sub(r":[^:@/]+@", ":****@", parts.netloc)
    return urlunsplit((parts.scheme, netloc, path, "", ""))


def add_channel(tenant_id: uuid.UUID, name: str, url: str, *, created_by: str | None = None) -> Channel:
    """Save a channel (refused when apprise does not know the URL); the URL is stored encrypted."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidChannel("a channel needs a name of 1 to 100 characters", "name it, e.g. 'Owner e-mail'")
    plugin = _plugin(url)
    token = encrypt_secrets({"url": url.strip()})
    with connect("keel_app", tenant_id=tenant_id) as conn:
        try:
            row = conn.execute(
                "insert into app.alert_channels "
                "(tenant_id, name, service, url_encrypted, url_masked, created_by) "
                "values ((select app.current_tenant_id()), %s, %s, %s, %s, %s) "
                "returning channel_id, name, service, url_masked, is_enabled, created_at",
                (name, str(plugin.service_name), token, masked_url(url), created_by),
            ).fetchone()
        except psycopg.errors.UniqueViolation:
            raise InvalidChannel(
                f"there is already a channel named {name!r}", "pick another name or remove that channel"
            ) from None
    assert row is not None
    return Channel(uuid.UUID(str(row[0])), *row[1:])


def list_channels(tenant_id: uuid.UUID) -> list[Channel]:
    with connect("keel_app", tenant_id=tenant_id) as conn:
        rows = conn.execute(
            "select channel_id, name, service, url_masked, is_enabled, created_at from app.alert_channels "
            "where tenant_id = (select app.current_tenant_id()) order by created_at, name"
        ).fetchall()
    return [Channel(uuid.UUID(str(r[0])), *r[1:]) for r in rows]


def set_channel_enabled(tenant_id: uuid.UUID, channel_id: uuid.UUID, enabled: bool) -> None:
    with connect("keel_app", tenant_id=tenant_id) as conn:
        conn.execute(
            "update app.alert_channels set is_enabled = %s where channel_id = %s", (enabled, channel_id)
        )


def remove_channel(tenant_id: uuid.UUID, channel_id: uuid.UUID) -> None:
    with connect("keel_app", tenant_id=tenant_id) as conn:
        conn.execute("delete from app.alert_channels where channel_id = %s", (channel_id,))


@dataclass(frozen=True)
class ChannelTarget:
    """A channel with its URL decrypted: only for sending, never shown."""

    channel_id: uuid.UUID
    name: str
    url: str
    created_at: datetime


def channel_targets(
    conn: psycopg.Connection[Any], *, channel_id: uuid.UUID | None = None
) -> list[ChannelTarget]:
    """The session tenant's enabled channels (or one channel, enabled or not) with their URLs decrypted."""
    query = "select channel_id, name, url_encrypted, created_at from app.alert_channels where "
    if channel_id is None:
        rows = conn.execute(query + "is_enabled order by created_at").fetchall()
    else:
        rows = conn.execute(query + "channel_id = %s", (channel_id,)).fetchall()
    return [ChannelTarget(uuid.UUID(str(r[0])), r[1], str(decrypt_secrets(r[2])["url"]), r[3]) for r in rows]
