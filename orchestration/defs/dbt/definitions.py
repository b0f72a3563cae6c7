"""Definitions of the dbt domain."""

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.defs.dbt.assets import keel_dbt_models
from orchestration.defs.dbt.project import DBT_EXECUTABLE, dbt_project

defs = dg.Definitions(
    assets=[keel_dbt_models],
    resources={"dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=str(DBT_EXECUTABLE))},
)
