"""The "Your data" page and the empty state: a brand-new business (made with `keel tenant add` and `keel user
add`) sees on every page what to connect and the way to Your data, never an error; an owner connects a
service (secrets as password inputs, stored encrypted) and adds a person; loads read as plain sentences."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from app.session import USER_KEY
from app.your_data import source_sentences
from cli.main import app as keel_app
from ingestion import run
from ingestion.loader import TenantLoad
from keel import tenancy
from keel.settings import KeelSettings
from keel.tenancy import SignedInUser
from tests.ingestion.test_ingest_runner import shop_connector

PAGES = ("overview", "forecasts", "evidence", "plans", "health")


def page_as(page: str, user: SignedInUser) -> AppTest:
    at = AppTest.from_string(f"from app import {page}\n\n{page}.render()\n", default_timeout=60)
    at.session_state[USER_KEY] = user
    return at.run()


@pytest.fixture(scope="module")
def new_business(settings: KeelSettings) -> SignedInUser:
    """A business and its owner as an operator adds them, from the command line."""
    cli = CliRunner()
    added = cli.invoke(
        keel_app,
        ["tenant", "add", "--name", "Fresh Start Bakery", "--industry", "bakery", "--currency", "CAD",
         "--timezone", "America/Vancouver"],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    user = cli.invoke(
        keel_app, ["user", "add", "--tenant", "fresh-start-bakery", "--email", "owner@fresh.example"]
    )
    password = re.search(r"shown only now\): (\S+)", user.output)
    assert password is not None, user.output
    signed_in = tenancy.authenticate("owner@fresh.example", password.group(1))
    return SignedInUser(signed_in.user_id, signed_in.tenant_id, signed_in.email)


@pytest.mark.parametrize("page", PAGES)
def test_a_new_business_sees_what_to_connect_on_every_page(new_business: SignedInUser, page: str) -> None:
    at = page_as(page, new_business)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(at.info) == 1
    message = at.info[0].value
    assert "Keel has no data of your business" in message and "Your data" in message
    assert "keel" not in message.replace("Keel", "")  # no commands, no table names for the owner
    links = at.get("page_link")
    assert len(links) == 1 and links[0].proto.label == "Go to Your data"
    assert links[0].proto.page.endswith("your-data") or "your-data" in str(links[0].proto)


def test_your_data_of_a_new_business_says_nothing_is_connected(new_business: SignedInUser) -> None:
    at = page_as("your_data", new_business)
    assert not at.exception and not at.error
    assert at.title[0].value == "Your data"
    assert any(i.value.startswith("Nothing is connected yet") for i in at.info)
    people = at.dataframe[0].value
    assert list(people["E-mail"]) == ["owner@fresh.example"] and list(people["Role"]) == ["owner"]


def test_loads_read_as_plain_sentences() -> None:
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    two_hours_ago = now - timedelta(hours=2)
    tenant = uuid.uuid4()

    def status(resource: str, rows: int, rejected: int = 0, error: str | None = None, **kw: object) -> object:
        return run.ResourceStatus(
            tenant, "shop", kw.get("source", "shopify"), resource, str(kw.get("provider", "connector")),
            kw.get("name", "main shop"), two_hours_ago, two_hours_ago, rows, rejected, None, error,
            bool(kw.get("reconnect", False)),
        )  # type: ignore[arg-type]  # fmt: skip

    sentences = source_sentences(
        [
            status("orders", 1204, 3),
            status("customers", 310),
            status("locations", 0),
            status(
                "charges",
                0,
                error="ConnectorAuthError: 401 token revoked",
                source="stripe",
                name="stripe",
                reconnect=True,
            ),
            status(
                "invoices",
                0,
                error="TimeoutError: the service did not answer",
                source="quickbooks",
                name="books",
            ),
            status("orders", 50, provider="demo", name=None),
        ],
        {"shopify": "Shopify", "stripe": "Stripe"},
        now,
    )
    assert sentences == [
        ("failed", "Quickbooks (books): the last load 2 hours ago failed: the service did not answer. "
                   "Keel tries again with its next load."),
        ("ok", "Shopify (main shop): last loaded 2 hours ago: 1,204 orders, 310 customers new or changed; "
               "3 records set aside."),
        ("ok", "Demo data from Shopify: last loaded 2 hours ago: 50 orders new or changed."),
        ("reconnect", "Stripe needs reconnecting: Stripe refused the saved credentials (401 token revoked). "
                      "Enter new ones in the form below."),
    ]  # fmt: skip


def test_an_owner_connects_a_service_and_adds_a_person(
    settings: KeelSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ingestion.sources.connectors", lambda: {"shopify": shop_connector()})
    tenant = tenancy.create_tenant("your-data-owner", "Your Data Owner Shop", industry="retail_shop")
    user_id = tenancy.create_user(tenant.tenant_id, "owner@your-data.example", "a long password 1")
    owner = SignedInUser(user_id, tenant.tenant_id, "owner@your-data.example")
    load = TenantLoad(
        "shopify", str(tenant.tenant_id), rows={"orders": 1204}, rejected_by_resource={"orders": 3}
    )
    run.record_loads(tenant.tenant_id, load, ["orders"], provider="demo")

    at = page_as("your_data", owner)
    assert not at.exception and not at.error
    assert any("1,204 orders new or changed; 3 records set aside" in m.value for m in at.markdown)
    at.text_input(key="connect_shopify_name").input("main shop")
    at.text_input(key="connect_shopify_shop").input("x.myshopify.com")
    secret = at.text_input(key="connect_shopify_secret_access_token")
    assert secret.proto.type == secret.proto.PASSWORD
    secret.input("shpat_console_secret_4321")
    next(b for b in at.button if b.label == "Connect Shopify").click()
    at = at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [s.value for s in at.success] == ["Shopify is connected. Its data comes in with Keel's next load."]
    saved = tenancy.list_data_sources(tenant.tenant_id)
    assert [(s.name, s.config, s.secrets_hint) for s in saved] == [
        ("main shop", {"shop": "x.myshopify.com"}, {"access_token": "…4321"})
    ]
    assert any("Shopify (main shop): connected, not loaded yet" in m.value for m in at.markdown)
    assert "shpat_console_secret_4321" not in str([e.value for e in at.main if hasattr(e, "value")])

    at.text_input(key="add_user_email").input("Helper@Your-Data.example")
    next(b for b in at.button if b.label == "Add person").click()
    at = at.run()
    shown = at.success[0].value
    assert shown.startswith("helper@your-data.example can sign in now with this one-time password")
    password = shown.rsplit(": ", 1)[1]
    assert tenancy.authenticate("helper@your-data.example", password).tenant_id == tenant.tenant_id
    assert [u.role for u in tenancy.list_users(tenant.tenant_id)] == ["owner", "member"]
    again = at.run()  # the password is shown once
    assert not any("one-time password" in s.value for s in again.success)


def test_only_owners_connect_services_and_add_people(settings: KeelSettings) -> None:
    tenant = tenancy.create_tenant("your-data-viewer", "Your Data Viewer Shop")
    user_id = tenancy.create_user(
        tenant.tenant_id, "viewer@your-data.example", "a long password 2", role="viewer"
    )
    at = page_as("your_data", SignedInUser(user_id, tenant.tenant_id, "viewer@your-data.example"))
    assert not at.exception and not at.error
    assert "The business's owner connects services." in [c.value for c in at.caption]
    assert not [b for b in at.button if b.label in ("Add person",) or b.label.startswith("Connect")]
