"""great-expectations suites as Dagster asset checks, per source, on the existing asset keys.

One multi-asset check per source runs the source's suite (``ingestion.quality``) for every tenant and
stores each result in ``ml.quality_results`` (failing rows in ``ml.quality_failures``). Each checked asset
gets two checks: ``expectations_errors`` (severity ERROR) and ``expectations_warnings`` (severity WARN).
Neither blocks the build over every tenant: one tenant's bad data must not stop every tenant's models (a
16x demo's 224 tenants all waited on one tenant's error). An error holds that tenant's own models instead
(``orchestration.defs.ml.tables.partition_tenant``), until a check passes again. Their metadata counts the
tenants and failures and carries the owners' sentences; the rows are in the warehouse.
"""

from collections.abc import Iterator

import dagster as dg

from ingestion.demo.world import SPECS
from ingestion.quality.catalog import CHECKED_MARTS, CHECKED_RESOURCES, MARTS
from keel import telemetry

ERRORS = "expectations_errors"
WARNINGS = "expectations_warnings"


def _asset_keys(source: str) -> list[dg.AssetKey]:
    if source == MARTS:
        return [dg.AssetKey(name) for name in CHECKED_MARTS]
    loaded = {f"{spec.source}.{spec.name}" for spec in SPECS.values()}
    return [dg.AssetKey(f"dlt_{source}_{r}") for r in CHECKED_RESOURCES[source] if f"{source}.{r}" in loaded]


def _tenants() -> list[str]:
    """Active tenants, but not benchmark peers (the demo's lighter copies of its businesses, which only feed
    the peer benchmarks: nobody acts on their findings, and they were four in five of the demo's tenants)."""
    from keel import warehouse

    with warehouse.connect("keel_transformer") as conn:
        rows = conn.execute(
            "select tenant_id::text from app.tenants where is_active and not is_benchmark_peer order by slug"
        ).fetchall()
    return [row[0] for row in rows]


def make_quality_check(source: str) -> dg.AssetChecksDefinition | None:
    keys = _asset_keys(source)
    if not keys:
        return None
    specs = [
        spec
        for key in keys
        for spec in (
            dg.AssetCheckSpec(
                ERRORS,
                asset=key,
                blocking=False,
                description="great-expectations, severity error (per tenant): holds that tenant's models.",
            ),
            dg.AssetCheckSpec(
                WARNINGS,
                asset=key,
                blocking=False,
                description="great-expectations, severity warning (per tenant): reported, never blocks.",
            ),
        )
    ]

    @dg.multi_asset_check(specs=specs, name=f"quality_{source}", can_subset=True)
    def quality_checks(context: dg.AssetCheckExecutionContext) -> Iterator[dg.AssetCheckResult]:
        from ingestion.quality.catalog import suite_for
        from ingestion.quality.run import QualityResult, read_frames, run_suite, tenant_facts
        from ingestion.quality.store import store_results

        suite = suite_for(source)
        results: list[QualityResult] = []
        tenants = _tenants()
        for tenant_id in tenants:
            with telemetry.span("keel.quality", source=source, tenant_id=tenant_id) as current:
                found = run_suite(suite, tenant_id, read_frames(suite, tenant_id), tenant_facts(tenant_id))
                store_results(tenant_id, context.run.run_id, found)
                telemetry.set_attributes(current, failed=sum(1 for r in found if not r.success))
            results.extend(found)
        for key in keys:
            for name, severity, level in (
                (ERRORS, dg.AssetCheckSeverity.ERROR, "error"),
                (WARNINGS, dg.AssetCheckSeverity.WARN, "warn"),
            ):
                if dg.AssetCheckKey(key, name) not in context.selected_asset_check_keys:
                    continue
                mine = [r for r in results if r.asset_key == key.to_user_string() and r.severity == level]
                failed = [r for r in mine if not r.success]
                yield dg.AssetCheckResult(
                    asset_key=key,
                    check_name=name,
                    passed=not failed,
                    severity=severity,
                    metadata={
                        "tenants_checked": len(tenants),
                        "expectations_run": len(mine),
                        "expectations_failed": len(failed),
                        "failing_rows": sum(r.unexpected_count or 0 for r in failed),
                        "what_owners_read": dg.MetadataValue.json(
                            sorted({r.owner_message for r in failed if r.owner_message})
                        ),
                    },
                    description="; ".join(sorted({r.owner_message for r in failed if r.owner_message}))[:1000]
                    or None,
                )

    return quality_checks


quality_checks = [
    check for check in (make_quality_check(s) for s in (*CHECKED_RESOURCES, MARTS)) if check is not None
]
