"""Tenants' loads of one source at the same time (KEEL_PARALLEL_TENANTS > 1) lose and add nothing.

Each tenant's pipeline merges through a staging dataset of its own: with one shared staging dataset, a
merge emptied (``load.truncate_staging_dataset``) or truncated at its start the rows the other tenant had
just staged, and that tenant's records were reported loaded but never reached ``raw_<source>``; and two
loads creating the same raw table at once failed one of them. Four tenants in three rounds: on the old
layout a round lost rows (or failed) in every one of several tries; a single pair of small loads met
too rarely to show it.
"""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ingestion import loader
from ingestion.demo import DemoWorld, simulate
from ingestion.demo_load import register_tenants
from keel import warehouse
from keel.settings import KeelSettings
from tests.conftest import database_of_its_own

SOURCE = "quickbooks"
TENANTS = ["bluebird-coffee", "the-barber-collective", "formwise", "paper-lantern-books"]


@pytest.fixture(scope="module")
def settings(keel_home: Path) -> Iterator[KeelSettings]:
    """A database of its own: the raw tables start absent, so both loads also create them at once."""
    with database_of_its_own(keel_home, "parallel") as own:
        yield own


#: Each round loads one more month, every tenant at once: each round's merges may meet (seconds each).
ENDS = [date(2026, 7, 31), date(2026, 8, 31), date(2026, 9, 30)]


def simulated(end: date) -> DemoWorld:
    return simulate(seed=7, start=date(2026, 7, 1), end=end, tenants=TENANTS)


@pytest.fixture(scope="module")
def world(settings: KeelSettings) -> DemoWorld:
    w = simulated(ENDS[-1])
    register_tenants(w, with_owners=False)
    return w


def _load(w: DemoWorld, tenant_id: str, start: Any, results: Any) -> None:
    """In a worker process: wait for the other worker, then load the tenant's source."""
    start.wait(timeout=60)
    records = lambda spec, since: w.records(SOURCE, spec.name, tenant_id, since)  # noqa: E731
    results.put(loader.load_tenant(SOURCE, w.resources(SOURCE), records, tenant_id))


def load_at_once(w: DemoWorld) -> dict[str, loader.TenantLoad]:
    """Every tenant's load of ``SOURCE`` in a process of its own, all started together (as `keel demo`'s
    pool of tenant runs forks them)."""
    context = multiprocessing.get_context("fork")
    start = context.Barrier(len(w.tenants))
    results = context.Queue()
    workers = [context.Process(target=_load, args=(w, str(t.tenant_id), start, results)) for t in w.tenants]
    for worker in workers:
        worker.start()
    loads = [results.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0] * len(workers)
    return {load.tenant_id: load for load in loads}


def raw_keys(w: DemoWorld) -> dict[tuple[str, str], tuple[int, set[str]]]:
    """(tenant, resource) -> (rows, primary keys) in ``raw_<source>``."""
    found: dict[tuple[str, str], tuple[int, set[str]]] = {}
    with warehouse.connect("admin") as conn:
        for spec in w.resources(SOURCE):
            table = f"{loader.dataset_name(SOURCE)}.{spec.name}"
            exists = conn.execute("select to_regclass(%s)", (table,)).fetchone() != (None,)
            for tenant in w.tenants:
                query = f"select id::text from {table} where tenant_id = %s"  # dlt names the field Id id
                ids = [r[0] for r in conn.execute(query, (str(tenant.tenant_id),))] if exists else []
                found[(str(tenant.tenant_id), spec.name)] = (len(ids), set(ids))
    return found


def source_keys(w: DemoWorld) -> dict[tuple[str, str], tuple[int, set[str]]]:
    """What a one-at-a-time load leaves (tests/ingestion/test_loader.py): every record once, by its key."""
    found: dict[tuple[str, str], tuple[int, set[str]]] = {}
    for spec in w.resources(SOURCE):
        for tenant in w.tenants:
            ids = {str(r["Id"]) for r in w.records(SOURCE, spec.name, tenant.tenant_id)}
            found[(str(tenant.tenant_id), spec.name)] = (len(ids), ids)
    return found


def test_tenants_loading_at_once_each_get_exactly_their_records(world: DemoWorld) -> None:
    for end in ENDS:
        month = simulated(end)
        loads = load_at_once(month)
        assert all(load.ok for load in loads.values()), (end, [load.error for load in loads.values()])
        assert raw_keys(month) == source_keys(month), f"after the loads up to {end}"
    wanted = source_keys(world)
    assert sum(n for n, _ in wanted.values()) > 150

    again = load_at_once(world)
    assert all(load.ok for load in again.values()), [load.error for load in again.values()]
    assert sum(sum(load.rows.values()) for load in again.values()) == 0
    assert raw_keys(world) == wanted


def test_each_tenant_stages_in_a_schema_of_its_own(world: DemoWorld) -> None:
    with warehouse.connect("admin") as conn:
        staging = {
            r[0]
            for r in conn.execute(
                "select nspname from pg_namespace where nspname like %s", (f"raw\\_{SOURCE}\\_%",)
            )
        }
        staged = conn.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema = any(%s) and table_name not like '\\_dlt%%'",
            (sorted(staging),),
        ).fetchall()
        left = sum(conn.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0] for s, t in staged)  # type: ignore[index]
    assert staging == {loader.staging_dataset_name(SOURCE, str(t.tenant_id)) for t in world.tenants}
    assert all(name.endswith("_staging") and len(name.encode()) <= 63 for name in staging)
    assert len(staged) >= len(staging) and left == 0  # records emptied after each merge, as before
    # `keel db status` shows them as one line, not one per tenant and source
    assert not [name for name in warehouse.schema_sizes() if name.endswith("_staging")]


def test_staging_schema_names_stay_within_postgres_limits() -> None:
    uuid_key = loader.staging_dataset_name("quickbooks", "ca126063-ff0a-5d55-83c5-28abf64bb50d")
    assert uuid_key == "raw_quickbooks_ca126063ff0a5d5583c528abf64bb50d_staging"
    assert loader.staging_dataset_name("shopify") == "raw_shopify_staging"  # public data: one pipeline
    assert loader.staging_dataset_name("shopify", "benchmark_peers") == "raw_shopify_benchmark_peers_staging"
    long_source = "a_source_with_a_rather_long_name"
    one = loader.staging_dataset_name(long_source, "ca126063-ff0a-5d55-83c5-28abf64bb50d")
    other = loader.staging_dataset_name(long_source, "ca126063-ff0a-5d55-83c5-28abf64bb50e")
    assert one != other and len(one) == 63
    assert one.startswith(f"raw_{long_source}_") and one.endswith("_staging")
    with pytest.raises(ValueError, match="too long"):
        loader.staging_dataset_name("x" * 42, "t1")


def test_a_tenant_whose_field_is_always_empty_merges_into_the_raw_tables_types(
    settings: KeelSettings,
) -> None:
    """One tenant's records give a field numbers (the raw table's column is bigint), another's leave it
    empty (its own dlt schema says text): its staging table is made like the raw one, so the merge works."""
    spec = SimpleNamespace(
        source="typecheck",
        name="invoices",
        primary_key=("tenant_id", "id"),
        cursor_field="updated_at",
        cursor_type="iso8601",
        write_disposition="merge",
        description="",
    )

    # tenants are uuids in raw tables (the staging models and the cursor index read them as such)
    a, b, c = (str(uuid.uuid5(uuid.NAMESPACE_URL, f"typecheck/{name}")) for name in "abc")

    def records(tenant: str, attempt: int | None) -> list[dict[str, Any]]:
        day = "2026-07-01T10:00:00+00:00"
        return [{"tenant_id": tenant, "id": i, "updated_at": day, "next_attempt": attempt} for i in range(3)]

    first = loader.load_tenant("typecheck", [spec], lambda *_: records(a, 1_780_000_000), a)
    empty = loader.load_tenant("typecheck", [spec], lambda *_: records(b, None), b)
    assert first.ok and empty.ok, (first.error, empty.error)
    with warehouse.connect("admin") as conn:
        counts = conn.execute(
            "select tenant_id, count(*), count(next_attempt) from raw_typecheck.invoices "
            "group by 1 order by 1"
        ).fetchall()
    assert sorted(counts) == sorted([(a, 3, 3), (b, 3, 0)])

    # Two first loads at once can each make their tables before finding the other's (seen at 224 tenants):
    # tenant c's staging table then has the field as text while the raw column is bigint. Its load gives
    # the staging column the raw type and merges.
    staging = loader.staging_dataset_name("typecheck", c)
    with warehouse.connect("keel_loader", autocommit=True) as conn:
        conn.execute(f'create schema if not exists "{staging}"')
        conn.execute(f'create table "{staging}".invoices (like raw_typecheck.invoices)')
        conn.execute(f'alter table "{staging}".invoices alter column next_attempt type varchar')
    late = loader.load_tenant("typecheck", [spec], lambda *_: records(c, None), c)
    assert late.ok, late.error
    with warehouse.connect("admin") as conn:
        kinds = conn.execute(
            "select table_schema, data_type from information_schema.columns "
            "where table_name = 'invoices' and column_name = 'next_attempt' and table_schema = any(%s)",
            (["raw_typecheck", staging],),
        ).fetchall()
        late_rows = conn.execute(
            "select count(*) from raw_typecheck.invoices where tenant_id = %s", (c,)
        ).fetchone()
    assert sorted(kinds) == [("raw_typecheck", "bigint"), (staging, "bigint")]
    assert late_rows == (3,)
