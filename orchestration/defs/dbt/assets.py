"""dbt models as Dagster assets, grouped by the folder they live in; dbt tests as asset checks.

Sources point at the dlt assets (``meta.dagster.asset_key`` in the sources YAML), so raw tables,
staging, marts and metrics are one lineage graph.

A run rebuilds ``business_metrics_daily`` for the last ``metrics_lookback_days`` of each tenant. To
rebuild chosen days (a backfill), materialize it with the run config ``first_day``/``last_day``: they
reach the model as ``--vars {min_date, max_date}`` and only those days are deleted and rebuilt. (Daily
partitions were tried: a partitioned dbt asset set makes ``keel_all`` a partitioned job and splits the
remaining models into four dbt invocations around it, for a window that a run config gives as well.)
"""

import json
from collections.abc import Iterator, Mapping
from datetime import date
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
from orchestration.defs.dbt.project import checked_manifest, dbt_project, run_profiles_dir


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
        return spec.replace_attributes(
            key=dg.AssetKey(str(props["name"])), group_name=str(fqn[1]) if len(fqn) > 2 else "dbt"
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
    with telemetry.span(
        "keel.dbt.build", selected_models=len(context.selected_asset_keys), vars=" ".join(window)
    ):
        invocation = dbt.cli(["build", "--profiles-dir", str(profiles), *window], context=context)
        yield from invocation.stream()
