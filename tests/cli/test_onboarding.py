"""Onboarding from the command line: add a business and its users (as a user runs `keel`, a process of its
own), connect a service, load it and read the status (in-process, with a connector over objects in memory
while the real Shopify and Stripe connectors live elsewhere)."""

from __future__ import annotations

import re

import pytest
from rich.console import Console
from typer.testing import CliRunner

from cli import onboard
from cli.main import app
from ingestion import run
from ingestion.demo.profiles import INDUSTRIES
from keel import tenancy, warehouse
from keel.errors import InvalidInput
from keel.settings import KeelSettings
from tests.cli.test_cli import keel
from tests.ingestion.test_ingest_runner import REVOKED, shop_connector, shop_objects


def wide_cli(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """In-process runs of the `keel` app (a process each would cost ~10 s of imports), wide tables."""
    monkeypatch.setattr(onboard, "console", Console(width=250))
    return CliRunner()


def test_a_business_and_its_owner_are_added_and_listed(
    settings: KeelSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["tenant", "add", "--name", "Corner Cafe Berlin", "--industry", "cafe", "--currency", "eur"]
    args += ["--timezone", "Europe/Berlin", "--country", "DE", "--size-band", "micro"]
    added = keel(*args)  # once as a user runs it: its own process
    assert added.returncode == 0, added.stderr
    assert "added Corner Cafe Berlin as corner-cafe-berlin" in added.stdout
    tenant = tenancy.require_tenant("corner-cafe-berlin")
    with warehouse.connect("keel_loader") as conn:
        row = conn.execute(
            "select industry, naics_code, currency, timezone, country, size_band from app.tenants "
            "where tenant_id = %s",
            (tenant.tenant_id,),
        ).fetchone()
    assert row == ("cafe", "722515", "EUR", "Europe/Berlin", "DE", "micro")  # NAICS from the industry

    cli = wide_cli(monkeypatch)
    again = cli.invoke(app, args)
    assert again.exit_code == 0 and "updated Corner Cafe Berlin" in again.output  # safe to repeat

    user = cli.invoke(
        app, ["user", "add", "--tenant", "corner-cafe-berlin", "--email", "Owner@Corner.example"]
    )
    assert user.exit_code == 0, user.output
    found = re.search(r"One-time password \(shown only now\): (\S+)", user.output)
    assert found is not None
    signed_in = tenancy.authenticate("owner@corner.example", found.group(1))
    assert signed_in.tenant_id == tenant.tenant_id

    repeat = cli.invoke(
        app, ["user", "add", "--tenant", "corner-cafe-berlin", "--email", "owner@corner.example"]
    )
    assert repeat.exit_code == 0 and "already a user" in repeat.output and "password" not in repeat.output
    typed = cli.invoke(
        app,
        ["user", "add", "--tenant", "corner-cafe-berlin", "--email", "staff@corner.example",
         "--role", "viewer", "--password-stdin"],
        input="a long enough password\n",
    )  # fmt: skip
    assert typed.exit_code == 0 and "One-time" not in typed.output
    assert (
        tenancy.authenticate("staff@corner.example", "a long enough password").tenant_id == tenant.tenant_id
    )

    listed = cli.invoke(app, ["tenant", "list"])
    assert listed.exit_code == 0
    line = next(line for line in listed.output.splitlines() if "corner-cafe-berlin" in line)
    cells = [cell.strip() for cell in line.strip("│ ").split("│")]
    assert cells == ["corner-cafe-berlin", "Corner Cafe Berlin", "cafe", "EUR", "2", "-", "never"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            ["--industry", "spaceport", "--currency", "USD", "--timezone", "UTC"],
            "industry 'spaceport' is unknown",
        ),
        (["--industry", "cafe", "--currency", "EUX", "--timezone", "UTC"], "'EUX' is not an ISO 4217"),
        (
            ["--industry", "cafe", "--currency", "USD", "--timezone", "Mars/Olympus"],
            "time zone 'Mars/Olympus'",
        ),
        (
            ["--industry", "cafe", "--currency", "USD", "--timezone", "UTC", "--naics", "12x"],
            "NAICS code '12x'",
        ),
        (["--industry", "cafe", "--currency", "USD", "--timezone", "UTC", "--country", "XX"], "country 'XX'"),
    ],
)
def test_bad_business_details_are_refused(
    settings: KeelSettings, monkeypatch: pytest.MonkeyPatch, args: list[str], words: str
) -> None:
    out = wide_cli(monkeypatch).invoke(app, ["tenant", "add", "--name", "Refused Business", *args])
    assert out.exit_code != 0 and isinstance(out.exception, InvalidInput)
    assert words in str(out.exception)
    if "spaceport" in args:
        assert all(industry in str(out.exception) for industry in INDUSTRIES)  # it lists what Keel knows
    assert tenancy.find_tenant("refused-business") is None


def test_a_taken_slug_and_bad_users_are_refused_in_one_line(settings: KeelSettings) -> None:
    tenancy.create_tenant("taken-slug", "First Owner Shop")
    out = keel("tenant", "add", "--name", "Second", "--slug", "taken-slug", "--industry", "cafe",
               "--currency", "USD", "--timezone", "UTC")  # fmt: skip
    assert out.returncode == 1 and "taken by 'First Owner Shop'" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    cli = CliRunner()
    bad = cli.invoke(app, ["user", "add", "--tenant", "taken-slug", "--email", "not-an-address"])
    assert "e-mail address 'not-an-address' is invalid" in str(bad.exception)
    nobody = cli.invoke(app, ["user", "add", "--tenant", "no-such-business", "--email", "a@b.example"])
    assert "there is no business 'no-such-business'" in str(nobody.exception)
    tenancy.create_tenant("other-slug", "Other Owner Shop")
    tenancy.create_user(tenancy.require_tenant("other-slug").tenant_id, "taken@shop.example", "x" * 12)
    taken = cli.invoke(app, ["user", "add", "--tenant", "taken-slug", "--email", "taken@shop.example"])
    assert "already has a Keel account" in str(taken.exception)  # without naming the other business
    assert "Other" not in str(taken.exception)


def test_connect_load_and_status_from_the_command_line(
    settings: KeelSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ingestion.sources.connectors", lambda: {"shopify": shop_connector()})
    monkeypatch.setattr(run, "known_connectors", lambda: {"shopify": shop_connector()})
    tenant = tenancy.create_tenant("cli-connected-shop", "CLI Connected Shop", industry="retail_shop")
    cli = wide_cli(monkeypatch)

    missing = cli.invoke(
        app, ["source", "add", "shopify", "--tenant", tenant.slug, "--shop", "x.myshopify.com"]
    )
    assert missing.exit_code != 0 and "needs --access-token" in str(missing.exception)
    unknown = cli.invoke(app, ["source", "add", "shopify", "--tenant", tenant.slug, "--colour", "red"])
    assert "--colour is not a setting" in str(unknown.exception) and "--shop" in str(unknown.exception)

    token = "shpat_secret_value_98765"
    added = cli.invoke(
        app,
        ["source", "add", "shopify", "--tenant", tenant.slug, "--shop", "x.myshopify.com", "--token", token],
    )
    assert added.exit_code == 0, added.output
    assert token not in added.output and "…8765" in added.output
    with warehouse.connect("admin") as conn:
        stored = conn.execute(
            "select config::text, secrets_encrypted from app.data_sources where tenant_id = %s",
            (tenant.tenant_id,),
        ).fetchone()
    assert stored is not None and token not in stored[0] and token.encode() not in bytes(stored[1])
    listed = cli.invoke(app, ["source", "list", "--tenant", tenant.slug])
    assert "shop=x.myshopify.com" in listed.output and "access_token …8765" in listed.output
    assert token not in listed.output

    loaded = cli.invoke(app, ["ingest", "run", "--tenant", tenant.slug])
    assert loaded.exit_code == 0, loaded.output
    orders = len(shop_objects()["orders"])
    assert f"{orders + len(shop_objects()['locations']):,} rows new or changed" in loaded.output
    assert "1 of 1 source loads succeeded" in loaded.output
    status = cli.invoke(app, ["ingest", "status", "--tenant", tenant.slug])
    assert status.exit_code == 0
    orders_line = next(line for line in status.output.splitlines() if " orders " in line)
    assert f"{orders:,}" in orders_line and "ok" in orders_line

    # The shop revokes the token: the run fails with a summary, the status says what to do.
    cli.invoke(app, ["source", "add", "shopify", "--tenant", tenant.slug, "--shop", "x.myshopify.com",
                     "--access-token", REVOKED])  # fmt: skip
    failed = cli.invoke(app, ["ingest", "run", "--tenant", tenant.slug, "--source", "shopify"])
    assert failed.exit_code != 0 and "1 source loads failed" in str(failed.exception)
    assert "needs reconnecting" in failed.output
    status = cli.invoke(app, ["ingest", "status", "--tenant", tenant.slug])
    assert (
        "needs reconnecting" in status.output
        and f"keel source add shopify --tenant {tenant.slug}" in status.output
    )

    removed = cli.invoke(app, ["source", "remove", "shopify", "--tenant", tenant.slug])
    assert removed.exit_code == 0 and "removed shopify" in removed.output
    assert tenancy.list_data_sources(tenant.tenant_id) == []
    assert run.latest_loads(tenant.tenant_id)  # the record of what was loaded stays


def test_ingest_demo_loads_the_demo_as_a_provider_and_status_shows_it(settings: KeelSettings) -> None:
    """`keel ingest demo` on a tiny demo world, in a database of its own (its tenants stay out of others')."""
    name = "keel_ingest_demo_test"
    env = {
        "KEEL_DATABASE_NAME": name,
        "KEEL_DEMO_TENANTS": '["formwise"]',
        "KEEL_DEMO_START": "2026-10-01",
        "KEEL_DEMO_END": "2026-10-20",
        "KEEL_DEMO_PEER_COPIES": "0",
    }
    try:
        loaded = keel("ingest", "demo", env=env)
        assert loaded.returncode == 0, loaded.stdout[-2000:] + loaded.stderr[-2000:]
        assert "1 demo businesses" in loaded.stdout and "source loads succeeded" in loaded.stdout
        status = keel("ingest", "status", "--tenant", "formwise", env=env)
        assert status.returncode == 0, status.stderr
        rows = [line for line in status.stdout.splitlines() if "formwise" in line]
        assert any("stripe (demo)" in line and "charges" in line and "ok" in line for line in rows)
        scoped = settings.model_copy(update={"database_name": name})
        with warehouse.connect("admin", settings=scoped) as conn:
            providers = conn.execute("select distinct provider from app.source_loads").fetchall()
            loaded_rows = conn.execute("select sum(rows) from app.source_loads").fetchone()
            raw = conn.execute("select count(*) from raw_stripe.charges").fetchone()
        assert providers == [("demo",)]
        assert loaded_rows is not None and raw is not None and loaded_rows[0] >= raw[0] > 0
    finally:
        with warehouse.connect("admin", autocommit=True, settings=settings) as conn:
            conn.execute(f"drop database if exists {name} with (force)")
