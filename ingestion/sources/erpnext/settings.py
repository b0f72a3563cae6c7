"""ERPNext (Frappe): the resources Keel loads, with their keys, cursors and write dispositions, and the
Frappe REST API's doctypes, fields and defaults that the connector reads them from.

Every Frappe document has a ``name`` (unique within its doctype) and a ``modified`` time, written by
Frappe as the site's local wall-clock time without an offset (``2026-03-01 10:12:47.123456``). The
connector adds ``modified_at``: the same instant as ISO-8601 with the site's offset, which is the
cursor every resource keeps (the loader compares cursors as instants, so a naive time cannot be one).

Every provider of erpnext records (the connector, ``ingestion/demo/shapes_erpnext.py``) goes through
these contracts.
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

resource = partial(tenant_resource, "erpnext")

#: The cursor of every resource: ``modified`` as an instant (the connector adds it; see above).
CURSOR: Final = "modified_at"

RESOURCES: tuple[ResourceSpec, ...] = (
    resource(
        "customers",
        ("name",),
        CURSOR,
        "iso8601",
        "merge",
        MERGE_MUTABLE + " (renamed, regrouped, disabled)",
        (),
        "Customers (doctype Customer); walk-in sales go to one default customer.",
    ),
    resource(
        "suppliers",
        ("name",),
        CURSOR,
        "iso8601",
        "merge",
        MERGE_MUTABLE,
        (),
        "Suppliers (doctype Supplier): the vendors whose purchase invoices are the business's bills.",
    ),
    resource(
        "items",
        ("name",),
        CURSOR,
        "iso8601",
        "merge",
        MERGE_MUTABLE + " (price and valuation rate change)",
        (),
        "Items (doctype Item): what the business sells and stocks, with its selling and valuation rate.",
    ),
    resource(
        "sales_invoices",
        ("name",),
        CURSOR,
        "iso8601",
        "merge",
        MERGE_MUTABLE + " (paid, returned against, cancelled: docstatus 2)",
        ("items", "taxes", "payments"),
        "Sales invoices (doctype Sales Invoice) with their items, taxes and POS payments; returns are "
        "sales invoices with is_return = 1 against the original.",
    ),
    resource(
        "purchase_invoices",
        ("name",),
        CURSOR,
        "iso8601",
        "merge",
        MERGE_MUTABLE + " (outstanding amount falls as payments are made; cancelled: docstatus 2)",
        ("items", "taxes"),
        "Purchase invoices (doctype Purchase Invoice): bills from suppliers, with their items.",
    ),
    resource(
        "payment_entries",
        ("name",),
        CURSOR,
        "iso8601",
        "merge",
        MERGE_MUTABLE + " (cancelled: docstatus 2)",
        ("references",),
        "Payment entries (doctype Payment Entry): money received from customers and paid to suppliers, "
        "with the invoices each one settles.",
    ),
    resource(
        "bins",
        ("name",),
        CURSOR,
        "iso8601",
        "merge",
        MERGE_MUTABLE + " (one row per item and warehouse, updated with every stock movement)",
        (),
        "Current stock per item and warehouse (doctype Bin).",
    ),
    resource(
        "stock_ledger_entries",
        ("name",),
        CURSOR,
        "iso8601",
        "merge",
        MERGE_IMMUTABLE + "; cancelling the voucher sets is_cancelled on the entry",
        (),
        "Stock movements (doctype Stock Ledger Entry): each with the quantity after it, the stock history.",
    ),
    resource(
        "employees",
        ("name",),
        CURSOR,
        "iso8601",
        "merge",
        MERGE_MUTABLE,
        (),
        "Employees (doctype Employee), where the site has them.",
    ),
    resource(
        "timesheets",
        ("name",),
        CURSOR,
        "iso8601",
        "merge",
        MERGE_MUTABLE + " (submitted, cancelled)",
        ("time_logs",),
        "Timesheets (doctype Timesheet) with their time logs: hours worked and their cost, where present.",
    ),
    resource(
        "deleted_documents",
        ("name",),
        CURSOR,
        "iso8601",
        "merge",
        MERGE_IMMUTABLE,
        (),
        "Documents deleted on the site (doctype Deleted Document): which doctype and name; staging marks "
        "those documents deleted instead of dropping them.",
    ),
)

#: Per resource: the doctype, and whether its documents are read one by one for their child tables
#: (``/api/resource/<DocType>/<name>`` returns a document with its child tables; a listing does not).
DOCTYPES: Final[dict[str, tuple[str, bool]]] = {
    "customers": ("Customer", False),
    "suppliers": ("Supplier", False),
    "items": ("Item", False),
    "sales_invoices": ("Sales Invoice", True),
    "purchase_invoices": ("Purchase Invoice", True),
    "payment_entries": ("Payment Entry", True),
    "bins": ("Bin", False),
    "stock_ledger_entries": ("Stock Ledger Entry", False),
    "employees": ("Employee", False),
    "timesheets": ("Timesheet", True),
    "deleted_documents": ("Deleted Document", False),
}
#: Fields asked for per doctype: all (``*``) except where a field is not Keel's business. A deleted
#: document's ``data`` is the whole document as it was (customers' details included): Keel needs only
#: which document went.
LIST_FIELDS: Final[dict[str, list[str]]] = {
    "deleted_documents": ["name", "deleted_doctype", "deleted_name", "restored", "creation", "modified"],
}
#: Documents deleted on the site that Keel keeps: those of the doctypes it loads.
DELETED_DOCTYPES: Final = tuple(
    doctype for name, (doctype, _) in DOCTYPES.items() if name != "deleted_documents"
)

#: How many documents a listing asks for at a time (``limit_page_length``). Frappe serves any size,
#: but big pages of ``*`` fields are slow to build on a small site.
PAGE_SIZE: Final = 500
#: How far before the latest loaded ``modified`` each run asks again: a document saved in a long
#: transaction can become visible after documents with a later ``modified`` were read. Merging on the
#: key makes the overlap harmless.
LOOKBACK: Final = timedelta(hours=1)
#: Frappe's datetime format (site-local, no offset), as sent in ``modified`` and accepted in filters.
FRAPPE_DATETIME: Final = "%Y-%m-%d %H:%M:%S.%f"
#: The method that tells who the API key belongs to: the check that the key and secret still work.
LOGGED_USER: Final = "/api/method/frappe.auth.get_logged_user"
#: Where the site keeps its time zone (readable by a System Manager; otherwise set ``time_zone``).
SYSTEM_SETTINGS: Final = "/api/resource/System Settings/System Settings"

#: What every record must satisfy before it loads (checked by field name; ingestion.contracts).
CONTRACT = SourceContract(
    numeric=frozenset(
        {
            "qty",
            "stock_qty",
            "rate",
            "amount",
            "price_list_rate",
            "net_rate",
            "net_amount",
            "incoming_rate",
            "total",
            "net_total",
            "total_qty",
            "grand_total",
            "rounded_total",
            "discount_amount",
            "total_taxes_and_charges",
            "tax_amount",
            "outstanding_amount",
            "paid_amount",
            "received_amount",
            "allocated_amount",
            "total_amount",
            "conversion_rate",
            "standard_rate",
            "valuation_rate",
            "actual_qty",
            "projected_qty",
            "qty_after_transaction",
            "stock_value",
            "stock_value_difference",
            "hours",
            "costing_rate",
            "costing_amount",
            "total_hours",
            "total_costing_amount",
        }
    ),
    non_negative=frozenset(
        {
            "standard_rate",
            "valuation_rate",
            "price_list_rate",
            "conversion_rate",
            "paid_amount",
            "received_amount",
            "hours",
            "costing_rate",
            "total_hours",
            "total_costing_amount",
        }
    ),
    currency=frozenset({"currency", "price_list_currency", "party_account_currency"}),
    # returns and debit notes carry negative quantities and amounts; stock moves out are negative
    signed_resources=frozenset({"sales_invoices", "purchase_invoices", "stock_ledger_entries", "bins"}),
)
