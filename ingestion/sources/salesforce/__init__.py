"""The Salesforce source: an org's campaigns, accounts, contacts, leads, opportunities and their stage
history, through SOQL on the REST API (Bulk API 2.0 for large objects).

``salesforce_source`` is a dlt source with one resource per entry of :data:`settings.RESOURCES` (same
names), each yielding Salesforce's records as the REST query endpoint sends them (without their
``attributes``). Keel's loader (:func:`ingestion.loader.load_connector`) checks, stamps, merges and keeps
the cursor; this source asks only for what changed since the ``since`` it is given, less the look-back:

- live records: ``SELECT <fields> FROM <object> WHERE SystemModstamp >= <since - look-back>`` through
  the ``query`` endpoint, following ``nextRecordsUrl``; when the first page says the query finds at
  least ``bulk_threshold`` records, or the object is listed in ``bulk_objects``, the same query runs as a
  Bulk API 2.0 job instead (fewer calls for a first load of a big org);
- deleted records: ``... WHERE IsDeleted = true AND SystemModstamp >= ...`` through ``queryAll`` (the
  recycle bin), merged with ``IsDeleted`` true: marked deleted, not dropped. A first load reads no
  deletions (nothing was loaded that they could mark).

Two ways to sign in (``flow``): ``web_server``, an owner's approval in the browser that leaves a refresh
token (stored encrypted, with the connected app's consumer secret), run by the connector's
:class:`~ingestion.sources.connector.Consent` like QuickBooks' (``keel source add`` and the console);
and ``jwt_bearer``, server to server, where Keel signs a JWT with the private key of the connected app's
certificate for a named user (no browser: a plain form of settings and the key).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Literal

import dlt
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ingestion.sources.connector import (
    Connector,
    ConnectorAuthError,
    ConnectorConfigError,
    Consent,
    ConsentApp,
    Since,
)
from ingestion.sources.oauth import OAuthClient, check_loopback

from .helpers import SalesforceAuth, SalesforceClient, oauth_provider, retrying_session, soql_datetime
from .settings import (
    API_SLOW_DOWN_SECONDS,
    API_SLOW_DOWN_SHARE,
    API_STOP_SHARE,
    API_VERSION,
    BULK_PAGE_RECORDS,
    BULK_THRESHOLD,
    CURRENCY_OBJECTS,
    FIELDS,
    LOGIN_URL,
    LOOKBACK,
    OBJECTS,
    REDIRECT_URI,
    RESOURCES,
    FieldType,
)

_URL = re.compile(r"^https?://[^/\s]+$")
_CONSUMER_KEY = re.compile(r"^[A-Za-z0-9._]{20,256}$")

#: The secrets each sign-in flow needs (stored encrypted, never shown back).
FLOW_SECRETS: dict[str, tuple[str, ...]] = {
    "web_server": ("client_secret", "refresh_token"),
    "jwt_bearer": ("private_key",),
}


class SalesforceSettings(BaseModel):
    """An org's connection settings (the consumer secret, refresh token or private key are secrets)."""

    model_config = ConfigDict(extra="forbid")

    flow: Literal["web_server", "jwt_bearer"] = Field(
        "web_server",
        description="How Keel signs in: web_server (an owner approved Keel in the browser) or jwt_bearer "
        "(server to server with the connected app's certificate)",
    )
    client_id: str = Field(description="The connected app's consumer key")
    username: str | None = Field(
        None, description="jwt_bearer: the Salesforce user name Keel reads as (pre-authorized for the app)"
    )
    login_url: str = Field(
        LOGIN_URL,
        description="Where to sign in: https://login.salesforce.com, https://test.salesforce.com for a "
        "sandbox, or the org's My Domain",
    )
    instance_url: str | None = Field(
        None, description="The org's address as the last sign-in reported it (for reference)"
    )
    redirect_uri: str = Field(
        REDIRECT_URI,
        description="web_server: the connected app's Callback URL, where the browser hands Keel the approval",
    )
    api_version: str = Field(API_VERSION, pattern=r"^\d{2,3}\.0$", description="REST API version, e.g. 62.0")
    multi_currency: bool = Field(
        False, description="The org has multiple currencies enabled (records carry CurrencyIsoCode)"
    )
    bulk_threshold: int = Field(
        BULK_THRESHOLD, ge=1, description="Records to read from one object above which Bulk API 2.0 is used"
    )
    bulk_objects: list[str] = Field(
        default_factory=list,
        description="Resources always read through Bulk API 2.0 (e.g. opportunity_history)",
    )
    api_slow_down_share: float = Field(
        API_SLOW_DOWN_SHARE,
        gt=0,
        le=1,
        description="Share of the daily API allowance above which loads slow down",
    )
    api_stop_share: float = Field(
        API_STOP_SHARE, gt=0, le=1, description="Share of the daily API allowance above which loads stop"
    )
    api_slow_down_seconds: float = Field(
        API_SLOW_DOWN_SECONDS, ge=0, le=60, description="Seconds between calls once a load has slowed down"
    )
    request_timeout: float = Field(
        30.0, gt=0, le=600, description="Seconds to wait for one answer before retrying"
    )
    max_attempts: int = Field(
        6, ge=1, le=20, description="Tries per request (429, 5xx, REQUEST_LIMIT_EXCEEDED)"
    )
    backoff_seconds: float = Field(1.0, ge=0, le=60, description="First wait between tries; it doubles")
    bulk_poll_seconds: float = Field(2.0, gt=0, le=60, description="Seconds between polls of a bulk job")
    bulk_page_records: int = Field(
        BULK_PAGE_RECORDS, ge=1, le=BULK_PAGE_RECORDS, description="Records per page of a bulk job's results"
    )

    @field_validator("client_id")
    @classmethod
    def _consumer_key(cls, value: str) -> str:
        key = value.strip()
        if not _CONSUMER_KEY.match(key):
            raise ValueError(
                "is not a connected app's consumer key (Setup > App Manager > your app > View > "
                "Consumer Key: a long string of letters, digits and dots)"
            )
        return key

    @field_validator("login_url", "instance_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        url = value.strip().rstrip("/")
        if not _URL.match(url):
            raise ValueError(f"{value!r} is not an http(s) address such as {LOGIN_URL}")
        return url

    @field_validator("redirect_uri")
    @classmethod
    def _loopback(cls, value: str) -> str:
        check_loopback(value)  # ValueError in words: Keel listens for the approval on this machine only
        return value

    @field_validator("bulk_objects", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """``opportunity_history,leads`` (a command-line option or a form field) as a list."""
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value

    @field_validator("bulk_objects")
    @classmethod
    def _known_resources(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in OBJECTS]
        if unknown:
            raise ValueError(
                f"{', '.join(unknown)}: not a Salesforce resource Keel loads ({', '.join(OBJECTS)})"
            )
        return value

    @model_validator(mode="after")
    def _flow_needs(self) -> SalesforceSettings:
        if self.flow == "jwt_bearer" and not (self.username or "").strip():
            raise ValueError("the jwt_bearer flow needs username: the Salesforce user Keel reads as")
        if self.api_stop_share < self.api_slow_down_share:
            raise ValueError("api_stop_share must not be below api_slow_down_share")
        return self


def needed_secrets(settings: BaseModel) -> tuple[str, ...]:
    """The secrets the settings' sign-in flow needs."""
    flow = getattr(settings, "flow", "web_server")
    return FLOW_SECRETS.get(flow, FLOW_SECRETS["web_server"])


def fields_for(sobject: str, multi_currency: bool) -> dict[str, FieldType]:
    fields = dict(FIELDS[sobject])
    if multi_currency and sobject in CURRENCY_OBJECTS:
        fields["CurrencyIsoCode"] = "string"
    return fields


def changed_records(
    client: SalesforceClient, settings: SalesforceSettings, resource: str, since: datetime | None
) -> Iterator[list[Any]]:
    """Pages of ``resource``'s records changed since ``since`` less the look-back (all when None), then
    the ones deleted since then."""
    sobject = OBJECTS[resource]
    fields = fields_for(sobject, settings.multi_currency)
    columns = ", ".join(fields)
    after = None if since is None else soql_datetime(since - LOOKBACK)
    where = "" if after is None else f" WHERE SystemModstamp >= {after}"
    soql = f"SELECT {columns} FROM {sobject}{where}"
    if resource in settings.bulk_objects:
        yield from client.bulk_query(soql, fields)
    else:
        pages = client.query(soql)
        first = next(pages, [])
        if client.last_total_size >= settings.bulk_threshold:
            pages.close()  # a large read: one bulk job instead of many 2,000-record pages
            yield from client.bulk_query(soql, fields)
        else:
            yield first
            yield from pages
    if after is not None:
        deleted = f"SELECT {columns} FROM {sobject} WHERE IsDeleted = true AND SystemModstamp >= {after}"
        yield from client.query(deleted, include_deleted=True)


@dlt.source(name="salesforce", max_table_nesting=0)
def salesforce_source(
    settings: SalesforceSettings, secrets: Mapping[str, str], since: Since
) -> Iterator[Any]:
    """One resource per Salesforce resource Keel loads; ``since`` per resource name (None: everything)."""
    session = retrying_session(settings.request_timeout, settings.max_attempts, settings.backoff_seconds)
    auth = SalesforceAuth(
        session,
        flow=settings.flow,
        login_url=settings.login_url,
        client_id=settings.client_id,
        client_secret=secrets.get("client_secret"),
        refresh_token=secrets.get("refresh_token"),
        username=settings.username,
        private_key=secrets.get("private_key"),
    )
    client = SalesforceClient(
        auth,
        api_version=settings.api_version,
        slow_down_share=settings.api_slow_down_share,
        stop_share=settings.api_stop_share,
        slow_down_seconds=settings.api_slow_down_seconds,
        bulk_poll_seconds=settings.bulk_poll_seconds,
        bulk_page_records=settings.bulk_page_records,
    )
    for spec in RESOURCES:

        def read(name: str = spec.name) -> Iterator[list[Any]]:
            yield from changed_records(client, settings, name, since.get(name))

        yield dlt.resource(
            read,
            name=spec.name,
            primary_key=[key for key in spec.primary_key if key != "tenant_id"],
            write_disposition=spec.write_disposition,
        )


def consent_app(given: Mapping[str, Any], typed: Mapping[str, str]) -> ConsentApp:
    """The web server flow's consent goes through the owner's connected app: its consumer key and login
    address from the settings given, its consumer secret typed; the approval comes back to the app's
    Callback URL (``redirect_uri``) on this machine."""
    try:
        settings = SalesforceSettings.model_validate({**given, "flow": "web_server"})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'settings'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConnectorConfigError(f"Salesforce settings are not valid: {problems}") from None
    client_secret = (typed.get("client_secret") or "").strip()
    if not client_secret:
        raise ConnectorConfigError(
            "connecting Salesforce needs the connected app's consumer secret (Setup > App Manager > your "
            "app > View > Manage Consumer Details)"
        )
    return ConsentApp(
        oauth_provider(settings.login_url),
        OAuthClient(settings.client_id, client_secret),
        settings.redirect_uri,
        retrying_session(settings.request_timeout, settings.max_attempts, settings.backoff_seconds),
    )


def _granted(
    tokens: Any, params: Mapping[str, str], typed: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The org's address comes in the token answer (``instance_url``), not the redirect; Keel stores the
    consumer secret and the refresh token (access tokens live for one load)."""
    if not tokens.refresh_token:
        raise ConnectorAuthError(
            "Salesforce gave no refresh token: the connected app's OAuth scopes must include 'Perform "
            "requests at any time (refresh_token, offline_access)'. Add it and connect again."
        )
    brought = {"flow": "web_server", "instance_url": tokens.extra.get("instance_url")}
    return brought, {"client_secret": typed["client_secret"].strip(), "refresh_token": tokens.refresh_token}


def make_source(settings: BaseModel, secrets: Mapping[str, str], since: Since) -> Any:
    """The connector's entry point: :func:`salesforce_source` for the validated settings."""
    if not isinstance(settings, SalesforceSettings):
        raise TypeError(f"Salesforce needs SalesforceSettings, got {type(settings).__name__}")
    return salesforce_source(settings, secrets, since)


CONNECTOR = Connector(
    source="salesforce",
    title="Salesforce",
    config_model=SalesforceSettings,
    secret_fields=("client_secret", "refresh_token", "private_key"),
    resources=RESOURCES,
    make_source=make_source,
    lookback=LOOKBACK,
    needed_secrets=needed_secrets,
    consent=Consent(
        app=consent_app,
        granted=_granted,
        asked_config=("client_id", "login_url", "redirect_uri"),
        asked_secrets=("client_secret",),
        grants=("refresh_token",),
        applies=lambda config: config.get("flow", "web_server") == "web_server",
        other_way=(
            "Server to server, with the connected app's certificate (JWT bearer flow)",
            {"flow": "jwt_bearer"},
        ),
    ),
)
