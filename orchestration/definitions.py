"""Keel's Dagster code location: the definitions of every domain folder, merged, plus the jobs and
the schedule that run the whole graph."""

import dagster as dg

import orchestration.forked_processes  # noqa: F401  (forked workers get Python's signal handling back)
from orchestration.defs.alerts import definitions as alerts
from orchestration.defs.dbt import definitions as dbt
from orchestration.defs.ingestion import definitions as ingestion
from orchestration.defs.ml import definitions as ml
from orchestration.defs.quality import definitions as quality
from orchestration.defs.quality.tracing import STEP_HOOKS
from orchestration.defs.warehouse import definitions as warehouse

#: Everything, from the tenants and raw loads to the metrics: `keel demo` runs it, the schedule too.
keel_all = dg.define_asset_job(
    "keel_all",
    selection=dg.AssetSelection.all(),
    description=(
        "Load every tenant's sources (merge + incremental), build the dbt models and tests, then forecast."
    ),
    hooks=STEP_HOOKS,  # one OpenTelemetry span per step (keel.telemetry)
)

daily = dg.ScheduleDefinition(
    name="keel_daily",
    job=keel_all,
    cron_schedule="30 4 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night: ingest what changed, then build incrementally.",
)

defs = dg.Definitions.merge(
    warehouse.defs,
    ingestion.defs,
    dbt.defs,
    ml.defs,
    alerts.defs,
    quality.defs,
    dg.Definitions(jobs=[keel_all], schedules=[daily]),
)


def keel_all_job() -> dg.JobDefinition:
    """The resolved job, for ``dg.reconstructable`` (multi-process runs from `keel demo`)."""
    return defs.resolve_job_def("keel_all")
