"""The QuickBooks Online connector against a fake Intuit (OAuth 2.0 + Accounting API v3) on 127.0.0.1
(tests/ingestion/quickbooks_fake.py), with the real client, dlt and the embedded warehouse: a full load
equals the fake's contents (paged queries); a second run asks Change Data Capture for what changed and
loads nothing new; changes and deletions propagate (a deleted object stays, marked deleted); beyond CDC's
30 days, or at its cap, the changes come from a query; a run killed with SIGKILL half-way converges on
the next; a bad object is quarantined while the rest load; 429s (Intuit's throttle), 5xx and timeouts are
retried; the client keeps under the requests-per-minute limit itself; a cut-off page fails the load
cleanly and the next run completes; an expired access token is renewed and the rotated refresh token is
stored before the load goes on; a revoked authorization asks the owner to reconnect, in
``keel ingest status`` too, while other tenants keep loading; ``keel source add quickbooks`` runs the
consent and stores the company id and tokens encrypted."""

from __future__ import annotations

import copy
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from typer.testing import CliRunner

from ingestion import loader
from ingestion.demo import DemoWorld, simulate
from ingestion.run import configured_sources, latest_loads, run_tenant_sources
from ingestion.sources import oauth
from ingestion.sources.connector import ConnectorConfigError, LoadSecrets
from ingestion.sources.quickbooks import CONNECTOR, QuickBooksSettings, helpers
from ingestion.sources.quickbooks.settings import LOOKBACK
from ingestion.sources.quickbooks.settings import RESOURCES as RESOURCE_SPECS
from keel import tenancy, warehouse
from keel.secrets import decrypt_secrets
from keel.settings import KeelSettings, get_settings

from .quickbooks_fake import BY_ENTITY, CLIENT_ID, CLIENT_SECRET, RESOURCES, FakeQuickBooks, updated

SLUG = "brightpath-marketing"  # a services business: invoices, payments, bills, purchases
START, END = date(2026, 3, 1), date(2026, 5, 31)
#: The fake's clock and the connector's: the day after the simulated history ends.
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
REALM = "9130356609475236"


@pytest.fixture(scope="module")
def world() -> DemoWorld:
    return simulate(seed=7, start=START, end=END, scale=0.5, tenants=[SLUG])


@pytest.fixture(scope="module")
def demo_objects(world: DemoWorld) -> dict[str, list[dict[str, Any]]]:
    return FakeQuickBooks.serving(world, str(world.tenants[0].tenant_id), REALM, now=NOW).objects


@pytest.fixture
def fake(demo_objects: dict[str, list[dict[str, Any]]], intuit_app: None) -> Iterator[FakeQuickBooks]:
    with FakeQuickBooks(copy.deepcopy(demo_objects), REALM, now=NOW) as qbo:
        os.environ["KEEL_QUICKBOOKS_TOKEN_URL"] = qbo.token_url
        os.environ["KEEL_QUICKBOOKS_AUTHORIZE_URL"] = qbo.authorize_url
        get_settings.cache_clear()
        yield qbo


@pytest.fixture
def intuit_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keel's Intuit app keys, and the connector's clock at the fake's ``NOW``."""
    monkeypatch.setenv("KEEL_QUICKBOOKS_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("KEEL_QUICKBOOKS_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("KEEL_QUICKBOOKS_TOKEN_URL", "http://127.0.0.1:9/unset")
    monkeypatch.setenv("KEEL_QUICKBOOKS_AUTHORIZE_URL", "http://127.0.0.1:9/unset")
    monkeypatch.setattr(helpers, "utc_now", lambda: NOW)
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def tenant(settings: KeelSettings, world: DemoWorld) -> str:
    """A new tenant (not a demo one) like the simulated agency: its data comes only from the connector."""
    profile = world.tenants[0]
    made = tenancy.create_tenant(
        f"books-{uuid.uuid4().hex[:8]}",
        "Brightpath Test",
        timezone=profile.timezone,
        currency=profile.currency,
    )
    return str(made.tenant_id)


def config(fake: FakeQuickBooks, **extra: Any) -> dict[str, Any]:
    return {"realm_id": REALM, "base_url": fake.url, **extra}


def load(
    fake: FakeQuickBooks, tenant: str, secrets: dict[str, str] | None = None, **extra: Any
) -> loader.TenantLoad:
    return loader.load_connector(CONNECTOR, tenant, config(fake, **extra), secrets or fake.grant())


def loaded(tenant: str, resource: str) -> dict[str, dict[str, Any]]:
    """The tenant's rows of ``raw_quickbooks.<resource>`` by Id."""
    with warehouse.connect("admin") as conn:
        if conn.execute("select to_regclass(%s)", (f"raw_quickbooks.{resource}",)).fetchone() == (None,):
            return {}
        cursor = conn.execute(f"select * from raw_quickbooks.{resource} where tenant_id = %s", (tenant,))
        names = [c.name for c in cursor.description or []]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        assert row["id"] not in out, f"duplicate {resource} row {row['id']}"
        out[row["id"]] = row
    return out


def assert_equals_fake(fake: FakeQuickBooks, tenant: str) -> None:
    """Every object the fake serves is loaded once, deleted ones stay marked deleted, and nothing else."""
    for resource in RESOURCES:
        rows = loaded(tenant, resource)
        live = {o["Id"] for o in fake.objects[resource]}
        deleted = {object_id for object_id, _ in fake.deleted[resource]}
        assert set(rows) == live | deleted, resource
        for object_id in deleted:
            assert rows[object_id]["status"] == "Deleted", (resource, object_id)


def latest_changes(fake: FakeQuickBooks) -> dict[str, datetime | None]:
    """Per resource, the latest ``LastUpdatedTime`` the fake serves (what a load leaves as its cursor)."""
    return {
        name: max((datetime.fromisoformat(o["MetaData"]["LastUpdatedTime"]) for o in objects), default=None)
        for name, objects in fake.objects.items()
    }


def in_look_back_window(
    fake: FakeQuickBooks, cursors: dict[str, datetime | None] | None = None
) -> dict[str, int]:
    """Per resource, how many objects the next run merges: changed at or after the previous load (the latest
    cursor of any resource) less the look-back (deletions included)."""
    cursors = cursors or latest_changes(fake)
    previous_load = max(cursor for cursor in cursors.values() if cursor is not None)
    counts = {}
    for name in RESOURCES:
        cursor = cursors[name]
        stamps = [updated(o) for o in fake.objects[name]]
        stamps += [datetime.fromisoformat(when).timestamp() for _, when in fake.deleted[name]]
        bound = None if cursor is None else (max(cursor, previous_load) - LOOKBACK).timestamp()
        counts[name] = sum(1 for t in stamps if bound is None or t >= bound)
    return counts


def test_settings_and_app_keys_are_checked_with_words(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = CONNECTOR.parse_config({"realm_id": " 9130356609475236 "})
    assert isinstance(parsed, QuickBooksSettings)
    assert parsed.realm_id == REALM and parsed.minor_version == "75" and parsed.rate_limit == "450/minute"
    with pytest.raises(ConnectorConfigError) as bad:
        CONNECTOR.parse_config({"realm_id": "acme", "minor_version": "v4", "rate_limit": "fast"})
    message = str(bad.value)
    assert "realm_id" in message and "company id" in message
    assert "minor_version" in message and "rate_limit" in message
    assert [spec.name for spec in RESOURCE_SPECS] == list(RESOURCES)

    monkeypatch.delenv("KEEL_QUICKBOOKS_CLIENT_ID", raising=False)
    get_settings.cache_clear()
    try:
        assert CONNECTOR.consent is not None
        with pytest.raises(ConnectorConfigError, match="KEEL_QUICKBOOKS_CLIENT_ID"):
            CONNECTOR.consent.app({}, {})
    finally:
        get_settings.cache_clear()


def test_full_load_second_run_changes_and_deletions(fake: FakeQuickBooks, tenant: str) -> None:
    first = load(fake, tenant, page_size=10)
    assert first.ok, first.error
    assert first.rejected == 0
    assert_equals_fake(fake, tenant)
    for resource in RESOURCES:
        assert len(fake.objects[resource]) > 0, resource
        assert first.rows[resource] == len(fake.objects[resource]), resource
    queries = fake.seen("query")
    assert all(r.params.get("minorversion") == "75" for r in queries)
    assert len(fake.seen("query", "Invoice")) > 2  # paged: STARTPOSITION 1, 11, 21...
    assert "STARTPOSITION 11 MAXRESULTS 10" in fake.seen("query", "Invoice")[1].params["query"]
    assert all("Active IN (true, false)" in r.params["query"] for r in fake.seen("query", "Customer"))
    invoice = next(o for o in fake.objects["invoices"] if o["LinkedTxn"])
    row = loaded(tenant, "invoices")[invoice["Id"]]
    assert row["total_amt"] == invoice["TotalAmt"] and json.loads(row["line"]) == invoice["Line"]

    # a second run asks Change Data Capture, one request per entity, for what changed since the previous
    # load (the latest cursor of any resource) less the look-back; it adds nothing
    cursors = latest_changes(fake)
    previous_load = max(cursor for cursor in cursors.values() if cursor is not None)
    assert previous_load > NOW - timedelta(days=29)
    before = len(fake.requests)
    second = load(fake, tenant)
    assert second.ok, second.error
    assert second.rows == in_look_back_window(fake)
    assert_equals_fake(fake, tenant)
    again = fake.requests[before:]
    assert [r.endpoint for r in again] == ["cdc"] * len(RESOURCES)
    for seen in again:
        name = BY_ENTITY[seen.params["entities"]]
        cursor = cursors[name]
        assert cursor is not None
        assert datetime.fromisoformat(seen.params["changedSince"]) == max(cursor, previous_load) - LOOKBACK

    # the books change: an invoice is paid, a new bill comes in, a payment and a vendor are deleted
    paid = next(o for o in fake.objects["invoices"] if o["Balance"] > 0)
    paid["Balance"] = 0.0
    paid["SyncToken"] = str(int(paid["SyncToken"]) + 1)
    paid["MetaData"]["LastUpdatedTime"] = "2026-06-01T09:00:00-07:00"
    new_bill = copy.deepcopy(fake.objects["bills"][-1])
    new_bill["Id"] = "90001"
    new_bill["MetaData"] = {
        "CreateTime": "2026-06-01T09:30:00-07:00",
        "LastUpdatedTime": "2026-06-01T09:30:00-07:00",
    }
    fake.objects["bills"].append(new_bill)
    gone = fake.delete("payments", fake.objects["payments"][0]["Id"], "2026-06-01T10:00:00-07:00")
    vendor = fake.delete("vendors", fake.objects["vendors"][-1]["Id"], "2026-06-01T10:05:00-07:00")
    third = load(fake, tenant)
    assert third.ok, third.error
    assert third.rows == in_look_back_window(fake, cursors)
    assert third.rows["payments"] >= 1 and third.rows["bills"] >= 1
    assert_equals_fake(fake, tenant)
    assert loaded(tenant, "invoices")[paid["Id"]]["balance"] == 0.0
    assert loaded(tenant, "bills")["90001"]["total_amt"] == new_bill["TotalAmt"]
    kept = loaded(tenant, "payments")[gone["Id"]]  # marked deleted, not dropped
    assert kept["status"] == "Deleted" and kept["_keel_cursor_at"] == datetime(2026, 6, 1, 17, 0, tzinfo=UTC)
    assert loaded(tenant, "vendors")[vendor["Id"]]["status"] == "Deleted"


def test_beyond_cdcs_30_days_the_changes_come_from_a_query(
    fake: FakeQuickBooks, tenant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load(fake, tenant).ok
    cursors = latest_changes(fake)
    previous_load = max(cursor for cursor in cursors.values() if cursor is not None)
    later = NOW + timedelta(days=40)  # the next load comes 40 days later: CDC no longer reaches back
    fake.now = later
    monkeypatch.setattr(helpers, "utc_now", lambda: later)
    edited = fake.objects["bills"][0]
    edited["PrivateNote"] = "late edit"
    edited["MetaData"]["LastUpdatedTime"] = "2026-07-05T09:00:00-07:00"
    before = len(fake.requests)
    result = load(fake, tenant, fake.grant())
    assert result.ok, result.error
    asked = [r for r in fake.requests[before:] if r.endpoint != "token"]
    assert asked and {r.endpoint for r in asked} == {"query"}
    stamp = (previous_load - LOOKBACK).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    assert all(f"Metadata.LastUpdatedTime >= '{stamp}'" in r.params["query"] for r in asked)
    assert loaded(tenant, "bills")[edited["Id"]]["private_note"] == "late edit"
    assert_equals_fake(fake, tenant)


def test_cdc_cut_short_at_its_cap_is_followed_on(fake: FakeQuickBooks, tenant: str) -> None:
    assert load(fake, tenant).ok
    fake.cdc_max = 3
    for n, invoice in enumerate(fake.objects["invoices"][:5]):
        invoice["MetaData"]["LastUpdatedTime"] = f"2026-06-01T08:0{n}:00-07:00"
        invoice["PrivateNote"] = "edited"
    fake.delete("invoices", fake.objects["invoices"][-1]["Id"], "2026-06-01T08:30:00-07:00")
    before = len(fake.requests)
    result = load(fake, tenant)
    assert result.ok, result.error
    asked = [r for r in fake.requests[before:] if r.entity == "Invoice"]
    assert [r.endpoint for r in asked] == ["cdc", "cdc", "cdc"]  # from the latest change each answer held
    assert asked[1].params["changedSince"] == "2026-06-01T15:02:00+00:00"
    assert_equals_fake(fake, tenant)
    notes = [row["private_note"] for row in loaded(tenant, "invoices").values()]
    assert notes.count("edited") == 5


def test_bad_object_is_quarantined_and_the_rest_load(fake: FakeQuickBooks, tenant: str) -> None:
    broken = fake.objects["invoices"][3]
    broken["TotalAmt"] = "1,234.50"
    result = load(fake, tenant)
    assert result.ok, result.error
    assert result.rejected == 1
    rows = loaded(tenant, "invoices")
    assert len(rows) == len(fake.objects["invoices"]) - 1 and broken["Id"] not in rows
    with warehouse.connect("admin") as conn:
        found = conn.execute(
            "select resource, record_key, problems from raw_quickbooks.rejected_records where tenant_id = %s",
            (tenant,),
        ).fetchall()
    assert len(found) == 1
    resource, key, problems = found[0]
    assert resource == "invoices" and broken["Id"] in key and "TotalAmt" in problems


def test_429_5xx_and_timeouts_are_retried(fake: FakeQuickBooks, tenant: str) -> None:
    fake.fault("429", "query")
    fake.fault("500", "query")
    fake.fault("503", "query")
    fake.fault("timeout", "query")
    result = load(fake, tenant, request_timeout=1.0)
    assert result.ok, result.error
    assert_equals_fake(fake, tenant)
    statuses = [r.status for r in fake.seen("query")]
    assert 429 in statuses and 500 in statuses and 503 in statuses
    for seen in fake.requests:
        if seen.status == 429:  # Intuit's Retry-After was honoured before asking again
            retried = min(r.at for r in fake.requests if r.path == seen.path and r.at > seen.at)
            assert retried - seen.at >= 0.95


def test_client_keeps_under_the_throttle(fake: FakeQuickBooks, tenant: str) -> None:
    # Intuit's 500 a minute (Keel keeps to 450), scaled down to 5 in 2 seconds (Keel: 4): a sixth request
    # within 2 s would get a 429
    fake.per_minute, fake.throttle_window = 5, 2.0
    started = time.monotonic()
    result = load(fake, tenant, page_size=20, rate_limit="4/2 seconds")
    assert result.ok, result.error
    api = [r for r in fake.requests if r.endpoint in ("query", "cdc")]
    assert len(api) > 8 and {r.status for r in api} == {200}  # it waited instead of meeting a 429
    assert time.monotonic() - started >= 2 * (len(api) // 4 - 1)
    assert_equals_fake(fake, tenant)


def test_truncated_page_fails_cleanly_and_the_next_run_completes(fake: FakeQuickBooks, tenant: str) -> None:
    fake.fault("truncated", "query")
    secrets = fake.grant()
    failed = load(fake, tenant, secrets)
    assert not failed.ok and not failed.needs_reconnect
    assert "QuickBooksPayloadError" in (failed.error or "") and "/v3/company/" in (failed.error or "")
    assert secrets["access_token"] not in (failed.error or "")
    assert loaded(tenant, "customers") == {}  # nothing half-loaded
    retried = load(fake, tenant, secrets)
    assert retried.ok, retried.error
    assert_equals_fake(fake, tenant)


def test_expired_access_token_is_renewed_and_the_rotated_refresh_token_stored(
    fake: FakeQuickBooks, tenant: str
) -> None:
    granted = fake.grant()
    stored: list[dict[str, str]] = []
    fake.expire_access_tokens()  # QuickBooks ends the access token early: 401, then a refresh
    result = loader.load_connector(CONNECTOR, tenant, config(fake), granted, save_secrets=stored.append)
    assert result.ok, result.error
    assert_equals_fake(fake, tenant)
    assert [r.status for r in fake.seen("token")] == [200]
    assert len(stored) == 1 and stored[0]["refresh_token"] != granted["refresh_token"]
    assert granted["refresh_token"] not in fake.refresh_tokens  # the old one no longer works
    assert 401 in [r.status for r in fake.requests]

    # an access token past its stated expiry is renewed before any request, with the stored refresh token
    stale = {**stored[0], "access_token_expires_at": (NOW - timedelta(minutes=5)).isoformat()}
    before = len(fake.requests)
    again = loader.load_connector(CONNECTOR, tenant, config(fake), stale, save_secrets=stored.append)
    assert again.ok, again.error
    assert fake.requests[before].endpoint == "token" and len(stored) == 2
    assert 401 not in [r.status for r in fake.requests[before:]]

    # a saver that cannot store the new tokens stops the load and asks to reconnect
    def broken(_: dict[str, str]) -> None:
        raise OSError("disk full")

    fake.expire_access_tokens()
    lost = loader.load_connector(CONNECTOR, tenant, config(fake), stored[-1], save_secrets=broken)
    assert not lost.ok and lost.needs_reconnect and "could not store" in (lost.error or "")


def test_revoked_authorization_asks_to_reconnect(fake: FakeQuickBooks, tenant: str) -> None:
    granted = fake.grant()
    fake.revoke()
    result = load(fake, tenant, granted)
    assert not result.ok and result.needs_reconnect
    assert "Connect QuickBooks again" in (result.error or "") and "invalid_grant" in (result.error or "")
    for secret in granted.values():
        assert secret not in (result.error or "")
    assert [r.status for r in fake.requests] == [401, 400]  # the API refused, then the refresh: no retries


def test_rotation_is_stored_and_a_revoked_tenant_does_not_stop_others(
    fake: FakeQuickBooks, tenant: str, world: DemoWorld
) -> None:
    """Through ``keel ingest run``'s path: app.data_sources holds the rotated tokens at once."""
    tenancy.save_data_source(tenant, "quickbooks", "books", config(fake), fake.grant())
    other = tenancy.create_tenant(f"books-{uuid.uuid4().hex[:8]}", "Other Books", currency="USD")
    tenancy.save_data_source(other.tenant_id, "quickbooks", "books", config(fake), fake.grant())
    fake.expire_access_tokens()
    runs = run_tenant_sources(tenant)
    assert [r.ok for r in runs] == [True], [r.load.error for r in runs]
    (configured,) = configured_sources(tenant)
    assert configured.secrets["refresh_token"] in fake.refresh_tokens  # the rotated one, stored
    with warehouse.connect("admin") as conn:
        hint, token = conn.execute(
            "select secrets_hint, secrets_encrypted from app.data_sources where tenant_id = %s", (tenant,)
        ).fetchone()
    assert decrypt_secrets(token)["refresh_token"] == configured.secrets["refresh_token"]
    assert configured.secrets["refresh_token"] not in json.dumps(hint)

    # the owner revokes Keel in QuickBooks: that tenant needs reconnecting; another still loads
    fake.revoke()
    revoked = run_tenant_sources(tenant)
    assert revoked[0].load.needs_reconnect
    fresh = fake.grant()
    tenancy.save_data_source(other.tenant_id, "quickbooks", "books", config(fake), fresh)
    assert [r.ok for r in run_tenant_sources(other.tenant_id)] == [True]
    states = {s.resource: s.needs_reconnect for s in latest_loads(tenant)}
    assert states and all(states.values())
    from app.your_data import _consent_sources, source_sentences

    (told,) = source_sentences(latest_loads(tenant), {"quickbooks": "QuickBooks"}, NOW, _consent_sources())
    assert told[0] == "reconnect" and "approve Keel again with Connect QuickBooks" in told[1], told
    result = CliRunner().invoke(_cli(), ["ingest", "status", "--tenant", tenancy_slug(tenant)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "needs reconnecting" in said and "keel source add quickbooks" in said


def tenancy_slug(tenant: str) -> str:
    with warehouse.connect("admin") as conn:
        row = conn.execute("select slug from app.tenants where tenant_id = %s", (tenant,)).fetchone()
    assert row is not None
    return str(row[0])


def _cli() -> Any:
    from cli.main import app

    return app


def test_source_add_runs_the_consent_and_stores_the_company(
    fake: FakeQuickBooks, tenant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a free port, registered as the app's redirect
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("KEEL_QUICKBOOKS_REDIRECT_URI", f"http://127.0.0.1:{port}/callback")
    get_settings.cache_clear()
    opened: list[str] = []

    def browser(url: str) -> bool:  # the owner signs in and approves; Intuit sends the browser back
        opened.append(url)
        threading.Thread(target=requests.get, args=(url,), kwargs={"timeout": 10}, daemon=True).start()
        return True

    monkeypatch.setattr(oauth, "open_in_browser", browser)
    slug = tenancy_slug(tenant)
    result = CliRunner().invoke(
        _cli(), ["source", "add", "quickbooks", "--tenant", slug, "--base-url", fake.url]
    )
    assert result.exit_code == 0, result.output
    assert "connected" in result.output and REALM in result.output
    assert opened and opened[0].startswith(fake.authorize_url)
    assert opened[0] in result.output.replace("\n", "")
    (configured,) = configured_sources(tenant)
    assert configured.config["realm_id"] == REALM and configured.config["base_url"] == fake.url
    assert configured.secrets["refresh_token"] in fake.refresh_tokens
    for secret in configured.secrets.values():
        assert secret not in result.output
    assert run_tenant_sources(tenant)[0].ok

    # disconnecting asks Intuit to revoke the tokens, then forgets them
    monkeypatch.setenv("KEEL_QUICKBOOKS_REVOKE_URL", fake.revoke_url)
    get_settings.cache_clear()
    refresh = configured_sources(tenant)[0].secrets["refresh_token"]
    removed = CliRunner().invoke(_cli(), ["source", "remove", "quickbooks", "--tenant", slug])
    assert removed.exit_code == 0, removed.output
    assert "QuickBooks revoked Keel's access" in removed.output and fake.revoked == [refresh]
    assert refresh not in fake.refresh_tokens and configured_sources(tenant) == []

    fake.deny_consent = True
    denied = CliRunner().invoke(_cli(), ["source", "add", "quickbooks", "--tenant", slug, "--name", "other"])
    assert denied.exit_code != 0
    assert "did not grant access" in f"{denied.output} {denied.exception}"


def test_run_killed_half_way_resumes_from_its_cursor_and_converges(fake: FakeQuickBooks, tenant: str) -> None:
    secrets = fake.grant(access_seconds=24 * 3600)
    first = load(fake, tenant, secrets, page_size=5)
    assert first.ok, first.error
    cursors = latest_changes(fake)
    # the books move on: 20 invoices change (paid) and 10 new ones come in
    for n, invoice in enumerate(fake.objects["invoices"][:20]):
        invoice["MetaData"]["LastUpdatedTime"] = f"2026-06-01T08:{n:02d}:00-07:00"
        invoice["PrivateNote"] = "changed after the first load"
    for n in range(10):
        new = copy.deepcopy(fake.objects["invoices"][-1])
        new["Id"] = str(80_000 + n)
        new["MetaData"] = {
            "CreateTime": "2026-06-01T09:00:00-07:00",
            "LastUpdatedTime": f"2026-06-01T09:{n:02d}:00-07:00",
        }
        fake.objects["invoices"].append(new)

    fake.page_delay = 0.4  # slow answers, so the kill lands while pages are being read
    script = (
        "import sys, datetime\n"
        "from ingestion import loader\n"
        "from ingestion.sources.quickbooks import CONNECTOR, helpers\n"
        "helpers.utc_now = lambda: datetime.datetime.fromisoformat(sys.argv[3])\n"
        "loader.load_connector(CONNECTOR, sys.argv[1], {'realm_id': sys.argv[4], 'base_url': sys.argv[2], "
        "'page_size': 5}, {'access_token': sys.argv[5], 'refresh_token': sys.argv[6], "
        "'access_token_expires_at': sys.argv[7]})\n"
    )
    before = fake.served_pages()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            script,
            tenant,
            fake.url,
            NOW.isoformat(),
            REALM,
            secrets["access_token"],
            secrets["refresh_token"],
            secrets["access_token_expires_at"],
        ],
        cwd=Path(__file__).resolve().parents[2],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while fake.served_pages() < before + 4 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process.poll() is None, "the load finished before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    assert not fake.seen("cdc", "Account")  # killed before the last resource

    fake.page_delay = 0.0
    resumed_from = len(fake.requests)
    result = load(fake, tenant, secrets)
    assert result.ok, result.error
    # it asked again from the cursors the first load committed (less the look-back), not from scratch
    previous_load = max(cursor for cursor in cursors.values() if cursor is not None)
    asked = [r for r in fake.requests[resumed_from:] if r.entity == "Invoice"]
    assert [r.endpoint for r in asked] == ["cdc"]
    assert datetime.fromisoformat(asked[0].params["changedSince"]) == previous_load - LOOKBACK
    assert result.rows == in_look_back_window(fake, cursors)
    assert_equals_fake(fake, tenant)  # no duplicates, nothing lost
    notes = [row["private_note"] for row in loaded(tenant, "invoices").values()]
    assert notes.count("changed after the first load") == 20


def test_load_secrets_hand_back_new_values_once_stored() -> None:
    saved: list[dict[str, str]] = []
    secrets = LoadSecrets({"refresh_token": "r1", "access_token": "a1"}, saved.append)
    secrets.replace({"access_token": "a1"})  # nothing changed: nothing stored
    assert saved == [] and secrets.replaced == 0
    secrets.replace({"refresh_token": "r2", "access_token": "a2"})
    assert saved == [{"refresh_token": "r2", "access_token": "a2"}] and secrets["refresh_token"] == "r2"
    assert "r2" not in repr(secrets) and "a2" not in repr(secrets)


def test_console_connects_quickbooks_through_the_consent(
    fake: FakeQuickBooks, tenant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from app.session import USER_KEY
    from keel.tenancy import SignedInUser

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("KEEL_QUICKBOOKS_REDIRECT_URI", f"http://127.0.0.1:{port}/callback")
    get_settings.cache_clear()
    monkeypatch.setattr("ingestion.sources.connectors", lambda: {"quickbooks": CONNECTOR})
    user_id = tenancy.create_user(tenant, f"owner-{tenant[:8]}@books.example", "a long password 9")
    at = AppTest.from_string("from app import your_data\n\nyour_data.render()\n", default_timeout=60)
    at.session_state[USER_KEY] = SignedInUser(user_id, uuid.UUID(tenant), f"owner-{tenant[:8]}@books.example")
    at = at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    # no secrets to paste: the owner approves at QuickBooks
    assert not [field for field in at.text_input if str(field.key).startswith("connect_")]
    next(b for b in at.button if b.label == "Connect QuickBooks").click()
    at = at.run()
    links = at.get("link_button")
    assert len(links) == 1 and links[0].proto.url.startswith(fake.authorize_url)
    requests.get(links[0].proto.url, timeout=10)  # the owner approves; Intuit sends the browser back
    next(b for b in at.button if b.label == "Check the connection").click()
    at = at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [s.value for s in at.success] == [
        "QuickBooks is connected. Its data comes in with Keel's next load."
    ]
    (configured,) = configured_sources(tenant)
    assert (
        configured.config["realm_id"] == REALM and configured.secrets["refresh_token"] in fake.refresh_tokens
    )
