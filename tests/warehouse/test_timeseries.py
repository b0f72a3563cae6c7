"""Monthly partitioning (the native path; TimescaleDB is not installable on this machine)."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest

from keel import warehouse
from tests.warehouse.conftest import TwoTenants
from warehouse_init.timeseries import time_series_ddl


def partition_rows(conn: psycopg.Connection) -> dict[str, int]:
    rows = conn.execute(
        "select tableoid::regclass::text, count(*) from app.audit_events group by 1"
    ).fetchall()
    return dict(rows)


def test_rows_land_in_their_month_and_the_default_partition_catches_the_rest(two_tenants: TwoTenants) -> None:
    far_past = datetime(2019, 3, 15, 12, tzinfo=UTC)
    with warehouse.connect("admin") as conn:
        conn.execute("delete from app.audit_events where action = 'test.partition'")
        conn.execute(
            "insert into app.audit_events (tenant_id, occurred_at, action) "
            "values (%s, now(), 'test.partition'), (%s, %s, 'test.partition')",
            (two_tenants.a.tenant_id, two_tenants.b.tenant_id, far_past),
        )
        where = dict(
            conn.execute(
                "select occurred_at < '2020-01-01', tableoid::regclass::text from app.audit_events "
                "where action = 'test.partition'"
            ).fetchall()
        )
        assert where[True] == "partitions.app_audit_events_default"
        this_month = datetime.now(UTC).strftime("%Y%m")
        assert where[False] == f"partitions.app_audit_events_p{this_month}"

        # Creating March 2019 moves the caught row out of the default partition; doing it again adds nothing.
        created = conn.execute(
            "select app.ensure_monthly_partitions('app.audit_events', '2019-02-01', '2019-04-01')"
        ).fetchone()
        assert created == (2,)
        assert conn.execute(
            "select app.ensure_monthly_partitions('app.audit_events', '2019-02-01', '2019-04-01')"
        ).fetchone() == (0,)
        moved = conn.execute(
            "select tableoid::regclass::text from app.audit_events where occurred_at = %s", (far_past,)
        ).fetchone()
        assert moved == ("partitions.app_audit_events_p201903",)
        conn.rollback()


def test_queries_on_a_month_touch_only_that_partition() -> None:
    with warehouse.connect("admin") as conn:
        plan = "\n".join(
            row[0]
            for row in conn.execute(
                "explain select count(*) from app.audit_events "
                "where occurred_at >= date_trunc('month', now()) "
                "and occurred_at < date_trunc('month', now()) + interval '1 month'"
            ).fetchall()
        )
    month = datetime.now(UTC).strftime("%Y%m")
    assert f"app_audit_events_p{month}" in plan
    assert plan.count("app_audit_events_p") == 1 or "Subplans Removed" in plan


def test_unregistered_tables_are_refused() -> None:
    with (
        warehouse.connect("admin") as conn,
        pytest.raises(psycopg.errors.RaiseException, match="not a registered"),
    ):
        conn.execute("select app.ensure_monthly_partitions('app.tenants', now(), now())")


def test_partitions_are_unreachable_for_the_app_while_the_parent_keeps_rls(two_tenants: TwoTenants) -> None:
    with warehouse.connect("keel_app", tenant_id=two_tenants.a.tenant_id) as conn:
        tenants = {
            row[0] for row in conn.execute("select distinct tenant_id from app.audit_events").fetchall()
        }
        assert tenants == {two_tenants.a.tenant_id}
    with warehouse.connect("admin") as conn:
        assert conn.execute(
            "select has_schema_privilege('keel_app', 'partitions', 'usage'), "
            "has_schema_privilege('keel_analyst', 'partitions', 'usage')"
        ).fetchone() == (False, False)


def test_hypertable_path_statements() -> None:
    """Where TimescaleDB exists the same table becomes a hypertable with monthly chunks."""
    statements = time_series_ddl("metrics.daily", "ds date not null, tenant_id uuid", "ds", hypertable=True)
    assert statements[0] == "create extension if not exists timescaledb"
    assert any(
        "create_hypertable('metrics.daily', by_range('ds', interval '1 month')" in s for s in statements
    )
    assert not any("partition by" in s for s in statements)
    native = time_series_ddl("metrics.daily", "ds date not null, tenant_id uuid", "ds", hypertable=False)
    assert "partition by range (ds)" in native[0]
    assert any("using brin (ds)" in s for s in native)


@pytest.mark.parametrize("name", ["daily", "Metrics.Daily", "metrics.daily; drop table x", "a.b.c"])
def test_time_series_names_are_validated(name: str) -> None:
    with pytest.raises(ValueError, match=r"schema\.table"):
        time_series_ddl(name, "ds date", "ds", hypertable=False)
