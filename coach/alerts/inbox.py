"""The in-app inbox (``app.alerts``): one alert per cause until the cause changes, unread first.

A cause (``cause_key``) raises a new alert when its state (``fingerprint``) differs from its latest
alert's, or when that alert was resolved: a trigger that stops firing resolves its cause, so the same
state coming back later is news again. Everything runs as the tenant's ``keel_app`` login (RLS).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from coach.alerts.model import Alert, Kind
from keel.warehouse import connect


def record_alerts(
    conn: psycopg.Connection[Any],
    alerts: Sequence[Alert],
    *,
    evaluated: Iterable[Kind],
    now: datetime,
) -> list[uuid.UUID]:
    """Store the alerts that are news; resolve the causes of ``evaluated`` kinds that did not fire.

    Returns the ids of the new alerts. ``evaluated``: the kinds whose triggers ran this time (a kind
    that was not evaluated, for example data checks outside the sensor, keeps its open alerts).
    """
    fired = {alert.cause_key for alert in alerts}
    kinds = list(evaluated)
    open_causes = conn.execute(
        "select distinct on (cause_key) cause_key, alert_id, resolved_at from app.alerts "
        "where tenant_id = (select app.current_tenant_id()) and kind = any(%s) "
        "order by cause_key, created_at desc",
        (kinds,),
    ).fetchall()
    for cause_key, alert_id, resolved_at in open_causes:
        if cause_key not in fired and resolved_at is None:
            conn.execute("update app.alerts set resolved_at = %s where alert_id = %s", (now, alert_id))
    new: list[uuid.UUID] = []
    for alert in alerts:
        latest = conn.execute(
            "select fingerprint, resolved_at from app.alerts "
            "where tenant_id = (select app.current_tenant_id()) and cause_key = %s "
            "order by created_at desc limit 1",
            (alert.cause_key,),
        ).fetchone()
        if latest is not None and latest[0] == alert.fingerprint and latest[1] is None:
            continue  # the same cause in the same state: already in the inbox
        # A new state supersedes the cause's earlier alert.
        conn.execute(
            "update app.alerts set resolved_at = %s where tenant_id = (select app.current_tenant_id()) "
            "and cause_key = %s and resolved_at is null",
            (now, alert.cause_key),
        )
        row = conn.execute(
            """
            insert into app.alerts (tenant_id, cause_key, fingerprint, kind, severity, title, what_happened,
                                    why_it_matters, what_to_do, link, detail)
            values ((select app.current_tenant_id()), %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            returning alert_id
            """,
            (
                alert.cause_key,
                alert.fingerprint,
                alert.kind,
                alert.severity,
                alert.title,
                alert.what_happened,
                alert.why_it_matters,
                alert.what_to_do,
                alert.link,
                Jsonb(alert.detail),
            ),
        ).fetchone()
        assert row is not None
        new.append(uuid.UUID(str(row[0])))
    return new


@dataclass(frozen=True)
class InboxAlert:
    alert_id: uuid.UUID
    kind: str
    severity: str
    title: str
    what_happened: str
    why_it_matters: str
    what_to_do: str
    link: str
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    deliveries: str
    """Where it was sent, in words ("sent to Owner e-mail; Slack failed 5 times: ...")."""

    @property
    def is_unread(self) -> bool:
        return self.acknowledged_at is None


def list_alerts(tenant_id: uuid.UUID, *, limit: int = 200) -> list[InboxAlert]:
    """The tenant's alerts, unacknowledged first, newest first within each."""
    with connect("keel_app", tenant_id=tenant_id) as conn:
        rows = conn.execute(
            """
            select a.alert_id, a.kind, a.severity, a.title, a.what_happened, a.why_it_matters, a.what_to_do,
                   a.link, a.created_at, a.acknowledged_at, a.acknowledged_by, a.resolved_at,
                   coalesce((
                       select string_agg(summary, '; ' order by name) from (
                           select c.name,
                           case when bool_or(d.status = 'sent') then 'sent to ' || c.name
                                when count(*) filter (where d.status = 'failed') > 0 then
                                     c.name || ' failed ' || count(*) filter (where d.status = 'failed')
                                     || ' time(s): ' || (array_agg(d.error order by d.attempted_at desc)
                                                         filter (where d.status = 'failed'))[1]
                                else c.name || ' held for quiet hours' end as summary
                           from app.alert_deliveries d join app.alert_channels c using (channel_id)
                           where d.alert_id = a.alert_id group by c.name
                       ) per_channel
                   ), 'not sent to any channel') as deliveries
            from app.alerts a
            where a.tenant_id = (select app.current_tenant_id())
            order by a.acknowledged_at is not null, a.created_at desc
            limit %s
            """,
            (limit,),
        ).fetchall()
    return [InboxAlert(uuid.UUID(str(r[0])), *r[1:]) for r in rows]


def unread_count(tenant_id: uuid.UUID) -> int:
    with connect("keel_app", tenant_id=tenant_id) as conn:
        row = conn.execute(
            "select count(*) from app.alerts where tenant_id = (select app.current_tenant_id()) "
            "and acknowledged_at is null"
        ).fetchone()
    return int(row[0]) if row else 0


def acknowledge(tenant_id: uuid.UUID, alert_id: uuid.UUID, *, by: str | None = None) -> bool:
    """Mark an alert as read; False when the tenant has no such unread alert."""
    with connect("keel_app", tenant_id=tenant_id) as conn:
        cur = conn.execute(
            "update app.alerts set acknowledged_at = now(), acknowledged_by = %s "
            "where alert_id = %s and acknowledged_at is null",
            (by, alert_id),
        )
        return cur.rowcount == 1
