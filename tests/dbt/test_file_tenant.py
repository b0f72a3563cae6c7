"""A business that brings its own spreadsheets gets the same numbers as the same business on Shopify.

A demo café's records (the simulator's Shopify orders, customers and shift-tool timecards) are written
as the messy files a real owner exports: orders as a European CSV (semicolons, Windows-1252, 31.12.2025,
1.234,56, renamed German headers) with two broken rows, order lines as a US CSV (12/31/2025, $1,234.56),
customers as an xlsx, staff hours as a tab-separated file. They are uploaded for a NEW tenant, dbt builds
the warehouse, and the file tenant's marts and daily metrics equal the demo tenant's day by day; the
broken rows are quarantined with their row numbers; the forecasting asset then forecasts the file tenant.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from ingestion import loader
from ingestion.demo import DemoWorld, simulate
from ingestion.sources.files import propose_mapping, read_table
from ingestion.sources.files.upload import UploadResult, load, prepare, tenant_country
from keel import warehouse
from keel.settings import KeelSettings
from keel.tenancy import create_tenant
from tests.conftest import database_of_its_own
from tests.dbt_run import failures, run_dbt

pytestmark = pytest.mark.dbt_build

DEMO_SLUG = "bluebird-coffee"
FILE_SLUG = "file-twin-cafe"
START, END = date(2026, 4, 1), date(2026, 6, 30)


def _local(instant: str, zone: ZoneInfo) -> datetime:
    return datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(zone)


def _eu_money(value: Any) -> str:
    """1234.5 -> '1.234,50' (German)."""
    text = f"{Decimal(str(value)):,.2f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def _us_money(value: Any) -> str:
    return f"${Decimal(str(value)):,.2f}"


def owner_files(world: DemoWorld) -> dict[str, tuple[str, bytes]]:
    """The demo café's records as an owner's exports: kind -> (file name, bytes)."""
    tenant = world.tenants[0]
    zone = ZoneInfo(tenant.timezone)
    orders = [o for o in world.records("shopify", "orders", tenant.tenant_id) if not o.get("test")]
    lines = [
        "Bestellnummer;Datum;Uhrzeit;Kunde;Zwischensumme;Rabatt;MwSt;Versand;Trinkgeld;Betrag (€);Status"
    ]
    for order in orders:
        at = _local(order["created_at"], zone)
        shipping = (order.get("total_shipping_price_set") or {}).get("shop_money", {}).get("amount", "0")
        lines.append(
            ";".join(
                [
                    order["name"],
                    at.strftime("%d.%m.%Y"),
                    at.strftime("%H:%M"),
                    str((order.get("customer") or {}).get("id") or ""),
                    _eu_money(order["total_line_items_price"]),
                    _eu_money(order["total_discounts"]),
                    _eu_money(order["total_tax"]),
                    _eu_money(shipping),
                    _eu_money(order.get("total_tip_received") or 0),
                    _eu_money(order["total_price"]),
                    "storniert" if order.get("cancelled_at") else "bezahlt",
                ]
            )
        )
    # two broken rows a real export can have: a total typed as a word, and a date that does not exist
    lines.insert(5, "#X-1;02.06.2026;10:00;;1,00;0;0;0;0;zwölf;bezahlt")  # spreadsheet row 6
    lines.insert(9, "#X-2;31.02.2026;10:00;;1,00;0;0;0;0;1,00;bezahlt")  # spreadsheet row 10
    order_file = ("\n".join(lines) + "\n").encode("cp1252")

    item_rows = ["Order,Line,SKU,Item,Qty,Price,Discount,Tax"]
    for order in orders:
        for position, item in enumerate(order["line_items"], start=1):
            discount = sum(Decimal(str(a["amount"])) for a in item.get("discount_allocations") or [])
            tax = sum(Decimal(str(t["price"])) for t in item.get("tax_lines") or [])
            title = item["title"].replace('"', "")
            item_rows.append(
                f'{order["name"]},{position},{item.get("variant_id") or item.get("product_id")},"{title}",'
                f'{item["quantity"]},"{_us_money(item["price"])}","{_us_money(discount)}","{_us_money(tax)}"'
            )
    lines_file = ("\n".join(item_rows) + "\n").encode()

    customers = list(world.records("shopify", "customers", tenant.tenant_id))
    frame = pl.DataFrame(
        {
            "Customer ID": [str(c["id"]) for c in customers],
            "Full name": [
                f"{c.get('first_name') or ''} {c.get('last_name') or ''}".strip() for c in customers
            ],
            "E-Mail": [c.get("email") or None for c in customers],
            "Customer since": [_local(c["created_at"], zone).date() for c in customers],
        }
    )
    buffer = io.BytesIO()
    frame.write_excel(buffer)

    employees = {e["id"]: e for e in world.records("shifts", "employees", tenant.tenant_id)}
    hours = ["Employee\tDate\tStart\tEnd\tHours\tRate\tCost"]
    for card in world.records("shifts", "timecards", tenant.tenant_id):
        who = employees.get(card["user_id"], {})
        name = (
            f"{who.get('first_name', card.get('first_name'))} {who.get('last_name', card.get('last_name'))}"
        )
        start = _local(card["clock_in"], zone)
        end = _local(card["clock_out"], zone) if card.get("clock_out") else None
        labor = card["labor"]
        hours.append(
            "\t".join(
                [
                    name,
                    start.strftime("%m/%d/%Y"),
                    start.strftime("%I:%M %p"),
                    end.strftime("%I:%M %p") if end else "",
                    str(labor["paid_hours"]),
                    str(labor["wage_rate"]),
                    str(labor["costs"]),
                ]
            )
        )
    hours_file = ("\n".join(hours) + "\n").encode()
    return {
        "orders": ("Bestellungen 2026.csv", order_file),
        "order_lines": ("line-items.csv", lines_file),
        "customers": ("customers.xlsx", buffer.getvalue()),
        "staff_hours": ("timesheet.txt", hours_file),
    }


#: The rest of a small business's spreadsheets: its price list, bills, invoices, payments and ad spend.
BOOKKEEPING_FILES = {
    "products": (
        "Artikel.csv",
        "SKU;Artikel;Kategorie;Preis;EK\nCAKE-1;Käsekuchen;Kuchen;3,50;1,20\n".encode("cp1252"),
    ),
    "bills": (
        "expenses.csv",
        b"Bill No,Date,Supplier,Account,Amount,Paid on\n"
        b'B-1,06/10/2026,Bean Co,Coffee,"$1,250.00",06/20/2026\n'
        b"B-2,06/12/2026,Power Co,Utilities,$310.40,\n",
    ),
    "invoices": (
        "invoices.csv",
        b"Invoice No.,Invoice date,Customer,Total\nINV-1,2026-06-03,Office Ltd,480.00\n",
    ),
    "payments": ("payments.csv", b"Payment ID,Date,Amount,Invoice\nP-1,2026-06-17,480.00,INV-1\n"),
    "marketing_spend": (
        "ads.csv",
        b"Date,Channel,Campaign,Spend\n2026-06-05,Facebook,Summer,20.00\n2026-06-05,Facebook,Brunch,10.00\n",
    ),
}


def upload(tenant_id: str, kind: str, name: str, data: bytes) -> UploadResult:
    table = read_table(data, name)
    sample = {c: table.frame.get_column(c).head(20).to_list() for c in table.columns}
    proposal = propose_mapping(kind, table.columns, sample)
    assert not proposal.missing_required, (kind, proposal.mapping)
    return load(prepare(table, kind, proposal.mapping, country=tenant_country(tenant_id)), tenant_id)


@pytest.fixture(scope="module")
def built(settings: KeelSettings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    world = simulate(seed=8, start=START, end=END, tenants=[DEMO_SLUG])
    demo = world.tenants[0]
    # The demo side loads through the demo's provider path, but as a business of its own: other test
    # modules load the demo café itself into the same raw tables, with other seeds and days.
    demo_side = create_tenant(
        "file-demo-side-cafe",
        "File Demo Side Café",
        industry=demo.industry,
        naics_code=demo.naics_code,
        country=demo.country,
        timezone=demo.timezone,
        currency=demo.currency,
    )
    demo_id = str(demo_side.tenant_id)
    for source in ("shopify", "shifts"):
        result = loader.load_tenant(
            source,
            world.resources(source),
            lambda spec, since, source=source: (
                {**record, "tenant_id": demo_id}
                for record in world.records(source, spec.name, demo.tenant_id)
            ),
            demo_id,
        )
        assert result.ok, result.error
    twin = create_tenant(
        FILE_SLUG,
        "File Twin Café",
        industry=demo.industry,
        naics_code=demo.naics_code,
        country=demo.country,
        timezone=demo.timezone,
        currency=demo.currency,
    )
    files = {**owner_files(world), **BOOKKEEPING_FILES}
    uploads = {kind: upload(str(twin.tenant_id), kind, *files[kind]) for kind in files}
    again = upload(str(twin.tenant_id), "orders", *files["orders"])
    work_dir = tmp_path_factory.mktemp("dbt-files")
    warehouse.write_dbt_profiles(work_dir / "profiles", settings)
    result = run_dbt(work_dir, "build")
    yield {
        "demo": demo_id,
        "twin": str(twin.tenant_id),
        "uploads": uploads,
        "again": again,
        "dbt": failures(result),
        "work_dir": work_dir,
    }


def per_day(sql: str, tenant_id: str) -> dict[Any, tuple[Any, ...]]:
    with warehouse.connect("admin") as conn:
        return {row[0]: tuple(row[1:]) for row in conn.execute(sql, (tenant_id,)).fetchall()}


def test_uploads_load_good_rows_and_quarantine_broken_ones_by_row(built: dict[str, Any]) -> None:
    orders: UploadResult = built["uploads"]["orders"]
    assert [p.words() for p in orders.rejected] == [
        "row 6: 'Betrag (€)' is 'zwölf', not a number",
        "row 10: 'Datum' is '31.02.2026', not a real date",
    ]
    assert orders.loaded == orders.rows_read - 2 > 1000
    assert all(not u.rejected for k, u in built["uploads"].items() if k != "orders")
    again: UploadResult = built["again"]
    assert (again.loaded, again.unchanged) == (0, orders.loaded)  # the same file twice adds nothing
    with warehouse.connect("keel_loader") as conn:
        problems = conn.execute(
            "select problems from raw_files.rejected_records where tenant_id = %s order by problems",
            (built["twin"],),
        ).fetchall()
    assert [p[0] for p in problems] == [
        "row 10: 'Datum' is '31.02.2026', not a real date",
        "row 6: 'Betrag (€)' is 'zwölf', not a number",
    ]


def test_the_file_tenant_gets_the_demo_tenants_marts_and_metrics(built: dict[str, Any]) -> None:
    assert built["dbt"] == [], "\n".join(f for f in built["dbt"] if " skipped " not in f)
    orders_sql = (
        "select order_date, count(*), sum(gross_revenue), sum(discounts), sum(net_sales), sum(tax), "
        "sum(total_amount), count(distinct customer_id) from marts.orders where tenant_id = %s group by 1"
    )
    demo_orders, twin_orders = per_day(orders_sql, built["demo"]), per_day(orders_sql, built["twin"])
    assert len(demo_orders) > 80
    assert twin_orders == demo_orders
    lines_sql = (
        "select order_date, count(*), sum(quantity), sum(gross_revenue), sum(discounts), sum(tax) "
        "from marts.order_lines where tenant_id = %s group by 1"
    )
    assert per_day(lines_sql, built["twin"]) == per_day(lines_sql, built["demo"])
    customers_sql = (
        "select first_order_date, count(*), sum(orders_count), count(*) filter (where is_preexisting) "
        "from marts.customers where tenant_id = %s and orders_count > 0 group by 1"
    )
    assert per_day(customers_sql, built["twin"]) == per_day(customers_sql, built["demo"])
    shifts_sql = (
        "select shift_date, count(*), sum(paid_hours), sum(labor_cost) from marts.shifts "
        "where tenant_id = %s group by 1"
    )
    assert per_day(shifts_sql, built["twin"]) == per_day(shifts_sql, built["demo"])
    metrics_sql = (
        "select metric_date, orders, revenue_gross, discounts, new_customers, returning_customers, "
        "labor_hours, labor_cost from metrics.business_metrics_daily where tenant_id = %s"
    )
    demo_metrics, twin_metrics = per_day(metrics_sql, built["demo"]), per_day(metrics_sql, built["twin"])
    assert len(demo_metrics) > 80
    assert twin_metrics == demo_metrics


def test_the_bookkeeping_files_reach_their_marts(built: dict[str, Any]) -> None:
    assert built["dbt"] == []
    twin = built["twin"]
    with warehouse.connect("admin") as conn:
        product = conn.execute(
            "select product_name, product_kind, current_price, unit_cost from marts.products "
            "where tenant_id = %s and source_system = 'files' and product_id = 'CAKE-1'",
            (twin,),
        ).fetchall()
        bills = conn.execute(
            "select bill_id, vendor_name, expense_account, total_amount, is_paid, paid_date, balance_amount "
            "from marts.bills where tenant_id = %s order by bill_id",
            (twin,),
        ).fetchall()
        invoice = conn.execute(
            "select invoice_id, total_amount, amount_paid, is_paid, days_to_pay from marts.invoices "
            "where tenant_id = %s",
            (twin,),
        ).fetchall()
        spend = conn.execute(
            "select spend_date, channel, campaigns_count, spend from marts.marketing_spend "
            "where tenant_id = %s",
            (twin,),
        ).fetchall()
    assert product == [("Käsekuchen", "physical", Decimal("3.50"), Decimal("1.20"))]
    assert bills == [
        ("B-1", "Bean Co", "Coffee", Decimal("1250.00"), True, date(2026, 6, 20), Decimal("0.00")),
        ("B-2", "Power Co", "Utilities", Decimal("310.40"), False, None, Decimal("310.40")),
    ]
    assert invoice == [("INV-1", Decimal("480.00"), Decimal("480.00"), True, 14)]
    assert spend == [(date(2026, 6, 5), "Facebook", 2, Decimal("30.00"))]


def test_the_forecasting_asset_forecasts_the_file_tenant(built: dict[str, Any]) -> None:
    from orchestration.defs.ml.forecasts import ml_forecasting
    from tests.partitioned import materialize_tenants

    assert built["dbt"] == []
    config = {"n_jobs": 1, "horizon": 14, "metrics": ["revenue_net", "orders"]}
    result = materialize_tenants(
        [ml_forecasting], [FILE_SLUG], {"ops": {"ml_forecasting": {"config": config}}}
    )[FILE_SLUG]
    assert result.success
    with warehouse.connect("admin") as conn:
        rows = conn.execute(
            "select metric, count(distinct ds) from ml.forecasts where tenant_id = %s group by 1 order by 1",
            (built["twin"],),
        ).fetchall()
    assert rows == [("orders", 14), ("revenue_net", 14)]


@pytest.fixture(scope="module")
def settings(keel_home: Path) -> Iterator[KeelSettings]:
    """This module's own database: it loads demo businesses and counts or builds over all of them."""
    with database_of_its_own(keel_home, "file_tenant") as own:
        yield own
