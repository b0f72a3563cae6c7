"""Storage hygiene: the embedded server's WAL settings, disk use by KEEL_HOME folder, dlt's staging copies."""

from __future__ import annotations

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
    assert current["wal_compression"] in {"pglz", "lz4"}
    assert {k: v for k, v in current.items() if k != "wal_compression"} == {
        k: v for k, v in wanted.items() if k != "wal_compression"
    }


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
