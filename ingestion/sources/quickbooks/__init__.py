"""The QuickBooks Online source: a company's invoices, bills, payments, purchases, customers, vendors,
items and chart of accounts from the Accounting API (v3), with the owner's consent through OAuth 2.0.

``quickbooks_source`` is a dlt source with one resource per entry of :data:`settings.RESOURCES` (same
names), each yielding the API's objects as QuickBooks sends them. Keel's loader
(:func:`ingestion.loader.load_connector`) checks, stamps, merges and keeps the cursor; this source only
asks for what changed since the ``since`` it is given, less the look-back window:

- first load (no cursor yet): a paged query of every object (``STARTPOSITION``/``MAXRESULTS``);
- later loads within 30 days of the previous one: the Change Data Capture endpoint (``changedSince``),
  which also reports deleted objects (``status: "Deleted"``; they replace the stored row, which stays
  marked deleted). An answer cut short at CDC's cap of 1,000 objects is followed by another from the
  latest change it held on; only when 1,000 changes share one instant do the live ones come from a query;
- later loads more than 30 days after the previous one: a paged query on ``Metadata.LastUpdatedTime``
  (deletions older than 30 days cannot be seen any more).

The previous load is known from the cursors: it came after the latest change of any resource, so every
resource is asked for its changes since then (less the look-back window), not since its own latest
change; a list that rarely changes (vendors) stays within CDC's 30 days.

The company (realm) id and the API's minor version are the tenant's settings; the tokens are its
secrets (encrypted), renewed as they expire (:mod:`.helpers`). The Intuit app's client id and secret are
Keel's settings (``KEEL_QUICKBOOKS_CLIENT_ID``, ``KEEL_QUICKBOOKS_CLIENT_SECRET``), one app for every
business.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

import dlt
from limits import parse as parse_rate
from pydantic import BaseModel, Field, field_validator

from ingestion.sources import oauth
from ingestion.sources.connector import (
    Connector,
    ConnectorConfigError,
    Consent,
    ConsentApp,
    LoadSecrets,
    Since,
)
from keel.settings import get_settings

from . import helpers
from .helpers import QuickBooksClient
from .settings import (
    API_URLS,
    CDC_DAYS,
    ENTITIES,
    LOOKBACK,
    MINOR_VERSION,
    PAGE_SIZE,
    RATE_LIMIT,
    RESOURCES,
    SCOPES,
)

log = logging.getLogger(__name__)

#: Change Data Capture is asked only when ``changedSince`` lies this far inside its 30 days.
CDC_MARGIN = timedelta(hours=1)


class QuickBooksSettings(BaseModel):
    """A company's connection settings (the OAuth tokens are secrets, stored apart and encrypted)."""

    realm_id: str = Field(
        title="Company ID",
        description="The QuickBooks company's id (realm id); the consent brings it. QuickBooks: "
        "Settings (gear) > Account and settings > Billing & subscription > Company ID",
    )
    minor_version: str = Field(MINOR_VERSION, description="Accounting API minor version (minorversion)")
    base_url: str | None = Field(
        None,
        description="Where to send API requests instead of Intuit's production or sandbox address "
        "(KEEL_QUICKBOOKS_ENVIRONMENT); a proxy, or a test server",
    )
    request_timeout: float = Field(30.0, gt=0, description="Seconds to wait for one answer before retrying")
    page_size: int = Field(PAGE_SIZE, ge=1, le=PAGE_SIZE, description="Objects per query page (MAXRESULTS)")
    rate_limit: str = Field(
        RATE_LIMIT, description="Most requests Keel sends to this company (Intuit allows 500 a minute)"
    )

    @field_validator("realm_id", mode="before")
    @classmethod
    def _realm(cls, value: Any) -> str:
        realm = str(value).strip()
        if not re.fullmatch(r"[0-9]{1,20}", realm):
            raise ValueError(
                f"{value!r} is not a QuickBooks company id; it is a number such as 9130356609475236 "
                "(QuickBooks: Settings > Account and settings > Billing & subscription)"
            )
        return realm

    @field_validator("minor_version", mode="before")
    @classmethod
    def _minor(cls, value: Any) -> str:
        version = str(value).strip()
        if not re.fullmatch(r"[0-9]{1,3}", version):
            raise ValueError(f"{value!r} is not an Accounting API minor version such as {MINOR_VERSION}")
        return version

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("rate_limit")
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            parse_rate(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate such as 450/minute") from None
        return value

    def api_url(self) -> str:
        return self.base_url or API_URLS[get_settings().quickbooks_environment]


def oauth_provider() -> oauth.OAuthProvider:
    """Intuit's authorization server, from Keel's settings."""
    settings = get_settings()
    return oauth.OAuthProvider(
        title="QuickBooks",
        authorize_url=settings.quickbooks_authorize_url,
        token_url=settings.quickbooks_token_url,
        scopes=SCOPES,
        client_auth="basic",  # Intuit wants the client id and secret in a basic Authorization header
        revoke_url=settings.quickbooks_revoke_url,
    )


def oauth_client() -> oauth.OAuthClient:
    """Keel's Intuit app; :class:`ConnectorConfigError` naming the settings when they are not set."""
    settings = get_settings()
    secret = settings.quickbooks_client_secret
    if not settings.quickbooks_client_id or secret is None or not secret.get_secret_value():
        raise ConnectorConfigError(
            "QuickBooks needs this Keel's Intuit app: set KEEL_QUICKBOOKS_CLIENT_ID and "
            "KEEL_QUICKBOOKS_CLIENT_SECRET to the app's keys (developer.intuit.com > your app > "
            "Keys and credentials; see docs/connect-your-data.md)"
        )
    return oauth.OAuthClient(settings.quickbooks_client_id, secret.get_secret_value())


def redirect_uri() -> str:
    uri = get_settings().quickbooks_redirect_uri
    try:
        oauth.check_loopback(uri)
    except ValueError as exc:
        raise ConnectorConfigError(f"KEEL_QUICKBOOKS_REDIRECT_URI: {exc}") from None
    return uri


def consent_app(given: Mapping[str, Any], typed: Mapping[str, str]) -> ConsentApp:
    """The consent goes through Keel's own Intuit app (one for every business): nothing the owner gives."""
    return ConsentApp(oauth_provider(), oauth_client(), redirect_uri())


def _granted(
    tokens: oauth.Tokens, params: Mapping[str, str], typed: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The company comes with the redirect (``realmId``); the tokens are the secrets."""
    realm = params.get("realmId")
    if not realm:
        raise ConnectorConfigError("QuickBooks' consent did not name the company (no realmId); start again")
    return {"realm_id": realm}, tokens.as_secrets()


def _is_deleted(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("status") == "Deleted"


@dlt.source(name="quickbooks", max_table_nesting=0)
def quickbooks_source(
    settings: QuickBooksSettings,
    secrets: LoadSecrets,
    since: Since,
    client: oauth.OAuthClient,
) -> Iterator[Any]:
    """One resource per QuickBooks resource Keel loads; ``since`` per resource name (None: everything)."""
    api = QuickBooksClient(
        settings.realm_id,
        secrets,
        oauth_provider(),
        client,
        settings.api_url(),
        minor_version=settings.minor_version,
        page_size=settings.page_size,
        rate_limit=settings.rate_limit,
        timeout=settings.request_timeout,
    )

    # Every resource was read up to the previous load, which came after the latest change any of them
    # holds: a resource that has not changed for months (vendors) is asked from there, within CDC's reach.
    previous_load = max((moment for moment in since.values() if moment is not None), default=None)

    def changed(name: str) -> Iterator[list[Any]]:
        entity = ENTITIES[name]
        loaded = since.get(name)
        if loaded is None or previous_load is None:
            yield from api.query_pages(entity, None)
            return
        asked = max(loaded, previous_load) - LOOKBACK
        if asked < helpers.utc_now() - timedelta(days=CDC_DAYS) + CDC_MARGIN:
            log.warning(
                "QuickBooks %s of company %s were last loaded more than %d days ago: changes come from a "
                "query, which cannot see deletions",
                entity,
                settings.realm_id,
                CDC_DAYS,
            )
            yield from api.query_pages(entity, asked)
            return
        objects, complete = api.all_changes(entity, asked)
        if not complete:  # more than CDC's cap changed at one instant: the live ones from a query
            yield [obj for obj in objects if _is_deleted(obj)]
            yield from api.query_pages(entity, asked)
            return
        if objects:
            yield objects

    for spec in RESOURCES:

        def read(name: str = spec.name) -> Iterator[list[Any]]:
            yield from changed(name)

        yield dlt.resource(
            read,
            name=spec.name,
            primary_key=[key for key in spec.primary_key if key != "tenant_id"],
            write_disposition=spec.write_disposition,
        )


def make_source(settings: BaseModel, secrets: Mapping[str, str], since: Since) -> Any:
    """The connector's entry point: :func:`quickbooks_source` for the validated settings."""
    if not isinstance(settings, QuickBooksSettings):
        raise TypeError(f"QuickBooks needs QuickBooksSettings, got {type(settings).__name__}")
    load_secrets = secrets if isinstance(secrets, LoadSecrets) else LoadSecrets(secrets)
    return quickbooks_source(settings, load_secrets, since, oauth_client())


CONNECTOR = Connector(
    source="quickbooks",
    title="QuickBooks",
    config_model=QuickBooksSettings,
    secret_fields=("refresh_token",),
    resources=RESOURCES,
    make_source=make_source,
    lookback=LOOKBACK,
    consent=Consent(app=consent_app, granted=_granted),
)
