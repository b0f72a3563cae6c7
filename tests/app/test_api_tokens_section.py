"""Your data → API tokens: a signed-in owner creates a token (shown once, working at once), sees it listed
by its first characters only, and revokes it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from app.session import USER_KEY
from keel import api_tokens, tenancy, warehouse
from keel.errors import AuthenticationFailed
from keel.settings import KeelSettings
from keel.tenancy import SignedInUser

SLUG = "token-section-florist"


@pytest.fixture
def owner(settings: KeelSettings) -> Iterator[SignedInUser]:
    tenant = tenancy.create_tenant(SLUG, "Token Section Florist")
    user_id = tenancy.create_user(tenant.tenant_id, "owner@token-florist.example", "correct horse battery")
    yield SignedInUser(user_id, tenant.tenant_id, "owner@token-florist.example")
    with warehouse.connect("admin") as conn:
        conn.execute("delete from app.tenants where slug = %s", (SLUG,))


def test_create_see_and_revoke_a_token(owner: SignedInUser) -> None:
    script = "from app.api_tokens import render_section\nfrom app.session import require_user\n"
    at = AppTest.from_string(script + "render_section(require_user())\n", default_timeout=60)
    at.session_state[USER_KEY] = owner
    at.run()
    assert not at.exception
    at.text_input(key="api_token_name").input("accounting sheet")
    at.checkbox(key="api_token_write").check()
    at.button[0].click()
    at.run()
    assert not at.exception
    token = at.code[0].value
    assert token.startswith(api_tokens.PAT_MARK)
    user = api_tokens.token_user(token)
    assert (user.tenant_id, user.email, user.scopes) == (owner.tenant_id, owner.email, {"read", "write"})
    table = at.dataframe[0].value
    assert list(table["Name"]) == ["accounting sheet"] and list(table["State"]) == ["active"]
    assert token not in at.dataframe[0].value.to_string()

    at.run()  # shown once: gone on the next run
    assert not at.code
    at.button(key="revoke_token_button").click()
    at.run()
    with pytest.raises(AuthenticationFailed, match="revoked"):
        api_tokens.token_user(token)
    assert list(at.dataframe[0].value["State"]) == ["revoked"]
