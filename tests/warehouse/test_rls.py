"""Row-level security: one tenant's session never reads another tenant's rows, whatever it tries."""

from __future__ import annotations

import contextlib
from typing import Any

import psycopg
import pytest

from keel import warehouse
from keel.errors import InvalidInput
from keel.settings import KeelSettings
from tests.warehouse.conftest import TwoTenants, tenant_scoped_relations

READERS = ("keel_app", "keel_analyst")


def readable(role: str, relations: list[str]) -> list[str]:
    """The relations among ``relations`` that ``role`` may select from."""
    with warehouse.connect("admin") as conn:
        return [
            rel
            for rel in relations
            if conn.execute("select has_any_column_privilege(%s, %s, 'select')", (role, rel)).fetchone()
            == (True,)
        ]


def tenant_counts(conn: psycopg.Connection[Any], relation: str) -> dict[str, int]:
    rows = conn.execute(f"select tenant_id::text, count(*) from {relation} group by 1").fetchall()
    return {tenant: count for tenant, count in rows}


@pytest.fixture(scope="module")
def relations(settings: KeelSettings, two_tenants: TwoTenants) -> list[str]:
    found = tenant_scoped_relations(settings)
    # The guard below is only meaningful if it sees the tables it is meant to guard.
    assert {
        "app.tenants",
        "app.users",
        "app.subscriptions",
        "app.data_sources",
        "app.audit_events",
        "marts.test_orders",
        "marts.test_orders_view",
    } <= set(found), found
    return found


def unguarded(conn: psycopg.Connection[Any], relations: list[str]) -> list[str]:
    """Which of ``relations`` lack what keeps tenants apart (an RLS policy, or an invoker's view)."""
    found = []
    for rel in relations:
        kind, rls, options = conn.execute(
            "select relkind, relrowsecurity, coalesce(reloptions, '{}') "
            "from pg_class where oid = %s::regclass",
            (rel,),
        ).fetchone()
        if rel == "app.tenant_roles":  # a session reads its own login's row only
            policy = conn.execute(
                "select qual from pg_policies where schemaname = 'app' and tablename = 'tenant_roles' "
                "and policyname = 'own_role'"
            ).fetchone()
            if not rls or policy is None or policy[0] != "(role_name = CURRENT_USER)":
                found.append(f"{rel}: without the own_role policy")
        elif kind in ("r", "p"):
            policy = conn.execute(
                "select qual from pg_policies where format('%%I.%%I', schemaname, tablename) = %s "
                "and policyname = 'tenant_isolation' and roles @> array['keel_app', 'keel_analyst']::name[]",
                (rel,),
            ).fetchone()
            if not rls or policy is None or "current_tenant_id()" not in policy[0]:
                found.append(f"{rel}: table without the tenant_isolation policy")
        elif kind == "v":
            if "security_invoker=true" not in options:
                found.append(f"{rel}: view that does not run as its invoker")
        else:
            found.append(f"{rel}: relation kind {kind!r} cannot carry row-level security")
    return found


def test_every_tenant_table_the_app_can_read_has_row_level_security(relations: list[str]) -> None:
    """Fails when a later migration or dbt model adds a tenant table that keel_app can read without RLS."""
    with warehouse.connect("admin") as conn:
        assert unguarded(conn, relations) == []


def test_the_guard_notices_a_table_without_row_level_security(relations: list[str]) -> None:
    with warehouse.connect("admin") as conn:  # everything here is rolled back
        conn.execute("alter event trigger keel_enforce_tenant_isolation disable")
        conn.execute("alter table marts.test_orders disable row level security")
        conn.execute("alter view marts.test_orders_view reset (security_invoker)")
        assert unguarded(conn, relations) == [
            "marts.test_orders: table without the tenant_isolation policy",
            "marts.test_orders_view: view that does not run as its invoker",
        ]
        conn.rollback()


def test_the_event_trigger_turns_row_level_security_back_on(relations: list[str]) -> None:
    with warehouse.connect("admin") as conn:
        conn.execute("alter table marts.test_orders disable row level security")
        assert unguarded(conn, relations) == []
        conn.rollback()


def test_materialized_views_with_tenant_rows_are_not_readable(relations: list[str]) -> None:
    assert "marts.test_orders_mv" not in relations


@pytest.mark.parametrize("role", READERS)
def test_tenant_a_sees_only_its_own_rows(role: str, two_tenants: TwoTenants, relations: list[str]) -> None:
    a, b = str(two_tenants.a.tenant_id), str(two_tenants.b.tenant_id)
    both = 0
    with warehouse.connect("admin") as admin, warehouse.connect(role, tenant_id=a) as conn:  # type: ignore[arg-type]
        for rel in readable(role, relations):
            if rel == "app.tenant_roles":  # a login sees its own row, not its tenant's other login
                assert conn.execute("select role_name from app.tenant_roles").fetchall() == [
                    (warehouse.tenant_login(role, a),)
                ]
                continue
            stored = tenant_counts(admin, rel)
            seen = tenant_counts(conn, rel)
            assert seen == ({a: stored[a]} if a in stored else {}), f"{role} with tenant A in {rel}: {seen}"
            both += a in stored and b in stored
    # The fixture gives both tenants rows in every table of the foundation (and the metrics table).
    assert both >= (7 if role == "keel_app" else 3)


@pytest.mark.parametrize("role", READERS)
def test_no_tenant_set_sees_nothing(role: str, two_tenants: TwoTenants, relations: list[str]) -> None:
    with warehouse.connect(role) as conn:  # type: ignore[arg-type]
        for rel in readable(role, relations):
            assert tenant_counts(conn, rel) == {}, rel


WIDENING_ATTEMPTS = [
    # The tenant is the login role: a setting naming another tenant (whose id is easy to predict) is ignored.
    "set keel.tenant_id = '{B}'",
    "select set_config('keel.tenant_id', '{B}', false)",
    "set app.tenant_id = '{B}'",
    "set role keel_app",
    "set session authorization keel_app",
    "reset keel.tenant_id",
    "reset all",
    "set keel.tenant_id = ''",
    "set keel.tenant_id = '%'",
    "set keel.tenant_id = '*'",
    "set keel.tenant_id = '{A},{B}'",
    "set keel.tenant_id = '{A}, {B}'",
    "set keel.tenant_id = '{{{A},{B}}}'",
    "select set_config('keel.tenant_id', '{A}'' or ''1''=''1', false)",
    "select set_config('keel.tenant_id', '00000000-0000-0000-0000-000000000000'' or true --', false)",
    "set role none",
    "reset role",
    "reset session authorization",
]


@pytest.mark.parametrize("attempt", WIDENING_ATTEMPTS)
def test_a_session_cannot_widen_its_view(attempt: str, two_tenants: TwoTenants, relations: list[str]) -> None:
    a, b = str(two_tenants.a.tenant_id), str(two_tenants.b.tenant_id)
    with warehouse.connect("keel_app", tenant_id=a, autocommit=True) as conn:
        with contextlib.suppress(psycopg.Error):  # refused outright: also fine
            conn.execute(attempt.replace("{A}", a).replace("{B}", b))
        assert conn.execute("select session_user").fetchone() == (warehouse.tenant_login("keel_app", a),)
        for rel in readable("keel_app", relations):
            assert b not in tenant_counts(conn, rel), f"{attempt!r} exposed tenant B in {rel}"


@pytest.mark.parametrize(
    "statement",
    [
        "set role keel_transformer",
        "set role keel_loader",
        "set role postgres",
        "set session authorization postgres",
        "alter table app.tenants disable row level security",
        "alter table marts.test_orders disable row level security",
        "drop policy tenant_isolation on app.users",
        "create policy leak on app.users for select to keel_app using (true)",
        "alter role keel_app bypassrls",
        "select * from partitions.app_audit_events_default",
        "select app.enable_tenant_isolation('marts.test_orders')",
        "select password_hash from app.users",
    ],
)
def test_privilege_escalations_are_refused(statement: str, two_tenants: TwoTenants) -> None:
    with (
        warehouse.connect("keel_app", tenant_id=two_tenants.a.tenant_id, autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(statement)


def test_writes_for_another_tenant_are_refused(two_tenants: TwoTenants) -> None:
    a, b = two_tenants.a.tenant_id, two_tenants.b.tenant_id
    with warehouse.connect("keel_app", tenant_id=a, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(
                "insert into app.subscriptions (tenant_id, plan, status) values (%s, 'pro', 'active')", (b,)
            )
        updated = conn.execute("update app.data_sources set name = 'hijacked' where tenant_id = %s", (b,))
        assert updated.rowcount == 0
        deleted = conn.execute("delete from app.data_sources where tenant_id = %s", (b,))
        assert deleted.rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("update app.data_sources set tenant_id = %s where tenant_id = %s", (b, a))
    with warehouse.connect("keel_app", tenant_id=b) as conn:
        assert conn.execute("select count(*) from app.data_sources where name = 'hijacked'").fetchone() == (
            0,
        )


@pytest.mark.parametrize(
    "bad", ["", "*", "%", "a,b", "1 or 1=1", "'; drop table app.tenants; --", "not-a-uuid"]
)
def test_a_tenant_connection_refuses_anything_but_one_uuid(bad: str) -> None:
    with pytest.raises(InvalidInput, match="not a UUID"), warehouse.connect("keel_app", tenant_id=bad):
        pass


def test_pipeline_roles_read_across_tenants(two_tenants: TwoTenants) -> None:
    """The loader and transformer build tables for every tenant, so RLS lets them through."""
    with warehouse.connect("keel_transformer") as conn:
        counts = tenant_counts(conn, "marts.test_orders")
        assert {str(two_tenants.a.tenant_id), str(two_tenants.b.tenant_id)} <= set(counts)
        assert conn.execute("select count(*) from app.tenants").fetchone()[0] >= 2
