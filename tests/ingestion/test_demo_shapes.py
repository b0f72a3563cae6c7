"""Records look like the real APIs: ids, money and time conventions, required keys, unique keys, cursors."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Any

import pytest

from ingestion.demo import DemoWorld, simulate

from .conftest import all_records, cursor_value, field

DECIMAL_2 = re.compile(r"^-?\d+\.\d{2}$")
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@pytest.fixture(scope="module")
def world() -> DemoWorld:
    return simulate(start=date(2026, 8, 15), end=date(2026, 10, 31))


@pytest.fixture(scope="module")
def records(world: DemoWorld) -> dict[tuple[str, str], list[dict[str, Any]]]:
    return all_records(world)


def _of(records: dict[tuple[str, str], list[dict[str, Any]]], name: str) -> list[dict[str, Any]]:
    return [r for (resource, _), rows in records.items() if resource == name for r in rows]


def test_every_resource_has_unique_keys_cursors_in_order_and_the_tenant(
    world: DemoWorld, records: dict[tuple[str, str], list[dict[str, Any]]]
) -> None:
    empty = []
    for spec in world.resources():
        assert spec.primary_key[0] == "tenant_id"
        assert spec.write_disposition in ("merge", "append") and spec.why
        total = 0
        for tenant in world.tenants:
            rows = records[(spec.qualified_name, str(tenant.tenant_id))]
            total += len(rows)
            keys = [tuple(r[k] for k in spec.primary_key) for r in rows]
            assert len(keys) == len(set(keys)), (spec.qualified_name, tenant.slug)
            assert all(r["tenant_id"] == str(tenant.tenant_id) for r in rows)
            cursors = [cursor_value(spec, r) for r in rows]
            assert cursors == sorted(cursors), (spec.qualified_name, tenant.slug)
            for row in rows:
                uuid.UUID(row["tenant_id"])
        if total == 0:
            empty.append(spec.qualified_name)
    assert empty == ["shopify.price_rules", "shopify.discount_codes"]  # no promotion runs in this window


def test_shopify_shapes(records: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
    orders = _of(records, "shopify.orders")
    assert len(orders) > 10_000
    required = {
        "id",
        "name",
        "order_number",
        "created_at",
        "updated_at",
        "currency",
        "financial_status",
        "total_price",
        "subtotal_price",
        "total_tax",
        "total_discounts",
        "line_items",
        "refunds",
        "total_price_set",
        "source_name",
        "admin_graphql_api_id",
    }
    for order in orders[:2000]:
        assert required <= order.keys()
        assert isinstance(order["id"], int) and order["id"] < 2**53
        assert ISO_WITH_OFFSET.match(order["created_at"]) and ISO_WITH_OFFSET.match(order["updated_at"])
        for key in ("total_price", "subtotal_price", "total_tax", "total_discounts"):
            assert DECIMAL_2.match(order[key]), key
        assert order["total_price_set"]["shop_money"]["amount"] == order["total_price"]
        lines_total = sum(float(li["price"]) * li["quantity"] for li in order["line_items"])
        assert abs(lines_total - float(order["total_line_items_price"])) < 0.005
        for line in order["line_items"]:
            assert (
                DECIMAL_2.match(line["price"]) and isinstance(line["quantity"], int) and line["quantity"] > 0
            )
    assert {o["financial_status"] for o in orders} >= {"paid", "refunded", "partially_refunded"}
    assert {o["source_name"] for o in orders} == {"pos", "web"}
    products = _of(records, "shopify.products")
    assert all(DECIMAL_2.match(p["variants"][0]["price"]) for p in products)
    items = _of(records, "shopify.inventory_items")
    assert all(DECIMAL_2.match(i["cost"]) for i in items)
    levels = _of(records, "shopify.inventory_levels")
    assert levels and all(isinstance(r["available"], int) for r in levels)


def test_stripe_shapes(records: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
    charges = _of(records, "stripe.charges")
    assert len(charges) > 3_000
    for charge in charges:
        assert charge["id"].startswith("ch_") and len(charge["id"]) == 27
        assert charge["customer"].startswith("cus_")
        assert isinstance(charge["amount"], int) and charge["amount"] > 0
        assert isinstance(charge["amount_refunded"], int)
        assert isinstance(charge["created"], int) and isinstance(charge["updated"], int)
        assert charge["updated"] >= charge["created"]
        assert charge["currency"] in ("usd", "cad") and charge["object"] == "charge"
    refunds = _of(records, "stripe.refunds")
    assert refunds and all(r["id"].startswith("re_") and isinstance(r["amount"], int) for r in refunds)
    refunded = {r["charge"]: r["amount"] for r in refunds}
    by_id = {c["id"]: c for c in charges}
    assert all(by_id[charge]["amount_refunded"] == amount for charge, amount in refunded.items())
    subs = _of(records, "stripe.subscriptions")
    assert subs and all(s["id"].startswith("sub_") for s in subs)
    for sub in subs[:500]:
        price = sub["items"]["data"][0]["price"]
        assert isinstance(price["unit_amount"], int) and price["recurring"]["interval"] == "month"
    invoices = _of(records, "stripe.invoices")
    assert invoices and all(isinstance(i["amount_due"], int) and i["id"].startswith("in_") for i in invoices)
    # a balance transaction per succeeded charge (fee and net) and per refund (negative), none other
    balance = {t["id"]: t for t in _of(records, "stripe.balance_transactions")}
    moved = [c for c in charges if c["status"] == "succeeded"] + refunds
    assert set(balance) == {m["balance_transaction"] for m in moved}
    for m in moved:
        txn = balance[m["balance_transaction"]]
        sign = 1 if m["object"] == "charge" else -1
        assert (txn["source"], txn["amount"], txn["type"]) == (m["id"], sign * m["amount"], m["object"])
        assert txn["net"] == txn["amount"] - txn["fee"] and (txn["fee"] > 0) == (sign > 0)
        assert txn["created"] == m["created"] < txn["available_on"]
        assert txn["updated"] == (txn["available_on"] if txn["status"] == "available" else txn["created"])


def test_quickbooks_shapes(records: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
    for name in ("invoices", "bills", "purchases", "payments", "bill_payments", "customers", "vendors"):
        rows = _of(records, f"quickbooks.{name}")
        assert rows, name
        for row in rows:
            assert isinstance(row["Id"], str) and row["Id"].isdigit()
            assert row["SyncToken"].isdigit() and row["domain"] == "QBO"
            assert ISO_WITH_OFFSET.match(row["MetaData"]["CreateTime"])
            created = datetime.fromisoformat(row["MetaData"]["CreateTime"])
            assert datetime.fromisoformat(row["MetaData"]["LastUpdatedTime"]) >= created
            assert row["CurrencyRef"]["value"] in ("USD", "CAD")
            if name in ("invoices", "bills", "purchases", "payments", "bill_payments"):
                assert isinstance(row["TotalAmt"], float) and row["TotalAmt"] > 0
                date.fromisoformat(row["TxnDate"])
    for invoice in _of(records, "quickbooks.invoices"):
        assert invoice["CustomerRef"]["value"].isdigit() and invoice["DueDate"] >= invoice["TxnDate"]
        assert 0 <= invoice["Balance"] <= invoice["TotalAmt"]
    for bill in _of(records, "quickbooks.bills"):
        assert bill["VendorRef"]["name"] and bill["Line"][0]["DetailType"] == "AccountBasedExpenseLineDetail"


def test_shift_and_ad_shapes(records: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
    timecards = _of(records, "shifts.timecards")
    assert len(timecards) > 1_000
    for card in timecards:
        assert isinstance(card["id"], int) and isinstance(card["user_id"], int)
        assert ISO_UTC.match(card["clock_in"]) and ISO_UTC.match(card["updated_at"])
        labor = card["labor"]
        assert isinstance(labor["paid_hours"], float) and 0 <= labor["paid_hours"] <= 13
        # paid_hours is rounded to two places, costs are not computed from the rounded hours
        assert (
            abs(labor["costs"] - labor["paid_hours"] * labor["wage_rate"])
            <= 0.005 * labor["wage_rate"] + 0.01
        )
    employees = _of(records, "shifts.employees")
    assert all(
        isinstance(e["job"]["wage_rate"], float) and e["job"]["wage_type"] == "Hourly" for e in employees
    )
    insights = _of(records, "ads.insights")
    assert len(insights) > 500
    for row in insights:
        assert DECIMAL_2.match(row["spend"]) and row["impressions"].isdigit() and row["clicks"].isdigit()
        assert row["date_start"] == row["date_stop"] and row["campaign_id"].isdigit()
        assert row["channel"] in ("google_ads", "meta_ads", "tiktok_ads", "linkedin_ads")
    campaigns = {c["id"] for c in _of(records, "ads.campaigns")}
    assert {row["campaign_id"] for row in insights} <= campaigns


def test_records_are_consistent_across_sources(world: DemoWorld, records: dict[tuple[str, str], Any]) -> None:
    """Ad platform charges in the books match the ad spend; order customers exist as customers."""
    tenant = world.tenant("kindred-skincare")
    tid = str(tenant.tenant_id)
    spend_september = sum(
        float(r["spend"]) for r in records[("ads.insights", tid)] if r["date_start"].startswith("2026-09")
    )
    charged = sum(
        p["TotalAmt"]
        for p in records[("quickbooks.purchases", tid)]
        if p["TxnDate"] == "2026-10-03"
        and p["Line"][0]["AccountBasedExpenseLineDetail"]["AccountRef"]["name"] == "Advertising"
    )
    assert abs(spend_september - charged) < 0.05
    customer_ids = {c["id"] for c in records[("shopify.customers", tid)]}
    order_customers = {o["customer"]["id"] for o in records[("shopify.orders", tid)] if o["customer"]}
    assert order_customers <= customer_ids


def test_cursors_follow_the_source_conventions(world: DemoWorld, records: dict[tuple[str, str], Any]) -> None:
    for spec in world.resources():
        rows = _of(records, spec.qualified_name)
        if not rows:
            continue
        value = field(rows[0], spec.cursor_field)
        if spec.cursor_type == "unix_seconds":
            assert isinstance(value, int)
        elif spec.cursor_type == "date":
            date.fromisoformat(value)
        else:
            assert datetime.fromisoformat(value).tzinfo is not None
