"""QuickBooks Online Accounting API (v3) shaped entities: Customer, Vendor, Invoice, Payment,
Bill, BillPayment, Purchase, Item, Account.

Conventions followed: `Id` as a string number unique within the company, `SyncToken` counting edits,
`MetaData.CreateTime` / `MetaData.LastUpdatedTime` as ISO-8601 with the company's offset, `TxnDate` /
`DueDate` as local dates, money as JSON numbers in major units, references as `{"value", "name"}`.
Balances and links reflect payments that have happened by the end of the history.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .clock import iso_date
from .engine_books import BooksResult, Party, QboDoc
from .ids import money_float
from .shapes_common import CURRENCY_NAMES, ShapeContext

ACCOUNTS = {
    "Services": "1",
    "Meals and Entertainment": "13",
    "Rent or Lease": "17",
    "Office Supplies": "19",
    "Supplies": "20",
    "Repairs and Maintenance": "22",
    "Utilities": "24",
    "Travel": "25",
    "Accounts Payable (A/P)": "33",
    "Checking": "35",
    "Mastercard": "41",
    "Software & Subscriptions": "58",
    "Shipping and Delivery": "59",
    "Payroll Expenses": "60",
    "Cloud Hosting": "61",
    "Advertising": "7",
    "Cost of Goods Sold": "80",
    "Inventory Asset": "81",
    "Accounts Receivable (A/R)": "84",
}
#: (Classification, AccountType, AccountSubType) of each account of the chart, as QuickBooks names them.
ACCOUNT_TYPES = {
    "Services": ("Revenue", "Income", "ServiceFeeIncome"),
    "Meals and Entertainment": ("Expense", "Expense", "EntertainmentMeals"),
    "Rent or Lease": ("Expense", "Expense", "RentOrLeaseOfBuildings"),
    "Office Supplies": ("Expense", "Expense", "OfficeGeneralAdministrativeExpenses"),
    "Supplies": ("Expense", "Expense", "SuppliesMaterials"),
    "Repairs and Maintenance": ("Expense", "Expense", "RepairMaintenance"),
    "Utilities": ("Expense", "Expense", "Utilities"),
    "Travel": ("Expense", "Expense", "Travel"),
    "Accounts Payable (A/P)": ("Liability", "Accounts Payable", "AccountsPayable"),
    "Checking": ("Asset", "Bank", "Checking"),
    "Mastercard": ("Liability", "Credit Card", "CreditCard"),
    "Software & Subscriptions": ("Expense", "Expense", "OtherMiscellaneousServiceCost"),
    "Shipping and Delivery": ("Expense", "Expense", "ShippingFreightDelivery"),
    "Payroll Expenses": ("Expense", "Expense", "PayrollExpenses"),
    "Cloud Hosting": ("Expense", "Expense", "OtherMiscellaneousServiceCost"),
    "Advertising": ("Expense", "Expense", "AdvertisingPromotional"),
    "Cost of Goods Sold": ("Expense", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
    "Inventory Asset": ("Asset", "Other Current Asset", "Inventory"),
    "Accounts Receivable (A/R)": ("Asset", "Accounts Receivable", "AccountsReceivable"),
}
KIND_ORDER = {"Invoice": 0, "Bill": 1, "Purchase": 2, "Payment": 3, "BillPayment": 4}
TERMS = {0: ("1", "Due on receipt"), 15: ("2", "Net 15"), 30: ("3", "Net 30")}


def _ref(name: str) -> dict[str, str]:
    return {"value": ACCOUNTS.get(name, "20"), "name": name}


@dataclass
class _Index:
    """Ids of the documents and parties that exist at the end of the history."""

    doc_ids: dict[int, str]
    party_ids: dict[tuple[str, str], str]
    created: dict[int, int]  # doc index -> epoch


def _index(ctx: ShapeContext, books: BooksResult) -> _Index:
    clock = ctx.clock
    created = {i: clock.epoch(d.ordinal, d.sod) for i, d in enumerate(books.docs)}
    live = [i for i, e in created.items() if e <= ctx.end_epoch]
    live.sort(
        key=lambda i: (
            created[i],
            KIND_ORDER[books.docs[i].kind],
            books.docs[i].party,
            books.docs[i].amount,
            books.docs[i].memo or "",
            books.docs[i].doc_number or "",
        )
    )
    doc_ids = {i: str(n + 1) for n, i in enumerate(live)}
    parties = [*books.vendors.values(), *books.customers.values()]
    parties = [p for p in parties if clock.epoch(p.created_ordinal, p.created_sod) <= ctx.end_epoch]
    parties.sort(key=lambda p: (clock.epoch(p.created_ordinal, p.created_sod), p.kind, p.name))
    party_ids = {(p.kind, p.name): str(n + 1) for n, p in enumerate(parties)}
    return _Index(doc_ids, party_ids, created)


def _meta(ctx: ShapeContext, created: int, updated: int) -> dict[str, str]:
    return {"CreateTime": _iso_epoch(ctx, created), "LastUpdatedTime": _iso_epoch(ctx, updated)}


def _iso_epoch(ctx: ShapeContext, epoch: int) -> str:
    ordinal, sod = ctx.clock.local_from_epoch(epoch)
    return ctx.clock.iso(ordinal, sod)


def _currency(ctx: ShapeContext) -> dict[str, str]:
    return {"value": ctx.currency, "name": CURRENCY_NAMES.get(ctx.currency, ctx.currency)}


def _settlement(ctx: ShapeContext, books: BooksResult, idx: _Index, i: int) -> tuple[str | None, int | None]:
    """(payment id, payment epoch) of a bill or invoice if it has been paid by the end."""
    doc = books.docs[i]
    if doc.settled_by is None or doc.settled_by not in idx.doc_ids:
        return None, None
    return idx.doc_ids[doc.settled_by], idx.created[doc.settled_by]


def _docs(ctx: ShapeContext, kind: str) -> Iterator[dict[str, Any]]:
    books = ctx.run.books
    if books is None:
        return
    idx = _index(ctx, books)
    rows = []
    for i, doc in enumerate(books.docs):
        if doc.kind != kind or i not in idx.doc_ids:
            continue
        _, paid_at = _settlement(ctx, books, idx, i)
        updated = paid_at if paid_at is not None else idx.created[i]
        rows.append((updated, int(idx.doc_ids[i]), i))
    rows.sort()
    builder = {
        "Invoice": _invoice,
        "Bill": _bill,
        "Purchase": _purchase,
        "Payment": _payment,
        "BillPayment": _bill_payment,
    }[kind]
    for updated, _, i in rows:
        yield builder(ctx, books, idx, i, updated)


def _common(ctx: ShapeContext, idx: _Index, i: int, doc: QboDoc, updated: int, edits: int) -> dict[str, Any]:
    return {
        "tenant_id": ctx.tenant_id,
        "Id": idx.doc_ids[i],
        "SyncToken": str(edits),
        "domain": "QBO",
        "sparse": False,
        "MetaData": _meta(ctx, idx.created[i], updated),
        "TxnDate": iso_date(doc.ordinal),
        "CurrencyRef": _currency(ctx),
    }


def _party_ref(idx: _Index, doc: QboDoc) -> dict[str, str]:
    return {"value": idx.party_ids[(doc.party_kind, doc.party)], "name": doc.party}


def _expense_lines(doc: QboDoc) -> list[dict[str, Any]]:
    return [
        {
            "Id": str(n + 1),
            "LineNum": n + 1,
            "Description": line.description,
            "Amount": money_float(line.amount),
            "DetailType": "AccountBasedExpenseLineDetail",
            "AccountBasedExpenseLineDetail": {
                "AccountRef": _ref(line.account),
                "BillableStatus": "NotBillable",
                "TaxCodeRef": {"value": "NON"},
            },
        }
        for n, line in enumerate(doc.lines)
    ]


def _invoice(ctx: ShapeContext, books: BooksResult, idx: _Index, i: int, updated: int) -> dict[str, Any]:
    doc = books.docs[i]
    payment_id, _ = _settlement(ctx, books, idx, i)
    services = ctx.run.services
    items = (
        [services.params.retainer_item, *(it.name for it in services.params.project_items)]
        if services
        else []
    )
    terms = TERMS.get(services.params.terms_days if services else 30, ("3", "Net 30"))
    party = books.customers.get(doc.party)
    record = _common(ctx, idx, i, doc, updated, 1 if payment_id else 0)
    record.update(
        {
            "CustomField": [],
            "DocNumber": doc.doc_number,
            "PrivateNote": None,
            "LinkedTxn": [{"TxnId": payment_id, "TxnType": "Payment"}] if payment_id else [],
            "Line": [
                *(
                    {
                        "Id": str(n + 1),
                        "LineNum": n + 1,
                        "Description": line.description,
                        "Amount": money_float(line.amount),
                        "DetailType": "SalesItemLineDetail",
                        "SalesItemLineDetail": {
                            "ItemRef": {
                                "value": str(items.index(line.account) + 1) if line.account in items else "1",
                                "name": line.account,
                            },
                            "UnitPrice": money_float(line.unit_price),
                            "Qty": line.quantity,
                            "ItemAccountRef": _ref("Services"),
                            "TaxCodeRef": {"value": "NON"},
                        },
                    }
                    for n, line in enumerate(doc.lines)
                ),
                {
                    "Amount": money_float(doc.amount),
                    "DetailType": "SubTotalLineDetail",
                    "SubTotalLineDetail": {},
                },
            ],
            "TxnTaxDetail": {"TotalTax": 0},
            "CustomerRef": _party_ref(idx, doc),
            "BillEmail": {"Address": party.email} if party and party.email else None,
            "SalesTermRef": {"value": terms[0], "name": terms[1]},
            "DueDate": iso_date(doc.due_ordinal or doc.ordinal),
            "TotalAmt": money_float(doc.amount),
            "ApplyTaxAfterDiscount": False,
            "PrintStatus": "NotSet",
            "EmailStatus": "EmailSent",
            "Balance": 0.0 if payment_id else money_float(doc.amount),
            "AllowOnlineCreditCardPayment": True,
            "AllowOnlineACHPayment": True,
        }
    )
    return record


def _payment(ctx: ShapeContext, books: BooksResult, idx: _Index, i: int, updated: int) -> dict[str, Any]:
    doc = books.docs[i]
    record = _common(ctx, idx, i, doc, updated, 0)
    settles = idx.doc_ids[doc.settles] if doc.settles is not None else None
    record.update(
        {
            "CustomerRef": _party_ref(idx, doc),
            "DepositToAccountRef": _ref("Checking"),
            "PaymentMethodRef": {"value": "2", "name": "Check"}
            if doc.payment_type == "Check"
            else {"value": "3", "name": "Credit Card"},
            "PaymentRefNum": str(1000 + int(idx.doc_ids[i]) % 9000) if doc.payment_type == "Check" else None,
            "TotalAmt": money_float(doc.amount),
            "UnappliedAmt": 0.0,
            "ProcessPayment": False,
            "Line": [
                {"Amount": money_float(doc.amount), "LinkedTxn": [{"TxnId": settles, "TxnType": "Invoice"}]}
            ],
        }
    )
    return record


def _bill(ctx: ShapeContext, books: BooksResult, idx: _Index, i: int, updated: int) -> dict[str, Any]:
    doc = books.docs[i]
    payment_id, _ = _settlement(ctx, books, idx, i)
    pay_type = books.docs[doc.settled_by].payment_type if doc.settled_by is not None else None
    terms_days = (doc.due_ordinal or doc.ordinal) - doc.ordinal
    terms = TERMS.get(terms_days)
    record = _common(ctx, idx, i, doc, updated, 1 if payment_id else 0)
    record.update(
        {
            "DocNumber": None,
            "PrivateNote": doc.memo,
            "VendorRef": _party_ref(idx, doc),
            "APAccountRef": _ref("Accounts Payable (A/P)"),
            "SalesTermRef": {"value": terms[0], "name": terms[1]} if terms else None,
            "DueDate": iso_date(doc.due_ordinal or doc.ordinal),
            "Line": _expense_lines(doc),
            "TotalAmt": money_float(doc.amount),
            "Balance": 0.0 if payment_id else money_float(doc.amount),
            "LinkedTxn": (
                [
                    {
                        "TxnId": payment_id,
                        "TxnType": "BillPaymentCheck" if pay_type == "Check" else "BillPaymentCreditCard",
                    }
                ]
                if payment_id
                else []
            ),
        }
    )
    return record


def _bill_payment(ctx: ShapeContext, books: BooksResult, idx: _Index, i: int, updated: int) -> dict[str, Any]:
    doc = books.docs[i]
    record = _common(ctx, idx, i, doc, updated, 0)
    settles = idx.doc_ids[doc.settles] if doc.settles is not None else None
    record.update(
        {
            "VendorRef": _party_ref(idx, doc),
            "PayType": doc.payment_type,
            "TotalAmt": money_float(doc.amount),
            "Line": [
                {"Amount": money_float(doc.amount), "LinkedTxn": [{"TxnId": settles, "TxnType": "Bill"}]}
            ],
        }
    )
    if doc.payment_type == "Check":
        record["CheckPayment"] = {"BankAccountRef": _ref("Checking"), "PrintStatus": "NotSet"}
    else:
        record["CreditCardPayment"] = {"CCAccountRef": _ref("Mastercard")}
    return record


def _purchase(ctx: ShapeContext, books: BooksResult, idx: _Index, i: int, updated: int) -> dict[str, Any]:
    doc = books.docs[i]
    record = _common(ctx, idx, i, doc, updated, 0)
    record.update(
        {
            "PaymentType": doc.payment_type,
            "AccountRef": _ref("Mastercard" if doc.payment_type == "CreditCard" else "Checking"),
            "EntityRef": {**_party_ref(idx, doc), "type": "Vendor"},
            "Credit": False,
            "PrivateNote": doc.memo,
            "Line": _expense_lines(doc),
            "TotalAmt": money_float(doc.amount),
            "PurchaseEx": {
                "any": [
                    {
                        "name": "{http://schema.intuit.com/finance/v3}NameValue",
                        "declaredType": "com.intuit.schema.finance.v3.NameValue",
                        "value": {"Name": "TxnType", "Value": "54"},
                    }
                ]
            },
        }
    )
    return record


def invoices(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    return _docs(ctx, "Invoice")


def payments(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    return _docs(ctx, "Payment")


def bills(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    return _docs(ctx, "Bill")


def bill_payments(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    return _docs(ctx, "BillPayment")


def purchases(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    return _docs(ctx, "Purchase")


def _party_balances(
    ctx: ShapeContext, books: BooksResult, idx: _Index, kind: str
) -> dict[str, tuple[int, int, int]]:
    """Per party: (open balance, last change epoch, number of changes)."""
    opening, settling = ("Invoice", "Payment") if kind == "Customer" else ("Bill", "BillPayment")
    state: dict[str, tuple[int, int, int]] = {}
    for i, doc in enumerate(books.docs):
        if i not in idx.doc_ids or doc.party_kind != kind:
            continue
        balance, last, edits = state.get(doc.party, (0, 0, 0))
        if doc.kind == opening:
            balance += doc.amount
        elif doc.kind == settling:
            balance -= doc.amount
        else:
            continue
        state[doc.party] = (balance, max(last, idx.created[i]), edits + 1)
    return state


def _parties(ctx: ShapeContext, kind: str) -> Iterator[dict[str, Any]]:
    books = ctx.run.books
    if books is None:
        return
    idx = _index(ctx, books)
    balances = _party_balances(ctx, books, idx, kind)
    parties: dict[str, Party] = books.customers if kind == "Customer" else books.vendors
    rows = []
    for name, party in parties.items():
        if (kind, name) not in idx.party_ids:
            continue
        created = ctx.clock.epoch(party.created_ordinal, party.created_sod)
        balance, last, edits = balances.get(name, (0, created, 0))
        updated = max(created, last)
        rows.append((updated, int(idx.party_ids[(kind, name)]), party, created, balance, edits))
    rows.sort(key=lambda r: (r[0], r[1]))
    for updated, pid, party, created, balance, edits in rows:
        record: dict[str, Any] = {
            "tenant_id": ctx.tenant_id,
            "Id": str(pid),
            "SyncToken": str(edits),
            "domain": "QBO",
            "sparse": False,
            "DisplayName": party.name,
            "CompanyName": party.name,
            "PrintOnCheckName": party.name,
            "Active": True,
            "Balance": money_float(balance),
            "CurrencyRef": _currency(ctx),
            "MetaData": _meta(ctx, created, updated),
        }
        if kind == "Customer":
            terms = TERMS.get(party.terms_days or 30, ("3", "Net 30"))
            record.update(
                {
                    "FullyQualifiedName": party.name,
                    "Taxable": False,
                    "Job": False,
                    "BillWithParent": False,
                    "BalanceWithJobs": money_float(balance),
                    "PreferredDeliveryMethod": "Email",
                    "PrimaryEmailAddr": {"Address": party.email} if party.email else None,
                    "SalesTermRef": {"value": terms[0]},
                }
            )
        else:
            record["Vendor1099"] = False
        yield record


def customers(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    return _parties(ctx, "Customer")


def vendors(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    return _parties(ctx, "Vendor")


def _opening(ctx: ShapeContext) -> int:
    """When the company's chart of accounts and item list exist: the first simulated day's start."""
    return ctx.clock.epoch(ctx.first_ordinal, 0)


def accounts(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    """The chart of accounts every line of the books points at (QuickBooks' default chart, as used)."""
    if ctx.run.books is None:
        return
    opened = _opening(ctx)
    for name, account_id in sorted(ACCOUNTS.items(), key=lambda item: int(item[1])):
        classification, account_type, sub_type = ACCOUNT_TYPES[name]
        yield {
            "tenant_id": ctx.tenant_id,
            "Id": account_id,
            "SyncToken": "0",
            "domain": "QBO",
            "sparse": False,
            "Name": name,
            "SubAccount": False,
            "FullyQualifiedName": name,
            "Active": True,
            "Classification": classification,
            "AccountType": account_type,
            "AccountSubType": sub_type,
            "CurrencyRef": _currency(ctx),
            "MetaData": _meta(ctx, opened, opened),
        }


def items(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    """The services a services business sells; invoice lines point at them (ItemRef, by position)."""
    services = ctx.run.services
    if ctx.run.books is None or services is None:
        return
    opened = _opening(ctx)
    names = [services.params.retainer_item, *(item.name for item in services.params.project_items)]
    for position, name in enumerate(names, start=1):
        yield {
            "tenant_id": ctx.tenant_id,
            "Id": str(position),
            "SyncToken": "0",
            "domain": "QBO",
            "sparse": False,
            "Name": name,
            "FullyQualifiedName": name,
            "Active": True,
            "Taxable": False,
            "Type": "Service",
            "UnitPrice": 0.0,  # priced on each invoice line
            "IncomeAccountRef": _ref("Services"),
            "TrackQtyOnHand": False,
            "MetaData": _meta(ctx, opened, opened),
        }
