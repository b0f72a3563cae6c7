"""`keel token create|list|revoke`: a token printed once that works at once, listed by its first characters
only, refused after revocation; bad scopes and lifetimes are refused with the reason."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from cli.main import app as keel_app
from keel import api_tokens, tenancy, warehouse
from keel.errors import AuthenticationFailed, InvalidInput
from keel.settings import KeelSettings

SLUG = "token-cli-bakery"
EMAIL = "owner@token-cli.example"


@pytest.fixture
def bakery(settings: KeelSettings) -> Iterator[tenancy.Tenant]:
    tenant = tenancy.create_tenant(SLUG, "Token CLI Bakery")
    tenancy.create_user(tenant.tenant_id, EMAIL, "correct horse battery")
    yield tenant
    with warehouse.connect("admin") as conn:
        conn.execute("delete from app.tenants where slug = %s", (SLUG,))


def test_create_list_revoke(bakery: tenancy.Tenant) -> None:
    cli = CliRunner()
    made = cli.invoke(
        keel_app,
        ["token", "create", "--tenant", SLUG, "--user", EMAIL, "--name", "sheet", "--scope", "read",
         "--scope", "write", "--days", "30"],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    token = re.search(r"^(keel_pat_\S+)$", made.output, re.MULTILINE)
    assert token is not None, made.output
    user = api_tokens.token_user(token.group(1))
    assert user.tenant_id == bakery.tenant_id and user.scopes == {"read", "write"}

    listed = cli.invoke(keel_app, ["token", "list", "--tenant", SLUG])
    assert listed.exit_code == 0, listed.output
    assert token.group(1)[:16] in listed.output and token.group(1) not in listed.output
    assert "active" in listed.output

    (stored,) = api_tokens.list_tokens(bakery.tenant_id)
    revoked = cli.invoke(keel_app, ["token", "revoke", str(stored.token_id), "--tenant", SLUG])
    assert revoked.exit_code == 0, revoked.output
    with pytest.raises(AuthenticationFailed, match="revoked"):
        api_tokens.token_user(token.group(1))
    again = cli.invoke(keel_app, ["token", "revoke", str(stored.token_id), "--tenant", SLUG])
    assert again.exit_code == 1


def test_bad_scopes_and_lifetimes(bakery: tenancy.Tenant) -> None:
    with pytest.raises(InvalidInput, match="admin"):
        api_tokens.create_token(bakery.tenant_id, EMAIL, "x", ["read", "admin"])
    with pytest.raises(InvalidInput, match="cannot last 9999 days"):
        api_tokens.create_token(bakery.tenant_id, EMAIL, "x", ["read"], days=9999)
    with pytest.raises(InvalidInput, match="no active user"):
        api_tokens.create_token(bakery.tenant_id, "nobody@token-cli.example", "x", ["read"])
    with pytest.raises(AuthenticationFailed, match="not a Keel access token"):
        api_tokens.token_user("ghp_someone_elses_token")
