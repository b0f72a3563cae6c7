"""The Salesforce connector against a fake org on 127.0.0.1 (tests/ingestion/salesforce_fake.py), with the
real client, dlt and the embedded warehouse: a full load equals the fake's contents; a second run asks only
for what changed (SystemModstamp less the look-back) and loads nothing new; changed records are updated
and deleted ones marked deleted (queryAll), not dropped; a run killed with SIGKILL half-way converges on
the next; a bad record is quarantined while the rest load; REQUEST_LIMIT_EXCEEDED, 5xx and timeouts are
retried; an expired access token is renewed once; a revoked refresh token or a refused JWT asks the owner
to reconnect; large objects go through a Bulk API 2.0 job; the load slows down and stops before the org's
daily API allowance runs out."""

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
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ingestion import loader
from ingestion.demo import DemoWorld, simulate
from ingestion.run import configured_sources
from ingestion.sources import oauth
from ingestion.sources.connector import ConnectorConfigError
from ingestion.sources.salesforce import CONNECTOR, SalesforceSettings
from ingestion.sources.salesforce.helpers import api_usage, jwt_audience
from ingestion.sources.salesforce.settings import LOOKBACK
from keel import tenancy, warehouse
from keel.settings import KeelSettings

from .conftest import materialize_tenant_source
from .salesforce_fake import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, RESOURCES, USERNAME, FakeSalesforce

SLUG = "brightpath-marketing"  # a B2B services business (QuickBooks clients and invoices)
START, END = date(2025, 10, 1), date(2026, 3, 31)


@pytest.fixture(scope="module")
def world() -> DemoWorld:
    return simulate(seed=11, start=START, end=END, scale=1.0, tenants=[SLUG])


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def demo_objects(world: DemoWorld) -> dict[str, list[dict[str, Any]]]:
    return FakeSalesforce.serving(world, SLUG).objects


@pytest.fixture
def fake(demo_objects: dict[str, list[dict[str, Any]]], key: rsa.RSAPrivateKey) -> Iterator[FakeSalesforce]:
    with FakeSalesforce(copy.deepcopy(demo_objects), public_key=key.public_key(), batch_size=40) as org:
        yield org


@pytest.fixture
def tenant(settings: KeelSettings, world: DemoWorld) -> str:
    """A new tenant (not a demo one): its data comes only from the connector."""
    profile = world.tenants[0]
    made = tenancy.create_tenant(
        f"crm-{uuid.uuid4().hex[:8]}", "Brightpath Test", timezone=profile.timezone, currency=profile.currency
    )
    return str(made.tenant_id)


def config(fake: FakeSalesforce, **extra: Any) -> dict[str, Any]:
    return {"client_id": CLIENT_ID, "login_url": fake.url, "backoff_seconds": 0.2, **extra}


def web_secrets(refresh_token: str = REFRESH_TOKEN) -> dict[str, str]:
    return {"client_secret": CLIENT_SECRET, "refresh_token": refresh_token}


def load(
    fake: FakeSalesforce, tenant: str, secrets: dict[str, str] | None = None, **extra: Any
) -> loader.TenantLoad:
    return loader.load_connector(CONNECTOR, tenant, config(fake, **extra), secrets or web_secrets())


def loaded(tenant: str, resource: str) -> dict[str, dict[str, Any]]:
    """The tenant's rows of ``raw_salesforce.<resource>`` by Id."""
    with warehouse.connect("admin") as conn:
        if conn.execute("select to_regclass(%s)", (f"raw_salesforce.{resource}",)).fetchone() == (None,):
            return {}
        cursor = conn.execute(f"select * from raw_salesforce.{resource} where tenant_id = %s", (tenant,))
        names = [c.name for c in cursor.description or []]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        assert row["id"] not in out, f"duplicate {resource} row {row['id']}"
        out[row["id"]] = row
    return out


def assert_equals_fake(fake: FakeSalesforce, tenant: str) -> None:
    """Every record the fake holds (deleted ones too, once loaded) is loaded once, and nothing else."""
    for resource in RESOURCES:
        rows = loaded(tenant, resource)
        assert set(rows) == {o["Id"] for o in fake.objects[resource]}, resource


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def latest(fake: FakeSalesforce) -> dict[str, datetime]:
    return {
        name: max(datetime.fromisoformat(o["SystemModstamp"]) for o in objects)
        for name, objects in fake.objects.items()
    }


def in_look_back_window(fake: FakeSalesforce, cursors: dict[str, datetime]) -> dict[str, int]:
    """Per resource, how many records the next run merges: those changed at or after the loaded cursor
    less the look-back window."""
    return {
        name: sum(
            1
            for o in fake.objects[name]
            if datetime.fromisoformat(o["SystemModstamp"]) >= cursors[name] - LOOKBACK
        )
        for name in RESOURCES
    }


def test_settings_are_validated_with_words_for_each_field() -> None:
    parsed = CONNECTOR.parse_config({"client_id": CLIENT_ID, "login_url": "https://test.salesforce.com/"})
    assert isinstance(parsed, SalesforceSettings)
    assert parsed.login_url == "https://test.salesforce.com" and parsed.flow == "web_server"
    assert CONNECTOR.secrets_for(parsed) == ("client_secret", "refresh_token")
    jwt = CONNECTOR.parse_config({"client_id": CLIENT_ID, "flow": "jwt_bearer", "username": USERNAME})
    assert CONNECTOR.secrets_for(jwt) == ("private_key",)
    listed = CONNECTOR.parse_config({"client_id": CLIENT_ID, "bulk_objects": "opportunity_history, leads"})
    assert isinstance(listed, SalesforceSettings) and listed.bulk_objects == ["opportunity_history", "leads"]
    with pytest.raises(ConnectorConfigError) as bad:
        CONNECTOR.parse_config({"client_id": "abc", "login_url": "ftp://x", "bulk_objects": ["tasks"]})
    message = str(bad.value)
    assert "client_id" in message and "Consumer Key" in message
    assert "login_url" in message and "bulk_objects" in message and "tasks" in message
    with pytest.raises(ConnectorConfigError, match="username"):
        CONNECTOR.parse_config({"client_id": CLIENT_ID, "flow": "jwt_bearer"})
    assert api_usage("api-usage=18/15000") == (18, 15000) and api_usage(None) is None
    assert jwt_audience("https://acme.my.salesforce.com") == "https://login.salesforce.com"
    assert jwt_audience("https://acme--uat.sandbox.my.salesforce.com") == "https://test.salesforce.com"
    assert jwt_audience("https://test.salesforce.com/") == "https://test.salesforce.com"


def test_demo_pipeline_agrees_with_the_books(
    world: DemoWorld, demo_objects: dict[str, list[dict[str, Any]]]
) -> None:
    """Clients won during the history are the won opportunities' accounts, closed on the day they were won."""
    run = world.run(SLUG)
    assert run.services is not None
    first = world.start.toordinal()
    won_clients = {run.client_names[c.seq] for c in run.services.clients if c.created_ordinal >= first}
    accounts = {a["Id"]: a for a in demo_objects["accounts"]}
    won = [o for o in demo_objects["opportunities"] if o["IsWon"]]
    assert won_clients and {accounts[o["AccountId"]]["Name"] for o in won} == won_clients
    assert all(accounts[o["AccountId"]]["Type"] == "Customer - Direct" for o in won)
    stages = {o["StageName"] for o in demo_objects["opportunities"]}
    assert {"Closed Won", "Closed Lost"} <= stages and stages - {
        "Closed Won",
        "Closed Lost",
    }  # some still open
    history = {}
    for row in demo_objects["opportunity_history"]:
        history.setdefault(row["OpportunityId"], []).append(row)
    for opportunity in demo_objects["opportunities"]:  # the latest history row is the opportunity's state
        last = max(history[opportunity["Id"]], key=lambda r: r["CreatedDate"])
        assert (last["StageName"], last["Amount"]) == (opportunity["StageName"], opportunity["Amount"])


def test_full_load_second_run_changes_and_deletions(fake: FakeSalesforce, tenant: str) -> None:
    first = load(fake, tenant)
    assert first.ok, first.error
    assert first.rejected == 0
    assert_equals_fake(fake, tenant)
    for resource in RESOURCES:
        assert first.rows[resource] == len(fake.objects[resource]) > 0, resource
    assert len(fake.seen("query-more")) > 0  # paged through nextRecordsUrl
    assert not fake.seen("queryAll")  # a first load reads no deletions
    opportunity = next(o for o in fake.objects["opportunities"] if o["IsWon"])
    row = loaded(tenant, "opportunities")[opportunity["Id"]]
    assert (
        row["amount"] == opportunity["Amount"] and row["stage_name"] == "Closed Won" and row["is_won"] is True
    )
    assert "attributes" not in row

    # a second run asks only for what changed since the loaded cursor less the look-back, and adds nothing
    cursors = latest(fake)
    before = len(fake.requests)
    second = load(fake, tenant)
    assert second.ok, second.error
    assert second.rows == in_look_back_window(fake, cursors)
    assert_equals_fake(fake, tenant)
    for seen in fake.requests[before:]:
        if seen.endpoint in ("query", "queryAll"):
            assert "WHERE SystemModstamp >= " in seen.params["q"] or "IsDeleted = true" in seen.params["q"]

    # the org changes: an open deal moves to negotiation, a contact is deleted, a new lead arrives
    after = max(cursors.values()) + timedelta(hours=2)
    open_deal = next(o for o in fake.objects["opportunities"] if not o["IsClosed"])
    open_deal.update(StageName="Negotiation/Review", Probability=90.0, SystemModstamp=stamp(after))
    contact = fake.objects["contacts"][3]
    contact.update(IsDeleted=True, SystemModstamp=stamp(after))
    lead = copy.deepcopy(fake.objects["leads"][-1])
    lead.update(Id="00Q8d9999999999AAA", Company="Newcomer Ltd", SystemModstamp=stamp(after))
    fake.objects["leads"].append(lead)
    third = load(fake, tenant)
    assert third.ok, third.error
    assert_equals_fake(fake, tenant)
    deletions = [r for r in fake.seen("queryAll") if r.sobject == "Contact"]
    assert deletions and "IsDeleted = true" in deletions[-1].params["q"]
    assert loaded(tenant, "opportunities")[open_deal["Id"]]["stage_name"] == "Negotiation/Review"
    assert loaded(tenant, "contacts")[contact["Id"]]["is_deleted"] is True  # marked deleted, kept
    assert loaded(tenant, "leads")[lead["Id"]]["company"] == "Newcomer Ltd"


def test_bad_record_is_quarantined_and_the_rest_load(fake: FakeSalesforce, tenant: str) -> None:
    broken = fake.objects["opportunities"][5]
    broken["Amount"] = "twelve thousand"
    result = load(fake, tenant)
    assert result.ok, result.error
    assert result.rejected == 1
    rows = loaded(tenant, "opportunities")
    assert len(rows) == len(fake.objects["opportunities"]) - 1 and broken["Id"] not in rows
    with warehouse.connect("admin") as conn:
        found = conn.execute(
            "select resource, record_key, problems from raw_salesforce.rejected_records where tenant_id = %s",
            (tenant,),
        ).fetchall()
    assert len(found) == 1
    resource, record_key, problems = found[0]
    assert resource == "opportunities" and broken["Id"] in record_key and "Amount" in problems


def test_limits_5xx_and_timeouts_are_retried(fake: FakeSalesforce, tenant: str) -> None:
    fake.fault("REQUEST_LIMIT_EXCEEDED", "query")
    fake.fault("503", "query-more")
    fake.fault("500", "query")
    fake.fault("timeout", "query")
    result = load(fake, tenant, request_timeout=1.0)
    assert result.ok, result.error
    assert_equals_fake(fake, tenant)
    statuses = [r.status for r in fake.requests]
    assert 403 in statuses and 503 in statuses and 500 in statuses


def test_truncated_page_fails_cleanly_and_the_next_run_completes(fake: FakeSalesforce, tenant: str) -> None:
    fake.fault("truncated", "query-more")
    failed = load(fake, tenant)
    assert not failed.ok and not failed.needs_reconnect
    assert "SalesforcePayloadError" in (failed.error or "") and "not complete JSON" in (failed.error or "")
    assert loaded(tenant, "campaigns") == {}  # nothing half-loaded
    retried = load(fake, tenant)
    assert retried.ok, retried.error
    assert_equals_fake(fake, tenant)


def test_expired_access_token_is_renewed_once(fake: FakeSalesforce, tenant: str) -> None:
    fake.expire_after = 5  # the session times out part-way through the load
    result = load(fake, tenant)
    assert result.ok, result.error
    assert_equals_fake(fake, tenant)
    assert [r.status for r in fake.requests].count(401) == 1
    assert len(fake.seen("token")) == 2  # the first sign-in, and one renewal


def test_revoked_refresh_token_asks_to_reconnect(fake: FakeSalesforce, tenant: str) -> None:
    fake.refresh_tokens.clear()  # the owner revoked Keel's access in Salesforce
    result = load(fake, tenant)
    assert not result.ok and result.needs_reconnect
    assert "reconnecting" in (result.error or "") and "invalid_grant" in (result.error or "")
    assert REFRESH_TOKEN not in (result.error or "") and CLIENT_SECRET not in (result.error or "")
    assert [r.endpoint for r in fake.requests] == ["token"]  # not retried, no API call


def test_revoked_connections_need_reconnecting_in_status_and_console(
    fake: FakeSalesforce, tenant: str, key: rsa.RSAPrivateKey
) -> None:
    """Both ways of signing in, refused: the browser connection's refresh token was revoked, the server
    connection's certificate changed. ``keel ingest status`` and the console say "needs reconnecting" for
    each, and tell the owner how: approve Keel again, or enter a new private key in the server form."""
    from typer.testing import CliRunner

    from app.your_data import _consent_sources, _other_ways, source_sentences
    from cli.main import app
    from ingestion.run import latest_loads, run_tenant_sources

    business = uuid.UUID(tenant)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tenancy.save_data_source(business, "salesforce", "salesforce", config(fake), web_secrets("revoked"))
    tenancy.save_data_source(
        business,
        "salesforce",
        "server",
        config(fake, flow="jwt_bearer", username=USERNAME),
        {"private_key": pem_of(other)},
    )
    try:
        runs = run_tenant_sources(business, "salesforce")
        assert sorted((r.name, r.ok, r.load.needs_reconnect) for r in runs) == [
            ("salesforce", False, True),
            ("server", False, True),
        ]
        slug = tenancy_slug(tenant)
        status = CliRunner().invoke(app, ["ingest", "status", "--tenant", slug])
        assert status.exit_code == 0, status.output
        said = " ".join(status.output.split())
        assert f"`keel source add salesforce --tenant {slug}`" in said
        assert f"`keel source add salesforce --tenant {slug} --name 'server'`" in said
        sentences = source_sentences(
            latest_loads(business),
            {"salesforce": "Salesforce"},
            consent_sources=_consent_sources(),
            other_ways=_other_ways(tenancy.list_data_sources(business)),
        )
    finally:
        tenancy.remove_data_source(business, "salesforce", "salesforce")
        tenancy.remove_data_source(business, "salesforce", "server")
    assert [kind for kind, _ in sentences] == ["reconnect", "reconnect"]
    browser, server = (text for _, text in sentences)
    assert (
        browser.startswith("Salesforce needs reconnecting") and "approve Keel again with Connect" in browser
    )
    assert server.startswith("Salesforce (server) needs reconnecting")
    assert "then “Server to server, with the connected app's certificate" in server


def tenancy_slug(tenant: str) -> str:
    with warehouse.connect("admin") as conn:
        row = conn.execute("select slug from app.tenants where tenant_id = %s", (tenant,)).fetchone()
    assert row is not None
    return str(row[0])


def test_jwt_bearer_flow_signs_in_with_the_certificate_key(
    fake: FakeSalesforce, tenant: str, key: rsa.RSAPrivateKey
) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    jwt_config = {"flow": "jwt_bearer", "username": USERNAME}
    result = load(fake, tenant, {"private_key": pem}, **jwt_config)
    assert result.ok, result.error
    assert_equals_fake(fake, tenant)
    pasted = load(fake, tenant, {"private_key": " ".join(pem.splitlines())}, **jwt_config)  # a one-line field
    assert pasted.ok, pasted.error
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    wrong = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    refused = load(fake, tenant, {"private_key": wrong}, **jwt_config)
    assert not refused.ok and refused.needs_reconnect and "invalid assertion" in (refused.error or "")
    missing = load(fake, tenant, {"client_secret": CLIENT_SECRET}, **jwt_config)
    assert missing.needs_reconnect and "private_key" in (missing.error or "")


def test_web_server_flow_connects_in_the_browser_and_loads(fake: FakeSalesforce, tenant: str) -> None:
    """The owner approves Keel on Salesforce's page; the browser brings the code back to Keel's loopback
    listener; the refresh token it is exchanged for is what later loads sign in with. The connector's
    consent is the one QuickBooks uses (``oauth.connect_in_browser``)."""
    redirect = f"http://127.0.0.1:{free_port()}/callback"
    given = {**config(fake), "redirect_uri": redirect}
    assert CONNECTOR.needs_consent(given, {}) and not CONNECTOR.needs_consent(given, web_secrets())
    assert not CONNECTOR.needs_consent({**given, "flow": "jwt_bearer"}, {})
    with pytest.raises(ConnectorConfigError, match="consumer secret"):
        oauth.connect_in_browser(CONNECTOR, given, {}, show_url=lambda url: None, open_browser=None)
    shown: list[str] = []

    def browser(url: str) -> bool:  # the owner approves on Salesforce's page, which redirects to Keel
        shown.append(url)
        query = parse_qs(urlsplit(url).query)
        assert query["scope"] == ["api refresh_token"] and query["client_id"] == [CLIENT_ID]
        threading.Thread(target=requests.get, args=(url,), kwargs={"timeout": 10}, daemon=True).start()
        return True

    connected, secrets = oauth.connect_in_browser(
        CONNECTOR, given, {"client_secret": CLIENT_SECRET}, show_url=lambda url: None, open_browser=browser
    )
    assert isinstance(connected, SalesforceSettings)
    assert shown and shown[0].startswith(f"{fake.url}/services/oauth2/authorize?")
    assert connected.instance_url == fake.url and connected.redirect_uri == redirect
    assert secrets == {"client_secret": CLIENT_SECRET, "refresh_token": secrets["refresh_token"]}
    assert secrets["refresh_token"] in fake.refresh_tokens and secrets["refresh_token"] != REFRESH_TOKEN
    result = loader.load_connector(CONNECTOR, tenant, connected.model_dump(mode="json"), secrets)
    assert result.ok, result.error
    assert_equals_fake(fake, tenant)

    fake.deny_consent = True  # the owner clicks Deny: nothing is connected, and the page says why
    with pytest.raises(oauth.OAuthCallbackError, match="end-user denied authorization"):
        oauth.connect_in_browser(
            CONNECTOR,
            given,
            {"client_secret": CLIENT_SECRET},
            show_url=lambda url: None,
            open_browser=browser,
        )


def test_connect_from_the_command_line_in_the_browser_and_with_a_certificate(
    fake: FakeSalesforce,
    tenant: str,
    key: rsa.RSAPrivateKey,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``keel source add salesforce``: the web server flow asks for the consumer secret, shows the approval
    page and stores the refresh token it receives; the JWT flow reads the private key from a file
    (``--private-key @path``). Both connections load, and nothing secret is printed."""
    from typer.testing import CliRunner

    from cli.main import app

    with warehouse.connect("admin") as conn:
        row = conn.execute("select slug from app.tenants where tenant_id = %s", (tenant,)).fetchone()
    assert row is not None
    slug = str(row[0])
    redirect = f"http://127.0.0.1:{free_port()}/callback"
    monkeypatch.setattr(oauth, "open_in_browser", approving_browser(fake))
    cli = CliRunner()
    base = [
        "source",
        "add",
        "salesforce",
        "--tenant",
        slug,
        "--client-id",
        CLIENT_ID,
        "--login-url",
        fake.url,
    ]
    added = cli.invoke(app, [*base, "--redirect-uri", redirect, "--client-secret", CLIENT_SECRET])
    assert added.exit_code == 0, added.output
    assert f"{fake.url}/services/oauth2/authorize?" in added.output.replace("\n", "")
    assert CLIENT_SECRET not in added.output and "client_secret" in added.output
    (stored,) = [s for s in tenancy.list_data_sources(uuid.UUID(tenant)) if s.source_type == "salesforce"]
    assert stored.config["instance_url"] == fake.url

    pem_file = tmp_path / "keel-salesforce.pem"
    pem_file.write_text(pem_of(key))
    jwt = cli.invoke(
        app,
        [
            *base,
            "--name",
            "server",
            "--flow",
            "jwt_bearer",
            "--username",
            USERNAME,
            "--private-key",
            f"@{pem_file}",
        ],
    )
    assert jwt.exit_code == 0, jwt.output
    assert "PRIVATE KEY" not in jwt.output
    loaded = cli.invoke(app, ["ingest", "run", "--tenant", slug, "--source", "salesforce"])
    assert loaded.exit_code == 0, loaded.output
    assert "2 of 2 source loads succeeded" in loaded.output
    assert_equals_fake(fake, tenant)
    refresh = next(c for c in configured_sources(tenant, "salesforce") if c.name == "salesforce").secrets
    removed = cli.invoke(app, ["source", "remove", "salesforce", "--tenant", slug])
    assert removed.exit_code == 0, removed.output
    assert "Salesforce revoked Keel's access" in removed.output  # the consent's token, revoked at the org
    assert fake.revoked == [refresh["refresh_token"]] and refresh["refresh_token"] not in fake.refresh_tokens
    # no connection to a fake that is gone stays for later tests
    assert (
        cli.invoke(app, ["source", "remove", "salesforce", "--tenant", slug, "--name", "server"]).exit_code
        == 0
    )


def test_dagster_asset_loads_each_tenants_connection_in_its_partition(
    fake: FakeSalesforce, tenant: str
) -> None:
    """``dlt_salesforce_*``, partitioned by tenant: a tenant's run loads its Salesforce connection; a revoked
    connection fails that tenant's partition alone, saying it needs reconnecting."""
    other = tenancy.create_tenant(
        f"crm-{uuid.uuid4().hex[:8]}", "Revoked Test", timezone="UTC", currency="USD"
    )
    tenancy.save_data_source(uuid.UUID(tenant), "salesforce", "salesforce", config(fake), web_secrets())
    tenancy.save_data_source(
        other.tenant_id, "salesforce", "salesforce", config(fake), web_secrets("revoked")
    )
    try:
        loaded = materialize_tenant_source("salesforce", tenant)
        refused = materialize_tenant_source("salesforce", other.tenant_id)
    finally:
        tenancy.remove_data_source(uuid.UUID(tenant), "salesforce", "salesforce")
        tenancy.remove_data_source(other.tenant_id, "salesforce", "salesforce")
    assert loaded.success
    metadata = {
        event.asset_key.path[-1]: event.materialization.metadata
        for event in loaded.get_asset_materialization_events()
    }
    assert metadata["dlt_salesforce_opportunities"]["rows_loaded"].value == len(fake.objects["opportunities"])
    assert_equals_fake(fake, tenant)
    assert not refused.success
    (failure,) = [e for e in refused.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "needs reconnecting" in str(failure.step_failure_data.error)
    assert failure.step_failure_data.user_failure_data.metadata["needs_reconnect"].value is True


def approving_browser(fake: FakeSalesforce) -> Any:
    """A browser in which the owner approves Keel: Salesforce's page redirects with a code and the state."""

    def browser(url: str) -> bool:
        assert url.startswith(f"{fake.url}/services/oauth2/authorize?")
        threading.Thread(target=requests.get, args=(url,), kwargs={"timeout": 10}, daemon=True).start()
        return True

    return browser


def test_console_connects_salesforce_through_the_consent(
    fake: FakeSalesforce, tenant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Your data: the owner picks Salesforce, gives the connected app's consumer key and secret, opens
    Salesforce's approval page from the link and comes back; the refresh token and the org's address are
    stored as by ``keel source add``. The server-to-server way is the plain form (private key only)."""
    from streamlit.testing.v1 import AppTest

    from app.session import USER_KEY
    from keel.tenancy import SignedInUser

    monkeypatch.setattr("ingestion.sources.connectors", lambda: {"salesforce": CONNECTOR})
    email = f"owner-{tenant[:8]}@crm.example"
    user_id = tenancy.create_user(tenant, email, "a long password 9")
    at = AppTest.from_string("from app import your_data\n\nyour_data.render()\n", default_timeout=60)
    at.session_state[USER_KEY] = SignedInUser(user_id, uuid.UUID(tenant), email)
    at = at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (way,) = [r for r in at.radio if r.key == "connect_salesforce_way"]
    way.set_value(way.options[1]).run()  # server to server: the private key, no consumer secret
    secrets_asked = [f.key for f in at.text_input if str(f.key).startswith("connect_salesforce_secret_")]
    assert secrets_asked == ["connect_salesforce_secret_private_key"]
    (way,) = [r for r in at.radio if r.key == "connect_salesforce_way"]
    at = way.set_value(way.options[0]).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    redirect = f"http://127.0.0.1:{free_port()}/callback"
    for key, value in {
        "connect_salesforce_client_id": CLIENT_ID,
        "connect_salesforce_login_url": fake.url,
        "connect_salesforce_redirect_uri": redirect,
        "connect_salesforce_secret_client_secret": CLIENT_SECRET,
    }.items():
        at.text_input(key=key).input(value)
    next(b for b in at.button if b.label == "Connect Salesforce").click()
    at = at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    links = at.get("link_button")
    assert len(links) == 1 and links[0].proto.url.startswith(f"{fake.url}/services/oauth2/authorize?")
    assert CLIENT_SECRET not in repr(at.session_state)  # the typed secret is not kept
    requests.get(links[0].proto.url, timeout=10)  # the owner approves; Salesforce sends the browser back
    next(b for b in at.button if b.label == "Check the connection").click()
    at = at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [s.value for s in at.success] == [
        "Salesforce is connected. Its data comes in with Keel's next load."
    ]
    try:
        (configured,) = configured_sources(tenant, "salesforce")
        assert configured.config["instance_url"] == fake.url and configured.config["client_id"] == CLIENT_ID
        assert configured.secrets["client_secret"] == CLIENT_SECRET
        assert configured.secrets["refresh_token"] in fake.refresh_tokens
        assert configured.secrets["refresh_token"] != REFRESH_TOKEN
    finally:
        tenancy.remove_data_source(uuid.UUID(tenant), "salesforce", "salesforce")


def pem_of(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_large_objects_go_through_a_bulk_job(fake: FakeSalesforce, tenant: str) -> None:
    result = load(
        fake,
        tenant,
        bulk_objects=["opportunity_history"],
        bulk_threshold=60,
        bulk_poll_seconds=0.1,
        bulk_page_records=50,
    )
    assert result.ok, result.error
    assert_equals_fake(fake, tenant)
    created = fake.seen("bulk-create")
    big = {name for name in RESOURCES if len(fake.objects[name]) >= 60} | {"opportunity_history"}
    assert len(created) == len(big)  # the named object, and each whose first page counted >= 60
    assert any(r.params.get("locator") for r in fake.seen("bulk-results"))  # paged by Sforce-Locator
    assert len(fake.seen("bulk-poll")) >= 2 * len(created)  # InProgress, then JobComplete
    history = fake.objects["opportunity_history"][0]
    row = loaded(tenant, "opportunity_history")[history["Id"]]
    assert row["amount"] == history["Amount"] and row["is_deleted"] is False  # typed from the CSV


def test_load_slows_down_and_stops_before_the_daily_allowance(fake: FakeSalesforce, tenant: str) -> None:
    fake.api_allowance = 1000
    fake.api_used = 795  # other tools used most of it: past 80 % the load waits between calls
    started = time.monotonic()
    result = load(fake, tenant, api_slow_down_seconds=0.25)
    assert result.ok, result.error
    calls = len([r for r in fake.requests if r.endpoint != "token"])
    # the answer to call k reports 795 + k used: from the 5th answer on (80 %) every later call waits first
    slowed = calls - 5
    assert slowed > 5 and time.monotonic() - started >= 0.25 * slowed
    fake.api_used = 905  # past 90 %: the load stops and says why
    stopped = load(fake, tenant)
    assert not stopped.ok and not stopped.needs_reconnect
    assert "allowance" in (stopped.error or "") and "of 1,000 calls" in (stopped.error or "")
    assert "stopped loading at 90%" in (stopped.error or "")


def test_run_killed_half_way_resumes_from_its_cursor_and_converges(fake: FakeSalesforce, tenant: str) -> None:
    first = load(fake, tenant)
    assert first.ok, first.error
    cursors = latest(fake)
    later = max(cursors.values()) + timedelta(days=1)
    for n, deal in enumerate(fake.objects["opportunities"][:15]):
        deal.update(Name=f"{deal['Name']} (changed)", SystemModstamp=stamp(later + timedelta(minutes=n)))
    for n, row in enumerate(fake.objects["leads"][:30]):
        row.update(Status="Working - Contacted", SystemModstamp=stamp(later + timedelta(minutes=n)))

    fake.page_delay = 0.3
    script = (
        "import sys\n"
        "from ingestion import loader\n"
        "from ingestion.sources.salesforce import CONNECTOR\n"
        "loader.load_connector(CONNECTOR, sys.argv[1], {'client_id': sys.argv[2], 'login_url': sys.argv[3]}, "
        "{'client_secret': sys.argv[4], 'refresh_token': sys.argv[5]})\n"
    )
    before = fake.served_pages()
    process = subprocess.Popen(
        [sys.executable, "-c", script, tenant, CLIENT_ID, fake.url, CLIENT_SECRET, REFRESH_TOKEN],
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

    fake.page_delay = 0.0
    resumed_from = len(fake.requests)
    result = load(fake, tenant)
    assert result.ok, result.error
    asked = [r for r in fake.requests[resumed_from:] if r.endpoint == "query" and r.sobject == "Opportunity"]
    expected = (cursors["opportunities"] - LOOKBACK).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(asked) == 1 and f"SystemModstamp >= {expected}" in asked[0].params["q"]
    assert result.rows == in_look_back_window(fake, cursors)
    assert_equals_fake(fake, tenant)  # no duplicates, nothing lost
    names = [row["name"] for row in loaded(tenant, "opportunities").values()]
    assert sum(name.endswith("(changed)") for name in names) == 15
    statuses = json.dumps([row["status"] for row in loaded(tenant, "leads").values()])
    assert statuses.count("Working - Contacted") >= 30
