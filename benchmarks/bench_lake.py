"""Benchmark: three analyst queries on DuckDB over one tenant's Parquet lake against PostgreSQL.

    KEEL_HOME=... .venv/bin/python benchmarks/bench_lake.py --tenant bluebird-coffee [--repeat 5]

Runs on the warehouse KEEL_HOME points at, after a demo (the lake is built by the ``lake_parquet`` asset;
it is exported again first, which rewrites only changed partitions). Both engines answer as the tenant's
analyst: PostgreSQL through the tenant's own analyst login (row-level security), DuckDB through
``keel.lake.open_tenant`` (the tenant's files copied into memory, external access off). The same SQL text
runs on both; the answers are compared. Prints the median of ``--repeat`` runs per query and engine, the
rows each query scans, and the time DuckDB took to open the tenant's lake.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

QUERIES: dict[str, str] = {
    "monthly revenue rollup": """
        select date_trunc('month', order_date) as month, count(*) as orders,
               sum(net_sales) as net_sales, sum(refunded_revenue) as refunds
        from marts.orders group by 1 order by 1
    """,
    "cohort retention table": """
        with firsts as (
            select customer_id, min(date_trunc('month', order_date)) as cohort
            from marts.orders where customer_id is not null group by 1
        ),
        activity as (
            select distinct customer_id, date_trunc('month', order_date) as month
            from marts.orders where customer_id is not null
        )
        select f.cohort,
               (extract(year from a.month) * 12 + extract(month from a.month))
                 - (extract(year from f.cohort) * 12 + extract(month from f.cohort)) as months_since,
               count(*) as customers
        from firsts f join activity a using (customer_id)
        group by 1, 2 order by 1, 2
    """,
    "basket analysis": """
        select a.product_id as product_a, b.product_id as product_b, count(*) as baskets
        from marts.order_lines a
        join marts.order_lines b on a.order_id = b.order_id and a.product_id < b.product_id
        group by 1, 2 order by baskets desc, 1, 2 limit 20
    """,
}


def _timed(run: Any, repeat: int) -> tuple[float, list[tuple[Any, ...]]]:
    times, rows = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        rows = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), rows


def _comparable(rows: list[tuple[Any, ...]]) -> list[tuple[str, ...]]:
    def cell(value: Any) -> str:
        if hasattr(value, "date") and callable(value.date):
            value = value.date()
        try:
            return f"{float(value):.2f}"
        except (TypeError, ValueError):
            return str(value)

    return [tuple(cell(v) for v in row) for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tenant", default="bluebird-coffee")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import psycopg

    from keel import warehouse
    from keel.lake import export_lake, lake_size, open_tenant

    export_lake()
    login = warehouse.analyst_url(args.tenant)
    started = time.perf_counter()
    db = open_tenant(args.tenant, login)
    opened = time.perf_counter() - started
    lines = db.execute("select count(*) from marts.order_lines").fetchone()
    orders = db.execute("select count(*) from marts.orders").fetchone()
    n_orders, n_lines = orders[0] if orders else 0, lines[0] if lines else 0
    print(
        f"tenant {args.tenant}: {n_orders:,} orders, {n_lines:,} order lines; "
        f"lake {lake_size() / 1e6:.1f} MB "
        f"(all tenants); DuckDB opened the tenant's lake in {opened * 1000:.0f} ms"
    )
    print(f"{'query':<26} {'PostgreSQL ms':>14} {'DuckDB ms':>10} {'ratio':>7}  same answer")
    with psycopg.connect(login) as pg:
        for name, query in QUERIES.items():
            pg_s, pg_rows = _timed(lambda q=query: pg.execute(q).fetchall(), args.repeat)
            dk_s, dk_rows = _timed(lambda q=query: db.execute(q).fetchall(), args.repeat)
            same = _comparable(pg_rows) == _comparable(dk_rows)
            print(f"{name:<26} {pg_s * 1000:>14.1f} {dk_s * 1000:>10.1f} {pg_s / dk_s:>6.1f}x  {same}")


if __name__ == "__main__":
    main()
