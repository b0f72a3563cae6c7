"""A worker pool forked inside a Dagster step ends quietly (the traceback the demo printed after evidence).

The step runs as `keel demo` runs it (``execute_job`` of a reconstructable job, in process), where Dagster
turns SIGTERM into ``DagsterExecutionInterruptedError``. The asset forks a ``multiprocessing.Pool`` as
statsforecast does and closes it, which terminates the workers with SIGTERM. Before
``orchestration.forked_processes`` the idle workers printed that error's traceback (4 to 5 of 5 pools in
a trial) and now and then hung the run.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import dagster as dg
import pytest

import orchestration.forked_processes  # noqa: F401  (orchestration.definitions imports it too)

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


@pytest.mark.timeout(300)
def test_forked_workers_end_without_a_traceback(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        result = dg.execute_job(
            dg.reconstructable(forking_job),
            instance=instance,
            run_config={"execution": {"config": {"in_process": {}}}},
        )
    output = capfd.readouterr()
    assert result.success
    assert "Traceback" not in output.err
    assert "DagsterExecutionInterruptedError" not in output.err
