"""Users' passwords are argon2 hashes, connector secrets are encrypted at rest, sign-in works."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from keel import secrets, tenancy, warehouse
from keel.errors import AuthenticationFailed, InvalidInput, KeelError
from keel.settings import KeelSettings
from tests.warehouse.conftest import TwoTenants


def test_passwords_are_stored_as_argon2_hashes(two_tenants: TwoTenants) -> None:
    with warehouse.connect("admin") as conn:
        rows = conn.execute(
            "select email, password_hash from app.users where tenant_id = %s", (two_tenants.a.tenant_id,)
        ).fetchall()
    assert rows
    for _email, password_hash in rows:
        assert password_hash.startswith("$argon2id$")
        assert "correct horse" not in password_hash


def test_sign_in(two_tenants: TwoTenants) -> None:
    user = tenancy.authenticate("  Owner@Test-Cafe-A.example.com ", "correct horse test-cafe-a")
    assert user.tenant_id == two_tenants.a.tenant_id
    with pytest.raises(AuthenticationFailed, match="e-mail or password is wrong"):
        tenancy.authenticate("owner@test-cafe-a.example.com", "correct horse test-shop-b")
    with pytest.raises(AuthenticationFailed, match="e-mail or password is wrong"):
        tenancy.authenticate("nobody@example.com", "whatever-long-password")
    with warehouse.connect("keel_app", tenant_id=user.tenant_id) as conn:
        actions = [
            r[0]
            for r in conn.execute(
                "select action from app.audit_events where actor = %s", (user.email,)
            ).fetchall()
        ]
    assert "user.signed_in" in actions


def test_connector_secrets_are_encrypted_and_only_masked_hints_are_readable(two_tenants: TwoTenants) -> None:
    plain = "shpat_secret_test-cafe-a_0123456789"
    with warehouse.connect("admin") as conn:
        token, hint, config = conn.execute(
            "select secrets_encrypted, secrets_hint, config::text from app.data_sources where tenant_id = %s",
            (two_tenants.a.tenant_id,),
        ).fetchone()
    assert plain.encode() not in bytes(token) and plain not in config
    assert hint == {"access_token": "…6789"}
    assert secrets.decrypt_secrets(token) == {"access_token": plain}


def test_a_wrong_key_gives_a_clear_error(two_tenants: TwoTenants, settings: KeelSettings) -> None:
    token = secrets.encrypt_secrets({"k": "v"})
    other = settings.model_copy(update={"secret_key": SecretStr(Fernet.generate_key().decode())})
    with pytest.raises(KeelError, match="cannot be decrypted"):
        secrets.decrypt_secrets(token, other)
    # Rotation: new key first, old key second, old tokens still open.
    both = f"{Fernet.generate_key().decode()},{settings.secret_key_file.read_text().strip()}"
    rotated = settings.model_copy(update={"secret_key": SecretStr(both)})
    assert secrets.decrypt_secrets(token, rotated) == {"k": "v"}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: tenancy.create_tenant("Bad Slug!", "x"), "slug"),
        (lambda: tenancy.create_user("not-a-uuid", "a@b.co", "long enough pw"), "not a UUID"),
        (
            lambda: tenancy.create_user(tenancy.tenant_id_for("test-cafe-a"), "nope", "long enough pw"),
            "e-mail",
        ),
        (lambda: tenancy.create_user(tenancy.tenant_id_for("test-cafe-a"), "a@b.co", "short"), "too short"),
    ],
)
def test_bad_input_is_named(call, message: str, two_tenants: TwoTenants) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match=message):
        call()


def test_mask() -> None:
    assert secrets.mask("sk_live_1234567890abcd") == "…abcd"
    assert secrets.mask("short") == "…"
    assert secrets.mask("") == ""
