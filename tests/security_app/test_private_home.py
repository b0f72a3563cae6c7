"""KEEL_HOME is private to its owner (directories 0700, files 0600) and dlt keeps no copies of loads.

A fresh home is created private by a `keel init` started with the usual umask 022; an old home with
world-readable files is repaired by the same command. Completed dlt load packages are deleted after the
load; a package with failed jobs is kept for the retention period and deleted after it.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from ingestion import loader
from keel import warehouse
from keel.home import exposed_paths, home_mode, secure_home
from keel.settings import KeelSettings

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_secure_home_takes_group_and_other_access_away(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "dlt" / "keel_shopify_x" / "load" / "loaded").mkdir(parents=True, mode=0o755)
    copy = home / "dlt" / "keel_shopify_x" / "load" / "loaded" / "orders.csv"
    copy.write_text("owner@example.com,12.00\n")
    copy.chmod(0o644)
    tool = home / "dagster" / "run.sh"
    tool.parent.mkdir()
    tool.parent.chmod(0o777)
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    # Explicit modes: mkdir's are masked by the process umask, which Keel sets to 077 once it has run.
    for directory in (home, *(home / "dlt" / "keel_shopify_x" / "load" / "loaded").relative_to(home).parents):
        (home / directory).chmod(0o755)
    (home / "dlt" / "keel_shopify_x" / "load" / "loaded").chmod(0o755)
    settings = KeelSettings(home=home)
    assert len(exposed_paths(settings)) == 8

    repair = secure_home(settings)

    assert exposed_paths(settings) == []
    assert (repair.directories_fixed, repair.files_fixed) == (6, 2)
    assert mode(home) == home_mode(settings) and mode(copy) == 0o600
    assert mode(tool) == 0o700  # the owner keeps the execute bit
    assert secure_home(settings).files_fixed == 0  # nothing left to do


def test_keel_init_creates_a_private_home_and_repairs_an_old_one(tmp_path: Path) -> None:
    home = tmp_path / "old-home"
    (home / "dlt").mkdir(parents=True)
    leftover = home / "dlt" / "orders.csv"
    leftover.write_text("owner@example.com\n")
    for path, wanted in ((home, 0o755), (home / "dlt", 0o755), (leftover, 0o644)):
        path.chmod(wanted)
    env = {**os.environ, "KEEL_HOME": str(home), "DATABASE_URL": ""}
    env.pop("KEEL_DATABASE_URL", None)

    def keel(*args: str) -> subprocess.CompletedProcess[str]:
        # umask 022, as in a usual shell: Keel must not rely on the caller's umask.
        return subprocess.run(
            [sys.executable, "-c", "import os; os.umask(0o022); from cli.main import main; main()", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )

    try:
        done = keel("init")
        assert done.returncode == 0, done.stderr
        exposed = exposed_paths(KeelSettings(home=home))
        assert exposed == [], exposed
        assert mode(leftover) == 0o600
        assert (home / "pgdata").is_dir() and mode(home / "pgdata" / "postgresql.conf") == 0o600
        assert "private" in done.stdout
    finally:
        keel("db", "stop")


@pytest.fixture
def scratch_pipeline(settings: KeelSettings) -> Iterator[loader.dlt.Pipeline]:
    pipeline = loader.make_pipeline("sectest")
    yield pipeline
    pipeline.drop()
    with warehouse.connect("admin", autocommit=True) as conn:
        conn.execute("drop schema if exists raw_sectest cascade")
        conn.execute("drop schema if exists raw_sectest_staging cascade")


def package_files(pipeline: loader.dlt.Pipeline) -> list[Path]:
    root = Path(pipeline.working_dir) / "load"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_successful_load_leaves_no_copy_of_the_records(
    settings: KeelSettings, scratch_pipeline: loader.dlt.Pipeline
) -> None:
    rows = [{"id": i, "email": f"customer{i}@example.com"} for i in range(50)]
    scratch_pipeline.run(loader.dlt.resource(rows, name="people")).raise_on_failed_jobs()
    assert any("customer" in p.read_text(errors="ignore") for p in package_files(scratch_pipeline)) is False
    assert loader.prune_load_packages(scratch_pipeline) == 1
    assert scratch_pipeline.list_completed_load_packages() == []
    leftovers = [p for p in package_files(scratch_pipeline) if "customer" in p.read_text(errors="ignore")]
    assert leftovers == []
    assert exposed_paths(settings) == []


def test_a_failed_package_is_kept_for_the_retention_period_then_deleted(
    settings: KeelSettings, scratch_pipeline: loader.dlt.Pipeline
) -> None:
    scratch_pipeline.run(loader.dlt.resource([{"id": 1, "amount": 5}], name="charges")).raise_on_failed_jobs()
    with warehouse.connect("admin", autocommit=True) as conn:
        conn.execute("alter table raw_sectest.charges add constraint positive check (amount > 0)")
    with pytest.raises(PipelineStepFailed, match="positive"):
        scratch_pipeline.run(loader.dlt.resource([{"id": 2, "amount": -5}], name="charges"))
    pending = scratch_pipeline.list_normalized_load_packages()
    assert len(pending) == 1

    kept_days = settings.failed_load_retention_days
    assert loader.prune_load_packages(scratch_pipeline) == 1  # the first, successful package only
    assert scratch_pipeline.list_normalized_load_packages() == pending  # kept: the next run retries it
    later = datetime.now(UTC) + timedelta(days=kept_days, minutes=1)
    assert loader.prune_load_packages(scratch_pipeline, now=later) == 1
    assert scratch_pipeline.list_normalized_load_packages() == []
    assert scratch_pipeline.list_completed_load_packages() == []
    assert [p for p in package_files(scratch_pipeline) if "-5" in p.read_text(errors="ignore")] == []


def test_dagster_creates_its_run_storage_private(settings: KeelSettings) -> None:
    """Dagster writes its sqlite run and event storage under KEEL_HOME/dagster after Keel prepared it."""
    import dagster as dg

    from cli.jobs import dagster_home

    previous = os.umask(0o022)  # as a fresh process started from a usual shell
    try:
        home = dagster_home()
        instance = dg.DagsterInstance.from_config(str(home))
        try:
            instance.get_runs()  # opens (and creates) the run storage
        finally:
            instance.dispose()
    finally:
        os.umask(previous)
    created = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in created), created
    assert [p for p in created if p.stat().st_mode & 0o077] == []
    assert mode(home) == 0o700


def test_keel_init_on_a_fresh_machine_creates_the_home(tmp_path: Path) -> None:
    """The README's first command on a machine with no KEEL_HOME yet: `keel init` creates it (a role secret
    written before the home existed once failed here, which no test with a prepared home could see)."""
    home = tmp_path / "not-there-yet" / ".keel"
    env = {**os.environ, "KEEL_HOME": str(home), "DATABASE_URL": ""}
    env.pop("KEEL_DATABASE_URL", None)
    env.pop("KEEL_ROLE_PASSWORD", None)
    run = [sys.executable, "-m", "cli"]
    try:
        done = subprocess.run([*run, "init"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        assert (home / "role.key").is_file() and (home / "pgdata" / "PG_VERSION").is_file()
    finally:
        subprocess.run([*run, "db", "stop"], cwd=ROOT, env=env, capture_output=True, timeout=120)
