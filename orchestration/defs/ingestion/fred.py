"""FRED's public series as two assets, ``dlt_fred_observations`` and ``dlt_fred_series`` (raw_fred.*).

Public reference data, shared by every tenant: not downstream of ``app_tenants``. One step loads both
tables (:func:`ingestion.fred.load.load_fred`); a series FRED refuses is reported in the metadata and by
the ``all_series_loaded`` check while the others load. Without an API key the step requests nothing,
writes nothing, and says so in its log and metadata: ``keel demo`` runs without a key and offline.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
from pydantic import Field

from ingestion.fred import OBSERVATIONS, SERIES
from ingestion.fred.load import load_fred

FRED_OBSERVATIONS = dg.AssetKey("dlt_fred_observations")
FRED_SERIES = dg.AssetKey("dlt_fred_series")
#: Public series move monthly at most: one load a night (the keel_automation sensor launches it).
FRED_DAILY = dg.AutomationCondition.on_cron("30 4 * * *")


class FredConfig(dg.Config):
    series: list[str] = Field(
        default_factory=list,
        description="FRED series ids to load (empty: the settings' KEEL_FRED_SERIES).",
    )


@dg.multi_asset(
    name="dlt_fred",
    specs=[
        dg.AssetSpec(
            FRED_OBSERVATIONS,
            group_name="ingestion",
            kinds={"dlt", "postgres"},
            description=OBSERVATIONS.description,
            automation_condition=FRED_DAILY,
        ),
        dg.AssetSpec(
            FRED_SERIES,
            group_name="ingestion",
            kinds={"dlt", "postgres"},
            description=SERIES.description,
            automation_condition=FRED_DAILY,
        ),
    ],
)
def fred_public_series(
    context: dg.AssetExecutionContext, config: FredConfig
) -> Iterator[dg.MaterializeResult]:
    result = load_fred(config.series or None)
    if result.skipped:
        context.log.warning(result.skipped)
    for series_id, error in result.failures.items():
        context.log.warning(f"FRED series {series_id} not loaded: {error}")
    common: dict[str, Any] = {
        "series_requested": len(result.series),
        "series_loaded": 0 if result.skipped else len(result.loaded_series),
        "failed_series": len(result.failures),
        "failures": dg.MetadataValue.json(result.failures),
        "skipped": result.skipped or "",
    }
    yield dg.MaterializeResult(
        asset_key=FRED_OBSERVATIONS,
        metadata={
            **common,
            "rows_loaded": result.rows.get(OBSERVATIONS.name, 0),
            "observations_offered": sum(result.extracted.values()),
            "requested_from": dg.MetadataValue.json(result.requested_from),
            "rejected_records": result.rejected,
        },
    )
    yield dg.MaterializeResult(
        asset_key=FRED_SERIES, metadata={**common, "rows_loaded": result.rows.get(SERIES.name, 0)}
    )


@dg.asset_check(
    asset=FRED_OBSERVATIONS,
    name="all_series_loaded",
    blocking=False,
    description="Every FRED series asked for in the latest load arrived (a skipped load, without an API "
    "key, asked for none).",
)
def all_series_loaded(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    event = context.instance.get_latest_materialization_event(FRED_OBSERVATIONS)
    metadata = event.asset_materialization.metadata if event and event.asset_materialization else {}
    failed = metadata.get("failed_series")
    failures = metadata.get("failures")
    skipped = metadata.get("skipped")
    count = int(failed.value) if failed is not None else -1
    return dg.AssetCheckResult(
        passed=count == 0,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"failed_series": count, "failures": failures.value if failures else {}},
        description="no materialization yet"
        if count < 0
        else (str(skipped.value) if skipped is not None and skipped.value else None),
    )
