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
class Consent:
    """How an owner grants Keel access in the browser (OAuth 2.0 authorization code,
    :mod:`ingestion.sources.oauth`), for a connector whose service works that way: ``keel source add``
    and the console run the consent instead of asking for secrets."""

    provider: Callable[[], Any]  # -> oauth.OAuthProvider, from Keel's settings
    client: Callable[[], Any]  # -> oauth.OAuthClient; ConnectorConfigError naming the settings when unset
    redirect_uri: Callable[[], str]  # the loopback address registered with the service's app
    #: the connector's settings that the consent's redirect brings (QuickBooks: realmId -> realm_id)
    config_from_redirect: Callable[[Mapping[str, str]], dict[str, str]] = lambda params: {}


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
    #: an owner's approval in the browser (OAuth web server flow): (settings, secrets typed so far, show
    #: the consent URL) -> (settings, secrets to store); gives ``browser_secrets`` (a refresh token)
    authorize: (
        Callable[[BaseModel, Mapping[str, str], Callable[[str], None]], tuple[BaseModel, dict[str, str]]]
        | None
    ) = None
    browser_secrets: tuple[str, ...] = ()

    def secrets_for(self, settings: BaseModel) -> tuple[str, ...]:
        """The secrets a load with ``settings`` needs."""
        if self.needed_secrets is None:
            return self.secret_fields
        return self.needed_secrets(settings)

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
