"""Benchmark of the HTTP API: requests per second and latency of the metrics and forecasts endpoints.

Run from the repository root against a warehouse with demo businesses (after ``keel demo``; a small demo
of two businesses is enough):

    KEEL_HOME=.keel .venv/bin/python benchmarks/bench_api.py                   # 20 clients, 50 requests each
    KEEL_HOME=.keel .venv/bin/python benchmarks/bench_api.py --clients 20 --requests 100 --no-reuse

It creates a read token for the business's owner, starts the API in its own process (uvicorn, one worker,
as ``keel api`` does, with or without kept tenant logins), and for each endpoint lets ``--clients``
threads, each with its own HTTP connection, send ``--requests`` requests one after another:

* ``/v1/metrics/revenue_net`` for the business's latest 30 days by day (a month of daily metrics);
* ``/v1/forecasts/revenue_net`` (the stored forecast with its intervals, one page of up to 100 days).

It prints requests per second (all requests over the wall time), latency p50/p95/p99 as the clients saw it,
and the load average of the machine before and after. The token is deleted at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from ingestion.demo_load import demo_owner_email
from keel import api_tokens, tenancy, warehouse
from keel.settings import child_env

ROOT = Path(__file__).resolve().parents[1]
SERVER = (
    "import sys, uvicorn\n"
    "from api.main import create_app\n"
    "uvicorn.run(create_app(reuse_connections=sys.argv[1] == 'reuse'), host='127.0.0.1', "
    "port=int(sys.argv[2]), log_level='warning')\n"
)


def start_api(port: int, reuse: bool) -> subprocess.Popen[bytes]:
    unlimited = {f"KEEL_API_RATE_LIMIT_PER_{who}": "1000000/minute" for who in ("TOKEN", "ADDRESS")}
    env = child_env(**unlimited)
    process = subprocess.Popen(  # noqa: S603 - this environment's own Python running Keel's API
        [sys.executable, "-c", SERVER, "reuse" if reuse else "new", str(port)], cwd=ROOT, env=env
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("the API did not start within 180 s")


def run_clients(
    url: str, token: str, path: str, params: dict[str, str], clients: int, requests: int
) -> dict[str, float]:
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    start_gate = threading.Barrier(clients + 1)

    def one_client() -> None:
        mine: list[float] = []
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as api:
            start_gate.wait()
            for _ in range(requests):
                began = time.perf_counter()
                response = api.get(path, params=params)
                mine.append(time.perf_counter() - began)
                if response.status_code != 200:
                    with lock:
                        failures.append(f"{response.status_code} {response.text[:200]}")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=one_client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start_gate.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[0]}")
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))] * 1000

    return {
        "requests": len(ordered),
        "rps": len(ordered) / wall,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": statistics.fmean(ordered) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tenant", default="bluebird-coffee")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=50, help="requests per client per endpoint")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--no-reuse", action="store_true", help="a new tenant login per query")
    args = parser.parse_args()

    business = tenancy.require_tenant(args.tenant)
    created, token = api_tokens.create_token(
        business.tenant_id, demo_owner_email(args.tenant), "bench-api", ["read"]
    )
    process = start_api(args.port, reuse=not args.no_reuse)
    url = f"http://127.0.0.1:{args.port}"
    try:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as api:
            # the default range: the latest 30 days with data
            days = api.get("/v1/metrics/revenue_net", params={"limit": 1000}).json()["items"]
            if not days:
                raise SystemExit("the business has no daily metrics: run `keel demo` first")
            start, end = days[0]["period_start"], days[-1]["last_day"]
        print(
            f"API on {url}, {'kept tenant logins' if not args.no_reuse else 'a new login per query'}; "
            f"{args.clients} clients x {args.requests} requests; {business.name}, days {start}..{end}"
        )
        cases = {
            "metrics (30 days, daily)": (
                "/v1/metrics/revenue_net",
                {"start": start, "end": end, "grain": "day"},
            ),
            "forecast (revenue_net)": ("/v1/forecasts/revenue_net", {}),
        }
        for label, (path, params) in cases.items():
            run_clients(url, token, path, params, min(args.clients, 4), 5)  # warm-up
            load_before = os.getloadavg()[0]
            result = run_clients(url, token, path, params, args.clients, args.requests)
            load_after = os.getloadavg()[0]
            print(
                f"{label:28s} {result['requests']:5.0f} requests  {result['rps']:7.1f} req/s  "
                f"p50 {result['p50_ms']:6.1f} ms  p95 {result['p95_ms']:6.1f} ms  "
                f"p99 {result['p99_ms']:6.1f} ms  "
                f"(load average {load_before:.1f} -> {load_after:.1f})"
            )
    finally:
        process.terminate()
        process.wait(timeout=30)
        with warehouse.connect("admin") as conn:
            conn.execute("delete from app.api_tokens where token_id = %s", (created.token_id,))


if __name__ == "__main__":
    main()
