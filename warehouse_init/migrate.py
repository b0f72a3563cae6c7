"""Apply Keel's migrations with Alembic, without an alembic.ini: the URL comes from keel.warehouse."""

from __future__ import annotations

from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from keel import warehouse
from keel.errors import WarehouseUnavailable
from keel.settings import KeelSettings, get_settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(settings: KeelSettings | None = None, url: str | None = None) -> Config:
    """Alembic configuration for the warehouse of ``settings`` (or for an explicit admin ``url``)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["settings"] = settings or get_settings()
    if url is not None:
        config.attributes["url"] = url
    return config


def upgrade(revision: str = "head", settings: KeelSettings | None = None, url: str | None = None) -> None:
    """Bring the warehouse to ``revision``; a no-op when it is there already."""
    if url is None:
        warehouse.ensure_embedded_database(settings or get_settings())
    command.upgrade(alembic_config(settings, url), revision)


_prepared: set[tuple[str, str, str]] = set()


def prepare_warehouse(settings: KeelSettings | None = None) -> None:
    """`keel init`: start the server if embedded, require passwords on it, migrate, set every role's password.

    Once a process (safe to run again: every step is idempotent). Long-running processes never call it.
    """
    settings = settings or get_settings()
    key = (str(settings.home_dir), settings.database_url or "", settings.database_name)
    if key in _prepared:
        return
    if not settings.embedded:
        # Settings an external server needs are refused before anything touches it (a half-initialized
        # warehouse whose roles have no passwords would only fail later, in the first step that logs in).
        warehouse.role_secret(settings)
    warehouse.ensure_server(settings)
    warehouse.secure_embedded_server(settings)
    warehouse.ensure_embedded_database(settings)
    warehouse.tune_embedded_server(settings)
    try:
        psycopg.connect(**warehouse.role_params("admin", settings), connect_timeout=10).close()
    except psycopg.OperationalError as exc:
        where = "the embedded server" if settings.embedded else "the DATABASE_URL server"
        raise WarehouseUnavailable(
            f"cannot reach {where}: {str(exc).strip().splitlines()[0]}",
            "check that it runs and accepts this user (`keel db status`)",
        ) from exc
    upgrade(settings=settings)
    warehouse.apply_role_passwords(settings)
    _prepared.add(key)


def revisions() -> list[str]:
    """Every revision id from the first to the head, in order."""
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head
