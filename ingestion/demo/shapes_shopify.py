"""Shopify Admin REST (2024-10) shaped records: locations, products, inventory items and levels, customers,
orders (with line items, discount codes, tax and shipping lines, refunds and their transactions), price
rules and discount codes.

Conventions followed: numeric ids, `admin_graphql_api_id` gids, money as decimal strings with the shop
currency in `*_set.shop_money`, ISO-8601 timestamps with the shop's UTC offset. Embedded customers on an
order carry only fields that never change, so an order record changes only when the order does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .ids import money, shopify_id
from .interventions import Intervention
from .keyed_random import stable_hash64
from .names import person_email, person_name
from .shapes_common import ShapeContext

POS_APP_ID = 129785
ONLINE_STORE_APP_ID = 580111


def _gid(kind: str, object_id: int) -> str:
    return f"gid://shopify/{kind}/{object_id}"


def _money_set(cents: int, currency: str) -> dict[str, Any]:
    amount = money(cents)
    return {
        "shop_money": {"amount": amount, "currency_code": currency},
        "presentment_money": {"amount": amount, "currency_code": currency},
    }


def _product_created(ctx: ShapeContext) -> tuple[int, int]:
    """Catalogue items were set up when the shop opened (or just before the history starts)."""
    opened = ctx.run.profile.opened_on.toordinal()
    return max(opened, ctx.first_ordinal - 700) - ctx.first_ordinal, 10 * 3600


def location_id(ctx: ShapeContext) -> int:
    return shopify_id("location", ctx.slug, 1)


def locations(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    profile = ctx.run.profile
    day, sod = _product_created(ctx)
    created = ctx.iso(day, sod)
    loc = location_id(ctx)
    yield {
        "id": loc,
        "name": profile.name if not ctx.run.behaviour.online else "Warehouse",
        "address1": f"{100 + stable_hash64(ctx.slug) % 800} Main Street",
        "address2": None,
        "city": profile.city,
        "zip": None,
        "province": None,
        "province_code": profile.subdivision,
        "country": profile.country,
        "country_code": profile.country,
        "country_name": "United States" if profile.country == "US" else "Canada",
        "phone": None,
        "created_at": created,
        "updated_at": created,
        "legacy": False,
        "active": True,
        "admin_graphql_api_id": _gid("Location", loc),
    }


def _price_history(ctx: ShapeContext, index: int) -> list[tuple[int, int]]:
    """(day index from which, price) for one product, only changes that have happened."""
    sales = ctx.run.sales
    assert sales is not None
    prices = sales.prices[:, index]
    changes = [(0, int(prices[0]))] if len(prices) else []
    for t in np.flatnonzero(np.diff(prices)) + 1:
        changes.append((int(t), int(prices[t])))
    return changes


def products(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    sales = ctx.run.sales
    assert sales is not None
    behaviour = ctx.run.behaviour
    created_day, created_sod = _product_created(ctx)
    created = ctx.iso(created_day, created_sod)
    rows = []
    for j, product in enumerate(sales.products):
        history = _price_history(ctx, j)
        price = history[-1][1] if history else product.price
        updated_day, updated_sod = created_day, created_sod
        compare_at = None
        if len(history) > 1:
            updated_day, updated_sod = history[-1][0], 6 * 3600 + 15 * 60  # changed before opening that day
            if history[-1][1] < history[-2][1]:
                compare_at = money(history[-2][1])  # a price cut shows the old price as compare-at
        updated = ctx.iso(updated_day, updated_sod)
        pid = shopify_id("product", ctx.slug, j + 1)
        vid = shopify_id("variant", ctx.slug, j + 1)
        variant = {
            "id": vid,
            "product_id": pid,
            "title": "Default Title",
            "price": money(price),
            "sku": product.sku,
            "position": 1,
            "inventory_policy": "deny",
            "compare_at_price": compare_at,
            "fulfillment_service": "manual",
            "inventory_management": "shopify" if product.tracked else None,
            "option1": "Default Title",
            "option2": None,
            "option3": None,
            "created_at": created,
            "updated_at": updated,
            "taxable": True,
            "barcode": None,
            "grams": 0,
            "weight": 0.0,
            "weight_unit": "lb",
            "inventory_item_id": shopify_id("inventory_item", ctx.slug, j + 1),
            "requires_shipping": behaviour.online,
            "admin_graphql_api_id": _gid("ProductVariant", vid),
        }
        record = {
            "tenant_id": ctx.tenant_id,
            "id": pid,
            "title": product.title,
            "body_html": f"<p>{product.title} from {ctx.run.profile.name}.</p>",
            "vendor": ctx.run.profile.name,
            "product_type": product.product_type,
            "created_at": created,
            "handle": product.title.lower().replace("'", "").replace("&", "and").replace(" ", "-"),
            "updated_at": updated,
            "published_at": created,
            "template_suffix": None,
            "published_scope": "global",
            "tags": "seasonal" if product.months else "",
            "status": "active",
            "admin_graphql_api_id": _gid("Product", pid),
            "variants": [variant],
            "options": [
                {
                    "id": shopify_id("option", ctx.slug, j + 1),
                    "product_id": pid,
                    "name": "Title",
                    "position": 1,
                    "values": ["Default Title"],
                }
            ],
            "images": [],
            "image": None,
        }
        rows.append((ctx.epoch(updated_day, updated_sod), pid, record))
    for _, _, record in sorted(rows, key=lambda r: (r[0], r[1])):
        yield record


def inventory_items(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    sales = ctx.run.sales
    assert sales is not None
    created_day, created_sod = _product_created(ctx)
    created = ctx.iso(created_day, created_sod)
    for j, product in enumerate(sales.products):
        item = shopify_id("inventory_item", ctx.slug, j + 1)
        yield {
            "tenant_id": ctx.tenant_id,
            "id": item,
            "sku": product.sku,
            "created_at": created,
            "updated_at": created,
            "requires_shipping": ctx.run.behaviour.online,
            "cost": money(product.cost),
            "country_code_of_origin": None,
            "province_code_of_origin": None,
            "harmonized_system_code": None,
            "tracked": product.tracked,
            "country_harmonized_system_codes": [],
            "admin_graphql_api_id": _gid("InventoryItem", item),
        }


def inventory_levels(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    """End-of-day level of each tracked item on each day it changed (a daily poller's history)."""
    sales = ctx.run.sales
    assert sales is not None
    loc = location_id(ctx)
    order = np.lexsort((sales.inv_product, sales.inv_sod, sales.inv_day))
    for i in order:
        if ctx.before_since(ctx.epoch(int(sales.inv_day[i]), int(sales.inv_sod[i]))):
            continue
        item = shopify_id("inventory_item", ctx.slug, int(sales.inv_product[i]) + 1)
        yield {
            "tenant_id": ctx.tenant_id,
            "inventory_item_id": item,
            "location_id": loc,
            "available": int(sales.inv_available[i]),
            "updated_at": ctx.iso(int(sales.inv_day[i]), int(sales.inv_sod[i])),
            "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{loc}?inventory_item_id={item}",
        }


def _customer_identity(ctx: ShapeContext, index: int) -> tuple[int, str, str, str]:
    first, last = person_name(stable_hash64(f"{ctx.slug}:customer:{index}"))
    return shopify_id("customer", ctx.slug, index + 1), first, last, person_email(first, last, index + 1)


def _customer_created(ctx: ShapeContext, index: int) -> tuple[int, int]:
    sales = ctx.run.sales
    assert sales is not None
    n_initial = len(sales.c_initial_created_ordinal)
    if index < n_initial:
        return int(sales.c_initial_created_ordinal[index]) - ctx.first_ordinal, int(
            sales.c_initial_created_sod[index]
        )
    order = int(sales.c_first_order[index - n_initial])
    return int(sales.o_day[order]), int(sales.o_sod[order])


def customers(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    """The shop's customers (a benchmark peer's: only those who buy, ``ShapeContext.listed_customers``)."""
    sales = ctx.run.sales
    assert sales is not None
    n = sales.n_customers
    recorded = np.flatnonzero((sales.o_customer >= 0) & sales.o_recorded)
    owners = sales.o_customer[recorded]
    counts = np.bincount(owners, minlength=n)
    spent = np.bincount(owners, weights=sales.o_total[recorded], minlength=n)
    last_order = np.full(n, -1, dtype=np.int64)
    last_order[owners] = recorded  # orders are in time order, so the last write wins
    locale_country = ctx.run.profile.country
    rows = []
    for c in np.flatnonzero(ctx.listed_customers()).tolist():
        cday, csod = _customer_created(ctx, c)
        lo = int(last_order[c])
        uday, usod = (int(sales.o_day[lo]), int(sales.o_sod[lo])) if lo >= 0 else (cday, csod)
        rows.append((ctx.epoch(uday, usod), c, cday, csod, uday, usod, lo))
    rows.sort()
    for updated, c, cday, csod, uday, usod, lo in rows:
        if ctx.before_since(updated):
            continue
        cid, first, last, email = _customer_identity(ctx, c)
        created = ctx.iso(cday, csod)
        marketing = stable_hash64(f"{ctx.slug}:consent:{c}") % 3 == 0
        yield {
            "tenant_id": ctx.tenant_id,
            "id": cid,
            "email": email,
            "created_at": created,
            "updated_at": ctx.iso(uday, usod),
            "first_name": first,
            "last_name": last,
            "orders_count": int(counts[c]),
            "state": "enabled",
            "total_spent": money(int(spent[c])),
            "last_order_id": shopify_id("order", ctx.slug, lo + 1) if lo >= 0 else None,
            "note": None,
            "verified_email": True,
            "multipass_identifier": None,
            "tax_exempt": False,
            "tags": "",
            "last_order_name": f"#{1001 + lo}" if lo >= 0 else None,
            "currency": ctx.currency,
            "phone": None,
            "addresses": [],
            "tax_exemptions": [],
            "email_marketing_consent": {
                "state": "subscribed" if marketing else "not_subscribed",
                "opt_in_level": "single_opt_in" if marketing else None,
                "consent_updated_at": created if marketing else None,
            },
            "sms_marketing_consent": None,
            "admin_graphql_api_id": _gid("Customer", cid),
            "default_address": {
                "city": ctx.run.profile.city,
                "province_code": ctx.run.profile.subdivision,
                "country_code": locale_country,
                "default": True,
            },
        }


def _order_state(ctx: ShapeContext, i: int) -> tuple[bool, bool, int, int]:
    """(fulfilled yet, refunded yet, updated day, updated sod) of order i at the end of the history."""
    s = ctx.run.sales
    assert s is not None
    day, sod = int(s.o_day[i]), int(s.o_sod[i])
    fday, fsod = int(s.o_fulfill_day[i]), int(s.o_fulfill_sod[i])
    fulfilled = ctx.happened(fday, fsod)
    rday, rsod = int(s.o_refund_day[i]), int(s.o_refund_sod[i])
    refunded = rday >= 0 and ctx.happened(rday, rsod)
    latest = (day, sod)
    if fulfilled:
        latest = max(latest, (fday, fsod), key=lambda x: ctx.epoch(*x))
    if refunded:
        latest = max(latest, (rday, rsod), key=lambda x: ctx.epoch(*x))
    return fulfilled, refunded, latest[0], latest[1]


def orders(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    s = ctx.run.sales
    assert s is not None
    recorded = np.flatnonzero(s.o_recorded)
    states = {int(i): _order_state(ctx, int(i)) for i in recorded}
    updated = {i: ctx.epoch(state[2], state[3]) for i, state in states.items()}
    for i in sorted((i for i in updated if not ctx.before_since(updated[i])), key=lambda i: (updated[i], i)):
        yield _order(ctx, i, states[i])


def _order(ctx: ShapeContext, i: int, state: tuple[bool, bool, int, int]) -> dict[str, Any]:
    s = ctx.run.sales
    assert s is not None
    behaviour = ctx.run.behaviour
    currency = ctx.currency
    fulfilled, refunded, uday, usod = state
    oid = shopify_id("order", ctx.slug, i + 1)
    day, sod = int(s.o_day[i]), int(s.o_sod[i])
    created = ctx.iso(day, sod)
    online = behaviour.online
    gateway = _gateway(ctx, i)
    customer, email = _order_customer(ctx, int(s.o_customer[i]))
    promo_index = int(s.o_promo[i])
    promo = s.promotions[promo_index] if promo_index >= 0 else None
    tax_rate = behaviour.tax_rate
    line_items, refund_line_items = _order_lines(ctx, i, fulfilled, refunded)

    gross, discount_total = int(s.o_gross[i]), int(s.o_discount[i])
    subtotal, tax = int(s.o_subtotal[i]), int(s.o_tax[i])
    shipping, total = int(s.o_shipping[i]), int(s.o_total[i])
    refund_amount = int(s.o_refund_amount[i]) if refunded else 0
    refunds = _order_refunds(ctx, i, gateway, refund_amount, refund_line_items) if refunded else []
    if refunded:
        financial_status = "refunded" if refund_amount >= total - shipping else "partially_refunded"
    else:
        financial_status = "paid"
    current_total = total - refund_amount
    refunded_tax = round((refund_amount) * tax_rate / (1 + tax_rate)) if refunded else 0
    closed_at = None
    if fulfilled:
        closed_at = ctx.iso(int(s.o_fulfill_day[i]), int(s.o_fulfill_sod[i]))
    discount_codes, discount_applications = _order_discounts(promo, discount_total)
    token = f"{stable_hash64(f'{ctx.slug}:order-token:{i}'):016x}"
    return {
        "tenant_id": ctx.tenant_id,
        "id": oid,
        "admin_graphql_api_id": _gid("Order", oid),
        "app_id": ONLINE_STORE_APP_ID if online else POS_APP_ID,
        "browser_ip": None,
        "buyer_accepts_marketing": False,
        "cancel_reason": None,
        "cancelled_at": None,
        "closed_at": closed_at,
        "confirmation_number": token[:9].upper(),
        "confirmed": True,
        "contact_email": email,
        "created_at": created,
        "currency": currency,
        "current_subtotal_price": money(subtotal - (refund_amount - refunded_tax)),
        "current_total_discounts": money(discount_total),
        "current_total_price": money(current_total),
        "current_total_tax": money(tax - refunded_tax),
        "customer_locale": f"en-{ctx.run.profile.country}",
        "discount_applications": discount_applications,
        "discount_codes": discount_codes,
        "email": email or "",
        "estimated_taxes": False,
        "financial_status": financial_status,
        "fulfillment_status": "fulfilled" if fulfilled else None,
        "landing_site": "/" if online else None,
        "location_id": None if online else shopify_id("location", ctx.slug, 1),
        "name": f"#{1001 + i}",
        "note": None,
        "number": i + 1,
        "order_number": 1001 + i,
        "payment_gateway_names": [gateway],
        "phone": None,
        "presentment_currency": currency,
        "processed_at": created,
        "source_name": "web" if online else "pos",
        "subtotal_price": money(subtotal),
        "subtotal_price_set": _money_set(subtotal, currency),
        "tags": "",
        "tax_lines": _tax_lines(tax, ctx),
        "taxes_included": False,
        "test": False,
        "token": token,
        "total_discounts": money(discount_total),
        "total_discounts_set": _money_set(discount_total, currency),
        "total_line_items_price": money(gross),
        "total_line_items_price_set": _money_set(gross, currency),
        "total_outstanding": "0.00",
        "total_price": money(total),
        "total_price_set": _money_set(total, currency),
        "total_shipping_price_set": _money_set(shipping, currency),
        "total_tax": money(tax),
        "total_tax_set": _money_set(tax, currency),
        "total_tip_received": "0.00",
        "total_weight": 0,
        "updated_at": ctx.iso(uday, usod),
        "user_id": None,
        "customer": customer,
        "line_items": line_items,
        "shipping_lines": _shipping_lines(ctx, i, shipping) if online else [],
        "refunds": refunds,
    }


def _gateway(ctx: ShapeContext, i: int) -> str:
    """How order i was paid: cards through Shopify Payments, some cash at a till, some PayPal online."""
    s = ctx.run.sales
    assert s is not None
    online = ctx.run.behaviour.online
    if not online and s.o_gateway_u[i] < 0.22:
        return "cash"
    if online and s.o_gateway_u[i] < 0.15:
        return "paypal"
    return "shopify_payments"


def _order_customer(ctx: ShapeContext, customer_index: int) -> tuple[dict[str, Any] | None, str | None]:
    """The customer embedded in an order, and their email (both None for an anonymous order)."""
    if customer_index < 0:
        return None, None
    cid, first, last, email = _customer_identity(ctx, customer_index)
    cday, csod = _customer_created(ctx, customer_index)
    customer = {
        "id": cid,
        "email": email,
        "first_name": first,
        "last_name": last,
        "created_at": ctx.iso(cday, csod),
        "state": "enabled",
        "currency": ctx.currency,
        "admin_graphql_api_id": _gid("Customer", cid),
    }
    return customer, email


def _tax_lines(amount: int, ctx: ShapeContext) -> list[dict[str, Any]]:
    """Shopify's tax lines of an amount of tax: one at the tenant's rate, none without sales tax."""
    behaviour = ctx.run.behaviour
    if not behaviour.tax_rate > 0:
        return []
    return [
        {
            "price": money(amount),
            "rate": behaviour.tax_rate,
            "title": behaviour.tax_title,
            "price_set": _money_set(amount, ctx.currency),
        }
    ]


def _order_lines(
    ctx: ShapeContext, i: int, fulfilled: bool, refunded: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The line items of order i, and the refund line items of those that were refunded."""
    s = ctx.run.sales
    assert s is not None
    start, count = int(s.o_line_start[i]), int(s.o_line_count[i])
    line_items = []
    refund_line_items = []
    for li in range(start, start + count):
        line = _line_item(ctx, li, fulfilled)
        line_items.append(line)
        if refunded and s.l_refunded[li]:
            refund_line_items.append(_refund_line_item(ctx, li, line["id"]))
    return line_items, refund_line_items


def _line_amounts(ctx: ShapeContext, li: int) -> tuple[int, int, int, int]:
    """(price, quantity, discount, tax) of line li, in minor units."""
    s = ctx.run.sales
    assert s is not None
    qty, price, discount = int(s.l_qty[li]), int(s.l_price[li]), int(s.l_discount[li])
    return price, qty, discount, round((price * qty - discount) * ctx.run.behaviour.tax_rate)


def _line_item(ctx: ShapeContext, li: int, fulfilled: bool) -> dict[str, Any]:
    s = ctx.run.sales
    assert s is not None
    currency = ctx.currency
    product_index = int(s.l_product[li])
    product = s.products[product_index]
    price, qty, discount, line_tax = _line_amounts(ctx, li)
    line_id = shopify_id("line_item", ctx.slug, li + 1)
    return {
        "id": line_id,
        "admin_graphql_api_id": _gid("LineItem", line_id),
        "fulfillable_quantity": 0 if fulfilled else qty,
        "fulfillment_service": "manual",
        "fulfillment_status": "fulfilled" if fulfilled else None,
        "gift_card": False,
        "grams": 0,
        "name": product.title,
        "price": money(price),
        "price_set": _money_set(price, currency),
        "product_exists": True,
        "product_id": shopify_id("product", ctx.slug, product_index + 1),
        "properties": [],
        "quantity": qty,
        "requires_shipping": ctx.run.behaviour.online,
        "sku": product.sku,
        "taxable": True,
        "title": product.title,
        "total_discount": "0.00",
        "total_discount_set": _money_set(0, currency),
        "variant_id": shopify_id("variant", ctx.slug, product_index + 1),
        "variant_title": None,
        "vendor": ctx.run.profile.name,
        "tax_lines": _tax_lines(line_tax, ctx),
        "discount_allocations": (
            [
                {
                    "amount": money(discount),
                    "amount_set": _money_set(discount, currency),
                    "discount_application_index": 0,
                }
            ]
            if discount > 0
            else []
        ),
    }


def _refund_line_item(ctx: ShapeContext, li: int, line_id: int) -> dict[str, Any]:
    price, qty, discount, line_tax = _line_amounts(ctx, li)
    subtotal = price * qty - discount
    behaviour = ctx.run.behaviour
    return {
        "id": shopify_id("refund_line_item", ctx.slug, li + 1),
        "line_item_id": line_id,
        "location_id": None if behaviour.online else shopify_id("location", ctx.slug, 1),
        "quantity": qty,
        "restock_type": "return" if behaviour.restock_refunds else "no_restock",
        "subtotal": round(subtotal / 100.0, 2),
        "subtotal_set": _money_set(subtotal, ctx.currency),
        "total_tax": round(line_tax / 100.0, 2),
        "total_tax_set": _money_set(line_tax, ctx.currency),
    }


def _order_refunds(
    ctx: ShapeContext, i: int, gateway: str, refund_amount: int, refund_line_items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The one refund of a refunded order i, with its lines and its refund transaction."""
    s = ctx.run.sales
    assert s is not None
    oid = shopify_id("order", ctx.slug, i + 1)
    behaviour = ctx.run.behaviour
    rday, rsod = int(s.o_refund_day[i]), int(s.o_refund_sod[i])
    refunded_at = ctx.iso(rday, rsod)
    refund_id = shopify_id("refund", ctx.slug, i + 1)
    transaction_id = shopify_id("transaction", ctx.slug, i + 1)
    return [
        {
            "id": refund_id,
            "admin_graphql_api_id": _gid("Refund", refund_id),
            "created_at": refunded_at,
            "note": "Customer return" if behaviour.online else None,
            "order_id": oid,
            "processed_at": refunded_at,
            "restock": behaviour.restock_refunds,
            "user_id": None,
            "refund_line_items": refund_line_items,
            "transactions": [
                {
                    "id": transaction_id,
                    "admin_graphql_api_id": _gid("OrderTransaction", transaction_id),
                    "amount": money(refund_amount),
                    "authorization": None,
                    "created_at": refunded_at,
                    "currency": ctx.currency,
                    "gateway": gateway,
                    "kind": "refund",
                    "order_id": oid,
                    "parent_id": None,
                    "processed_at": refunded_at,
                    "status": "success",
                    "test": False,
                }
            ],
            "order_adjustments": [],
        }
    ]


def _order_discounts(
    promo: Intervention | None, discount_total: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The discount code an order used and how it applied (both empty without a promotion)."""
    if promo is None or discount_total <= 0:
        return [], []
    codes = [{"code": promo.code, "amount": money(discount_total), "type": "percentage"}]
    applications = [
        {
            "target_type": "line_item",
            "type": "discount_code",
            "value": f"{promo.discount_pct * 100:.1f}",
            "value_type": "percentage",
            "allocation_method": "across",
            "target_selection": "all",
            "code": promo.code,
        }
    ]
    return codes, applications


def _shipping_lines(ctx: ShapeContext, i: int, shipping: int) -> list[dict[str, Any]]:
    return [
        {
            "id": shopify_id("transaction", ctx.slug, 500_000_000 + i),
            "title": "Standard Shipping",
            "code": "Standard",
            "price": money(shipping),
            "price_set": _money_set(shipping, ctx.currency),
            "discounted_price": money(shipping),
            "source": "shopify",
            "tax_lines": [],
        }
    ]


def _promo_ids(ctx: ShapeContext, index: int) -> tuple[int, int]:
    return shopify_id("price_rule", ctx.slug, index + 1), shopify_id("discount_code", ctx.slug, index + 1)


def _promo_created(ctx: ShapeContext, index: int) -> tuple[int, int]:
    s = ctx.run.sales
    assert s is not None
    return s.promotions[index].start.toordinal() - 5 - ctx.first_ordinal, 15 * 3600


def price_rules(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    s = ctx.run.sales
    assert s is not None
    for index, promo in enumerate(s.promotions):
        cday, csod = _promo_created(ctx, index)
        if not ctx.happened(cday, csod):
            continue
        rule_id, _ = _promo_ids(ctx, index)
        created = ctx.iso(cday, csod)
        end = promo.end or promo.window[1]
        yield {
            "tenant_id": ctx.tenant_id,
            "id": rule_id,
            "value_type": "percentage",
            "value": f"-{promo.discount_pct * 100:.1f}",
            "customer_selection": "all",
            "target_type": "line_item",
            "target_selection": "all",
            "allocation_method": "across",
            "allocation_limit": None,
            "once_per_customer": False,
            "usage_limit": None,
            "starts_at": ctx.clock.iso(promo.start.toordinal(), 0),
            "ends_at": ctx.clock.iso(end.toordinal(), 86_399),
            "created_at": created,
            "updated_at": created,
            "entitled_product_ids": [],
            "entitled_variant_ids": [],
            "entitled_collection_ids": [],
            "entitled_country_ids": [],
            "prerequisite_product_ids": [],
            "prerequisite_variant_ids": [],
            "prerequisite_collection_ids": [],
            "customer_segment_prerequisite_ids": [],
            "prerequisite_customer_ids": [],
            "prerequisite_subtotal_range": None,
            "prerequisite_quantity_range": None,
            "prerequisite_shipping_price_range": None,
            "prerequisite_to_entitlement_quantity_ratio": {
                "prerequisite_quantity": None,
                "entitled_quantity": None,
            },
            "prerequisite_to_entitlement_purchase": {"prerequisite_amount": None},
            "title": promo.code,
            "admin_graphql_api_id": _gid("PriceRule", rule_id),
        }


def discount_codes(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    s = ctx.run.sales
    assert s is not None
    for index, promo in enumerate(s.promotions):
        cday, csod = _promo_created(ctx, index)
        if not ctx.happened(cday, csod):
            continue
        rule_id, code_id = _promo_ids(ctx, index)
        used = np.flatnonzero((s.o_promo == index) & s.o_recorded & (s.o_discount > 0))
        updated_day, updated_sod = (
            (int(s.o_day[used[-1]]), int(s.o_sod[used[-1]])) if len(used) else (cday, csod)
        )
        yield {
            "tenant_id": ctx.tenant_id,
            "id": code_id,
            "price_rule_id": rule_id,
            "code": promo.code,
            "usage_count": len(used),
            "created_at": ctx.iso(cday, csod),
            "updated_at": ctx.iso(updated_day, updated_sod),
        }
