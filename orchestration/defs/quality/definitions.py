"""Definitions of the quality domain: great-expectations checks on the raw and mart assets, the lake."""

import dagster as dg

from orchestration.defs.quality.checks import quality_checks
from orchestration.defs.quality.lake import lake_parquet

defs = dg.Definitions(assets=[lake_parquet], asset_checks=quality_checks)
