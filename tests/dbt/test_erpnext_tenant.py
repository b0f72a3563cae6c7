"""A business that keeps its books in ERPNext gets the same marts and daily metrics as a Shopify or
QuickBooks one, and its figures equal what the ERPNext documents say.

A new tenant connects an ERPNext site: the fake Frappe site on 127.0.0.1 serves the demo outfitter's
documents in ERPNext's shape (ingestion/demo/shapes_erpnext.py), one invoice cancelled and another
cancelled and deleted on the site. After one dbt run, revenue, discounts, refunds and orders by day,
the bills, the payments received and the hours worked equal the sums computed here, independently,
from the fake's documents (submitted invoices only; returns as refunds on their own day).
"""

from __future__ import annotations

import copy
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from dbt.cli.main import dbtRunnerResult

from ingestion import loader
from ingestion.demo import simulate
from ingestion.sources.erpnext import CONNECTOR
from keel import tenancy, warehouse
from keel.settings import KeelSettings
from tests.conftest import database_of_its_own
from tests.dbt_run import failures, run_dbt
from tests.ingestion.erpnext_fake import FakeERPNext, frappe_now

pytestmark = pytest.mark.dbt_build

DEMO = "trailhead-outfitters"
START, END = date(2026, 3, 1), date(2026, 4, 15)
KEY, SECRET = "e2e0a1b2c3d4e5f", "f5e4d3c2b1a0e2e"


@dataclass(frozen=True)
class Built:
    tenant: str
    documents: dict[str, list[dict[str, Any]]]
    cancelled: str
    deleted: str
    deleted_customer: str
    cancelled_after_build: str
    load: loader.TenantLoad
    run: dbtRunnerResult
    renamed_employee: str  # renamed on the site after its timesheets were written, given a department
    no_ledger_tenant: str  # a second business on the same site whose key may not read the stock ledger


@pytest.fixture(scope="module")
def built(settings: KeelSettings, tmp_path_factory: pytest.TempPathFactory) -> Built:
    world = simulate(seed=3, start=START, end=END, scale=0.5, tenants=[DEMO])
    demo = world.tenants[0]
    tenant = tenancy.create_tenant(
        f"trail-erp-{uuid.uuid4().hex[:6]}",
        "Trail ERP",
        industry=demo.industry,
        naics_code=demo.naics_code,
        size_band=demo.size_band,
        region=demo.region,
        country=demo.country,
        timezone=demo.timezone,
        currency=demo.currency,
    )
    with FakeERPNext.serving(world, DEMO, KEY, SECRET) as site:
        # HR renames an employee and puts them in a department: the timesheets keep the old name
        worked = {t["employee"] for t in site.objects["timesheets"]}
        renamed = next(e for e in site.objects["employees"] if e["name"] in worked)
        renamed["employee_name"], renamed["department"] = "Robin Renamed", "Stores - TO"
        invoices = [d for d in site.objects["sales_invoices"] if not d["is_return"]]
        cancelled, deleted = invoices[10], invoices[11]
        for document in (cancelled, deleted):  # Frappe deletes only cancelled (or draft) invoices
            document["docstatus"], document["status"] = 2, "Cancelled"
        first = loader.load_connector(CONNECTOR, str(tenant.tenant_id), {"site_url": site.url}, _secrets())
        assert first.ok, first.error
        # after the first load, the site deletes the cancelled invoice and a customer who never bought
        buyers = {d["customer"] for d in site.objects["sales_invoices"]}
        gone = next(d["name"] for d in site.objects["customers"] if d["name"] not in buyers)
        after = datetime(END.year, END.month, END.day + 1, 9)
        site.delete("sales_invoices", deleted["name"], after)
        site.delete("customers", gone, after)
        result = loader.load_connector(CONNECTOR, str(tenant.tenant_id), {"site_url": site.url}, _secrets())
        assert result.ok, result.error
        # the same site for a business whose key may not read the stock ledger: its stock comes from Bins
        no_ledger = tenancy.create_tenant(
            f"trail-bin-{uuid.uuid4().hex[:6]}", "Trail Bins", timezone=demo.timezone, currency=demo.currency
        )
        site.forbidden = {"Stock Ledger Entry"}
        bins_only = loader.load_connector(
            CONNECTOR, str(no_ledger.tenant_id), {"site_url": site.url}, _secrets()
        )
        site.forbidden = set()
        assert bins_only.ok and bins_only.rows["stock_ledger_entries"] == 0, bins_only.error
        documents = copy.deepcopy(site.objects)
        work_dir = tmp_path_factory.mktemp("dbt_erpnext")
        warehouse.write_dbt_profiles(work_dir / "profiles", settings)
        run = run_dbt(
            work_dir, "run", "--select", "+business_metrics_daily", "+bills", "+payments", "+products"
        )
        assert run.success, failures(run)
        checked = run_dbt(work_dir, "test", "--select", "stg_erpnext__bins", "stg_erpnext__employees")
        assert checked.success, failures(checked)
        # after the build, a till sale is cancelled on the site: the next incremental run of the marts
        # takes it out (its rows were built; a cancelled invoice is no longer output)
        later = next(d for d in invoices[20:] if d["is_pos"] and d["docstatus"] == 1)
        later["docstatus"], later["status"] = 2, "Cancelled"
        later["modified"] = frappe_now(datetime(END.year, END.month, END.day + 1, 10))
        was_built = _rows(
            "select count(*) from marts.orders where tenant_id = %s and order_id = %s",
            str(tenant.tenant_id),
            later["name"],
        )
        third = loader.load_connector(CONNECTOR, str(tenant.tenant_id), {"site_url": site.url}, _secrets())
        assert third.ok, third.error
    again = run_dbt(work_dir, "run", "--select", "orders", "order_lines", "refunds", "payments")
    assert again.success, failures(again)
    assert was_built == [(1,)]
    return Built(
        str(tenant.tenant_id),
        documents,
        cancelled["name"],
        deleted["name"],
        gone,
        later["name"],
        result,
        run,
        renamed["name"],
        str(no_ledger.tenant_id),
    )


def _secrets() -> dict[str, str]:
    return {"api_key": KEY, "api_secret": SECRET}


def _rows(sql: str, tenant: str, *more: Any) -> list[tuple[Any, ...]]:
    with warehouse.connect("admin") as conn:
        return [tuple(row) for row in conn.execute(sql, (tenant, *more)).fetchall()]


def _cents(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def expected_days(documents: dict[str, list[dict[str, Any]]]) -> dict[date, tuple[Any, ...]]:
    """Per posting day: (revenue_gross, discounts, refunds, orders) from the submitted invoices."""
    gross: dict[date, Decimal] = defaultdict(Decimal)
    discounts: dict[date, Decimal] = defaultdict(Decimal)
    refunds: dict[date, Decimal] = defaultdict(Decimal)
    orders: Counter[date] = Counter()
    for invoice in documents["sales_invoices"]:
        if invoice["docstatus"] != 1:
            continue
        day = date.fromisoformat(invoice["posting_date"])
        if invoice["is_return"]:
            refunds[day] += -_cents(invoice["net_total"])
            continue
        orders[day] += 1
        gross[day] += sum(
            (_cents(i["qty"] * (i["price_list_rate"] or i["rate"])) for i in invoice["items"]), Decimal()
        )
        discounts[day] += _cents(invoice["discount_amount"])
    days = set(gross) | set(refunds)
    return {d: (gross[d], discounts[d], refunds[d], orders[d]) for d in sorted(days)}


def test_erpnext_tenant_gets_the_marts_and_metrics_of_its_documents(built: Built) -> None:
    assert built.run.success, failures(built.run)
    assert built.load.rows["deleted_documents"] == 2
    documents = built.documents

    expected = expected_days(documents)
    daily = _rows(
        "select metric_date, revenue_gross, discounts, refunds, orders from metrics.business_metrics_daily "
        "where tenant_id = %s and (orders > 0 or refunds <> 0) order by metric_date",
        built.tenant,
    )
    assert len(daily) >= 40
    assert {row[0]: tuple(row[1:]) for row in daily} == expected
    assert sum(day[3] for day in expected.values()) > 300

    # cancelled and deleted invoices are not revenue; a deleted customer is kept in raw, not in the mart
    customers = {
        row[0] for row in _rows("select customer_id from marts.customers where tenant_id = %s", built.tenant)
    }
    assert built.deleted_customer not in customers and "Walk-in Customer" in customers
    orders = _rows("select order_id from marts.orders where tenant_id = %s", built.tenant)
    names = {row[0] for row in orders}
    assert built.cancelled not in names and built.deleted not in names
    # ... also when cancelled after the marts were built: the incremental run took its rows out
    assert built.cancelled_after_build not in names
    for table, column in (("order_lines", "order_id"), ("payments", "payment_id")):
        sql = f"select count(*) from marts.{table} where tenant_id = %s and {column} = %s"
        assert _rows(sql, built.tenant, built.cancelled_after_build) == [(0,)], table
    assert _rows(
        "select revenue_model from staging.int_tenants_classified where tenant_id = %s", built.tenant
    ) == [("erpnext_invoices",)]

    # bills: every submitted purchase invoice, paid when a payment entry or the invoice itself paid it
    bills = [d for d in documents["purchase_invoices"] if d["docstatus"] == 1]
    paid_by_entries = Counter(
        r["reference_name"]
        for d in documents["payment_entries"]
        if d["payment_type"] == "Pay"
        for r in d["references"]
    )
    found = _rows(
        "select count(*), sum(total_amount), count(*) filter (where is_paid) from marts.bills "
        "where tenant_id = %s",
        built.tenant,
    )
    paid = sum(1 for d in bills if d["is_paid"] or d["name"] in paid_by_entries or d["grand_total"] <= 0)
    assert found == [(len(bills), sum((_cents(d["grand_total"]) for d in bills), Decimal()), paid)]
    assert len(bills) > 20 and 0 < paid <= len(bills)

    # payments received: the tills' POS invoices and the payment entries that received money
    received: dict[date, Decimal] = defaultdict(Decimal)
    for invoice in documents["sales_invoices"]:
        if invoice["docstatus"] == 1 and invoice["is_pos"] and not invoice["is_return"]:
            if invoice["name"] == built.cancelled_after_build:  # cancelled since (see above)
                continue
            received[date.fromisoformat(invoice["posting_date"])] += _cents(invoice["paid_amount"])
    for entry in documents["payment_entries"]:
        if entry["docstatus"] == 1 and entry["payment_type"] == "Receive":
            received[date.fromisoformat(entry["posting_date"])] += _cents(entry["received_amount"])
    payments = _rows(
        "select payment_date, sum(amount) from marts.payments where tenant_id = %s group by 1 order by 1",
        built.tenant,
    )
    assert dict(payments) == dict(received)

    # hours worked and their cost: the time logs of draft and submitted timesheets
    logs = [log for t in documents["timesheets"] if t["docstatus"] in (0, 1) for log in t["time_logs"]]
    shifts = _rows(
        "select count(*), sum(paid_hours), sum(labor_cost) from marts.shifts where tenant_id = %s",
        built.tenant,
    )
    assert shifts == [
        (
            len(logs),
            sum((Decimal(str(log["hours"])) for log in logs), Decimal()).quantize(Decimal("0.01")),
            sum((_cents(log["costing_amount"]) for log in logs), Decimal()),
        )
    ]
    for table in ("order_lines", "refunds", "customers", "products", "inventory"):
        assert _rows(f"select count(*) from marts.{table} where tenant_id = %s", built.tenant)[0][0] > 0, (
            table
        )


def latest_stock(tenant: str) -> dict[tuple[int, int], int]:
    """The inventory mart's stock on its latest day, by (inventory item, location)."""
    rows = _rows(
        "select inventory_item_id, location_id, available_quantity from marts.inventory "
        "where tenant_id = %s and stock_date = (select max(stock_date) from marts.inventory "
        "where tenant_id = %s)",
        tenant,
        tenant,
    )
    return {(row[0], row[1]): row[2] for row in rows}


def bin_stock(documents: dict[str, list[dict[str, Any]]]) -> dict[tuple[int, int], int]:
    """What the site's Bins say is on the shelves now, by the mart's (inventory item, location) ids."""
    stock: dict[tuple[int, int], int] = {}
    with warehouse.connect("admin") as conn:
        for found in documents["bins"]:
            ids = conn.execute(
                "select hashtextextended('erpnext|' || %s, 0), hashtextextended('erpnext|' || %s, 0)",
                (found["item_code"], found["warehouse"]),
            ).fetchone()
            assert ids is not None
            stock[(int(ids[0]), int(ids[1]))] = int(found["actual_qty"])
    return stock


def test_bins_are_the_current_stock_and_employees_name_the_shifts(built: Built) -> None:
    """Each Bin's actual quantity is the inventory mart's latest level of its item and warehouse, also for
    the business whose key cannot read the stock ledger; shifts carry the Employee's current name and
    department, not the ones the timesheet was written with."""
    expected = bin_stock(built.documents)
    assert len(expected) > 10 and any(qty > 0 for qty in expected.values())
    assert latest_stock(built.no_ledger_tenant) == expected
    with_ledger = latest_stock(built.tenant)
    assert {key: with_ledger.get(key) for key in expected} == expected
    stockouts = _rows(
        "select count(*) filter (where is_stockout), count(*) filter (where available_quantity <= 0) "
        "from marts.inventory where tenant_id = %s",
        built.no_ledger_tenant,
    )
    assert stockouts[0][0] == stockouts[0][1]

    (employee,) = [e for e in built.documents["employees"] if e["name"] == built.renamed_employee]
    logs = [
        t
        for t in built.documents["timesheets"]
        if t["docstatus"] in (0, 1) and t["employee"] == employee["name"]
    ]
    assert logs and all(t["employee_name"] != "Robin Renamed" for t in logs)
    shifts = _rows(
        "select employee_name, department, count(*) from marts.shifts where tenant_id = %s "
        "and employee_id = hashtextextended('erpnext|' || %s, 0) group by 1, 2",
        built.tenant,
        employee["name"],
    )
    assert shifts == [("Robin Renamed", "Stores - TO", len(logs))]


@pytest.fixture(scope="module")
def settings(keel_home: Path) -> Iterator[KeelSettings]:
    """This module's own database: it builds dbt over every tenant in it."""
    with database_of_its_own(keel_home, "erpnext_tenant") as own:
        yield own
