"""QuickBooks Online: the resources Keel loads, with their keys, cursors and write dispositions, and the
Accounting API's endpoints and defaults that the connector reads them from.

Every provider of quickbooks records (the connector, the demo simulator) goes through these contracts. A
record the Change Data Capture endpoint reports as deleted arrives as QuickBooks sends it (``Id``,
``status: "Deleted"``, ``MetaData.LastUpdatedTime``) and replaces the stored row, which thereby stays,
marked deleted; staging leaves such rows out.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Final

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
    resource(
        "items",
        ("Id",),
        "MetaData.LastUpdatedTime",
        "iso8601",
        "merge",
        MERGE_MUTABLE + " (renamed, repriced or made inactive)",
        (),
        "Products and services sold on invoices (ItemRef of invoice lines), with their income account.",
    ),
    resource(
        "accounts",
        ("Id",),
        "MetaData.LastUpdatedTime",
        "iso8601",
        "merge",
        MERGE_MUTABLE + " (renamed or made inactive)",
        (),
        "The chart of accounts: what every line's AccountRef points at, with its type and classification.",
    ),
)

#: What every record must satisfy before it loads (checked by field name; ingestion.contracts).
CONTRACT = SourceContract(
    numeric=frozenset({"TotalAmt", "Balance", "Amount", "UnitPrice", "Qty", "UnappliedAmt", "TotalTax"}),
    non_negative=frozenset({"TotalAmt", "Qty", "UnitPrice"}),
    currency=frozenset(),
    currency_parents=frozenset({"CurrencyRef"}),
)

#: The Accounting API's entity behind each resource (``select * from <Entity>``, ``cdc?entities=<Entity>``).
ENTITIES: Final[dict[str, str]] = {
    "customers": "Customer",
    "vendors": "Vendor",
    "invoices": "Invoice",
    "payments": "Payment",
    "bills": "Bill",
    "bill_payments": "BillPayment",
    "purchases": "Purchase",
    "items": "Item",
    "accounts": "Account",
}
#: Name-list entities: a query returns only active ones unless asked for both (``Active IN (true, false)``).
NAME_LISTS: Final = frozenset({"Customer", "Vendor", "Item", "Account"})
#: API roots per Intuit environment.
API_URLS: Final[dict[str, str]] = {
    "production": "https://quickbooks.api.intuit.com",
    "sandbox": "https://sandbox-quickbooks.api.intuit.com",
}
#: The minor version of the Accounting API asked for (``minorversion``); Intuit serves 75 and later
#: since August 2025 and answers older ones as 75.
MINOR_VERSION: Final = "75"
#: The largest page a query returns (``MAXRESULTS``).
PAGE_SIZE: Final = 1000
#: Change Data Capture reaches back at most this many days (``changedSince``); older changes come from a
#: query on ``Metadata.LastUpdatedTime`` instead, which cannot see deletions.
CDC_DAYS: Final = 30
#: Change Data Capture returns at most this many objects per entity; at the cap the changes are read again
#: with a paged query (deletions still come from CDC).
CDC_MAX_OBJECTS: Final = 1000
#: Intuit's throttle is 500 requests a minute per company (realm); Keel keeps a tenth below it on its side
#: (Intuit's minute and Keel's are not measured on the same clock, and the owner's other apps count too).
RATE_LIMIT: Final = "450/minute"
#: How far before the latest loaded ``LastUpdatedTime`` each run asks again (edits that became visible
#: late); merging on the key makes the overlap harmless.
LOOKBACK: Final = timedelta(hours=1)
#: The OAuth 2.0 scope that reads the books (Intuit's "Accounting" scope).
SCOPES: Final = ("com.intuit.quickbooks.accounting",)
