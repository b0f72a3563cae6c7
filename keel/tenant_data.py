"""All of one tenant's data: export it to files, or delete it everywhere (an owner's right to both).

"Everywhere" is found, not listed: every table and materialized view in the warehouse with a
``tenant_id`` column (app state, raw loads and their rejected records, dbt models, ML tables), plus the
tenant's dlt pipeline folders under KEEL_HOME. Both are operator actions, run as the warehouse
administrator (row-level security would hide nothing from the pipeline roles and everything from the
console's), and each is recorded in ``app.tenant_data_events``, which outlives the tenant; an export is
also recorded in the tenant's own audit log.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb

from keel.errors import InvalidInput
from keel.home import private_dir
from keel.settings import get_settings
from keel.tenancy import record_event
from keel.warehouse import TENANT_ROLE_PREFIX, connect, tenant_login


@dataclass(frozen=True)
class TenantRef:
    tenant_id: uuid.UUID
    slug: str
    name: str


@dataclass
class TenantDataResult:
    """What an export wrote or a deletion removed: rows per relation (schema.name)."""

    tenant: TenantRef
    rows: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    folders_removed: list[Path] = field(default_factory=list)
    not_deleted: list[str] = field(default_factory=list)  # materialized views: rebuilt by the next run

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def find_tenant(conn: Any, slug: str) -> TenantRef:
    row = conn.execute("select tenant_id, slug, name from app.tenants where slug = %s", (slug,)).fetchone()
    if row is None:
        raise InvalidInput(f"there is no tenant {slug!r}", "check the slug (the short name of the business)")
    return TenantRef(uuid.UUID(str(row[0])), row[1], row[2])


def tenant_relations(conn: Any) -> list[tuple[str, str, str]]:
    """(schema, name, kind) of every table (not partition) or materialized view with ``tenant_id``."""
    rows = conn.execute(
        """
        select n.nspname, c.relname, c.relkind::text
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
        where c.relkind in ('r', 'p', 'm') and not c.relispartition
          and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
          and format_type(a.atttypid, a.atttypmod) in ('uuid', 'text', 'character varying')
        order by 1, 2
        """
    ).fetchall()
    return [(schema, name, kind) for schema, name, kind in rows]


def _filter(schema: str, name: str) -> sql.Composed:
    return sql.SQL("from {}.{} where tenant_id::text = %s").format(
        sql.Identifier(schema), sql.Identifier(name)
    )


def export_tenant(slug: str, directory: Path, *, actor: str | None = None) -> TenantDataResult:
    """Write every row of the tenant, one CSV file (with a header) per relation, into ``directory``.

    The directory is created private (0700, files 0600): it holds the tenant's personal data.
    """
    directory = private_dir(directory.expanduser().resolve())
    with connect("admin") as conn:
        tenant = find_tenant(conn, slug)
        result = TenantDataResult(tenant)
        for schema, name, _ in tenant_relations(conn):
            path = directory / f"{schema}.{name}.csv"
            query = sql.SQL("copy (select * {} order by 1) to stdout with (format csv, header)").format(
                _filter(schema, name)
            )
            count = 0
            with path.open("wb") as out, conn.cursor().copy(query, (str(tenant.tenant_id),)) as copy:
                for chunk in copy:
                    out.write(bytes(chunk))
            with conn.cursor() as cur:
                count_row = cur.execute(
                    sql.SQL("select count(*) {}").format(_filter(schema, name)), (str(tenant.tenant_id),)
                ).fetchone()
                count = int(count_row[0]) if count_row else 0
            if count:
                result.rows[f"{schema}.{name}"] = count
                result.files.append(path)
            else:
                path.unlink()
        detail = {"directory": str(directory), "rows": result.rows}
        record_event(conn, tenant.tenant_id, "tenant.exported", actor=actor, detail=detail)
        _record(conn, tenant, "tenant.exported", actor, detail)
    return result


def delete_tenant(slug: str, *, actor: str | None = None) -> TenantDataResult:
    """Delete every row of the tenant in one transaction, then its dlt pipeline folders.

    Materialized views cannot be deleted from; they are listed in ``not_deleted`` and lose the rows
    at their next refresh (dbt rebuilds them from the tables emptied here).
    """
    with connect("admin") as conn:
        tenant = find_tenant(conn, slug)
        result = TenantDataResult(tenant)
        # app.tenants last: its foreign keys cascade to the app tables, which are counted first.
        relations = sorted(tenant_relations(conn), key=lambda r: (r[0], r[1]) == ("app", "tenants"))
        for schema, name, kind in relations:
            if (schema, name) == ("app", "tenant_data_events"):
                continue  # the record of exports and of this deletion outlives the tenant
            if kind == "m":
                result.not_deleted.append(f"{schema}.{name}")
                continue
            cur = conn.execute(sql.SQL("delete {}").format(_filter(schema, name)), (str(tenant.tenant_id),))
            if cur.rowcount:
                result.rows[f"{schema}.{name}"] = cur.rowcount
        # The tenant's own login roles belong to the whole server, not to any table: drop them too, after
        # ending their sessions, so nothing can sign in as a deleted tenant.
        logins = [tenant_login(role, tenant.tenant_id) for role in TENANT_ROLE_PREFIX]
        conn.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where usename = any(%s)", (logins,)
        )
        for login in logins:
            conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(login)))
        # dlt's staging schemas of the tenant's pipelines (raw_<source>_<tenant key>_staging, see
        # ingestion.loader.staging_dataset_name): emptied above, named after the tenant, of no use now
        for (schema,) in conn.execute(
            "select nspname from pg_namespace where nspname like %s",
            (f"raw\\_%\\_{tenant.tenant_id.hex}\\_staging",),
        ).fetchall():
            conn.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(schema)))
        _record(
            conn,
            tenant,
            "tenant.deleted",
            actor,
            {"rows": result.rows, "not_deleted": result.not_deleted, "roles_dropped": logins},
        )
    pipelines = get_settings().dlt_pipelines_dir
    if pipelines.exists():
        for folder in pipelines.glob(f"keel_*_{tenant.tenant_id.hex}"):
            shutil.rmtree(folder, ignore_errors=True)
            result.folders_removed.append(folder)
    return result


def _record(conn: Any, tenant: TenantRef, action: str, actor: str | None, detail: dict[str, Any]) -> None:
    conn.execute(
        "insert into app.tenant_data_events (tenant_id, tenant_slug, actor, action, detail) "
        "values (%s, %s, %s, %s, %s)",
        (tenant.tenant_id, tenant.slug, actor, action, Jsonb(detail)),
    )
