"""Tenants as Dagster partitions, on a database of its own: partitions follow the tenants, one tenant's
failed load fails its partition alone, a refresh with nothing new changes nothing, the refresh sensor
launches only the tenants whose sources are due, and freshness checks tell overdue sources from fresh ones.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from ingestion.demo_load import demo_world, register_tenants
from ingestion.refresh import RefreshConfigError, due_by_tenant, parse_interval, source_schedules
from keel import tenancy, warehouse
from keel.settings import KeelSettings, get_settings
from tests.conftest import database_of_its_own

#: Two weeks of one café (Shopify, shifts, books, ads): enough rows to load, quick to simulate.
DEMO_ENV = {"KEEL_DEMO_START": "2026-10-01", "KEEL_DEMO_END": "2026-10-14", "KEEL_DEMO_TENANTS": "[]"}
CAFE = "bluebird-coffee"
SAAS = "formwise"
BROKEN = "broken-books"


@pytest.fixture(scope="module")
def own_database(keel_home: Path, settings: KeelSettings) -> Iterator[KeelSettings]:
    saved = {key: os.environ.get(key) for key in DEMO_ENV}
    os.environ.update(DEMO_ENV)
    get_settings.cache_clear()
    try:
        with database_of_its_own(keel_home, "partitions"):
            register_tenants(demo_world(tenants=[CAFE, SAAS]), with_owners=False)
            broken = tenancy.create_tenant(
                BROKEN, "Broken Books", industry="retail_shop", naics_code="451211", currency="USD"
            )
            with warehouse.connect("admin") as conn:
                # an account whose stored secrets cannot be read: its loads fail without any network
                conn.execute(
                    "insert into app.data_sources (tenant_id, source_type, name, secrets_encrypted) "
                    "values (%s, 'shopify', 'Shop', %s)",
                    (broken.tenant_id, b"not a fernet token"),
                )
            yield get_settings()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.ephemeral() as current:
        yield current


def _tenant_id(slug: str) -> uuid.UUID:
    found = tenancy.find_tenant(slug)
    assert found is not None
    return found.tenant_id


def test_partitions_follow_the_tenants(own_database: KeelSettings, instance: dg.DagsterInstance) -> None:
    from orchestration.defs.tenants.partitions import (
        TENANT_PARTITIONS_NAME,
        sync_tenant_partitions,
        tenant_partitions,
    )

    # the sensor asks for the missing partitions
    result = tenant_partitions(dg.build_sensor_context(instance=instance))
    assert isinstance(result, dg.SensorResult)
    (request,) = result.dynamic_partitions_requests or []
    assert isinstance(request, dg.AddDynamicPartitionsRequest)
    assert sorted(request.partition_keys) == sorted([BROKEN, CAFE, SAAS])

    changes = sync_tenant_partitions(instance)
    assert changes.added == sorted([BROKEN, CAFE, SAAS]) and changes.removed == []
    assert sorted(instance.get_dynamic_partitions(TENANT_PARTITIONS_NAME)) == sorted([BROKEN, CAFE, SAAS])
    assert isinstance(tenant_partitions(dg.build_sensor_context(instance=instance)), dg.SkipReason)

    # a tenant added any way gets its partition; a deleted one loses it
    tenancy.create_tenant(
        "late-arrival", "Late Arrival", industry="cafe", naics_code="722515", currency="USD"
    )
    assert sync_tenant_partitions(instance).added == ["late-arrival"]
    from keel.tenant_data import delete_tenant

    delete_tenant("late-arrival", actor="test")
    assert sync_tenant_partitions(instance).removed == ["late-arrival"]
    assert "late-arrival" not in instance.get_dynamic_partitions(TENANT_PARTITIONS_NAME)


def test_keel_tenant_add_and_delete_keep_the_home_partitions(own_database: KeelSettings) -> None:
    from cli.jobs import add_tenant_partition, remove_tenant_partition, tenant_partitions

    assert add_tenant_partition("cli-partition-probe") is True
    assert add_tenant_partition("cli-partition-probe") is False
    assert "cli-partition-probe" in tenant_partitions()
    assert remove_tenant_partition("cli-partition-probe") is True
    assert "cli-partition-probe" not in tenant_partitions()


def _raw_state(tenant_id: uuid.UUID) -> dict[str, tuple[int, str]]:
    """Per raw table of the café's sources: its rows of the tenant and a digest of their content."""
    state: dict[str, tuple[int, str]] = {}
    with warehouse.connect("admin") as conn:
        tables = conn.execute(
            "select format('%I.%I', schemaname, tablename) from pg_tables "
            "where schemaname like 'raw\\_%' and schemaname not like '%\\_staging' "
            "and tablename not like '\\_dlt%' order by 1"
        ).fetchall()
        for (table,) in tables:
            columns = conn.execute(
                "select count(*) from information_schema.columns "
                "where table_schema || '.' || table_name = %s and column_name = 'tenant_id'",
                (table.replace('"', ""),),
            ).fetchone()
            if not columns or not columns[0]:
                continue
            row = conn.execute(
                f"select count(*), coalesce(md5(string_agg(t::text, '|' order by t::text)), '') "
                f"from {table} t where tenant_id = %s",
                (str(tenant_id),),
            ).fetchone()
            assert row is not None
            state[table] = (int(row[0]), str(row[1]))
    return state


def _run(instance: dg.DagsterInstance, slug: str) -> dg.ExecuteInJobResult:
    from orchestration.definitions import defs

    job = defs.resolve_job_def("tenant_sources")
    return job.execute_in_process(instance=instance, partition_key=slug, raise_on_error=False)


def test_a_failing_tenant_fails_alone_and_a_repeat_changes_nothing(
    own_database: KeelSettings, instance: dg.DagsterInstance
) -> None:
    from orchestration.defs.tenants.partitions import sync_tenant_partitions

    sync_tenant_partitions(instance)
    broken = _run(instance, BROKEN)
    cafe = _run(instance, CAFE)

    assert not broken.success
    failures = [e for e in broken.all_events if e.event_type_value == "STEP_FAILURE"]
    assert [e.step_key for e in failures] == ["dlt_shopify"]
    assert "broken-books failed: the stored credentials cannot be read" in str(
        failures[0].step_failure_data.error
    )

    assert cafe.success
    loaded = {m.asset_key.to_user_string(): m for m in cafe.get_asset_materialization_events()}
    assert "dlt_shopify_orders" in loaded
    assert all(m.partition == CAFE for m in cafe.asset_materializations_for_node("dlt_shopify"))
    orders = cafe.asset_materializations_for_node("dlt_shopify")
    assert any(int(m.metadata["rows_loaded"].value) > 0 for m in orders)  # type: ignore[arg-type]
    before = _raw_state(_tenant_id(CAFE))
    assert before["raw_shopify.orders"][0] > 0

    # the same request again: nothing simulated, nothing loaded, nothing materialized, no table changed
    again = _run(instance, CAFE)
    assert again.success
    assert again.get_asset_materialization_events() == []
    assert _raw_state(_tenant_id(CAFE)) == before
    with warehouse.connect("admin") as conn:
        latest = conn.execute(
            "select rows, provider_window from app.source_loads where tenant_id = %s and source = 'shopify' "
            "order by started_at desc limit 1",
            (str(_tenant_id(CAFE)),),
        ).fetchone()
    assert latest == (0, "seed=42;start=2026-10-01;end=2026-10-14")  # checked, nothing new


def _record_load(
    tenant_id: uuid.UUID,
    source: str,
    finished: datetime,
    error: str | None = None,
    *,
    needs_reconnect: bool = False,
) -> None:
    with warehouse.connect("admin") as conn:
        conn.execute(
            "insert into app.source_loads (run_id, tenant_id, provider, source, resource, started_at, "
            "finished_at, rows, error, needs_reconnect) "
            "values (%s, %s, 'demo', %s, 'probe', %s, %s, 0, %s, %s)",
            (
                uuid.uuid4(),
                tenant_id,
                source,
                finished - timedelta(seconds=5),
                finished,
                error,
                needs_reconnect,
            ),
        )


def _clear_loads() -> None:
    with warehouse.connect("admin") as conn:
        conn.execute("delete from app.source_loads")


def test_the_refresh_sensor_launches_only_due_tenants(own_database: KeelSettings) -> None:
    from orchestration.defs.ingestion.refresh import tenant_source_refresh

    _clear_loads()
    now = datetime.now(UTC)
    cafe, saas = _tenant_id(CAFE), _tenant_id(SAAS)
    for source in ("shopify", "shifts", "quickbooks", "ads"):
        _record_load(cafe, source, now - timedelta(minutes=10))  # everything of the café loaded just now
    _record_load(saas, "stripe", now - timedelta(hours=2))  # Stripe is hourly: due
    _record_load(saas, "quickbooks", now - timedelta(hours=3))  # books are daily: not due
    _record_load(saas, "ads", now - timedelta(hours=3))  # ad spend is daily: not due
    with warehouse.connect("admin") as conn:
        conn.execute(
            'update app.data_sources set config = \'{"refresh_every": "1d"}\' where tenant_id = %s',
            (_tenant_id(BROKEN),),
        )
    _record_load(_tenant_id(BROKEN), "shopify", now - timedelta(hours=5), error="refused")  # daily: not due

    schedules = {(s.slug, s.source): s for s in source_schedules()}
    assert schedules[(BROKEN, "shopify")].interval == timedelta(days=1)
    assert schedules[(CAFE, "shopify")].interval == timedelta(hours=1)
    assert schedules[(SAAS, "quickbooks")].interval == timedelta(days=1)
    assert due_by_tenant(schedules.values(), now) == {SAAS: ["stripe"]}

    with dg.DagsterInstance.ephemeral() as instance:
        result = tenant_source_refresh(dg.build_sensor_context(instance=instance))
    assert isinstance(result, dg.SensorResult)
    (request,) = result.run_requests or []
    assert request.partition_key == SAAS
    selected = [k.to_user_string() for k in request.asset_selection or []]
    assert "dlt_stripe_charges" in selected  # only the due source's assets: no books, nothing of the café
    assert all(key.startswith("dlt_stripe_") for key in selected)


def test_a_source_that_needs_reconnecting_waits_for_new_credentials(own_database: KeelSettings) -> None:
    _clear_loads()
    now = datetime.now(UTC)
    broken = _tenant_id(BROKEN)
    with warehouse.connect("admin") as conn:
        conn.execute(
            "update app.data_sources set config = '{}', updated_at = %s where tenant_id = %s",
            (now - timedelta(days=3), broken),
        )
    # the service refused the stored credentials two days ago: retrying them hourly would be refused again
    _record_load(broken, "shopify", now - timedelta(days=2), error="401", needs_reconnect=True)
    (schedule,) = [s for s in source_schedules() if s.slug == BROKEN]
    assert schedule.needs_reconnect and not schedule.is_due(now)
    assert BROKEN not in due_by_tenant(source_schedules(), now)
    assert schedule.is_overdue(now)  # the freshness check still says the data is getting old

    # the owner connects again (new credentials saved): due at once, not an interval later
    with warehouse.connect("admin") as conn:
        conn.execute("update app.data_sources set updated_at = now() where tenant_id = %s", (broken,))
    assert due_by_tenant(source_schedules(), datetime.now(UTC))[BROKEN] == ["shopify"]

    # a later load that got through clears the state: the usual interval applies again
    _record_load(broken, "shopify", datetime.now(UTC))
    (schedule,) = [s for s in source_schedules() if s.slug == BROKEN]
    assert not schedule.needs_reconnect and not schedule.is_due(datetime.now(UTC))


def test_refresh_every_is_read_or_refused_in_words() -> None:
    assert parse_interval("30m") == timedelta(minutes=30)
    assert parse_interval("2h") == timedelta(hours=2)
    assert parse_interval("1 day") == timedelta(days=1)
    assert parse_interval(7200) == timedelta(hours=2)
    with pytest.raises(RefreshConfigError, match="refresh_every must be an interval such as 30m"):
        parse_interval("often")
    with pytest.raises(RefreshConfigError, match="shortest refresh interval is 5 minutes"):
        parse_interval("1m")


def test_freshness_fails_for_an_overdue_source_and_passes_for_a_fresh_one(own_database: KeelSettings) -> None:
    from orchestration.defs.ingestion.freshness import source_freshness

    _clear_loads()
    now = datetime.now(UTC)
    cafe, saas = _tenant_id(CAFE), _tenant_id(SAAS)
    _record_load(cafe, "shopify", now - timedelta(minutes=20))
    _record_load(_tenant_id(BROKEN), "shopify", now - timedelta(hours=1))  # its account refreshes daily
    _record_load(saas, "stripe", now - timedelta(hours=3))  # hourly: three hours is overdue
    _record_load(saas, "stripe", now - timedelta(minutes=5), error="timeout")  # a failure is not a load

    fresh = source_freshness("shopify", now)
    assert fresh.passed
    overdue = source_freshness("stripe", now)
    assert not overdue.passed and overdue.severity == dg.AssetCheckSeverity.WARN
    metadata: dict[str, Any] = {k: getattr(v, "value", v) for k, v in overdue.metadata.items()}
    assert metadata["tenant_ids"] == [str(saas)]
    assert list(metadata["overdue"]) == [SAAS]
    assert (
        overdue.description and "Stripe data has not arrived as expected (every hour)" in overdue.description
    )

    # the alerts sensor reads the failed check's tenants: only that tenant's owner is alerted
    from orchestration.defs.alerts.sensors import failed_checks

    with dg.DagsterInstance.ephemeral() as instance:
        from orchestration.definitions import defs
        from orchestration.defs.ingestion.freshness import source_freshness_checks

        (check_key,) = [
            key
            for checks in source_freshness_checks
            for key in checks.check_keys
            if key.asset_key.to_user_string().startswith("dlt_stripe_")
        ]
        job = defs.resolve_job_def("freshness_checks")
        run = job.execute_in_process(instance=instance, raise_on_error=False)
        assert run.success
        found = [c for c in failed_checks(instance, [check_key])]
    assert len(found) == 1 and found[0].tenant_ids == frozenset({saas})
