"""A tenant whose CRM is Salesforce gets a pipeline: the connector loads the fake org's demo-shaped records,
dbt builds the Salesforce staging models, ``marts.opportunities`` and ``metrics.pipeline_daily`` (with their
YAML tests), and the figures equal the ones computed here, independently, from the objects the fake served:
open and weighted pipeline at the end of a day (from the stage history), win rate and median sales cycle
over the trailing 90 days.
"""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dbt.cli.main import dbtRunnerResult

from ingestion import loader
from ingestion.demo import simulate
from ingestion.sources.salesforce import CONNECTOR
from keel import tenancy, warehouse
from keel.settings import KeelSettings
from tests.conftest import database_of_its_own
from tests.dbt_run import failures, run_dbt
from tests.ingestion.salesforce_fake import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, FakeSalesforce

pytestmark = pytest.mark.dbt_build

SLUG = "ledgerline-advisors"  # a B2B services business
START, END = date(2026, 1, 1), date(2026, 6, 30)


@dataclass(frozen=True)
class Built:
    tenant: str
    timezone: str
    objects: dict[str, list[dict[str, Any]]]
    run: dbtRunnerResult


@pytest.fixture(scope="module")
def built(settings: KeelSettings, tmp_path_factory: pytest.TempPathFactory) -> Built:
    world = simulate(seed=5, start=START, end=END, scale=0.5, tenants=[SLUG])
    profile = world.tenants[0]
    tenant = tenancy.create_tenant(
        f"crm-{uuid.uuid4().hex[:6]}",
        "Ledger Test Advisors",
        industry=profile.industry,
        timezone=profile.timezone,
        currency=profile.currency,
    )
    with FakeSalesforce.serving(world, SLUG) as fake:
        result = loader.load_connector(
            CONNECTOR,
            str(tenant.tenant_id),
            {"client_id": CLIENT_ID, "login_url": fake.url},
            {"client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN},
        )
        objects = fake.objects
    assert result.ok, result.error
    work_dir = tmp_path_factory.mktemp("dbt_salesforce")
    warehouse.write_dbt_profiles(work_dir / "profiles", settings)
    run = (
        run_dbt(  # cautious: only the tests of these models, not those of the other marts of stg_app__tenants
            work_dir,
            "build",
            "--select",
            "+pipeline_daily",
            "+opportunities",
            "path:models/staging/salesforce",
            "--indirect-selection",
            "cautious",
        )
    )
    return Built(str(tenant.tenant_id), profile.timezone, objects, run)


def _local_date(stamp: str, timezone: str) -> date:
    return datetime.fromisoformat(stamp).astimezone(ZoneInfo(timezone)).date()


def expected_pipeline(built: Built, day: date) -> dict[str, Any]:
    """The pipeline figures of ``day``, from the fake's objects: each opportunity's state at the end of
    the day is its last history row changed on or before it (in the tenant's days)."""
    opportunities = {o["Id"]: o for o in built.objects["opportunities"]}
    closed_stages = {o["StageName"] for o in opportunities.values() if o["IsClosed"]}
    history: dict[str, list[dict[str, Any]]] = {}
    for row in built.objects["opportunity_history"]:
        history.setdefault(row["OpportunityId"], []).append(row)
    open_amount = weighted = Decimal(0)
    open_count = 0
    for opportunity_id, rows in history.items():
        before = [r for r in rows if _local_date(r["CreatedDate"], built.timezone) <= day]
        if opportunity_id not in opportunities or not before:
            continue
        state = max(before, key=lambda r: r["CreatedDate"])
        if state["StageName"] in closed_stages:
            continue
        open_count += 1
        open_amount += Decimal(str(state["Amount"]))
        weighted += Decimal(str(state["Amount"])) * Decimal(str(state["Probability"])) / 100
    window = [
        o
        for o in opportunities.values()
        if o["IsClosed"] and day - timedelta(days=89) <= date.fromisoformat(o["CloseDate"]) <= day
    ]
    won = [o for o in window if o["IsWon"]]
    cycles = [
        (date.fromisoformat(o["CloseDate"]) - _local_date(o["CreatedDate"], built.timezone)).days for o in won
    ]
    return {
        "open_opportunities": open_count,
        "open_pipeline_amount": open_amount.quantize(Decimal("0.01")),
        "weighted_pipeline_amount": weighted.quantize(Decimal("0.01")),
        "win_rate_90d": round(Decimal(len(won)) / len(window), 4) if window else None,
        "median_sales_cycle_days_90d": Decimal(str(statistics.median(cycles))).quantize(Decimal("0.1"))
        if cycles
        else None,
    }


def _row(built: Built, day: date) -> dict[str, Any]:
    with warehouse.connect("admin") as conn:
        cursor = conn.execute(
            "select open_opportunities, open_pipeline_amount, weighted_pipeline_amount, win_rate_90d, "
            "median_sales_cycle_days_90d from metrics.pipeline_daily "
            "where tenant_id = %s and metric_date = %s",
            (built.tenant, day),
        )
        names = [c.name for c in cursor.description or []]
        found = cursor.fetchone()
    assert found is not None, f"no pipeline row for {day}"
    return dict(zip(names, found, strict=True))


def test_pipeline_mart_has_the_figures_the_fake_served(built: Built) -> None:
    assert built.run.success, failures(built.run)
    with warehouse.connect("admin") as conn:
        counted = conn.execute(
            "select count(*), count(*) filter (where is_won), count(*) filter (where not is_closed) "
            "from marts.opportunities where tenant_id = %s",
            (built.tenant,),
        ).fetchone()
        last_day = conn.execute(
            "select max(metric_date) from metrics.pipeline_daily where tenant_id = %s", (built.tenant,)
        ).fetchone()
    assert counted is not None and last_day is not None
    opportunities = built.objects["opportunities"]
    assert counted == (
        len(opportunities),
        sum(o["IsWon"] for o in opportunities),
        sum(not o["IsClosed"] for o in opportunities),
    )
    assert counted[2] > 0 and counted[1] > 10
    for day in (last_day[0], last_day[0] - timedelta(days=45), START + timedelta(days=100)):
        expected = expected_pipeline(built, day)
        assert _row(built, day) == expected, day
    assert expected_pipeline(built, last_day[0])["open_pipeline_amount"] > 0


@pytest.fixture(scope="module")
def settings(keel_home: Path) -> Iterator[KeelSettings]:
    """This module's own database: it builds dbt over every tenant of the database."""
    with database_of_its_own(keel_home, "salesforce_pipeline") as own:
        yield own
