"""``metrics_not_behind_sources``: the daily metrics have caught up with every tenant's newest loaded data.

The time-window freshness policies of the marts say how old a table may get; this check says whether it
is behind its inputs, per tenant: a tenant whose source brought new rows (``app.source_loads``, rows > 0)
more than ``BEHIND_GRACE`` after the latest build of ``business_metrics_daily`` has figures that miss
data Keel already holds. It fails naming those tenants (``tenant_ids``), so the ``keel_alerts`` sensor
tells their owners through ``coach.alerts``. A quiet source (loads with nothing new) is never behind.
"""

from datetime import UTC, datetime, timedelta

import dagster as dg

from keel import warehouse

METRICS = dg.AssetKey("business_metrics_daily")
#: Time the automation has to rebuild the models after new data before they count as behind.
BEHIND_GRACE = timedelta(hours=2)


def tenants_behind(built_at: datetime | None, now: datetime) -> dict[str, tuple[str, datetime]]:
    """Tenant id -> (slug, newest load with rows) for tenants whose new data the build has not seen."""
    with warehouse.connect("keel_loader") as conn:
        rows = conn.execute(
            """
            select l.tenant_id::text, t.slug, max(l.finished_at)
            from app.source_loads l join app.tenants t using (tenant_id)
            where l.rows > 0 and l.error is null and t.is_active
            group by 1, 2
            """
        ).fetchall()
    return {
        tenant: (slug, newest)
        for tenant, slug, newest in rows
        if now - newest > BEHIND_GRACE and (built_at is None or newest > built_at)
    }


@dg.asset_check(
    asset=METRICS,
    name="metrics_not_behind_sources",
    blocking=False,
    description="The daily metrics were rebuilt after every tenant's newest loaded data (within two hours "
    "of it); the tenants whose figures miss data Keel holds are named and alerted.",
)
def metrics_not_behind_sources(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    event = context.instance.get_latest_materialization_event(METRICS)
    built_at = datetime.fromtimestamp(event.timestamp, UTC) if event else None
    behind = tenants_behind(built_at, datetime.now(UTC))
    return dg.AssetCheckResult(
        passed=not behind,
        severity=dg.AssetCheckSeverity.WARN,
        description=None
        if not behind
        else "the figures have not been rebuilt since new data arrived; they miss the latest days",
        metadata={
            "built_at": built_at.isoformat() if built_at else "never",
            "behind": dg.MetadataValue.json({slug: newest.isoformat() for slug, newest in behind.values()}),
            "tenant_ids": dg.MetadataValue.json(sorted(behind)),
        },
    )
