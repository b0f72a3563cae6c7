"""The Shopify source: a shop's orders, catalogue, customers, inventory and discounts from the Admin REST API.

``shopify_source`` is a dlt source with one resource per entry of :data:`settings.RESOURCES` (same names),
each yielding the API's objects as Shopify sends them (orders with their line items, refunds and
discounts nested). Keel's loader (:func:`ingestion.loader.load_connector`) checks, stamps, merges and
keeps the cursor; this source only asks for what changed since the ``since`` it is given, less the
look-back window:

- orders, products, customers, price rules and inventory levels: ``updated_at_min`` (mutable objects,
  merged on their id; inventory levels are appended as a stock history);
- locations: a handful per shop, read whole;
- inventory items: Shopify lists them only by id, so the ids come from the products' variants;
- discount codes: listed per price rule, for every price rule (a code's ``usage_count`` changes
  without its rule changing).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

import dlt
from pydantic import BaseModel, Field, field_validator

from ingestion.sources.connector import Connector, Since

from .helpers import ShopifyClient
from .settings import (
    API_VERSION,
    ENDPOINTS,
    INCREMENTAL,
    INVENTORY_ITEM_IDS_PER_REQUEST,
    LISTING_PARAMS,
    LOOKBACK,
    RESOURCES,
)

_SHOP = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
_API_VERSION = re.compile(r"^(\d{4}-(01|04|07|10)|unstable)$")


class ShopifySettings(BaseModel):
    """A shop's connection settings (the access token is a secret, stored apart and encrypted)."""

    shop: str = Field(description="The shop's address in Shopify, <name>.myshopify.com")
    api_version: str = Field(API_VERSION, description="Admin API version, YYYY-MM (a quarter's month)")
    base_url: str | None = Field(
        None, description="Where to send requests instead of https://<shop> (a proxy, or a test server)"
    )
    request_timeout: float = Field(30.0, gt=0, description="Seconds to wait for one answer before retrying")

    @field_validator("shop")
    @classmethod
    def _shop_domain(cls, value: str) -> str:
        shop = value.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
        if not _SHOP.match(shop):
            raise ValueError(
                f"{value!r} is not a shop address; give the shop's <name>.myshopify.com "
                "(Shopify admin: Settings > Domains)"
            )
        return shop

    @field_validator("api_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not _API_VERSION.match(value):
            raise ValueError(f"{value!r} is not an Admin API version such as {API_VERSION}")
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value


def _updated_at_min(since: datetime | None, lookback: timedelta) -> dict[str, str]:
    return {} if since is None else {"updated_at_min": (since - lookback).isoformat()}


@dlt.source(name="shopify", max_table_nesting=0)
def shopify_source(
    settings: ShopifySettings,
    secrets: Mapping[str, str],
    since: Since,
) -> Iterator[Any]:
    """One resource per Shopify resource Keel loads; ``since`` per resource name (None: everything)."""
    api = ShopifyClient(
        settings.shop,
        secrets["access_token"],
        settings.api_version,
        settings.base_url,
        timeout=settings.request_timeout,
    )

    def listing(name: str, **params: Any) -> Iterator[list[Any]]:
        path, key = ENDPOINTS[name]
        if name in INCREMENTAL:
            params = {**_updated_at_min(since.get(name), LOOKBACK), **params}
        yield from api.pages(path, key, {**LISTING_PARAMS.get(name, {}), **params})

    def location_ids() -> list[int]:
        return [o["id"] for page in api.pages(*ENDPOINTS["locations"]) for o in page if isinstance(o, dict)]

    def locations() -> Iterator[list[Any]]:
        yield from listing("locations")

    def products() -> Iterator[list[Any]]:
        yield from listing("products")

    def inventory_items() -> Iterator[list[Any]]:
        ids: list[int] = []
        for page in api.pages(*ENDPOINTS["products"], params={"fields": "id,variants"}):
            for product in page:
                variants = product.get("variants") if isinstance(product, dict) else None
                for variant in variants if isinstance(variants, list) else []:
                    if isinstance(variant, dict) and variant.get("inventory_item_id") is not None:
                        ids.append(variant["inventory_item_id"])
        for start in range(0, len(ids), INVENTORY_ITEM_IDS_PER_REQUEST):
            chunk = ids[start : start + INVENTORY_ITEM_IDS_PER_REQUEST]
            yield from listing("inventory_items", ids=",".join(str(i) for i in chunk))

    def inventory_levels() -> Iterator[list[Any]]:
        found = location_ids()
        if found:
            yield from listing("inventory_levels", location_ids=",".join(str(i) for i in found))

    def customers() -> Iterator[list[Any]]:
        yield from listing("customers")

    def orders() -> Iterator[list[Any]]:
        yield from listing("orders")

    def price_rules() -> Iterator[list[Any]]:
        yield from listing("price_rules")

    def discount_codes() -> Iterator[list[Any]]:
        path, key = ENDPOINTS["discount_codes"]
        for page in api.pages(*ENDPOINTS["price_rules"], params={"fields": "id"}):
            for rule in page:
                if isinstance(rule, dict) and rule.get("id") is not None:
                    yield from api.pages(path.format(price_rule_id=rule["id"]), key)

    readers = {
        "locations": locations,
        "products": products,
        "inventory_items": inventory_items,
        "inventory_levels": inventory_levels,
        "customers": customers,
        "orders": orders,
        "price_rules": price_rules,
        "discount_codes": discount_codes,
    }
    for spec in RESOURCES:
        yield dlt.resource(
            readers[spec.name],
            name=spec.name,
            primary_key=[key for key in spec.primary_key if key != "tenant_id"],
            write_disposition=spec.write_disposition,
        )


def make_source(settings: BaseModel, secrets: Mapping[str, str], since: Since) -> Any:
    """The connector's entry point: :func:`shopify_source` for the validated settings."""
    if not isinstance(settings, ShopifySettings):
        raise TypeError(f"Shopify needs ShopifySettings, got {type(settings).__name__}")
    return shopify_source(settings, secrets, since)


CONNECTOR = Connector(
    source="shopify",
    title="Shopify",
    config_model=ShopifySettings,
    secret_fields=("access_token",),
    resources=RESOURCES,
    make_source=make_source,
    lookback=LOOKBACK,
)
