"""The ERPNext source: a Frappe site's sales and purchase invoices, payments, customers, suppliers,
items, stock, employees and timesheets from the Frappe REST API.

``erpnext_source`` is a dlt source with one resource per entry of :data:`settings.RESOURCES` (same
names), each yielding documents as Frappe sends them, plus ``modified_at`` (``modified`` as an instant
with the site's offset: the cursor). Keel's loader (:func:`ingestion.loader.load_connector`) checks,
stamps, merges and keeps the cursor; this source only asks for what changed since the ``since`` it is
given, less the look-back window (``filters=[["modified", ">=", ...]]``, oldest change first):

- customers, suppliers, items, bins, stock ledger entries and employees: listings with every field;
- sales invoices, purchase invoices, payment entries and timesheets: the listing names what changed,
  then each document is read whole for its child tables (items, taxes, payments, references, time logs);
- deleted documents of those doctypes: which document went, so staging marks it deleted.

Before reading, the source asks who the key belongs to: a refused key is :class:`ConnectorAuthError`
(the owner reconnects). A doctype the site lacks or the key's user may not read is skipped with a
warning that names it; the other resources load.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dlt
from pydantic import BaseModel, Field, field_validator

from ingestion.sources.connector import Connector, ConnectorConfigError, Since

from .helpers import DoctypeUnavailable, FrappeClient, resource_path
from .settings import (
    DELETED_DOCTYPES,
    DOCTYPES,
    FRAPPE_DATETIME,
    LIST_FIELDS,
    LOOKBACK,
    PAGE_SIZE,
    RESOURCES,
    SYSTEM_SETTINGS,
)

log = logging.getLogger(__name__)

_URL = re.compile(r"^https?://[^/\s]+")


class ERPNextSettings(BaseModel):
    """A site's connection settings (the API key and secret are secrets, stored apart and encrypted)."""

    site_url: str = Field(
        title="Site address", description="The site's address, such as https://mybusiness.erpnext.com"
    )
    time_zone: str | None = Field(
        None,
        title="Time zone",
        description="The site's time zone (System Settings), such as America/Denver; read from the site "
        "when not given, which needs a System Manager's key",
    )
    request_timeout: float = Field(30.0, gt=0, description="Seconds to wait for one answer before retrying")
    page_size: int = Field(PAGE_SIZE, ge=1, le=5000, description="Documents per listing request")

    @field_validator("site_url")
    @classmethod
    def _site_url(cls, value: str) -> str:
        url = value.strip().rstrip("/")
        if not _URL.match(url):
            raise ValueError(f"{value!r} is not the site's address; give it as https://<your site>")
        return url

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name such as America/Denver") from None
        return value


def frappe_datetime(instant: datetime, zone: ZoneInfo) -> str:
    """An instant as Frappe writes and filters datetimes: the site's wall-clock time, no offset."""
    return instant.astimezone(zone).strftime(FRAPPE_DATETIME)


def modified_at(document: Any, zone: ZoneInfo) -> Any:
    """``document`` with ``modified_at``: its ``modified`` as ISO-8601 with the site's offset (a document
    without a readable ``modified`` is passed on as it is, and the loader sets it aside)."""
    if not isinstance(document, dict):
        return document
    try:
        local = datetime.fromisoformat(str(document.get("modified")))
    except ValueError:
        return document
    stamped = local if local.tzinfo is not None else local.replace(tzinfo=zone)
    return {**document, "modified_at": stamped.isoformat()}


def site_zone(api: FrappeClient, configured: str | None) -> ZoneInfo:
    """The site's time zone: the configured one, else System Settings' ``time_zone``."""
    if configured:
        return ZoneInfo(configured)
    try:
        settings = api.document(SYSTEM_SETTINGS, "System Settings")
    except DoctypeUnavailable:
        settings = None
    zone = settings.get("time_zone") if settings else None
    if not isinstance(zone, str) or not zone:
        raise ConnectorConfigError(
            f"ERPNext at {api.site_url} does not let this key read its time zone (System Settings): set "
            "time_zone in the source's settings to the site's time zone, such as America/Denver"
        )
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConnectorConfigError(f"ERPNext's time zone {zone!r} is not one Keel knows") from None


@dlt.source(name="erpnext", max_table_nesting=0)
def erpnext_source(
    settings: ERPNextSettings,
    secrets: Mapping[str, str],
    since: Since,
) -> Iterator[Any]:
    """One resource per ERPNext resource Keel loads; ``since`` per resource name (None: everything)."""
    api = FrappeClient(
        settings.site_url,
        secrets["api_key"],
        secrets["api_secret"],
        page_size=settings.page_size,
        timeout=settings.request_timeout,
    )
    api.logged_user()  # a refused key stops here, before any resource, as "needs reconnecting"
    zone = site_zone(api, settings.time_zone)

    def changed_since(name: str) -> list[list[Any]]:
        loaded = since.get(name)
        if loaded is None:
            return []
        return [["modified", ">=", frappe_datetime(loaded - LOOKBACK, zone)]]

    def reader(name: str) -> Any:
        doctype, whole_documents = DOCTYPES[name]

        def read() -> Iterator[list[Any]]:
            filters = changed_since(name)
            if name == "deleted_documents":
                filters = [*filters, ["deleted_doctype", "in", list(DELETED_DOCTYPES)]]
            fields = ["name", "modified"] if whole_documents else LIST_FIELDS.get(name, ["*"])
            try:
                for page in api.listing(doctype, fields, filters):
                    if not whole_documents:
                        yield [modified_at(document, zone) for document in page]
                        continue
                    documents = []
                    for listed in page:
                        found = None
                        if isinstance(listed, dict) and isinstance(listed.get("name"), str):
                            found = api.document(resource_path(doctype, listed["name"]), doctype)
                        if found is not None:  # deleted since it was listed: Deleted Document says so
                            documents.append(modified_at(found, zone))
                    yield documents
            except DoctypeUnavailable as missing:
                log.warning(
                    "ERPNext at %s: skipped %s (%s); the other resources load",
                    api.site_url,
                    doctype,
                    missing.reason,
                )

        return read

    for spec in RESOURCES:
        yield dlt.resource(
            reader(spec.name),
            name=spec.name,
            primary_key=[key for key in spec.primary_key if key != "tenant_id"],
            write_disposition=spec.write_disposition,
        )


def make_source(settings: BaseModel, secrets: Mapping[str, str], since: Since) -> Any:
    """The connector's entry point: :func:`erpnext_source` for the validated settings."""
    if not isinstance(settings, ERPNextSettings):
        raise TypeError(f"ERPNext needs ERPNextSettings, got {type(settings).__name__}")
    return erpnext_source(settings, secrets, since)


CONNECTOR = Connector(
    source="erpnext",
    title="ERPNext",
    config_model=ERPNextSettings,
    secret_fields=("api_key", "api_secret"),
    resources=RESOURCES,
    make_source=make_source,
    lookback=LOOKBACK,
)

__all__ = ["CONNECTOR", "ERPNextSettings", "erpnext_source", "frappe_datetime", "modified_at"]
