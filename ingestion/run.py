"""Load a tenant's connected sources, and keep the record of every load: ``keel ingest run`` and ``status``.

A tenant's sources are its enabled rows of ``app.data_sources``, read as that tenant (``keel_app`` of the
tenant, so row-level security hands out no other tenant's settings) with their secrets decrypted in
memory only (:mod:`keel.secrets`); new secrets a service issues during a load (a rotated OAuth refresh
token) are stored back, encrypted, before the load goes on. Each goes through
:func:`ingestion.loader.load_connector` with the connector of its source type
(:func:`ingestion.sources.connectors`).

Every load leaves one row per (source, resource) in ``app.source_loads`` (written as ``keel_loader``):
when, rows new or changed, records set aside, the latest cursor now loaded, the error and whether the
owner must reconnect. The demo provider records its loads there too (:mod:`ingestion.demo_load`), and so
can any other provider of records (uploaded files). One source's failure never stops the next one.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from ingestion.loader import RecordsProgress, TenantLoad, load_connector, loaded_cursors
from ingestion.sources import connectors as known_connectors
from ingestion.sources import resources as source_resources
from ingestion.sources.connector import Connector
from keel import tenancy, warehouse
from keel.secrets import decrypt_secrets

log = logging.getLogger(__name__)

Provider = Literal["connector", "demo", "file"]


@dataclass(frozen=True)
class ConfiguredSource:
    """One of a tenant's connected sources, with its secrets decrypted (never shown, never logged)."""

    data_source_id: uuid.UUID
    tenant_id: uuid.UUID
    source: str  # the source type: shopify, stripe...
    name: str  # the owner's name for this connection
    config: dict[str, Any]
    secrets: dict[str, str] = field(repr=False)
    last_loaded_at: datetime | None = None
    secrets_error: str | None = None  # why the stored secrets could not be decrypted (key changed...)


@dataclass
class SourceRun:
    """What one configured source did in a run."""

    source: str
    name: str
    data_source_id: uuid.UUID | None
    load: TenantLoad

    @property
    def ok(self) -> bool:
        return self.load.ok


#: (source, resource, valid records extracted so far): one progress bar per resource.
SourceProgress = Callable[[ConfiguredSource, str, int], None]


def configured_sources(tenant_id: str | uuid.UUID, source: str | None = None) -> list[ConfiguredSource]:
    """The tenant's enabled sources (optionally of one source type), secrets decrypted."""
    tenant = warehouse.parse_tenant_id(tenant_id)
    with warehouse.connect("keel_app", tenant_id=tenant) as conn:
        rows = conn.execute(
            "select data_source_id, source_type, name, config, secrets_encrypted, last_loaded_at "
            "from app.data_sources where tenant_id = %s and is_enabled "
            "and (%s::text is null or source_type = %s) order by source_type, name",
            (tenant, source, source),
        ).fetchall()
    found = []
    for data_source_id, source_type, name, config, token, last_loaded_at in rows:
        secrets: dict[str, str] = {}
        secrets_error = None
        try:
            secrets = {str(k): str(v) for k, v in decrypt_secrets(token).items()} if token else {}
        except Exception as exc:  # one source's unreadable secrets must not hide the others
            secrets_error = str(exc)
        found.append(
            ConfiguredSource(
                uuid.UUID(str(data_source_id)),
                tenant,
                source_type,
                name,
                dict(config),
                secrets,
                last_loaded_at,
                secrets_error,
            )
        )
    return found


def tenants_with_source(source: str) -> list[uuid.UUID]:
    """The tenants with an enabled connection of type ``source`` (as ``keel_loader``: no secrets read)."""
    with warehouse.connect("keel_loader") as conn:
        rows = conn.execute(
            "select distinct tenant_id from app.data_sources where source_type = %s and is_enabled "
            "order by tenant_id",
            (source,),
        ).fetchall()
    return [uuid.UUID(str(row[0])) for row in rows]


def run_tenant_sources(
    tenant_id: str | uuid.UUID,
    source: str | None = None,
    progress: SourceProgress | None = None,
    finished: Callable[[SourceRun], None] | None = None,
    connectors: Mapping[str, Connector] | None = None,
) -> list[SourceRun]:
    """Load each of the tenant's enabled sources in turn and record every load; never raises for a source.

    ``progress`` hears how many records of each resource were extracted so far; ``finished`` hears each
    source's outcome as soon as it is done. ``connectors`` None: every connector Keel has.
    """
    tenant = warehouse.parse_tenant_id(tenant_id)
    available = dict(known_connectors() if connectors is None else connectors)
    runs: list[SourceRun] = []
    for configured in configured_sources(tenant, source):
        started = datetime.now(UTC)
        connector = available.get(configured.source)
        if configured.secrets_error is not None:
            load = TenantLoad(
                configured.source,
                str(tenant),
                error=f"the stored credentials cannot be read: {configured.secrets_error}",
                needs_reconnect=True,
            )
            specs = _resource_names(configured.source)
        elif connector is None:
            load = TenantLoad(
                configured.source,
                str(tenant),
                error=f"Keel has no connector for {configured.source} yet",
            )
            specs = _resource_names(configured.source)
        else:
            on_records: RecordsProgress | None = None
            if progress is not None:

                def on_records(resource: str, count: int, configured: ConfiguredSource = configured) -> None:
                    progress(configured, resource, count)

            load = load_connector(
                connector,
                str(tenant),
                configured.config,
                configured.secrets,
                on_records=on_records,
                save_secrets=_secrets_saver(configured),
            )
            specs = [spec.name for spec in connector.resources]
        run = SourceRun(configured.source, configured.name, configured.data_source_id, load)
        try:
            record_loads(
                tenant,
                load,
                specs,
                started_at=started,
                finished_at=datetime.now(UTC),
                data_source_id=configured.data_source_id,
            )
        except Exception as exc:  # the load itself is done; its record failing must not stop the others
            log.exception("recording the %s load of tenant %s failed", configured.source, tenant)
            if load.error is None:
                load.error = f"the load worked but could not be recorded: {exc}"
        runs.append(run)
        if finished is not None:
            finished(run)
    return runs


def _secrets_saver(configured: ConfiguredSource) -> Callable[[dict[str, str]], None]:
    """Stores the new secrets a connector hands back during a load (a rotated OAuth refresh token) in
    ``app.data_sources``, encrypted and committed before the load goes on."""

    def save(secrets: dict[str, str]) -> None:
        tenancy.replace_data_source_secrets(configured.tenant_id, configured.data_source_id, secrets)
        log.info("stored renewed credentials of %s %r", configured.source, configured.name)

    return save


def _resource_names(source: str) -> list[str]:
    try:
        return [spec.name for spec in source_resources(source)]
    except KeyError:
        return ["(all)"]


def record_loads(
    tenant_id: str | uuid.UUID,
    load: TenantLoad,
    resources: Iterable[str],
    *,
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
    data_source_id: uuid.UUID | None = None,
    provider: Provider = "connector",
    provider_window: str | None = None,
) -> uuid.UUID:
    """One ``app.source_loads`` row per resource of ``load``; returns the run id they share.

    ``provider_window`` is what the provider was asked for (the demo's seed and days), kept so that the
    same request next time can be recognised and skipped.

    The cursor is the latest one now loaded for the tenant and resource (read from the loaded rows);
    a successful load of a configured source also sets its ``last_loaded_at``.
    """
    tenant = warehouse.parse_tenant_id(tenant_id)
    finished_at = finished_at or datetime.now(UTC)
    started_at = started_at or finished_at - timedelta(seconds=load.seconds)
    names = list(resources)
    cursors: dict[str, datetime | None] = {}
    known = {spec.name: spec for spec in _specs(load.source)}
    if known:
        cursors = loaded_cursors(load.source, [known[n] for n in names if n in known], str(tenant))
    run_id = uuid.uuid4()
    with warehouse.connect("keel_loader") as conn:
        conn.cursor().executemany(
            """
            insert into app.source_loads (run_id, tenant_id, data_source_id, provider, source, resource,
                started_at, finished_at, rows, rejected, cursor, error, needs_reconnect, provider_window)
            values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            """,
            [
                (
                    run_id,
                    tenant,
                    data_source_id,
                    provider,
                    load.source,
                    name,
                    started_at,
                    finished_at,
                    load.rows.get(name, 0),
                    load.rejected_by_resource.get(name, 0),
                    cursors.get(name),
                    load.error,
                    load.needs_reconnect,
                    provider_window,
                )
                for name in names
            ],
        )
        if data_source_id is not None and load.ok:
            conn.execute(
                "update app.data_sources set last_loaded_at = %s "
                "where data_source_id = %s and tenant_id = %s",
                (finished_at, data_source_id, tenant),
            )
    return run_id


def _specs(source: str) -> Sequence[Any]:
    try:
        return source_resources(source)
    except KeyError:
        return ()


@dataclass(frozen=True)
class ResourceStatus:
    """The latest load of one resource of one of a tenant's sources."""

    tenant_id: uuid.UUID
    tenant_slug: str
    source: str
    resource: str
    provider: str
    source_name: str | None  # the owner's name for the connection (None: demo or file)
    started_at: datetime
    finished_at: datetime
    rows: int
    rejected: int
    cursor: datetime | None
    error: str | None
    needs_reconnect: bool

    @property
    def ok(self) -> bool:
        return self.error is None


LATEST_LOADS = """
    select distinct on (l.tenant_id, l.source, l.data_source_id, l.resource)
        l.tenant_id, t.slug, l.source, l.resource, l.provider, d.name, l.started_at, l.finished_at,
        l.rows, l.rejected, l.cursor, l.error, l.needs_reconnect
    from app.source_loads l
    join app.tenants t on t.tenant_id = l.tenant_id
    left join app.data_sources d on d.data_source_id = l.data_source_id
    where (%s::uuid is null or l.tenant_id = %s)
    order by l.tenant_id, l.source, l.data_source_id, l.resource, l.started_at desc, l.finished_at desc
"""


def latest_loads(tenant_id: str | uuid.UUID | None = None) -> list[ResourceStatus]:
    """The latest load of each (tenant, source, resource); one tenant's as that tenant, or all tenants'.

    One tenant: read as its ``keel_app`` login (row-level security). All tenants: as ``keel_loader``,
    the operator's view (``keel ingest status`` without ``--tenant``).
    """
    tenant = warehouse.parse_tenant_id(tenant_id) if tenant_id is not None else None
    if tenant is not None:
        with warehouse.connect("keel_app", tenant_id=tenant) as conn:
            rows = conn.execute(LATEST_LOADS, (tenant, tenant)).fetchall()
    else:
        with warehouse.connect("keel_loader") as conn:
            # keel_loader reads app.data_sources' names but no secrets
            rows = conn.execute(LATEST_LOADS, (None, None)).fetchall()
    statuses = [ResourceStatus(uuid.UUID(str(r[0])), *r[1:]) for r in rows]
    return sorted(statuses, key=lambda s: (s.tenant_slug, s.source, s.source_name or "", s.resource))
