"""Stripe API (version 2024-06-20) shaped records: customers, charges, refunds, subscriptions, invoices.

Conventions followed: prefixed string ids, amounts as integers in the smallest currency unit, lower-case
currency codes, `created` in unix seconds. Stripe objects have no update timestamp; like the Events-API
based connectors, every record here carries `updated` (unix seconds of its last change), which equals
`created` for objects that never change. Charges change when refunded, subscriptions at every renewal,
plan change and cancellation, invoices when a failed payment is retried.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np

from .engine_subscriptions import SaasInvoice, Subscription
from .ids import money, stripe_id
from .keyed_random import stable_hash64
from .names import company_name, person_email, person_name
from .shapes_common import ShapeContext

CARD_BRANDS = ("visa", "visa", "visa", "mastercard", "mastercard", "amex", "discover")


def _card(ctx: ShapeContext, key: str) -> dict[str, Any]:
    h = stable_hash64(f"{ctx.slug}:card:{key}")
    brand = CARD_BRANDS[h % len(CARD_BRANDS)]
    return {
        "type": "card",
        "card": {
            "brand": brand,
            "checks": {"address_line1_check": None, "address_postal_code_check": "pass", "cvc_check": "pass"},
            "country": ctx.run.profile.country,
            "exp_month": 1 + (h >> 8) % 12,
            "exp_year": 2026 + (h >> 12) % 5,
            "fingerprint": stripe_id("fp", ctx.slug, "fingerprint", key)[3:19],
            "funding": "debit" if (h >> 16) % 3 == 0 else "credit",
            "last4": f"{(h >> 20) % 10000:04d}",
            "network": brand,
            "wallet": None,
        },
    }


def _customer_key(ctx: ShapeContext, index: int) -> tuple[str, str, str]:
    """(id, name, email) of customer `index` of the tenant."""
    if ctx.run.saas is not None:
        name = company_name(stable_hash64(f"{ctx.slug}:account:{index}") % 400 + index)
        email = f"billing{index + 1}@example.org"
    else:
        first, last = person_name(stable_hash64(f"{ctx.slug}:customer:{index}"))
        name, email = f"{first} {last}", person_email(first, last, index + 1)
    return stripe_id("cus", ctx.slug, "customer", index), name, email


def _invoice_prefix(ctx: ShapeContext, customer_index: int) -> str:
    return stripe_id("x", ctx.slug, "invoice-prefix", customer_index)[2:10].upper()


def customers(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    rows: list[tuple[int, int, dict[str, Any]]] = []
    if ctx.run.sales is not None:
        s = ctx.run.sales
        n_initial = len(s.c_initial_created_ordinal)
        for c in np.flatnonzero(ctx.listed_customers()).tolist():  # a peer's: only those who book
            if c < n_initial:
                day, sod = (
                    int(s.c_initial_created_ordinal[c]) - ctx.first_ordinal,
                    int(s.c_initial_created_sod[c]),
                )
            else:
                order = int(s.c_first_order[c - n_initial])
                day, sod = int(s.o_day[order]), int(s.o_sod[order]) - 600  # booked before the visit
            created = ctx.epoch(day, sod)
            if not ctx.before_since(created):
                rows.append((created, c, _customer(ctx, c, created, None)))
    elif ctx.run.saas is not None:
        for sub in ctx.run.saas.subscriptions:
            day = sub.signup_ordinal - ctx.first_ordinal
            created = ctx.epoch(day, sub.signup_sod)
            if not ctx.before_since(created):
                rows.append((created, sub.seq, _customer(ctx, sub.seq, created, "trial_signup")))
    rows.sort(key=lambda r: (r[0], r[1]))
    for _, _, record in rows:
        yield record


def _customer(ctx: ShapeContext, index: int, created: int, source: str | None) -> dict[str, Any]:
    cid, name, email = _customer_key(ctx, index)
    return {
        "tenant_id": ctx.tenant_id,
        "id": cid,
        "object": "customer",
        "address": {
            "city": ctx.run.profile.city,
            "country": ctx.run.profile.country,
            "line1": None,
            "line2": None,
            "postal_code": None,
            "state": ctx.run.profile.subdivision,
        },
        "balance": 0,
        "created": created,
        "currency": ctx.currency.lower(),
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": email,
        "invoice_prefix": _invoice_prefix(ctx, index),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {"signup_source": source} if source else {},
        "name": name,
        "phone": None,
        "preferred_locales": ["en"],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
        "updated": created,
    }


def _charge(
    ctx: ShapeContext,
    key: str,
    amount: int,
    created: int,
    customer_index: int,
    description: str,
    metadata: dict[str, str],
    refunded_amount: int = 0,
    updated: int | None = None,
    failed: bool = False,
    invoice: str | None = None,
) -> dict[str, Any]:
    cid, name, email = _customer_key(ctx, customer_index)
    charge_id = stripe_id("ch", ctx.slug, "charge", key)
    outcome = (
        {
            "network_status": "declined_by_network",
            "reason": "generic_decline",
            "risk_level": "normal",
            "risk_score": 40,
            "seller_message": "The bank did not return any further details with this decline.",
            "type": "issuer_declined",
        }
        if failed
        else {
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "risk_score": int(stable_hash64(key) % 60),
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    )
    return {
        "tenant_id": ctx.tenant_id,
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": 0 if failed else amount,
        "amount_refunded": refunded_amount,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": None if failed else stripe_id("txn", ctx.slug, "balance", key),
        "billing_details": {
            "address": {
                "city": None,
                "country": ctx.run.profile.country,
                "line1": None,
                "line2": None,
                "postal_code": None,
                "state": None,
            },
            "email": email,
            "name": name,
            "phone": None,
        },
        "calculated_statement_descriptor": ctx.run.profile.name.upper()[:22],
        "captured": not failed,
        "created": created,
        "currency": ctx.currency.lower(),
        "customer": cid,
        "description": description,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": "card_declined" if failed else None,
        "failure_message": "Your card was declined." if failed else None,
        "fraud_details": {},
        "invoice": invoice,
        "livemode": False,
        "metadata": metadata,
        "on_behalf_of": None,
        "outcome": outcome,
        "paid": not failed,
        "payment_intent": stripe_id("pi", ctx.slug, "payment-intent", key.split(":attempt")[0]),
        "payment_method": stripe_id("pm", ctx.slug, "payment-method", customer_index),
        "payment_method_details": _card(ctx, str(customer_index)),
        "receipt_email": email,
        "receipt_number": None,
        "receipt_url": None if failed else f"https://pay.stripe.com/receipts/{charge_id[3:]}",
        "refunded": refunded_amount > 0 and refunded_amount >= amount,
        "review": None,
        "shipping": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "failed" if failed else "succeeded",
        "transfer_data": None,
        "transfer_group": None,
        "updated": updated if updated is not None else created,
    }


def _appointment_refund(ctx: ShapeContext, i: int) -> tuple[bool, int]:
    s = ctx.run.sales
    assert s is not None
    rday, rsod = int(s.o_refund_day[i]), int(s.o_refund_sod[i])
    if rday >= 0 and ctx.happened(rday, rsod):
        return True, ctx.epoch(rday, rsod)
    return False, 0


def charges(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    if ctx.run.sales is not None:
        yield from _appointment_charges(ctx)
    elif ctx.run.saas is not None:
        yield from _subscription_charges(ctx)


def _appointment_charges(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    s = ctx.run.sales
    assert s is not None
    rows = []
    for i in range(s.n_orders):
        if not s.o_recorded[i]:
            continue
        created = ctx.epoch(int(s.o_day[i]), int(s.o_sod[i]))
        refunded, refunded_at = _appointment_refund(ctx, i)
        rows.append((refunded_at if refunded else created, i, created, refunded))
    rows.sort()
    for updated, i, created, refunded in rows:
        if ctx.before_since(updated):
            continue
        line = int(s.o_line_start[i])
        product = s.products[int(s.l_product[line])]
        promo_index = int(s.o_promo[i])
        metadata = {
            "appointment_id": f"apt_{ctx.slug[:4]}_{i + 1:07d}",
            "service_code": product.sku,
            "service_name": product.title,
            "service_amount": money(int(s.l_price[line])),
            "discount_amount": money(int(s.o_discount[i])),
            "tip_amount": money(int(s.o_tip[i])),
        }
        if promo_index >= 0:
            metadata["promo_code"] = s.promotions[promo_index].code or ""
        yield _charge(
            ctx,
            f"appointment:{i}",
            int(s.o_total[i]),
            created,
            int(s.o_customer[i]),
            product.title,
            metadata,
            refunded_amount=int(s.o_refund_amount[i]) if refunded else 0,
            updated=updated,
        )


def refunds(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    s = ctx.run.sales
    if s is None:
        return
    rows = []
    for i in range(s.n_orders):
        if not s.o_recorded[i]:
            continue
        refunded, refunded_at = _appointment_refund(ctx, i)
        if refunded:
            rows.append((refunded_at, i))
    rows.sort()
    for created, i in rows:
        if ctx.before_since(created):
            continue
        key = f"appointment:{i}"
        yield {
            "tenant_id": ctx.tenant_id,
            "id": stripe_id("re", ctx.slug, "refund", key),
            "object": "refund",
            "amount": int(s.o_refund_amount[i]),
            "balance_transaction": stripe_id("txn", ctx.slug, "refund-balance", key),
            "charge": stripe_id("ch", ctx.slug, "charge", key),
            "created": created,
            "currency": ctx.currency.lower(),
            "destination_details": {
                "card": {
                    "reference_status": "available",
                    "reference_type": "acquirer_reference_number",
                    "type": "refund",
                },
                "type": "card",
            },
            "metadata": {},
            "payment_intent": stripe_id("pi", ctx.slug, "payment-intent", key),
            "reason": "requested_by_customer",
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "succeeded",
            "transfer_reversal": None,
            "updated": created,
        }


def _price_object(ctx: ShapeContext, plan_code: str, version: int, amount: int) -> dict[str, Any]:
    saas = ctx.run.saas
    assert saas is not None
    plan = next(p for p in saas.params.plans if p.code == plan_code)
    since = saas.price_versions[plan_code][version][0]
    created_ordinal = since if since > 0 else ctx.run.profile.opened_on.toordinal()
    return {
        "id": stripe_id("price", ctx.slug, "price", f"{plan_code}:{version}"),
        "object": "price",
        "active": True,  # superseded prices stay active: existing subscribers keep them
        "billing_scheme": "per_unit",
        "created": ctx.clock.epoch(created_ordinal - 1, 15 * 3600),
        "currency": ctx.currency.lower(),
        "livemode": False,
        "lookup_key": f"{plan_code}_monthly_v{version + 1}",
        "metadata": {},
        "nickname": f"{plan.name} monthly",
        "product": stripe_id("prod", ctx.slug, "product", plan_code),
        "recurring": {
            "aggregate_usage": None,
            "interval": "month",
            "interval_count": 1,
            "trial_period_days": None,
            "usage_type": "licensed",
        },
        "tax_behavior": "exclusive",
        "type": "recurring",
        "unit_amount": amount,
        "unit_amount_decimal": str(amount),
    }


def _sub_times(ctx: ShapeContext, sub: Subscription) -> list[int]:
    """Epochs of every change of a subscription that has happened."""
    c = ctx.clock
    times = [c.epoch(sub.signup_ordinal, sub.signup_sod)]
    for ordinal in (sub.trial_end_ordinal,):
        times.append(c.epoch(ordinal, sub.signup_sod))
    for seg in sub.segments[1:]:
        times.append(c.epoch(seg.start_ordinal, seg.start_sod))
    if sub.canceled_ordinal is not None:
        times.append(c.epoch(sub.canceled_ordinal, sub.canceled_sod))
    if sub.ended_ordinal is not None:
        times.append(c.epoch(sub.ended_ordinal, sub.ended_sod))
    return [t for t in times if t <= ctx.end_epoch]


def subscriptions(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    saas = ctx.run.saas
    if saas is None:
        return
    invoices_by_sub: dict[int, list[SaasInvoice]] = {}
    for inv in saas.invoices:
        invoices_by_sub.setdefault(inv.subscription, []).append(inv)
    rows = []
    for sub in saas.subscriptions:
        created = ctx.clock.epoch(sub.signup_ordinal, sub.signup_sod)
        if created > ctx.end_epoch:
            continue
        happened_invoices = [
            inv
            for inv in invoices_by_sub.get(sub.seq, [])
            if ctx.clock.epoch(inv.ordinal, inv.sod) <= ctx.end_epoch
        ]
        times = _sub_times(ctx, sub) + [ctx.clock.epoch(inv.ordinal, inv.sod) for inv in happened_invoices]
        rows.append((max(times), sub.seq, sub, happened_invoices))
    rows.sort(key=lambda r: (r[0], r[1]))
    for updated, _, sub, happened_invoices in rows:
        if not ctx.before_since(updated):
            yield _subscription(ctx, sub, happened_invoices, updated)


def _subscription(
    ctx: ShapeContext, sub: Subscription, invoices: list[SaasInvoice], updated: int
) -> dict[str, Any]:
    c = ctx.clock
    end = ctx.end_epoch
    sub_id = stripe_id("sub", ctx.slug, "subscription", sub.seq)
    created = c.epoch(sub.signup_ordinal, sub.signup_sod)
    trial_end = c.epoch(sub.trial_end_ordinal, sub.signup_sod)
    segment = sub.segments[0]
    for seg in sub.segments[1:]:
        if c.epoch(seg.start_ordinal, seg.start_sod) <= end:
            segment = seg
    canceled_at = None
    if sub.canceled_ordinal is not None and c.epoch(sub.canceled_ordinal, sub.canceled_sod) <= end:
        canceled_at = c.epoch(sub.canceled_ordinal, sub.canceled_sod)
    ended_at = None
    if sub.ended_ordinal is not None and c.epoch(sub.ended_ordinal, sub.ended_sod) <= end:
        ended_at = c.epoch(sub.ended_ordinal, sub.ended_sod)
    if ended_at is not None:
        status = "canceled"
    elif trial_end > end and not sub.initial:
        status = "trialing"
    else:
        status = "active"
    if invoices:
        last = invoices[-1]
        period_start, period_end = (
            c.epoch(last.period_start, sub.signup_sod),
            c.epoch(last.period_end, sub.signup_sod),
        )
        latest_invoice: str | None = stripe_id("in", ctx.slug, "invoice", f"{sub.seq}:{last.period_start}")
    else:
        period_start, period_end = created, trial_end
        latest_invoice = None
    cancel_at_period_end = canceled_at is not None and ended_at is None
    price = _price_object(ctx, segment.plan, segment.price_version, segment.price)
    return {
        "tenant_id": ctx.tenant_id,
        "id": sub_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"enabled": False, "liability": None},
        "billing_cycle_anchor": trial_end,
        "billing_thresholds": None,
        "cancel_at": period_end if cancel_at_period_end else None,
        "cancel_at_period_end": cancel_at_period_end,
        "canceled_at": canceled_at,
        "cancellation_details": {
            "comment": None,
            "feedback": "too_expensive" if canceled_at and sub.seq % 3 == 0 else None,
            "reason": sub.cancel_reason if canceled_at else None,
        },
        "collection_method": "charge_automatically",
        "created": created,
        "currency": ctx.currency.lower(),
        "current_period_end": period_end,
        "current_period_start": period_start,
        "customer": stripe_id("cus", ctx.slug, "customer", sub.seq),
        "days_until_due": None,
        "default_payment_method": stripe_id("pm", ctx.slug, "payment-method", sub.seq)
        if sub.converted
        else None,
        "description": None,
        "discount": None,
        "ended_at": ended_at,
        "items": {
            "object": "list",
            "data": [
                {
                    "id": stripe_id("si", ctx.slug, "subscription-item", sub.seq),
                    "object": "subscription_item",
                    "billing_thresholds": None,
                    "created": created,
                    "metadata": {},
                    "price": price,
                    "quantity": 1,
                    "subscription": sub_id,
                    "tax_rates": [],
                }
            ],
            "has_more": False,
            "total_count": 1,
            "url": f"/v1/subscription_items?subscription={sub_id}",
        },
        "latest_invoice": latest_invoice,
        "livemode": False,
        "metadata": {"plan": segment.plan},
        "pause_collection": None,
        "start_date": created,
        "status": status,
        "trial_end": trial_end if not sub.initial else None,
        "trial_start": created if not sub.initial else None,
        "updated": updated,
    }


def _invoice_state(ctx: ShapeContext, inv: SaasInvoice) -> tuple[int, bool, int]:
    created = ctx.clock.epoch(inv.ordinal, inv.sod)
    paid_at = ctx.clock.epoch(inv.paid_ordinal, inv.paid_sod)
    paid = paid_at <= ctx.end_epoch
    return created, paid, paid_at if paid else created


def invoices(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    saas = ctx.run.saas
    if saas is None:
        return
    rows = []
    for number, inv in enumerate(saas.invoices):
        created, paid, updated = _invoice_state(ctx, inv)
        if created <= ctx.end_epoch:
            rows.append((updated, number, inv, created, paid))
    rows.sort(key=lambda r: (r[0], r[1]))
    subs = saas.subscriptions
    for updated, _, inv, created, paid in rows:
        if ctx.before_since(updated):
            continue
        sub = subs[inv.subscription]
        key = f"{sub.seq}:{inv.period_start}"
        invoice_id = stripe_id("in", ctx.slug, "invoice", key)
        _, name, email = _customer_key(ctx, sub.seq)
        plan = next(p for p in saas.params.plans if p.code == inv.plan)
        attempts = 2 if inv.failed_first and paid else 1
        charge_key = f"invoice:{key}:attempt{attempts}"
        period = {
            "start": ctx.clock.epoch(inv.period_start, sub.signup_sod),
            "end": ctx.clock.epoch(inv.period_end, sub.signup_sod),
        }
        symbol = "$" if ctx.currency in ("USD", "CAD") else ""
        yield {
            "tenant_id": ctx.tenant_id,
            "id": invoice_id,
            "object": "invoice",
            "account_country": ctx.run.profile.country,
            "account_name": ctx.run.profile.name,
            "amount_due": inv.amount,
            "amount_paid": inv.amount if paid else 0,
            "amount_remaining": 0 if paid else inv.amount,
            "attempt_count": attempts,
            "attempted": True,
            "auto_advance": not paid,
            "billing_reason": inv.billing_reason,
            "charge": stripe_id("ch", ctx.slug, "charge", charge_key),
            "collection_method": "charge_automatically",
            "created": created,
            "currency": ctx.currency.lower(),
            "customer": stripe_id("cus", ctx.slug, "customer", sub.seq),
            "customer_email": email,
            "customer_name": name,
            "description": None,
            "discount": None,
            "due_date": None,
            "hosted_invoice_url": f"https://invoice.stripe.com/i/{invoice_id[3:]}",
            "lines": {
                "object": "list",
                "data": [
                    {
                        "id": stripe_id("il", ctx.slug, "invoice-line", key),
                        "object": "line_item",
                        "amount": inv.amount,
                        "currency": ctx.currency.lower(),
                        "description": f"1 \u00d7 {plan.name} (at {symbol}{money(inv.amount)} / month)",
                        "discountable": True,
                        "livemode": False,
                        "metadata": {},
                        "period": period,
                        "price": _price_object(ctx, inv.plan, inv.price_version, inv.amount),
                        "proration": False,
                        "quantity": 1,
                        "subscription": stripe_id("sub", ctx.slug, "subscription", sub.seq),
                        "type": "subscription",
                    }
                ],
                "has_more": False,
                "total_count": 1,
                "url": f"/v1/invoices/{invoice_id}/lines",
            },
            "livemode": False,
            "metadata": {},
            "next_payment_attempt": None if paid else ctx.clock.epoch(inv.paid_ordinal, inv.paid_sod),
            "number": f"{_invoice_prefix(ctx, sub.seq)}-{inv.period_start % 10000:04d}",
            "paid": paid,
            # Stripe's invoice-level period covers pending invoice items (none here); lines carry the
            # subscription period
            "period_end": created,
            "period_start": created,
            "status": "paid" if paid else "open",
            "status_transitions": {
                "finalized_at": created,
                "marked_uncollectible_at": None,
                "paid_at": updated if paid else None,
                "voided_at": None,
            },
            "subscription": stripe_id("sub", ctx.slug, "subscription", sub.seq),
            "subtotal": inv.amount,
            "tax": None,
            "total": inv.amount,
            "updated": updated,
        }


def _subscription_charges(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    saas = ctx.run.saas
    assert saas is not None
    rows = []
    for inv in saas.invoices:
        created = ctx.clock.epoch(inv.ordinal, inv.sod)
        if created > ctx.end_epoch:
            continue
        if inv.failed_first:
            rows.append((created, inv, 1, True))
        paid_at = ctx.clock.epoch(inv.paid_ordinal, inv.paid_sod)
        if paid_at <= ctx.end_epoch:
            rows.append((paid_at, inv, 2 if inv.failed_first else 1, False))
    rows.sort(key=lambda r: (r[0], r[1].subscription, r[2]))
    for at, inv, attempt, failed in rows:
        if ctx.before_since(at):
            continue
        sub = saas.subscriptions[inv.subscription]
        key = f"{sub.seq}:{inv.period_start}"
        plan = next(p for p in saas.params.plans if p.code == inv.plan)
        yield _charge(
            ctx,
            f"invoice:{key}:attempt{attempt}",
            inv.amount,
            at,
            sub.seq,
            "Subscription update" if inv.billing_reason != "subscription_create" else "Subscription creation",
            {"plan": plan.code},
            failed=failed,
            invoice=stripe_id("in", ctx.slug, "invoice", key),
        )


#: Stripe's standard card pricing (2.9% + 30 minor units) and payout delay (funds available 2 days on).
FEE_PER_MILLE = 29
FEE_FIXED = 30
AVAILABLE_AFTER_SECONDS = 2 * 86_400


def balance_transactions(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    """One balance transaction per succeeded charge (amount, Stripe's fee, net) and one per refund
    (negative), made from the charges and refunds above: their ``balance_transaction`` ids point here.

    A transaction is pending until ``available_on`` and available after; ``updated`` is the later of
    the two moments that have happened.
    """
    rows = []
    # a transaction changes until its funds are available, up to two days and a day's rest after the
    # charge or refund it moves: those of that long before ``since`` are left out, not the later ones
    sources = ctx if ctx.since is None else replace(ctx, since=ctx.since - AVAILABLE_AFTER_SECONDS - 86_400)
    for charge in charges(sources):
        if charge["balance_transaction"] is None:  # a declined charge moves no money
            continue
        fee = (charge["amount"] * FEE_PER_MILLE + 500) // 1000 + FEE_FIXED
        rows.append(_balance_transaction(ctx, charge, "charge", charge["amount"], fee))
    for refund in refunds(sources):
        rows.append(_balance_transaction(ctx, refund, "refund", -refund["amount"], 0))
    rows.sort(key=lambda r: (r["updated"], r["id"]))
    yield from rows


def _balance_transaction(
    ctx: ShapeContext, source: dict[str, Any], kind: str, amount: int, fee: int
) -> dict[str, Any]:
    created = int(source["created"])
    available_on = created - created % 86_400 + AVAILABLE_AFTER_SECONDS
    available = available_on <= ctx.end_epoch
    return {
        "tenant_id": ctx.tenant_id,
        "id": source["balance_transaction"],
        "object": "balance_transaction",
        "amount": amount,
        "available_on": available_on,
        "created": created,
        "currency": source["currency"],
        "description": source.get("description") if kind == "charge" else "REFUND FOR CHARGE",
        "exchange_rate": None,
        "fee": fee,
        "fee_details": [
            {
                "amount": fee,
                "application": None,
                "currency": source["currency"],
                "description": "Stripe processing fees",
                "type": "stripe_fee",
            }
        ]
        if fee
        else [],
        "net": amount - fee,
        "reporting_category": kind,
        "source": source["id"],
        "status": "available" if available else "pending",
        "type": kind,
        "updated": available_on if available else created,
    }
