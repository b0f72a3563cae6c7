"""Least privilege: each role can do its job and is refused what it must not do."""

from __future__ import annotations

import psycopg
import pytest

from keel import warehouse
from keel.settings import ROLES
from tests.warehouse.conftest import TwoTenants

MUST_FAIL = {
    "keel_app": [
        "insert into raw_test.orders values (99, null, 1)",
        "select * from raw_test.orders",
        "update marts.test_orders set total = 0",
        "alter table app.tenants add column hacked int",
        "alter table marts.test_orders add column hacked int",
        "drop table marts.test_orders",
        "create table marts.mine (x int)",
        "create table app.mine (x int)",
        "create table public.mine (x int)",
        "create schema mine",
        "truncate app.tenants",
        "delete from app.tenants",
        "select * from staging.anything_at_all",
        "select app.ensure_monthly_partitions('app.audit_events', now(), now() + interval '1 month')",
        "create role sneaky",
    ],
    "keel_analyst": [
        "insert into marts.test_orders values (1, null, 1)",
        "update marts.test_orders set total = 0",
        "delete from marts.test_orders",
        "create table marts.mine (x int)",
        "create table public.mine (x int)",
        "create schema mine",
        "select * from raw_test.orders",
        "select * from app.tenants",
        "select * from app.data_sources",
        "insert into app.audit_events (tenant_id, action) values (gen_random_uuid(), 'x.y')",
    ],
    "keel_loader": [
        "select * from marts.test_orders",
        "create table marts.mine (x int)",
        "insert into app.tenants (tenant_id, slug, name) values (gen_random_uuid(), 'evil', 'Evil')",
        "delete from app.data_sources",
        "update app.data_sources set config = '{}'",
    ],
    "keel_transformer": [
        "insert into raw_test.orders values (99, null, 1)",
        "delete from raw_test.orders",
        "drop table raw_test.orders",
        "insert into app.tenants (tenant_id, slug, name) values (gen_random_uuid(), 'evil', 'Evil')",
        "select * from app.data_sources",
    ],
}


@pytest.mark.parametrize(("role", "statement"), [(r, s) for r, stmts in MUST_FAIL.items() for s in stmts])
def test_role_is_refused(role: str, statement: str, two_tenants: TwoTenants) -> None:
    with (
        warehouse.connect(role, tenant_id=two_tenants.a.tenant_id, autocommit=True) as conn,  # type: ignore[arg-type]
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(statement)


def test_no_keel_role_is_privileged(two_tenants: TwoTenants) -> None:
    with warehouse.connect("admin") as conn:
        rows = conn.execute(
            "select rolname, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolcanlogin "
            "from pg_roles where rolname like 'keel\\_%' order by 1"
        ).fetchall()
        memberships = conn.execute(
            "select r.rolname, g.rolname from pg_auth_members m join pg_roles r on r.oid = m.member "
            "join pg_roles g on g.oid = m.roleid where r.rolname like 'keel\\_%'"
        ).fetchall()
    services = [r[0] for r in rows if r[0] in ROLES]
    assert services == sorted(ROLES)  # keel_analyst, keel_app, keel_auth, keel_loader, keel_transformer
    assert all(r[1:5] == (False, False, False, False) and r[5] for r in rows)
    # The only memberships: each tenant's two logins in keel_app / keel_analyst, whose rights they use.
    # Nobody can SET ROLE into a pipeline role or into another tenant's role.
    for tenant in (two_tenants.a, two_tenants.b):
        for group in ("keel_app", "keel_analyst"):
            assert (warehouse.tenant_login(group, tenant.tenant_id), group) in memberships
    assert all(
        member == warehouse.tenant_login(group, member.rsplit("_", 1)[1]) for member, group in memberships
    )


def test_each_role_can_do_its_job(two_tenants: TwoTenants) -> None:
    # The loader creates its raw schema and tables (dlt does), and the transformer reads them by default.
    with warehouse.connect("keel_loader") as conn:
        conn.execute("create schema if not exists raw_jobcheck")
        conn.execute("create table if not exists raw_jobcheck.items (id int, tenant_id uuid)")
        conn.execute("insert into raw_jobcheck.items values (1, %s)", (two_tenants.a.tenant_id,))
        conn.execute("update app.data_sources set last_loaded_at = now()")
    with warehouse.connect("keel_transformer") as conn:
        assert conn.execute("select count(*) from raw_jobcheck.items").fetchone() == (1,)
        conn.execute("drop table if exists ml.jobcheck")
        conn.execute("create table ml.jobcheck as select id, tenant_id from raw_jobcheck.items")
        conn.execute("select app.ensure_monthly_partitions('app.audit_events', now(), now())")
    # The app and the analyst read what the transformer built (default privileges), for their tenant.
    for role in ("keel_app", "keel_analyst"):
        with warehouse.connect(role, tenant_id=two_tenants.a.tenant_id) as conn:  # type: ignore[arg-type]
            assert conn.execute("select count(*) from ml.jobcheck").fetchone() == (1,)
        with warehouse.connect(role, tenant_id=two_tenants.b.tenant_id) as conn:  # type: ignore[arg-type]
            assert conn.execute("select count(*) from ml.jobcheck").fetchone() == (0,)
    with warehouse.connect("keel_app", tenant_id=two_tenants.a.tenant_id) as conn:
        conn.execute(
            "insert into app.audit_events (tenant_id, action) values (%s, 'test.job')",
            (two_tenants.a.tenant_id,),
        )


def test_long_running_code_never_uses_the_administrator() -> None:
    """#13 M3: only `keel init` (warehouse_init), the `keel db` commands and `keel tenant export|delete`
    (keel/tenant_data.py: a one-off operator command that must reach every schema and drop the tenant's
    login roles) connect as the administrator; nothing that keeps running does."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    ADMIN_USE = r"""(connect|role_params)\(\s*["']admin["']|ensure_warehouse"""
    offenders = []
    for folder in ("app", "orchestration", "ingestion", "models_ml", "coach", "keel"):
        for path in (root / folder).rglob("*.py"):
            if path.relative_to(root).as_posix() in ("keel/warehouse.py", "keel/tenant_data.py"):
                continue
            text = path.read_text()
            if re.search(ADMIN_USE, text):
                offenders.append(path.relative_to(root).as_posix())
    assert offenders == []
    # The core does not migrate: keel.warehouse does not import warehouse_init.
    core = (root / "keel" / "warehouse.py").read_text()
    assert not re.search(r"^\s*(from|import) warehouse_init", core, re.MULTILINE)
