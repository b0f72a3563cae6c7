"""A business whose QuickBooks Online company came through the connector gets the same staging models as
the demo's QuickBooks data: the fake Intuit on 127.0.0.1 serves the simulator's objects of a services
business, the connector loads them (a first full load, then Change Data Capture with a deleted payment
and a deleted vendor), and dbt builds and tests the QuickBooks staging models over them: every live
object is staged with its amounts, and the deleted ones, kept in raw marked deleted, are not."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from ingestion import loader
from ingestion.demo import simulate
from ingestion.sources.quickbooks import CONNECTOR, helpers
from keel import tenancy, warehouse
from keel.settings import KeelSettings, get_settings
from tests.dbt_run import failures, run_dbt
from tests.ingestion.quickbooks_fake import CLIENT_ID, CLIENT_SECRET, FakeQuickBooks

pytestmark = pytest.mark.dbt_build

DEMO = "brightpath-marketing"
START, END = date(2026, 2, 1), date(2026, 4, 30)
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
REALM = "4620816365001"


def _rows(sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with warehouse.connect("admin") as conn:
        return [tuple(row) for row in conn.execute(sql, params).fetchall()]


def test_connector_company_builds_the_quickbooks_staging_models(
    settings: KeelSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = simulate(seed=5, start=START, end=END, scale=0.5, tenants=[DEMO])
    demo = world.tenants[0]
    tenant = str(
        tenancy.create_tenant(
            f"qbo-books-{uuid.uuid4().hex[:6]}", "Books Co", timezone=demo.timezone, currency=demo.currency
        ).tenant_id
    )
    with FakeQuickBooks.serving(world, str(demo.tenant_id), REALM, now=NOW) as fake:
        monkeypatch.setattr(helpers, "utc_now", lambda: NOW)
        monkeypatch.setenv("KEEL_QUICKBOOKS_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("KEEL_QUICKBOOKS_CLIENT_SECRET", CLIENT_SECRET)
        monkeypatch.setenv("KEEL_QUICKBOOKS_TOKEN_URL", fake.token_url)
        get_settings.cache_clear()
        try:
            secrets = fake.grant(access_seconds=24 * 3600)
            config = {"realm_id": REALM, "base_url": fake.url}
            first = loader.load_connector(CONNECTOR, tenant, config, secrets)
            assert first.ok, first.error
            payment = fake.delete("payments", fake.objects["payments"][0]["Id"], "2026-05-01T03:00:00-07:00")
            vendor = fake.delete("vendors", fake.objects["vendors"][0]["Id"], "2026-05-01T03:05:00-07:00")
            second = loader.load_connector(CONNECTOR, tenant, config, secrets)
            assert second.ok, second.error
            assert {r.endpoint for r in fake.requests[-7:]} == {"cdc"}
        finally:
            monkeypatch.undo()
            get_settings.cache_clear()
        objects = fake.objects

    warehouse.write_dbt_profiles(tmp_path / "profiles", settings)
    build = run_dbt(tmp_path, "build", "--select", "path:models/staging/quickbooks")
    assert build.success, failures(build)

    count = "select count(*), coalesce(sum(total_amount), 0) from staging.{} where tenant_id = %s"
    for model, resource in (
        ("stg_quickbooks__invoices", "invoices"),
        ("stg_quickbooks__payments", "payments"),
        ("stg_quickbooks__bills", "bills"),
        ("stg_quickbooks__bill_payments", "bill_payments"),
        ("stg_quickbooks__purchases", "purchases"),
    ):
        staged, total = _rows(count.format(model), tenant)[0]
        assert staged == len(objects[resource]) > 0, model
        assert float(total) == pytest.approx(sum(o["TotalAmt"] for o in objects[resource])), model
    ids = "select {}_id from staging.stg_quickbooks__{}s where tenant_id = %s"
    assert payment["Id"] not in {row[0] for row in _rows(ids.format("payment", "payment"), tenant)}
    vendors = {row[0] for row in _rows(ids.format("vendor", "vendor"), tenant)}
    assert vendor["Id"] not in vendors and len(vendors) == len(objects["vendors"])
    for model, resource in (("stg_quickbooks__items", "items"), ("stg_quickbooks__accounts", "accounts")):
        staged = _rows(f"select count(*) from staging.{model} where tenant_id = %s", tenant)[0][0]
        assert staged == len(objects[resource]) > 0, model
    # every invoice line's item and every expense line's account is one of the company's
    dangling = _rows(
        "select count(*) from staging.stg_quickbooks__bill_lines l where l.tenant_id = %s and not exists "
        "(select 1 from staging.stg_quickbooks__accounts a where a.tenant_id = l.tenant_id "
        "and a.account_id = l.account_id)",
        tenant,
    )
    assert dangling == [(0,)]
    lines = _rows("select count(*) from staging.stg_quickbooks__invoice_lines where tenant_id = %s", tenant)
    assert lines[0][0] == sum(len(o["Line"]) for o in objects["invoices"])
    # the deleted ones stay in raw, marked deleted
    kept = _rows(
        "select status from raw_quickbooks.payments where tenant_id = %s and id = %s", tenant, payment["Id"]
    )
    assert kept == [("Deleted",)]


@pytest.fixture(scope="module")
def settings(keel_home: Path) -> Iterator[KeelSettings]:
    from tests.conftest import database_of_its_own

    with database_of_its_own(keel_home, "quickbooks_tenant") as own:
        yield own
