"""The demo sources' resources: what a loader needs to know about each (primary key, cursor, write
disposition and why), the builder that makes its records, and the defects that can be injected into it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from . import shapes_ads, shapes_quickbooks, shapes_shifts, shapes_shopify, shapes_stripe
from .shapes_common import ShapeContext

Builder = Callable[[ShapeContext], Iterator[dict[str, Any]]]
Path = tuple[str | int, ...]

DEFECT_KINDS = ("missing_id", "wrong_type", "negative_quantity", "unknown_currency", "broken_encoding")
# A lone surrogate is what Python makes of undecodable bytes (errors="surrogateescape"); it cannot be
# encoded as UTF-8, so it stands for text that arrived with a broken encoding.
BROKEN_TEXT = "Caf\udce9 au lait"

MERGE_MUTABLE = "merge: the object changes after it is created, so a later run must update the stored row"
MERGE_IMMUTABLE = "merge: immutable in practice, but merging on the key keeps reloads idempotent"
APPEND_EVENTS = "append: immutable events; the cursor alone skips what was loaded"


@dataclass(frozen=True)
class ResourceSpec:
    """How to load one resource of a demo source."""

    source: str
    name: str
    primary_key: tuple[str, ...]
    cursor_field: str  # dotted path into the record
    cursor_type: Literal["iso8601", "unix_seconds", "date"]
    write_disposition: Literal["merge", "append"]
    why: str
    nested_lists: tuple[str, ...]  # list fields a loader will unnest into child tables
    description: str

    @property
    def qualified_name(self) -> str:
        return f"{self.source}.{self.name}"


@dataclass(frozen=True)
class Defects:
    wrong_type: tuple[Path, Any] | None = None
    negative_quantity: tuple[Path, Any] | None = None
    unknown_currency: tuple[Path, Any] | None = None
    broken_encoding: tuple[Path, Any] | None = None


def _spec(
    source: str,
    name: str,
    primary_key: tuple[str, ...],
    cursor: str,
    cursor_type: Literal["iso8601", "unix_seconds", "date"],
    disposition: Literal["merge", "append"],
    why: str,
    nested: tuple[str, ...],
    description: str,
) -> ResourceSpec:
    return ResourceSpec(
        source, name, ("tenant_id", *primary_key), cursor, cursor_type, disposition, why, nested, description
    )


REGISTRY: tuple[tuple[ResourceSpec, Builder, Defects], ...] = (
    (
        _spec(
            "shopify",
            "locations",
            ("id",),
            "updated_at",
            "iso8601",
            "merge",
            MERGE_IMMUTABLE,
            (),
            "Shop locations (one per tenant); inventory levels and POS orders point at it.",
        ),
        shapes_shopify.locations,
        Defects(broken_encoding=(("name",), BROKEN_TEXT)),
    ),
    (
        _spec(
            "shopify",
            "products",
            ("id",),
            "updated_at",
            "iso8601",
            "merge",
            MERGE_MUTABLE + " (price changes update the variant and updated_at)",
            ("variants", "options"),
            "Catalogue: one product per item with a single variant holding the current price.",
        ),
        shapes_shopify.products,
        Defects(wrong_type=(("variants", 0, "price"), "free"), broken_encoding=(("title",), BROKEN_TEXT)),
    ),
    (
        _spec(
            "shopify",
            "inventory_items",
            ("id",),
            "updated_at",
            "iso8601",
            "merge",
            MERGE_IMMUTABLE,
            (),
            "Inventory items with their unit cost (Shopify keeps cost here, not on the product).",
        ),
        shapes_shopify.inventory_items,
        Defects(wrong_type=(("cost",), "n/a")),
    ),
    (
        _spec(
            "shopify",
            "inventory_levels",
            ("inventory_item_id", "location_id", "updated_at"),
            "updated_at",
            "iso8601",
            "append",
            APPEND_EVENTS + "; each record is an end-of-day snapshot, so the table is the stock history",
            (),
            "End-of-day available stock per tracked item on each day it changed; 0 means sold out.",
        ),
        shapes_shopify.inventory_levels,
        Defects(wrong_type=(("available",), "lots")),
    ),
    (
        _spec(
            "shopify",
            "customers",
            ("id",),
            "updated_at",
            "iso8601",
            "merge",
            MERGE_MUTABLE + " (orders_count, total_spent and last order change with each order)",
            ("addresses",),
            "Identified customers; walk-in POS orders have none.",
        ),
        shapes_shopify.customers,
        Defects(
            wrong_type=(("total_spent",), "n/a"),
            unknown_currency=(("currency",), "XYZ"),
            broken_encoding=(("first_name",), BROKEN_TEXT),
        ),
    ),
    (
        _spec(
            "shopify",
            "orders",
            ("id",),
            "updated_at",
            "iso8601",
            "merge",
            MERGE_MUTABLE + " (fulfilment and refunds come later)",
            (
                "line_items",
                "refunds",
                "discount_codes",
                "discount_applications",
                "tax_lines",
                "shipping_lines",
            ),
            "Orders with nested line items, discount codes, tax and shipping lines and refunds.",
        ),
        shapes_shopify.orders,
        Defects(
            wrong_type=(("total_price",), "twelve dollars"),
            negative_quantity=(("line_items", 0, "quantity"), -2),
            unknown_currency=(("currency",), "XYZ"),
            broken_encoding=(("note",), BROKEN_TEXT),
        ),
    ),
    (
        _spec(
            "shopify",
            "price_rules",
            ("id",),
            "updated_at",
            "iso8601",
            "merge",
            MERGE_IMMUTABLE,
            (),
            "Discount rules behind promotion codes (value, dates).",
        ),
        shapes_shopify.price_rules,
        Defects(wrong_type=(("value",), "twenty percent"), broken_encoding=(("title",), BROKEN_TEXT)),
    ),
    (
        _spec(
            "shopify",
            "discount_codes",
            ("id",),
            "updated_at",
            "iso8601",
            "merge",
            MERGE_MUTABLE + " (usage_count grows with each use)",
            (),
            "Promotion codes and their usage.",
        ),
        shapes_shopify.discount_codes,
        Defects(wrong_type=(("usage_count",), "many"), broken_encoding=(("code",), BROKEN_TEXT)),
    ),
    (
        _spec(
            "stripe",
            "customers",
            ("id",),
            "updated",
            "unix_seconds",
            "merge",
            MERGE_IMMUTABLE,
            (),
            "Stripe customers: salon clients, or software accounts (one per trial signup).",
        ),
        shapes_stripe.customers,
        Defects(
            wrong_type=(("created",), "yesterday"),
            unknown_currency=(("currency",), "xyz"),
            broken_encoding=(("name",), BROKEN_TEXT),
        ),
    ),
    (
        _spec(
            "stripe",
            "charges",
            ("id",),
            "updated",
            "unix_seconds",
            "merge",
            MERGE_MUTABLE + " (amount_refunded and refunded change when refunded)",
            (),
            "Card payments: one per appointment (metadata names the service, tip and promo code) or per "
            "invoice payment attempt.",
        ),
        shapes_stripe.charges,
        Defects(
            wrong_type=(("amount",), "10.99"),
            negative_quantity=(("amount",), -500),
            unknown_currency=(("currency",), "xyz"),
            broken_encoding=(("description",), BROKEN_TEXT),
        ),
    ),
    (
        _spec(
            "stripe",
            "refunds",
            ("id",),
            "created",
            "unix_seconds",
            "append",
            APPEND_EVENTS,
            (),
            "Refunds of charges.",
        ),
        shapes_stripe.refunds,
        Defects(
            wrong_type=(("amount",), "5.00"),
            negative_quantity=(("amount",), -500),
            unknown_currency=(("currency",), "xyz"),
        ),
    ),
    (
        _spec(
            "stripe",
            "subscriptions",
            ("id",),
            "updated",
            "unix_seconds",
            "merge",
            MERGE_MUTABLE + " (renewals, plan changes, cancellation)",
            ("items.data",),
            "Subscriptions with their current item and price; history lives in invoices.",
        ),
        shapes_stripe.subscriptions,
        Defects(wrong_type=(("created",), "last week"), unknown_currency=(("currency",), "xyz")),
    ),
    (
        _spec(
            "stripe",
            "invoices",
            ("id",),
            "updated",
            "unix_seconds",
            "merge",
            MERGE_MUTABLE + " (a failed payment is retried and the invoice becomes paid)",
            ("lines.data",),
            "Subscription invoices, one per billing period, with the plan and period on the line.",
        ),
        shapes_stripe.invoices,
        Defects(
            wrong_type=(("amount_due",), "49.00"),
            negative_quantity=(("lines", "data", 0, "quantity"), -1),
            unknown_currency=(("currency",), "xyz"),
        ),
    ),
    (
        _spec(
            "quickbooks",
            "customers",
            ("Id",),
            "MetaData.LastUpdatedTime",
            "iso8601",
            "merge",
            MERGE_MUTABLE + " (Balance follows invoices and payments)",
            (),
            "Clients of service businesses.",
        ),
        shapes_quickbooks.customers,
        Defects(
            wrong_type=(("Balance",), "n/a"),
            unknown_currency=(("CurrencyRef", "value"), "XYZ"),
            broken_encoding=(("DisplayName",), BROKEN_TEXT),
        ),
    ),
    (
        _spec(
            "quickbooks",
            "vendors",
            ("Id",),
            "MetaData.LastUpdatedTime",
            "iso8601",
            "merge",
            MERGE_MUTABLE + " (Balance follows bills and bill payments)",
            (),
            "Suppliers, landlords, platforms.",
        ),
        shapes_quickbooks.vendors,
        Defects(
            wrong_type=(("Balance",), "n/a"),
            unknown_currency=(("CurrencyRef", "value"), "XYZ"),
            broken_encoding=(("DisplayName",), BROKEN_TEXT),
        ),
    ),
    (
        _spec(
            "quickbooks",
            "invoices",
            ("Id",),
            "MetaData.LastUpdatedTime",
            "iso8601",
            "merge",
            MERGE_MUTABLE + " (Balance drops to 0 and LinkedTxn gains the payment)",
            ("Line", "LinkedTxn"),
            "Receivables: invoices with due dates; Balance is what is still owed.",
        ),
        shapes_quickbooks.invoices,
        Defects(
            wrong_type=(("TotalAmt",), "1,234.50"),
            negative_quantity=(("Line", 0, "SalesItemLineDetail", "Qty"), -1),
            unknown_currency=(("CurrencyRef", "value"), "XYZ"),
            broken_encoding=(("Line", 0, "Description"), BROKEN_TEXT),
        ),
    ),
    (
        _spec(
            "quickbooks",
            "payments",
            ("Id",),
            "MetaData.LastUpdatedTime",
            "iso8601",
            "merge",
            MERGE_IMMUTABLE,
            ("Line",),
            "Customer payments, each linked to the invoice it settles.",
        ),
        shapes_quickbooks.payments,
        Defects(wrong_type=(("TotalAmt",), "paid"), unknown_currency=(("CurrencyRef", "value"), "XYZ")),
    ),
    (
        _spec(
            "quickbooks",
            "bills",
            ("Id",),
            "MetaData.LastUpdatedTime",
            "iso8601",
            "merge",
            MERGE_MUTABLE + " (Balance drops to 0 when paid)",
            ("Line", "LinkedTxn"),
            "Payables: rent, utilities, supplier and stock bills with due dates.",
        ),
        shapes_quickbooks.bills,
        Defects(
            wrong_type=(("TotalAmt",), "1,234.50"),
            unknown_currency=(("CurrencyRef", "value"), "XYZ"),
            broken_encoding=(("Line", 0, "Description"), BROKEN_TEXT),
        ),
    ),
    (
        _spec(
            "quickbooks",
            "bill_payments",
            ("Id",),
            "MetaData.LastUpdatedTime",
            "iso8601",
            "merge",
            MERGE_IMMUTABLE,
            ("Line",),
            "Payments of bills, each linked to its bill.",
        ),
        shapes_quickbooks.bill_payments,
        Defects(wrong_type=(("TotalAmt",), "paid"), unknown_currency=(("CurrencyRef", "value"), "XYZ")),
    ),
    (
        _spec(
            "quickbooks",
            "purchases",
            ("Id",),
            "MetaData.LastUpdatedTime",
            "iso8601",
            "merge",
            MERGE_IMMUTABLE,
            ("Line",),
            "Expenses paid at once: card purchases, subscriptions, payroll, ad platform charges.",
        ),
        shapes_quickbooks.purchases,
        Defects(
            wrong_type=(("TotalAmt",), "1,234.50"),
            unknown_currency=(("CurrencyRef", "value"), "XYZ"),
            broken_encoding=(("Line", 0, "Description"), BROKEN_TEXT),
        ),
    ),
    (
        _spec(
            "shifts",
            "employees",
            ("id",),
            "updated_at",
            "iso8601",
            "merge",
            MERGE_MUTABLE + " (raises, leaving)",
            ("job.roles",),
            "Staff with role and current wage.",
        ),
        shapes_shifts.employees,
        Defects(wrong_type=(("job", "wage_rate"), "17,50"), broken_encoding=(("first_name",), BROKEN_TEXT)),
    ),
    (
        _spec(
            "shifts",
            "timecards",
            ("id",),
            "updated_at",
            "iso8601",
            "merge",
            MERGE_MUTABLE + " (approval, corrected clock-outs)",
            ("timebreaks",),
            "Worked shifts: clock in/out, breaks, paid hours, wage rate and cost.",
        ),
        shapes_shifts.timecards,
        Defects(
            wrong_type=(("labor", "paid_hours"), "eight"),
            negative_quantity=(("labor", "paid_hours"), -4.0),
            broken_encoding=(("first_name",), BROKEN_TEXT),
        ),
    ),
    (
        _spec(
            "ads",
            "campaigns",
            ("id",),
            "updated_time",
            "iso8601",
            "merge",
            MERGE_MUTABLE + " (budget reviews, campaigns ending)",
            (),
            "Ad campaigns per channel.",
        ),
        shapes_ads.campaigns,
        Defects(
            wrong_type=(("daily_budget",), "unlimited"),
            unknown_currency=(("currency",), "XYZ"),
            broken_encoding=(("name",), BROKEN_TEXT),
        ),
    ),
    (
        _spec(
            "ads",
            "insights",
            ("account_id", "campaign_id", "date_start"),
            "date_start",
            "date",
            "merge",
            "merge: one row per campaign and day; platforms restate recent days, merging keeps one row",
            (),
            "Daily campaign delivery: spend, impressions, clicks, platform-attributed conversions.",
        ),
        shapes_ads.insights,
        Defects(
            wrong_type=(("spend",), "N/A"),
            negative_quantity=(("impressions",), "-100"),
            unknown_currency=(("account_currency",), "XYZ"),
            broken_encoding=(("campaign_name",), BROKEN_TEXT),
        ),
    ),
)

SPECS: dict[str, ResourceSpec] = {spec.qualified_name: spec for spec, _, _ in REGISTRY}
BUILDERS: dict[str, Builder] = {spec.qualified_name: builder for spec, builder, _ in REGISTRY}
DEFECTS: dict[str, Defects] = {spec.qualified_name: defects for spec, _, defects in REGISTRY}


def defect_applies(qualified_name: str, kind: str) -> bool:
    if kind == "missing_id":
        return True
    return getattr(DEFECTS[qualified_name], kind, None) is not None
