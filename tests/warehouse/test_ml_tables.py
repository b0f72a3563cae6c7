"""The ``ml.*`` tables come from migration 0007: in a migrated warehouse, guarded, written by the pipeline.

The ML assets no longer create tables, so a warehouse migrated to head must already hold every table they
write, with row-level security (also on a new database, where the event trigger of 0003 may not run) and
the grants the pipeline and the console need.
"""

from __future__ import annotations

import pytest

from keel import warehouse
from keel.settings import KeelSettings
from tests.warehouse.conftest import TwoTenants

ML_TABLES = ("ml.forecasts", "ml.forecast_accuracy", "ml.evidence_nodes", "ml.evidence_edges", "ml.plans")


def test_a_migrated_warehouse_holds_every_ml_table_with_row_level_security(settings: KeelSettings) -> None:
    with warehouse.connect("admin", settings=settings) as conn:
        for table in ML_TABLES:
            row = conn.execute(
                "select relrowsecurity, "
                "(select array_agg(polname::text order by polname) from pg_policy where polrelid = c.oid) "
                "from pg_class c where oid = to_regclass(%s)",
                (table,),
            ).fetchone()
            assert row is not None, f"{table} is missing"
            assert row == (True, ["pipeline_access", "tenant_isolation"]), table
            owner = conn.execute(
                "select tableowner from pg_tables where format('%%I.%%I', schemaname, tablename) = %s",
                (table,),
            )
            assert owner.fetchone() == ("keel_transformer",), table
            for role, privilege, allowed in (
                ("keel_transformer", "insert", True),
                ("keel_transformer", "delete", True),
                ("keel_app", "select", True),
                ("keel_analyst", "select", True),
                ("keel_app", "insert", False),
                ("keel_loader", "select", False),
            ):
                granted = conn.execute("select has_table_privilege(%s, %s, %s)", (role, table, privilege))
                assert granted.fetchone() == (allowed,), (table, role, privilege)


@pytest.mark.parametrize("table", ["ml.plans"])
def test_the_console_reads_only_its_tenants_rows(table: str, two_tenants: TwoTenants) -> None:
    a, b = two_tenants.a.tenant_id, two_tenants.b.tenant_id
    with warehouse.connect("keel_transformer") as conn:
        conn.execute(f"delete from {table} where tenant_id = any(%s)", ([a, b],))
        for tenant in (a, b):
            conn.execute(
                f"insert into {table} (tenant_id, plan_type, horizon, period, status, decisions, currency, "
                "binding_constraints, conflicting_constraints, explanation, notes, metrics, inputs, "
                "total_seconds, run_id) values (%s, 'budget', 0, '', 'not_applicable', '[]', 'USD', '[]', "
                "'[]', 'no ad channels', '[]', '{}', '{}', 0, 'test')",
                (tenant,),
            )
    try:
        with warehouse.connect("keel_app", tenant_id=a) as conn:
            rows = conn.execute(f"select tenant_id from {table}").fetchall()
        assert [r[0] for r in rows] == [a]
    finally:
        with warehouse.connect("keel_transformer") as conn:
            conn.execute(f"delete from {table} where tenant_id = any(%s)", ([a, b],))
