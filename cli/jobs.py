"""What `keel demo` and `keel ui` do: run the whole Dagster graph, summarize it, serve the UIs."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keel import warehouse
from keel.home import private_dir
from keel.settings import child_env, get_settings

ROOT = Path(__file__).resolve().parents[1]
DAGSTER_YAML = """# Dagster instance of this Keel home (runs of `keel demo`, `keel ui` and the schedule).
telemetry:
  enabled: false
"""


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    success: bool
    checks_passed: int
    checks_total: int
    failure: str | None


def dagster_home() -> Path:
    # Private before Dagster creates its sqlite run and event storage here (umask 077 from now on,
    # inherited by `dagster dev` and the run workers it starts).
    home = private_dir(get_settings().dagster_home)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return home


#: In one process (a step subprocess costs ~15 s of imports, more than parallel steps save on 2 cores),
#: logging what the assets say (per-tenant loads, dbt's per-model lines) rather than every engine event.
DEMO_RUN_CONFIG = {
    "execution": {"config": {"in_process": {}}},
    "loggers": {"console": {"config": {"log_level": "INFO"}}},
}


def run_keel_all() -> RunOutcome:
    """Execute the keel_all job in this Keel home's Dagster instance (the UI shows the run later)."""
    import dagster as dg

    from orchestration.definitions import keel_all_job

    instance = dg.DagsterInstance.from_config(str(dagster_home()))
    result = dg.execute_job(
        dg.reconstructable(keel_all_job), instance=instance, run_config=DEMO_RUN_CONFIG, raise_on_error=False
    )
    passed = total = 0
    failure = None
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            total += 1
            passed += bool(event.event_specific_data.passed)  # type: ignore[union-attr]
        elif event.event_type_value == "STEP_FAILURE" and failure is None:
            failure = f"step {event.step_key} failed"
    return RunOutcome(result.run_id, result.success, passed, total, failure)


def summarize(outcome: RunOutcome) -> dict[str, Any]:
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
        "checks_passed": outcome.checks_passed,
        "checks_total": outcome.checks_total,
        "run_id": outcome.run_id,
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


def start_ui(dagster_port: int, console_port: int) -> list[subprocess.Popen[bytes]]:
    """Start `dagster dev` and the Streamlit console as child processes on 127.0.0.1."""
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
    return [dagster, streamlit]


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def serve_ui(dagster_port: int, console_port: int, announce: Callable[[str], None]) -> None:
    """Run both servers until Ctrl-C or SIGTERM, then stop them (never leave them running)."""
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    processes = start_ui(dagster_port, console_port)
    try:
        urls = {
            "Dagster UI": f"http://127.0.0.1:{dagster_port}",
            "console": f"http://127.0.0.1:{console_port}",
        }
        ready = {name: _wait_for(url, 180) for name, url in urls.items()}
        for name, url in urls.items():
            announce(f"{name}: {url}" + ("" if ready[name] else " (not answering yet)"))
        announce("Ctrl-C stops both.")
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
