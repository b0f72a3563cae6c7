"""Sending the inbox to the tenant's channels: quiet hours, retries with back-off, every attempt recorded.

For every unacknowledged alert and every enabled channel added before the alert was raised:
- sent once: done;
- quiet hours now (the tenant's local time, ``app.alert_preferences``): held (recorded once), sent
  at the first run after they end;
- failed: retried after ``alert_retry_seconds``, doubled after every failure, up to
  ``alert_max_attempts`` attempts; each attempt is a row of ``app.alert_deliveries`` with the error, so
  nothing is lost silently, and the inbox shows a channel that gave up.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import apprise
import psycopg

from coach.alerts.channels import ChannelTarget, channel_targets
from coach.alerts.errors import AlertError
from keel.settings import KeelSettings, get_settings
from keel.warehouse import connect


@dataclass(frozen=True)
class QuietHours:
    start: dt.time
    end: dt.time
    timezone: str

    def contains(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.timezone)).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # overnight, e.g. 21:00-07:00


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    held: int = 0
    waiting: int = 0
    gave_up: int = 0
    errors: list[str] = field(default_factory=list)


def send(url: str, title: str, body: str) -> str | None:
    """Send one message through apprise; None when it went out, else what went wrong (secrets left out)."""
    notifier = apprise.Apprise()
    if not notifier.add(url):
        return "the channel address is not valid any more"
    # Apprise's debug lines name the service URLs (tokens included): captured here, never passed on to
    # the process's log handlers.
    apprise_log = logging.getLogger("apprise")
    propagate, apprise_log.propagate = apprise_log.propagate, False
    try:
        with apprise.LogCapture(level=logging.DEBUG, fmt="%(levelname)s|%(message)s") as captured:
            ok = notifier.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT)
    finally:
        apprise_log.propagate = propagate
    if ok:
        return None
    # Warnings say what failed; of the debug lines only the socket's own error (the others may show URLs).
    lines = []
    for line in captured.getvalue().splitlines():
        level, _, message = line.partition("|")
        if level in ("WARNING", "ERROR") or message.startswith("Socket Exception"):
            lines.append(message.strip())
    return (" / ".join(lines[-3:]) or "the service did not accept the message")[:1000]


def quiet_hours(conn: psycopg.Connection[Any]) -> QuietHours | None:
    row = conn.execute(
        "select p.quiet_hours_start, p.quiet_hours_end, t.timezone from app.tenants t "
        "left join app.alert_preferences p on p.tenant_id = t.tenant_id "
        "where t.tenant_id = (select app.current_tenant_id())"
    ).fetchone()
    if row is None or row[0] is None or row[1] is None:
        return None
    return QuietHours(row[0], row[1], row[2] or "UTC")


def set_preferences(
    tenant_id: uuid.UUID,
    *,
    quiet_start: dt.time | None,
    quiet_end: dt.time | None,
    health_drop_points: float = 5,
    source_freshness_hours: int = 48,
) -> None:
    """Save the tenant's quiet hours (local time; both or neither) and trigger thresholds."""
    if (quiet_start is None) != (quiet_end is None):
        raise AlertError("quiet hours need both a start and an end", "give both times, or neither")
    if health_drop_points <= 0 or source_freshness_hours <= 0:
        raise AlertError(
            "the health-score drop and the freshness window must be above zero", "use positive numbers"
        )
    with connect("keel_app", tenant_id=tenant_id) as conn:
        conn.execute(
            """
            insert into app.alert_preferences
                (tenant_id, quiet_hours_start, quiet_hours_end, health_drop_points, source_freshness_hours)
            values ((select app.current_tenant_id()), %s, %s, %s, %s)
            on conflict (tenant_id) do update set quiet_hours_start = excluded.quiet_hours_start,
                quiet_hours_end = excluded.quiet_hours_end, health_drop_points = excluded.health_drop_points,
                source_freshness_hours = excluded.source_freshness_hours, updated_at = now()
            """,
            (quiet_start, quiet_end, health_drop_points, source_freshness_hours),
        )


def _record(
    conn: psycopg.Connection[Any],
    alert_id: uuid.UUID,
    channel_id: uuid.UUID,
    attempt: int,
    status: str,
    error: str | None,
    now: dt.datetime,
) -> None:
    conn.execute(
        "insert into app.alert_deliveries "
        "(tenant_id, alert_id, channel_id, attempt, status, error, attempted_at) "
        "values ((select app.current_tenant_id()), %s, %s, %s, %s, %s, %s)",
        (alert_id, channel_id, attempt, status, error, now),
    )


def deliver_pending(
    conn: psycopg.Connection[Any], *, now: dt.datetime, settings: KeelSettings | None = None
) -> DeliveryReport:
    """Send what is due on the session tenant's connection (``keel_app`` of that tenant)."""
    settings = settings or get_settings()
    report = DeliveryReport()
    channels = channel_targets(conn)
    if not channels:
        return report
    quiet = quiet_hours(conn)
    is_quiet = quiet is not None and quiet.contains(now)
    alerts = conn.execute(
        "select alert_id, title, what_happened, why_it_matters, what_to_do, link, created_at from app.alerts "
        "where tenant_id = (select app.current_tenant_id()) and acknowledged_at is null "
        "and created_at >= %s order by created_at",
        (min(c.created_at for c in channels),),
    ).fetchall()
    for alert_id, title, what, why, todo, link, created_at in alerts:
        body = (
            f"What happened: {what}\n\nWhy it matters: {why}\n\nWhat to do: {todo}\n\n"
            f"Open in Keel: {settings.console_url.rstrip('/')}{link}"
        )
        for channel in channels:
            if channel.created_at > created_at:
                continue  # a channel added later does not receive the alerts raised before it
            _deliver_one(conn, channel, alert_id, f"Keel: {title}", body, now, is_quiet, settings, report)
    return report


def _deliver_one(
    conn: psycopg.Connection[Any],
    channel: ChannelTarget,
    alert_id: uuid.UUID,
    title: str,
    body: str,
    now: dt.datetime,
    is_quiet: bool,
    settings: KeelSettings,
    report: DeliveryReport,
) -> None:
    rows = conn.execute(
        "select status, attempted_at from app.alert_deliveries where alert_id = %s and channel_id = %s "
        "order by attempted_at",
        (alert_id, channel.channel_id),
    ).fetchall()
    if any(status == "sent" for status, _ in rows):
        return
    failures = [at for status, at in rows if status == "failed"]
    if len(failures) >= settings.alert_max_attempts:
        report.gave_up += 1
        return
    if failures:
        wait = dt.timedelta(seconds=settings.alert_retry_seconds * 2 ** (len(failures) - 1))
        if now < failures[-1] + wait:
            report.waiting += 1
            return
    if is_quiet:
        if not any(status == "held" for status, _ in rows):
            _record(conn, alert_id, channel.channel_id, 0, "held", None, now)
        report.held += 1
        return
    error = send(channel.url, title, body)
    _record(conn, alert_id, channel.channel_id, len(failures) + 1, "failed" if error else "sent", error, now)
    conn.commit()  # an attempt is recorded even if a later one crashes the run
    if error:
        report.failed += 1
        report.errors.append(f"{channel.name}: {error}")
    else:
        report.sent += 1


def send_test(tenant_id: uuid.UUID, channel_id: uuid.UUID) -> str | None:
    """Send a test message to one channel now; None when it went out, else the error in words."""
    with connect("keel_app", tenant_id=tenant_id) as conn:
        targets = channel_targets(conn, channel_id=channel_id)
    if not targets:
        raise AlertError("there is no such channel", "pick one of the channels listed")
    return send(
        targets[0].url,
        "Keel: test message",
        f"This is a test from Keel. Alerts for your business will arrive here on the channel "
        f"'{targets[0].name}'.",
    )


@dataclass(frozen=True)
class Preferences:
    quiet_start: dt.time | None
    quiet_end: dt.time | None
    health_drop_points: float
    source_freshness_hours: int
    timezone: str


def preferences(tenant_id: uuid.UUID) -> Preferences:
    """The tenant's quiet hours and trigger thresholds (the defaults until it saves its own)."""
    with connect("keel_app", tenant_id=tenant_id) as conn:
        row = conn.execute(
            "select p.quiet_hours_start, p.quiet_hours_end, coalesce(p.health_drop_points, 5), "
            "coalesce(p.source_freshness_hours, 48), t.timezone from app.tenants t "
            "left join app.alert_preferences p on p.tenant_id = t.tenant_id "
            "where t.tenant_id = (select app.current_tenant_id())"
        ).fetchone()
    if row is None:
        raise AlertError("your business is no longer in Keel", "sign out and ask whoever runs Keel")
    return Preferences(row[0], row[1], float(row[2]), int(row[3]), row[4] or "UTC")
