"""The dbt project end to end on a small demo: `dbt build` (models, data tests, unit tests) succeeds,
metrics.business_metrics_daily equals an independent computation from the raw records to the cent
(after the first build, and again after an incremental build over new days), a second build
changes no row counts, and the app sees only its own tenant's rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from dbt.cli.main import dbtRunnerResult

from ingestion.demo import DemoWorld, simulate
from ingestion.demo_load import load_sources, register_tenants
from keel import warehouse
from keel.settings import KeelSettings
from tests.conftest import database_of_its_own
from tests.dbt_run import failures, node_results, run_dbt

from .independent_metrics import BALANCE_METRICS, COUNT_METRICS, MONEY_METRICS, expected_metrics, tenant_days

pytestmark = pytest.mark.dbt_build

# One business of each revenue model: an online store (tax, shipping, restocked returns, ads), a
# salon (tips, refunds, shifts), a software company (trials, MRR) and a B2B firm (receivables).
TENANTS = ["kindred-skincare", "the-barber-collective", "tidyshift", "brightpath-marketing"]
START, END, LATER_END = date(2026, 5, 15), date(2026, 7, 10), date(2026, 7, 20)
METRICS = "metrics.business_metrics_daily"
COMPARED = (*MONEY_METRICS, *COUNT_METRICS, *BALANCE_METRICS)
BUILT_TABLES = ("marts.orders", "marts.order_lines", "marts.refunds", "marts.payments", "marts.customers")


@dataclass(frozen=True)
class Builds:
    world: DemoWorld
    first: dbtRunnerResult
    second: dbtRunnerResult
    later: dbtRunnerResult
    counts_after_first: dict[str, int]
    counts_after_second: dict[str, int]
    mismatches_after_first: list[str]
    mismatches_after_later: list[str]


def row_counts(tenant_ids: list[str]) -> dict[str, int]:
    with warehouse.connect("admin") as conn:
        counts = {
            table: conn.execute(f"select count(*) from {table}").fetchone()[0]  # type: ignore[index]
            for table in BUILT_TABLES
        }
        counts["metrics.business_metrics_daily (these tenants)"] = conn.execute(  # type: ignore[index]
            "select count(*) from metrics.business_metrics_daily where tenant_id = any(%s::uuid[])",
            (tenant_ids,),
        ).fetchone()[0]
    return counts


def load(world: DemoWorld) -> None:
    register_tenants(world, with_owners=False)
    results = load_sources(world)
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]


def metric_mismatches(world: DemoWorld) -> list[str]:
    """Every tenant, day and metric where dbt and the Python computation from raw disagree."""
    mismatches: list[str] = []
    with warehouse.connect("admin") as conn:
        last_day = conn.execute(f"select max(metric_date) from {METRICS}").fetchone()[0]  # type: ignore[index]
        for tenant in world.tenants:
            expected = expected_metrics(tenant_days(conn, str(tenant.tenant_id)), last_day)
            with conn.cursor() as cur:
                cur.execute(
                    f"select metric_date, {', '.join(COMPARED)} from {METRICS} "
                    "where tenant_id = %s order by metric_date",
                    (tenant.tenant_id,),
                )
                actual = {row[0]: dict(zip(COMPARED, row[1:], strict=True)) for row in cur.fetchall()}
            if sorted(actual) != sorted(expected):
                mismatches.append(
                    f"{tenant.slug}: days {min(actual, default=None)}..{max(actual, default=None)}"
                )
                continue
            for day, values in expected.items():
                for metric, value in values.items():
                    if actual[day][metric] != value:
                        got = actual[day][metric]
                        mismatches.append(f"{tenant.slug} {day} {metric}: dbt {got} != {value}")
    return mismatches


@pytest.fixture(scope="module")
def builds(settings: KeelSettings, tmp_path_factory: pytest.TempPathFactory) -> Builds:
    world = simulate(seed=5, start=START, end=END, tenants=TENANTS)
    load(world)
    tenant_ids = [str(t.tenant_id) for t in world.tenants]
    with warehouse.connect("admin") as conn:  # a clean slate for these tenants' metric days
        conn.execute(f"delete from {METRICS} where tenant_id = any(%s::uuid[])", (tenant_ids,))
    work_dir = tmp_path_factory.mktemp("dbt")
    warehouse.write_dbt_profiles(work_dir / "profiles", settings)
    first = run_dbt(work_dir, "build")
    after_first = row_counts(tenant_ids)
    mismatches_after_first = metric_mismatches(world)
    second = run_dbt(work_dir, "build")
    after_second = row_counts(tenant_ids)
    # ten days later: new days, and refunds and payments that change days already built
    load(simulate(seed=5, start=START, end=LATER_END, tenants=TENANTS))
    later = run_dbt(work_dir, "build")
    return Builds(
        world,
        first,
        second,
        later,
        after_first,
        after_second,
        mismatches_after_first,
        metric_mismatches(world),
    )


def test_dbt_build_passes_models_data_tests_and_unit_tests(builds: Builds) -> None:
    assert builds.first.success, failures(builds.first)
    kinds = {r.node.resource_type for r in node_results(builds.first)}
    assert {"model", "test", "unit_test"} <= {str(k) for k in kinds}
    assert builds.second.success, failures(builds.second)


def test_metrics_equal_an_independent_computation_from_raw(builds: Builds) -> None:
    assert builds.mismatches_after_first[:20] == []


def test_an_incremental_build_over_new_days_still_equals_it(builds: Builds) -> None:
    assert builds.later.success, failures(builds.later)
    with warehouse.connect("admin") as conn:
        last_day = conn.execute(f"select max(metric_date) from {METRICS}").fetchone()[0]  # type: ignore[index]
    assert last_day >= LATER_END - timedelta(days=1)
    assert builds.mismatches_after_later[:20] == []


def test_every_business_shows_its_own_kind_of_activity(builds: Builds) -> None:
    with warehouse.connect("admin") as conn:
        totals = {
            slug: row
            for slug, *row in conn.execute(
                "select t.slug, sum(m.orders), sum(m.refunds), max(m.receivables_outstanding), max(m.mrr), "
                "sum(m.labor_hours), sum(m.marketing_spend_total), sum(m.new_customers), sum(m.cogs) "
                "from metrics.business_metrics_daily m join app.tenants t using (tenant_id) "
                "where t.slug = any(%s) group by 1",
                (TENANTS,),
            ).fetchall()
        }
    orders, refunds, receivables, mrr, labor, ads, new_customers, cogs = range(8)
    assert all(totals[slug][orders] > 50 for slug in TENANTS), totals
    assert totals["kindred-skincare"][refunds] > 0 and totals["kindred-skincare"][cogs] > 0
    assert totals["kindred-skincare"][ads] > 0 and totals["kindred-skincare"][new_customers] > 0
    assert totals["the-barber-collective"][labor] > 0 and totals["the-barber-collective"][refunds] > 0
    assert totals["tidyshift"][mrr] > 0 and totals["kindred-skincare"][mrr] is None
    assert totals["brightpath-marketing"][receivables] > 0
    assert totals["the-barber-collective"][receivables] is None


def test_a_second_build_leaves_row_counts_unchanged(builds: Builds) -> None:
    assert builds.counts_after_first["marts.order_lines"] > 1000
    assert builds.counts_after_second == builds.counts_after_first


def test_the_app_sees_only_its_tenants_metric_rows(builds: Builds) -> None:
    tenant, other = builds.world.tenants[0], builds.world.tenants[1]
    with warehouse.connect("admin") as conn:
        own_rows = conn.execute(
            "select count(*) from metrics.business_metrics_daily where tenant_id = %s", (tenant.tenant_id,)
        ).fetchone()[0]  # type: ignore[index]
    with warehouse.connect("keel_app", tenant_id=tenant.tenant_id) as conn:
        seen = conn.execute(f"select tenant_id, count(*) from {METRICS} group by 1").fetchall()
        other_orders = conn.execute(
            "select count(*) from marts.orders where tenant_id = %s", (other.tenant_id,)
        ).fetchone()[0]  # type: ignore[index]
    assert own_rows > (END - START).days
    assert seen == [(tenant.tenant_id, own_rows)]
    assert other_orders == 0
    with warehouse.connect("keel_app") as conn:  # no tenant chosen: nothing
        assert conn.execute("select count(*) from metrics.business_metrics_daily").fetchone()[0] == 0  # type: ignore[index]


def test_the_window_vars_rebuild_only_their_days(
    builds: Builds, tmp_path: Path, settings: KeelSettings
) -> None:
    day = END - timedelta(days=3)
    with warehouse.connect("admin") as conn:
        before = dict(
            conn.execute(
                f"select metric_date, dbt_invocation_id from {METRICS} where tenant_id = %s",
                (builds.world.tenants[0].tenant_id,),
            ).fetchall()
        )
    warehouse.write_dbt_profiles(tmp_path / "profiles", settings)
    result = run_dbt(
        tmp_path,
        "run",
        "--select",
        "business_metrics_daily",
        "--vars",
        f"{{min_date: '{day}', max_date: '{day}'}}",
    )
    assert result.success, failures(result)
    with warehouse.connect("admin") as conn:
        after = dict(
            conn.execute(
                f"select metric_date, dbt_invocation_id from {METRICS} where tenant_id = %s",
                (builds.world.tenants[0].tenant_id,),
            ).fetchall()
        )
    changed = {d for d in after if after[d] != before[d]}
    assert changed == {day}
    assert sorted(after) == sorted(before)


def test_a_window_var_that_is_not_a_date_is_refused(
    builds: Builds, tmp_path: Path, settings: KeelSettings
) -> None:
    warehouse.write_dbt_profiles(tmp_path / "profiles", settings)
    result = run_dbt(
        tmp_path, "compile", "--select", "business_metrics_daily", "--vars", "{min_date: 2026-01-01 or true}"
    )
    assert not result.success
    messages = str(result.exception) + " ".join(str(r.message) for r in node_results(result))
    assert "must be a date written YYYY-MM-DD" in messages


def test_a_dagster_backfill_of_one_day_rebuilds_only_that_day(builds: Builds) -> None:
    """Materializing business_metrics_daily from Dagster with first_day = last_day rewrites that day's
    rows of every tenant and no other day's."""
    import dagster as dg
    from dagster_dbt import DbtCliResource

    from orchestration.defs.dbt.assets import keel_dbt_models
    from orchestration.defs.dbt.project import DBT_EXECUTABLE, dbt_project

    day = END - timedelta(days=10)

    def invocations() -> dict[tuple[str, date], str]:
        with warehouse.connect("admin") as conn:
            rows = conn.execute(
                f"select tenant_id::text, metric_date, dbt_invocation_id from {METRICS} "
                "where tenant_id = any(%s::uuid[])",
                ([str(t.tenant_id) for t in builds.world.tenants],),
            ).fetchall()
        return {(tenant, metric_date): invocation for tenant, metric_date, invocation in rows}

    before = invocations()
    result = dg.materialize(
        [keel_dbt_models],
        selection=[dg.AssetKey("business_metrics_daily")],
        resources={"dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=str(DBT_EXECUTABLE))},
        run_config={"ops": {"keel_dbt_models": {"config": {"first_day": str(day), "last_day": str(day)}}}},
    )
    assert result.success
    after = invocations()
    assert sorted(after) == sorted(before)
    changed = {key for key in after if after[key] != before[key]}
    assert changed == {(str(t.tenant_id), day) for t in builds.world.tenants}


@pytest.fixture(scope="module")
def settings(keel_home: Path) -> Iterator[KeelSettings]:
    """This module's own database: it loads demo businesses and counts or builds over all of them."""
    with database_of_its_own(keel_home, "business_metrics") as own:
        yield own
