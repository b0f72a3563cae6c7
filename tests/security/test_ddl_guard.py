"""Attacks through the builders' DDL (#13 M4 and "Lower"): the guard keeps tenants apart whatever the
transformer or the loader creates, and EXPLAIN shows nothing about another tenant."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from keel import warehouse
from tests.warehouse.conftest import TwoTenants

READERS = ("keel_app", "keel_analyst")


def tenants_seen(role: str, tenant_id: uuid.UUID, relation: str) -> set[str]:
    with warehouse.connect(role, tenant_id=tenant_id) as conn:  # type: ignore[arg-type]
        return {str(r[0]) for r in conn.execute(f"select distinct tenant_id from {relation}").fetchall()}


@pytest.fixture
def transformer() -> Iterator[psycopg.Connection[Any]]:
    with warehouse.connect("keel_transformer", autocommit=True) as conn:
        yield conn


def test_partitions_cannot_be_read_around_the_parent(two_tenants: TwoTenants, transformer: Any) -> None:
    """M4: a partition in a tenant-facing schema, created directly or attached later, carries RLS too."""
    a, b = two_tenants.a.tenant_id, two_tenants.b.tenant_id
    transformer.execute("drop table if exists marts.p cascade")
    transformer.execute("drop table if exists marts.p3 cascade")
    transformer.execute("create table marts.p (tenant_id uuid, d date) partition by range (d)")
    transformer.execute(
        "create table marts.p1 partition of marts.p for values from ('2026-01-01') to ('2027-01-01')"
    )
    transformer.execute("create table marts.p3 (tenant_id uuid, d date)")
    transformer.execute("alter table marts.p3 disable row level security")  # the guard turns it back on
    transformer.execute(
        "alter table marts.p attach partition marts.p3 for values from ('2027-01-01') to ('2028-01-01')"
    )
    transformer.execute(
        "insert into marts.p values (%s, '2026-03-01'), (%s, '2026-03-01'), "
        "(%s, '2027-03-01'), (%s, '2027-03-01')",
        (a, b, a, b),
    )
    for role in READERS:
        for relation in ("marts.p", "marts.p1", "marts.p3"):
            assert tenants_seen(role, a, relation) == {str(a)}, (role, relation)


def test_any_declared_tenant_column_is_guarded(two_tenants: TwoTenants, transformer: Any) -> None:
    a, b = two_tenants.a.tenant_id, two_tenants.b.tenant_id
    with warehouse.connect("admin") as admin:
        admin.execute("insert into app.tenant_columns values ('business_id') on conflict do nothing")
    try:
        transformer.execute("drop table if exists marts.by_business")
        transformer.execute("create table marts.by_business (business_id uuid, amount int)")
        transformer.execute("insert into marts.by_business values (%s, 1), (%s, 2)", (a, b))
        for role in READERS:
            with warehouse.connect(role, tenant_id=a) as conn:  # type: ignore[arg-type]
                seen = conn.execute("select business_id from marts.by_business").fetchall()
            assert seen == [(a,)], role
    finally:
        transformer.execute("drop table if exists marts.by_business")
        with warehouse.connect("admin") as admin:
            admin.execute("delete from app.tenant_columns where column_name = 'business_id'")


@pytest.mark.parametrize(
    "statement",
    [
        "create view marts.all_totals as select sum(total) as total from marts.test_orders",
        "create table marts.all_totals as select sum(total) as total from marts.test_orders",
        "create materialized view ml.all_totals as select sum(total) as total from marts.test_orders",
        "create view metrics.all_totals as select total from marts.test_orders",
    ],
)
def test_relations_without_a_tenant_column_are_refused_in_tenant_facing_schemas(
    statement: str, two_tenants: TwoTenants, transformer: Any
) -> None:
    with pytest.raises(psycopg.errors.RaiseException, match="has no tenant column"):
        transformer.execute(statement)


def test_declared_public_reference_data_is_allowed(two_tenants: TwoTenants, transformer: Any) -> None:
    with warehouse.connect("admin") as admin:
        admin.execute(
            "insert into app.public_reference_relations values ('marts.currency_names', 'test') "
            "on conflict do nothing"
        )
    transformer.execute("drop view if exists marts.currency_names")
    transformer.execute("create view marts.currency_names as select 'USD' as code, 'US dollar' as name")
    transformer.execute("drop table if exists benchmarks.test_reference")
    transformer.execute("create table benchmarks.test_reference as select 1 as x")  # benchmarks: public
    transformer.execute("drop view marts.currency_names")
    transformer.execute("drop table benchmarks.test_reference")


@pytest.mark.parametrize(
    "statement",
    [
        "alter view marts.test_orders_view set (security_invoker = false)",
        "alter view marts.test_orders_view reset (security_invoker)",
        "alter table marts.test_orders_view set (security_invoker = false)",
    ],
)
def test_a_view_cannot_be_switched_to_its_owners_rights(
    statement: str, two_tenants: TwoTenants, transformer: Any
) -> None:
    transformer.execute(statement)
    options = transformer.execute(
        "select reloptions from pg_class where oid = 'marts.test_orders_view'::regclass"
    ).fetchone()[0]
    assert "security_invoker=true" in options
    for role in READERS:
        assert tenants_seen(role, two_tenants.a.tenant_id, "marts.test_orders_view") == {
            str(two_tenants.a.tenant_id)
        }


@pytest.mark.parametrize(
    "statement",
    [
        "create view raw_test.planted as select * from raw_test.orders",
        "create function raw_test.planted() returns int language sql as $$ select 1 $$",
        "create materialized view raw_test.planted_mv as select * from raw_test.orders",
        "create trigger planted before insert on raw_test.orders "
        "for each row execute function pg_catalog.now()",
    ],
)
def test_the_loader_plants_no_code_that_the_transformer_would_run(
    statement: str, two_tenants: TwoTenants
) -> None:
    """A view or function of the loader's would run with the rights of whoever reads raw data."""
    with (
        warehouse.connect("keel_loader", autocommit=True) as conn,
        pytest.raises(psycopg.errors.RaiseException, match="may not create or change code objects"),
    ):
        conn.execute(statement)


def estimated_rows(conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...]) -> float:
    plan = conn.execute(f"explain (format json) {query}", params).fetchone()[0]  # type: ignore[index]
    return float(plan[0]["Plan"]["Plan Rows"])


def test_explain_reveals_nothing_about_another_tenant(two_tenants: TwoTenants, transformer: Any) -> None:
    """Lower: estimates once showed another tenant's row count (11,598 estimated vs 11,853 real)."""
    a, b = two_tenants.a.tenant_id, two_tenants.b.tenant_id
    transformer.execute("drop table if exists marts.explain_probe")
    transformer.execute(
        "create table marts.explain_probe as "
        "select %s::uuid as tenant_id, g as n from generate_series(1, 3000) g "
        "union all select %s::uuid, g from generate_series(1, 700) g",
        (a, b),
    )
    transformer.execute("analyze marts.explain_probe")
    with warehouse.connect("admin") as admin:
        stats = admin.execute(
            "select count(*) from pg_stats where tablename = 'explain_probe' and attname = 'tenant_id'"
        ).fetchone()
    assert stats == (0,)  # no statistics kept on the tenant column
    query = "select * from marts.explain_probe where tenant_id = %s"
    for role in READERS:
        with warehouse.connect(role, tenant_id=a) as conn:  # type: ignore[arg-type]
            about_b = estimated_rows(conn, query, (b,))
            about_nobody = estimated_rows(conn, query, (uuid.uuid4(),))
        assert about_b == about_nobody, (role, about_b, about_nobody)
        assert abs(about_b - 700) > 300
