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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError

from ingestion.sources.spec import ResourceSpec

#: per resource name: the latest cursor already loaded for the tenant (UTC), or None (load everything)
Since = Mapping[str, datetime | None]


class ConnectorConfigError(ValueError):
    """A connector's settings are missing or malformed; the message names each field and the problem."""


class ConnectorAuthError(RuntimeError):
    """The service refused the stored credentials (revoked, expired, wrong scope): the owner must
    reconnect the source. Other sources and tenants keep loading."""


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
