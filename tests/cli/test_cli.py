"""The `keel` command as a user runs it: a separate process, real warehouse, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

from keel import warehouse
from keel.settings import KeelSettings
from warehouse_init.migrate import head_revision


def keel(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=full_env, timeout=180
    )


def test_version() -> None:
    out = keel("--version")
    assert out.returncode == 0
    assert out.stdout.startswith("keel 0.")


def test_the_installed_keel_command_and_python_m_cli_run_the_same_app() -> None:
    """pyproject's console script points at cli.main; both ways in name the command `keel`."""
    script = Path(sys.executable).parent / "keel"
    installed = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}
    )
    module = keel("--help")
    for out in (installed, module):
        assert out.returncode == 0, out.stderr
        assert "Usage: keel [OPTIONS] COMMAND" in out.stdout
        for command in ("init", "demo", "ui", "forecast", "db"):
            assert f" {command} " in out.stdout
    assert installed.stdout == module.stdout


def test_init_is_safe_to_run_again_and_status_reports_the_embedded_server(settings: KeelSettings) -> None:
    for _ in range(2):
        out = keel("init")
        assert out.returncode == 0, out.stderr
        assert f"schema revision {head_revision()}" in out.stdout
    status = keel("db", "status")
    assert status.returncode == 0
    assert "embedded (up)" in status.stdout
    assert str(settings.pgdata_dir) in status.stdout
    # disk use by schema and by KEEL_HOME folder, the WAL on its own line
    assert "disk use by schema" in status.stdout and "disk use under KEEL_HOME" in status.stdout
    assert "pgdata/pg_wal" in status.stdout


def test_db_url_logs_in_as_the_role_asked_for(settings: KeelSettings) -> None:
    out = keel("db", "url", "--role", "keel_analyst")
    assert out.returncode == 0
    with psycopg.connect(out.stdout.strip()) as conn:
        assert conn.execute("select current_user").fetchone() == ("keel_analyst",)


def test_errors_are_one_line_without_traceback_unless_debug(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": "postgresql://nobody:pw@127.0.0.1:1/nothing",
        "KEEL_HOME": str(tmp_path),
        "KEEL_ROLE_PASSWORD": "a-long-enough-role-secret",
    }
    out = keel("init", env=env)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot reach the DATABASE_URL server")
    assert "Traceback" not in out.stderr
    debug = keel("--debug", "init", env=env)
    assert debug.returncode == 1 and "Traceback" in debug.stderr
    # With DATABASE_URL set, Keel never starts its own server.
    assert not (tmp_path / "pgdata").exists()


def test_an_external_server_is_used_as_it_is(
    settings: KeelSettings, scratch_settings: KeelSettings, tmp_path: Path
) -> None:
    """DATABASE_URL mode, against a database on the test server reached like any other server."""
    warehouse.ensure_embedded_database(scratch_settings)
    params = warehouse.role_params("admin", scratch_settings)
    url = (
        f"postgresql://postgres:{params['password']}@/{scratch_settings.database_name}?host={params['host']}"
    )
    env = {"DATABASE_URL": url, "KEEL_HOME": str(tmp_path), "KEEL_ROLE_PASSWORD": "role-pass-for-test"}
    try:
        out = keel("init", env=env)
    finally:
        # Roles belong to the server: `keel init` set them from KEEL_ROLE_PASSWORD; back to this session's.
        warehouse.apply_role_passwords(settings)
    assert out.returncode == 0, out.stderr
    assert "external PostgreSQL" in out.stdout
    assert not (tmp_path / "pgdata").exists()
    status = keel("db", "status", env=env)
    assert "external (up)" in status.stdout and head_revision() in status.stdout
    stop = keel("db", "stop", env=env)
    assert stop.returncode == 1 and "will not stop it" in stop.stderr
    with psycopg.connect(url) as conn:
        assert conn.execute("select version_num from alembic_version").fetchone() == (head_revision(),)
