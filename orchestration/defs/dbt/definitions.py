"""Definitions of the dbt domain: the models (with their tests as checks) and how far behind they may be."""

import dagster as dg

from orchestration.defs.dbt.assets import keel_dbt_models
from orchestration.defs.dbt.freshness import metrics_not_behind_sources
from orchestration.defs.dbt.project import DBT_EXECUTABLE, KeelDbtCliResource, dbt_project

defs = dg.Definitions(
    assets=[keel_dbt_models],
    asset_checks=[metrics_not_behind_sources],
    resources={
        # DbtCliResource's own __init__ takes the DbtProject; mypy sees only the subclass's fields (str)
        "dbt": KeelDbtCliResource(project_dir=dbt_project, dbt_executable=str(DBT_EXECUTABLE))  # type: ignore[arg-type]
    },
)
