"""The forecasting assets on the test warehouse: two synthetic tenants, materialized, read back, plotted.

The metrics rows are written here as keel_transformer (no dbt run), so the test is about the ML step
only: what it writes, that a rerun replaces rows, that keel_app sees one tenant, and the CLI's chart.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import numpy as np
import polars as pl
import pytest
import streamlit as st
import typer
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from cli.forecast import forecast_command
from keel import tenancy, warehouse
from keel.errors import InvalidInput
from keel.settings import KeelSettings
from keel.tenancy import create_tenant
from orchestration.defs.ml.checks import forecasts_sound_result
from orchestration.defs.ml.forecasts import ml_forecasting
from orchestration.defs.ml.keys import ML_FORECAST_ACCURACY, ML_FORECASTS
from serving import readers
from serving.readers import ForecastsNotStored, load_forecast, resolve_tenant
from tests.app.pages import signed_in_page
from tests.partitioned import materialize_tenants
from warehouse_init.migrate import upgrade

SLUGS = ("ml-test-alpha", "ml-test-beta")
METRICS = ("revenue_net", "orders", "new_customers")
DAYS = 400
HORIZON = 28
#: Last day of the synthetic history: the forecasts start the day after.
END = dt.date.today() - dt.timedelta(days=1)


def synthetic_metrics(tenant_id: uuid.UUID, seed: int, end: dt.date) -> pl.DataFrame:
    """``DAYS`` days of one tenant's metrics with a weekly season and every NOT NULL column filled."""
    rng = np.random.default_rng(seed)
    days = pl.date_range(end - dt.timedelta(days=DAYS - 1), end, "1d", eager=True)
    weekday = np.array([d.weekday() for d in days.to_list()])
    profile = np.array([0.8, 0.9, 1.0, 1.0, 1.2, 1.6, 1.4])[weekday]
    trend = 1 + 0.0005 * np.arange(DAYS)
    orders = rng.poisson(40 * profile * trend)
    revenue_net = np.round(orders * 25.0 + rng.normal(0, 30, DAYS), 2).clip(min=0)
    new_customers = rng.poisson(6 * profile)
    discounts = np.round(revenue_net * 0.05, 2)
    refunds = np.round(revenue_net * 0.02, 2)
    cogs = np.round(revenue_net * 0.4, 2)
    return pl.DataFrame(
        {
            "tenant_id": str(tenant_id),
            "metric_date": days,
            "currency": "USD",
            "revenue_gross": revenue_net + discounts + refunds,
            "discounts": discounts,
            "refunds": refunds,
            "revenue_net": revenue_net,
            "orders": orders,
            "cogs": cogs,
            "gross_margin": revenue_net - cogs,
            "new_customers": new_customers,
            "returning_customers": np.maximum(orders - new_customers, 0),
            "cash_in": revenue_net,
            "cash_out": cogs,
            "labor_hours": np.round(8 * profile, 2),
            "labor_cost": np.round(160 * profile, 2),
            "marketing_spend_total": 50.0,
            "marketing_spend_by_channel": '{"search": 50.0}',
            "stockout_product_days": 0,
        }
    )


def _delete_rows(tenant_ids: list[str]) -> None:
    with warehouse.connect("keel_transformer") as conn:
        conn.execute(
            "delete from metrics.business_metrics_daily where tenant_id = any(%s::uuid[])", (tenant_ids,)
        )
        for table in ("ml.forecasts", "ml.forecast_accuracy"):
            exists = conn.execute("select to_regclass(%s) is not null", (table,)).fetchone()
            if exists and exists[0]:
                conn.execute(f"delete from {table} where tenant_id = any(%s::uuid[])", (tenant_ids,))


#: The default candidates (AutoARIMA, AutoETS, AutoTheta, MSTL, SeasonalNaive, LightGBM).
RUN_CONFIG = {"ops": {"ml_forecasting": {"config": {"n_jobs": 1, "horizon": HORIZON}}}}


def materialize(tenants: list[str]) -> tuple[dict[str, dg.ExecuteInJobResult], float]:
    """Each tenant's partition in a run of its own; the results by slug and the seconds they took."""
    started = time.perf_counter()
    results = materialize_tenants([ml_forecasting], tenants, RUN_CONFIG)
    return results, time.perf_counter() - started


@pytest.fixture(scope="module")
def tenant_ids(settings: KeelSettings) -> Iterator[dict[str, uuid.UUID]]:
    ids = {slug: create_tenant(slug, slug.replace("-", " ").title()).tenant_id for slug in SLUGS}
    _delete_rows([str(t) for t in ids.values()])
    frame = pl.concat([synthetic_metrics(tid, seed, END) for seed, tid in enumerate(ids.values())])
    # COPY is refused on a table under row-level security for a role that is not its owner: INSERT.
    columns = ", ".join(frame.columns)
    placeholders = ", ".join(["%s"] * frame.width)
    with warehouse.connect("keel_transformer") as conn, conn.cursor() as cur:
        cur.executemany(
            f"insert into metrics.business_metrics_daily ({columns}) values ({placeholders})",
            frame.rows(),
        )
    yield ids
    _delete_rows([str(t) for t in ids.values()])


@pytest.fixture(scope="module")
def first_run(tenant_ids: dict[str, uuid.UUID]) -> tuple[dict[str, dg.ExecuteInJobResult], float]:
    return materialize(list(SLUGS))


def _stored(role: str = "keel_transformer", tenant_id: uuid.UUID | None = None) -> pl.DataFrame:
    with warehouse.connect(role, tenant_id=tenant_id) as conn:  # type: ignore[arg-type]
        rows = conn.execute(
            "select tenant_id::text, metric, ds, model, point, lo_80, hi_80, lo_95, hi_95, is_chosen, run_id "
            "from ml.forecasts"
        ).fetchall()
    columns = ["tenant_id", "metric", "ds", "model", "point", "lo_80", "hi_80", "lo_95", "hi_95", "is_chosen"]
    return pl.DataFrame(rows, schema=[*columns, "run_id"], orient="row")


def test_materialization_writes_every_series_with_ordered_bounds(
    tenant_ids: dict[str, uuid.UUID], first_run: tuple[dict[str, dg.ExecuteInJobResult], float]
) -> None:
    results, seconds = first_run
    assert all(r.success for r in results.values())
    assert seconds < 60, f"materialization took {seconds:.1f} s"
    stored = _stored().filter(pl.col("tenant_id").is_in([str(t) for t in tenant_ids.values()]))
    chosen = stored.filter(pl.col("is_chosen"))
    per_series = chosen.group_by("tenant_id", "metric").agg(pl.len().alias("days"), pl.col("ds").n_unique())
    assert per_series.height == len(SLUGS) * len(METRICS)
    assert per_series["days"].to_list() == [HORIZON] * per_series.height
    # each tenant's rows come from its own partition's run
    for slug, tenant in tenant_ids.items():
        of_tenant = stored.filter(pl.col("tenant_id") == str(tenant))
        assert set(of_tenant["run_id"].unique().to_list()) == {results[slug].run_id}
    assert (stored["lo_95"] <= stored["lo_80"]).all()
    assert (stored["lo_80"] <= stored["point"]).all()
    assert (stored["point"] <= stored["hi_80"]).all()
    assert (stored["hi_80"] <= stored["hi_95"]).all()
    assert chosen["ds"].min() == END + dt.timedelta(days=1)
    assert chosen["ds"].max() == END + dt.timedelta(days=HORIZON)

    with warehouse.connect("keel_transformer") as conn:
        accuracy = conn.execute(
            "select count(*), count(*) filter (where is_chosen), count(distinct (tenant_id, metric)) "
            "from ml.forecast_accuracy where tenant_id = any(%s::uuid[]) and run_id = any(%s)",
            ([str(t) for t in tenant_ids.values()], [r.run_id for r in results.values()]),
        ).fetchone()
    assert accuracy is not None
    assert accuracy[1] == accuracy[2] == len(SLUGS) * len(METRICS)
    assert accuracy[0] > accuracy[1]  # every candidate's scores are stored, not only the chosen one


def test_asset_checks_pass(first_run: tuple[dict[str, dg.ExecuteInJobResult], float]) -> None:
    results, _ = first_run
    for result in results.values():  # the checks run per partition
        evaluations = {(e.asset_key, e.check_name): e for e in result.get_asset_check_evaluations()}
        assert set(evaluations) == {
            (ML_FORECASTS, "forecasts_complete_and_ordered"),
            (ML_FORECAST_ACCURACY, "no_worse_than_seasonal_naive"),
        }
        assert all(e.passed for e in evaluations.values())
        share = evaluations[(ML_FORECAST_ACCURACY, "no_worse_than_seasonal_naive")].metadata[
            "share_no_worse_than_seasonal_naive"
        ]
        assert share.value >= 0.5


def test_the_forecast_check_reports_unordered_bounds() -> None:
    frame = pl.DataFrame(
        {
            "tenant_id": ["t", "t"],
            "unique_id": ["revenue_net", "revenue_net"],
            "model": ["AutoETS", "AutoETS"],
            "ds": [dt.date(2026, 1, 1), dt.date(2026, 1, 2)],
            "point": [10.0, 10.0],
            "lo_80": [12.0, 8.0],
            "hi_80": [13.0, 11.0],
            "lo_95": [5.0, 5.0],
            "hi_95": [15.0, None],
            "is_chosen": [True, True],
        }
    )
    outcome = forecasts_sound_result(frame, expected_rows=3)
    assert not outcome.passed
    problems = outcome.metadata["problems"].value
    assert isinstance(problems, list)
    assert any("hi_95" in p for p in problems)
    assert any("lo_80 > point" in p for p in problems)
    assert any("2 rows stored where the run produced 3" in p for p in problems)


def test_a_second_materialization_replaces_only_its_tenants_rows(
    tenant_ids: dict[str, uuid.UUID], first_run: tuple[dict[str, dg.ExecuteInJobResult], float]
) -> None:
    before = _stored()
    alpha, beta = (str(tenant_ids[s]) for s in SLUGS)
    results, _ = materialize([SLUGS[0]])
    result = results[SLUGS[0]]
    assert result.success
    after = _stored()
    for tenant in (alpha, beta):
        assert (
            after.filter(pl.col("tenant_id") == tenant).height
            == before.filter(pl.col("tenant_id") == tenant).height
        )
    assert set(after.filter(pl.col("tenant_id") == alpha)["run_id"].to_list()) == {result.run_id}
    assert set(after.filter(pl.col("tenant_id") == beta)["run_id"].to_list()) == {
        first_run[0][SLUGS[1]].run_id
    }


def test_a_tenant_without_metrics_fails_its_partition_alone(
    tenant_ids: dict[str, uuid.UUID], first_run: tuple[dict[str, dg.ExecuteInJobResult], float]
) -> None:
    create_tenant("forecast-no-metrics", "Forecast No Metrics")
    before = _stored()
    results, _ = materialize(["forecast-no-metrics"])
    failed = results["forecast-no-metrics"]
    assert not failed.success
    failure = next(e for e in failed.all_events if e.event_type_value == "STEP_FAILURE")
    assert "no rows for tenant forecast-no-metrics" in str(failure.event_specific_data)
    # the other tenants' forecasts are untouched
    assert (
        _stored()
        .sort("tenant_id", "metric", "model", "ds")
        .equals(before.sort("tenant_id", "metric", "model", "ds"))
    )


def test_the_app_role_sees_only_its_tenant(
    tenant_ids: dict[str, uuid.UUID], first_run: tuple[dict[str, dg.ExecuteInJobResult], float]
) -> None:
    alpha = tenant_ids[SLUGS[0]]
    seen = _stored("keel_app", alpha)
    assert seen.height > 0
    assert set(seen["tenant_id"].to_list()) == {str(alpha)}
    with warehouse.connect("keel_app", tenant_id=alpha) as conn:
        tenants = conn.execute("select distinct tenant_id from ml.forecast_accuracy").fetchall()
    assert [uuid.UUID(str(r[0])) for r in tenants] == [alpha]
    assert _stored("keel_app").height == 0  # unscoped: nothing


def test_the_cli_prints_and_plots(
    tenant_ids: dict[str, uuid.UUID],
    first_run: tuple[dict[str, dg.ExecuteInJobResult], float],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "charts" / "out.png"
    forecast_command(tenant=SLUGS[1], metric="orders", plot=out, days=7)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 10_000
    printed = capsys.readouterr().out
    assert "95% high" in printed
    assert first_run[0][SLUGS[1]].run_id in printed

    stored = load_forecast(resolve_tenant(str(tenant_ids[SLUGS[1]])), "orders")
    assert stored.forecast.height == HORIZON
    assert stored.history.height == DAYS
    assert stored.mase is not None and stored.mase > 0
    with pytest.raises(ForecastsNotStored, match="cash_in"):
        load_forecast(tenant_ids[SLUGS[1]], "cash_in")


def test_the_ml_definitions_join_the_code_location() -> None:
    """What the lead adds to orchestration/definitions.py: the merged graph resolves, lineage included."""
    from orchestration.definitions import defs as keel_defs
    from orchestration.defs.ml import definitions as ml

    merged = dg.Definitions.merge(keel_defs, ml.defs)
    graph = merged.get_repository_def().asset_graph
    for key in (ML_FORECASTS, ML_FORECAST_ACCURACY):
        assert graph.get(key).parent_keys == {dg.AssetKey("business_metrics_daily")}
    job = merged.get_repository_def().get_implicit_global_asset_job_def()
    assert job is not None


def _page(tenant_id: uuid.UUID) -> AppTest:
    return signed_in_page("forecasts", tenant_id, timeout=30)


def test_the_forecasts_page_shows_the_signed_in_tenants_forecast(
    tenant_ids: dict[str, uuid.UUID], first_run: tuple[dict[str, dg.ExecuteInJobResult], float]
) -> None:
    st.cache_data.clear()
    beta = tenant_ids[SLUGS[1]]
    at = _page(beta)
    assert not at.exception
    assert at.title[0].value == "What will happen?"
    assert at.selectbox[0].options == ["New customers", "Orders", "Revenue"]
    assert at.selectbox[0].value == "revenue_net"
    # the chart is the interactive one drawn from the stored rows (no static image, no forecasting import)
    assert len(at.get("image")) == 0
    at = at.selectbox[0].select("orders").run()
    assert not at.exception
    assert load_forecast(beta, "orders") is not None  # the page's metric is one the run stored for beta


def test_the_forecasts_page_without_forecasts_says_what_to_connect(settings: KeelSettings) -> None:
    st.cache_data.clear()
    # A registered tenant (its own login role exists) that has no forecasts yet.
    at = _page(create_tenant("forecasts-not-yet", "Forecasts Not Yet").tenant_id)
    assert not at.exception
    assert at.info[0].value.startswith("No forecasts yet: Keel has no data of your business")
    assert len(at.get("page_link")) == 1  # to Your data


def test_keel_forecast_as_registered_in_the_cli(
    tenant_ids: dict[str, uuid.UUID],
    first_run: tuple[dict[str, dg.ExecuteInJobResult], float],
    tmp_path: Path,
) -> None:
    """The command as cli/main.py registers it: ``keel forecast --tenant T --metric M --plot out.png``."""
    cli = typer.Typer()
    cli.callback()(lambda: None)  # a group, so the command is called by its name as under `keel`
    cli.command("forecast")(forecast_command)
    out = tmp_path / "out.png"
    result = CliRunner().invoke(
        cli, ["forecast", "--tenant", SLUGS[0], "--metric", "revenue_net", "--plot", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "revenue_net" in result.output
    assert out.exists()
    unknown = CliRunner().invoke(cli, ["forecast", "--tenant", "no-such-tenant", "--metric", "orders"])
    assert isinstance(unknown.exception, InvalidInput)


def test_no_stored_forecasts_says_to_run_the_demo(
    scratch_settings: KeelSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a warehouse where the assets never ran, the error names the command to run."""
    upgrade(settings=scratch_settings)  # `keel init` of that warehouse; connections never migrate
    monkeypatch.setattr(readers, "connect", functools.partial(warehouse.connect, settings=scratch_settings))
    monkeypatch.setattr(tenancy, "connect", functools.partial(warehouse.connect, settings=scratch_settings))
    tenant = tenancy.create_tenant("never-forecast", "Never Forecast")
    assert readers.forecast_metrics(tenant.tenant_id) == []
    with pytest.raises(ForecastsNotStored, match="keel demo"):
        readers.load_forecast(tenant.tenant_id, "revenue_net")
