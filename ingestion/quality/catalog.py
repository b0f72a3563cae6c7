"""Where each suite lives: next to its source (``ingestion/sources/<source>/expectations.py``), and the
key marts' in :mod:`ingestion.quality.marts`. Importing a suite imports great-expectations (seconds)."""

from __future__ import annotations

import importlib

from ingestion.quality.suites import SourceSuite

#: The resources each suite checks, known without importing great-expectations (Dagster builds its check
#: specs from this at load time); tests/quality asserts it matches the suites.
CHECKED_RESOURCES: dict[str, tuple[str, ...]] = {
    "shopify": ("orders", "customers", "products"),
    "stripe": ("charges", "invoices"),
    "quickbooks": ("bills", "purchases"),
    "shifts": ("timecards",),
    "ads": ("insights",),
}
SOURCES_WITH_SUITES = tuple(CHECKED_RESOURCES)
MARTS = "marts"
#: The marts the marts suite checks (dbt model names, which are their asset keys).
CHECKED_MARTS = ("business_metrics_daily",)


def suite_for(source: str) -> SourceSuite:
    """The suite of ``source`` (a source name or ``marts``)."""
    if source == MARTS:
        module = importlib.import_module("ingestion.quality.marts")
    elif source in SOURCES_WITH_SUITES:
        module = importlib.import_module(f"ingestion.sources.{source}.expectations")
    else:
        raise ValueError(
            f"no quality suite for {source!r}: known are {', '.join(SOURCES_WITH_SUITES)}, marts"
        )
    suite: SourceSuite = module.SUITE
    return suite
