"""The ERPNext connector against a fake Frappe site on 127.0.0.1 (tests/ingestion/erpnext_fake.py), with
the real client, dlt and the embedded warehouse: a full load equals the fake's documents (child tables
included); a second run asks only for what changed (``filters`` on ``modified``) and loads nothing new;
edited, cancelled and deleted documents propagate (deleted ones are kept and marked through Deleted
Document); a run killed with SIGKILL half-way converges on the next; a bad document is quarantined while
the rest load; 429s, 5xx and timeouts are retried; a cut-off answer fails the load cleanly and the next
run completes; a doctype the site lacks or may not be read is skipped with a note; a revoked key asks the
owner to reconnect while the tenant's other source keeps loading."""

from __future__ import annotations

import copy
import json
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ingestion import loader, run
from ingestion.demo import DemoWorld, simulate
from ingestion.sources.connector import ConnectorConfigError
from ingestion.sources.erpnext import CONNECTOR, ERPNextSettings
from ingestion.sources.erpnext.settings import LOOKBACK
from ingestion.sources.erpnext.settings import RESOURCES as SPECS
from keel import tenancy, warehouse
from keel.settings import KeelSettings

from .conftest import materialize_tenant_source
from .erpnext_fake import BY_DOCTYPE, RESOURCES, FakeERPNext, frappe_now
from .shopify_fake import FakeShopify

SLUG = "trailhead-outfitters"
START, END = date(2026, 3, 1), date(2026, 3, 31)
KEY, SECRET = "5e1f0a9c2b7d4e1", "9a8b7c6d5e4f3a2"
ZONE = "America/Denver"
REVOKED = "secret-regenerated-since"


@pytest.fixture(scope="module")
def world() -> DemoWorld:
    return simulate(seed=7, start=START, end=END, scale=0.5, tenants=[SLUG])


@pytest.fixture(scope="module")
def documents(world: DemoWorld) -> dict[str, list[dict[str, Any]]]:
    return FakeERPNext.serving(world, SLUG, KEY, SECRET).objects


@pytest.fixture
def fake(documents: dict[str, list[dict[str, Any]]]) -> Iterator[FakeERPNext]:
    with FakeERPNext(copy.deepcopy(documents), KEY, SECRET, ZONE) as site:
        yield site


@pytest.fixture
def tenant(settings: KeelSettings) -> str:
    """A new tenant (not a demo one) like the simulated outfitter: its data comes only from the connector."""
    made = tenancy.create_tenant(
        f"erp-{uuid.uuid4().hex[:8]}", "Trail ERP Test", timezone=ZONE, currency="USD", industry="retail_shop"
    )
    return str(made.tenant_id)


def config(fake: FakeERPNext, **extra: Any) -> dict[str, Any]:
    return {"site_url": fake.url, **extra}


def load(fake: FakeERPNext, tenant: str, secret: str = SECRET, **extra: Any) -> loader.TenantLoad:
    return loader.load_connector(
        CONNECTOR, tenant, config(fake, **extra), {"api_key": KEY, "api_secret": secret}
    )


def loaded(tenant: str, resource: str) -> dict[str, dict[str, Any]]:
    """The tenant's rows of ``raw_erpnext.<resource>`` by document name."""
    with warehouse.connect("admin") as conn:
        if conn.execute("select to_regclass(%s)", (f"raw_erpnext.{resource}",)).fetchone() == (None,):
            return {}
        cursor = conn.execute(f"select * from raw_erpnext.{resource} where tenant_id = %s", (tenant,))
        names = [c.name for c in cursor.description or []]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        assert row["name"] not in out, f"duplicate {resource} row {row['name']}"
        out[row["name"]] = row
    return out


def assert_equals_fake(fake: FakeERPNext, tenant: str) -> None:
    """Every document the fake serves is loaded once, and nothing else."""
    for resource in RESOURCES:
        assert set(loaded(tenant, resource)) == {d["name"] for d in fake.objects[resource]}, resource


def instant(document: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(document["modified"]).replace(tzinfo=ZoneInfo(ZONE))


def latest_changes(fake: FakeERPNext) -> dict[str, datetime | None]:
    return {name: max((instant(d) for d in docs), default=None) for name, docs in fake.objects.items()}


def in_look_back_window(
    fake: FakeERPNext, cursors: dict[str, datetime | None] | None = None
) -> dict[str, int]:
    """Per resource, how many documents the next run merges: those changed at or after the loaded cursor
    less the look-back window (everything when nothing was loaded)."""
    cursors = cursors or latest_changes(fake)
    counts = {}
    for spec in SPECS:
        cursor = cursors[spec.name]
        stamps = [instant(d) for d in fake.objects[spec.name]]
        counts[spec.name] = (
            len(stamps) if cursor is None else sum(1 for t in stamps if t >= cursor - LOOKBACK)
        )
    return counts


def test_settings_are_validated_with_words_for_each_field() -> None:
    parsed = CONNECTOR.parse_config(
        {"site_url": " https://trail.erpnext.com/ ", "time_zone": "America/Denver"}
    )
    assert isinstance(parsed, ERPNextSettings) and parsed.site_url == "https://trail.erpnext.com"
    with pytest.raises(ConnectorConfigError) as bad:
        CONNECTOR.parse_config(
            {"site_url": "trail.erpnext.com", "time_zone": "Mountain Time", "page_size": 0}
        )
    message = str(bad.value)
    assert "site_url" in message and "https://" in message
    assert "time_zone" in message and "Mountain Time" in message
    assert "page_size" in message
    assert CONNECTOR.secret_fields == ("api_key", "api_secret")


def test_demo_documents_tell_the_same_business_as_its_other_sources(
    world: DemoWorld, documents: dict[str, list[dict[str, Any]]]
) -> None:
    """shapes_erpnext renders the outfitter's own history: its orders, bills, stock and shifts."""
    tenant = world.tenants[0].tenant_id
    orders = [o for o in world.records("shopify", "orders", tenant) if not o["test"]]
    invoices = [d for d in documents["sales_invoices"] if not d["is_return"]]
    returns = [d for d in documents["sales_invoices"] if d["is_return"]]
    assert len(invoices) == len(orders) > 100
    assert round(sum(d["grand_total"] for d in invoices), 2) == round(
        sum(float(o["total_price"]) for o in orders), 2
    )
    assert len(returns) == sum(len(o["refunds"]) for o in orders) > 0
    assert all(d["return_against"] in {i["name"] for i in invoices} and d["grand_total"] < 0 for d in returns)
    assert all(round(sum(i["amount"] for i in d["items"]), 2) == d["total"] for d in invoices)
    bills = list(world.records("quickbooks", "bills", tenant)) + list(
        world.records("quickbooks", "purchases", tenant)
    )
    assert len(documents["purchase_invoices"]) == len(bills)
    assert len(documents["timesheets"]) == len(list(world.records("shifts", "timecards", tenant)))
    assert len(documents["stock_ledger_entries"]) == len(
        list(world.records("shopify", "inventory_levels", tenant))
    )
    for name, docs in documents.items():
        assert len({d["name"] for d in docs}) == len(docs), name
        assert all("modified_at" not in d and "tenant_id" not in d for d in docs), (
            name
        )  # as Frappe sends them


def test_full_load_second_run_changes_cancellations_and_deletions(fake: FakeERPNext, tenant: str) -> None:
    first = load(fake, tenant)
    assert first.ok, first.error
    assert first.rejected == 0
    assert_equals_fake(fake, tenant)
    for resource in RESOURCES:
        if resource != "deleted_documents":
            assert len(fake.objects[resource]) > 0, resource
        assert first.rows[resource] == len(fake.objects[resource]), resource
    # the token travelled in the Authorization header, the site's time zone came from System Settings
    assert any(r.path.endswith("System Settings/System Settings") for r in fake.requests)
    # invoices came whole: their items, taxes and payments as Frappe sends them
    invoice = next(d for d in fake.objects["sales_invoices"] if d["is_return"] and d["taxes"])
    row = loaded(tenant, "sales_invoices")[invoice["name"]]
    assert row["grand_total"] == invoice["grand_total"] and row["return_against"] == invoice["return_against"]
    assert json.loads(row["items"]) == invoice["items"]
    assert json.loads(row["taxes"])[0]["tax_amount"] == invoice["taxes"][0]["tax_amount"]
    assert row["modified_at"].startswith(invoice["modified"][:10])
    listed = [r for r in fake.seen("Sales Invoice") if r.is_listing]
    assert listed and all(json.loads(r.params["fields"]) == ["name", "modified"] for r in listed)

    # a second run asks only for what changed since the loaded cursor (less the look-back): nothing new
    before = len(fake.requests)
    second = load(fake, tenant)
    assert second.ok, second.error
    assert second.rows == in_look_back_window(fake)
    assert_equals_fake(fake, tenant)
    for seen in fake.requests[before:]:
        if (
            seen.is_listing
            and seen.doctype != "Deleted Document"
            and fake.objects[BY_DOCTYPE[str(seen.doctype)]]
        ):
            assert json.loads(seen.params["filters"])[0][:2] == ["modified", ">="], seen

    # the site changes: an invoice's amount is corrected, another is cancelled, a customer is deleted,
    # a new invoice comes in; and an edit stamped before the latest change already loaded (the
    # look-back window asks for it again)
    cursors = latest_changes(fake)
    latest = cursors["sales_invoices"]
    assert latest is not None
    later = latest + timedelta(hours=2)
    invoices = [d for d in fake.objects["sales_invoices"] if not d["is_return"]]
    edited, cancelled, late = invoices[3], invoices[4], invoices[5]
    edited["grand_total"] = 999.99
    edited["modified"] = frappe_now(later)
    cancelled["docstatus"], cancelled["status"] = 2, "Cancelled"
    cancelled["modified"] = frappe_now(later)
    late["title"] = "corrected"
    late["modified"] = frappe_now(latest - timedelta(minutes=20))
    new = copy.deepcopy(invoices[-1])
    new["name"] = "ACC-SINV-2026-99999"
    new["creation"] = new["modified"] = frappe_now(later)
    fake.objects["sales_invoices"].append(new)
    gone = next(d for d in fake.objects["customers"] if d["name"] != "Walk-in Customer")["name"]
    fake.delete("customers", gone, later)
    third = load(fake, tenant)
    assert third.ok, third.error
    assert third.rows["sales_invoices"] == in_look_back_window(fake, cursors)["sales_invoices"] >= 3
    assert third.rows["deleted_documents"] == 1
    rows = loaded(tenant, "sales_invoices")
    assert rows[edited["name"]]["grand_total"] == 999.99
    assert rows[cancelled["name"]]["docstatus"] == 2  # kept, marked cancelled: staging drops it from revenue
    assert rows[late["name"]]["title"] == "corrected"
    assert new["name"] in rows
    assert gone in loaded(tenant, "customers")  # not dropped ...
    deleted = loaded(tenant, "deleted_documents")
    assert [(d["deleted_doctype"], d["deleted_name"]) for d in deleted.values()] == [("Customer", gone)]
    assert "data" not in next(iter(deleted.values()))  # ... and the deleted copy's details are not kept


def test_bad_document_is_quarantined_and_the_rest_load(fake: FakeERPNext, tenant: str) -> None:
    broken = fake.objects["purchase_invoices"][2]
    broken["grand_total"] = "twelve hundred"
    result = load(fake, tenant, time_zone=ZONE)
    assert result.ok, result.error
    assert result.rejected == 1
    rows = loaded(tenant, "purchase_invoices")
    assert len(rows) == len(fake.objects["purchase_invoices"]) - 1 and broken["name"] not in rows
    with warehouse.connect("admin") as conn:
        found = conn.execute(
            "select resource, record_key, problems from raw_erpnext.rejected_records where tenant_id = %s",
            (tenant,),
        ).fetchall()
    assert len(found) == 1
    resource, key, problems = found[0]
    assert resource == "purchase_invoices" and broken["name"] in key and "grand_total" in problems


def test_429_5xx_and_timeouts_are_retried(fake: FakeERPNext, tenant: str) -> None:
    fake.retry_after = 2
    fake.fault("429", "Customer")
    fake.fault("500", "Sales Invoice")
    fake.fault("503", "Item")
    fake.fault("timeout", "Purchase Invoice")
    result = load(fake, tenant, request_timeout=1.0)
    assert result.ok, result.error
    assert_equals_fake(fake, tenant)
    statuses = [r.status for r in fake.requests]
    assert statuses.count(429) == 1 and 500 in statuses and 503 in statuses
    limited = next(r for r in fake.requests if r.status == 429)
    retried = min(r.at for r in fake.requests if r.path == limited.path and r.at > limited.at)
    assert retried - limited.at >= 1.95  # Retry-After: 2 was honoured
    assert len([r for r in fake.seen("Purchase Invoice") if r.is_listing]) >= 2  # the timed-out one, again


def test_truncated_answer_fails_cleanly_and_the_next_run_completes(fake: FakeERPNext, tenant: str) -> None:
    fake.fault("truncated", "Payment Entry")
    failed = load(fake, tenant)
    assert not failed.ok and not failed.needs_reconnect
    assert "FrappePayloadError" in (failed.error or "") and "Payment" in (failed.error or "")
    assert SECRET not in (failed.error or "")
    assert loaded(tenant, "payment_entries") == {}  # nothing half-loaded
    retried = load(fake, tenant)
    assert retried.ok, retried.error
    assert_equals_fake(fake, tenant)


def test_doctypes_the_site_lacks_or_forbids_are_skipped_with_a_note(
    fake: FakeERPNext, tenant: str, caplog: pytest.LogCaptureFixture
) -> None:
    fake.missing = {"Timesheet"}
    fake.forbidden = {"Employee"}
    with caplog.at_level(logging.WARNING, logger="ingestion.sources.erpnext"):
        result = load(fake, tenant)
    assert result.ok, result.error
    assert result.rows["timesheets"] == 0 and result.rows["employees"] == 0
    assert result.rows["sales_invoices"] == len(fake.objects["sales_invoices"])
    notes = " ".join(r.getMessage() for r in caplog.records)
    assert "skipped Timesheet" in notes and "DoesNotExistError" in notes
    assert "skipped Employee" in notes and "PermissionError" in notes


def test_time_zone_must_be_readable_or_set(fake: FakeERPNext, tenant: str) -> None:
    fake.settings_readable = False
    refused = load(fake, tenant)
    assert not refused.ok and not refused.needs_reconnect
    assert "time_zone" in (refused.error or "") and "America/Denver" in (refused.error or "")
    configured = load(fake, tenant, time_zone=ZONE)
    assert configured.ok, configured.error
    assert_equals_fake(fake, tenant)


def test_revoked_key_asks_to_reconnect_while_the_other_source_loads(
    fake: FakeERPNext, tenant: str, world: DemoWorld
) -> None:
    token = "shpat_0123456789abcdef0123456789abcdef"
    with FakeShopify.serving(world, str(world.tenants[0].tenant_id), token) as shop:
        tenancy.save_data_source(
            tenant, "erpnext", "books", config(fake), {"api_key": KEY, "api_secret": REVOKED}
        )
        tenancy.save_data_source(
            tenant,
            "shopify",
            "shop",
            {"shop": "trail.myshopify.com", "base_url": shop.url},
            {"access_token": token},
        )
        try:
            runs = {r.source: r for r in run.run_tenant_sources(tenant)}
        finally:  # the fakes stop with this test: no later load may try them
            tenancy.remove_data_source(tenant, "erpnext", "books")
            tenancy.remove_data_source(tenant, "shopify", "shop")
    erp = runs["erpnext"].load
    assert not erp.ok and erp.needs_reconnect
    assert "reconnect" in (erp.error or "") and fake.url in (erp.error or "")
    assert REVOKED not in (erp.error or "") and KEY not in (erp.error or "")
    assert [r.status for r in fake.requests] == [401]  # refused at the key check, not retried
    assert runs["shopify"].ok and runs["shopify"].load.rows["orders"] > 0
    statuses = run.latest_loads(tenant)
    assert {s.needs_reconnect for s in statuses if s.source == "erpnext"} == {True}
    assert {s.ok for s in statuses if s.source == "shopify"} == {True}


def test_run_killed_half_way_resumes_from_its_cursor_and_converges(fake: FakeERPNext, tenant: str) -> None:
    first = load(fake, tenant)
    assert first.ok, first.error
    cursors = latest_changes(fake)
    latest = cursors["sales_invoices"]
    assert latest is not None
    # the site moves on: 120 invoices are edited and 20 new ones come in
    for n, invoice in enumerate(fake.objects["sales_invoices"][:120]):
        invoice["modified"] = frappe_now(latest + timedelta(minutes=5 + n))
        invoice["title"] = "changed after the first load"
    for n in range(20):
        new = copy.deepcopy(fake.objects["sales_invoices"][-1])
        new["name"] = f"ACC-SINV-2026-{91000 + n}"
        new["creation"] = new["modified"] = frappe_now(latest + timedelta(hours=3, minutes=n))
        fake.objects["sales_invoices"].append(new)

    fake.page_delay = 0.05  # slow answers, so the kill lands while invoices are being read
    script = (
        "import sys\n"
        "from ingestion import loader\n"
        "from ingestion.sources.erpnext import CONNECTOR\n"
        "loader.load_connector(CONNECTOR, sys.argv[1], {'site_url': sys.argv[2]}, "
        "{'api_key': sys.argv[3], 'api_secret': sys.argv[4]})\n"
    )
    before = fake.served()
    process = subprocess.Popen(
        [sys.executable, "-c", script, tenant, fake.url, KEY, SECRET],
        cwd=Path(__file__).resolve().parents[2],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while fake.served() < before + 60 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process.poll() is None, "the load finished before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    assert not any(r.doctype == "Deleted Document" for r in fake.requests[-(fake.served() - before) :])

    fake.page_delay = 0.0
    resumed_from = len(fake.requests)
    result = load(fake, tenant)
    assert result.ok, result.error
    # it asked again from the cursor the first load committed (less the look-back), not from scratch
    asked = [r for r in fake.requests[resumed_from:] if r.doctype == "Sales Invoice" and r.is_listing]
    assert asked and asked[0].params["limit_start"] == "0"
    bound = json.loads(asked[0].params["filters"])[0][2]
    assert datetime.fromisoformat(bound).replace(tzinfo=ZoneInfo(ZONE)) == latest - LOOKBACK
    assert result.rows == in_look_back_window(fake, cursors)
    assert_equals_fake(fake, tenant)  # no duplicates, nothing lost
    titles = [row["title"] for row in loaded(tenant, "sales_invoices").values()]
    assert titles.count("changed after the first load") == 120


def test_dagster_asset_loads_each_tenants_site_in_its_partition(
    fake: FakeERPNext, tenant: str, settings: KeelSettings
) -> None:
    """``dlt_erpnext_*``, partitioned by tenant: a tenant's run loads its site; a revoked key fails that
    tenant's partition alone, saying it needs reconnecting."""
    revoked = str(
        tenancy.create_tenant(f"erp-{uuid.uuid4().hex[:8]}", "Revoked ERP", timezone=ZONE).tenant_id
    )
    tenancy.save_data_source(tenant, "erpnext", "books", config(fake), {"api_key": KEY, "api_secret": SECRET})
    tenancy.save_data_source(
        revoked, "erpnext", "books", config(fake), {"api_key": KEY, "api_secret": REVOKED}
    )
    try:
        result = materialize_tenant_source("erpnext", tenant)
        refused = materialize_tenant_source("erpnext", revoked)
    finally:
        tenancy.remove_data_source(tenant, "erpnext", "books")
        tenancy.remove_data_source(revoked, "erpnext", "books")
    assert result.success
    metadata = {
        event.materialization.asset_key.path[-1]: event.materialization.metadata
        for event in result.get_asset_materialization_events()
    }
    invoices = metadata["dlt_erpnext_sales_invoices"]
    assert invoices["rows_loaded"].value == len(fake.objects["sales_invoices"])
    assert set(loaded(tenant, "sales_invoices")) == {d["name"] for d in fake.objects["sales_invoices"]}
    assert not refused.success
    (failure,) = [e for e in refused.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failure.step_failure_data.user_failure_data.metadata["needs_reconnect"].value is True
