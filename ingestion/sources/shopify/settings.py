"""Shopify: the resources Keel loads, with their keys, cursors and write dispositions.

Every provider of shopify records (the connector, the demo simulator) goes through these contracts.
"""

from __future__ import annotations

from functools import partial

from ingestion.sources.spec import (
    APPEND_EVENTS,
    MERGE_IMMUTABLE,
    MERGE_MUTABLE,
    ResourceSpec,
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
