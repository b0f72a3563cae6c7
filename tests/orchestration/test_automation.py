"""Declarative automation over the real code location, on an ephemeral Dagster instance: the dbt models
follow a tenant's new rows and nothing else; each tenant's models (its partition, downstream of the
unpartitioned dbt models) refit once a day, only when their inputs changed, its goal evaluations with them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg

#: Everything the automation sensor looks after below the raw loads.
BUILT = dg.AssetSelection.groups(
    "staging", "intermediate", "marts", "metrics", "benchmarks", "ml_features", "ml", "lake"
)
TENANTS = ["tenant-a", "tenant-b"]
#: dbt models that follow the daily tick rather than every load.
MONTHLY_COMPARISONS = {
    "int_tenant_months",
    "int_tenant_metric_values",
    "int_peer_group_members",
    "peer_benchmarks",
    "tenant_benchmarks",
    "health_score_components",
    "health_score",
    "monthly_revenue_in_context",
}


def _requested(result: dg.EvaluateAutomationConditionsResult, keys: list[dg.AssetKey]) -> set[str]:
    return {key.to_user_string() for key in keys if result.get_num_requested(key)}


def _requested_checks(result: dg.EvaluateAutomationConditionsResult) -> set[str]:
    """The models whose checks the evaluation requested on their own (not riding along with a build)."""
    return {
        r.key.asset_key.to_user_string()
        for r in result.results
        if isinstance(r.key, dg.AssetCheckKey) and r.true_subset.size
    }


def _materialize(
    instance: dg.DagsterInstance, keys: list[dg.AssetKey], partitioned: set[dg.AssetKey]
) -> None:
    """A build of ``keys``: each asset after its inputs, as a run materializes them."""
    from orchestration.definitions import defs

    order = {key: i for i, key in enumerate(defs.get_repository_def().asset_graph.toposorted_asset_keys)}
    for key in sorted(keys, key=order.__getitem__):
        for partition in TENANTS if key in partitioned else [None]:
            instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=partition))


def test_models_follow_new_rows_and_skip_what_did_not_change() -> None:
    from orchestration.definitions import defs

    graph = defs.get_repository_def().asset_graph
    keys = sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string())
    partitioned = {k for k in keys if graph.get(k).partitions_def is not None}
    features = {k.to_user_string() for k in keys if graph.get(k).group_name == "ml_features"}
    assert features  # the ML assets' SQL inputs: views whose tests run at the daily tick with the refits
    forecasts, orders = dg.AssetKey("ml_forecasts"), dg.AssetKey("dlt_shopify_orders")
    day = datetime(2026, 12, 7, 4, 50, tzinfo=UTC)  # ten minutes before the models' daily tick (05:00)

    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("tenants", TENANTS)
        _materialize(instance, keys, partitioned)  # everything built once

        def evaluate(at: datetime, cursor: object = None) -> dg.EvaluateAutomationConditionsResult:
            return dg.evaluate_automation_conditions(
                defs=defs,
                instance=instance,
                asset_selection=BUILT,
                evaluation_time=at,
                cursor=cursor,  # type: ignore[arg-type]
            )

        quiet = evaluate(day)
        assert quiet.total_requested == 0  # nothing new: nothing rebuilt

        # tenant-a's Shopify load brought new orders
        instance.report_runless_asset_event(dg.AssetMaterialization(orders, partition="tenant-a"))
        loaded = evaluate(day + timedelta(minutes=2), quiet.cursor)
        requested = _requested(loaded, keys)
        assert {"stg_shopify__orders", "orders", "business_metrics_daily"} <= requested
        assert "lake_parquet" in requested  # the analysts' lake follows every build
        assert not any(name.startswith("stg_stripe__") for name in requested)  # inputs unchanged: skipped
        assert forecasts.to_user_string() not in requested  # refits wait for the daily tick
        # so do the monthly comparisons across tenants (dbt meta keel_refresh: daily)
        assert not requested & (MONTHLY_COMPARISONS | features), requested & (MONTHLY_COMPARISONS | features)
        # the rebuilt staging view's tests do not ride along with the build: they wait for the daily tick;
        # the tests of the marts do
        riding = {
            check.asset_key.to_user_string()
            for check in graph.get_check_keys_for_assets({dg.AssetKey(name) for name in requested})
            if graph.get(check).automation_condition is None
        }
        assert "orders" in riding and "stg_shopify__orders" not in riding
        assert _requested_checks(loaded) == set()
        _materialize(instance, [dg.AssetKey(name) for name in requested], partitioned)

        # nothing follows the rebuilt metrics before the tick: the goal evaluations wait for it too (an
        # hourly load leaves today's figures partial)
        settled = evaluate(day + timedelta(minutes=4), loaded.cursor)
        assert _requested(settled, keys) == set()

        # after the tick, the models whose inputs changed since they last ran refit, once
        tick = evaluate(day + timedelta(minutes=12), settled.cursor)
        refit = _requested(tick, keys)
        assert {"ml_forecasts", "ml_forecast_accuracy"} <= refit
        # the goal evaluations with them, in the same partition and tick (so in the same run, after them)
        goals = dg.AssetKey("ml_goal_evaluations")
        assert "ml_goal_evaluations" in refit and tick.get_requested_partitions(goals) == set(TENANTS)
        assert refit >= MONTHLY_COMPARISONS  # the chain from int_tenant_months to the score, in one tick
        assert "ml_hourly_orders" in refit  # a feature over the new orders; not one over unchanged inputs:
        assert "ml_marketing_spend_daily" not in refit
        # per tenant: every partition, since the metrics model they read covers every tenant
        assert tick.get_requested_partitions(forecasts) == set(TENANTS)
        assert not any(name.startswith(("stg_", "int_")) for name in refit - MONTHLY_COMPARISONS)
        assert "business_metrics_daily" not in refit
        # the tests of the views rebuilt since the last tick run now, without rebuilding the views
        assert "stg_shopify__orders" in _requested_checks(tick)
        assert not any(name.startswith("stg_stripe__") for name in _requested_checks(tick))
        _materialize(instance, [dg.AssetKey(name) for name in refit], partitioned)

        for check in {
            r.key for r in tick.results if isinstance(r.key, dg.AssetCheckKey) and r.true_subset.size
        }:
            instance.report_runless_asset_event(
                dg.AssetCheckEvaluation(check.asset_key, check.name, passed=True)
            )

        # the next day's tick with no new data refits nothing, and tests nothing again
        next_day = evaluate(day + timedelta(days=1, minutes=12), tick.cursor)
        assert _requested(next_day, keys) == set()
        assert _requested_checks(next_day) == set()


def test_a_load_between_the_build_and_the_next_evaluation_is_built_once() -> None:
    """The models' build and a new load both land between two evaluations: the load is built at the next
    one (``eager()`` alone waited for the load after it), and a build that failed is not requested again
    until new input comes."""
    from orchestration.definitions import defs

    graph = defs.get_repository_def().asset_graph
    keys = sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string())
    partitioned = {k for k in keys if graph.get(k).partitions_def is not None}
    orders, mart = dg.AssetKey("dlt_shopify_orders"), "orders"
    start = datetime(2026, 12, 7, 6, 50, tzinfo=UTC)  # well after the daily tick: no refit is due
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("tenants", TENANTS)
        _materialize(instance, keys, partitioned)
        minutes = iter(range(1, 100))

        def evaluate(cursor: object = None) -> dg.EvaluateAutomationConditionsResult:
            return dg.evaluate_automation_conditions(
                defs=defs,
                instance=instance,
                asset_selection=BUILT,
                evaluation_time=start + timedelta(minutes=next(minutes)),
                cursor=cursor,  # type: ignore[arg-type]
            )

        def load() -> None:
            instance.report_runless_asset_event(dg.AssetMaterialization(orders, partition="tenant-a"))

        quiet = evaluate()
        load()
        first = evaluate(quiet.cursor)
        assert mart in _requested(first, keys)
        failed = evaluate(first.cursor)  # the run failed: nothing was built, and nothing is asked again
        assert _requested(failed, keys) == set()
        load()
        second = evaluate(failed.cursor)
        built = _requested(second, keys)
        assert mart in built
        _materialize(instance, [dg.AssetKey(name) for name in built], partitioned)  # the build, then
        load()  # a load before the next evaluation
        caught_up = evaluate(second.cursor)
        assert {"stg_shopify__orders", mart, "business_metrics_daily"} <= _requested(caught_up, keys)
        _materialize(instance, [dg.AssetKey(n) for n in _requested(caught_up, keys)], partitioned)
        settled = evaluate(caught_up.cursor)
        assert _requested(settled, keys) == set()  # (the goal evaluations wait for the daily tick)
        assert _requested(evaluate(settled.cursor), keys) == set()
