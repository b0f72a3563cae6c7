"""What a connector is: the API side of a source, and how Keel loads it for one tenant.

A connector package (``ingestion/sources/<source>/__init__.py``) defines a ``CONNECTOR`` of this type.
Its ``make_source`` returns a dlt source (``@dlt.source`` with one ``@dlt.resource`` per resource of
``settings.RESOURCES``, same names) whose resources yield the API's objects as dicts, exactly as the
API sends them (the demo simulator makes objects of the same shape, so both stage alike).

Keel's loader, not the connector, checks each record against the source's contract, stamps the tenant,
quarantines broken records, merges on the primary key and keeps the cursor
(:func:`ingestion.loader.load_connector`). The connector only has to ask the API for what changed since
the ``since`` instant it is given per resource (the latest cursor already loaded for this tenant, in
UTC, or None for a first, full load), going back its own look-back window for late edits.

Secrets reach ``make_source`` as :class:`LoadSecrets`, a read-only mapping. A service that hands out new
credentials during a load (OAuth refresh-token rotation: QuickBooks issues a new refresh token on every
refresh and the old one soon stops working) is answered by calling :meth:`LoadSecrets.replace` with the
new values: Keel stores them, encrypted, before ``replace`` returns, so a crash later in the load cannot
lose them (:func:`ingestion.run.run_tenant_sources`). If they cannot be stored the load stops and the
source is marked "needs reconnecting".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError

from ingestion.sources.spec import ResourceSpec

log = logging.getLogger(__name__)

#: per resource name: the latest cursor already loaded for the tenant (UTC), or None (load everything)
Since = Mapping[str, datetime | None]
#: Stores a source's complete new secrets (encrypted) at once; raises when it cannot.
SecretsSaver = Callable[[dict[str, str]], None]


class ConnectorConfigError(ValueError):
    """A connector's settings are missing or malformed; the message names each field and the problem."""


class ConnectorAuthError(RuntimeError):
    """The service refused the stored credentials (revoked, expired, wrong scope): the owner must
    reconnect the source. Other sources and tenants keep loading."""


class LoadSecrets(Mapping[str, str]):
    """A source's decrypted secrets for one load (never shown, never logged), and the way to hand back
    new ones the service issued during the load (:meth:`replace`)."""

    def __init__(self, values: Mapping[str, str], save: SecretsSaver | None = None) -> None:
        self._values = {str(k): str(v) for k, v in values.items()}
        self._save = save
        self.replaced = 0  # how many times new secrets were handed back in this load

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"LoadSecrets({sorted(self._values)})"  # names only

    def replace(self, changed: Mapping[str, str]) -> None:
        """Take ``changed`` (some or all secrets) as the source's secrets from now on, and store them.

        Returns once they are stored; :class:`ConnectorAuthError` when they cannot be (the service may
        already have retired the old ones: the owner may have to reconnect).
        """
        updated = {**self._values, **{str(k): str(v) for k, v in changed.items()}}
        if updated == self._values:
            return
        if self._save is not None:
            try:
                self._save(dict(updated))
            except Exception as exc:
                log.exception("storing renewed credentials failed")
                raise ConnectorAuthError(  # the root cause a load reports: the owner may have to reconnect
                    "the service issued new credentials during the load, and Keel could not store them "
                    f"({type(exc).__name__}); if the next load is refused, reconnect the source"
                ) from None
        self._values = updated
        self.replaced += 1


@dataclass(frozen=True)
class ConsentApp:
    """Where one consent goes: the service's authorization server, the app Keel asks as, and the loopback
    address the browser comes back to (registered with that app)."""

    provider: Any  # oauth.OAuthProvider
    client: Any  # oauth.OAuthClient
    redirect_uri: str
    session: Any = None  # requests.Session for the code exchange (a connector's retrying one), or None


#: what a granted consent gives a connection: (settings it brings, secrets to store encrypted)
ConsentGrant = tuple[dict[str, Any], dict[str, str]]


def _no_other_settings(tokens: Any, params: Mapping[str, str], typed: Mapping[str, str]) -> ConsentGrant:
    return {}, tokens.as_secrets()


@dataclass(frozen=True)
class Consent:
    """How an owner grants Keel access in the browser (OAuth 2.0 authorization code,
    :mod:`ingestion.sources.oauth`). ``keel source add`` and the console's Your data page run it the same
    way for every connector that has one (:func:`ingestion.sources.oauth.connect_in_browser`,
    :func:`ingestion.sources.oauth.start_consent`): the owner gives the ``asked_config`` settings and types
    the ``asked_secrets``; Keel shows the service's consent page, receives the approval on the loopback
    address, exchanges the code, and stores the settings and secrets that ``granted`` makes of the answer.

    - QuickBooks: Keel's own Intuit app, nothing asked; the redirect brings the company (``realmId``).
    - Salesforce: the owner's connected app (its consumer key asked, its consumer secret typed); the token
      answer brings the org's ``instance_url``. Its JWT bearer flow needs no browser: for those settings
      ``applies`` is False and the connection is a plain form of settings and a private key.
    """

    #: (settings given so far, secrets typed) -> the app the consent goes through;
    #: :class:`ConnectorConfigError` naming what is missing (unset app keys, a bad consumer key)
    app: Callable[[Mapping[str, Any], Mapping[str, str]], ConsentApp]
    #: (tokens, the redirect's other parameters, secrets typed) -> (settings the consent brings, secrets to
    #: store); raises with words when the answer lacks something (no company id, no refresh token)
    granted: Callable[[Any, Mapping[str, str], Mapping[str, str]], ConsentGrant] = _no_other_settings
    #: settings the owner gives before the consent (Salesforce: consumer key, login address, callback URL)
    asked_config: tuple[str, ...] = ()
    #: secrets the owner types before the consent (Salesforce: the connected app's consumer secret)
    asked_secrets: tuple[str, ...] = ()
    #: secrets the consent yields; a connection given all of them already needs no consent
    grants: tuple[str, ...] = ("refresh_token",)
    #: whether the given settings sign in through the consent (Salesforce: not for ``flow=jwt_bearer``)
    applies: Callable[[Mapping[str, Any]], bool] = lambda config: True
    #: another way to connect without a browser, if any: (what the owner calls it, the settings it sets)
    other_way: tuple[str, Mapping[str, str]] | None = None


@dataclass(frozen=True)
class Connector:
    """A source that Keel can load from a service's API for a tenant."""

    source: str  # the source name, as in ingestion.sources.SOURCE_NAMES
    title: str  # what an owner calls the service ("Shopify")
    config_model: type[BaseModel]  # the non-secret settings (shop domain, account id, api version...)
    secret_fields: tuple[str, ...]  # names of the secrets it needs (tokens, keys); stored encrypted
    resources: tuple[ResourceSpec, ...]  # settings.RESOURCES of the source, in loading order
    make_source: Callable[[BaseModel, Mapping[str, str], Since], Any]  # -> a dlt source
    #: how far before ``since`` the source asks again (late edits); the loader keeps merging that window
    lookback: timedelta = timedelta(0)
    #: set when the owner connects in the browser (OAuth) rather than by pasting secrets
    consent: Consent | None = None
    #: which of ``secret_fields`` the given settings need (a sign-in flow may need only some); None: all
    needed_secrets: Callable[[BaseModel], tuple[str, ...]] | None = None

    def secrets_for(self, settings: BaseModel) -> tuple[str, ...]:
        """The secrets a load with ``settings`` needs."""
        if self.needed_secrets is None:
            return self.secret_fields
        return self.needed_secrets(settings)

    def needs_consent(self, config: Mapping[str, Any], secrets: Mapping[str, str]) -> bool:
        """True when connecting with these settings and secrets runs the consent: the connector has one,
        the settings sign in through it, and the secrets it grants were not given already."""
        consent = self.consent
        if consent is None or not consent.applies(config):
            return False
        return any(not secrets.get(field) for field in consent.grants)

    def from_consent(
        self,
        given: Mapping[str, Any],
        typed: Mapping[str, str],
        tokens: Any,
        params: Mapping[str, str],
    ) -> tuple[BaseModel, dict[str, str]]:
        """The settings (validated) and secrets to store once the owner approved: what the owner gave,
        with what the consent's answer brings (``Consent.granted``)."""
        if self.consent is None:
            raise ConnectorConfigError(f"{self.title} is not connected by approving Keel in the browser")
        brought, secrets = self.consent.granted(tokens, params, typed)
        return self.parse_config({**given, **brought}), secrets

    def parse_config(self, config: Mapping[str, Any]) -> BaseModel:
        """The settings validated; :class:`ConnectorConfigError` names each bad field and what is wrong."""
        try:
            return self.config_model.model_validate(dict(config))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc']) or 'settings'}: {error['msg']}"
                for error in exc.errors()
            )
            raise ConnectorConfigError(f"{self.title} settings are not valid: {problems}") from None
