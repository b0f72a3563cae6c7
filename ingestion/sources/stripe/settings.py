"""Stripe: the resources Keel loads, with their keys, cursors and write dispositions.

Every provider of stripe records (the connector, the demo simulator) goes through these contracts.
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

resource = partial(tenant_resource, "stripe")

RESOURCES: tuple[ResourceSpec, ...] = (
    resource(
        "customers",
        ("id",),
        "updated",
        "unix_seconds",
        "merge",
        MERGE_IMMUTABLE,
        (),
        "Stripe customers: salon clients, or software accounts (one per trial signup).",
    ),
    resource(
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
    resource(
        "refunds",
        ("id",),
        "created",
        "unix_seconds",
        "append",
        APPEND_EVENTS,
        (),
        "Refunds of charges.",
    ),
    resource(
        "subscriptions",
        ("id",),
        "updated",
        "unix_seconds",
        "merge",
        MERGE_MUTABLE + " (renewals, plan changes, cancellation)",
        ("items.data",),
        "Subscriptions with their current item and price; history lives in invoices.",
    ),
    resource(
        "invoices",
        ("id",),
        "updated",
        "unix_seconds",
        "merge",
        MERGE_MUTABLE + " (a failed payment is retried and the invoice becomes paid)",
        ("lines.data",),
        "Subscription invoices, one per billing period, with the plan and period on the line.",
    ),
)
