"""A worker pool forked inside a Dagster step ends quietly (the traceback the demo printed after evidence).

The step runs as `keel demo` runs it (``execute_job`` of a reconstructable job, in process, in a fresh
Python process), where Dagster turns SIGTERM into ``DagsterExecutionInterruptedError``. The asset forks
a ``multiprocessing.Pool`` as statsforecast does and closes it, which terminates the workers with
SIGTERM. Without ``orchestration.forked_processes`` the idle workers printed that error's traceback
(4 to 5 of 5 pools in a trial) and now and then hung the run.
"""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import tempfile
from pathlib import Path

import dagster as dg

import orchestration.forked_processes  # noqa: F401  (orchestration.definitions imports it too)

ROOT = Path(__file__).resolve().parents[2]
POOLS = 5


def square(value: int) -> int:
    return value * value


@dg.asset
def forks_worker_pools() -> None:
    for _ in range(POOLS):
        with multiprocessing.get_context("fork").Pool(2) as pool:
            assert pool.map(square, range(4)) == [0, 1, 4, 9]


def forking_job() -> dg.JobDefinition:
    return dg.Definitions(
        assets=[forks_worker_pools], jobs=[dg.define_asset_job("forking", selection=[forks_worker_pools])]
    ).resolve_job_def("forking")


def run_forking_job() -> None:
    """What the test's child process runs: the job, as `keel demo` runs its jobs."""
    with tempfile.TemporaryDirectory() as home:
        (Path(home) / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        with dg.DagsterInstance.from_config(home) as instance:
            result = dg.execute_job(
                dg.reconstructable(forking_job),
                instance=instance,
                run_config={"execution": {"config": {"in_process": {}}}},
            )
    print("run succeeded" if result.success else "run failed")


def test_forked_workers_end_without_a_traceback() -> None:
    # A fresh process: the test session's own threads would make forking hazardous on their own.
    code = "from tests.orchestration.test_forked_processes import run_forking_job; run_forking_job()"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=240, check=False
    )
    assert "run succeeded" in out.stdout, out.stderr[-3000:]
    assert "DagsterExecutionInterruptedError" not in out.stderr, out.stderr[-3000:]
    assert "Traceback" not in out.stderr, out.stderr[-3000:]


def where_it_runs() -> tuple[int, bool, str]:
    """What a tenant run's worker sees: its process, whether the code location and what runs import on
    first use (great-expectations, Dagster's storage) were already imported, and the Keel home its
    settings point at."""
    import os

    from cli.jobs import FRESH_WORKER_PRELOAD
    from keel.settings import get_settings

    preloaded = all(name in sys.modules for name in [*FRESH_WORKER_PRELOAD, "great_expectations"])
    return os.getpid(), preloaded, str(get_settings().home_dir)


def test_each_run_of_the_demo_gets_a_fresh_process_from_the_preloaded_server(tmp_path: Path) -> None:
    # `keel demo` makes each of its runs so (set-up, each tenant's loads and models): both cores busy, and
    # what one run leaves behind (polars' thread pool, caches) ends with its process instead of adding up
    # over hundreds of tenants.
    import os

    from cli import jobs
    from tests.conftest import environment

    first_home, second_home = tmp_path / "first", tmp_path / "second"
    with environment(KEEL_HOME=str(first_home)), jobs._worker_pool(2) as pool:
        first = [future.result(timeout=240) for future in [pool.submit(where_it_runs) for _ in range(4)]]
    # the forkserver outlives the pool and keeps the environment it started in: a later pool's
    # workers still take the environment of the moment they are asked for
    with environment(KEEL_HOME=str(second_home)), jobs._worker_pool(2) as pool:
        second = pool.submit(where_it_runs).result(timeout=240)
    pids = {pid for pid, _, _ in first} | {second[0]}
    assert len(pids) == 5 and os.getpid() not in pids  # one process per run, none of them this one
    assert all(preloaded for _, preloaded, _ in [*first, second])  # forked after the import, not before
    assert {home for _, _, home in first} == {str(first_home)}
    assert second[2] == str(second_home)
