"""Storage hygiene: the embedded server's WAL settings, disk use by KEEL_HOME folder, dlt's staging copies."""

from __future__ import annotations

import contextlib

import psycopg

from keel import warehouse
from keel.home import folder_sizes
from keel.settings import KeelSettings


def test_the_embedded_server_runs_with_keels_wal_settings_and_tuning_again_changes_nothing(
    settings: KeelSettings,
) -> None:
    wanted = warehouse.embedded_wal_settings(settings)
    assert warehouse.tune_embedded_server(settings) == {}  # keel init (the fixture) applied them
    with warehouse.connect("admin", settings=settings) as conn:
        current = dict(
            conn.execute(
                "select name, setting from pg_settings where name = any(%s)", (list(wanted),)
            ).fetchall()
        )
    assert current["max_wal_size"] == str(settings.embedded_max_wal_size_mb) == "128"
    assert current["checkpoint_timeout"] == "300"
    assert current["wal_recycle"] == "off"
    assert current["wal_compression"] in {"pglz", "lz4"}
    with warehouse.connect("admin", settings=settings) as conn:
        segment = conn.execute("show wal_segment_size").fetchone()
    assert segment == (f"{warehouse.EMBEDDED_WAL_SEGMENT_MB}MB",)  # a new home's (keel init, the fixture)
    assert {k: v for k, v in current.items() if k != "wal_compression"} == {
        k: v for k, v in wanted.items() if k != "wal_compression"
    }


def test_a_settled_wal_keeps_no_recycled_segments(settings: KeelSettings) -> None:
    wal = settings.pgdata_dir / "pg_wal"

    def segments() -> int:
        return sum(1 for p in wal.iterdir() if p.is_file() and len(p.name) == 24)

    with warehouse.connect("admin", autocommit=True, settings=settings) as conn:
        conn.execute("create table if not exists public.wal_filler (x text)")
        for _ in range(3):  # about 50 MB of WAL: three segments or more (of 4 MB: a dozen)
            conn.execute(
                "insert into public.wal_filler "
                "select repeat(md5(i::text), 16) from generate_series(1, 30000) i"
            )
        conn.execute("truncate public.wal_filler")
        written = segments()
        assert written >= 3
        assert warehouse.settle_wal(settings)
        conn.execute("drop table public.wal_filler")
    assert segments() == 1, f"{segments()} WAL segments after the checkpoint (had {written})"
    at_rest = sum(p.stat().st_size for p in wal.iterdir() if p.is_file())
    assert at_rest <= warehouse.EMBEDDED_WAL_SEGMENT_MB * 2**20


def test_disk_use_by_folder_and_by_schema(settings: KeelSettings) -> None:
    sizes = folder_sizes(settings)
    assert sizes["pgdata/pg_wal"] > 0 and sizes["pgdata (without pg_wal)"] > 0
    assert list(sizes.values()) == sorted(sizes.values(), reverse=True)
    schemas = warehouse.schema_sizes(settings)
    assert schemas["app"] > 0 and "pg_catalog" not in schemas


def test_dlt_keeps_no_second_copy_of_the_loaded_records(demo_warehouse: KeelSettings) -> None:
    with warehouse.connect("admin", settings=demo_warehouse) as conn:
        # each tenant's pipeline stages in a schema of its own (ingestion.loader.staging_dataset_name)
        schemas = [
            r[0]
            for r in conn.execute(
                "select table_schema from information_schema.tables "
                "where table_schema like 'raw\\_shopify\\_%\\_staging' and table_name = 'orders'"
            )
        ]
        staged = sum(conn.execute(f'select count(*) from "{s}".orders').fetchone()[0] for s in schemas)  # type: ignore[index]
        loaded = conn.execute("select count(*) from raw_shopify.orders").fetchone()
    assert loaded is not None and loaded[0] > 0
    assert len(schemas) > 1  # one per tenant that loaded orders, one for the benchmark peers loaded together
    assert staged == 0


def test_the_raw_indexes_are_packed_again_after_a_backfill(settings: KeelSettings) -> None:
    """Tenants' histories loaded one after another split the raw indexes' pages in halves; the rebuild
    after a backfill packs them, and keeps every row and the index's use."""
    with warehouse.connect("admin", autocommit=True, settings=settings) as conn:
        conn.execute("create schema if not exists raw_packing")
        conn.execute("create table raw_packing.orders (tenant_id text, _keel_cursor_at timestamptz, id int)")
        conn.execute(
            "create index orders_tenant_cursor_idx on raw_packing.orders (tenant_id, _keel_cursor_at)"
        )
        # ten tenants' histories, each loaded after the others', as the demo's loads and a new tenant's do
        for tenant in range(10):
            conn.execute(
                "insert into raw_packing.orders select md5(%s::text), now() + i * interval '1 minute', i "
                "from generate_series(1, 20000) i",
                (tenant * 7919 % 10,),
            )
        size = "select pg_relation_size('raw_packing.orders_tenant_cursor_idx')"
        before = conn.execute(size).fetchone()[0]  # type: ignore[index]
        # what a rebuild killed half-way leaves: an invalid copy of an index, still written to
        with contextlib.suppress(psycopg.errors.UniqueViolation):
            conn.execute(
                "create unique index concurrently orders_tenant_cursor_idx_ccnew on raw_packing.orders (id)"
            )
        invalid = (
            "select count(*) from pg_index where indrelid = 'raw_packing.orders'::regclass and not indisvalid"
        )
        assert conn.execute(invalid).fetchone() == (1,)
        try:
            reclaimed = warehouse.compact_raw_indexes(settings)
            after = conn.execute(size).fetchone()[0]  # type: ignore[index]
            assert after < 0.8 * before, (before, after)
            assert reclaimed >= before - after
            assert conn.execute("select count(*) from raw_packing.orders").fetchone()[0] == 200_000  # type: ignore[index]
            valid = conn.execute(
                "select count(*), bool_and(indisvalid) from pg_index "
                "where indrelid = 'raw_packing.orders'::regclass"
            ).fetchone()
            assert valid == (1, True)  # the leftover is gone, the index is valid
        finally:
            conn.execute("drop schema raw_packing cascade")
