"""Where each suite lives: next to its source (``ingestion/sources/<source>/expectations.py``), and the
key marts' in :mod:`ingestion.quality.marts`. Importing a suite imports great-expectations (seconds)."""

from __future__ import annotations

import importlib

from ingestion.quality.suites import SourceSuite

#: Sources with a suite; every other source has none yet.
SOURCES_WITH_SUITES = ("shopify", "stripe", "quickbooks", "shifts", "ads")
MARTS = "marts"


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
