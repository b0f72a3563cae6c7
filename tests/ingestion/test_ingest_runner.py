"""The ingest runner (``ingestion.run``): a tenant's configured sources load in turn, a failing one does not
stop the next, every load is recorded per resource in ``app.source_loads``, and one tenant never sees
another's loads."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from datetime import date
from functools import cache
from typing import Any

import dlt
import psycopg
import pytest
from cryptography.fernet import Fernet
from pydantic import BaseModel

from ingestion import run
from ingestion.demo import simulate
from ingestion.demo_load import load_sources
from ingestion.sources import resources
from ingestion.sources.connector import Connector, ConnectorAuthError
from keel import tenancy, warehouse
from keel.settings import KeelSettings

RESOURCES = ("locations", "orders")
REVOKED = "revoked-token-0000"


class ShopSettings(BaseModel):
    shop: str


@cache
def shop_objects() -> dict[str, list[dict[str, Any]]]:
    """A month of one demo shop's API objects (without the tenant: the loader stamps it)."""
    world = simulate(seed=5, start=date(2026, 9, 1), end=date(2026, 9, 30), tenants=["paper-lantern-books"])
    tenant = str(world.tenants[0].tenant_id)
    return {
        name: [
            {k: v for k, v in o.items() if k != "tenant_id"} for o in world.records("shopify", name, tenant)
        ]
        for name in RESOURCES
    }


def shop_connector() -> Connector:
    """A Shopify-shaped connector over objects in memory; the token ``REVOKED`` is refused mid-load."""

    def make_source(settings: BaseModel, secrets: Mapping[str, str], since: Mapping[str, Any]) -> Any:
        objects = shop_objects()

        def pages(name: str) -> Iterator[dict[str, Any]]:
            if secrets["access_token"] == REVOKED:
                raise ConnectorAuthError("401 Unauthorized: the access token was revoked")
            yield from objects[name]

        @dlt.source(name="shopify", max_table_nesting=0)
        def shop() -> Any:
            for name in RESOURCES:
                yield dlt.resource(pages(name), name=name)

        return shop()

    return Connector(
        "shopify",
        "Shopify",
        ShopSettings,
        ("access_token",),
        tuple(s for s in resources("shopify") if s.name in RESOURCES),
        make_source,
    )


def new_tenant(slug: str) -> uuid.UUID:
    return tenancy.create_tenant(slug, slug.replace("-", " ").title(), industry="retail_shop").tenant_id


def test_a_failing_source_does_not_stop_the_next_and_every_load_is_recorded(settings: KeelSettings) -> None:
    tenant = new_tenant("runner-two-shops")
    tenancy.save_data_source(
        tenant, "shopify", "a-old-shop", {"shop": "old.myshopify.com"}, {"access_token": REVOKED}
    )
    tenancy.save_data_source(
        tenant, "shopify", "b-main-shop", {"shop": "main.myshopify.com"}, {"access_token": "shpat_good_12345"}
    )
    tenancy.save_data_source(tenant, "quickbooks", "books", {"realm": "1"}, {"refresh_token": "rt-123456789"})
    tenancy.save_data_source(
        tenant, "shopify", "c-other-key", {"shop": "c.myshopify.com"}, {"access_token": "t"}
    )
    with warehouse.connect("keel_app", tenant_id=tenant) as conn:  # saved under a key Keel no longer has
        conn.execute(
            "update app.data_sources set secrets_encrypted = %s where name = 'c-other-key'",
            (Fernet(Fernet.generate_key()).encrypt(b'{"access_token": "t"}'),),
        )
    seen: dict[tuple[str, str], int] = {}
    finished: list[str] = []

    runs = run.run_tenant_sources(
        tenant,
        progress=lambda source, resource, count: seen.__setitem__((source.name, resource), count),
        finished=lambda r: finished.append(r.name),
        connectors={"shopify": shop_connector()},
    )

    assert [r.name for r in runs] == finished == ["books", "a-old-shop", "b-main-shop", "c-other-key"]
    books, old, main, other_key = runs
    assert other_key.load.needs_reconnect and "cannot be read" in (other_key.load.error or "")
    assert not books.ok and "no connector for quickbooks" in (books.load.error or "")
    assert not old.ok and old.load.needs_reconnect and "revoked" in (old.load.error or "")
    assert main.ok, main.load.error
    orders = len(shop_objects()["orders"])
    assert main.load.rows["orders"] == orders > 50
    assert seen[("b-main-shop", "orders")] == orders  # the progress callback counted every record

    statuses = {(s.source_name, s.resource): s for s in run.latest_loads(tenant)}
    assert statuses[("b-main-shop", "orders")].rows == orders
    assert statuses[("b-main-shop", "orders")].ok and statuses[("b-main-shop", "orders")].cursor is not None
    assert statuses[("a-old-shop", "orders")].needs_reconnect
    assert statuses[("books", "invoices")].error is not None
    sources = {s.name: s for s in tenancy.list_data_sources(tenant)}
    assert sources["b-main-shop"].last_loaded_at is not None
    assert sources["a-old-shop"].last_loaded_at is None

    # A second run loads nothing new; its rows are the latest status.
    again = run.run_tenant_sources(tenant, source="shopify", connectors={"shopify": shop_connector()})
    assert [r.name for r in again] == ["a-old-shop", "b-main-shop", "c-other-key"]
    assert again[1].load.rows["orders"] == 0
    assert {s.resource: s.rows for s in run.latest_loads(tenant) if s.source_name == "b-main-shop"} == {
        "locations": 0,
        "orders": 0,
    }


def test_a_tenant_reads_only_its_own_loads(settings: KeelSettings) -> None:
    a, b = new_tenant("runner-iso-a"), new_tenant("runner-iso-b")
    for tenant in (a, b):
        load = run.TenantLoad("shopify", str(tenant), rows={"orders": 3}, rejected_by_resource={"orders": 1})
        run.record_loads(tenant, load, ["orders"], provider="file")
    with warehouse.connect("keel_app", tenant_id=a) as conn:
        tenants = conn.execute("select distinct tenant_id from app.source_loads").fetchall()
        assert tenants == [(a,)]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # owners read their loads, never write them
            conn.execute(
                "insert into app.source_loads (run_id, tenant_id, source, resource, started_at, finished_at) "
                "values (gen_random_uuid(), %s, 'shopify', 'orders', now(), now())",
                (a,),
            )
    assert {s.tenant_id for s in run.latest_loads(a)} == {a}
    assert [(s.rows, s.rejected, s.provider) for s in run.latest_loads(b)] == [(3, 1, "file")]
    everyone = {s.tenant_id for s in run.latest_loads()}  # the operator's view, as keel_loader
    assert {a, b} <= everyone


def test_demo_loads_are_recorded_as_the_demo_providers(settings: KeelSettings) -> None:
    world = simulate(seed=3, start=date(2026, 10, 1), end=date(2026, 10, 10), tenants=["formwise"])
    from ingestion.demo_load import register_tenants

    register_tenants(world, with_owners=False)
    tenant = world.tenants[0].tenant_id
    results = load_sources(world, ["stripe"])
    assert all(r.ok for r in results)
    statuses = run.latest_loads(tenant)
    assert {s.resource for s in statuses} == {spec.name for spec in resources("stripe")}
    assert {s.provider for s in statuses} == {"demo"}
    loaded = {s.resource: s.rows for s in statuses}
    assert loaded == {name: results[0].rows[name] for name in loaded}
    # the demo gave records (other test modules may have loaded this business's later days already, so
    # what was new to the warehouse can be nothing)
    assert results[0].extracted["charges"] > 0
