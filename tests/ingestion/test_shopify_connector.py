"""The Shopify connector against a fake Admin REST API on 127.0.0.1 (tests/ingestion/shopify_fake.py),
with the real client, dlt and the embedded warehouse: a full load equals the fake's contents; a second run
asks only for what changed and loads nothing new; objects changed on the fake are updated; a run killed
with SIGKILL half-way converges on the next; a bad object is quarantined while the rest load; 429s,
5xx and timeouts are retried; a cut-off page fails the load cleanly and the next run completes; a
revoked token asks the owner to reconnect; the client paces itself by the call-limit header; a late edit
stamped before the last loaded change is merged through the look-back window."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingestion import loader
from ingestion.demo import DemoWorld, simulate
from ingestion.sources.connector import ConnectorConfigError
from ingestion.sources.shopify import CONNECTOR, ShopifySettings
from ingestion.sources.shopify.helpers import ShopifyClient, wait_for_bucket
from ingestion.sources.shopify.settings import API_VERSION, LOOKBACK
from ingestion.sources.shopify.settings import RESOURCES as RESOURCES_SPECS
from keel import tenancy, warehouse
from keel.settings import KeelSettings

from .shopify_fake import RESOURCES, FakeShopify

SLUG = "paper-lantern-books"
#: Around the HOLIDAY25 promotion (from 2025-12-01), so price rules and discount codes exist.
START, END = date(2025, 11, 24), date(2025, 12, 14)
TOKEN = "shpat_0123456789abcdef0123456789abcdef"
#: Keys by which the loaded rows are compared with the fake's objects.
KEYS = {name: ("id",) for name in RESOURCES} | {
    "inventory_levels": ("inventory_item_id", "location_id", "updated_at")
}


@pytest.fixture(scope="module")
def world() -> DemoWorld:
    return simulate(seed=7, start=START, end=END, scale=0.5, tenants=[SLUG])


@pytest.fixture(scope="module")
def demo_objects(world: DemoWorld) -> dict[str, list[dict[str, Any]]]:
    with FakeShopify.serving(world, str(world.tenants[0].tenant_id), TOKEN) as fake:
        return fake.objects


@pytest.fixture
def fake(demo_objects: dict[str, list[dict[str, Any]]]) -> Iterator[FakeShopify]:
    with FakeShopify(copy.deepcopy(demo_objects), TOKEN) as shop:
        yield shop


@pytest.fixture
def tenant(settings: KeelSettings, world: DemoWorld) -> str:
    """A new tenant (not a demo one) like the simulated bookshop: its data comes only from the connector."""
    profile = world.tenants[0]
    slug = f"shop-{uuid.uuid4().hex[:8]}"
    made = tenancy.create_tenant(
        slug, "Lantern Test Books", timezone=profile.timezone, currency=profile.currency
    )
    return str(made.tenant_id)


def config(fake: FakeShopify, **extra: Any) -> dict[str, Any]:
    return {"shop": "lantern-books.myshopify.com", "base_url": fake.url, **extra}


def load(fake: FakeShopify, tenant: str, token: str = TOKEN, **extra: Any) -> loader.TenantLoad:
    return loader.load_connector(CONNECTOR, tenant, config(fake, **extra), {"access_token": token})


def loaded(tenant: str, resource: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The tenant's rows of ``raw_shopify.<resource>`` by key (timestamps of the key as ISO text)."""
    keys = KEYS[resource]
    with warehouse.connect("admin") as conn:
        if conn.execute("select to_regclass(%s)", (f"raw_shopify.{resource}",)).fetchone() == (None,):
            return {}
        cursor = conn.execute(f"select * from raw_shopify.{resource} where tenant_id = %s", (tenant,))
        names = [c.name for c in cursor.description or []]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(_text(row[k]) for k in keys)
        assert key not in out, f"duplicate {resource} row {key}"
        out[key] = row
    return out


def _text(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def assert_equals_fake(fake: FakeShopify, tenant: str) -> None:
    """Every object the fake serves is loaded once, and nothing else: counts and keys per resource."""
    for resource in RESOURCES:
        expected = {tuple(_text(o[k]) for k in KEYS[resource]) for o in fake.objects[resource]}
        rows = loaded(tenant, resource)
        assert len(rows) == len(expected), resource
        if resource != "inventory_levels":  # its timestamps come back from the warehouse reformatted
            assert set(rows) == expected, resource


def latest_changes(fake: FakeShopify) -> dict[str, datetime | None]:
    """Per resource, the latest ``updated_at`` the fake serves (what a load leaves as its cursor)."""
    return {
        name: max((datetime.fromisoformat(o["updated_at"]) for o in objects), default=None)
        for name, objects in fake.objects.items()
    }


def in_look_back_window(
    fake: FakeShopify, cursors: dict[str, datetime | None] | None = None
) -> dict[str, int]:
    """Per resource, how many objects the next run merges: the merged ones changed at or after the
    loaded cursor less the look-back window (appended ones: only those after the cursor)."""
    cursors = cursors or latest_changes(fake)
    counts = {}
    for spec in RESOURCES_SPECS:
        cursor = cursors[spec.name]
        stamps = [datetime.fromisoformat(o["updated_at"]) for o in fake.objects[spec.name]]
        if cursor is None:
            counts[spec.name] = len(stamps)
        elif spec.write_disposition == "merge":
            counts[spec.name] = sum(1 for t in stamps if t >= cursor - LOOKBACK)
        else:
            counts[spec.name] = sum(1 for t in stamps if t > cursor)
    return counts


def test_settings_are_validated_with_words_for_each_field() -> None:
    parsed = CONNECTOR.parse_config({"shop": " https://Lantern-Books.myshopify.com/ "})
    assert isinstance(parsed, ShopifySettings)
    assert parsed.shop == "lantern-books.myshopify.com" and parsed.api_version == API_VERSION
    with pytest.raises(ConnectorConfigError) as bad:
        CONNECTOR.parse_config({"shop": "lantern-books.com", "api_version": "2025-02", "base_url": "ftp://x"})
    message = str(bad.value)
    assert "shop" in message and "myshopify.com" in message
    assert "api_version" in message and "2025-02" in message
    assert "base_url" in message


def test_client_paces_itself_by_the_call_limit_header(demo_objects: dict[str, list[dict[str, Any]]]) -> None:
    waits: list[float] = []
    assert wait_for_bucket("10/40", waits.append) == 0.0 and waits == []
    assert wait_for_bucket("36/40", waits.append) == pytest.approx(2.5)  # 5 calls over 32, at 2 a second
    assert wait_for_bucket("garbage", waits.append) == 0.0

    with FakeShopify(copy.deepcopy(demo_objects), TOKEN) as shop:
        shop.fill_bucket(34.0)  # the owner's other apps have used most of the bucket
        client = ShopifyClient("lantern-books.myshopify.com", TOKEN, API_VERSION, shop.url, page_size=100)
        started = time.monotonic()
        orders = [o for page in client.pages("orders.json", "orders", {"status": "any"}) for o in page]
        elapsed = time.monotonic() - started
        assert len(orders) == len(shop.objects["orders"])
        statuses = [r.status for r in shop.seen("orders")]
        assert len(statuses) > 3 and set(statuses) == {200}  # it slowed down instead of meeting a 429
        assert elapsed > 2.0


def test_full_load_second_run_and_changes(fake: FakeShopify, tenant: str) -> None:
    first = load(fake, tenant)
    assert first.ok, first.error
    assert first.rejected == 0
    assert_equals_fake(fake, tenant)
    for resource in RESOURCES:
        assert len(fake.objects[resource]) > 0, resource
        assert first.rows[resource] == len(fake.objects[resource]), resource
    # orders of every status came, with their nested lists as Shopify sends them
    assert all(r.params.get("status") == "any" for r in fake.seen("orders") if "page_info" not in r.params)
    assert any(o["closed_at"] is not None for o in fake.objects["orders"])
    order = next(o for o in fake.objects["orders"] if o["refunds"] and o["discount_codes"])
    row = loaded(tenant, "orders")[(order["id"],)]
    assert row["total_price"] == order["total_price"]
    assert json.loads(row["line_items"]) == order["line_items"]
    assert (
        json.loads(row["refunds"])[0]["transactions"][0]["amount"]
        == order["refunds"][0]["transactions"][0]["amount"]
    )
    assert json.loads(row["discount_codes"])[0]["code"] == "HOLIDAY25"
    assert len(fake.seen("orders")) > 1  # paged through the Link header

    # a second run asks only for what changed since the loaded cursor (less the look-back) and adds nothing
    before = len(fake.requests)
    second = load(fake, tenant)
    assert second.ok, second.error
    assert second.rows == in_look_back_window(fake)  # merged again unchanged, nothing else
    assert_equals_fake(fake, tenant)
    again = fake.requests[before:]
    for resource in ("orders", "products", "customers", "price_rules"):
        firsts = [r for r in again if r.endpoint == resource and r.params.get("fields") is None]
        assert firsts and all("updated_at_min" in r.params for r in firsts), resource
    levels = [r for r in again if r.endpoint == "inventory_levels"]
    assert levels and all("updated_at_min" in r.params for r in levels)

    # the shop changes: a price edit, a refund on an old order, a new order; the next run takes them
    cursors = latest_changes(fake)
    product = fake.objects["products"][0]
    product["variants"][0]["price"] = "99.50"
    product["updated_at"] = "2025-12-21T09:00:00-05:00"
    old = next(o for o in fake.objects["orders"] if not o["refunds"])
    old["financial_status"] = "refunded"
    old["updated_at"] = "2025-12-21T10:00:00-05:00"
    # and an edit that Shopify shows only now, stamped before the latest change already loaded: the
    # look-back window asks for it again, and the loader merges it instead of dropping it as old
    latest = cursors["orders"]
    assert latest is not None
    late = next(o for o in fake.objects["orders"] if not o["refunds"] and o is not old)
    late["note"] = "gift wrap"
    late["updated_at"] = (latest - timedelta(minutes=20)).isoformat()
    new = copy.deepcopy(fake.objects["orders"][-1])
    new["id"] = 9_000_000_001
    new["created_at"] = new["updated_at"] = "2025-12-21T11:00:00-05:00"
    fake.objects["orders"].append(new)
    third = load(fake, tenant)
    assert third.ok, third.error
    assert third.rows == in_look_back_window(fake, cursors)
    assert third.rows["orders"] >= 2
    assert_equals_fake(fake, tenant)
    assert json.loads(loaded(tenant, "products")[(product["id"],)]["variants"])[0]["price"] == "99.50"
    assert loaded(tenant, "orders")[(old["id"],)]["financial_status"] == "refunded"
    assert loaded(tenant, "orders")[(late["id"],)]["note"] == "gift wrap"


def test_bad_object_is_quarantined_and_the_rest_load(fake: FakeShopify, tenant: str) -> None:
    broken = fake.objects["orders"][5]
    broken["total_price"] = "free"
    result = load(fake, tenant)
    assert result.ok, result.error
    assert result.rejected == 1
    rows = loaded(tenant, "orders")
    assert len(rows) == len(fake.objects["orders"]) - 1 and (broken["id"],) not in rows
    with warehouse.connect("admin") as conn:
        found = conn.execute(
            "select resource, record_key, problems from raw_shopify.rejected_records where tenant_id = %s",
            (tenant,),
        ).fetchall()
    assert len(found) == 1
    resource, key, problems = found[0]
    assert resource == "orders" and str(broken["id"]) in key and "total_price" in problems


def test_429_5xx_and_timeouts_are_retried(fake: FakeShopify, tenant: str) -> None:
    fake.leak_per_second = 40.0  # drains within the Retry-After
    fake.retry_after = 2.0  # Shopify's own "2.0" (longer than dlt's first back-off of 1 s)
    fake.fill_bucket()  # full: the first call gets a 429 + Retry-After
    fake.fault("429", "customers")
    fake.fault("500", "orders")
    fake.fault("503", "products")
    fake.fault("timeout", "inventory_levels")
    result = load(fake, tenant, request_timeout=1.0)
    assert result.ok, result.error
    assert_equals_fake(fake, tenant)
    statuses = [r.status for r in fake.requests]
    assert statuses.count(429) == 2 and 500 in statuses and 503 in statuses
    for seen in fake.requests:
        if seen.status == 429:  # Shopify's "Retry-After: 2.0" was honoured before asking again
            retried = min(r.at for r in fake.requests if r.path == seen.path and r.at > seen.at)
            assert retried - seen.at >= 1.95
    assert len(fake.seen("inventory_levels")) >= 2  # the one that timed out was asked again


def test_truncated_page_fails_cleanly_and_the_next_run_completes(fake: FakeShopify, tenant: str) -> None:
    fake.fault("truncated", "orders")
    failed = load(fake, tenant)
    assert not failed.ok and not failed.needs_reconnect
    assert "ShopifyPayloadError" in (failed.error or "") and "/admin/api/" in (failed.error or "")
    assert "orders.json" in (failed.error or "") and TOKEN not in (failed.error or "")
    assert loaded(tenant, "orders") == {}  # nothing half-loaded
    retried = load(fake, tenant)
    assert retried.ok, retried.error
    assert_equals_fake(fake, tenant)


def test_revoked_token_asks_to_reconnect(fake: FakeShopify, tenant: str) -> None:
    result = load(fake, tenant, token="shpat_revoked")
    assert not result.ok and result.needs_reconnect
    assert "reconnect" in (result.error or "") and "lantern-books.myshopify.com" in (result.error or "")
    assert "shpat_revoked" not in (result.error or "")
    assert all(r.status == 401 for r in fake.requests) and len(fake.requests) == 1  # not retried


def test_run_killed_half_way_resumes_from_its_cursor_and_converges(fake: FakeShopify, tenant: str) -> None:
    first = load(fake, tenant)
    assert first.ok, first.error
    cursors = latest_changes(fake)
    # the shop moves on: 300 orders change (refunds, fulfilment) and 20 new ones come in
    for n, order in enumerate(fake.objects["orders"][:300]):
        order["updated_at"] = f"2025-12-15T{8 + n // 60:02d}:{n % 60:02d}:00-05:00"
        order["note"] = "changed after the first load"
    for n in range(20):
        new = copy.deepcopy(fake.objects["orders"][-1])
        new["id"] = 9_100_000_000 + n
        new["created_at"] = new["updated_at"] = f"2025-12-15T14:{n:02d}:00-05:00"
        fake.objects["orders"].append(new)

    fake.page_delay = 0.25  # slow answers, so the kill lands while pages are being read
    script = (
        "import sys\n"
        "from ingestion import loader\n"
        "from ingestion.sources.shopify import CONNECTOR\n"
        "loader.load_connector(CONNECTOR, sys.argv[1], {'shop': 'lantern-books.myshopify.com', "
        "'base_url': sys.argv[2]}, {'access_token': sys.argv[3]})\n"
    )
    before = fake.served_pages()
    process = subprocess.Popen(
        [sys.executable, "-c", script, tenant, fake.url, TOKEN],
        cwd=Path(__file__).resolve().parents[2],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while fake.served_pages() < before + 4 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process.poll() is None, "the load finished before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    killed_after = fake.served_pages() - before
    assert not any(r.endpoint == "price_rules" for r in fake.requests[len(fake.requests) - killed_after :])

    fake.page_delay = 0.0
    resumed_from = len(fake.requests)
    result = load(fake, tenant)
    assert result.ok, result.error
    # it asked again from the cursor the first load committed (less the look-back), not from scratch
    orders_cursor = cursors["orders"]
    assert orders_cursor is not None
    asked = [
        r for r in fake.requests[resumed_from:] if r.endpoint == "orders" and "page_info" not in r.params
    ]
    assert len(asked) == 1
    assert datetime.fromisoformat(asked[0].params["updated_at_min"]) == orders_cursor - LOOKBACK
    assert result.rows == in_look_back_window(fake, cursors)
    assert_equals_fake(fake, tenant)  # no duplicates, nothing lost
    notes = [row["note"] for row in loaded(tenant, "orders").values()]
    assert notes.count("changed after the first load") == 300
