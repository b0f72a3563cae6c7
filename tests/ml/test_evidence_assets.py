"""The evidence assets on the test warehouse: two demo cafés, their recorded interventions, materialized.

The daily metrics of two demo businesses (the simulator's own series, three years) are written to
``metrics.business_metrics_daily`` as keel_transformer (no dbt run: ``marts.order_lines`` may be missing,
so the café's price change is reported inconclusive with that reason), the interventions are recorded by
the demo loader into ``app.interventions`` as each owner, and the step runs once per tenant's partition.
The test is about the ML step: what it writes, its checks, a rerun, tenant isolation, and how each tenant's
inputs are built (product series, unknown targets).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from typing import Any

import dagster as dg
import numpy as np
import polars as pl
import pytest
from psycopg.types.json import Jsonb

from ingestion.demo import DemoWorld, simulate
from ingestion.demo_load import demo_interventions, record_interventions, register_tenants
from keel import warehouse
from keel.settings import KeelSettings
from models_ml.evidence.inputs import build_tenant_inputs
from models_ml.evidence.recorded import RecordedIntervention
from orchestration.defs.ml.checks import edges_sound_result, interventions_covered_result
from orchestration.defs.ml.evidence import ml_evidence
from orchestration.defs.ml.keys import ML_EVIDENCE_EDGES
from tests.partitioned import materialize_tenants

#: Two cafés (peers of each other): a promotion on revenue, and a product price change.
SLUGS = ("morning-ritual-cafe", "crumb-and-co")
START, END = dt.date(2023, 11, 1), dt.date(2025, 10, 31)

INSERT_METRICS_SQL = """
    insert into metrics.business_metrics_daily (
        tenant_id, metric_date, currency, revenue_gross, discounts, refunds, revenue_net, orders,
        average_order_value, cogs, gross_margin, gross_margin_pct, new_customers, returning_customers,
        cash_in, cash_out, labor_hours, labor_cost, marketing_spend_total, marketing_spend_by_channel,
        stockout_product_days
    ) values (%s, %s, 'USD', %s, 0, 0, %s, %s, %s, 0, %s, null, %s, 0, %s, 0, %s, 0, 0, %s, 0)
"""


def metric_rows(world: DemoWorld, slug: str) -> list[tuple[Any, ...]]:
    tenant_id = world.run(slug).profile.tenant_id
    revenue = world.daily_metric(slug, "net_revenue")
    orders = world.daily_metric(slug, "orders")["value"].to_numpy()
    rng = np.random.default_rng(7)
    rows = []
    for (day, value), count in zip(revenue.iter_rows(), orders, strict=True):
        aov = round(value / count, 2) if count else None
        new = int(rng.poisson(max(count, 0) * 0.2))
        hours = round(float(8 + rng.normal(0, 1)), 2)
        rows.append((tenant_id, day, value, value, int(count), aov, value, new, value, hours, Jsonb({})))
    return rows


def _delete(tenant_ids: list[str]) -> None:
    with warehouse.connect("keel_transformer") as conn:
        conn.execute(
            "delete from metrics.business_metrics_daily where tenant_id = any(%s::uuid[])", (tenant_ids,)
        )
        for table in ("ml.evidence_nodes", "ml.evidence_edges"):
            if conn.execute("select to_regclass(%s) is not null", (table,)).fetchone() == (True,):
                conn.execute(f"delete from {table} where tenant_id = any(%s::uuid[])", (tenant_ids,))


@pytest.fixture(scope="module")
def world(settings: KeelSettings) -> Iterator[DemoWorld]:
    world = simulate(seed=42, tenants=list(SLUGS), start=START, end=END)
    register_tenants(world, with_owners=False)
    tenant_ids = [str(t.tenant_id) for t in world.tenants]
    _delete(tenant_ids)
    with warehouse.connect("keel_transformer") as conn, conn.cursor() as cur:
        cur.executemany(INSERT_METRICS_SQL, [row for slug in SLUGS for row in metric_rows(world, slug)])
    assert record_interventions(world) == 2
    yield world
    _delete(tenant_ids)


def materialize(tenants: list[str], **config: Any) -> dict[str, dg.ExecuteInJobResult]:
    return materialize_tenants([ml_evidence], tenants, {"ops": {"ml_evidence": {"config": config}}})


@pytest.fixture(scope="module")
def first_run(world: DemoWorld) -> dict[str, dg.ExecuteInJobResult]:
    # One run per tenant, light refuters: the test is about the step, not the statistics.
    return materialize(list(SLUGS), refuter_simulations=5, bootstrap_simulations=10)


def stored_edges(role: str = "keel_transformer", tenant_id: Any = None) -> pl.DataFrame:
    with warehouse.connect(role, tenant_id=tenant_id) as conn:  # type: ignore[arg-type]
        rows = conn.execute(
            "select tenant_id::text, cause, effect, method, estimate, ci_low, ci_high, grade, reason, "
            "explanation, is_primary, intervention_id::text, run_id, refutations, settings "
            "from ml.evidence_edges"
        ).fetchall()
    columns = ["tenant_id", "cause", "effect", "method", "estimate", "ci_low", "ci_high", "grade", "reason"]
    columns += ["explanation", "is_primary", "intervention_id", "run_id", "refutations", "settings"]
    return pl.DataFrame(
        [(*r[:13], json.dumps(r[13]), json.dumps(r[14])) for r in rows], schema=columns, orient="row"
    )


def test_interventions_are_recorded_as_the_owner_would(world: DemoWorld) -> None:
    tenant_id = world.run("morning-ritual-cafe").profile.tenant_id
    with warehouse.connect("keel_app", tenant_id=tenant_id) as conn:
        rows = conn.execute(
            "select kind, name, starts_on, ends_on, target_metric, target_product, evaluate_days, notes "
            "from app.interventions"
        ).fetchall()
    assert rows == [
        (
            "promotion",
            "FALL15 promotion",
            dt.date(2024, 9, 16),
            dt.date(2024, 10, 13),
            "revenue_net",
            None,
            28,
            "Discount code FALL15: 15% off.",
        )
    ]
    # Recording again changes nothing (upsert by the derived id).
    assert record_interventions(world) == 2
    with warehouse.connect("admin") as conn:
        count = conn.execute(
            "select count(*) from app.interventions where tenant_id = any(%s::uuid[])",
            ([str(t.tenant_id) for t in world.tenants],),
        ).fetchone()
    assert count == (2,)


def test_materialization_writes_the_graph_and_its_checks_pass(
    world: DemoWorld, first_run: dict[str, dg.ExecuteInJobResult]
) -> None:
    assert all(r.success for r in first_run.values())
    ids = {t.slug: str(t.tenant_id) for t in world.tenants}
    edges = stored_edges().filter(pl.col("tenant_id").is_in(list(ids.values())))
    for slug, tenant in ids.items():  # each tenant's rows from its own partition's run
        of_tenant = edges.filter(pl.col("tenant_id") == tenant)
        assert set(of_tenant["run_id"].to_list()) == {first_run[slug].run_id}
    assert set(edges["tenant_id"].to_list()) == set(ids.values())
    promo = edges.filter((pl.col("cause") == "FALL15 promotion") & pl.col("is_primary"))
    assert promo.height == 1
    assert promo["effect"][0] == "revenue_net"
    assert promo["intervention_id"][0] is not None
    assert promo["grade"][0] in ("strong", "moderate", "weak")
    assert promo["ci_low"][0] <= promo["estimate"][0] <= promo["ci_high"][0]
    assert "naive_before_after" in promo["settings"][0]
    assert len(json.loads(promo["refutations"][0])) == 3
    # No order lines in this warehouse: the croissant's price change says so instead of guessing.
    price = edges.filter(pl.col("cause") == "CC-CROISSANT price change")
    assert price.height == 1
    assert price["grade"][0] == "inconclusive" and price["estimate"][0] is None
    assert "no sales of product 'CC-CROISSANT'" in price["reason"][0]
    # Drivers (PC with time order; Granger only where significant) and the root cause are stored too.
    methods = set(edges["method"].to_list())
    assert {"causal_learn_pc", "shapley_decomposition"} <= methods, methods
    # The second root-cause method (DoWhy gcm) ran for both, each in its own run; the checks per partition.
    for result in first_run.values():
        materialization = next(
            m
            for m in result.asset_materializations_for_node("ml_evidence")
            if m.asset_key == ML_EVIDENCE_EDGES
        )
        skipped = materialization.metadata["skipped"].value
        assert not any("gcm" in reason for reasons in skipped.values() for reason in reasons), skipped
        evaluations = {(e.asset_key, e.check_name): e for e in result.get_asset_check_evaluations()}
        assert set(evaluations) == {
            (ML_EVIDENCE_EDGES, "evidence_rows_sound"),
            (ML_EVIDENCE_EDGES, "every_intervention_has_evidence"),
        }
        assert all(e.passed for e in evaluations.values()), [e.description for e in evaluations.values()]
    assert "dowhy_gcm_distribution_change" in methods
    with warehouse.connect("keel_transformer") as conn:
        nodes = conn.execute(
            "select node, kind from ml.evidence_nodes where tenant_id = %s", (ids["morning-ritual-cafe"],)
        ).fetchall()
    assert ("FALL15 promotion", "intervention") in nodes
    assert ("revenue_net", "metric") in nodes


def test_a_rerun_replaces_only_its_tenants_rows(
    world: DemoWorld, first_run: dict[str, dg.ExecuteInJobResult]
) -> None:
    ids = {t.slug: str(t.tenant_id) for t in world.tenants}
    before = stored_edges()
    result = materialize(["crumb-and-co"], max_products=0, use_peers=False, refuter_simulations=3)[
        "crumb-and-co"
    ]
    assert result.success
    after = stored_edges()
    cafe = after.filter(pl.col("tenant_id") == ids["morning-ritual-cafe"])
    assert cafe.equals(before.filter(pl.col("tenant_id") == ids["morning-ritual-cafe"]))
    bakery = after.filter(pl.col("tenant_id") == ids["crumb-and-co"])
    assert bakery.height > 0
    assert set(bakery["run_id"].to_list()) == {result.run_id}


def test_the_app_role_sees_only_its_tenant(
    world: DemoWorld, first_run: dict[str, dg.ExecuteInJobResult]
) -> None:
    cafe = world.run("morning-ritual-cafe").profile.tenant_id
    seen = stored_edges("keel_app", cafe)
    assert seen.height > 0
    assert set(seen["tenant_id"].to_list()) == {str(cafe)}
    assert stored_edges("keel_app").height == 0  # no tenant set: nothing


def test_checks_report_bad_rows_and_missing_interventions() -> None:
    row = {
        "tenant_id": "t",
        "cause": "promo",
        "effect": "revenue_net",
        "method": "its_seasonal_regression",
        "estimate": 0.5,
        "ci_low": 0.1,
        "ci_high": 0.2,
        "p_value": 0.01,
        "refutations": "[]",
        "grade": "strong",
        "reason": None,
        "settings": "{}",
        "is_primary": True,
        "intervention_id": None,
    }
    sound = edges_sound_result([row], expected_rows=2)
    assert not sound.passed
    assert "outside its interval" in (sound.description or "")
    recorded = RecordedIntervention("other promo", "promotion", dt.date(2025, 1, 1), None, "revenue_net")
    covered = interventions_covered_result([row], {"t": [("id", recorded)]}, {"u": "panel has no rows"})
    assert not covered.passed
    assert "t: other promo" in (covered.description or "")
    assert "tenant u failed: panel has no rows" in (covered.description or "")


def test_tenant_inputs_name_product_series_and_refuse_unknown_targets() -> None:
    days = pl.date_range(dt.date(2025, 1, 1), dt.date(2025, 1, 10), "1d", eager=True)
    panel = pl.DataFrame({"ds": days, "revenue_net": np.arange(10.0) + 100, "orders": np.arange(10.0) + 5})
    sales = pl.DataFrame(
        {
            "tenant_id": ["t"] * 3 + ["other"],
            "product_id": ["4711", "4711", "99", "4711"],
            "sku": ["LATTE", "LATTE", "MUG", "LATTE"],
            "ds": [days[0], days[2], days[1], days[3]],
            "price": [5.0, 5.5, 12.0, 9.0],
            "units": [10.0, 8.0, 1.0, 99.0],
        }
    )
    subs = pl.DataFrame(schema={"tenant_id": pl.String, "plan": pl.String, "ds": pl.Date})
    rows = [
        {"name": "latte price", "kind": "price_change", "starts_on": days[5], "target_metric": "units",
         "target_product": "LATTE"},
        {"name": "hire", "kind": "staffing_change", "starts_on": days[5], "target_metric": "footfall"},
        {"name": "mug price", "kind": "price_change", "starts_on": days[5], "target_metric": "units",
         "target_product": "BOWL"},
    ]  # fmt: skip
    recorded = [(str(uuid.uuid4()), RecordedIntervention.from_row(r)) for r in rows]
    inputs, unresolved = build_tenant_inputs(
        "t", panel, recorded, sales, subs, {}, ["revenue_net", "orders"], max_products=1
    )
    assert [i.target_metric for i in inputs.interventions] == ["4711.units"]
    assert (
        inputs.panel["4711.units"].to_list() == [10.0, 0.0, 8.0] + [0.0] * 7
    )  # other tenant's sale left out
    assert inputs.product_sales is not None
    assert set(inputs.product_sales["product_id"].to_list()) == {"4711"}  # best seller; named products kept
    reasons = {edge.cause: edge.reason or "" for edge in unresolved}
    assert "target_metric 'footfall' is not one Keel measures" in reasons["hire"]
    assert "no sales of product 'BOWL'" in reasons["mug price"]
    assert all(edge.grade == "inconclusive" and edge.estimate is None for edge in unresolved)


def test_demo_records_never_carry_the_true_effect() -> None:
    world = simulate(seed=42, tenants=["paper-lantern-books"])
    rows = demo_interventions(world)
    assert [r["name"] for r in rows] == ["HOLIDAY25 promotion"]
    text = " ".join(str(v) for v in rows[0].values())
    truth = world.ground_truth[0]
    assert "10%" not in text and "season" not in text.lower()  # the uplift and the confounding stay hidden
    assert str(round(truth.true_effect_rel, 3)) not in text
