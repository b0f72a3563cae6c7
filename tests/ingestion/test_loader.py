"""dlt loading of the demo businesses into raw_<source>: idempotent, incremental, and bad records
set aside without losing good ones or stopping other tenants."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ingestion import loader
from ingestion.demo import DemoWorld, simulate
from ingestion.demo import demo_tenant_id as simulate_tenant_id
from ingestion.demo_load import load_sources, register_tenants
from keel import warehouse
from keel.settings import KeelSettings
from tests.conftest import database_of_its_own

TENANTS = ["bluebird-coffee", "gloss-and-grain", "paper-lantern-books"]
START, FIRST_END, LATER_END = date(2026, 7, 1), date(2026, 8, 31), date(2026, 9, 30)


def world(end: date, **kwargs: Any) -> DemoWorld:
    return simulate(seed=7, start=START, end=end, tenants=TENANTS, **kwargs)


def raw_counts(conn: Any, table: str) -> dict[str, tuple[int, int]]:
    """tenant -> (rows, distinct primary keys) of a raw table, for this module's tenants (other test
    modules load other tenants into the same shared raw tables)."""
    ours = [str(simulate_tenant_id(slug)) for slug in TENANTS]
    rows = conn.execute(
        f"select tenant_id, count(*), count(distinct id) from {table} where tenant_id = any(%s) group by 1",
        (ours,),
    ).fetchall()
    return {tenant: (n, distinct) for tenant, n, distinct in rows}


def expected(w: DemoWorld, source: str, resource: str) -> dict[str, int]:
    return {
        str(t.tenant_id): sum(1 for _ in w.records(source, resource, t.tenant_id))
        for t in w.tenants
        if t.uses(source)
    }


@pytest.fixture(scope="module")
def loaded(settings: KeelSettings) -> dict[str, Any]:
    """Load the first two months, load them again, then load a third month."""
    first = world(FIRST_END)
    register_tenants(first, with_owners=False)
    runs: dict[str, Any] = {"first": load_sources(first)}
    checked = loader.problems
    calls = {"n": 0}

    def counted(*args: Any, **kwargs: Any) -> list[str]:
        calls["n"] += 1
        return checked(*args, **kwargs)

    loader.problems = counted  # type: ignore[assignment]
    try:
        runs["again"] = load_sources(first)
    finally:
        loader.problems = checked  # type: ignore[assignment]
    runs["checked_again"] = calls["n"]
    with warehouse.connect("admin") as conn:
        runs["orders_after_first"] = raw_counts(conn, "raw_shopify.orders")
        runs["charges_after_first"] = raw_counts(conn, "raw_stripe.charges")
    later = world(LATER_END)
    runs["later"] = load_sources(later)
    runs["worlds"] = (first, later)
    return runs


def test_first_load_has_every_record_once(loaded: dict[str, Any]) -> None:
    first, _ = loaded["worlds"]
    assert all(r.ok for r in loaded["first"]), [r.error for r in loaded["first"] if not r.ok]
    orders = expected(first, "shopify", "orders")
    assert sum(orders.values()) > 1000
    assert loaded["orders_after_first"] == {t: (n, n) for t, n in orders.items()}
    charges = expected(first, "stripe", "charges")
    assert loaded["charges_after_first"] == {t: (n, n) for t, n in charges.items()}


def test_second_run_loads_nothing(loaded: dict[str, Any]) -> None:
    again = loaded["again"]
    assert all(r.ok for r in again)
    assert sum(sum(r.rows.values()) for r in again) == 0
    assert sum(sum(r.extracted.values()) for r in again) > 0  # the source gave its look-back window again


def test_second_run_passes_over_what_the_cursors_already_hold(loaded: dict[str, Any]) -> None:
    # A second run asks each resource from its resume point (its last cursor less the look-back): the demo
    # builds little before it, and what it does give before it is passed over before the contract checks
    # and the Arrow conversion.
    first = sum(sum(r.extracted.values()) for r in loaded["first"])
    offered = sum(sum(r.extracted.values()) for r in loaded["again"])
    assert first > 10_000
    assert offered < first // 10, (offered, first)
    assert loaded["checked_again"] <= offered, (loaded["checked_again"], offered)


def test_later_run_loads_only_new_and_changed_records(loaded: dict[str, Any]) -> None:
    first, later = loaded["worlds"]
    orders_loaded = sum(r.rows.get("orders", 0) for r in loaded["later"] if r.source == "shopify")
    new_total = sum(expected(later, "shopify", "orders").values())
    old_total = sum(expected(first, "shopify", "orders").values())
    assert 0 < new_total - old_total <= orders_loaded < new_total // 2
    with warehouse.connect("admin") as conn:
        counts = raw_counts(conn, "raw_shopify.orders")
        # A refund after the first load updated the stored order instead of adding a row.
        refunded_later = conn.execute(
            "select count(*) from raw_shopify.orders where refunds::jsonb <> '[]'::jsonb "
            "and created_at::timestamptz < %s",
            (FIRST_END,),
        ).fetchone()[0]
    assert counts == {t: (n, n) for t, n in expected(later, "shopify", "orders").items()}
    assert refunded_later > 0


def test_transformer_reads_what_the_loader_wrote(loaded: dict[str, Any]) -> None:
    with warehouse.connect("keel_transformer") as conn:
        assert conn.execute("select count(*) from raw_shopify.orders").fetchone()[0] > 0
    with warehouse.connect("admin") as conn:
        owners = {
            r[0]
            for r in conn.execute(
                "select distinct tableowner from pg_tables where schemaname like 'raw\\_%'"
            ).fetchall()
        }
    assert owners == {"keel_loader"}


def test_a_malformed_record_is_set_aside_and_the_rest_loads(settings: KeelSettings) -> None:
    bad = simulate(
        seed=7,
        start=date(2026, 10, 1),
        end=date(2026, 10, 31),
        tenants=["hearth-espresso"],
        malformed={"hearth-espresso": ["shopify.orders:wrong_type", "shopify.customers:missing_id"]},
    )
    register_tenants(bad, with_owners=False)
    tenant = str(bad.tenants[0].tenant_id)
    results = load_sources(bad, sources=["shopify"])
    assert [r.ok for r in results] == [True]
    assert results[0].rejected == 2
    with warehouse.connect("admin") as conn:
        rejected = conn.execute(
            "select resource, problems from raw_shopify.rejected_records where tenant_id = %s order by 1",
            (tenant,),
        ).fetchall()
        orders = conn.execute(
            "select count(*) from raw_shopify.orders where tenant_id = %s", (tenant,)
        ).fetchone()
    assert [r[0] for r in rejected] == ["customers", "orders"]
    assert "primary key field 'id' is missing" in rejected[0][1]
    assert "should be a number" in rejected[1][1]
    assert orders[0] == sum(1 for _ in bad.records("shopify", "orders", tenant)) - 1


def test_one_failing_tenant_does_not_stop_the_others(settings: KeelSettings) -> None:
    w = simulate(
        seed=7, start=date(2026, 10, 1), end=date(2026, 10, 31), tenants=["crumb-and-co", "hearth-espresso"]
    )
    register_tenants(w, with_owners=False)
    broken = str(w.tenants[0].tenant_id)

    def records_for(tenant_id: str) -> loader.RecordsFn:
        def records(spec: Any, since: Any) -> Any:
            if tenant_id == broken:
                raise ConnectionError("the shop's API answered 503")
            return w.records("shifts", spec.name, tenant_id)

        return records

    tenants = [str(t.tenant_id) for t in w.tenants]
    results = loader.load_source("shifts", w.resources("shifts"), records_for, tenants)
    by_tenant = {r.tenant_id: r for r in results}
    assert by_tenant[broken].error is not None and "503" in by_tenant[broken].error
    other = by_tenant[tenants[1]]
    assert other.ok and other.rows["timecards"] > 0


@pytest.fixture(scope="module")
def settings(keel_home: Path) -> Iterator[KeelSettings]:
    """This module's own database: it loads demo businesses and counts or builds over all of them."""
    with database_of_its_own(keel_home, "loader") as own:
        yield own


def test_a_pipelines_destination_answers_its_capabilities_as_dlt_does() -> None:
    """The loads' destination computes its plain capabilities once (:func:`loader._capabilities_once`): the
    answer is dlt's own, every time, and a caller changing its copy changes nobody else's."""
    import functools

    import dlt

    def made() -> Any:
        return dlt.destinations.postgres(credentials="postgresql://u:p@localhost:5432/db")

    def answer(caps: Any) -> dict[str, Any]:  # a copied partial is the same call, but not equal
        return {
            k: (v.func, v.args, v.keywords) if isinstance(v, functools.partial) else v
            for k, v in caps.items()
        }

    dlt_own, cached = made().capabilities(), loader._capabilities_once(made())
    first, second = cached.capabilities(), cached.capabilities()
    assert answer(first) == answer(second) == answer(dlt_own)
    first.max_identifier_length = 7
    assert cached.capabilities().max_identifier_length == dlt_own.max_identifier_length != 7
    # asked with a naming convention, dlt answers as before
    naming = dlt.common.normalizers.naming.snake_case.NamingConvention()
    assert answer(cached.capabilities(naming=naming)) == answer(made().capabilities(naming=naming))
