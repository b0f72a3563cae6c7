"""The ``ml_plans`` asset on the test warehouse: a shop with every kind of data and a SaaS company with none.

The shop's marts rows (products, order lines, orders, stock, timecards, ad spend), its daily metrics and
its forecasts are written here as keel_transformer, shaped as the dbt marts and the forecasting asset
write them (dbt does not build the marts here), so the test is about the planning step: four solved
plans for the shop, four ``not_applicable`` rows with their reasons for the SaaS company, constraint
checks on what was stored (per tenant partition), a rerun that replaces only its tenant's rows, and
row-level security for the console's role. Marts tables missing from the test warehouse (the dbt tests
did not run first) are created with the columns read here and dropped afterwards. The asset reads them
through dbt's ``ml_features`` views, which the fixture builds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import uuid
from collections.abc import Iterator
from typing import Any

import dagster as dg
import numpy as np
import polars as pl
import pytest
from psycopg.types.json import Jsonb

from keel import warehouse
from keel.settings import KeelSettings
from keel.tenancy import create_tenant
from models_ml.optimization import check_plan_constraints, tenant_plans
from models_ml.optimization.serialization import PLAN_TABLE_COLUMNS as PLAN_COLUMNS
from models_ml.optimization.serialization import problem_from_dict
from models_ml.optimization.tenant_plans import plan_tenant
from models_ml.optimization.tenant_problems import (
    PlanningOptions,
    TenantData,
    build_pricing_problem,
    elasticities_for,
)
from orchestration.defs.ml.checks import constraints_result, stored_plan
from orchestration.defs.ml.keys import (
    BUSINESS_METRICS_DAILY,
    ML_EVIDENCE_EDGES,
    ML_FORECASTS,
    ML_PLANS,
    PLAN_FEATURES,
)
from orchestration.defs.ml.plans import PlansAssetConfig, ml_plans
from orchestration.defs.ml.reads import read_tenant_data
from tests.dbt_run import failures, run_dbt
from tests.partitioned import materialize_tenants

SHOP, SAAS = "plans-test-shop", "plans-test-saas"
#: Last day of history; the forecasts (and so the plans) start the day after.
END = dt.date(2026, 10, 31)
START = END + dt.timedelta(days=1)
PRODUCTS = (  # id, name, price, cost, units a day
    ("p1", "Trail Socks", 14.99, 5.0, 6.0),
    ("p2", "Water Bottle", 24.99, 9.0, 4.0),
    ("p3", "Headlamp", 39.99, 18.0, 2.0),
    ("p4", "Energy Bar", 2.99, 1.1, 15.0),
    ("p5", "Rain Shell", 129.99, 62.0, 1.0),
)
STAFF = (  # id, name, role, wage, weekdays worked, start hour, end hour
    ("101", "Ana", "Manager", 26.0, (0, 1, 2, 3, 4), 9, 17),
    ("102", "Ben", "Clerk", 17.0, (0, 1, 2, 5, 6), 10, 18),
    ("103", "Cleo", "Clerk", 18.0, (2, 3, 4, 5, 6), 9, 15),
    ("104", "Dev", "Manager", 25.0, (5, 6, 0), 9, 17),
    ("105", "Eli", "Clerk", 16.5, (1, 3, 4, 5), 12, 18),
)
CHANNELS = {"search": (300.0, 40.0), "social": (150.0, 25.0)}  # revenue scale, half-saturation

# Marts tables the asset reads, with the columns it reads (created only where dbt has not built them).
MARTS_DDL = {
    "marts.products": "tenant_id uuid, source_system text, product_id text, product_name text, "
    "product_kind text, current_price numeric(14, 2), unit_cost numeric(14, 2), is_inventory_tracked boolean",
    "marts.order_lines": "tenant_id uuid, source_system text, order_line_id text, product_id text, "
    "quantity numeric(14, 2), net_sales numeric(14, 2), order_date date",
    "marts.orders": "tenant_id uuid, source_system text, order_id text, order_date date, "
    "ordered_at timestamptz",
    "marts.inventory": "tenant_id uuid, product_id text, stock_date date, available_quantity integer, "
    "is_tracked boolean",
    "marts.shifts": "tenant_id uuid, timecard_id bigint, employee_id bigint, employee_name text, role text, "
    "wage_rate numeric(14, 2), shift_date date, clocked_in_at timestamptz, clocked_out_at timestamptz",
    "marts.marketing_spend": "tenant_id uuid, channel text, spend numeric(14, 2), spend_date date",
}
METRIC_COLUMNS = (
    "tenant_id, metric_date, currency, revenue_gross, discounts, refunds, revenue_net, orders, cogs, "
    "gross_margin, new_customers, returning_customers, cash_in, cash_out, labor_hours, labor_cost, "
    "marketing_spend_total, marketing_spend_by_channel, stockout_product_days"
)


def _insert(conn: Any, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    placeholders = ", ".join(["%s"] * len(columns.split(",")))
    with conn.cursor() as cur:
        cur.executemany(f"insert into {table} ({columns}) values ({placeholders})", rows)


def _daily_spend(rng: np.random.Generator, days: int) -> dict[str, np.ndarray]:
    """Spend that changes level every week, so weekly means vary enough to fit a response curve."""
    weeks = days // 7 + 1
    return {
        channel: np.repeat(rng.uniform(0.3, 3.0, weeks) * saturation, 7)[:days]
        for channel, (_, saturation) in CHANNELS.items()
    }


def _metric_rows(
    tenant_id: uuid.UUID, revenue: np.ndarray, orders: np.ndarray, spend_total: np.ndarray
) -> list:
    days = len(revenue)
    rows = []
    for index in range(days):
        day = END - dt.timedelta(days=days - 1 - index)
        net = round(float(revenue[index]), 2)
        cogs = round(net * 0.45, 2)
        rows.append(
            (
                tenant_id, day, "USD", net, 0.0, 0.0, net, int(orders[index]), cogs, round(net - cogs, 2),
                3, max(0, int(orders[index]) - 3), net, cogs, 30.0, 600.0,
                round(float(spend_total[index]), 2), Jsonb({}), 0,
            )
        )  # fmt: skip
    return rows


def _forecast_rows(tenant_id: uuid.UUID, run_id: str) -> list[tuple[Any, ...]]:
    rows = []
    for metric, level in (("orders", 40.0), ("revenue_net", 1500.0)):
        for day in range(28):
            ds = START + dt.timedelta(days=day)
            point = level * (1.3 if ds.weekday() >= 5 else 1.0)
            spread = 0.15 * point
            rows.append(
                (
                    tenant_id, metric, ds, "AutoETS", point, point - 1.28 * spread, point + 1.28 * spread,
                    point - 1.96 * spread, point + 1.96 * spread, True, run_id,
                )
            )  # fmt: skip
    return rows


def write_shop(conn: Any, tenant_id: uuid.UUID) -> None:
    rng = np.random.default_rng(7)
    days = 364
    spend = _daily_spend(rng, days)
    weekday = np.array([(END - dt.timedelta(days=days - 1 - i)).weekday() for i in range(days)])
    orders = rng.poisson(np.where(weekday >= 5, 52, 40))
    effect = sum(scale * np.log1p(spend[c] / CHANNELS[c][1]) for c, (scale, _) in CHANNELS.items())
    revenue = 900 + 12 * orders + effect + rng.normal(0, 20, days)
    _insert(
        conn,
        "metrics.business_metrics_daily",
        METRIC_COLUMNS,
        _metric_rows(tenant_id, revenue, orders, np.sum(list(spend.values()), axis=0)),
    )
    _insert(
        conn,
        "marts.marketing_spend",
        "tenant_id, channel, spend, spend_date",
        [
            (tenant_id, channel, round(float(values[i]), 2), END - dt.timedelta(days=days - 1 - i))
            for channel, values in spend.items()
            for i in range(days)
        ],
    )
    _insert(
        conn,
        "marts.products",
        "tenant_id, source_system, product_id, product_name, product_kind, current_price, unit_cost, "
        "is_inventory_tracked",
        [
            (tenant_id, "shopify", pid, name, "physical", price, cost, True)
            for pid, name, price, cost, _ in PRODUCTS
        ],
    )
    lines, stock = [], []
    for pid, _, price, _, rate in PRODUCTS:
        level = rate * 14
        for back in range(84, 0, -1):
            day = END - dt.timedelta(days=back - 1)
            sold = int(rng.poisson(rate))
            if back <= 56 and sold:
                lines.append((tenant_id, "shopify", f"{pid}-{day}", pid, sold, round(sold * price, 2), day))
            level = level - sold if level - sold > rate * 3 else rate * 14  # restocked to two weeks of sales
            stock.append((tenant_id, pid, day, int(level), True))
    _insert(
        conn,
        "marts.order_lines",
        "tenant_id, source_system, order_line_id, product_id, quantity, net_sales, order_date",
        lines,
    )
    _insert(
        conn, "marts.inventory", "tenant_id, product_id, stock_date, available_quantity, is_tracked", stock
    )
    order_rows = []
    for back in range(56, 0, -1):
        day = END - dt.timedelta(days=back - 1)
        count = int(orders[days - back])
        hours = rng.choice(np.arange(10, 18), size=count, p=np.array([1, 2, 3, 3, 2, 2, 3, 2]) / 18)
        for index, hour in enumerate(hours):
            at = dt.datetime.combine(day, dt.time(int(hour), int(rng.integers(0, 60))), tzinfo=dt.UTC)
            order_rows.append((tenant_id, "shopify", f"o-{day}-{index}", day, at))
    _insert(conn, "marts.orders", "tenant_id, source_system, order_id, order_date, ordered_at", order_rows)
    shifts = []
    for back in range(28, 0, -1):
        day = END - dt.timedelta(days=back - 1)
        for eid, name, role, wage, weekdays, first, last in STAFF:
            if day.weekday() in weekdays:
                start = dt.datetime.combine(day, dt.time(first), tzinfo=dt.UTC)
                end = dt.datetime.combine(day, dt.time(last), tzinfo=dt.UTC)
                timecard_id = int(f"{eid}{day:%Y%m%d}")
                shifts.append((tenant_id, timecard_id, int(eid), name, role, wage, day, start, end))
    _insert(
        conn,
        "marts.shifts",
        "tenant_id, timecard_id, employee_id, employee_name, role, wage_rate, shift_date, clocked_in_at, "
        "clocked_out_at",
        shifts,
    )
    _insert(
        conn,
        "ml.forecasts",
        "tenant_id, metric, ds, model, point, lo_80, hi_80, lo_95, hi_95, is_chosen, run_id",
        _forecast_rows(tenant_id, "test-forecasts"),
    )


def write_saas(conn: Any, tenant_id: uuid.UUID) -> None:
    days = 364
    orders = np.full(days, 12)
    _insert(
        conn,
        "metrics.business_metrics_daily",
        METRIC_COLUMNS,
        _metric_rows(tenant_id, np.full(days, 480.0), orders, np.zeros(days)),
    )
    _insert(
        conn,
        "ml.forecasts",
        "tenant_id, metric, ds, model, point, lo_80, hi_80, lo_95, hi_95, is_chosen, run_id",
        _forecast_rows(tenant_id, "test-forecasts"),
    )


def _delete(conn: Any, tenant_ids: list[uuid.UUID]) -> None:
    for table in ("metrics.business_metrics_daily", "ml.forecasts", "ml.plans", *MARTS_DDL):
        exists = conn.execute("select to_regclass(%s) is not null", (table,)).fetchone()
        if exists and exists[0]:
            conn.execute(f"delete from {table} where tenant_id = any(%s)", (tenant_ids,))


@pytest.fixture(scope="module")
def tenant_ids(
    settings: KeelSettings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, uuid.UUID]]:
    ids = {
        SHOP: create_tenant(SHOP, "Plans Test Outfitters", industry="retail_shop").tenant_id,
        SAAS: create_tenant(SAAS, "Plans Test Software", industry="subscription_software").tenant_id,
    }
    created: list[str] = []
    with warehouse.connect("keel_transformer") as conn:
        for table, columns in MARTS_DDL.items():
            exists = conn.execute("select to_regclass(%s) is not null", (table,)).fetchone()
            if not (exists and exists[0]):
                conn.execute(f"create table {table} ({columns})")
                created.append(table)
        _delete(conn, list(ids.values()))
        write_shop(conn, ids[SHOP])
        write_saas(conn, ids[SAAS])
    # The asset reads the marts through dbt's feature views (models/ml_features/plans): build them.
    work_dir = tmp_path_factory.mktemp("dbt_plans")
    warehouse.write_dbt_profiles(work_dir / "profiles", settings)
    built = run_dbt(work_dir, "run", "--select", "stg_app__tenants", "path:models/ml_features/plans")
    assert not failures(built), failures(built)
    yield ids
    with warehouse.connect("keel_transformer") as conn:
        _delete(conn, list(ids.values()))
        for table in created:  # with the feature views built on it; the next dbt build makes them again
            conn.execute(f"drop table if exists {table} cascade")


def materialize(tenants: list[str]) -> dict[str, dg.ExecuteInJobResult]:
    """Each tenant's partition of ml_plans in a run of its own."""
    return materialize_tenants([ml_plans], tenants)


@pytest.fixture(scope="module")
def first_run(tenant_ids: dict[str, uuid.UUID]) -> dict[str, dg.ExecuteInJobResult]:
    return materialize([SHOP, SAAS])


def stored_rows(role: str = "keel_transformer", tenant_id: uuid.UUID | None = None) -> list[dict[str, Any]]:
    with warehouse.connect(role, tenant_id=tenant_id) as conn, conn.cursor() as cur:  # type: ignore[arg-type]
        cur.execute(f"select {', '.join(PLAN_COLUMNS)} from ml.plans order by tenant_id, plan_type")
        return [dict(zip(PLAN_COLUMNS, record, strict=True)) for record in cur.fetchall()]


def rows_of(tenant_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    return {r["plan_type"]: r for r in stored_rows() if r["tenant_id"] == tenant_id}


def test_the_shop_gets_four_solved_plans(
    tenant_ids: dict[str, uuid.UUID], first_run: dict[str, dg.ExecuteInJobResult]
) -> None:
    assert all(r.success for r in first_run.values())
    rows = rows_of(tenant_ids[SHOP])
    assert sorted(rows) == ["budget", "inventory", "pricing", "staffing"]
    for plan_type, row in rows.items():
        assert row["status"] in ("optimal", "feasible"), (plan_type, row["explanation"])
        assert row["decisions"], plan_type
        assert row["run_id"] == first_run[SHOP].run_id
        assert row["explanation"]
        assert row["expected_impact"] is not None
        assert math.isclose(
            row["expected_impact"],
            (row["objective_value"] - row["current_policy_value"])
            * (1 if row["objective_sense"] == "maximize" else -1),
            abs_tol=0.01,
        )
        assert row["total_seconds"] < 30
        # Each plan's credibility record survives the table (inside inputs) and comes back whole.
        assert row["inputs"]["credibility"]["downside"]["impact"] is not None
        assert stored_plan(row).credibility is not None
    inventory = rows["inventory"]
    assert {d["product_id"] for d in inventory["decisions"]} <= {p[0] for p in PRODUCTS}
    assert inventory["horizon"] == 4
    budget_channels = {d["channel_id"] for d in rows["budget"]["decisions"]}
    assert budget_channels == set(CHANNELS)
    planned = sum(d["planned_spend"] for d in rows["budget"]["decisions"])
    assert planned <= rows["budget"]["problem"]["budget"] + 0.01
    staff = {d["employee_id"] for d in rows["staffing"]["decisions"]}
    assert staff <= {s[0] for s in STAFF}
    # Without ml.evidence_edges rows for the shop, every price rests on the documented prior, and says so.
    pricing_sources = {d["elasticity_source"] for d in rows["pricing"]["decisions"]}
    assert all(source.startswith("retail prior") for source in pricing_sources)
    assert any("prior" in note for note in rows["pricing"]["notes"])


def test_a_tenant_without_the_data_gets_reasons_not_plans(
    tenant_ids: dict[str, uuid.UUID], first_run: dict[str, dg.ExecuteInJobResult]
) -> None:
    rows = rows_of(tenant_ids[SAAS])
    assert {t: r["status"] for t, r in rows.items()} == dict.fromkeys(
        ("budget", "inventory", "pricing", "staffing"), "not_applicable"
    )
    assert "tracked stock" in rows["inventory"]["explanation"]
    assert "timecards" in rows["staffing"]["explanation"]
    assert "unit cost" in rows["pricing"]["explanation"]
    assert "ad channels" in rows["budget"]["explanation"]
    assert all(not r["decisions"] and r["problem"] is None for r in rows.values())
    metadata = first_run[SAAS].asset_materializations_for_node("ml_plans")[0].metadata
    not_planned = metadata["not_planned"].value
    assert isinstance(not_planned, list)
    assert sum(1 for item in not_planned if item["tenant_id"] == str(tenant_ids[SAAS])) == 4


def test_the_asset_checks_pass_on_what_was_stored(first_run: dict[str, dg.ExecuteInJobResult]) -> None:
    for result in first_run.values():  # the checks run per partition
        evaluations = {(e.asset_key, e.check_name): e for e in result.get_asset_check_evaluations()}
        assert set(evaluations) == {
            (ML_PLANS, "plans_satisfy_their_constraints"),
            (ML_PLANS, "plan_statuses_known"),
        }
        assert all(e.passed for e in evaluations.values())
    evaluations = {(e.asset_key, e.check_name): e for e in first_run[SHOP].get_asset_check_evaluations()}
    assert set(evaluations) == {
        (ML_PLANS, "plans_satisfy_their_constraints"),
        (ML_PLANS, "plan_statuses_known"),
    }
    assert all(e.passed for e in evaluations.values())
    assert evaluations[(ML_PLANS, "plans_satisfy_their_constraints")].metadata["plans_checked"].value >= 4


def test_stored_plans_satisfy_their_stored_problems(
    tenant_ids: dict[str, uuid.UUID], first_run: dict[str, dg.ExecuteInJobResult]
) -> None:
    for row in rows_of(tenant_ids[SHOP]).values():
        assert check_plan_constraints(stored_plan(row), problem_from_dict(row["problem"])) == []


def test_the_constraint_check_catches_a_tampered_plan(
    tenant_ids: dict[str, uuid.UUID], first_run: dict[str, dg.ExecuteInJobResult]
) -> None:
    rows = rows_of(tenant_ids[SHOP])
    pricing = dict(rows["pricing"])
    pricing["decisions"] = [{**d, "new_price": d["current_price"] * 3} for d in pricing["decisions"]]
    budget = dict(rows["budget"])
    budget["decisions"] = [{**d, "planned_spend": d["planned_spend"] * 10 + 100} for d in budget["decisions"]]
    outcome = constraints_result([pricing, budget, rows["inventory"]])
    assert not outcome.passed
    violations = outcome.metadata["violations"].value
    assert isinstance(violations, list)
    assert any("changes more than" in v for v in violations)
    assert any("exceeds the budget" in v for v in violations)
    assert not any(" inventory:" in v for v in violations)


def test_a_rerun_replaces_only_its_tenants_rows(
    tenant_ids: dict[str, uuid.UUID], first_run: dict[str, dg.ExecuteInJobResult]
) -> None:
    again = materialize([SAAS])[SAAS]
    assert again.success
    saas, shop = rows_of(tenant_ids[SAAS]), rows_of(tenant_ids[SHOP])
    assert len(saas) == len(shop) == 4
    assert {r["run_id"] for r in saas.values()} == {again.run_id}
    assert {r["run_id"] for r in shop.values()} == {first_run[SHOP].run_id}


def test_the_app_role_sees_only_its_tenants_plans(
    tenant_ids: dict[str, uuid.UUID], first_run: dict[str, dg.ExecuteInJobResult]
) -> None:
    shop = tenant_ids[SHOP]
    seen = stored_rows("keel_app", shop)
    assert len(seen) == 4
    assert {r["tenant_id"] for r in seen} == {shop}
    assert stored_rows("keel_app") == []  # unscoped: nothing


def test_one_failing_plan_does_not_stop_the_others(
    tenant_ids: dict[str, uuid.UUID], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = PlansAssetConfig()
    options = config.options()
    with warehouse.connect("keel_transformer") as conn:
        data = read_tenant_data(conn, tenant_ids[SHOP], options)

    def broken(data: TenantData, options: PlanningOptions) -> Any:
        raise RuntimeError("the product feed is corrupt")

    planners = dict(tenant_plans.PLANNERS)
    planners["inventory"] = (broken, planners["inventory"][1])
    monkeypatch.setattr(tenant_plans, "PLANNERS", planners)
    rows = {r["plan_type"]: r for r in plan_tenant(data, options, config.solver_settings(), "run")}
    assert rows["inventory"]["status"] == "error"
    assert "the product feed is corrupt" in rows["inventory"]["explanation"]
    assert rows["pricing"]["status"] in ("optimal", "feasible")


def test_pricing_reads_the_evidence_engines_elasticities(
    tenant_ids: dict[str, uuid.UUID],
) -> None:
    options = PlansAssetConfig().options()
    with warehouse.connect("keel_transformer") as conn:
        data = read_tenant_data(conn, tenant_ids[SHOP], options)
    evidence = pl.DataFrame(
        {
            "product_id": ["p1", "p2", "unknown"],
            "estimate": [-0.6, None, -2.0],
            "ci_low": [-0.9, None, -2.5],
            "ci_high": [-0.3, None, -1.5],
            "grade": ["strong", "inconclusive", "moderate"],
        }
    )
    with_evidence = dataclasses.replace(data, elasticities=evidence)
    assert [(e.product_id, e.grade) for e in elasticities_for(with_evidence, ["p1", "p2", "p3"])] == [
        ("p1", "strong"),
        ("p2", "inconclusive"),
    ]
    problem = build_pricing_problem(with_evidence, options)
    assert problem.belief("p1").source == "strong evidence"
    assert problem.belief("p1").mean == -0.6
    assert problem.belief("p2").source.startswith("retail prior (inconclusive")
    assert problem.belief("p3").source.startswith("retail prior (no elasticity")


def test_ml_plans_sits_downstream_of_forecasts_evidence_and_its_features() -> None:
    """ML parents are assets of the ML domain; the marts' features are dbt models (tests/orchestration
    checks the whole merged graph)."""
    from orchestration.defs.ml import definitions as ml

    (spec,) = ml_plans.specs
    assert {dep.asset_key for dep in spec.deps} == {
        ML_FORECASTS,
        ML_EVIDENCE_EDGES,
        BUSINESS_METRICS_DAILY,
        *PLAN_FEATURES,
    }
    defined = {key for assets in ml.defs.assets or [] for key in assets.keys}  # type: ignore[union-attr]
    assert {ML_FORECASTS, ML_EVIDENCE_EDGES, ML_PLANS} <= defined
