"""Quickbooks: the resources Keel loads, with their keys, cursors and write dispositions.

Every provider of quickbooks records (the connector, the demo simulator) goes through these contracts.
"""

from __future__ import annotations

from functools import partial

from ingestion.sources.spec import (
    MERGE_IMMUTABLE,
    MERGE_MUTABLE,
    ResourceSpec,
    SourceContract,
    tenant_resource,
)

resource = partial(tenant_resource, "quickbooks")

RESOURCES: tuple[ResourceSpec, ...] = (
    resource(
        "customers",
        ("Id",),
        "MetaData.LastUpdatedTime",
        "iso8601",
        "merge",
        MERGE_MUTABLE + " (Balance follows invoices and payments)",
        (),
        "Clients of service businesses.",
    ),
    resource(
        "vendors",
        ("Id",),
        "MetaData.LastUpdatedTime",
        "iso8601",
        "merge",
        MERGE_MUTABLE + " (Balance follows bills and bill payments)",
        (),
        "Suppliers, landlords, platforms.",
    ),
    resource(
        "invoices",
        ("Id",),
        "MetaData.LastUpdatedTime",
        "iso8601",
        "merge",
        MERGE_MUTABLE + " (Balance drops to 0 and LinkedTxn gains the payment)",
        ("Line", "LinkedTxn"),
        "Receivables: invoices with due dates; Balance is what is still owed.",
    ),
    resource(
        "payments",
        ("Id",),
        "MetaData.LastUpdatedTime",
        "iso8601",
        "merge",
        MERGE_IMMUTABLE,
        ("Line",),
        "Customer payments, each linked to the invoice it settles.",
    ),
    resource(
        "bills",
        ("Id",),
        "MetaData.LastUpdatedTime",
        "iso8601",
        "merge",
        MERGE_MUTABLE + " (Balance drops to 0 when paid)",
        ("Line", "LinkedTxn"),
        "Payables: rent, utilities, supplier and stock bills with due dates.",
    ),
    resource(
        "bill_payments",
        ("Id",),
        "MetaData.LastUpdatedTime",
        "iso8601",
        "merge",
        MERGE_IMMUTABLE,
        ("Line",),
        "Payments of bills, each linked to its bill.",
    ),
    resource(
        "purchases",
        ("Id",),
        "MetaData.LastUpdatedTime",
        "iso8601",
        "merge",
        MERGE_IMMUTABLE,
        ("Line",),
        "Expenses paid at once: card purchases, subscriptions, payroll, ad platform charges.",
    ),
)

#: What every record must satisfy before it loads (checked by field name; ingestion.contracts).
CONTRACT = SourceContract(
    numeric=frozenset({"TotalAmt", "Balance", "Amount", "UnitPrice", "Qty", "UnappliedAmt", "TotalTax"}),
    non_negative=frozenset({"TotalAmt", "Qty", "UnitPrice"}),
    currency=frozenset(),
    currency_parents=frozenset({"CurrencyRef"}),
)
