"""The FRED source against a fake FRED API on 127.0.0.1, with the real client, dlt pipeline and warehouse:
pagination, a 429 with Retry-After, a 500 then success, malformed records quarantined while good rows
load, an unknown series and a malformed payload reported without stopping the others, an incremental
second run that asks only for its revision window, adds no duplicates and takes revised values; the dbt
staging models build before FRED was ever loaded and after; the Dagster asset skips without a key."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dbt.cli.main import dbtRunnerResult

from ingestion.fred.client import FredClient
from ingestion.fred.load import FredLoad, load_fred
from keel import warehouse
from keel.settings import KeelSettings, get_settings
from orchestration.defs.ingestion.fred import all_series_loaded, fred_public_series
from tests.dbt_run import failures as dbt_failures
from tests.dbt_run import run_dbt

from .fred_fake import UNKNOWN_SERIES, FakeFred, FakeSeries, monthly

KEY = "abcdefghijklmnopqrstuvwxyz123456"  # FRED keys are 32 lowercase alphanumerics
FIRST_LOADED = [date(2024, 1, 1), date(2026, 9, 1)]  # 33 months
WINDOW_DAYS = 62
PAGE = 10


def fake_series() -> list[FakeSeries]:
    unrate = monthly(date(2024, 1, 1), 33, 3.7, 0.02)
    for obs in unrate:
        if obs["date"] == "2025-10-01":
            obs["value"] = "."  # FRED's marker of a period without a value
        if obs["date"] == "2025-11-01":
            obs["value"] = "n/a"  # malformed: neither a number nor "."
    malformed: list[Any] = [
        {"date": "2025-13-01", "value": "4.2"},  # no such date
        "2025-12-01,4.3",  # not an object at all
    ]
    return [
        FakeSeries(
            "CPIAUCSL",
            "Consumer Price Index for All Urban Consumers",
            observations=monthly(date(2023, 1, 1), 45, 300.0, 0.5),
        ),
        FakeSeries("UNRATE", "Unemployment Rate", units="Percent", observations=[*unrate, *malformed]),
        FakeSeries(
            "PAYEMS",
            "All Employees, Total Nonfarm",
            units="Thousands of Persons",
            observations=monthly(date(2024, 1, 1), 33, 157000.0, 150.0),
        ),
        FakeSeries(
            "RSXFS",
            "Advance Retail Sales: Retail Trade",
            units="Millions of Dollars",
            observations=monthly(date(2024, 1, 1), 33, 610000.0, 900.0),
        ),
        FakeSeries(
            "BROKEN",
            "A series whose observations page comes back broken",
            observations=monthly(date(2024, 1, 1), 3, 1.0, 1.0),
        ),
        FakeSeries(
            "USLAH",
            "All Employees, Leisure and Hospitality",
            units="Thousands of Persons",
            observations=monthly(date(2024, 1, 1), 12, 16800.0, 10.0),
        ),
    ]


@dataclass(frozen=True)
class Runs:
    fake: FakeFred
    first: FredLoad
    second: FredLoad
    rows_after_first: dict[str, tuple[int, int]]


def raw_rows(series: list[str]) -> dict[str, tuple[int, int]]:
    """series -> (rows, distinct dates) in raw_fred.observations."""
    with warehouse.connect("admin") as conn:
        rows = conn.execute(
            "select series_id, count(*), count(distinct date) from raw_fred.observations "
            "where series_id = any(%s) group by 1",
            (series,),
        ).fetchall()
    return {s: (n, d) for s, n, d in rows}


def build_fred_staging(work_dir: Path) -> dbtRunnerResult:
    return run_dbt(work_dir, "build", "--select", "path:models/staging/fred")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeFred]:
    with FakeFred(KEY, fake_series()) as server:
        yield server


@pytest.fixture(scope="module")
def fred_settings(settings: KeelSettings) -> KeelSettings:
    return settings.model_copy(
        update={"fred_observation_start": FIRST_LOADED[0], "fred_revision_window_days": WINDOW_DAYS}
    )


@pytest.fixture(scope="module")
def client(fake: FakeFred) -> FredClient:
    # the real client; a short backoff, so only a Retry-After header can make it wait a second
    return FredClient(KEY, fake.url, page_limit=PAGE, backoff_factor=0.05, max_retry_delay=5)


@pytest.fixture(scope="module")
def dbt_dir(settings: KeelSettings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work_dir = tmp_path_factory.mktemp("dbt_fred")
    warehouse.write_dbt_profiles(work_dir / "profiles", settings)
    return work_dir


@pytest.fixture(scope="module")
def never_loaded_build(dbt_dir: Path) -> tuple[dbtRunnerResult, bool]:
    """The staging build before anything of FRED exists (every FRED load below comes after it)."""
    with warehouse.connect("admin") as conn:
        existed = conn.execute("select to_regclass('raw_fred.observations')").fetchone() != (None,)
    return build_fred_staging(dbt_dir), existed


@pytest.fixture(scope="module")
def runs(
    never_loaded_build: tuple[dbtRunnerResult, bool],
    fake: FakeFred,
    client: FredClient,
    fred_settings: KeelSettings,
) -> Runs:
    fake.plan("PAYEMS", 500)
    fake.plan("RSXFS", 429, retry_after=1)
    fake.plan("BROKEN", 200, body="<html><body>Down for maintenance</body></html>")
    first = load_fred(
        ["CPIAUCSL", "UNRATE", "PAYEMS", "RSXFS", "NOSUCH", "BROKEN"], settings=fred_settings, client=client
    )
    after_first = raw_rows(["CPIAUCSL", "UNRATE", "PAYEMS", "RSXFS"])
    cpi = fake.series["CPIAUCSL"]
    cpi.set_value("2026-08-01", "999.000")  # a revision inside the window
    cpi.set_value("2026-10-01", "322.000")
    cpi.set_value("2026-11-01", "322.500")
    second = load_fred(["CPIAUCSL", "UNRATE"], settings=fred_settings, client=client)
    return Runs(fake, first, second, after_first)


@pytest.fixture(scope="module")
def loaded_build(runs: Runs, dbt_dir: Path) -> dbtRunnerResult:
    return build_fred_staging(dbt_dir)


def test_pages_through_more_observations_than_one_page(runs: Runs) -> None:
    seen = [r for r in runs.fake.seen("CPIAUCSL") if r.status == 200][:4]  # the first run's pages
    assert [(r.params["offset"], r.params["limit"]) for r in seen] == [
        ("0", "10"),
        ("10", "10"),
        ("20", "10"),
        ("30", "10"),
    ]
    assert {r.params["observation_start"] for r in seen} == {"2024-01-01"}
    assert runs.rows_after_first["CPIAUCSL"] == (33, 33)


def test_a_429_waits_as_long_as_retry_after_says(runs: Runs) -> None:
    seen = runs.fake.seen("RSXFS")
    assert [r.status for r in seen][:2] == [429, 200]
    # the client's own backoff would have waited 0.05 s; only the header asks for a second
    assert seen[1].at - seen[0].at >= 0.95
    assert runs.rows_after_first["RSXFS"] == (33, 33)
    assert "RSXFS" not in runs.first.failures


def test_a_500_is_retried_and_then_loads(runs: Runs) -> None:
    assert [r.status for r in runs.fake.seen("PAYEMS")][:2] == [500, 200]
    assert runs.rows_after_first["PAYEMS"] == (33, 33)


def test_malformed_records_are_quarantined_and_good_rows_load(runs: Runs) -> None:
    assert runs.rows_after_first["UNRATE"] == (32, 32)  # 33 months less the "n/a" one
    with warehouse.connect("admin") as conn:
        rejected = conn.execute(
            "select problems, payload from raw_fred.rejected_records "
            "where resource = 'observations' and record_key like '%%UNRATE%%' order by problems"
        ).fetchall()
        missing = conn.execute(
            "select value from raw_fred.observations where series_id = 'UNRATE' and date = '2025-10-01'"
        ).fetchone()
    assert len(rejected) == 3, rejected
    problems = sorted(problem for problem, _ in rejected)
    assert problems[0] == "'value' should be a number, got 'n/a'"
    assert problems[1].startswith("cursor field 'date': '2025-13-01' is not a date (YYYY-MM-DD)")
    assert problems[2] == "observation is a str, not an object"
    assert missing == (".",)  # FRED's missing marker is data, not a defect


def test_an_unknown_series_and_a_broken_page_are_reported_and_the_others_load(runs: Runs) -> None:
    first = runs.first
    assert sorted(first.failures) == ["BROKEN", "NOSUCH"]
    assert UNKNOWN_SERIES in first.failures["NOSUCH"] and "400" in first.failures["NOSUCH"]
    assert "not JSON" in first.failures["BROKEN"]
    assert all(KEY not in message for message in first.failures.values())
    assert "api_key=***" in first.failures["NOSUCH"]
    assert first.loaded_series == ["CPIAUCSL", "UNRATE", "PAYEMS", "RSXFS"]
    with warehouse.connect("admin") as conn:
        broken = conn.execute(
            "select problems, payload from raw_fred.rejected_records where record_key like '%%BROKEN%%'"
        ).fetchall()
        series = conn.execute("select id from raw_fred.series order by id").fetchall()
    assert len(broken) == 1 and "not JSON" in broken[0][0] and "Down for maintenance" in broken[0][1]
    assert {"BROKEN", "CPIAUCSL", "PAYEMS", "RSXFS", "UNRATE"} <= {s for (s,) in series}
    assert ("NOSUCH",) not in series
    assert first.rejected == 4


def test_a_second_run_asks_only_for_its_revision_window_and_adds_no_duplicates(runs: Runs) -> None:
    second = runs.second
    assert second.failures == {}
    # the last loaded date (2026-09-01) less the 62-day revision window
    assert second.requested_from == {"CPIAUCSL": "2026-07-01", "UNRATE": "2026-07-01"}
    assert runs.fake.seen("CPIAUCSL")[-1].params["observation_start"] == "2026-07-01"
    assert second.rows["observations"] == 5 + 3  # CPI 07..11 (two new), UNRATE 07..09
    after = raw_rows(["CPIAUCSL", "UNRATE"])
    assert after == {"CPIAUCSL": (35, 35), "UNRATE": (32, 32)}


def test_a_revised_value_replaces_the_old_one(runs: Runs) -> None:
    with warehouse.connect("admin") as conn:
        values = conn.execute(
            "select date, value from raw_fred.observations where series_id = 'CPIAUCSL' "
            "and date in ('2026-07-01', '2026-08-01', '2026-11-01') order by date"
        ).fetchall()
    assert values == [("2026-07-01", "321.000"), ("2026-08-01", "999.000"), ("2026-11-01", "322.500")]


def test_no_api_key_skips_without_a_request(fake: FakeFred, fred_settings: KeelSettings) -> None:
    before = len(fake.requests)
    result = load_fred(["CPIAUCSL"], settings=fred_settings.model_copy(update={"fred_api_key": None}))
    assert result.skipped is not None and "KEEL_FRED_API_KEY" in result.skipped
    assert result.rows == {} and len(fake.requests) == before


def test_staging_builds_empty_before_fred_was_ever_loaded(
    never_loaded_build: tuple[dbtRunnerResult, bool],
) -> None:
    result, existed = never_loaded_build
    assert not existed, "raw_fred.observations existed before this module loaded FRED"
    assert result.success, dbt_failures(result)
    with warehouse.connect("admin") as conn:
        assert conn.execute("select count(*) from staging.stg_fred__observations").fetchone() == (0,)


def test_staging_types_the_loaded_observations(loaded_build: dbtRunnerResult) -> None:
    assert loaded_build.success, dbt_failures(loaded_build)
    with warehouse.connect("admin") as conn:
        types = dict(
            conn.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'staging' and table_name = 'stg_fred__observations'"
            ).fetchall()
        )
        cpi = conn.execute(
            "select count(*), max(value) from staging.stg_fred__observations where series_id = 'CPIAUCSL'"
        ).fetchone()
        missing = conn.execute(
            "select value from staging.stg_fred__observations "
            "where series_id = 'UNRATE' and observation_date = date '2025-10-01'"
        ).fetchone()
        series = conn.execute(
            "select title, last_updated_at from staging.stg_fred__series where series_id = 'CPIAUCSL'"
        ).fetchone()
    assert {k: types[k] for k in ("series_id", "observation_date", "value")} == {
        "series_id": "text",
        "observation_date": "date",
        "value": "numeric",
    }
    assert cpi is not None and cpi[0] == 35 and float(cpi[1]) == 999.0
    assert missing == (None,)
    assert series is not None and series[0].startswith("Consumer Price Index")
    assert series[1].isoformat() == "2026-11-13T13:38:02+00:00"


def materialize_fred(
    monkeypatch: pytest.MonkeyPatch, instance: dg.DagsterInstance, **env: str
) -> dict[dg.AssetKey, Any]:
    """Materialize the FRED assets with only ``env``'s FRED settings; their metadata by asset key."""
    for name in ("KEEL_FRED_API_KEY", "FRED_API_KEY", "KEEL_FRED_BASE_URL", "KEEL_FRED_SERIES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        result = dg.materialize([fred_public_series], instance=instance)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert result.success
    return {m.asset_key: m.metadata for m in result.asset_materializations_for_node("dlt_fred")}


def test_the_asset_without_a_key_materializes_nothing_and_says_why(
    runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = len(runs.fake.requests)
    instance = dg.DagsterInstance.ephemeral()
    metadata = materialize_fred(monkeypatch, instance)[dg.AssetKey("dlt_fred_observations")]
    assert "no API key" in str(metadata["skipped"].value)
    assert metadata["rows_loaded"].value == 0 and metadata["series_loaded"].value == 0
    assert len(runs.fake.requests) == before
    check = all_series_loaded(dg.build_asset_check_context(instance=instance))
    assert isinstance(check, dg.AssetCheckResult) and check.passed
    assert "no API key" in str(check.description)


def test_the_asset_loads_with_a_key_and_its_check_passes(runs: Runs, monkeypatch: pytest.MonkeyPatch) -> None:
    instance = dg.DagsterInstance.ephemeral()
    env = {"KEEL_FRED_API_KEY": KEY, "KEEL_FRED_BASE_URL": runs.fake.url, "KEEL_FRED_SERIES": '["USLAH"]'}
    by_key = materialize_fred(monkeypatch, instance, **env)
    observations = by_key[dg.AssetKey("dlt_fred_observations")]
    assert observations["rows_loaded"].value == 12 and observations["failed_series"].value == 0
    assert by_key[dg.AssetKey("dlt_fred_series")]["rows_loaded"].value == 1
    check = all_series_loaded(dg.build_asset_check_context(instance=instance))
    assert isinstance(check, dg.AssetCheckResult) and check.passed
    assert raw_rows(["USLAH"]) == {"USLAH": (12, 12)}


def test_the_check_fails_when_a_series_did_not_load(runs: Runs, monkeypatch: pytest.MonkeyPatch) -> None:
    instance = dg.DagsterInstance.ephemeral()
    env = {"KEEL_FRED_API_KEY": KEY, "KEEL_FRED_BASE_URL": runs.fake.url, "KEEL_FRED_SERIES": '["NOSUCH"]'}
    metadata = materialize_fred(monkeypatch, instance, **env)[dg.AssetKey("dlt_fred_observations")]
    assert metadata["failed_series"].value == 1
    check = all_series_loaded(dg.build_asset_check_context(instance=instance))
    assert isinstance(check, dg.AssetCheckResult) and not check.passed
    assert "NOSUCH" in check.metadata["failures"].value  # type: ignore[operator]
