"""Benchmark: loading order records, Keel's paths against dlt's Arrow path and a plain COPY.

    .venv/bin/python benchmarks/bench_loading.py                      # 1,000,000 order lines
    .venv/bin/python benchmarks/bench_loading.py --lines 200000       # quicker
    .venv/bin/python benchmarks/bench_loading.py --profile keel-memory

The same Shopify orders (with their nested line items, refunds, discounts) go into the same embedded
PostgreSQL (a temporary KEEL_HOME), one path after the other, each in a process of its own so that its
peak memory (max RSS) is its own:

- ``keel-connector``: Keel's whole path for a real shop: the Shopify connector pages the orders out of a
  loopback fake of the Admin API (HTTP, JSON, Link-header paging), then the loader below.
- ``keel-memory``: Keel's loader from records in memory (a generator of API-shaped dicts): every record
  checked against its contract, nested values as JSON text, Arrow batches, COPY through dlt, merge.
- ``dlt-arrow``: dlt's own Arrow path: a pre-built Arrow table of the same rows handed to a pipeline.
- ``copy``: PostgreSQL's COPY of the same rows as CSV into a table of the same shape (no merge, no
  checks: the floor).

Orders are the demo café's, repeated with new ids until the order lines reach ``--lines``. Prints
seconds, order rows and order lines per second, peak memory, and each path's time relative to COPY.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

PATHS = ("copy", "dlt-arrow", "keel-memory", "keel-connector")
TENANT = "bluebird-coffee"


def base_orders() -> tuple[str, list[dict[str, Any]]]:
    from ingestion.demo import simulate

    world = simulate(seed=42, start=date(2026, 9, 1), end=date(2026, 10, 31), tenants=[TENANT])
    tenant = str(world.tenants[0].tenant_id)
    return tenant, list(world.records("shopify", "orders", tenant))


def orders(lines: int) -> Iterator[dict[str, Any]]:
    """Demo orders repeated with new ids (and line ids) until ``lines`` order lines have been made."""
    _, base = base_orders()
    made, copy = 0, 0
    while made < lines:
        offset = copy * 10_000_000_000
        for order in base:
            record = dict(order)
            record["id"] = order["id"] + offset
            record["line_items"] = [{**line, "id": line["id"] + offset} for line in order["line_items"]]
            made += len(record["line_items"])
            yield record
            if made >= lines:
                return
        copy += 1


def arrow_rows(lines: int) -> Any:
    """The rows as one Arrow table, shaped as Keel stores them (nested values as JSON text)."""
    from ingestion.loader import to_arrow
    from ingestion.sources import resources

    spec = next(s for s in resources("shopify") if s.name == "orders")
    return to_arrow(spec, list(orders(lines)))


def run_path(path: str, lines: int, home: Path) -> dict[str, Any]:
    import dlt

    from ingestion.demo_load import register_tenants
    from ingestion.loader import load_tenant
    from ingestion.sources import resources
    from keel import warehouse

    tenant, _ = base_orders()
    spec = next(s for s in resources("shopify") if s.name == "orders")
    result: dict[str, Any] = {"path": path}
    if path == "copy":
        import pyarrow.csv as pacsv

        table = arrow_rows(lines)
        buffer = _csv(pacsv, table)
        columns = ", ".join(f'"{name}" text' for name in table.column_names)
        with warehouse.connect("keel_loader", autocommit=True) as conn:
            conn.execute("create schema if not exists raw_bench")
            conn.execute("drop table if exists raw_bench.orders_copy")
            conn.execute(f"create table raw_bench.orders_copy ({columns})")
            started = time.perf_counter()
            with conn.cursor().copy(
                "copy raw_bench.orders_copy from stdin with (format csv, header)"
            ) as copy:
                copy.write(buffer)
            result["seconds"] = time.perf_counter() - started
        result["orders"] = table.num_rows
    elif path == "dlt-arrow":
        table = arrow_rows(lines)
        pipeline = dlt.pipeline(
            pipeline_name="bench_arrow",
            destination=dlt.destinations.postgres(credentials=warehouse.dlt_credentials("keel_loader")),
            dataset_name="raw_bench_arrow",
            pipelines_dir=str(home / "dlt-arrow"),
        )
        started = time.perf_counter()
        pipeline.run(
            dlt.resource(table, name="orders", primary_key=list(spec.primary_key), write_disposition="merge"),
            loader_file_format="csv",
        ).raise_on_failed_jobs()
        result["seconds"] = time.perf_counter() - started
        result["orders"] = table.num_rows
    elif path == "keel-memory":
        from ingestion.demo import simulate

        register_tenants(
            simulate(seed=42, start=date(2026, 10, 1), end=date(2026, 10, 2), tenants=[TENANT]),
            with_owners=False,
        )
        started = time.perf_counter()
        loaded = load_tenant("shopify", [spec], lambda *_: orders(lines), tenant)
        result["seconds"] = time.perf_counter() - started
        assert loaded.ok, loaded.error
        result["orders"] = loaded.rows["orders"]
    else:
        result.update(_connector_path(lines))
    result["lines"] = lines
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def _csv(pacsv: Any, table: Any) -> bytes:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink)
    return sink.getvalue().to_pybytes()


def _connector_path(lines: int) -> dict[str, Any]:
    """Keel's path through the Shopify connector and a loopback fake of the Admin API.

    The fake runs in this process (its copy of the orders counts in the peak memory) with its rate
    limit lifted: the benchmark measures Keel, not Shopify's 2 requests a second.
    """
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the fake server lives in tests/
    from ingestion.loader import load_connector
    from ingestion.sources.shopify import CONNECTOR
    from ingestion.sources.shopify.settings import RESOURCES
    from keel import tenancy
    from tests.ingestion.shopify_fake import FakeShopify

    # a tenant of its own: the in-memory path may have loaded the same orders for the demo tenant
    tenant = str(tenancy.create_tenant("bench-connector", "Bench Connector Café", currency="USD").tenant_id)
    objects: dict[str, list[dict[str, Any]]] = {spec.name: [] for spec in RESOURCES}
    objects["orders"] = [{k: v for k, v in o.items() if k != "tenant_id"} for o in orders(lines)]
    token = "shpat_bench"  # noqa: S105 - the fake's token
    with FakeShopify(objects, token, bucket_size=10**9, leak_per_second=10**9) as shop:
        started = time.perf_counter()
        loaded = load_connector(
            CONNECTOR, tenant, {"shop": "bench.myshopify.com", "base_url": shop.url}, {"access_token": token}
        )
        seconds = time.perf_counter() - started
    assert loaded.ok, loaded.error
    return {"seconds": seconds, "orders": loaded.rows.get("orders", 0)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=1_000_000, help="order lines to load")
    parser.add_argument("--paths", default=",".join(PATHS), help="comma-separated paths to run")
    parser.add_argument("--profile", choices=PATHS, help="profile one path (cProfile, top 25 by cumulative)")
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)  # set when re-run in its sandbox
    parser.add_argument("--one", help=argparse.SUPPRESS)  # run one path and print its figures as JSON
    args = parser.parse_args()
    from keel.settings import child_env

    if args.one:
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            figures = profiler.runcall(run_path, args.one, args.lines, args.home)
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
        else:
            figures = run_path(args.one, args.lines, args.home)
        print("FIGURES " + json.dumps(figures), flush=True)
        return
    home = Path(tempfile.mkdtemp(prefix="keel-bench-"))
    env = child_env(KEEL_HOME=str(home), DATABASE_URL="")
    paths = [args.profile] if args.profile else [p for p in args.paths.split(",") if p]
    rows = []
    prepare = "from keel.settings import get_settings; from warehouse_init.migrate import prepare_warehouse; "
    subprocess.run([sys.executable, "-c", prepare + "prepare_warehouse(get_settings())"], env=env, check=True)  # noqa: S603
    try:
        for path in paths:
            print(f"{path} ...", flush=True)
            command = [
                sys.executable,
                __file__,
                "--one",
                path,
                "--lines",
                str(args.lines),
                "--home",
                str(home),
            ]
            if args.profile:
                command.append(f"--profile={path}")
            out = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
            if args.profile:
                sys.stderr.write(out.stderr)
            found = [line for line in out.stdout.splitlines() if line.startswith("FIGURES ")]
            if out.returncode != 0 or not found:
                print(f"  failed: {out.stderr[-2000:]}", flush=True)
                continue
            rows.append(json.loads(found[-1][len("FIGURES ") :]))
    finally:
        subprocess.run(
            [sys.executable, "-c", "from keel import warehouse; warehouse.stop()"], env=env, check=False
        )
        shutil.rmtree(home, ignore_errors=True)
    copy = next((r["seconds"] for r in rows if r["path"] == "copy" and "seconds" in r), None)
    print()
    print(f"{'path':<16}{'seconds':>9}{'orders/s':>11}{'lines/s':>11}{'peak MiB':>10}{'x COPY':>8}")
    for r in rows:
        if "seconds" not in r:
            print(f"{r['path']:<16}  {r.get('skipped', 'no figure')}")
            continue
        ratio = f"{copy / r['seconds']:.3f}" if copy else "-"
        print(
            f"{r['path']:<16}{r['seconds']:>9.1f}{r['orders'] / r['seconds']:>11,.0f}"
            f"{r['lines'] / r['seconds']:>11,.0f}{r['peak_mib']:>10,.0f}{ratio:>8}"
        )
    print(f"(load average {os.getloadavg()[0]:.1f} at the end)")


if __name__ == "__main__":
    main()
