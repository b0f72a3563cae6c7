"""dbt models as Dagster assets, grouped by the folder they live in; dbt tests as asset checks.

Sources point at the dlt assets (``meta.dagster.asset_key`` in the sources YAML), so raw tables,
staging, marts and metrics are one lineage graph.

A run rebuilds ``business_metrics_daily`` for the last ``metrics_lookback_days`` of each tenant. To
rebuild chosen days (a backfill), materialize it with the run config ``first_day``/``last_day``: they
reach the model as ``--vars {min_date, max_date}`` and only those days are deleted and rebuilt. (Daily
partitions were tried: a partitioned dbt asset set makes ``keel_all`` a partitioned job and splits the
remaining models into four dbt invocations around it, for a window that a run config gives as well.)

The models stay one unpartitioned ``dbt build`` downstream of every tenant's partition rather than one
invocation per tenant. Measured on the small demo (2 tenants from 2026-07-01, busy machine, commit
7f5b324): the dbt step took 133.9 s for 369 nodes (97 models, 254 data tests, 13 unit tests, 5 seeds), of
which 11 s passed before the dbt command started; a repeat with no new data took 251.4 s, 54% of the run.
Per tenant, every one of 14 tenants would pay the fixed start and walk all 369 nodes (71 views and the
tests cost per node, whatever the data), 14 invocations instead of one; a per-tenant run was not measured.
The tenants' isolation does not need per-tenant dbt: every model keeps ``tenant_id`` and row-level
security, and a build is skipped entirely when no tenant brought new rows (the automation below).

Automation: the models refresh when their inputs change (``ON_NEW_INPUTS``, orchestration.defs.automation:
a tenant's load that brought new rows materializes its source assets, and the models follow once; a
refresh with nothing new materializes nothing, so nothing is rebuilt). The monthly comparisons (peer
benchmarks, the health score, revenue in context: ``meta: {keel_refresh: daily}`` in dbt_project.yml)
follow the models' daily tick instead (``DAILY_ON_NEW_INPUTS``): they compare whole months across all
tenants, so rebuilding them after every hourly load would cost a full pass over every tenant's months for a
figure that moves once a day at most. Marts, metrics and benchmarks declare how fresh they must be (a
time-window freshness policy shown in the Dagster UI); ``metrics_not_behind_sources`` fails for the tenants
whose newest loaded data the metrics have not caught up with, and alerts them.

A run builds the models and their data tests, not dbt's unit tests: those check the SQL against fixed
rows, so they belong to the test suite (``tests/dbt`` runs them in every build), as dbt recommends for
production runs.
"""

import json
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from keel import telemetry
from orchestration.defs.automation import DAILY_ON_NEW_INPUTS, ON_NEW_INPUTS
from orchestration.defs.dbt.project import (
    checked_manifest,
    dbt_project,
    keep_parse_state,
    known_version,
    run_profiles_dir,
    run_target_path,
)

#: The owner-facing tables: rebuilt within a day of new data, or they are stale.
FRESH_GROUPS = frozenset({"marts", "metrics", "benchmarks"})
MART_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=48), warn_window=timedelta(hours=26)
)
#: dbt ``meta`` key of a model's refresh: ``daily`` follows the models' daily tick, anything else new inputs.
REFRESH_META = "keel_refresh"
#: The groups of the views over the raw tables: tests of their views run at the daily tick, not every load.
VIEW_GROUPS = frozenset({"staging", "intermediate"})


class KeelDbtTranslator(DagsterDbtTranslator):
    """Models are keyed by their name; groups follow the project's folders (staging, intermediate,
    marts, metrics, benchmarks); sources keep the dlt keys their YAML names, in the ingestion group."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props.get("resource_type") == "source":
            return spec.replace_attributes(group_name="ingestion")
        fqn = props.get("fqn", [])
        group = str(fqn[1]) if len(fqn) > 2 else "dbt"
        meta = {**props.get("meta", {}), **props.get("config", {}).get("meta", {})}
        spec = spec.replace_attributes(
            key=dg.AssetKey(str(props["name"])),
            group_name=group,
            automation_condition=DAILY_ON_NEW_INPUTS if meta.get(REFRESH_META) == "daily" else ON_NEW_INPUTS,
        )
        if group in FRESH_GROUPS:
            spec = spec.replace_attributes(freshness_policy=MART_FRESHNESS)
        return spec

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        """A test of a staging or intermediate view runs at the models' daily tick (when the view changed
        since), like the ml_features views' tests: such a view reads the raw history, so its test scans every
        tenant's history again (7 s of the one-new-day refresh's 44 s of dbt work, and on its critical path:
        in a build, a model waits for its parents' tests). The marts and metrics built from the views are
        tested on every build, so a duplicate or a missing key that reaches them still fails the refresh
        that brings it. A test of a table, or of several models, rides along with its model's builds.
        """
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        tested = manifest["nodes"].get(manifest["nodes"].get(unique_id, {}).get("attached_node") or "", {})
        if (
            spec is None
            or asset_spec.group_name not in VIEW_GROUPS
            or tested.get("config", {}).get("materialized") != "view"
        ):
            return spec
        return dg.AssetCheckSpec(
            spec.name,
            asset=spec.asset_key,
            description=spec.description,
            additional_deps=spec.additional_deps,
            blocking=spec.blocking,
            metadata=spec.metadata,
            automation_condition=DAILY_ON_NEW_INPUTS,
            partitions_def=spec.partitions_def,
        )


class DbtBuildConfig(dg.Config):
    """Days of business_metrics_daily to rebuild, as YYYY-MM-DD (both empty: the recent days)."""

    first_day: str | None = None
    last_day: str | None = None

    def dbt_vars(self) -> list[str]:
        """``--vars`` for the window, after checking it; nothing when no day is given."""
        if self.first_day is None and self.last_day is None:
            return []
        days: dict[str, str] = {}
        for name, value in (("first_day", self.first_day), ("last_day", self.last_day)):
            if value is None:
                raise ValueError(f"run config {name} is missing: give both days or neither")
            try:
                days[name] = date.fromisoformat(value).isoformat()
            except ValueError:
                raise ValueError(
                    f"run config {name} must be a date written YYYY-MM-DD, got {value!r}"
                ) from None
        if days["first_day"] > days["last_day"]:
            raise ValueError(f"run config first_day {days['first_day']} is after last_day {days['last_day']}")
        return ["--vars", json.dumps({"min_date": days["first_day"], "max_date": days["last_day"]})]


@dbt_assets(
    manifest=checked_manifest(),
    project=dbt_project,
    dagster_dbt_translator=KeelDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
)
def keel_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig
) -> Iterator[Any]:
    """Build the selected models and run their tests (``dbt build``) with the warehouse's profile."""
    window = config.dbt_vars()
    profiles = run_profiles_dir()
    target = run_target_path(context.run.run_id)
    with telemetry.span(
        "keel.dbt.build", selected_models=len(context.selected_asset_keys), vars=" ".join(window)
    ):
        invocation = known_version(dbt).cli(
            [
                "build",
                "--exclude-resource-type",
                "unit_test",
                "--log-level-file",
                "info",  # dbt.log at debug level was 5 to 8 MB a run; the compiled SQL is kept beside it
                "--profiles-dir",
                str(profiles),
                *window,
            ],
            context=context,
            target_path=target,
        )
        yield from invocation.stream()
    keep_parse_state(target)
