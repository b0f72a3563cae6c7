"""Benchmark: a QuickBooks Online company through Keel's connector, first load and a load with nothing new.

    .venv/bin/python benchmarks/bench_quickbooks.py                  # ledgerline-advisors, one year
    .venv/bin/python benchmarks/bench_quickbooks.py --months 3       # quicker

The demo accounting firm's books (invoices, payments, bills, bill payments, purchases, customers,
vendors, items, accounts) are served by the loopback fake of Intuit's Accounting API
(tests/ingestion/quickbooks_fake.py: JSON, query paging of 1,000, Change Data Capture, OAuth tokens) and
loaded by the connector into an embedded PostgreSQL in a temporary KEEL_HOME. Prints seconds, objects
and requests of the first (full, paged query) load and of a second load with nothing changed (one CDC
request per entity). The fake's throttle is lifted; Keel's own (450 a minute) stays on.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TENANT = "ledgerline-advisors"
END = date(2026, 10, 31)
REALM = "9130356609475236"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=12, help="months of history (default 12)")
    parser.add_argument("--in-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))  # the fake lives in tests/
    if args.in_child:  # the measured run, in a process whose environment points at the temporary home
        run(args.months)
        return
    from keel.settings import child_env
    from tests.ingestion.quickbooks_fake import CLIENT_ID, CLIENT_SECRET

    home = Path(tempfile.mkdtemp(prefix="keel-bench-qbo-"))
    env = child_env(
        KEEL_HOME=str(home),
        DATABASE_URL="",
        KEEL_QUICKBOOKS_CLIENT_ID=CLIENT_ID,
        KEEL_QUICKBOOKS_CLIENT_SECRET=CLIENT_SECRET,
        PYTHONPATH=str(ROOT),
    )
    try:
        command = [sys.executable, __file__, "--months", str(args.months), "--in-child"]
        subprocess.run(command, env=env, check=True)  # noqa: S603 (this very script)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def run(months: int) -> None:
    from ingestion import loader
    from ingestion.demo import simulate
    from ingestion.sources.quickbooks import CONNECTOR, helpers
    from keel import tenancy
    from keel.settings import get_settings
    from tests.ingestion.quickbooks_fake import RESOURCES, FakeQuickBooks
    from warehouse_init.migrate import prepare_warehouse

    now = datetime(END.year, END.month, END.day, 23, 0, tzinfo=UTC) + timedelta(days=1)
    helpers.utc_now = lambda: now  # type: ignore[assignment]  # the fake's clock
    world = simulate(seed=42, start=END - timedelta(days=30 * months), end=END, tenants=[TENANT])
    demo = world.tenants[0]
    with FakeQuickBooks.serving(world, str(demo.tenant_id), REALM, now=now, per_minute=10**9) as fake:
        # the access token outlives the run: no refresh, so Intuit's token endpoint is never asked
        prepare_warehouse(get_settings())
        tenant = str(tenancy.create_tenant("bench-books", "Bench Books", currency=demo.currency).tenant_id)
        objects = sum(len(fake.objects[name]) for name in RESOURCES)
        secrets = fake.grant(access_seconds=24 * 3600)
        config = {"realm_id": REALM, "base_url": fake.url}
        for label in ("first load (paged queries)", "nothing new (CDC)"):
            before = len(fake.requests)
            started = time.perf_counter()
            result = loader.load_connector(CONNECTOR, tenant, config, secrets)
            seconds = time.perf_counter() - started
            assert result.ok, result.error
            rows = sum(result.rows.values())
            print(
                f"{label}: {seconds:.1f} s, {rows:,} rows new or changed of {objects:,} objects, "
                f"{len(fake.requests) - before} requests"
            )


if __name__ == "__main__":
    main()
