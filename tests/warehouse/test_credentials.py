"""Each role has its own password (#13 H2), the embedded server asks everyone for one, and rotating works
on the embedded server and on a DATABASE_URL server."""

from __future__ import annotations

import stat
from pathlib import Path

import psycopg
import pytest
from pydantic import SecretStr

from keel import warehouse
from keel.settings import ROLES, KeelSettings
from tests.warehouse.conftest import TwoTenants


def can_log_in(params: dict[str, object]) -> bool:
    try:
        psycopg.connect(**params, connect_timeout=10).close()  # type: ignore[arg-type]
    except psycopg.OperationalError:
        return False
    return True


def test_every_role_has_its_own_password(settings: KeelSettings, two_tenants: TwoTenants) -> None:
    logins = [
        *ROLES,
        *(
            warehouse.tenant_login(r, t.tenant_id)
            for r in ("keel_app", "keel_analyst")
            for t in (two_tenants.a, two_tenants.b)
        ),
    ]
    passwords = {login: warehouse.role_password(login, settings) for login in logins}
    assert len(set(passwords.values())) == len(logins)
    # The analyst's URL logs in as that analyst and as nobody else.
    url = warehouse.analyst_url(two_tenants.a.slug, settings)
    analyst = psycopg.conninfo.conninfo_to_dict(url)
    assert analyst["user"] == warehouse.tenant_login("keel_analyst", two_tenants.a.tenant_id)
    assert can_log_in(analyst)
    for other in [*ROLES, warehouse.tenant_login("keel_analyst", two_tenants.b.tenant_id), "postgres"]:
        assert not can_log_in({**analyst, "user": other}), other


def test_the_embedded_server_asks_everyone_for_a_password(settings: KeelSettings) -> None:
    hba = (settings.pgdata_dir / "pg_hba.conf").read_text()
    rules = [line.split() for line in hba.splitlines() if line.strip() and not line.startswith("#")]
    assert rules == [["local", "all", "all", "scram-sha-256"]]  # no trust, no TCP lines
    admin = warehouse.role_params("admin", settings)
    assert can_log_in(admin)
    for user in ("postgres", "keel_app", "keel_transformer"):
        assert not can_log_in({**admin, "user": user, "password": ""}), user
        assert not can_log_in({**admin, "user": user, "password": "wrong-password"}), user
    with warehouse.connect("admin", settings=settings) as conn:
        assert conn.execute("show unix_socket_permissions").fetchone() == ("0700",)
        assert conn.execute("show password_encryption").fetchone() == ("scram-sha-256",)
        rows = conn.execute(
            "select rolname from pg_authid where rolname like 'keel\\_%' and rolcanlogin "
            "and (rolpassword is null or rolpassword not like 'SCRAM-SHA-256$%')"
        ).fetchall()
    assert rows == []  # every login role has a scram verifier, no plain or md5 password
    socket = Path(str(admin["host"])) / ".s.PGSQL.5432"
    assert stat.S_IMODE(socket.stat().st_mode) == 0o700
    assert stat.S_IMODE(settings.role_key_file.stat().st_mode) == 0o600


def test_rotating_the_embedded_passwords(settings: KeelSettings, two_tenants: TwoTenants) -> None:
    old_url = warehouse.analyst_url(two_tenants.a.slug, settings)
    old_app = warehouse.role_params("keel_app", settings, tenant_id=two_tenants.a.tenant_id)
    old_secret = settings.role_key_file.read_text()
    count = warehouse.rotate_passwords(settings)
    assert count >= 4 + 2 * 2 + 1  # service roles, both tenants' logins, the administrator
    assert settings.role_key_file.read_text() != old_secret
    assert stat.S_IMODE(settings.role_key_file.stat().st_mode) == 0o600
    assert not can_log_in(psycopg.conninfo.conninfo_to_dict(old_url))
    assert not can_log_in(old_app)
    with warehouse.connect("keel_app", tenant_id=two_tenants.a.tenant_id, settings=settings) as conn:
        assert conn.execute("select app.current_tenant_id()").fetchone() == (two_tenants.a.tenant_id,)
    assert can_log_in(psycopg.conninfo.conninfo_to_dict(warehouse.analyst_url(two_tenants.a.slug, settings)))


def test_an_interrupted_rotation_is_finished_by_the_next_connection(settings: KeelSettings) -> None:
    """The new secret is written before the server changes; whichever one the server has wins."""
    pending = settings.role_key_file.with_name("role.key.next")
    pending.write_text("a-secret-that-never-reached-the-server")
    with warehouse.connect("admin", settings=settings) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
    assert not pending.exists()


def test_rotating_on_a_database_url_server(
    settings: KeelSettings, scratch_settings: KeelSettings, two_tenants: TwoTenants
) -> None:
    """DATABASE_URL: the passwords follow KEEL_ROLE_PASSWORD; change it and rotate."""
    warehouse.ensure_embedded_database(scratch_settings)
    admin = warehouse.role_params("admin", settings)
    url = f"postgresql://postgres:{admin['password']}@/{scratch_settings.database_name}?host={admin['host']}"
    first = KeelSettings(database_url=url, home=settings.home, role_password=SecretStr("first-role-secret-1"))
    second = first.model_copy(update={"role_password": SecretStr("second-role-secret-2")})
    from warehouse_init.migrate import prepare_warehouse

    try:
        prepare_warehouse(first)
        assert can_log_in(warehouse.role_params("keel_transformer", first))
        warehouse.rotate_passwords(second)
        assert not can_log_in(warehouse.role_params("keel_transformer", first))
        with warehouse.connect("keel_transformer", settings=second) as conn:
            assert conn.execute("select current_user").fetchone() == ("keel_transformer",)
    finally:
        warehouse.apply_role_passwords(settings)  # the roles are the server's: back to this session's


def test_a_short_role_secret_is_refused(settings: KeelSettings) -> None:
    weak = settings.model_copy(update={"role_password": SecretStr("short")})
    with pytest.raises(Exception, match="KEEL_ROLE_PASSWORD is shorter than 12 characters"):
        warehouse.role_password("keel_app", weak)
