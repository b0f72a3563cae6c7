#!/usr/bin/env python3
"""Keel's developer entry point; needs nothing but Python 3.11+.

    python3 dev.py demo    set up .venv from uv.lock, then run Keel's main job on the embedded warehouse
    python3 dev.py test    set up .venv from uv.lock, then lint (ruff), type-check (mypy) and test (pytest)
    python3 dev.py setup   only set up .venv

Extra arguments after `test` go to pytest (e.g. `python3 dev.py test -k rls -x`).
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if sys.platform == "win32" else "bin")
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


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def run(*args: str | Path) -> None:
    started = time.perf_counter()
    result = subprocess.run([str(a) for a in args], cwd=ROOT)
    if result.returncode != 0:
        print(
            f"!! failed ({result.returncode}) after {time.perf_counter() - started:.0f} s: "
            f"{' '.join(str(a) for a in args)}",
            file=sys.stderr,
        )
        sys.exit(result.returncode)


def locked_uv_version() -> str:
    lock = (ROOT / "uv.lock").read_text()
    match = re.search(r'name = "uv"\nversion = "([^"]+)"', lock)
    if not match:
        sys.exit("uv.lock does not pin uv (it belongs to the dev dependency group)")
    return match.group(1)


def setup() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"Keel needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    uv = BIN / "uv"
    version = locked_uv_version()
    if not (BIN / "python").exists():
        step(f"creating {VENV.name}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    have = (
        subprocess.run([str(uv), "--version"], capture_output=True, text=True).stdout if uv.exists() else ""
    )
    if version not in have:
        step(f"installing uv {version}")
        run(
            BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"uv=={version}"
        )
    step("installing the locked dependencies (uv sync --frozen, compiled to bytecode)")
    # The project environment is .venv whichever environment called us. Bytecode is compiled at install
    # time: where PYTHONDONTWRITEBYTECODE is set (as on CI machines and in containers), Python would
    # otherwise compile every imported module from source in every process: importing dlt, Dagster,
    # Streamlit and statsforecast took 30 s instead of 12 s on a loaded 2-core machine.
    run(uv, "sync", "--frozen", "--compile-bytecode", "--python", BIN / "python")
    run(BIN / "python", "-m", "compileall", "-q", *PACKAGES)
    step("preparing the dbt project (dbt parse into dbt_project/target, when it changed)")
    run(BIN / "python", "-m", "orchestration.defs.dbt.project", "--if-changed")


def demo() -> None:
    setup()
    step("keel demo: warehouse, demo businesses, raw loads and every model, built through Dagster")
    run(BIN / "keel", "demo")


def test(pytest_args: list[str]) -> None:
    setup()
    step("ruff (lint and format)")
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    step("mypy")
    run(BIN / "mypy")
    step("pytest")
    run(BIN / "pytest", "-m", "not benchmark", "--durations=40", *pytest_args)


def main() -> None:
    command, *rest = sys.argv[1:] or ["help"]
    if command == "setup":
        setup()
    elif command == "demo":
        demo()
    elif command == "test":
        test(rest)
    else:
        print(__doc__)
        sys.exit(0 if command == "help" else 2)


if __name__ == "__main__":
    main()
