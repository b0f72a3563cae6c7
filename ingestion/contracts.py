"""What a raw record must satisfy before it is loaded, per source, checked by field name.

Real APIs (and the demo simulator) send the odd broken record: an id missing, "free" where a price
belongs, a negative quantity, a currency code nobody issues, text with a broken encoding. Such a record
must not stop the load, nor take good records down with it: :func:`problems` names what is wrong, the
loader sets the record aside in ``raw_<source>.rejected_records`` with those words, and loads the rest.

Checks go by field name anywhere in the record (nested objects and lists included), because each
source's API names its money, quantity and currency fields consistently.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any


@dataclass(frozen=True)
class SourceContract:
    numeric: frozenset[str]
    non_negative: frozenset[str]
    currency: frozenset[str]
    currency_parents: frozenset[str] = frozenset()  # objects whose "value" is a currency code
    integers_only: bool = False  # Stripe: amounts are integers in the currency's minor unit


CONTRACTS: dict[str, SourceContract] = {
    "shopify": SourceContract(
        numeric=frozenset(
            {
                "price",
                "total_price",
                "subtotal_price",
                "total_discounts",
                "total_tax",
                "total_line_items_price",
                "current_total_price",
                "current_subtotal_price",
                "current_total_discounts",
                "current_total_tax",
                "total_outstanding",
                "total_tip_received",
                "cost",
                "amount",
                "total_discount",
                "available",
                "quantity",
                "usage_count",
                "value",
                "total_spent",
                "orders_count",
                "subtotal",
                "total_cart_discount_amount",
            }
        ),
        non_negative=frozenset(
            {
                "price",
                "quantity",
                "cost",
                "total_price",
                "subtotal_price",
                "orders_count",
                "usage_count",
                "fulfillable_quantity",
                "total_spent",
            }
        ),
        currency=frozenset({"currency", "currency_code", "presentment_currency"}),
    ),
    "stripe": SourceContract(
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
            }
        ),
        currency=frozenset({"currency"}),
        integers_only=True,
    ),
    "quickbooks": SourceContract(
        numeric=frozenset({"TotalAmt", "Balance", "Amount", "UnitPrice", "Qty", "UnappliedAmt", "TotalTax"}),
        non_negative=frozenset({"TotalAmt", "Qty", "UnitPrice"}),
        currency=frozenset(),
        currency_parents=frozenset({"CurrencyRef"}),
    ),
    "shifts": SourceContract(
        numeric=frozenset(
            {
                "wage_rate",
                "paid_hours",
                "unpaid_hours",
                "hours",
                "duration",
                "regular_hours",
                "overtime_hours",
                "wages",
                "cost",
            }
        ),
        non_negative=frozenset(
            {
                "wage_rate",
                "paid_hours",
                "unpaid_hours",
                "hours",
                "duration",
                "regular_hours",
                "overtime_hours",
                "wages",
                "cost",
            }
        ),
        currency=frozenset({"currency"}),
    ),
    "ads": SourceContract(
        numeric=frozenset(
            {"spend", "impressions", "clicks", "conversions", "conversion_value", "daily_budget"}
        ),
        non_negative=frozenset(
            {"spend", "impressions", "clicks", "conversions", "conversion_value", "daily_budget"}
        ),
        currency=frozenset({"currency", "account_currency"}),
    ),
}


@cache
def iso_currencies() -> frozenset[str]:
    """ISO 4217 codes (Babel's CLDR list, which includes historic codes; fine for telling real from bogus)."""
    from babel.numbers import list_currencies

    return frozenset(code.upper() for code in list_currencies())


def _walk(node: Any, parent: str | None = None) -> Iterator[tuple[str | None, str, Any]]:
    """(parent key, key, value) for every dict entry in a nested record."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield parent, key, value
            yield from _walk(value, key)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, parent)


def _as_number(value: Any) -> float | None:
    """The number a field holds (None when the field is empty); raises ValueError when it holds none."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError
        return float(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError from None
        if not number.is_finite():
            raise ValueError
        return float(number)
    raise ValueError


def parse_cursor(value: Any, cursor_type: str) -> datetime | date | int:
    """The comparable value of a cursor field (ISO timestamps compare as instants, not as text)."""
    if cursor_type == "unix_seconds":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{value!r} is not unix seconds")
        return value
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an ISO-8601 string")
    if cursor_type == "date":
        return date.fromisoformat(value)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return parsed


def get_path(record: Mapping[str, Any], dotted: str) -> Any:
    node: Any = record
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _has_broken_text(node: Any) -> bool:
    if isinstance(node, str):
        if node.isascii():
            return False
        try:
            node.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(node, Mapping):
        return any(_has_broken_text(k) or _has_broken_text(v) for k, v in node.items())
    if isinstance(node, list):
        return any(_has_broken_text(item) for item in node)
    return False


def problems(
    record: Any, source: str, primary_key: tuple[str, ...], cursor_field: str, cursor_type: str
) -> list[str]:
    """Everything wrong with one record, in words; an empty list means it may be loaded."""
    if not isinstance(record, Mapping):
        return [f"record is a {type(record).__name__}, not an object"]
    found: list[str] = []
    for key in primary_key:
        if record.get(key) in (None, ""):
            found.append(f"primary key field {key!r} is missing")
    cursor = get_path(record, cursor_field)
    if cursor is None:
        found.append(f"cursor field {cursor_field!r} is missing")
    else:
        try:
            parse_cursor(cursor, cursor_type)
        except ValueError as exc:
            found.append(f"cursor field {cursor_field!r}: {exc}")
    if _has_broken_text(record):
        found.append("text is not valid UTF-8 (broken encoding)")
    contract = CONTRACTS.get(source)
    if contract is None:
        return found
    currencies = iso_currencies()
    for parent, key, value in _walk(record):
        if value is None:
            continue
        if key in contract.numeric:
            if contract.integers_only and (isinstance(value, bool) or not isinstance(value, int)):
                found.append(f"{key!r} should be an integer amount in minor units, got {value!r}")
                continue
            try:
                number = _as_number(value)
            except ValueError:
                found.append(f"{key!r} should be a number, got {value!r}")
                continue
            if number is not None and number < 0 and key in contract.non_negative:
                found.append(f"{key!r} should not be negative, got {value!r}")
        is_currency = key in contract.currency or (key == "value" and parent in contract.currency_parents)
        if is_currency and (not isinstance(value, str) or value.upper() not in currencies):
            found.append(f"{key!r} is not an ISO 4217 currency code: {value!r}")
    return found
