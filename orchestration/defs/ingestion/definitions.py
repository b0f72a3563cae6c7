"""Definitions of the ingestion domain."""

import dagster as dg

from orchestration.defs.ingestion.assets import load_checks, source_assets

defs = dg.Definitions(assets=source_assets, asset_checks=load_checks)
