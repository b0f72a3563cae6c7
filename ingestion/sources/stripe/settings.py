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
    SourceContract,
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
    resource(
        "balance_transactions",
        ("id",),
        "updated",
        "unix_seconds",
        "merge",
        MERGE_MUTABLE + " (status turns from pending to available on available_on)",
        (),
        "Money moving through the Stripe balance: one per charge (with Stripe's fee and the net) and "
        "one per refund (negative).",
    ),
)

#: The Stripe API version Keel reads (the shapes above and the demo's objects follow it).
API_VERSION = "2024-06-20"
BASE_URL = "https://api.stripe.com"
#: Stripe's largest page.
PAGE_LIMIT = 100
#: Stripe keeps events for 30 days; a source last loaded earlier than that needs a full reload.
EVENT_RETENTION_DAYS = 30

#: Per resource: the list endpoint, and the event types whose ``data.object`` is a changed object of
#: that resource (changes to objects created before the last load arrive only through these events).
ENDPOINTS: dict[str, str] = {
    "customers": "v1/customers",
    "charges": "v1/charges",
    "refunds": "v1/refunds",
    "subscriptions": "v1/subscriptions",
    "invoices": "v1/invoices",
    "balance_transactions": "v1/balance_transactions",
}
OBJECT_TYPES: dict[str, str] = {
    "customers": "customer",
    "charges": "charge",
    "refunds": "refund",
    "subscriptions": "subscription",
    "invoices": "invoice",
    "balance_transactions": "balance_transaction",
}
CHANGE_EVENTS: dict[str, tuple[str, ...]] = {
    "customers": ("customer.updated",),
    "charges": (
        "charge.captured",
        "charge.expired",
        "charge.failed",
        "charge.refunded",
        "charge.succeeded",
        "charge.updated",
    ),
    "refunds": (),  # appended on created: a refund is a new object
    "subscriptions": (
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.paused",
        "customer.subscription.resumed",
    ),
    "invoices": (
        "invoice.finalized",
        "invoice.marked_uncollectible",
        "invoice.paid",
        "invoice.payment_failed",
        "invoice.payment_succeeded",
        "invoice.updated",
        "invoice.voided",
    ),
    "balance_transactions": (),
}
#: Balance transactions change without an event (pending -> available): each run lists again those
#: created this many days before the last load (Stripe's longest standard payout delay is 14 days).
BALANCE_SETTLEMENT_DAYS = 14

#: What every record must satisfy before it loads (checked by field name; ingestion.contracts).
CONTRACT = SourceContract(
    numeric=frozenset(
        {
            "amount",
            "amount_captured",
            "amount_refunded",
            "amount_due",
            "amount_paid",
            "amount_remaining",
            "unit_amount",
            "quantity",
            "created",
            "updated",
            "subtotal",
            "total",
            "balance",
            "current_period_start",
            "current_period_end",
            "fee",
            "net",
            "available_on",
        }
    ),
    non_negative=frozenset(
        {
            "amount",
            "amount_captured",
            "amount_refunded",
            "amount_due",
            "amount_paid",
            "amount_remaining",
            "unit_amount",
            "quantity",
            "created",
            "updated",
            "fee",
        }
    ),
    currency=frozenset({"currency"}),
    integers_only=True,
    signed_resources=frozenset({"balance_transactions"}),
)
