"""ERPNext (Frappe REST) shaped documents of a demo business: Customer, Supplier, Item, Sales Invoice
(with items, taxes and POS payments; returns as sales invoices with ``is_return``), Purchase Invoice,
Payment Entry, Bin, Stock Ledger Entry, Employee, Timesheet (with time logs), Deleted Document.

The same business history as its Shopify, QuickBooks and shift-tool records, told the way an ERPNext
site keeps it (the shop runs ERPNext's point of sale and books):

- an order is a submitted Sales Invoice (``docstatus`` 1; cancelled orders are cancelled invoices,
  ``docstatus`` 2), its discount the invoice's ``discount_amount`` on the net total, its sales tax a
  row of ``taxes``, shipping an "Actual" tax row; an in-store sale is a POS invoice (``is_pos``, paid
  in its ``payments`` rows), a web order is paid by a Payment Entry that references it;
- a refund is a return invoice (``is_return``, ``return_against``, negative quantities and amounts;
  ``update_stock`` when the goods went back on the shelf);
- a bill is a Purchase Invoice, a card or cash expense a Purchase Invoice paid at once (``is_paid``), a
  bill payment a Payment Entry of type Pay referencing the purchase invoice;
- stock counts are Stock Ledger Entries of daily Stock Reconciliations, and each item's latest count is
  its Bin; timecards are Timesheets of the employee, one time log each.

Conventions followed: ``name`` as the document's key (naming series such as ``ACC-SINV-2026-00042``),
``creation`` / ``modified`` as the site's local time without an offset (``2026-03-15 10:12:47.000000``),
``posting_date`` / ``posting_time`` local, money as JSON numbers in major units, child rows with
``parent``, ``parentfield``, ``parenttype`` and ``idx``. Each document also carries ``modified_at``,
which Keel's connector adds to what Frappe sends (``modified`` with the site's offset; the cursor).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from . import shapes_quickbooks, shapes_shifts, shapes_shopify
from .shapes_common import ShapeContext

FRAPPE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"
WALK_IN = "Walk-in Customer"
WAREHOUSE = "Stores"
PAYMENT_MODES = {"cash": "Cash", "shopify_payments": "Credit Card", "card": "Credit Card"}
#: Numbers of payment entries that have no counterpart id in the other shapes (web orders' receipts).
RECEIPT_OFFSET = 70_000


def company(ctx: ShapeContext) -> tuple[str, str]:
    """(company name, abbreviation): ERPNext suffixes accounts and warehouses with the abbreviation."""
    name = ctx.run.profile.name
    abbr = "".join(word[0] for word in name.replace("&", " ").split() if word[0].isalnum()).upper()
    return name, abbr or "CO"


def _zone(ctx: ShapeContext) -> ZoneInfo:
    return ZoneInfo(ctx.run.profile.timezone)


def _instant(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def _local(ctx: ShapeContext, iso: str) -> datetime:
    return _instant(iso).astimezone(_zone(ctx))


def _frappe(ctx: ShapeContext, iso: str) -> str:
    return _local(ctx, iso).strftime(FRAPPE_DATETIME)


def _meta(
    ctx: ShapeContext, doctype: str, name: str, created: str, modified: str, docstatus: int = 0
) -> dict[str, Any]:
    return {
        "name": name,
        "owner": "Administrator",
        "creation": _frappe(ctx, created),
        "modified": _frappe(ctx, modified),
        "modified_by": "Administrator",
        "docstatus": docstatus,
        "idx": 0,
        "doctype": doctype,
        "modified_at": _local(ctx, modified).isoformat(),
    }


def _child(
    parent: str, parenttype: str, field: str, doctype: str, idx: int, meta: dict[str, Any]
) -> dict[str, Any]:
    return {
        "name": hashlib.sha256(f"{parent}|{field}|{idx}".encode()).hexdigest()[:10],
        "owner": "Administrator",
        "creation": meta["creation"],
        "modified": meta["modified"],
        "modified_by": "Administrator",
        "docstatus": meta["docstatus"],
        "idx": idx,
        "parent": parent,
        "parentfield": field,
        "parenttype": parenttype,
        "doctype": doctype,
    }


def _money(value: Any) -> float:
    return round(float(value or 0), 2)


def _series(prefix: str, iso: str, number: int) -> str:
    return f"{prefix}-{iso[:4]}-{number:05d}"


def _by_modified(docs: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield from sorted(docs, key=lambda d: (_instant(d["modified_at"]), d["name"]))


# ------------------------------------------------------------------------------------------ parties


def customer_name(customer_id: int | None) -> str:
    return WALK_IN if customer_id is None else f"CUST-{customer_id % 1_000_000:05d}"


def customers(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    orders = list(shapes_shopify.orders(ctx))
    docs = []
    if orders:
        first = min(orders, key=lambda o: _instant(o["created_at"]))["created_at"]
        docs.append(
            {
                **_meta(ctx, "Customer", WALK_IN, first, first),
                "customer_name": WALK_IN,
                "customer_type": "Individual",
                "customer_group": "Individual",
                "territory": "All Territories",
                "email_id": None,
                "default_currency": ctx.currency,
                "disabled": 0,
            }
        )
    for customer in shapes_shopify.customers(ctx):
        full = " ".join(p for p in (customer.get("first_name"), customer.get("last_name")) if p)
        docs.append(
            {
                **_meta(
                    ctx,
                    "Customer",
                    customer_name(customer["id"]),
                    customer["created_at"],
                    customer["updated_at"],
                ),
                "customer_name": full or customer_name(customer["id"]),
                "customer_type": "Individual",
                "customer_group": "Individual",
                "territory": "All Territories",
                "email_id": customer.get("email"),
                "default_currency": ctx.currency,
                "disabled": 0,
            }
        )
    yield from _by_modified(docs)


def suppliers(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    docs = []
    for vendor in shapes_quickbooks.vendors(ctx):
        meta = vendor["MetaData"]
        docs.append(
            {
                **_meta(ctx, "Supplier", vendor["DisplayName"], meta["CreateTime"], meta["LastUpdatedTime"]),
                "supplier_name": vendor["DisplayName"],
                "supplier_type": "Company",
                "supplier_group": "Services",
                "country": ctx.run.profile.country,
                "default_currency": ctx.currency,
                "disabled": 0 if vendor.get("Active", True) else 1,
            }
        )
    yield from _by_modified(docs)


# -------------------------------------------------------------------------------------------- stock


def _catalogue(ctx: ShapeContext) -> dict[int, dict[str, Any]]:
    """Per Shopify variant id: sku, name, group, price, cost, tracked, created, modified."""
    costs = {item["id"]: item for item in shapes_shopify.inventory_items(ctx)}
    found = {}
    for product in shapes_shopify.products(ctx):
        for variant in product["variants"]:
            item = costs.get(variant["inventory_item_id"], {})
            title = variant.get("title")
            name = (
                product["title"] if not title or title == "Default Title" else f"{product['title']} - {title}"
            )
            modified = max(
                [product["updated_at"], item.get("updated_at", product["updated_at"])], key=_instant
            )
            found[variant["id"]] = {
                "sku": variant["sku"],
                "item_name": name,
                "item_group": product.get("product_type") or "Products",
                "price": _money(variant["price"]),
                "cost": _money(item.get("cost")),
                "tracked": bool(item.get("tracked", True)),
                "inventory_item_id": variant["inventory_item_id"],
                "created": product["created_at"],
                "modified": modified,
                "active": product.get("status") == "active",
            }
    return found


def items(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    docs = []
    for item in _catalogue(ctx).values():
        docs.append(
            {
                **_meta(ctx, "Item", item["sku"], item["created"], item["modified"]),
                "item_code": item["sku"],
                "item_name": item["item_name"],
                "item_group": item["item_group"],
                "stock_uom": "Nos",
                "is_stock_item": 1 if item["tracked"] else 0,
                "include_item_in_manufacturing": 0,
                "valuation_rate": item["cost"],
                "standard_rate": item["price"],
                "disabled": 0 if item["active"] else 1,
            }
        )
    yield from _by_modified(docs)


def _stock_counts(ctx: ShapeContext) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(inventory level, catalogue item) of every end-of-day stock count, oldest first."""
    by_item = {item["inventory_item_id"]: item for item in _catalogue(ctx).values()}
    counts = [
        (level, by_item[level["inventory_item_id"]])
        for level in shapes_shopify.inventory_levels(ctx)
        if level["inventory_item_id"] in by_item
    ]
    return sorted(counts, key=lambda c: (_instant(c[0]["updated_at"]), c[1]["sku"]))


def stock_ledger_entries(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    _, abbr = company(ctx)
    before: dict[str, float] = {}
    for number, (level, item) in enumerate(_stock_counts(ctx), start=1):
        stamp = level["updated_at"]
        local = _local(ctx, stamp)
        qty = float(level["available"])
        change = qty - before.get(item["sku"], 0.0)
        before[item["sku"]] = qty
        yield {
            **_meta(ctx, "Stock Ledger Entry", _series("MAT-SLE", stamp, number), stamp, stamp, 1),
            "item_code": item["sku"],
            "warehouse": f"{WAREHOUSE} - {abbr}",
            "posting_date": local.date().isoformat(),
            "posting_time": local.strftime("%H:%M:%S"),
            "voucher_type": "Stock Reconciliation",
            "voucher_no": f"MAT-RECO-{local.date().isoformat()}",
            "actual_qty": change,
            "qty_after_transaction": qty,
            "valuation_rate": item["cost"],
            "stock_value": round(qty * item["cost"], 2),
            "stock_value_difference": round(change * item["cost"], 2),
            "stock_uom": "Nos",
            "company": company(ctx)[0],
            "is_cancelled": 0,
        }


def bins(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    _, abbr = company(ctx)
    latest: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for level, item in _stock_counts(ctx):
        latest[item["sku"]] = (level, item)
    docs = []
    for level, item in latest.values():
        warehouse = f"{WAREHOUSE} - {abbr}"
        qty = float(level["available"])
        docs.append(
            {
                **_meta(
                    ctx,
                    "Bin",
                    hashlib.sha256(f"{item['sku']}|{warehouse}".encode()).hexdigest()[:10],
                    item["created"],
                    level["updated_at"],
                ),
                "item_code": item["sku"],
                "warehouse": warehouse,
                "actual_qty": qty,
                "projected_qty": qty,
                "reserved_qty": 0.0,
                "ordered_qty": 0.0,
                "valuation_rate": item["cost"],
                "stock_value": round(qty * item["cost"], 2),
                "stock_uom": "Nos",
            }
        )
    yield from _by_modified(docs)


# ------------------------------------------------------------------------------------------- sales


def _invoice_number(order: dict[str, Any]) -> str:
    return _series("ACC-SINV", order["created_at"], int(order["order_number"]))


def _sales_documents(ctx: ShapeContext) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(sales invoices with their returns, payment entries receiving the web orders' invoices)."""
    name, abbr = company(ctx)
    catalogue = _catalogue(ctx)
    invoices: list[dict[str, Any]] = []
    receipts: list[dict[str, Any]] = []
    for order in shapes_shopify.orders(ctx):
        if order.get("test"):
            continue
        number = _invoice_number(order)
        cancelled = order.get("cancelled_at") is not None
        is_pos = order.get("source_name") == "pos"
        customer = customer_name((order.get("customer") or {}).get("id"))
        meta = _meta(
            ctx, "Sales Invoice", number, order["created_at"], order["updated_at"], 2 if cancelled else 1
        )
        posted = _local(ctx, order["created_at"])
        lines = []
        for idx, line in enumerate(order["line_items"], start=1):
            item = catalogue.get(line.get("variant_id"), {})
            rate = _money(line["price"])
            qty = float(line["quantity"])
            lines.append(
                {
                    **_child(number, "Sales Invoice", "items", "Sales Invoice Item", idx, meta),
                    "item_code": line.get("sku"),
                    "item_name": line.get("title"),
                    "description": line.get("name"),
                    "qty": qty,
                    "stock_qty": qty,
                    "uom": "Nos",
                    "stock_uom": "Nos",
                    "conversion_factor": 1.0,
                    "price_list_rate": rate,
                    "rate": rate,
                    "amount": round(rate * qty, 2),
                    "net_rate": rate,
                    "net_amount": round(rate * qty, 2),
                    "discount_percentage": 0.0,
                    "discount_amount": 0.0,
                    "incoming_rate": item.get("cost", 0.0),
                    "income_account": f"Sales - {abbr}",
                    "expense_account": f"Cost of Goods Sold - {abbr}",
                    "warehouse": f"{WAREHOUSE} - {abbr}",
                }
            )
        total = round(sum(line["amount"] for line in lines), 2)
        discount = _money(order.get("total_discounts"))
        net_total = round(total - discount, 2)
        tax = _money(order.get("total_tax"))
        shipping = round(sum(_money(s.get("price")) for s in order.get("shipping_lines") or []), 2)
        taxes = []
        if tax:
            tax_line = (order.get("tax_lines") or [{}])[0]
            taxes.append(
                {
                    **_child(number, "Sales Invoice", "taxes", "Sales Taxes and Charges", 1, meta),
                    "charge_type": "On Net Total",
                    "account_head": f"Sales Tax - {abbr}",
                    "description": tax_line.get("title", "Sales Tax"),
                    "rate": round(float(tax_line.get("rate", 0)) * 100, 4),
                    "tax_amount": tax,
                    "total": round(net_total + tax, 2),
                }
            )
        if shipping:
            taxes.append(
                {
                    **_child(
                        number, "Sales Invoice", "taxes", "Sales Taxes and Charges", len(taxes) + 1, meta
                    ),
                    "charge_type": "Actual",
                    "account_head": f"Freight and Forwarding Charges - {abbr}",
                    "description": "Shipping",
                    "rate": 0.0,
                    "tax_amount": shipping,
                    "total": round(net_total + tax + shipping, 2),
                }
            )
        grand_total = round(net_total + tax + shipping, 2)
        mode = PAYMENT_MODES.get((order.get("payment_gateway_names") or ["card"])[0], "Credit Card")
        refunds = order.get("refunds") or []
        invoices.append(
            {
                **meta,
                "title": customer,
                "naming_series": "ACC-SINV-.YYYY.-",
                "customer": customer,
                "customer_name": customer,
                "company": name,
                "posting_date": posted.date().isoformat(),
                "posting_time": posted.strftime("%H:%M:%S"),
                "set_posting_time": 1,
                "due_date": posted.date().isoformat(),
                "is_pos": 1 if is_pos else 0,
                "is_return": 0,
                "return_against": None,
                "update_stock": 1,
                "currency": order.get("currency") or ctx.currency,
                "conversion_rate": 1.0,
                "selling_price_list": "Standard Selling",
                "price_list_currency": order.get("currency") or ctx.currency,
                "total_qty": sum(line["qty"] for line in lines),
                "total": total,
                "net_total": net_total,
                "apply_discount_on": "Net Total",
                "discount_amount": discount,
                "coupon_code": (order.get("discount_codes") or [{}])[0].get("code"),
                "total_taxes_and_charges": round(tax + shipping, 2),
                "grand_total": grand_total,
                "rounded_total": grand_total,
                "disable_rounded_total": 1,
                "paid_amount": grand_total if is_pos else 0.0,
                "outstanding_amount": 0.0,
                "status": "Cancelled" if cancelled else ("Credit Note Issued" if refunds else "Paid"),
                "debit_to": f"Debtors - {abbr}",
                "items": lines,
                "taxes": taxes,
                "payments": [
                    {
                        **_child(number, "Sales Invoice", "payments", "Sales Invoice Payment", 1, meta),
                        "mode_of_payment": mode,
                        "amount": grand_total,
                        "account": f"{'Cash' if mode == 'Cash' else 'Bank'} - {abbr}",
                    }
                ]
                if is_pos
                else [],
            }
        )
        if not is_pos and not cancelled:
            receipts.append(_receipt(ctx, order, number, customer, grand_total, mode))
        for refund in refunds:
            invoices.append(_return(ctx, order, refund, number, customer, lines, is_pos, mode))
    return invoices, receipts


def _receipt(
    ctx: ShapeContext, order: dict[str, Any], invoice: str, customer: str, amount: float, mode: str
) -> dict[str, Any]:
    """The Payment Entry that received a web order's money when it was placed."""
    name, abbr = company(ctx)
    number = _series("ACC-PAY", order["created_at"], RECEIPT_OFFSET + int(order["order_number"]))
    meta = _meta(ctx, "Payment Entry", number, order["created_at"], order["created_at"], 1)
    posted = _local(ctx, order["created_at"])
    return {
        **meta,
        "naming_series": "ACC-PAY-.YYYY.-",
        "payment_type": "Receive",
        "company": name,
        "posting_date": posted.date().isoformat(),
        "mode_of_payment": mode,
        "party_type": "Customer",
        "party": customer,
        "party_name": customer,
        "paid_from": f"Debtors - {abbr}",
        "paid_to": f"Bank - {abbr}",
        "paid_from_account_currency": ctx.currency,
        "paid_to_account_currency": ctx.currency,
        "paid_amount": amount,
        "received_amount": amount,
        "reference_no": str(order["id"]),
        "reference_date": posted.date().isoformat(),
        "status": "Submitted",
        "references": [
            {
                **_child(number, "Payment Entry", "references", "Payment Entry Reference", 1, meta),
                "reference_doctype": "Sales Invoice",
                "reference_name": invoice,
                "total_amount": amount,
                "outstanding_amount": amount,
                "allocated_amount": amount,
            }
        ],
    }


def _return(
    ctx: ShapeContext,
    order: dict[str, Any],
    refund: dict[str, Any],
    against: str,
    customer: str,
    lines: list[dict[str, Any]],
    is_pos: bool,
    mode: str,
) -> dict[str, Any]:
    """A return (credit note) against the invoice: negative quantities, the refunded value."""
    name, abbr = company(ctx)
    when = refund.get("processed_at") or refund["created_at"]
    number = _series("ACC-SINV-RET", when, int(refund["id"]) % 1_000_000)
    meta = _meta(ctx, "Sales Invoice", number, when, when, 1)
    posted = _local(ctx, when)
    by_line = {
        line_id: line for line_id, line in zip((li["id"] for li in order["line_items"]), lines, strict=True)
    }
    rows = []
    tax = 0.0
    for idx, refunded in enumerate(refund.get("refund_line_items") or [], start=1):
        line = by_line.get(refunded["line_item_id"], {})
        qty = -float(refunded["quantity"])
        amount = -_money(refunded.get("subtotal"))
        tax += -_money(refunded.get("total_tax"))
        rate = round(abs(amount) / abs(qty), 2) if qty else 0.0
        rows.append(
            {
                **_child(number, "Sales Invoice", "items", "Sales Invoice Item", idx, meta),
                "item_code": line.get("item_code"),
                "item_name": line.get("item_name"),
                "description": line.get("description"),
                "qty": qty,
                "stock_qty": qty,
                "uom": "Nos",
                "stock_uom": "Nos",
                "conversion_factor": 1.0,
                "price_list_rate": rate,
                "rate": rate,
                "amount": amount,
                "net_rate": rate,
                "net_amount": amount,
                "discount_percentage": 0.0,
                "discount_amount": 0.0,
                "incoming_rate": line.get("incoming_rate", 0.0),
                "income_account": f"Sales - {abbr}",
                "expense_account": f"Cost of Goods Sold - {abbr}",
                "warehouse": f"{WAREHOUSE} - {abbr}",
            }
        )
    net_total = round(sum(row["amount"] for row in rows), 2)
    paid_back = -sum(
        _money(t.get("amount")) for t in refund.get("transactions") or [] if t.get("kind") == "refund"
    )
    grand_total = round(paid_back, 2) if paid_back else round(net_total + tax, 2)
    other = round(grand_total - net_total - tax, 2)  # shipping or tips given back
    taxes = []
    if tax:
        taxes.append(
            {
                **_child(number, "Sales Invoice", "taxes", "Sales Taxes and Charges", 1, meta),
                "charge_type": "On Net Total",
                "account_head": f"Sales Tax - {abbr}",
                "description": "Sales Tax",
                "rate": 0.0,
                "tax_amount": round(tax, 2),
                "total": round(net_total + tax, 2),
            }
        )
    if other:
        taxes.append(
            {
                **_child(number, "Sales Invoice", "taxes", "Sales Taxes and Charges", len(taxes) + 1, meta),
                "charge_type": "Actual",
                "account_head": f"Freight and Forwarding Charges - {abbr}",
                "description": "Shipping",
                "rate": 0.0,
                "tax_amount": other,
                "total": grand_total,
            }
        )
    return {
        **meta,
        "title": customer,
        "naming_series": "ACC-SINV-RET-.YYYY.-",
        "customer": customer,
        "customer_name": customer,
        "company": name,
        "posting_date": posted.date().isoformat(),
        "posting_time": posted.strftime("%H:%M:%S"),
        "set_posting_time": 1,
        "due_date": posted.date().isoformat(),
        "is_pos": 1 if is_pos else 0,
        "is_return": 1,
        "return_against": against,
        "update_stock": 1 if refund.get("restock") else 0,
        "currency": order.get("currency") or ctx.currency,
        "conversion_rate": 1.0,
        "selling_price_list": "Standard Selling",
        "price_list_currency": order.get("currency") or ctx.currency,
        "total_qty": sum(row["qty"] for row in rows),
        "total": net_total,
        "net_total": net_total,
        "apply_discount_on": "Net Total",
        "discount_amount": 0.0,
        "coupon_code": None,
        "total_taxes_and_charges": round(grand_total - net_total, 2),
        "grand_total": grand_total,
        "rounded_total": grand_total,
        "disable_rounded_total": 1,
        "paid_amount": grand_total if is_pos else 0.0,
        "outstanding_amount": 0.0,
        "status": "Return",
        "debit_to": f"Debtors - {abbr}",
        "items": rows,
        "taxes": taxes,
        "payments": [
            {
                **_child(number, "Sales Invoice", "payments", "Sales Invoice Payment", 1, meta),
                "mode_of_payment": mode,
                "amount": grand_total,
                "account": f"{'Cash' if mode == 'Cash' else 'Bank'} - {abbr}",
            }
        ]
        if is_pos
        else [],
    }


def sales_invoices(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    yield from _by_modified(_sales_documents(ctx)[0])


# ---------------------------------------------------------------------------------------- purchases


def _purchase_number(qbo_id: str, txn_date: str) -> str:
    return _series("ACC-PINV", txn_date, int(qbo_id))


def _purchase_invoice(ctx: ShapeContext, doc: dict[str, Any], paid_at_once: bool) -> dict[str, Any]:
    name, abbr = company(ctx)
    number = _purchase_number(doc["Id"], doc["TxnDate"])
    meta_data = doc["MetaData"]
    meta = _meta(ctx, "Purchase Invoice", number, meta_data["CreateTime"], meta_data["LastUpdatedTime"], 1)
    supplier = (doc.get("VendorRef") or doc.get("EntityRef") or {}).get("name", "Unknown")
    sign = -1.0 if doc.get("Credit") else 1.0
    rows = []
    for idx, line in enumerate(doc.get("Line") or [], start=1):
        detail = line.get("AccountBasedExpenseLineDetail") or {}
        amount = sign * _money(line.get("Amount"))
        rows.append(
            {
                **_child(number, "Purchase Invoice", "items", "Purchase Invoice Item", idx, meta),
                "item_code": None,
                "item_name": line.get("Description") or "Expense",
                "description": line.get("Description"),
                "qty": sign,
                "uom": "Nos",
                "rate": abs(amount),
                "amount": amount,
                "net_amount": amount,
                "expense_account": f"{(detail.get('AccountRef') or {}).get('name', 'Expenses')} - {abbr}",
            }
        )
    total = sign * _money(doc.get("TotalAmt"))
    outstanding = 0.0 if paid_at_once else sign * _money(doc.get("Balance"))
    return {
        **meta,
        "title": supplier,
        "naming_series": "ACC-PINV-.YYYY.-",
        "supplier": supplier,
        "supplier_name": supplier,
        "company": name,
        "posting_date": doc["TxnDate"],
        "bill_no": doc.get("DocNumber"),
        "bill_date": doc["TxnDate"],
        "due_date": doc.get("DueDate") or doc["TxnDate"],
        "is_paid": 1 if paid_at_once else 0,
        "is_return": 1 if sign < 0 else 0,
        "mode_of_payment": ("Credit Card" if doc.get("PaymentType") == "CreditCard" else "Cash")
        if paid_at_once
        else None,
        "paid_amount": abs(total) if paid_at_once else 0.0,
        "currency": (doc.get("CurrencyRef") or {}).get("value") or ctx.currency,
        "conversion_rate": 1.0,
        "total": total,
        "net_total": total,
        "total_taxes_and_charges": 0.0,
        "grand_total": total,
        "rounded_total": total,
        "outstanding_amount": outstanding,
        "status": "Paid" if paid_at_once or not outstanding else "Unpaid",
        "credit_to": f"Creditors - {abbr}",
        "remarks": doc.get("PrivateNote"),
        "items": rows,
        "taxes": [],
    }


def purchase_invoices(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    docs = [_purchase_invoice(ctx, bill, False) for bill in shapes_quickbooks.bills(ctx)]
    docs += [_purchase_invoice(ctx, purchase, True) for purchase in shapes_quickbooks.purchases(ctx)]
    yield from _by_modified(docs)


def payment_entries(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    name, abbr = company(ctx)
    bills = {bill["Id"]: bill for bill in shapes_quickbooks.bills(ctx)}
    docs = list(_sales_documents(ctx)[1])
    for payment in shapes_quickbooks.bill_payments(ctx):
        number = _series("ACC-PAY", payment["TxnDate"], int(payment["Id"]))
        meta_data = payment["MetaData"]
        meta = _meta(ctx, "Payment Entry", number, meta_data["CreateTime"], meta_data["LastUpdatedTime"], 1)
        amount = _money(payment["TotalAmt"])
        mode = "Cheque" if payment.get("PayType") == "Check" else "Credit Card"
        references: list[dict[str, Any]] = []
        for line in payment.get("Line") or []:
            for linked in line.get("LinkedTxn") or []:
                bill = bills.get(linked.get("TxnId"))
                if linked.get("TxnType") != "Bill" or bill is None:
                    continue
                references.append(
                    {
                        **_child(
                            number,
                            "Payment Entry",
                            "references",
                            "Payment Entry Reference",
                            len(references) + 1,
                            meta,
                        ),
                        "reference_doctype": "Purchase Invoice",
                        "reference_name": _purchase_number(bill["Id"], bill["TxnDate"]),
                        "total_amount": _money(bill["TotalAmt"]),
                        "outstanding_amount": _money(line.get("Amount")),
                        "allocated_amount": _money(line.get("Amount")),
                    }
                )
        vendor = (payment.get("VendorRef") or {}).get("name", "Unknown")
        docs.append(
            {
                **meta,
                "naming_series": "ACC-PAY-.YYYY.-",
                "payment_type": "Pay",
                "company": name,
                "posting_date": payment["TxnDate"],
                "mode_of_payment": mode,
                "party_type": "Supplier",
                "party": vendor,
                "party_name": vendor,
                "paid_from": f"{'Bank' if mode == 'Cheque' else 'Credit Card'} - {abbr}",
                "paid_to": f"Creditors - {abbr}",
                "paid_from_account_currency": ctx.currency,
                "paid_to_account_currency": ctx.currency,
                "paid_amount": amount,
                "received_amount": amount,
                "reference_no": payment["Id"],
                "reference_date": payment["TxnDate"],
                "status": "Submitted",
                "references": references,
            }
        )
    yield from _by_modified(docs)


# -------------------------------------------------------------------------------------------- staff


def employee_name(number: int) -> str:
    return f"HR-EMP-{number:05d}"


def employees(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    name, _ = company(ctx)
    docs = []
    for employee in shapes_shifts.employees(ctx):
        job = employee.get("job") or {}
        docs.append(
            {
                **_meta(
                    ctx,
                    "Employee",
                    employee_name(employee["id"] % 100_000),
                    employee["created_at"],
                    employee["updated_at"],
                ),
                "employee_name": f"{employee['first_name']} {employee['last_name']}",
                "first_name": employee["first_name"],
                "last_name": employee["last_name"],
                "company": name,
                "designation": job.get("default_role"),
                "department": None,
                "status": "Left" if job.get("archived_at") else "Active",
                "date_of_joining": _local(ctx, employee["created_at"]).date().isoformat(),
                "company_email": employee.get("email"),
            }
        )
    yield from _by_modified(docs)


def timesheets(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    name, _ = company(ctx)
    docs = []
    for number, card in enumerate(
        sorted(shapes_shifts.timecards(ctx), key=lambda c: (_instant(c["clock_in"]), c["id"])), start=1
    ):
        labor = card.get("labor") or {}
        ts_name = _series("TS", _local(ctx, card["clock_in"]).isoformat(), number)
        approved = bool(card.get("approved")) and card.get("clock_out") is not None
        meta = _meta(ctx, "Timesheet", ts_name, card["created_at"], card["updated_at"], 1 if approved else 0)
        started = _local(ctx, card["clock_in"])
        ended = _local(ctx, card["clock_out"]) if card.get("clock_out") else None
        hours = float(labor.get("paid_hours") or 0.0)
        cost = _money(labor.get("costs"))
        docs.append(
            {
                **meta,
                "naming_series": "TS-.YYYY.-",
                "company": name,
                "employee": employee_name(card["user_id"] % 100_000),
                "employee_name": f"{card['first_name']} {card['last_name']}",
                "department": card.get("department"),
                "start_date": started.date().isoformat(),
                "end_date": (ended or started).date().isoformat(),
                "status": "Submitted" if approved else "Draft",
                "total_hours": hours,
                "total_billable_hours": 0.0,
                "total_costing_amount": cost,
                "time_logs": [
                    {
                        **_child(ts_name, "Timesheet", "time_logs", "Timesheet Detail", 1, meta),
                        "activity_type": card.get("role"),
                        "from_time": started.strftime(FRAPPE_DATETIME),
                        "to_time": ended.strftime(FRAPPE_DATETIME) if ended else None,
                        "hours": hours,
                        "is_billable": 0,
                        "costing_rate": float(labor.get("wage_rate") or 0.0),
                        "costing_amount": cost,
                    }
                ],
            }
        )
    yield from _by_modified(docs)


def deleted_documents(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    """Nothing is deleted in the demo's history (a test deletes documents on its fake site)."""
    return iter(())
