"""The Stripe source: charges, refunds, customers, subscriptions, invoices and balance transactions.

``stripe_source`` is a dlt source with one resource per entry of ``settings.RESOURCES`` (same names);
``CONNECTOR`` is how Keel loads it for a tenant (:func:`ingestion.loader.load_connector`). The resources
yield Stripe's objects as the API sends them, each with ``updated`` set by the client (Stripe objects
have none): the loader merges the mutable ones on their id with ``updated`` as the cursor, and appends
refunds on ``created``. See :mod:`ingestion.sources.stripe.helpers` for paging, events and retries.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

import dlt
from dlt.extract.resource import DltResource
from pydantic import BaseModel, ConfigDict, Field

from ingestion.sources.connector import Connector, Since
from ingestion.sources.stripe.helpers import StripeClient, check_api_key
from ingestion.sources.stripe.settings import API_VERSION, BASE_URL, PAGE_LIMIT, RESOURCES


class StripeSettings(BaseModel):
    """The non-secret settings of a Stripe account (the key is a secret, stored encrypted)."""

    model_config = ConfigDict(extra="forbid")

    account_label: str | None = Field(
        None, max_length=100, description="A name for this Stripe account that the owner recognises."
    )
    account_id: str | None = Field(
        None, pattern=r"^acct_[A-Za-z0-9]+$", description="The Stripe account id (acct_...), for reference."
    )
    api_version: str = Field(
        API_VERSION,
        pattern=r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$",
        description="The Stripe API version Keel asks for (the shapes Keel's models read).",
    )
    base_url: str = Field(
        BASE_URL, pattern=r"^https?://[^\s/]+(/\S*)?$", description="Stripe's API address (tests change it)."
    )
    lookback_minutes: int = Field(
        60, ge=0, le=24 * 60, description="How far before the last load each run looks again."
    )
    page_limit: int = Field(PAGE_LIMIT, ge=1, le=PAGE_LIMIT, description="Objects per page (1-100).")
    timeout_seconds: float = Field(30.0, gt=0, le=300, description="How long to wait for one answer.")
    max_attempts: int = Field(6, ge=1, le=20, description="Tries per request (429, 5xx, timeouts).")
    backoff_seconds: float = Field(1.0, ge=0, le=60, description="First wait between tries; it doubles.")


@dlt.source(name="stripe", max_table_nesting=0)
def stripe_source(
    settings: StripeSettings, secrets: Mapping[str, str], since: Since | None = None
) -> Iterator[DltResource]:
    """One resource per ``settings.RESOURCES`` entry: the objects created or changed since ``since``
    (per resource, UTC; None or missing: all of them).

    Mutable objects (customers, charges, subscriptions, invoices, balance transactions) are merged on
    their id with ``updated`` as the cursor, because refunds, payments, renewals and cancellations
    change them after they are created; refunds are immutable events, appended on ``created``.
    """
    client = StripeClient(
        check_api_key(secrets.get("api_key")),
        base_url=settings.base_url,
        api_version=settings.api_version,
        page_limit=settings.page_limit,
        max_attempts=settings.max_attempts,
        backoff_factor=settings.backoff_seconds,
        timeout=settings.timeout_seconds,
    )
    lookback = timedelta(minutes=settings.lookback_minutes)
    cursors = since or {}
    for spec in RESOURCES:

        def changed(name: str = spec.name) -> Iterator[Any]:
            yield from client.changed_objects(name, cursors.get(name), lookback)

        yield dlt.resource(
            changed,
            name=spec.name,
            primary_key=[key for key in spec.primary_key if key != "tenant_id"],
            write_disposition=spec.write_disposition,
        )


def make_source(settings: BaseModel, secrets: Mapping[str, str], since: Since) -> Any:
    if not isinstance(settings, StripeSettings):
        raise TypeError(f"Stripe settings must be StripeSettings, got {type(settings).__name__}")
    return stripe_source(settings, secrets, since)


CONNECTOR = Connector(
    source="stripe",
    title="Stripe",
    config_model=StripeSettings,
    secret_fields=("api_key",),
    resources=RESOURCES,
    make_source=make_source,
)
