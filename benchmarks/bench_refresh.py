"""Benchmark of refresh cost (issue 15 item 7): a full build against a scheduled refresh with no new data and
one with one new day of data for every tenant, printed side by side.

Run from the repository root (a fresh KEEL_HOME is made under --home):

    .venv/bin/python benchmarks/bench_refresh.py --tenants bluebird-coffee formwise --start 2026-07-01

1. full build: ``keel demo`` through to the end day (``--end``, default the simulator's last day minus
   one) in a subprocess, as a user runs it;
2. no new data: what the schedules do when every tenant's sources are due: each tenant's ``tenant_sources``
   run (``KEEL_PARALLEL_TENANTS`` at a time, as ``keel demo`` runs them), then Dagster's evaluation of the
   automation conditions (as the ``keel_automation`` sensor does, its cursor kept between evaluations)
   and a run of whatever it requests;
3. one new day: the same after moving the demo's end day forward by one (``KEEL_DEMO_END``); with
   ``--days N``, N times, a day further each time, and their median (this machine's runs spread by 10%).

The models' daily refit (forecasts, evidence, plans) and the staging views' tests wait for their cron tick,
so the refreshes rebuild the dbt models (with the tests that ride along, as the automation sensor's runs
take them) and what follows them at the next ticks, if anything (a refresh goes on until an evaluation
requests nothing); the table says what each refresh ran. Prints wall seconds, CPU
seconds (user + system of this process and its children) and the load average at the start of each.
docs/benchmarks.md ("## Refresh cost") records the figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@dataclass
class Step:
    name: str
    wall: float
    cpu: float
    load: float
    ran: str


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _machine_busy() -> float:
    """CPU seconds the whole machine spent busy so far (every process, the database server's too)."""
    import psutil

    times = psutil.cpu_times()
    return (
        times.user + times.nice + times.system + getattr(times, "irq", 0.0) + getattr(times, "softirq", 0.0)
    )


def full_build(env: dict[str, str]) -> Step:
    load, started, cpu = os.getloadavg()[0], time.perf_counter(), _cpu()
    out = subprocess.run(
        [sys.executable, "-m", "cli", "demo"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"keel demo failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB -> MiB (largest child)
    from keel.home import folder_sizes
    from keel.settings import KeelSettings

    sizes = folder_sizes(KeelSettings(home=Path(env["KEEL_HOME"])))
    home = ", ".join(f"{name} {size / 1e6:,.0f} MB" for name, size in sizes.items())
    total = sum(sizes.values()) / 1e6
    ran = f"everything; largest process {peak:,.0f} MiB; KEEL_HOME {total:,.0f} MB ({home})"
    return Step("full build (keel demo)", wall, _cpu() - cpu, load, ran)


def _tick(instance: Any, cursor: Any) -> tuple[list[Any], Any]:
    """One evaluation of the automation as the ``keel_automation`` sensor's tick runs it in Dagster's daemon
    (``AutomationTickEvaluationContext``, whose new cursor reads the tenants' partitions through its
    caching queryer), with the changed evaluations stored as the daemon stores them; its run requests and
    cursor. ``dg.evaluate_automation_conditions``, the test helper, builds the cursor reading the partitions
    from Dagster's SQLite once per partitioned subset: about 1,500 reads, 3 s more per evaluation on the
    full demo than the sensor spends. Backfills are not emitted: a partition's request is a run of its own.
    """
    import dagster as dg
    from dagster._core.definitions.asset_daemon_cursor import AssetDaemonCursor
    from dagster._core.definitions.automation_tick_evaluation_context import AutomationTickEvaluationContext
    from dagster._core.definitions.partitions.context import partition_loading_context

    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    cursor = cursor or AssetDaemonCursor.empty()
    context = AutomationTickEvaluationContext(
        evaluation_id=cursor.evaluation_id + 1,
        instance=instance,
        asset_graph=graph,
        cursor=cursor,
        materialize_run_tags={},
        observe_run_tags={},
        auto_observe_asset_keys=set(),
        asset_selection=dg.AssetSelection.all(),
        logger=logging.getLogger("bench_refresh"),
        emit_backfills=False,
        asset_job_keys=graph.automatable_asset_job_keys,
    )
    requests, new_cursor, evaluations = context.evaluate()
    if evaluations:
        with partition_loading_context(effective_dt=datetime.now(), dynamic_partitions_store=instance):
            instance.schedule_storage.add_auto_materialize_asset_evaluations(
                new_cursor.evaluation_id, [e.with_run_ids(set()) for e in evaluations]
            )
    return list(requests), new_cursor


def _run_requested(instance: Any, requests: list[Any], phases: list[str]) -> int:
    """Run what a tick requested, a run per request as the sensor launches them; the assets run."""
    import dagster as dg

    from cli import jobs
    from orchestration.definitions import defs, keel_models_job, tenant_models_job

    graph = defs.get_repository_def().asset_graph
    rebuilt = 0
    for request in requests:
        selection = set(request.asset_selection or [])
        # the checks a run of the sensor's takes: those requested, and those of its assets that have no
        # automation condition of their own (the staging views' tests have one: the daily tick)
        riding = {
            check
            for check in graph.get_check_keys_for_assets(selection)
            if graph.get(check).automation_condition is None
        } | set(request.asset_check_keys or [])
        partition = request.partition_key
        before = time.perf_counter()
        result = dg.execute_job(
            dg.reconstructable(tenant_models_job if partition else keel_models_job).get_subset(
                asset_selection=selection, asset_check_selection=riding
            ),
            instance=instance,
            run_config=jobs.DEMO_RUN_CONFIG,
            tags={"dagster/partition": partition} if partition else None,
            raise_on_error=False,
        )
        if not result.success:
            raise SystemExit(f"the requested models failed ({partition or 'every tenant'})")
        steps = ", ".join(
            f"{stat.step_key} {(stat.end_time or 0) - (stat.start_time or 0):.1f} s"
            for stat in instance.get_run_step_stats(result.run_id)
        )
        phases.append(f"{partition or 'keel_models'} {time.perf_counter() - before:.1f} s ({steps})")
        rebuilt += len(selection)
    return rebuilt


def refresh(name: str, cursor: Any) -> tuple[Step, Any]:
    """Every tenant's loads, then the automation's ticks and runs of what they request, until a tick
    requests nothing more (what follows the rebuilt models, at the sensor's next ticks, counts too; the last
    tick, which finds nothing to do, is the sensor's every-minute tick and is not timed)."""
    import dagster as dg

    from cli import jobs

    load, started, cpu = os.getloadavg()[0], time.perf_counter(), _cpu()
    busy = _machine_busy()
    outcomes = jobs.run_tenant_sources(jobs.tenant_partitions())
    failed = [o.label for o in outcomes if not o.success]
    if failed:
        raise SystemExit(f"tenant runs failed: {failed}")
    loads = time.perf_counter() - started
    phases = [f"loads {loads:.1f} s ({(_machine_busy() - busy) / loads:.2f} cores busy, database included)"]
    rebuilt = 0
    with dg.DagsterInstance.from_config(str(jobs.dagster_home())) as instance:
        for tick in range(1, 4):
            before = time.perf_counter()
            requests, cursor = _tick(instance, cursor)
            seconds = time.perf_counter() - before
            if requests:
                phases.append(f"automation tick {tick} {seconds:.1f} s")
                rebuilt += _run_requested(instance, requests, phases)
                continue
            if tick == 1:  # nothing new: this evaluation is the whole refresh after the loads
                phases.append(f"automation {seconds:.1f} s")
                wall = time.perf_counter() - started
            else:  # the sensor's next tick finds nothing more to do: not the refresh's cost
                phases.append(f"then tick {tick}: nothing requested ({seconds:.1f} s, not counted)")
                wall = before - started
            spent = _cpu() - cpu
            break
        else:
            raise SystemExit("the automation still requested assets after three ticks")
    loaded = sum(o.materialized for o in outcomes)
    ran = (
        f"{len(outcomes)} tenant runs, {loaded} tables with new rows; {rebuilt} assets rebuilt; "
        + "; ".join(phases)
    )
    return Step(name, wall, spent, load, ran), cursor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", nargs="*", default=[], help="Demo tenant slugs (none: all 14).")
    parser.add_argument("--start", default=None, help="First simulated day (default: the simulator's).")
    parser.add_argument("--end", default=None, help="Last day of the full build (default: simulator's - 1).")
    parser.add_argument("--home", default=None, help="KEEL_HOME to build in (default: a new temp folder).")
    parser.add_argument(
        "--days",
        type=int,
        default=1,
        help="One-new-day refreshes, one after the other (more than one: and their median).",
    )
    args = parser.parse_args()

    from ingestion.demo.world import DEFAULT_END
    from keel.settings import adopt_environment, child_env

    end = date.fromisoformat(args.end) if args.end else DEFAULT_END - timedelta(days=1)
    home = Path(args.home or tempfile.mkdtemp(prefix="keel-bench-refresh-"))
    demo = {"KEEL_DEMO_END": end.isoformat(), "KEEL_DEMO_TENANTS": json.dumps(args.tenants)}
    if args.start:
        demo["KEEL_DEMO_START"] = args.start
    steps = [full_build(child_env(KEEL_HOME=str(home), COLUMNS="200", **demo))]

    # this process (and the fresh workers of its tenant runs, which take its environment) uses the same
    # home and demo
    environment = child_env(KEEL_HOME=str(home), **demo)
    adopt_environment(environment)

    import dagster as dg

    from cli import jobs

    with dg.DagsterInstance.from_config(str(jobs.dagster_home())) as instance:
        _requests, cursor = _tick(instance, None)
    step, cursor = refresh("refresh, no new data", cursor)
    steps.append(step)
    # one more day of every tenant's business, --days times (day after day: each brings one new day)
    for day in range(1, args.days + 1):
        adopt_environment({**environment, "KEEL_DEMO_END": (end + timedelta(days=day)).isoformat()})
        step, cursor = refresh("refresh, one new day" + (f" ({day})" if args.days > 1 else ""), cursor)
        steps.append(step)
    if args.days > 1:
        days = steps[2:]
        middle = sorted(days, key=lambda s: s.wall)[len(days) // 2]
        steps.append(
            Step("one new day, median", middle.wall, middle.cpu, middle.load, f"of {len(days)} days")
        )

    full = steps[0].wall
    print(f"\ntenants: {args.tenants or 'all'}; first day {args.start or 'default'}; built through {end}")
    print(f"{'':28} {'wall s':>8} {'of full':>8} {'cpu s':>8} {'cpu/wall':>8} {'load avg':>8}  ran")
    for s in steps:
        print(
            f"{s.name:28} {s.wall:8.1f} {s.wall / full:8.1%} {s.cpu:8.1f} {s.cpu / s.wall:8.2f} "
            f"{s.load:8.1f}  {s.ran}"
        )


if __name__ == "__main__":
    main()
