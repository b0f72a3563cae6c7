"""The demo simulator as a provider of records: for each resource of a source (its contract lives in
``ingestion/sources/<source>/settings.py``), the builder that makes its records and the defects that can
be injected into it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ingestion.sources import all_resources
from ingestion.sources.spec import ResourceSpec

from . import (
    shapes_ads,
    shapes_erpnext,
    shapes_quickbooks,
    shapes_salesforce,
    shapes_shifts,
    shapes_shopify,
    shapes_stripe,
)
from .shapes_common import ShapeContext

Builder = Callable[[ShapeContext], Iterator[dict[str, Any]]]
Path = tuple[str | int, ...]

DEFECT_KINDS = ("missing_id", "wrong_type", "negative_quantity", "unknown_currency", "broken_encoding")
# A lone surrogate is what Python makes of undecodable bytes (errors="surrogateescape"); it cannot be
# encoded as UTF-8, so it stands for text that arrived with a broken encoding.
BROKEN_TEXT = "Caf\udce9 au lait"

SPECS: dict[str, ResourceSpec] = {spec.qualified_name: spec for spec in all_resources()}


@dataclass(frozen=True)
class Defects:
    wrong_type: tuple[Path, Any] | None = None
    negative_quantity: tuple[Path, Any] | None = None
    unknown_currency: tuple[Path, Any] | None = None
    broken_encoding: tuple[Path, Any] | None = None


REGISTRY: tuple[tuple[ResourceSpec, Builder, Defects], ...] = (
    (SPECS["shopify.locations"], shapes_shopify.locations, Defects(broken_encoding=(("name",), BROKEN_TEXT))),
    (
        SPECS["shopify.products"],
        shapes_shopify.products,
        Defects(wrong_type=(("variants", 0, "price"), "free"), broken_encoding=(("title",), BROKEN_TEXT)),
    ),
    (
        SPECS["shopify.inventory_items"],
        shapes_shopify.inventory_items,
        Defects(wrong_type=(("cost",), "n/a")),
    ),
    (
        SPECS["shopify.inventory_levels"],
        shapes_shopify.inventory_levels,
        Defects(wrong_type=(("available",), "lots")),
    ),
    (
        SPECS["shopify.customers"],
        shapes_shopify.customers,
        Defects(
            wrong_type=(("total_spent",), "n/a"),
            unknown_currency=(("currency",), "XYZ"),
            broken_encoding=(("first_name",), BROKEN_TEXT),
        ),
    ),
    (
        SPECS["shopify.orders"],
        shapes_shopify.orders,
        Defects(
            wrong_type=(("total_price",), "twelve dollars"),
            negative_quantity=(("line_items", 0, "quantity"), -2),
            unknown_currency=(("currency",), "XYZ"),
            broken_encoding=(("note",), BROKEN_TEXT),
        ),
    ),
    (
        SPECS["shopify.price_rules"],
        shapes_shopify.price_rules,
        Defects(wrong_type=(("value",), "twenty percent"), broken_encoding=(("title",), BROKEN_TEXT)),
    ),
    (
        SPECS["shopify.discount_codes"],
        shapes_shopify.discount_codes,
        Defects(wrong_type=(("usage_count",), "many"), broken_encoding=(("code",), BROKEN_TEXT)),
    ),
    (
        SPECS["stripe.customers"],
        shapes_stripe.customers,
        Defects(
            wrong_type=(("created",), "yesterday"),
            unknown_currency=(("currency",), "xyz"),
            broken_encoding=(("name",), BROKEN_TEXT),
        ),
    ),
    (
        SPECS["stripe.charges"],
        shapes_stripe.charges,
        Defects(
            wrong_type=(("amount",), "10.99"),
            negative_quantity=(("amount",), -500),
            unknown_currency=(("currency",), "xyz"),
            broken_encoding=(("description",), BROKEN_TEXT),
        ),
    ),
    (
        SPECS["stripe.refunds"],
        shapes_stripe.refunds,
        Defects(
            wrong_type=(("amount",), "5.00"),
            negative_quantity=(("amount",), -500),
            unknown_currency=(("currency",), "xyz"),
        ),
    ),
    (
        SPECS["stripe.subscriptions"],
        shapes_stripe.subscriptions,
        Defects(wrong_type=(("created",), "last week"), unknown_currency=(("currency",), "xyz")),
    ),
    (
        SPECS["stripe.invoices"],
        shapes_stripe.invoices,
        Defects(
            wrong_type=(("amount_due",), "49.00"),
            negative_quantity=(("lines", "data", 0, "quantity"), -1),
            unknown_currency=(("currency",), "xyz"),
        ),
    ),
    (
        SPECS["stripe.balance_transactions"],
        shapes_stripe.balance_transactions,
        Defects(wrong_type=(("fee",), "0.30"), unknown_currency=(("currency",), "xyz")),
    ),
    (
        SPECS["quickbooks.customers"],
        shapes_quickbooks.customers,
        Defects(
            wrong_type=(("Balance",), "n/a"),
            unknown_currency=(("CurrencyRef", "value"), "XYZ"),
            broken_encoding=(("DisplayName",), BROKEN_TEXT),
        ),
    ),
    (
        SPECS["quickbooks.vendors"],
        shapes_quickbooks.vendors,
        Defects(
            wrong_type=(("Balance",), "n/a"),
            unknown_currency=(("CurrencyRef", "value"), "XYZ"),
            broken_encoding=(("DisplayName",), BROKEN_TEXT),
        ),
    ),
    (
        SPECS["quickbooks.invoices"],
        shapes_quickbooks.invoices,
        Defects(
            wrong_type=(("TotalAmt",), "1,234.50"),
            negative_quantity=(("Line", 0, "SalesItemLineDetail", "Qty"), -1),
            unknown_currency=(("CurrencyRef", "value"), "XYZ"),
            broken_encoding=(("Line", 0, "Description"), BROKEN_TEXT),
        ),
    ),
    (
        SPECS["quickbooks.payments"],
        shapes_quickbooks.payments,
        Defects(wrong_type=(("TotalAmt",), "paid"), unknown_currency=(("CurrencyRef", "value"), "XYZ")),
    ),
    (
        SPECS["quickbooks.bills"],
        shapes_quickbooks.bills,
        Defects(
            wrong_type=(("TotalAmt",), "1,234.50"),
            unknown_currency=(("CurrencyRef", "value"), "XYZ"),
            broken_encoding=(("Line", 0, "Description"), BROKEN_TEXT),
        ),
    ),
    (
        SPECS["quickbooks.bill_payments"],
        shapes_quickbooks.bill_payments,
        Defects(wrong_type=(("TotalAmt",), "paid"), unknown_currency=(("CurrencyRef", "value"), "XYZ")),
    ),
    (
        SPECS["quickbooks.purchases"],
        shapes_quickbooks.purchases,
        Defects(
            wrong_type=(("TotalAmt",), "1,234.50"),
            unknown_currency=(("CurrencyRef", "value"), "XYZ"),
            broken_encoding=(("Line", 0, "Description"), BROKEN_TEXT),
        ),
    ),
    (
        SPECS["quickbooks.items"],
        shapes_quickbooks.items,
        Defects(wrong_type=(("UnitPrice",), "n/a"), broken_encoding=(("Name",), BROKEN_TEXT)),
    ),
    (
        SPECS["quickbooks.accounts"],
        shapes_quickbooks.accounts,
        Defects(unknown_currency=(("CurrencyRef", "value"), "XYZ"), broken_encoding=(("Name",), BROKEN_TEXT)),
    ),
    (
        SPECS["shifts.employees"],
        shapes_shifts.employees,
        Defects(wrong_type=(("job", "wage_rate"), "17,50"), broken_encoding=(("first_name",), BROKEN_TEXT)),
    ),
    (
        SPECS["shifts.timecards"],
        shapes_shifts.timecards,
        Defects(
            wrong_type=(("labor", "paid_hours"), "eight"),
            negative_quantity=(("labor", "paid_hours"), -4.0),
            broken_encoding=(("first_name",), BROKEN_TEXT),
        ),
    ),
    (
        SPECS["ads.campaigns"],
        shapes_ads.campaigns,
        Defects(
            wrong_type=(("daily_budget",), "unlimited"),
            unknown_currency=(("currency",), "XYZ"),
            broken_encoding=(("name",), BROKEN_TEXT),
        ),
    ),
    (
        SPECS["ads.insights"],
        shapes_ads.insights,
        Defects(
            wrong_type=(("spend",), "N/A"),
            negative_quantity=(("impressions",), "-100"),
            unknown_currency=(("account_currency",), "XYZ"),
            broken_encoding=(("campaign_name",), BROKEN_TEXT),
        ),
    ),
    (
        SPECS["salesforce.campaigns"],
        shapes_salesforce.campaigns,
        Defects(wrong_type=(("BudgetedCost",), "a lot"), broken_encoding=(("Name",), BROKEN_TEXT)),
    ),
    (
        SPECS["salesforce.accounts"],
        shapes_salesforce.accounts,
        Defects(wrong_type=(("NumberOfEmployees",), "dozens"), broken_encoding=(("Name",), BROKEN_TEXT)),
    ),
    (
        SPECS["salesforce.contacts"],
        shapes_salesforce.contacts,
        Defects(broken_encoding=(("LastName",), BROKEN_TEXT)),
    ),
    (
        SPECS["salesforce.leads"],
        shapes_salesforce.leads,
        Defects(broken_encoding=(("Company",), BROKEN_TEXT)),
    ),
    (
        SPECS["salesforce.opportunities"],
        shapes_salesforce.opportunities,
        Defects(
            wrong_type=(("Amount",), "12k"),
            negative_quantity=(("Probability",), -10.0),
            broken_encoding=(("Name",), BROKEN_TEXT),
        ),
    ),
    (
        SPECS["salesforce.opportunity_history"],
        shapes_salesforce.opportunity_history,
        Defects(wrong_type=(("Amount",), "12k"), negative_quantity=(("Amount",), -500.0)),
    ),
    (
        SPECS["erpnext.customers"],
        shapes_erpnext.customers,
        Defects(broken_encoding=(("customer_name",), BROKEN_TEXT)),
    ),
    (
        SPECS["erpnext.suppliers"],
        shapes_erpnext.suppliers,
        Defects(broken_encoding=(("supplier_name",), BROKEN_TEXT)),
    ),
    (
        SPECS["erpnext.items"],
        shapes_erpnext.items,
        Defects(wrong_type=(("standard_rate",), "free"), negative_quantity=(("valuation_rate",), -1.0)),
    ),
    (
        SPECS["erpnext.sales_invoices"],
        shapes_erpnext.sales_invoices,
        Defects(
            wrong_type=(("grand_total",), "twelve dollars"),
            unknown_currency=(("currency",), "XYZ"),
            broken_encoding=(("items", 0, "item_name"), BROKEN_TEXT),
        ),
    ),
    (
        SPECS["erpnext.purchase_invoices"],
        shapes_erpnext.purchase_invoices,
        Defects(wrong_type=(("grand_total",), "1,234.50"), unknown_currency=(("currency",), "XYZ")),
    ),
    (
        SPECS["erpnext.payment_entries"],
        shapes_erpnext.payment_entries,
        Defects(wrong_type=(("paid_amount",), "paid"), negative_quantity=(("paid_amount",), -10.0)),
    ),
    (SPECS["erpnext.bins"], shapes_erpnext.bins, Defects(wrong_type=(("actual_qty",), "lots"))),
    (
        SPECS["erpnext.stock_ledger_entries"],
        shapes_erpnext.stock_ledger_entries,
        Defects(wrong_type=(("qty_after_transaction",), "lots")),
    ),
    (
        SPECS["erpnext.employees"],
        shapes_erpnext.employees,
        Defects(broken_encoding=(("employee_name",), BROKEN_TEXT)),
    ),
    (
        SPECS["erpnext.timesheets"],
        shapes_erpnext.timesheets,
        Defects(wrong_type=(("total_hours",), "eight"), negative_quantity=(("total_hours",), -4.0)),
    ),
    (SPECS["erpnext.deleted_documents"], shapes_erpnext.deleted_documents, Defects()),
)

BUILDERS: dict[str, Builder] = {spec.qualified_name: builder for spec, builder, _ in REGISTRY}
DEFECTS: dict[str, Defects] = {spec.qualified_name: defects for spec, _, defects in REGISTRY}


def defect_applies(qualified_name: str, kind: str) -> bool:
    if kind == "missing_id":
        return True
    return getattr(DEFECTS[qualified_name], kind, None) is not None
