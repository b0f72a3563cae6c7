"""Keel's Dagster code location: the definitions of every domain folder, merged."""

import dagster as dg

from orchestration.defs.ingestion import definitions as ingestion
from orchestration.defs.warehouse import definitions as warehouse

defs = dg.Definitions.merge(warehouse.defs, ingestion.defs)
