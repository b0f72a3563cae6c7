"""How often each tenant's sources refresh, which are due now, and which are overdue (not fresh).

A source refreshes on an interval: by default hourly for sales and payments (Shopify, Stripe and the
other services whose figures move during the day) and daily for accounting, ERP and CRM (QuickBooks,
ERPNext, Salesforce) and everything else. A connected account sets its own with ``refresh_every`` in its
``app.data_sources.config`` (``"30m"``, ``"2h"``, ``"1d"`` or seconds as a number); demo businesses use the
defaults. The record of every load is ``app.source_loads``:

- due: the latest load, failed or not, finished at least one interval ago (or there is none), so a
  failing source is retried once per interval, not on every check; a source whose service refused the
  stored credentials ("needs reconnecting") is not retried with them at all, and is due as soon as the
  owner connects it again (its ``app.data_sources`` row is updated with the new credentials);
- overdue: the latest successful load is older than the interval plus half of it (one missed refresh
  and some slack), the line the freshness checks draw.

No Dagster here: ``orchestration/defs/ingestion`` turns due sources into runs and overdue ones into
failed asset checks, which the alerts sensor tells the owners about.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ingestion.demo.profiles import demo_profile
from keel import warehouse

HOURLY = timedelta(hours=1)
DAILY = timedelta(days=1)
#: Sales and payments move during the day; books, ERPs and CRMs are read once a day.
DEFAULT_REFRESH: Mapping[str, timedelta] = {
    "shopify": HOURLY,
    "stripe": HOURLY,
    "square": HOURLY,
    "quickbooks": DAILY,
    "erpnext": DAILY,
    "salesforce": DAILY,
}
FALLBACK_REFRESH = DAILY
#: Shortest interval a configuration may ask for (a service's rate limits and the warehouse come first).
MIN_REFRESH = timedelta(minutes=5)
#: Overdue after the interval and this share of it again.
FRESHNESS_SLACK = 0.5

_INTERVAL = re.compile(r"^\s*(\d+)\s*(m|min|minutes?|h|hours?|d|days?)\s*$", re.IGNORECASE)


class RefreshConfigError(ValueError):
    """A ``refresh_every`` that is not an interval Keel understands."""


def parse_interval(value: Any, where: str = "refresh_every") -> timedelta:
    """``"30m"``, ``"2h"``, ``"1d"`` or a number of seconds, as a timedelta of at least five minutes."""
    if isinstance(value, bool):
        raise RefreshConfigError(f"{where} must be an interval such as 30m, 2h or 1d, got {value!r}")
    if isinstance(value, int | float):
        interval = timedelta(seconds=float(value))
    elif isinstance(value, str) and (match := _INTERVAL.match(value)):
        amount, unit = int(match.group(1)), match.group(2)[0].lower()
        units = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
        interval = amount * units[unit]
    else:
        raise RefreshConfigError(f"{where} must be an interval such as 30m, 2h or 1d, got {value!r}")
    if interval < MIN_REFRESH:
        raise RefreshConfigError(f"{where} is {value!r}: the shortest refresh interval is 5 minutes")
    return interval


def default_interval(source: str) -> timedelta:
    return DEFAULT_REFRESH.get(source, FALLBACK_REFRESH)


@dataclass(frozen=True)
class SourceSchedule:
    """One source of one tenant: its interval and its latest loads."""

    tenant_id: uuid.UUID
    slug: str
    source: str
    interval: timedelta
    last_attempt: datetime | None  # latest load, failed or not
    last_success: datetime | None  # latest load without an error
    config_error: str | None = None  # a refresh_every that could not be read (the default applies)
    needs_reconnect: bool = False  # the latest load's credentials were refused by the service
    reconnected_at: datetime | None = None  # when the account's credentials were last saved

    def is_due(self, now: datetime) -> bool:
        if self.needs_reconnect and self.last_attempt is not None:
            # the refused credentials would be refused again: wait for the owner to connect anew
            return self.reconnected_at is not None and self.reconnected_at > self.last_attempt
        return self.last_attempt is None or now - self.last_attempt >= self.interval

    def is_overdue(self, now: datetime) -> bool:
        limit = self.interval * (1 + FRESHNESS_SLACK)
        return self.last_success is None or now - self.last_success > limit


def source_schedules(sources: Iterable[str] | None = None) -> list[SourceSchedule]:
    """Every active tenant's sources (demo sources of demo businesses, enabled connected accounts).

    ``sources``: only these services. Read as ``keel_loader``, the operator's view of every tenant.
    """
    wanted = set(sources) if sources is not None else None
    with warehouse.connect("keel_loader") as conn:
        tenants = conn.execute("select tenant_id, slug, is_demo from app.tenants where is_active").fetchall()
        configured = conn.execute(
            "select tenant_id, source_type, config -> 'refresh_every', updated_at from app.data_sources "
            "where is_enabled"
        ).fetchall()
        loads = conn.execute(
            """
            select tenant_id, source, max(finished_at), max(finished_at) filter (where error is null),
                   bool_or(needs_reconnect) filter (where latest)
            from (
                select *, finished_at = max(finished_at) over (partition by tenant_id, source) as latest
                from app.source_loads
            ) loads
            group by tenant_id, source
            """
        ).fetchall()
    last = {(str(r[0]), r[1]): (r[2], r[3], bool(r[4])) for r in loads}
    saved: dict[tuple[str, str], datetime] = {}
    for tenant_id, source, _every, updated_at in configured:
        key = (str(tenant_id), source)
        saved[key] = max(updated_at, saved.get(key, updated_at))
    found: dict[tuple[str, str], SourceSchedule] = {}
    slugs = {str(t[0]): (t[1], bool(t[2])) for t in tenants}

    def add(tenant_id: str, source: str, interval: timedelta, error: str | None = None) -> None:
        if wanted is not None and source not in wanted:
            return
        key = (tenant_id, source)
        if key in found and found[key].interval <= interval:
            return  # two accounts of one service: the shorter interval wins
        attempt, success, refused = last.get(key, (None, None, False))
        found[key] = SourceSchedule(
            uuid.UUID(tenant_id),
            slugs[tenant_id][0],
            source,
            interval,
            attempt,
            success,
            error,
            needs_reconnect=refused,
            reconnected_at=saved.get(key),
        )

    for tenant_id, (slug, is_demo) in slugs.items():
        profile = demo_profile(slug) if is_demo else None
        if profile is not None:
            for source in profile.sources:
                add(tenant_id, source, default_interval(source))
    for tenant_id, source, every, _updated in configured:
        tenant = str(tenant_id)
        if tenant not in slugs:
            continue  # an inactive tenant
        if every is None:
            add(tenant, source, default_interval(source))
            continue
        try:
            add(tenant, source, parse_interval(every, f"refresh_every of {slugs[tenant][0]}'s {source}"))
        except RefreshConfigError as error:
            add(tenant, source, default_interval(source), str(error))
    return sorted(found.values(), key=lambda s: (s.slug, s.source))


def sources_by_tenant(schedules: Iterable[SourceSchedule]) -> dict[str, list[str]]:
    """Tenant slug -> the sources of its schedules (tenants without one are left out)."""
    sources: dict[str, list[str]] = {}
    for schedule in schedules:
        sources.setdefault(schedule.slug, []).append(schedule.source)
    return sources


def due_by_tenant(schedules: Iterable[SourceSchedule], now: datetime) -> dict[str, list[str]]:
    """Tenant slug -> its sources due now (tenants with none due are left out)."""
    return sources_by_tenant(s for s in schedules if s.is_due(now))
