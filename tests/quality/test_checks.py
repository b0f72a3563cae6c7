"""The quality checks and the lake in the Dagster graph: on the existing asset keys, errors blocking."""

from __future__ import annotations

import dagster as dg

from orchestration.definitions import defs


def test_each_checked_asset_has_a_blocking_error_check_and_a_warning_check() -> None:
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
        assert specs[(asset, "expectations_errors")].blocking is True
        assert specs[(asset, "expectations_warnings")].blocking is False


def test_the_lake_is_built_after_the_marts_and_metrics() -> None:
    graph = defs.resolve_asset_graph()
    parents = graph.get(dg.AssetKey("lake_parquet")).parent_keys
    marts = {dg.AssetKey("business_metrics_daily"), dg.AssetKey("orders"), dg.AssetKey("order_lines")}
    assert marts <= parents
    assert all(graph.has(key) for key in parents)
