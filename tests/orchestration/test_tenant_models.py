"""Each tenant's models (the ``tenant_models`` job, partitioned by tenant) on the shared demo warehouse: one
run per tenant through ``cli.jobs.run_tenant_models``, where one tenant's failure leaves the
others' runs and rows alone.

Two tenants of this test's own join the demo warehouse's Dagster instance for the test: one with 400 days of
synthetic daily metrics (its models succeed) and one without any (its partition fails, saying why). Both are
deleted again, with every row of theirs.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import numpy as np
import pytest

from keel import warehouse
from keel.settings import KeelSettings
from keel.tenancy import create_tenant
from keel.tenant_data import delete_tenant
from orchestration.defs.tenants.partitions import add_tenant_partitions, remove_tenant_partition

WITH_METRICS, WITHOUT, HELD = "models-with-metrics", "models-without-metrics", "models-held-by-errors"
DAYS = 400


def _insert_metrics(tenant_id: str) -> None:
    rng = np.random.default_rng(7)
    end = dt.date.today() - dt.timedelta(days=1)
    rows = []
    for i in range(DAYS):
        day = end - dt.timedelta(days=DAYS - 1 - i)
        orders = int(rng.poisson(30 * (1.4 if day.weekday() >= 5 else 1.0)))
        revenue = round(orders * 22.0 + float(rng.normal(0, 20)), 2)
        new = int(rng.poisson(5))
        cogs = round(revenue * 0.4, 2)
        rows.append(
            {
                "tenant_id": tenant_id,
                "metric_date": day,
                "currency": "USD",
                "revenue_gross": revenue,
                "discounts": 0,
                "refunds": 0,
                "revenue_net": revenue,
                "orders": orders,
                "cogs": cogs,
                "gross_margin": revenue - cogs,
                "new_customers": new,
                "returning_customers": max(orders - new, 0),
                "cash_in": revenue,
                "cash_out": cogs,
                "labor_hours": 8,
                "labor_cost": 160,
                "marketing_spend_total": 0,
                "marketing_spend_by_channel": "{}",
                "stockout_product_days": 0,
            }
        )
    columns = list(rows[0])
    with warehouse.connect("keel_transformer") as conn, conn.cursor() as cur:
        cur.executemany(
            f"insert into metrics.business_metrics_daily ({', '.join(columns)}) "
            f"values ({', '.join(f'%({c})s' for c in columns)})",
            rows,
        )


def test_a_failing_tenants_models_do_not_stop_the_others(
    demo_warehouse: KeelSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli import jobs

    monkeypatch.setenv("KEEL_PARALLEL_TENANTS", "2")
    good = create_tenant(WITH_METRICS, "Models With Metrics").tenant_id
    create_tenant(WITHOUT, "Models Without Metrics")
    held = create_tenant(HELD, "Models Held By Errors").tenant_id
    with dg.DagsterInstance.from_config(str(jobs.dagster_home())) as instance:
        add_tenant_partitions(instance, [WITH_METRICS, WITHOUT, HELD])
    try:
        _insert_metrics(str(good))
        _insert_metrics(str(held))
        with warehouse.connect("keel_transformer") as conn:  # its latest Stripe check found an error
            conn.execute(
                "insert into ml.quality_results (tenant_id, run_id, checked_at, asset_key, source, "
                "expectation, expectation_type, severity, success, owner_message) "
                "values (%s, 'test-run', now(), "
                "'dlt_stripe_charges', 'stripe', 'no missing business day (recent)', "
                "'expect_column_values_to_be_between', 'error', false, "
                "'2 days of payments are missing from Stripe since Monday')",
                (held,),
            )
        with warehouse.connect("keel_transformer") as conn:
            others_before = conn.execute(
                "select count(*), count(distinct run_id) from ml.forecasts where tenant_id <> %s", (good,)
            ).fetchone()
        shown: list[str] = []
        outcomes = {
            o.label: o
            for o in jobs.run_tenant_models([WITH_METRICS, WITHOUT, HELD], lambda o: shown.append(o.label))
        }
        assert sorted(shown) == sorted(f"tenant_models of {slug}" for slug in (WITH_METRICS, WITHOUT, HELD))
        stopped = outcomes[f"tenant_models of {HELD}"]  # the same metrics as the good one, but held
        assert not stopped.success
        assert stopped.failure is not None and "2 days of payments are missing from Stripe" in stopped.failure
        ok, failed = outcomes[f"tenant_models of {WITH_METRICS}"], outcomes[f"tenant_models of {WITHOUT}"]
        assert ok.success, ok.failure
        assert ok.checks_total >= 4 and ok.checks_passed == ok.checks_total
        assert not failed.success
        assert failed.failure is not None and WITHOUT in failed.failure
        with warehouse.connect("keel_transformer") as conn:
            stored = conn.execute(
                "select count(*), count(distinct run_id), min(run_id) from ml.forecasts where tenant_id = %s",
                (good,),
            ).fetchone()
            others_after = conn.execute(
                "select count(*), count(distinct run_id) from ml.forecasts where tenant_id <> %s", (good,)
            ).fetchone()
        assert stored is not None and stored[0] > 0 and stored[1:] == (1, ok.run_id)
        assert others_after == others_before  # the demo tenants' forecasts untouched
        with dg.DagsterInstance.from_config(str(jobs.dagster_home())) as instance:
            run = instance.get_run_by_id(ok.run_id)
        assert run is not None
        assert run.job_name == "tenant_models" and run.tags["dagster/partition"] == WITH_METRICS
    finally:
        for slug in (WITH_METRICS, WITHOUT, HELD):
            delete_tenant(slug)
        with dg.DagsterInstance.from_config(str(jobs.dagster_home())) as instance:
            for slug in (WITH_METRICS, WITHOUT, HELD):
                remove_tenant_partition(instance, slug)
