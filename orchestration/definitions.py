"""Keel's Dagster code location: the definitions of every domain folder, merged, plus the jobs, the
automation sensor and the freshness schedule that keep every tenant's data current.

How the graph runs:
- per tenant (the ``tenants`` partitions, one per business, none for benchmark peers): the source loads,
  ``tenant_sources``, launched by the ``tenant_source_refresh`` sensor when a tenant's sources are due and
  by ``keel demo`` for every tenant; and the tenant's models, ``tenant_models`` (forecasts with their
  accuracy, evidence, plans, the demo owners' goals and goal evaluations), which ``keel demo`` runs for each
  tenant after ``keel_models`` and the ``keel_automation`` sensor requests per partition. Each tenant's run
  can be refreshed, backfilled or fail alone; its steps take a slot of the ``keel_tenant_models`` pool
  (``KEEL_PARALLEL_TENANTS`` at once, like the loads' ``keel_tenant_loads``);
- once for all tenants (unpartitioned): the demo's set-up (``keel_setup``) and what is built over every
  tenant's raw data together (``keel_models``: the data-quality checks of the raw loads, dbt build and tests,
  the lake), which the ``keel_automation`` sensor refreshes when its inputs change
  (``orchestration.defs.automation``);
- ``keel_all``: one tenant's whole graph in one run (its loads, dbt over every tenant, then its models),
  for a refresh by hand.
"""

import dagster as dg

import orchestration.forked_processes  # noqa: F401  (forked workers get Python's signal handling back)
from orchestration.defs.alerts import definitions as alerts
from orchestration.defs.dbt import definitions as dbt
from orchestration.defs.dbt.freshness import metrics_not_behind_sources
from orchestration.defs.ingestion import definitions as ingestion
from orchestration.defs.ingestion.assets import (
    app_interventions,
    app_tenants,
    demo_benchmark_peers,
    demo_ground_truth,
    source_assets,
)
from orchestration.defs.ingestion.files import uploaded_files
from orchestration.defs.ingestion.fred import fred_public_series
from orchestration.defs.ingestion.freshness import source_freshness_checks
from orchestration.defs.ingestion.refresh import tenant_sources
from orchestration.defs.ml import definitions as ml
from orchestration.defs.ml.evidence import ml_evidence
from orchestration.defs.ml.forecasts import ml_forecasting
from orchestration.defs.ml.goals import app_goals, ml_goal_evaluations
from orchestration.defs.ml.plans import ml_plans
from orchestration.defs.quality import definitions as quality
from orchestration.defs.quality.checks import quality_checks
from orchestration.defs.quality.tracing import STEP_HOOKS
from orchestration.defs.tenants import definitions as tenants
from orchestration.defs.warehouse import definitions as warehouse

FRESHNESS_CHECKS = dg.AssetSelection.checks(*source_freshness_checks, metrics_not_behind_sources)
_SETUP = dg.AssetSelection.assets(
    app_tenants,
    demo_benchmark_peers,
    demo_ground_truth,
    app_interventions,
    fred_public_series,
    uploaded_files,
)
_SOURCES = dg.AssetSelection.assets(*source_assets)
QUALITY_CHECKS = dg.AssetSelection.checks(*quality_checks)
#: The per-tenant models (partitioned by tenant), with their checks.
_TENANT_MODELS = dg.AssetSelection.assets(
    ml_forecasting, ml_evidence, ml_plans, app_goals, ml_goal_evaluations
)

#: The tenants and the demo's shared raw data: registers the demo businesses and their partitions.
keel_setup = dg.define_asset_job(
    "keel_setup",
    selection=_SETUP,
    description="Register the demo businesses (and their partitions), their interventions and true "
    "effects, the public series and what uploaded files put in so far.",
    hooks=STEP_HOOKS,  # one OpenTelemetry span per step (keel.telemetry)
)

#: What is built over every tenant's raw data together (unpartitioned).
keel_models = dg.define_asset_job(
    "keel_models",
    # the data-quality checks of the raw sources run here, once over every tenant's loads, before dbt
    selection=((dg.AssetSelection.all() - _SETUP - _SOURCES - _TENANT_MODELS) | QUALITY_CHECKS)
    - FRESHNESS_CHECKS,
    description="Data-quality checks of every tenant's raw data, dbt build and tests over every tenant, "
    "and the lake; each tenant's models follow in its own run of tenant_models.",
    hooks=STEP_HOOKS,
)

#: One tenant's models (its partition): forecasts, evidence, plans, goals.
tenant_models = dg.define_asset_job(
    "tenant_models",
    selection=_TENANT_MODELS,  # partitioned by tenant, as its assets are
    description="One tenant's models (its partition): forecasts and their accuracy, evidence, plans, the "
    "demo owner's goals and the goal evaluations, from the dbt models keel_models built.",
    hooks=STEP_HOOKS,
)

#: One tenant's whole graph: its loads, dbt over every tenant, then its models.
keel_all = dg.define_asset_job(
    "keel_all",
    selection=dg.AssetSelection.all() - FRESHNESS_CHECKS,
    description="One tenant's loads and models (its partition), with the dbt models and tests over every "
    "tenant between them.",
    hooks=STEP_HOOKS,
)

freshness_checks = dg.define_asset_job(
    "freshness_checks",
    selection=FRESHNESS_CHECKS,
    description="Whether every tenant's sources loaded within their interval, and the metrics caught up.",
)

freshness_schedule = dg.ScheduleDefinition(
    name="keel_freshness",
    job=freshness_checks,
    cron_schedule="*/15 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every 15 minutes: the freshness checks (overdue tenants are alerted by keel_alerts).",
)

keel_automation = dg.AutomationConditionSensorDefinition(
    "keel_automation",
    target=dg.AssetSelection.all(),
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Refreshes dbt models when their inputs change, and each tenant's models (its partition) "
    "daily when theirs did.",
)

defs = dg.Definitions.merge(
    warehouse.defs,
    tenants.defs,
    ingestion.defs,
    dbt.defs,
    ml.defs,
    alerts.defs,
    dg.Definitions(
        jobs=[keel_setup, tenant_sources, keel_models, tenant_models, keel_all, freshness_checks],
        schedules=[freshness_schedule],
        sensors=[keel_automation],
    ),
    quality.defs,
)


def resolved_job(name: str) -> dg.JobDefinition:
    return defs.resolve_job_def(name)


def keel_setup_job() -> dg.JobDefinition:
    """The resolved jobs, for ``dg.reconstructable`` (runs from `keel demo`)."""
    return resolved_job("keel_setup")


def tenant_sources_job() -> dg.JobDefinition:
    return resolved_job("tenant_sources")


def keel_models_job() -> dg.JobDefinition:
    return resolved_job("keel_models")


def tenant_models_job() -> dg.JobDefinition:
    return resolved_job("tenant_models")


def keel_all_job() -> dg.JobDefinition:
    return resolved_job("keel_all")
