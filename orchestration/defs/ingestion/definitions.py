"""Definitions of the ingestion domain: the loads (per tenant), when they are due, how fresh they must be."""

import dagster as dg

from orchestration.defs.ingestion.assets import (
    app_interventions,
    app_tenants,
    demo_benchmark_peers,
    demo_ground_truth,
    source_assets,
)
from orchestration.defs.ingestion.files import uploaded_files
from orchestration.defs.ingestion.fred import all_series_loaded, fred_public_series
from orchestration.defs.ingestion.freshness import source_freshness_checks
from orchestration.defs.ingestion.refresh import tenant_source_refresh

defs = dg.Definitions(
    assets=[
        app_tenants,
        demo_benchmark_peers,
        app_interventions,
        demo_ground_truth,
        *source_assets,
        fred_public_series,
        uploaded_files,
    ],
    asset_checks=[*source_freshness_checks, all_series_loaded],
    sensors=[tenant_source_refresh],
)
