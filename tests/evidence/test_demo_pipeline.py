"""Validity through the real pipeline (benchmark: about ten minutes on two busy cores).

The demo businesses with injected interventions are simulated over the default three years (seed 42),
loaded with dlt (``load_sources``), their ground truth into ``raw_demo.ground_truth`` and their owners'
interventions into ``app.interventions``; dbt runs the models the evidence step reads; the
``ml_evidence`` asset runs; and the stored primary edges are compared with ``raw_demo.ground_truth``
on the same criteria as the default test (tests/evidence/test_demo_validity.py), which builds the
panels from the simulator instead. Run it with:

    .venv/bin/pytest tests/evidence/test_demo_pipeline.py -m benchmark -q -s -p no:cacheprovider
"""

from __future__ import annotations

import math
import time
import uuid
from typing import Any

import pytest
from psycopg.rows import dict_row

from ingestion.demo import simulate
from ingestion.demo.interventions import INTERVENTIONS
from ingestion.demo_load import (
    DEMO_INTERVENTION_NAMESPACE,
    load_ground_truth,
    load_sources,
    record_interventions,
    register_tenants,
)
from keel import warehouse
from keel.settings import KeelSettings
from orchestration.defs.ml.evidence import ml_evidence
from tests.dbt_run import failures, run_dbt
from tests.partitioned import materialize_tenants

SLUGS = sorted({i.tenant_slug for i in INTERVENTIONS})


@pytest.fixture(scope="module")
def stored(settings: KeelSettings, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    world = simulate(seed=42, tenants=SLUGS)
    register_tenants(world, with_owners=False)
    results = load_sources(world)
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    load_ground_truth(world)
    record_interventions(world)
    seconds["simulate and load"] = time.perf_counter() - started
    started = time.perf_counter()
    work_dir = tmp_path_factory.mktemp("dbt_evidence")
    warehouse.write_dbt_profiles(work_dir / "profiles", settings)
    # the models the evidence step reads; tests/dbt runs the data and unit tests
    built = run_dbt(
        work_dir, "run", "--select", "+business_metrics_daily", "+path:models/ml_features/evidence"
    )
    assert built.success, failures(built)
    seconds["dbt run"] = time.perf_counter() - started
    started = time.perf_counter()
    results = materialize_tenants([ml_evidence], SLUGS)  # one run per tenant's partition
    assert all(r.success for r in results.values())
    assert all(e.passed for r in results.values() for e in r.get_asset_check_evaluations())
    run_ids = [r.run_id for r in results.values()]
    seconds["ml_evidence"] = time.perf_counter() - started
    print("\n" + ", ".join(f"{k} {v:.0f} s" for k, v in seconds.items()))
    with warehouse.connect("admin") as conn, conn.cursor(row_factory=dict_row) as cur:
        rows = []
        for item in INTERVENTIONS:
            cur.execute(
                "select g.intervention_id as truth_id, g.tenant_slug, g.true_effect_rel, g.confounded, "
                "e.cause, e.effect, e.method, e.estimate, e.ci_low, e.ci_high, e.grade, e.reason, e.settings "
                "from raw_demo.ground_truth g left join ml.evidence_edges e "
                "on e.intervention_id = %s::uuid and e.is_primary and e.run_id = any(%s) "
                "where g.intervention_id = %s",
                (str(uuid.uuid5(DEMO_INTERVENTION_NAMESPACE, item.intervention_id)), run_ids,
                 item.intervention_id),
            )  # fmt: skip
            rows.extend(cur.fetchall())
    for row in rows:
        print(
            f"{row['truth_id']:55s} truth {row['true_effect_rel']:+.3f} {row['method']} {row['grade']} "
            f"{row['estimate']} [{row['ci_low']}, {row['ci_high']}] {row['reason'] or ''}"
        )
    return rows


@pytest.mark.benchmark
def test_validity_through_the_warehouse(stored: list[dict[str, Any]]) -> None:
    assert len(stored) == len(INTERVENTIONS)
    assert all(row["cause"] is not None for row in stored), "an intervention has no evidence row"
    conclusive = [r for r in stored if r["grade"] != "inconclusive"]
    covered = [r for r in conclusive if r["ci_low"] <= r["true_effect_rel"] <= r["ci_high"]]
    print(f"\ncoverage {len(covered)}/{len(conclusive)} conclusive of {len(stored)}")
    assert len(covered) / len(conclusive) >= 0.9
    for row in stored:
        if row["grade"] == "strong":
            assert math.copysign(1, row["estimate"]) == math.copysign(1, row["true_effect_rel"]), row
        if row["confounded"]:
            assert row["grade"] != "strong", row
            naive = (row["settings"] or {}).get("naive_before_after", {}).get("estimate")
            if row["grade"] != "inconclusive" and naive is not None:
                assert not row["ci_low"] <= naive <= row["ci_high"], row
        if row["grade"] == "inconclusive":
            assert row["reason"] and row["estimate"] is None
