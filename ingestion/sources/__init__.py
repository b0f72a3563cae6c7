"""Keel's data sources, one package each in the shape of dlt's verified sources.

``ingestion/sources/<source>/`` holds a source's resource contracts (``settings.py``: primary keys,
cursors, write dispositions, nested lists), its API client and paging (``helpers.py``) and its dlt
source (``__init__.py``). The demo simulator is one provider of records for these resources among
others (a connector, an uploaded file): demo and real data go through the same resources, staging
models and marts.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from ingestion.sources.spec import ResourceSpec

if TYPE_CHECKING:
    from ingestion.sources.connector import Connector

#: The sources whose resources Keel knows, in loading order.
SOURCE_NAMES: tuple[str, ...] = ("shopify", "stripe", "quickbooks", "shifts", "ads", "salesforce", "erpnext")
#: Sources whose records owners upload (CSV and Excel files): no connector or demo loads them, so they
#: stay out of SOURCE_NAMES, which the demo iterates.
UPLOAD_SOURCES: tuple[str, ...] = ("files",)


def resources(source: str) -> tuple[ResourceSpec, ...]:
    """The resources of ``source`` (its ``settings.RESOURCES``)."""
    if source not in SOURCE_NAMES + UPLOAD_SOURCES:
        known = ", ".join(SOURCE_NAMES + UPLOAD_SOURCES)
        raise KeyError(f"unknown source {source!r}; Keel knows {known}")
    module = import_module(f"ingestion.sources.{source}.settings")
    return tuple(module.RESOURCES)


def all_resources() -> tuple[ResourceSpec, ...]:
    return tuple(spec for source in SOURCE_NAMES for spec in resources(source))


def connectors() -> dict[str, Connector]:
    """The API connector of every source that has one (its package's ``CONNECTOR``), by source name.

    Imported on call, not with this package: a connector pulls in its HTTP client and dlt's REST toolkit,
    which the demo and the file uploads never need.
    """
    found: dict[str, Connector] = {}
    for source in SOURCE_NAMES:
        connector = getattr(import_module(f"ingestion.sources.{source}"), "CONNECTOR", None)
        if connector is not None:
            found[source] = connector
    return found
