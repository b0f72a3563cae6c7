"""The connector path of the loader (``load_connector``): a dlt source's API objects are stamped with the
tenant, checked, merged, and the next run is asked only for what changed since the loaded cursor."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import dlt
from pydantic import BaseModel

from ingestion import loader
from ingestion.demo import simulate
from ingestion.demo_load import register_tenants
from ingestion.sources import resources
from ingestion.sources.connector import Connector
from keel import warehouse
from keel.settings import KeelSettings
from keel.tenancy import create_tenant

SLUG = "north-loop-threads"  # a shop no other test loads: its pipeline state is its own


class ShopSettings(BaseModel):
    shop: str


def make_connector(objects: dict[str, list[dict[str, Any]]], seen: list[dict[str, Any]]) -> Connector:
    """A connector over objects in memory (the API side is what the Shopify and Stripe tests fake)."""

    def make_source(settings: BaseModel, secrets: Mapping[str, str], since: Mapping[str, Any]) -> Any:
        seen.append(dict(since))

        @dlt.source(name="shopify", max_table_nesting=0)
        def shop() -> Any:
            for name in ("locations", "orders"):
                yield dlt.resource(
                    [{k: v for k, v in o.items() if k != "tenant_id"} for o in objects[name]], name=name
                )

        return shop()

    return Connector(
        "shopify",
        "Shopify",
        ShopSettings,
        ("access_token",),
        tuple(s for s in resources("shopify") if s.name in ("locations", "orders")),
        make_source,
    )


def test_connector_loads_stamps_and_resumes_from_the_cursor(settings: KeelSettings) -> None:
    world = simulate(seed=11, start=date(2026, 9, 1), end=date(2026, 9, 30), tenants=[SLUG])
    register_tenants(world, with_owners=False)
    tenant = str(world.tenants[0].tenant_id)
    objects = {name: list(world.records("shopify", name, tenant)) for name in ("locations", "orders")}
    seen: list[dict[str, Any]] = []
    connector = make_connector(objects, seen)

    missing = loader.load_connector(connector, tenant, {"shop": "x.myshopify.com"}, {})
    assert missing.needs_reconnect and "access_token" in (missing.error or "")
    bad = loader.load_connector(connector, tenant, {}, {"access_token": "t"})
    assert bad.error and "shop" in bad.error and not bad.needs_reconnect

    first = loader.load_connector(connector, tenant, {"shop": "x.myshopify.com"}, {"access_token": "t"})
    assert first.ok, first.error
    assert seen[-1] == {"locations": None, "orders": None}  # nothing loaded yet: a full load
    assert first.rows["orders"] == len(objects["orders"]) > 100

    loader.load_connector(connector, tenant, {"shop": "x.myshopify.com"}, {"access_token": "t"})
    latest = max(o["updated_at"] for o in objects["orders"])
    since = seen[-1]["orders"]
    assert isinstance(since, datetime) and since == datetime.fromisoformat(latest)
    with warehouse.connect("admin") as conn:
        n, distinct = conn.execute(
            "select count(*), count(distinct id) from raw_shopify.orders where tenant_id = %s", (tenant,)
        ).fetchone()  # type: ignore[misc]
    assert n == distinct == len(objects["orders"])  # the second run added nothing


def test_many_small_batches_load_the_same_rows(settings: KeelSettings, monkeypatch: Any) -> None:
    """A resource larger than a batch loads in several Arrow batches whose columns agree (a column empty in
    one batch keeps the type it had in another), with every record once."""
    monkeypatch.setattr(loader, "BATCH_ROWS", 97)
    world = simulate(seed=12, start=date(2026, 9, 1), end=date(2026, 9, 20), tenants=["kindred-skincare"])
    demo = str(world.tenants[0].tenant_id)
    # a business of its own: other modules load the demo shop into the same raw tables
    tenant = str(create_tenant("batch-test-shop", "Batch Test Shop", currency="USD").tenant_id)
    specs = [s for s in resources("shopify") if s.name in ("customers", "orders")]
    records = {
        s.name: [{**r, "tenant_id": tenant} for r in world.records("shopify", s.name, demo)] for s in specs
    }
    assert len(records["orders"]) > 3 * 97
    result = loader.load_tenant("shopify", specs, lambda spec, since: records[spec.name], tenant)
    assert result.ok, result.error
    with warehouse.connect("admin") as conn:
        for spec in specs:
            n, distinct = conn.execute(
                f"select count(*), count(distinct id) from raw_shopify.{spec.name} where tenant_id = %s",
                (tenant,),
            ).fetchone()  # type: ignore[misc]
            valid = result.extracted[spec.name]
            assert n == distinct == valid > 0, (spec.name, n, distinct, valid)
