"""A tenant whose Shopify data came through the connector gets the same warehouse as a demo tenant.

A new tenant (not a demo one) connects a shop: the fake Admin API on 127.0.0.1 serves the simulator's
objects of a demo shop, the connector loads them, and the same objects go in for the demo tenant through
the demo's own path. After one dbt run, the two tenants' staging, marts and daily metrics agree day by day
and to the cent, and the forecasting asset forecasts the connector tenant's revenue and orders.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from dbt.cli.main import dbtRunnerResult

from ingestion import loader
from ingestion.demo import simulate
from ingestion.demo_load import load_sources, register_tenants
from ingestion.sources.shopify import CONNECTOR
from keel import tenancy, warehouse
from keel.settings import KeelSettings
from orchestration.defs.ml.forecasts import ml_forecasting
from tests.conftest import database_of_its_own
from tests.dbt_run import failures, run_dbt
from tests.ingestion.shopify_fake import FakeShopify
from tests.partitioned import materialize_tenants

pytestmark = pytest.mark.dbt_build

DEMO = "trailhead-outfitters"  # a shop no other test loads
START, END = date(2026, 3, 1), date(2026, 5, 31)
TOKEN = "shpat_e2e0123456789abcdef0123456789ab"
HORIZON = 7
COMPARED = ("revenue_gross", "discounts", "refunds", "revenue_net", "orders", "cogs", "new_customers")


@dataclass(frozen=True)
class Built:
    demo_tenant: str
    connector_tenant: str
    connector_slug: str
    connector_load: loader.TenantLoad
    run: dbtRunnerResult


@pytest.fixture(scope="module")
def built(settings: KeelSettings, tmp_path_factory: pytest.TempPathFactory) -> Built:
    world = simulate(seed=3, start=START, end=END, scale=0.5, tenants=[DEMO])
    register_tenants(world, with_owners=False)
    demo = world.tenants[0]
    demo_results = load_sources(world, ["shopify"])
    assert all(r.ok for r in demo_results), [r.error for r in demo_results]

    slug = f"trail-shop-{uuid.uuid4().hex[:6]}"
    tenant = tenancy.create_tenant(
        slug,
        "Trail Shop",
        industry=demo.industry,
        naics_code=demo.naics_code,
        size_band=demo.size_band,
        region=demo.region,
        country=demo.country,
        timezone=demo.timezone,
        currency=demo.currency,
    )
    with FakeShopify.serving(world, str(demo.tenant_id), TOKEN) as fake:
        result = loader.load_connector(
            CONNECTOR,
            str(tenant.tenant_id),
            {"shop": "trail-shop.myshopify.com", "base_url": fake.url},
            {"access_token": TOKEN},
        )
    assert result.ok, result.error

    work_dir = tmp_path_factory.mktemp("dbt_connector")
    warehouse.write_dbt_profiles(work_dir / "profiles", settings)
    run = run_dbt(work_dir, "run", "--select", "+business_metrics_daily")
    return Built(str(demo.tenant_id), str(tenant.tenant_id), slug, result, run)


def _rows(sql: str, tenant: str) -> list[tuple[Any, ...]]:
    with warehouse.connect("admin") as conn:
        return [tuple(row) for row in conn.execute(sql, (tenant,)).fetchall()]


def test_connector_tenant_gets_the_demo_tenants_marts_and_metrics(built: Built) -> None:
    assert built.run.success, failures(built.run)
    assert built.connector_load.rows["orders"] > 500

    daily = f"select metric_date, {', '.join(COMPARED)} from metrics.business_metrics_daily "
    daily += "where tenant_id = %s order by metric_date"
    demo_days = _rows(daily, built.demo_tenant)
    connector_days = _rows(daily, built.connector_tenant)
    assert len(demo_days) >= 90
    assert connector_days == demo_days
    assert sum(day[COMPARED.index("orders") + 1] for day in connector_days) > 500

    orders = "select count(*), count(distinct order_id), sum(net_sales), sum(total_amount) from marts.orders "
    orders += "where tenant_id = %s"
    assert _rows(orders, built.connector_tenant) == _rows(orders, built.demo_tenant)
    for table in ("order_lines", "refunds", "customers", "products", "inventory"):
        count = f"select count(*) from marts.{table} where tenant_id = %s"
        assert _rows(count, built.connector_tenant) == _rows(count, built.demo_tenant), table
        assert _rows(count, built.connector_tenant)[0][0] > 0, table


def test_forecast_asset_forecasts_the_connector_tenant(built: Built) -> None:
    assert built.run.success, failures(built.run)
    config = {"n_jobs": 1, "horizon": HORIZON, "models": ["SeasonalNaive", "AutoETS"]}
    result = materialize_tenants(
        [ml_forecasting], [built.connector_slug], {"ops": {"ml_forecasting": {"config": config}}}
    )[built.connector_slug]
    assert result.success
    chosen = _rows(
        "select metric, count(*), min(point) from ml.forecasts where tenant_id = %s and is_chosen "
        "group by metric order by metric",
        built.connector_tenant,
    )
    by_metric = {metric: (days, low) for metric, days, low in chosen}
    assert by_metric["revenue_net"][0] == HORIZON and by_metric["orders"][0] == HORIZON
    assert by_metric["revenue_net"][1] is not None


@pytest.fixture(scope="module")
def settings(keel_home: Path) -> Iterator[KeelSettings]:
    """This module's own database: it loads demo businesses and counts or builds over all of them."""
    with database_of_its_own(keel_home, "connector_tenant") as own:
        yield own
