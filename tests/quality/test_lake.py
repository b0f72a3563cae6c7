"""The Parquet lake after the demo: written per tenant and month by the lake_parquet asset, rewritten only
where rows changed, and readable through ``keel sql`` for one tenant only, as that tenant's analyst."""

from __future__ import annotations

import duckdb
import pytest

from ingestion.demo.profiles import demo_tenant_id
from keel import warehouse
from keel.errors import KeelError
from keel.lake import export_lake, open_tenant
from keel.settings import KeelSettings

MONTHLY_REVENUE = (
    "select date_trunc('month', metric_date)::date as month, round(sum(revenue_net)::numeric, 2) as revenue "
    "from metrics.business_metrics_daily group by 1 order by 1"
)


def test_the_demo_built_the_lake_and_an_unchanged_warehouse_rewrites_nothing(
    demo_warehouse: KeelSettings,
) -> None:
    tenant = demo_tenant_id("bluebird-coffee")
    folder = demo_warehouse.lake_dir / "metrics.business_metrics_daily" / f"tenant_id={tenant}"
    months = sorted(p.name for p in folder.glob("month=*"))
    assert (
        months
        and months[0] == "month=2026-04"
        and all((folder / m / "data.parquet").exists() for m in months)
    )
    again = export_lake(demo_warehouse)
    assert again.partitions_written == 0 and again.partitions_unchanged > 0


#: One tenant's month of daily metrics (the month of the given day).
DELETE_MONTH = (
    "delete from metrics.business_metrics_daily where tenant_id::text = %s "
    "and date_trunc('month', metric_date) = date_trunc('month', %s::date)"
)


def test_a_changed_row_rewrites_its_partition_only_and_a_deleted_month_is_removed(
    demo_warehouse: KeelSettings,
) -> None:
    """The warehouse's fingerprints find the one partition whose row changed; the file then holds the new
    value. Rows gone from a month remove that month's file. Everything is put back afterwards."""
    import pyarrow.parquet as pq

    tenant = demo_tenant_id("bluebird-coffee")
    folder = demo_warehouse.lake_dir / "metrics.business_metrics_daily" / f"tenant_id={tenant}"
    export_lake(demo_warehouse)  # current
    with warehouse.connect("admin", settings=demo_warehouse) as conn:
        day, revenue = conn.execute(  # type: ignore[misc]
            "select metric_date, revenue_net from metrics.business_metrics_daily "
            "where tenant_id::text = %s order by metric_date desc limit 1",
            (str(tenant),),
        ).fetchone()
        conn.execute(  # the month as it was, to put back
            "create temporary table saved_month as select * from metrics.business_metrics_daily "
            "where tenant_id::text = %s and date_trunc('month', metric_date) = date_trunc('month', %s::date)",
            (str(tenant), day),
        )
        conn.commit()
        month = f"month={day:%Y-%m}"
        try:
            conn.execute(
                "update metrics.business_metrics_daily set revenue_net = revenue_net + 1000 "
                "where tenant_id::text = %s and metric_date = %s",
                (str(tenant), day),
            )
            conn.commit()
            changed = export_lake(demo_warehouse)
            assert changed.partitions_written == 1 and changed.partitions_removed == 0
            rows = pq.read_table(folder / month / "data.parquet").to_pylist()
            assert [float(r["revenue_net"]) for r in rows if r["metric_date"] == day] == [
                float(revenue) + 1000
            ]

            conn.execute(DELETE_MONTH, (str(tenant), day))
            conn.commit()
            removed = export_lake(demo_warehouse)
            assert removed.partitions_written == 0 and removed.partitions_removed == 1
            assert not (folder / month).exists()
        finally:
            conn.rollback()
            conn.execute(DELETE_MONTH, (str(tenant), day))
            conn.execute("insert into metrics.business_metrics_daily select * from saved_month")
            conn.commit()
    restored = export_lake(demo_warehouse)
    assert restored.partitions_written == 1 and (folder / month / "data.parquet").exists()
    assert export_lake(demo_warehouse).partitions_written == 0


def test_benchmark_peers_stay_out_of_the_lake(demo_warehouse: KeelSettings) -> None:
    """The demo's benchmark peers feed the benchmarks only: in the warehouse, not in the analysts' lake."""
    with warehouse.connect("admin", settings=demo_warehouse) as conn:
        peers = [
            str(r[0])
            for r in conn.execute(
                "select t.tenant_id from app.tenants t where t.is_benchmark_peer and exists "
                "(select 1 from metrics.business_metrics_daily m where m.tenant_id::text = t.tenant_id::text)"
            ).fetchall()
        ]
    assert peers  # the demo has peers with metrics
    lake = demo_warehouse.lake_dir / "metrics.business_metrics_daily"
    assert [p for p in peers if (lake / f"tenant_id={p}").exists()] == []
    assert (lake / f"tenant_id={demo_tenant_id('bluebird-coffee')}").exists()


def test_an_analyst_queries_their_own_tenant_and_gets_the_warehouses_answer(
    demo_warehouse: KeelSettings,
) -> None:
    slug = "bluebird-coffee"
    db = open_tenant(slug, warehouse.analyst_url(slug, demo_warehouse), demo_warehouse)
    lake = [(m, float(r)) for m, r in db.execute(MONTHLY_REVENUE).fetchall()]
    with warehouse.connect("keel_analyst", tenant_id=demo_tenant_id(slug), settings=demo_warehouse) as conn:
        pg = [(m, float(r)) for m, r in conn.execute(MONTHLY_REVENUE).fetchall()]
    assert lake == pg and len(lake) >= 6
    tenants = db.execute("select distinct tenant_id from marts.orders").fetchall()
    assert tenants == [(str(demo_tenant_id(slug)),)]


def test_no_query_reaches_another_tenants_files(demo_warehouse: KeelSettings) -> None:
    mine, other = "bluebird-coffee", "crumb-and-co"
    with pytest.raises(KeelError, match="may not read 'crumb-and-co'"):
        open_tenant(other, warehouse.analyst_url(mine, demo_warehouse), demo_warehouse)
    db = open_tenant(mine, warehouse.analyst_url(mine, demo_warehouse), demo_warehouse)
    theirs = demo_warehouse.lake_dir / "marts.orders" / f"tenant_id={demo_tenant_id(other)}"
    assert any(theirs.rglob("data.parquet"))  # their files are there, next to ours
    for attempt in (
        f"select count(*) from read_parquet('{theirs}/*/data.parquet')",
        f"select count(*) from '{theirs}/month=2026-05/data.parquet'",
        f"attach '{demo_warehouse.lake_dir}/x.duckdb'",
        "set enable_external_access = true",
        "reset lock_configuration",
    ):
        with pytest.raises(duckdb.Error):
            db.execute(attempt)
