"""Project-wide rules that a later change could break without noticing."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path
from typing import Any

import pytest
from importlinter.cli import lint_imports

from keel.settings import KeelSettings

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = [
    "keel",
    "warehouse_init",
    "orchestration",
    "ingestion",
    "models_ml",
    "coach",
    "serving",
    "app",
    "api",
    "cli",
]
LIBRARIES = ["ingestion", "models_ml", "coach"]


def python_files(*packages: str) -> list[Path]:
    return [p for pkg in packages for p in (ROOT / pkg).rglob("*.py")]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_layout() -> None:
    for name in [
        *PACKAGES,
        "dbt_project",
        "tests",
        "workspace.yaml",
        "pyproject.toml",
        "uv.lock",
        "README.md",
    ]:
        assert (ROOT / name).exists(), name


def test_only_the_settings_module_reads_the_environment() -> None:
    offenders = []
    for path in python_files(*PACKAGES, "benchmarks"):
        if path == ROOT / "keel" / "settings.py":
            continue
        source = path.read_text()
        if "os.environ" in source or "os.getenv" in source or "getenv(" in source:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_libraries_do_not_import_dagster() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in python_files(*LIBRARIES)
        if any(mod == "dagster" or mod.startswith(("dagster.", "dagster_")) for mod in imported_modules(path))
    ]
    assert offenders == []


def importlinter_config() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def test_imports_follow_the_layers(capsys: pytest.CaptureFixture[str]) -> None:
    """The contracts in pyproject.toml ([tool.importlinter]) hold: no import runs back up the layers."""
    code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    assert code == 0, capsys.readouterr().out


def test_every_package_sits_in_a_layer() -> None:
    """A new top-level package must be placed in the layers, or the contract would not see it."""
    config = importlinter_config()
    (layers,) = [c for c in config["contracts"] if c["id"] == "layers"]
    layered = {name.strip(" ()") for layer in layers["layers"] for name in layer.split("|")}
    on_disk = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert set(config["root_packages"]) == on_disk == set(PACKAGES)
    assert on_disk <= layered


def test_console_pages_read_only_through_app_data() -> None:
    """Pages render; every read goes through app/data (and so does `keel forecast`)."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in python_files("app")
        if "data" not in path.relative_to(ROOT / "app").parts[:-1]
        and any(
            mod in ("keel.warehouse", "psycopg") or mod.startswith("psycopg.")
            for mod in imported_modules(path)
        )
    ]
    assert offenders == []


#: dlt creates the raw_* tables and their staging copies as it loads; the loader only gives a tenant's
#: staging schema copies of the raw tables' definitions (ingestion.loader.prepare_staging), no table of
#: its own.
DLT_STAGING_COPY = 'sql.SQL("create table if not exists {} (like {})")'


def test_assets_create_no_tables() -> None:
    """Every table is created by a migration in warehouse_init/, not by an asset when it runs."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in python_files("orchestration", "ingestion", "models_ml", "app", "keel")
        if "create table" in path.read_text().replace(DLT_STAGING_COPY, "").lower()
    ]
    assert offenders == []


def test_dbt_core_stays_below_1_12() -> None:
    lock = (ROOT / "uv.lock").read_text()
    block = lock[lock.index('name = "dbt-core"') :]
    version = block.split('version = "', 1)[1].split('"', 1)[0]
    assert tuple(int(p) for p in version.split(".")[:2]) < (1, 12)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KEEL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db.example:5433/keel")
    settings = KeelSettings()
    assert settings.home_dir == (tmp_path / "home").resolve()
    assert not settings.embedded
    monkeypatch.setenv("DATABASE_URL", "")
    assert KeelSettings().embedded
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.delenv("KEEL_HOME")
    monkeypatch.chdir(tmp_path)
    assert KeelSettings().home_dir == (tmp_path / ".keel").resolve()


def test_the_api_imports_neither_dagster_nor_streamlit() -> None:
    """The HTTP API (and the reads it shares with the console) starts without Dagster and Streamlit."""
    import subprocess
    import sys

    probe = (
        "import sys, api.main, api.v1, serving.readers\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in "
        "('dagster', 'dagster_dbt', 'dagster_dlt', 'streamlit')}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
