"""Native-looking, stable identifiers and money formats of the demo sources.

Shopify: 64-bit integers (kept below 2**53 so JSON readers never round them), in a block per tenant.
Stripe: prefixed random-looking ids (`ch_`, `cus_`, `sub_` ...) derived from a hash, 24 characters.
QuickBooks: decimal strings numbered per company. Homebase: integers. Ads: numeric strings.
None of them depend on the seed: an object keeps its id across seeds and runs, only its content changes.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from .keyed_random import stable_hash64

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

SHOPIFY_BASES = {
    "location": 60_000_000_000,
    "price_rule": 1_100_000_000_000,
    "refund": 920_000_000_000,
    "order": 5_100_000_000_000,
    "transaction": 6_100_000_000_000,
    "customer": 7_100_000_000_000,
    "product": 8_100_000_000_000,
    "line_item": 13_100_000_000_000,
    "refund_line_item": 3_100_000_000_000,
    "discount_code": 16_100_000_000_000,
    "option": 10_100_000_000_000,
    "variant": 44_100_000_000_000,
    "inventory_item": 46_100_000_000_000,
}
TENANT_BLOCK = 1_000_000_000  # ids per tenant and object kind


@lru_cache(maxsize=256)
def tenant_block(slug: str) -> int:
    return stable_hash64(f"block:{slug}") % 997


def shopify_id(kind: str, slug: str, seq: int) -> int:
    return SHOPIFY_BASES[kind] + tenant_block(slug) * TENANT_BLOCK + seq


#: Two base-62 digits at a time, least significant first (a demo load makes hundreds of thousands of ids).
_BASE62_PAIRS = [_BASE62[rest % 62] + _BASE62[rest // 62] for rest in range(62 * 62)]


def stripe_id(prefix: str, slug: str, kind: str, key: object) -> str:
    """``<prefix>_`` and 24 base-62 digits of a hash of the object's key, least significant first."""
    digest = hashlib.blake2b(f"{slug}:{kind}:{key}".encode(), digest_size=18).digest()
    number = int.from_bytes(digest, "big")
    pairs = []
    for _ in range(12):
        number, rest = divmod(number, 62 * 62)
        pairs.append(_BASE62_PAIRS[rest])
    return f"{prefix}_{''.join(pairs)}"


HOMEBASE_BASES = {  # kind: (base, ids per tenant)
    "employee": (40_000_000, 10_000),
    "job": (70_000_000, 10_000),
    "timecard": (300_000_000, 10_000_000),
    "break": (20_000_000_000, 10_000_000),
}


def homebase_id(kind: str, slug: str, seq: int) -> int:
    base, span = HOMEBASE_BASES[kind]
    return base + tenant_block(slug) * span + seq


def numeric_string_id(slug: str, kind: str, key: object, digits: int) -> str:
    value = stable_hash64(f"{slug}:{kind}:{key}") % (9 * 10 ** (digits - 1))
    return str(10 ** (digits - 1) + value)


@lru_cache(maxsize=200_000)
def money(cents: int) -> str:
    """Decimal string with two places, as Shopify and Meta send money."""
    sign = "-" if cents < 0 else ""
    cents = abs(int(cents))
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def money_float(cents: int) -> float:
    """JSON number with two places, as QuickBooks sends money."""
    return round(int(cents) / 100.0, 2)
