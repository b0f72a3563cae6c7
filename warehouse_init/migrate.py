"""Apply Keel's migrations with Alembic, without an alembic.ini: the URL comes from keel.warehouse."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

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
    command.upgrade(alembic_config(settings, url), revision)


def revisions() -> list[str]:
    """Every revision id from the first to the head, in order."""
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head
