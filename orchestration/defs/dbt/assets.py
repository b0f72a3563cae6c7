"""dbt models as Dagster assets, grouped by the folder they live in; dbt tests as asset checks.

Sources point at the dlt assets (``meta.dagster.asset_key`` in the sources YAML), so raw tables,
staging, marts and metrics are one lineage graph.
"""

from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

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


@dbt_assets(
    manifest=checked_manifest(),
    project=dbt_project,
    dagster_dbt_translator=KeelDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
)
def keel_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """Build the selected models and run their tests (``dbt build``) with the warehouse's profile."""
    profiles = run_profiles_dir()
    invocation = dbt.cli(["build", "--profiles-dir", str(profiles)], context=context)
    yield from invocation.stream()
