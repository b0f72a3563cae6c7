"""dbt models as Dagster assets, grouped by the folder they live in; dbt tests as asset checks.

Sources point at the dlt assets (``meta.dagster.asset_key`` in the sources YAML), so raw tables,
staging, marts and metrics are one lineage graph.
"""

from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.defs.dbt.project import dbt_project, run_profiles_dir


class KeelDbtTranslator(DagsterDbtTranslator):
    """Models are keyed by their name; groups follow the project's folders (staging, intermediate,
    marts, metrics, benchmarks); sources keep the dlt keys their YAML names."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props.get("resource_type") == "source":
            return super().get_asset_key(dbt_resource_props)
        return dg.AssetKey(str(dbt_resource_props["name"]))

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props.get("resource_type") == "source":
            return "ingestion"
        fqn = dbt_resource_props.get("fqn", [])
        return str(fqn[1]) if len(fqn) > 2 else "dbt"


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=KeelDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
)
def keel_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """Build the selected models and run their tests (``dbt build``) with the warehouse's profile."""
    profiles = run_profiles_dir()
    invocation = dbt.cli(["build", "--profiles-dir", str(profiles)], context=context)
    yield from invocation.stream()
