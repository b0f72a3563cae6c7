"""Connections kept for reuse (``keel.warehouse.reuse_connections``, the API's setting) behave as new ones:
the same login only, transactions ended, a failed block rolled back, nothing of one tenant seen by another."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from keel import tenancy, warehouse
from keel.settings import KeelSettings

SLUGS = ("reuse-cafe-a", "reuse-cafe-b")


@pytest.fixture
def two_tenants(settings: KeelSettings) -> Iterator[list[tenancy.Tenant]]:
    tenants = [tenancy.create_tenant(slug, slug.title()) for slug in SLUGS]
    warehouse.reuse_connections(max_idle=4)
    try:
        yield tenants
    finally:
        warehouse.stop_reusing_connections()
        with warehouse.connect("admin") as conn:
            conn.execute("delete from app.tenants where slug = any(%s)", (list(SLUGS),))


def backend(tenant: tenancy.Tenant) -> tuple[int, str]:
    with warehouse.connect("keel_app", tenant_id=tenant.tenant_id) as conn:
        row = conn.execute("select pg_backend_pid(), app.current_tenant_id()::text").fetchone()
    assert row is not None
    return row[0], row[1]


def test_a_kept_connection_serves_only_its_own_login(two_tenants: list[tenancy.Tenant]) -> None:
    a, b = two_tenants
    first_a, tenant_seen = backend(a)
    assert tenant_seen == str(a.tenant_id)
    assert backend(a)[0] == first_a  # the same session again: no new login
    pid_b, tenant_b = backend(b)
    assert pid_b != first_a and tenant_b == str(b.tenant_id)


def test_writes_commit_and_failures_roll_back(two_tenants: list[tenancy.Tenant]) -> None:
    a, _ = two_tenants
    insert = (
        "insert into app.interventions (tenant_id, kind, name, starts_on) "
        "values ((select app.current_tenant_id()), 'other', %s, current_date)"
    )
    with warehouse.connect("keel_app", tenant_id=a.tenant_id) as conn:
        conn.execute(insert, ("committed",))
    with pytest.raises(RuntimeError), warehouse.connect("keel_app", tenant_id=a.tenant_id) as conn:
        conn.execute(insert, ("rolled back",))
        raise RuntimeError("the caller failed")
    with warehouse.connect("keel_app", tenant_id=a.tenant_id) as conn:
        names = conn.execute("select name from app.interventions order by name").fetchall()
    assert names == [("committed",)]


def test_a_connection_the_server_ended_is_not_handed_out(two_tenants: list[tenancy.Tenant]) -> None:
    a, _ = two_tenants
    pid, _ = backend(a)
    with warehouse.connect("admin", autocommit=True) as admin:
        admin.execute("select pg_terminate_backend(%s)", (pid,))
    warehouse.PING_AFTER_SECONDS, saved = 0.0, warehouse.PING_AFTER_SECONDS
    try:
        new_pid, tenant_seen = backend(a)
    finally:
        warehouse.PING_AFTER_SECONDS = saved
    assert new_pid != pid and tenant_seen == str(a.tenant_id)
