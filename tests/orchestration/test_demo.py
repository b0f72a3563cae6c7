"""`keel demo` end to end, as a user runs it, on a small demo (2 tenants, 4 months) to stay fast;
and `keel ui` serving both user interfaces.

The demo runs on a second PostgreSQL server through DATABASE_URL (TCP, password authentication; see
tests/second_server.py), so that running on a managed PostgreSQL stays a tested path; every other test
uses the embedded server."""

from __future__ import annotations

import datetime
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from keel import warehouse
from keel.settings import KeelSettings
from tests.conftest import environment
from tests.second_server import ExternalServer, external_server

#: The first demo of this module is several Dagster runs (set-up, each tenant, the models): on a busy
#: 2-core machine it took 648 s, past the suite's default 600 s per test (its own watch stops at 1200 s).
pytestmark = pytest.mark.timeout(1500)

DEMO_ENV = {
    "KEEL_DEMO_TENANTS": json.dumps(["bluebird-coffee", "formwise"]),
    "KEEL_DEMO_START": "2026-07-01",
    "COLUMNS": "200",
}
ROLE_PASSWORD = "a-long-role-secret-for-the-second-server"
#: the demo runs twice here: about 3 minutes on a quiet machine, far more on a busy one
pytestmark = pytest.mark.timeout(1800)


def keel(*args: str, timeout: float = 1200) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **DEMO_ENV},
        timeout=timeout,
    )


def table_counts() -> dict[str, int]:
    with warehouse.connect("admin") as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "select format('%I.%I', schemaname, tablename) from pg_tables "
                "where schemaname in ('raw_shopify', 'raw_stripe', 'raw_quickbooks', 'marts', 'metrics') "
                "and tablename not like '\\_dlt%'"
            ).fetchall()
        ]
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}  # type: ignore[index]


@pytest.fixture(scope="module")
def second_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExternalServer]:
    """A PostgreSQL server of its own on 127.0.0.1 with password authentication: the demo runs there
    through DATABASE_URL, as on a managed PostgreSQL, so that path stays tested end to end."""
    with external_server(tmp_path_factory.mktemp("second-server")) as server:
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute("create database keel_demo_test")
            conn.execute("create database keel_refused")
        yield server


@pytest.fixture(scope="module")
def demo_database(settings: KeelSettings, second_server: ExternalServer) -> Iterator[KeelSettings]:
    """The demo's warehouse: a database on the second server (its tenants must not mix with other tests')."""
    with environment(
        DATABASE_URL=second_server.url("keel_demo_test"), KEEL_ROLE_PASSWORD=ROLE_PASSWORD
    ) as current:
        yield current


def test_missing_settings_for_an_external_server_are_refused_up_front(
    settings: KeelSettings, second_server: ExternalServer
) -> None:
    """Without KEEL_ROLE_PASSWORD, `keel init` on a DATABASE_URL server says what to set, touches nothing."""
    with environment(DATABASE_URL=second_server.url("keel_refused"), KEEL_ROLE_PASSWORD=None):
        out = keel("init", timeout=300)
    assert out.returncode != 0
    assert "KEEL_ROLE_PASSWORD is not set" in out.stderr + out.stdout
    with psycopg.connect(second_server.url("keel_refused")) as conn:
        assert conn.execute("select to_regclass('public.alembic_version')").fetchone() == (None,)
        assert conn.execute("select count(*) from pg_roles where rolname like 'keel%'").fetchone() == (0,)


SUPERUSER_BACKENDS = """
    select a.usename::text, a.application_name, a.backend_type
    from pg_stat_activity a join pg_roles r on r.oid = a.usesysid
    where r.rolsuper and a.backend_type = 'client backend' and a.pid <> pg_backend_pid()
"""


def run_demo_watching_sessions(
    settings: KeelSettings,
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """Run `keel demo`; after its set-up step, sample pg_stat_activity as the only observer (#13 item 6)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **DEMO_ENV},
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
    reader.start()
    errors: list[str] = []
    err_reader = threading.Thread(target=lambda: errors.extend(proc.stderr or []), daemon=True)
    err_reader.start()
    seen: dict[str, Any] = {"samples": 0, "superusers": [], "roles": set()}
    deadline = time.monotonic() + 1200
    with warehouse.connect("admin", autocommit=True, settings=settings) as observer:
        while proc.poll() is None and time.monotonic() < deadline:
            if any("2/3" in line for line in lines):  # step 1 (set-up, as the administrator) is over
                seen["superusers"] += observer.execute(SUPERUSER_BACKENDS).fetchall()
                seen["roles"] |= {
                    r[0]
                    for r in observer.execute(
                        "select distinct usename::text from pg_stat_activity"
                    ).fetchall()
                }
                seen["samples"] += 1
            time.sleep(0.5)
    proc.wait(timeout=60)
    reader.join(timeout=10)
    err_reader.join(timeout=10)
    out = subprocess.CompletedProcess(proc.args, proc.returncode, "".join(lines), "".join(errors))
    return out, seen


@pytest.fixture(scope="module")
def first_demo(demo_database: KeelSettings) -> dict[str, Any]:
    began = datetime.datetime.now(datetime.UTC)
    started = time.perf_counter()
    out, sessions = run_demo_watching_sessions(demo_database)
    return {
        "began": began,
        "out": out,
        "seconds": time.perf_counter() - started,
        "counts": table_counts(),
        "sessions": sessions,
    }


def test_no_superuser_connects_while_the_demo_runs(first_demo: dict[str, Any]) -> None:
    """Only `keel init` and the demo's set-up step are the administrator; dlt, dbt, assets use their roles."""
    sessions = first_demo["sessions"]
    assert sessions["samples"] >= 5, sessions  # the observer watched the run
    assert sessions["superusers"] == []
    assert {"keel_loader", "keel_transformer"} <= sessions["roles"], sessions["roles"]


def test_demo_builds_everything_through_dagster(first_demo: dict[str, Any]) -> None:
    out = first_demo["out"]
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "Keel demo done" in out.stdout
    assert "checks passed" in out.stdout
    passed, total = (int(x) for x in out.stdout.split("checks passed", 1)[1].split()[:3:2])
    warned = int(out.stdout.split("checks warned", 1)[1].split()[0]) if "checks warned" in out.stdout else 0
    assert total > 10 and passed + warned == total  # a warning is a data-quality finding, not a failure
    counts = first_demo["counts"]
    assert counts["raw_shopify.orders"] > 1000
    assert counts["metrics.business_metrics_daily"] > 100
    assert counts["marts.orders"] > 1000
    # Progress was shown while the runs went: a line per tenant and source, one per tenant run, and dbt's
    # line per model.
    shown = out.stdout + out.stderr
    assert "shopify of bluebird-coffee: " in shown
    assert "tenant_sources of formwise: " in shown
    assert "metrics.business_metrics_daily" in shown
    # A run that succeeds prints no traceback (forked workers once printed DagsterExecutionInterruptedError).
    assert "Traceback" not in shown


def test_demo_is_safe_to_run_again(first_demo: dict[str, Any]) -> None:
    again = keel("demo")
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert table_counts() == first_demo["counts"]


def test_dagster_recorded_the_run_and_owner_can_sign_in(
    first_demo: dict[str, Any], demo_database: KeelSettings
) -> None:
    import dagster as dg

    from keel import tenancy

    user = tenancy.authenticate("owner@bluebird-coffee.demo.keel.dev", "keel-demo-password")
    with warehouse.connect("keel_app", tenant_id=user.tenant_id) as conn:
        tenants = conn.execute("select distinct tenant_id from metrics.business_metrics_daily").fetchall()
    assert tenants == [(user.tenant_id,)]
    instance = dg.DagsterInstance.from_config(str(demo_database.dagster_home))
    # the Keel home's Dagster instance is shared with the other tests of the session: only this demo's runs
    runs = instance.get_runs(filters=dg.RunsFilter(created_after=first_demo["began"]))
    assert {"keel_setup", "tenant_sources", "keel_models"} <= {run.job_name for run in runs}
    # each tenant's loads ran as its partition
    partitions = {run.tags.get("dagster/partition") for run in runs if run.job_name == "tenant_sources"}
    assert partitions == {"bluebird-coffee", "formwise"}
    # with a step for each of the tenant's own sources only (as the refresh sensor's runs), and no checks
    from ingestion.demo.profiles import demo_profile

    for run in runs:
        if run.job_name == "tenant_sources":
            slug = run.tags["dagster/partition"]
            steps = {stat.step_key for stat in instance.get_run_step_stats(run.run_id)}
            assert steps == {f"dlt_{source}" for source in demo_profile(slug).sources}, slug  # type: ignore[union-attr]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_ui_serves_dagster_and_the_console(demo_database: KeelSettings, tmp_path: Path) -> None:
    dagster_port, console_port = free_port(), free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli",
            "ui",
            "--dagster-port",
            str(dagster_port),
            "--console-port",
            str(console_port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **DEMO_ENV},
    )
    try:
        seen: dict[str, str] = {}
        deadline = time.monotonic() + 240
        urls = {
            "dagster": f"http://127.0.0.1:{dagster_port}/server_info",
            "console": f"http://127.0.0.1:{console_port}/_stcore/health",
        }
        while time.monotonic() < deadline and len(seen) < 2:
            for name, url in urls.items():
                if name in seen:
                    continue
                try:
                    with urllib.request.urlopen(url, timeout=2) as response:
                        seen[name] = response.read().decode()[:200]
                except OSError:
                    pass
            time.sleep(1)
        assert set(seen) == {"dagster", "console"}, seen
        assert "dagster_webserver_version" in seen["dagster"]
        assert seen["console"].strip() == "ok"
    finally:
        process.terminate()
        output = process.communicate(timeout=60)[0]
    assert f"Dagster UI: http://127.0.0.1:{dagster_port}" in output
    assert f"console: http://127.0.0.1:{console_port}" in output
