"""Benchmark: loading one demo tenant's Shopify data, Keel's loader against plain dlt dicts.

    .venv/bin/python benchmarks/bench_loading.py [--tenant bluebird-coffee] [--days 365]

Both paths load the same records into the same embedded PostgreSQL (a temporary KEEL_HOME), one after
the other in this process: the baseline is dlt's documented default (Python dicts, nested lists as
child tables, INSERT statements); Keel's path checks every record against its contract, builds one
Arrow table per resource with nested values as JSON text, and loads with COPY. Prints seconds and
records per second for each, and the speed-up. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tenant", default="bluebird-coffee")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)  # set when re-run in its sandbox
    args = parser.parse_args()
    if args.home is None:
        # Re-run this script in a sandbox of its own: a fresh KEEL_HOME and the embedded warehouse.
        from keel.settings import child_env

        home = Path(tempfile.mkdtemp(prefix="keel-bench-"))
        try:
            command = [sys.executable, __file__, *sys.argv[1:], "--home", str(home)]
            env = child_env(KEEL_HOME=str(home), DATABASE_URL="")
            sys.exit(subprocess.run(command, env=env, check=False).returncode)  # noqa: S603
        finally:
            shutil.rmtree(home, ignore_errors=True)

    import dlt

    from ingestion.demo import simulate
    from ingestion.demo_load import register_tenants
    from ingestion.loader import load_tenant
    from keel import warehouse

    end = date(2026, 10, 31)
    start = end - timedelta(days=args.days - 1)
    print(f"simulating {args.tenant} from {start} to {end} ...", flush=True)
    world = simulate(seed=42, start=start, end=end, tenants=[args.tenant])
    tenant = str(world.tenants[0].tenant_id)
    specs = world.resources("shopify")
    records = {spec.name: list(world.records("shopify", spec.name, tenant)) for spec in specs}
    total = sum(len(r) for r in records.values())
    print(f"{total:,} top-level records ({len(records['orders']):,} orders)", flush=True)
    register_tenants(world, with_owners=False)

    print("baseline: dlt with Python dicts (child tables, INSERT) ...", flush=True)
    pipeline = dlt.pipeline(
        pipeline_name="bench_baseline",
        destination=dlt.destinations.postgres(credentials=warehouse.dlt_credentials("keel_loader")),
        dataset_name="raw_bench_baseline",
        pipelines_dir=str(args.home / "dlt-baseline"),
    )

    @dlt.source(name="shopify_baseline")
    def baseline_source():  # type: ignore[no-untyped-def]
        for spec in specs:
            yield dlt.resource(
                records[spec.name],
                name=spec.name,
                primary_key=list(spec.primary_key),
                write_disposition="merge",
            )

    started = time.perf_counter()
    pipeline.run(baseline_source()).raise_on_failed_jobs()
    baseline = time.perf_counter() - started

    print("keel: contracts + Arrow + COPY ...", flush=True)
    started = time.perf_counter()
    result = load_tenant("shopify", specs, lambda spec: records[spec.name], tenant)
    keel = time.perf_counter() - started
    assert result.ok, result.error

    print()
    print(f"{'path':<40}{'seconds':>10}{'records/s':>12}")
    print(f"{'dlt dicts, child tables, INSERT':<40}{baseline:>10.1f}{total / baseline:>12,.0f}")
    print(f"{'keel: contracts, Arrow, COPY':<40}{keel:>10.1f}{total / keel:>12,.0f}")
    print(f"speed-up: {baseline / keel:.1f}x")
    warehouse.stop()


if __name__ == "__main__":
    main()
