"""Freshness of every tenant's sources: one asset check per source, run every 15 minutes.

A source is fresh when its latest successful load in ``app.source_loads`` is no older than its refresh
interval and half of it again (:mod:`ingestion.refresh`; a refresh that found nothing new counts as a
load, so a quiet night is not staleness). The check fails (severity warning: downstream assets still
build) naming the overdue tenants in its metadata (``tenant_ids``), and the ``keel_alerts`` sensor turns
that into an alert for those tenants' owners through ``coach.alerts``, the one alerting path.
"""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from ingestion.demo.world import SPECS
from ingestion.refresh import source_schedules
from orchestration.defs.ingestion.assets import TENANT_SOURCES

CHECK_NAME = "loaded_within_refresh_interval"


def _describe_interval(seconds: float) -> str:
    hours = seconds / 3600
    if hours < 1:
        return f"every {round(seconds / 60)} minutes"
    if hours == 1:
        return "every hour"
    if hours < 24:
        return f"every {hours:g} hours"
    return "every day" if hours == 24 else f"every {hours / 24:g} days"


def source_freshness(source: str, now: datetime | None = None) -> dg.AssetCheckResult:
    """Whether every active tenant's ``source`` loaded within its interval; overdue tenants named."""
    now = now or datetime.now(UTC)
    schedules = source_schedules([source])
    overdue = [s for s in schedules if s.is_overdue(now)]
    label = source.replace("_", " ").title()
    intervals = sorted({s.interval.total_seconds() for s in overdue})
    expected = " or ".join(_describe_interval(i) for i in intervals)
    return dg.AssetCheckResult(
        passed=not overdue,
        severity=dg.AssetCheckSeverity.WARN,
        description=None
        if not overdue
        else f"{label} data has not arrived as expected ({expected}); the latest load is older than that",
        metadata={
            "tenants_checked": len(schedules),
            "overdue": dg.MetadataValue.json(
                {s.slug: s.last_success.isoformat() if s.last_success else "never loaded" for s in overdue}
            ),
            "tenant_ids": dg.MetadataValue.json(sorted(str(s.tenant_id) for s in overdue)),
        },
    )


def make_freshness_check(source: str) -> dg.AssetChecksDefinition:
    first = next(spec for spec in SPECS.values() if spec.source == source)
    key = dg.AssetKey(f"dlt_{source}_{first.name}")

    @dg.asset_check(
        asset=key,
        name=CHECK_NAME,
        blocking=False,
        description=f"Every tenant's {source} loaded within its refresh interval and half of it again "
        "(app.source_loads; a refresh with nothing new counts). Overdue tenants are named and alerted.",
    )
    def loaded_within_refresh_interval() -> dg.AssetCheckResult:
        return source_freshness(source)

    return loaded_within_refresh_interval


source_freshness_checks = [make_freshness_check(source) for source in TENANT_SOURCES]
