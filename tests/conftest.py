"""Test session set-up: one embedded PostgreSQL under a temporary KEEL_HOME, started by Keel's own code.

Tests never touch the user's ./.keel. The server is stopped when the session ends, so nothing is left
running for the next session or for CI.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from keel import warehouse
from keel.settings import KeelSettings, get_settings
from warehouse_init.migrate import prepare_warehouse


@pytest.fixture(autouse=True)
def _keep_main_module() -> Iterator[None]:
    """Put ``sys.modules["__main__"]`` back after every test.

    Streamlit's AppTest runs a page as ``__main__`` and leaves it there; a later test whose code spawns
    processes (the evidence asset's tenant workers) would then make every worker re-run that page.
    """
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture(scope="session")
def keel_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("keel")
    saved = {key: os.environ.get(key) for key in ("KEEL_HOME", "DATABASE_URL", "KEEL_DATABASE_URL")}
    os.environ["KEEL_HOME"] = str(home)
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("KEEL_DATABASE_URL", None)
    get_settings.cache_clear()
    yield home
    try:
        warehouse.stop(KeelSettings(home=home))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


@pytest.fixture(scope="session")
def settings(keel_home: Path) -> KeelSettings:
    """Settings of the test warehouse, migrated to the latest revision."""
    current = get_settings()
    prepare_warehouse(current)
    return current


@pytest.fixture
def scratch_settings(settings: KeelSettings) -> Iterator[KeelSettings]:
    """Settings pointing at a new, empty database on the test server (dropped afterwards)."""
    name = f"keel_t_{uuid.uuid4().hex[:10]}"
    scratch = settings.model_copy(update={"database_name": name})
    yield scratch
    with warehouse.connect("admin", autocommit=True, settings=settings) as conn:
        conn.execute(f"drop database if exists {name} with (force)")


#: The shared demo warehouse: one tenant of each demo industry, seven months, built once per session
#: by ``keel demo`` (through Dagster, as a user runs it) in a database of its own.
DEMO_WAREHOUSE_TENANTS = (
    "bluebird-coffee",  # cafe
    "crumb-and-co",  # bakery
    "paper-lantern-books",  # retail shop
    "kindred-skincare",  # online store
    "gloss-and-grain",  # salon (Stripe)
    "ledgerline-advisors",  # B2B services, monthly billing
    "formwise",  # subscription software
)
DEMO_WAREHOUSE_START = "2026-04-01"
DEMO_WAREHOUSE_DATABASE = "keel_demo_warehouse"


@pytest.fixture(scope="session")
def _demo_warehouse_built(settings: KeelSettings) -> Iterator[str]:
    """Run ``keel demo`` once into its own database; yields the database name (dropped at the end)."""
    import json
    import subprocess

    env = {
        **os.environ,
        "KEEL_DATABASE_NAME": DEMO_WAREHOUSE_DATABASE,
        "KEEL_DEMO_TENANTS": json.dumps(list(DEMO_WAREHOUSE_TENANTS)),
        "KEEL_DEMO_START": DEMO_WAREHOUSE_START,
        "COLUMNS": "200",
    }
    out = subprocess.run(
        [sys.executable, "-m", "cli", "demo"], capture_output=True, text=True, env=env, timeout=1800
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    yield DEMO_WAREHOUSE_DATABASE
    with warehouse.connect("admin", autocommit=True, settings=settings) as conn:
        conn.execute(f"drop database if exists {DEMO_WAREHOUSE_DATABASE} with (force)")


@pytest.fixture
def demo_warehouse(_demo_warehouse_built: str) -> Iterator[KeelSettings]:
    """Settings pointing at the shared demo warehouse for the duration of one test.

    The demo runs once per session; tests that use it only read it (or write rows of their own that
    they clean up), so the order of tests does not matter.
    """
    with pointing_at(_demo_warehouse_built) as current:
        yield current


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that needs the shared demo warehouse may be the one that builds it (``keel demo`` of seven
    businesses: about 2 minutes on a quiet machine, 10 on a loaded one): give it room."""
    for item in items:
        if "demo_warehouse" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.timeout(2400))


@contextmanager
def database_of_its_own(keel_home: Path, label: str) -> Iterator[KeelSettings]:
    """A new, migrated database on the test server, the process's settings pointing at it meanwhile.

    For test modules that load the demo businesses' raw data and count it, or build dbt over every
    tenant of the database: other modules load the same demo businesses with other seeds and days, and
    tenants of their own with deliberately incomplete data.
    """
    name = f"keel_{label}_{uuid.uuid4().hex[:8]}"
    try:
        with pointing_at(name) as own:
            prepare_warehouse(own)
            yield own
    finally:
        # through the server's maintenance database: the session's own may not exist in this run
        maintenance = get_settings().model_copy(update={"database_name": "postgres"})
        with warehouse.connect("admin", autocommit=True, settings=maintenance) as conn:
            conn.execute(f"drop database if exists {name} with (force)")


@contextmanager
def pointing_at(database: str) -> Iterator[KeelSettings]:
    """The process's settings (and the subprocesses it starts) point at ``database`` meanwhile."""
    with environment(KEEL_DATABASE_NAME=database) as current:
        yield current


@contextmanager
def environment(**values: str | None) -> Iterator[KeelSettings]:
    """The process's environment (and so its settings and the subprocesses it starts) with ``values``
    meanwhile (None: unset); the settings of that environment are yielded."""
    saved = {key: os.environ.get(key) for key in values}
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()
    try:
        yield get_settings()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()
