"""Definitions of the ingestion domain."""

import dagster as dg

from orchestration.defs.ingestion.assets import app_tenants, demo_ground_truth, load_checks, source_assets

defs = dg.Definitions(assets=[app_tenants, demo_ground_truth, *source_assets], asset_checks=load_checks)
