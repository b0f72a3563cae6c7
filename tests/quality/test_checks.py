"""The quality checks and the lake in the Dagster graph: on the existing asset keys; an error holds its
tenant's models (tests/orchestration/test_tenant_models.py), never every tenant's build."""

from __future__ import annotations

import dagster as dg

from keel.settings import KeelSettings
from orchestration.definitions import defs


def test_each_checked_asset_has_an_error_check_and_a_warning_check_neither_blocking_every_tenant() -> None:
    graph = defs.resolve_asset_graph()
    specs = {
        (spec.asset_key.to_user_string(), spec.name): spec
        for checks in defs.asset_checks or []
        if isinstance(checks, dg.AssetChecksDefinition)
        for spec in checks.check_specs
        if spec.name.startswith("expectations_")
    }
    checked = ("dlt_shopify_orders", "dlt_stripe_charges", "dlt_shifts_timecards", "business_metrics_daily")
    for asset in checked:
        assert graph.has(dg.AssetKey(asset))
        assert specs[(asset, "expectations_errors")].blocking is False
        assert specs[(asset, "expectations_warnings")].blocking is False


def test_the_lake_is_built_after_the_marts_and_metrics() -> None:
    graph = defs.resolve_asset_graph()
    parents = graph.get(dg.AssetKey("lake_parquet")).parent_keys
    marts = {dg.AssetKey("business_metrics_daily"), dg.AssetKey("orders"), dg.AssetKey("order_lines")}
    assert marts <= parents
    assert all(graph.has(key) for key in parents)


def test_the_demo_checks_its_businesses_and_not_their_benchmark_peers(demo_warehouse: KeelSettings) -> None:
    """The quality suites run for every business of the demo; its benchmark peers only feed the benchmarks."""
    from keel import warehouse

    with warehouse.connect("admin", settings=demo_warehouse) as conn:
        checked = dict(
            conn.execute(
                "select t.is_benchmark_peer, count(distinct q.tenant_id) from ml.quality_results q "
                "join app.tenants t on t.tenant_id::text = q.tenant_id::text group by 1"
            ).fetchall()
        )
        peers = conn.execute("select count(*) from app.tenants where is_benchmark_peer").fetchone()
    assert peers is not None and peers[0] > 0  # the demo has peers, loaded like the businesses
    assert checked.get(True, 0) == 0
    assert checked.get(False, 0) == 7  # the shared demo warehouse's seven businesses
