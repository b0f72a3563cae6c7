"""Shopify: the resources Keel loads, with their keys, cursors and write dispositions, and the Admin
REST API's endpoints and defaults that the connector reads them from.

Every provider of shopify records (the connector, the demo simulator) goes through these contracts.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Final

from ingestion.sources.spec import (
    APPEND_EVENTS,
    MERGE_IMMUTABLE,
    MERGE_MUTABLE,
    ResourceSpec,
    SourceContract,
    tenant_resource,
)

resource = partial(tenant_resource, "shopify")

RESOURCES: tuple[ResourceSpec, ...] = (
    resource(
        "locations",
        ("id",),
        "updated_at",
        "iso8601",
        "merge",
        MERGE_IMMUTABLE,
        (),
        "Shop locations (one per tenant); inventory levels and POS orders point at it.",
    ),
    resource(
        "products",
        ("id",),
        "updated_at",
        "iso8601",
        "merge",
        MERGE_MUTABLE + " (price changes update the variant and updated_at)",
        ("variants", "options"),
        "Catalogue: one product per item with a single variant holding the current price.",
    ),
    resource(
        "inventory_items",
        ("id",),
        "updated_at",
        "iso8601",
        "merge",
        MERGE_IMMUTABLE,
        (),
        "Inventory items with their unit cost (Shopify keeps cost here, not on the product).",
    ),
    resource(
        "inventory_levels",
        ("inventory_item_id", "location_id", "updated_at"),
        "updated_at",
        "iso8601",
        "append",
        APPEND_EVENTS + "; each record is an end-of-day snapshot, so the table is the stock history",
        (),
        "End-of-day available stock per tracked item on each day it changed; 0 means sold out.",
    ),
    resource(
        "customers",
        ("id",),
        "updated_at",
        "iso8601",
        "merge",
        MERGE_MUTABLE + " (orders_count, total_spent and last order change with each order)",
        ("addresses",),
        "Identified customers; walk-in POS orders have none.",
    ),
    resource(
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
    resource(
        "price_rules",
        ("id",),
        "updated_at",
        "iso8601",
        "merge",
        MERGE_IMMUTABLE,
        (),
        "Discount rules behind promotion codes (value, dates).",
    ),
    resource(
        "discount_codes",
        ("id",),
        "updated_at",
        "iso8601",
        "merge",
        MERGE_MUTABLE + " (usage_count grows with each use)",
        (),
        "Promotion codes and their usage.",
    ),
)


#: The Admin API version asked for unless a source's settings name another (Shopify supports each
#: quarterly version for a year; see https://shopify.dev/docs/api/usage/versioning).
API_VERSION: Final = "2025-10"
#: The largest page the Admin REST API serves (``limit``); fewer requests against the rate limit.
PAGE_SIZE: Final = 250
#: How far before the latest loaded ``updated_at`` each run asks again: an edit can become visible
#: in the API a little after objects with a later ``updated_at`` were read. Merging on the key makes
#: the overlap harmless.
LOOKBACK: Final = timedelta(hours=1)
#: ``inventory_items.json`` takes at most this many ``ids`` per request.
INVENTORY_ITEM_IDS_PER_REQUEST: Final = 100

#: Per resource: the path under ``/admin/api/<version>/``, the key of the list in the answer, and the
#: parameters of a listing. ``updated_at_min`` goes to the endpoints that filter on it.
ENDPOINTS: Final[dict[str, tuple[str, str]]] = {
    "locations": ("locations.json", "locations"),
    "products": ("products.json", "products"),
    "inventory_items": ("inventory_items.json", "inventory_items"),
    "inventory_levels": ("inventory_levels.json", "inventory_levels"),
    "customers": ("customers.json", "customers"),
    "orders": ("orders.json", "orders"),
    "price_rules": ("price_rules.json", "price_rules"),
    "discount_codes": ("price_rules/{price_rule_id}/discount_codes.json", "discount_codes"),
}
#: Endpoints that take ``updated_at_min``; locations, inventory items (read by id) and discount codes
#: (read per price rule) do not, so they are read whole and the loader's cursor skips the unchanged.
INCREMENTAL: Final = frozenset({"products", "inventory_levels", "customers", "orders", "price_rules"})
#: Extra parameters of a first request (``status=any``: open, closed and cancelled orders alike;
#: oldest change first where the API sorts).
LISTING_PARAMS: Final[dict[str, dict[str, str]]] = {
    "orders": {"status": "any", "order": "updated_at asc"},
}

#: What every record must satisfy before it loads (checked by field name; ingestion.contracts).
CONTRACT = SourceContract(
    numeric=frozenset(
        {
            "price",
            "total_price",
            "subtotal_price",
            "total_discounts",
            "total_tax",
            "total_line_items_price",
            "current_total_price",
            "current_subtotal_price",
            "current_total_discounts",
            "current_total_tax",
            "total_outstanding",
            "total_tip_received",
            "cost",
            "amount",
            "total_discount",
            "available",
            "quantity",
            "usage_count",
            "value",
            "total_spent",
            "orders_count",
            "subtotal",
            "total_cart_discount_amount",
        }
    ),
    non_negative=frozenset(
        {
            "price",
            "quantity",
            "cost",
            "total_price",
            "subtotal_price",
            "orders_count",
            "usage_count",
            "fulfillable_quantity",
            "total_spent",
        }
    ),
    currency=frozenset({"currency", "currency_code", "presentment_currency"}),
)
