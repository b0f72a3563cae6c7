"""Definitions of the ingestion domain."""

import dagster as dg

from orchestration.defs.ingestion.assets import (
    app_interventions,
    app_tenants,
    demo_ground_truth,
    load_checks,
    source_assets,
)
from orchestration.defs.ingestion.erpnext import erpnext_sites
from orchestration.defs.ingestion.files import uploaded_files
from orchestration.defs.ingestion.fred import all_series_loaded, fred_public_series

defs = dg.Definitions(
    assets=[
        app_tenants,
        app_interventions,
        demo_ground_truth,
        *source_assets,
        fred_public_series,
        uploaded_files,
        erpnext_sites,
    ],
    asset_checks=[*load_checks, all_series_loaded],
)
