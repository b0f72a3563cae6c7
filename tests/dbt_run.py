"""Running Keel's dbt project from a test: one invocation helper and the failures it reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dbt.cli.main import dbtRunner, dbtRunnerResult
from dbt.contracts.results import RunExecutionResult

PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
#: Node statuses that are not failures.
OK = ("success", "pass")


def run_dbt(work_dir: Path, *args: str) -> dbtRunnerResult:
    """``dbt <args>`` on the project, with the profiles, target and logs under ``work_dir``."""
    return dbtRunner().invoke(
        [
            *args,
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(work_dir / "profiles"),
            "--target-path",
            str(work_dir / "target"),
            "--log-path",
            str(work_dir / "logs"),
            "--quiet",
        ]
    )


def node_results(result: dbtRunnerResult) -> list[Any]:
    return list(result.result.results) if isinstance(result.result, RunExecutionResult) else []


def failures(result: dbtRunnerResult) -> list[str]:
    """Every node that did not succeed or pass, with its message (or the invocation's exception)."""
    if result.exception is not None:
        return [repr(result.exception)]
    return [f"{r.node.name}: {r.status} {r.message}" for r in node_results(result) if r.status not in OK]
