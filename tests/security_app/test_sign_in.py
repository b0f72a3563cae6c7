"""Sign-in resists guessing and sessions end when they should (issue #13 items 4 and 5).

Everything runs against the real test warehouse: Keel's tenancy code signs in as ``keel_auth``; the
checks read the tables and the audit log back as the administrator.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import psycopg
import pytest
from itsdangerous import TimestampSigner

from app import session
from keel import tenancy, warehouse
from keel.errors import AuthenticationFailed, SignInLocked
from keel.settings import KeelSettings


@dataclass(frozen=True)
class Owner:
    tenant: tenancy.Tenant
    email: str
    password: str


@pytest.fixture(scope="module")
def owners(settings: KeelSettings) -> Iterator[tuple[Owner, Owner]]:
    made = []
    for slug in ("signin-bakery-a", "signin-garage-b"):
        tenant = tenancy.create_tenant(slug, slug.replace("-", " ").title())
        email, password = f"owner@{slug}.example.com", f"correct horse {slug}"
        tenancy.create_user(tenant.tenant_id, email, password)
        made.append(Owner(tenant, email, password))
    yield made[0], made[1]
    with warehouse.connect("admin") as conn:
        conn.execute(
            "delete from app.tenants where tenant_id = any(%s)", ([o.tenant.tenant_id for o in made],)
        )


@pytest.fixture(autouse=True)
def _no_locks(settings: KeelSettings) -> Iterator[None]:
    with warehouse.connect("admin") as conn:
        conn.execute("delete from app.sign_in_throttle")
    yield
    with warehouse.connect("admin") as conn:
        conn.execute("delete from app.sign_in_throttle")
        conn.execute("update app.users set is_active = true where email like 'owner@signin-%'")
        conn.execute("update app.tenants set is_active = true where slug like 'signin-%'")


def admin_rows(query: str, *params: object) -> list[tuple[object, ...]]:
    with warehouse.connect("admin") as conn:
        return conn.execute(query, params).fetchall()


def audit(owner: Owner, action: str) -> list[dict[str, object]]:
    rows = admin_rows(
        "select detail from app.audit_events where tenant_id = %s and action = %s order by occurred_at",
        owner.tenant.tenant_id,
        action,
    )
    return [row[0] for row in rows]  # type: ignore[misc]


def expire_locks() -> None:
    """What waiting out the lock does, without the wait."""
    with warehouse.connect("admin") as conn:
        conn.execute("update app.sign_in_throttle set locked_until = now() - interval '1 second'")


def lock_seconds(scope: str) -> list[float]:
    rows = admin_rows(
        "select extract(epoch from locked_until - last_failure_at) from app.sign_in_throttle "
        "where scope = %s and locked_until is not null",
        scope,
    )
    return [round(float(row[0])) for row in rows]  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------
# Item 5: the password hash never reaches the console's role, nor any other tenant's data
# ------------------------------------------------------------------------------------------------


def test_keel_app_cannot_call_the_login_lookup(owners: tuple[Owner, Owner]) -> None:
    a, b = owners
    with (
        warehouse.connect("keel_app", tenant_id=a.tenant.tenant_id) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("select * from app.login_candidate(%s)", (b.email,))


def test_no_role_that_accepts_sql_can_call_a_function_that_bypasses_row_level_security(
    settings: KeelSettings,
) -> None:
    """A security-definer function runs with its owner's rights, past row-level security: none may be
    callable by the console's or the analysts' role (an invoker function runs under their policies)."""
    callable_definers = admin_rows(
        """
        select r.rolname, p.oid::regprocedure::text
        from pg_proc p
        join pg_namespace n on n.oid = p.pronamespace
        cross join (values ('keel_app'), ('keel_analyst')) as r (rolname)
        where p.prosecdef
          and n.nspname not in ('pg_catalog', 'information_schema')
          and has_function_privilege(r.rolname, p.oid, 'execute')
        order by 1, 2
        """
    )
    assert callable_definers == []


def test_keel_auth_reads_no_table_and_only_calls_the_sign_in_functions(settings: KeelSettings) -> None:
    tables = admin_rows(
        """
        select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p', 'v', 'm') and n.nspname not in ('pg_catalog', 'information_schema')
          and has_table_privilege('keel_auth', c.oid, 'select, insert, update, delete, truncate')
        """
    )
    assert tables == []
    functions = {
        row[0]
        for row in admin_rows(
            """
            select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = 'app' and has_function_privilege('keel_auth', p.oid, 'execute')
              and p.prorettype <> 'event_trigger'::regtype
            """
        )
    }
    assert "app.login_candidate(text)" in functions
    assert functions <= {
        "app.login_candidate(text)",
        "app.sign_in_lock(text,text)",
        "app.sign_in_record(text,text,uuid,boolean,integer,integer,integer)",
        "app.sign_in_rehash(uuid,text)",
        "app.session_start(uuid,text)",
        "app.session_resume(uuid,integer,integer)",
        "app.session_end(uuid,text)",
        "app.current_tenant_id()",
        # the API's sign-in: a token's user from the token's digest, an identity provider's user by e-mail
        "app.api_token_user(text)",
        "app.api_identity_user(text)",
    }, functions
    with warehouse.connect("keel_auth") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("select password_hash from app.users")


# ------------------------------------------------------------------------------------------------
# Item 4: throttling, lockout with back-off, audit
# ------------------------------------------------------------------------------------------------


def test_repeated_wrong_passwords_lock_the_account_even_for_the_right_one(
    settings: KeelSettings, owners: tuple[Owner, Owner]
) -> None:
    a, _ = owners
    limit = settings.sign_in_max_failures
    before_failed = len(audit(a, "user.sign_in_failed"))
    for attempt in range(1, limit + 1):
        expected = SignInLocked if attempt == limit else AuthenticationFailed
        with pytest.raises(expected) as caught:
            tenancy.authenticate(a.email, f"guess number {attempt}")
        assert type(caught.value) is expected
    with pytest.raises(SignInLocked) as locked:
        tenancy.authenticate(a.email, a.password)  # right password, but locked: not signed in
    assert (
        settings.sign_in_lockout_seconds - 5
        <= locked.value.retry_after_seconds
        <= settings.sign_in_lockout_seconds
    )
    assert "too many failed sign-ins" in str(locked.value)

    failed = audit(a, "user.sign_in_failed")[before_failed:]
    assert [d["failures_in_a_row"] for d in failed] == list(range(1, limit + 1))
    assert len(audit(a, "user.locked_out")) >= 1

    expire_locks()
    signed_in = tenancy.authenticate(a.email, a.password)
    assert signed_in.tenant_id == a.tenant.tenant_id
    assert admin_rows("select count(*) from app.sign_in_throttle where scope = 'account'") == [(0,)]


def test_each_failure_after_the_limit_doubles_the_lock(
    settings: KeelSettings, owners: tuple[Owner, Owner]
) -> None:
    a, _ = owners
    first = settings.sign_in_lockout_seconds
    seen = []
    for _ in range(settings.sign_in_max_failures - 1):
        with pytest.raises(AuthenticationFailed):
            tenancy.authenticate(a.email, "not it")
    for _ in range(4):
        with pytest.raises(SignInLocked):
            tenancy.authenticate(a.email, "not it")
        seen.append(lock_seconds("account"))
        expire_locks()
    assert seen == [[first], [2 * first], [4 * first], [8 * first]]


def test_an_address_guessing_at_many_accounts_is_locked(
    settings: KeelSettings, owners: tuple[Owner, Owner]
) -> None:
    a, _ = owners
    address = "203.0.113.9"
    for i in range(settings.sign_in_max_failures):
        with pytest.raises(AuthenticationFailed):
            tenancy.authenticate(f"someone{i}@signin-nowhere.example.com", "123456", client_address=address)
    with pytest.raises(SignInLocked):
        tenancy.authenticate(a.email, a.password, client_address=address)
    # The owner, from their own address, is not held up by somebody else's guessing.
    assert tenancy.authenticate(a.email, a.password, client_address="198.51.100.4").email == a.email
    attempts = admin_rows(
        "select outcome, count(*) from app.sign_in_attempts where client_address = %s group by 1", address
    )
    assert dict(attempts) == {"wrong": settings.sign_in_max_failures}  # type: ignore[arg-type]


def test_unknown_e_mails_are_throttled_and_cost_the_same_work(owners: tuple[Owner, Owner]) -> None:
    a, _ = owners

    def seconds(email: str) -> float:
        started = time.perf_counter()
        with pytest.raises(AuthenticationFailed) as caught:
            tenancy.authenticate(email, "wrong password")
        assert str(caught.value) == "e-mail or password is wrong — check both and try again"
        return time.perf_counter() - started

    known = statistics.median(seconds(a.email) for _ in range(3))
    expire_locks()
    unknown = statistics.median(seconds("nobody@signin-bakery-a.example.com") for _ in range(3))
    assert 1 / 3 < unknown / known < 3, (known, unknown)  # same argon2 work; wide for a loaded machine
    assert admin_rows("select count(*) from app.sign_in_throttle where scope = 'account'") == [(2,)]


# ------------------------------------------------------------------------------------------------
# Item 4: sessions
# ------------------------------------------------------------------------------------------------


def session_for(owner: Owner) -> tenancy.SignedInUser:
    user = tenancy.start_session(tenancy.authenticate(owner.email, owner.password))
    assert user.session_id is not None
    return user


def ended(session_id: uuid.UUID | None) -> str | None:
    return admin_rows("select end_reason from app.user_sessions where session_id = %s", session_id)[0][0]  # type: ignore[return-value]


def test_a_session_resumes_until_it_is_idle_too_long(
    settings: KeelSettings, owners: tuple[Owner, Owner]
) -> None:
    user = session_for(owners[0])
    assert user.session_id is not None
    assert tenancy.resume_session(user.session_id) == user
    idle = timedelta(minutes=settings.session_idle_minutes, seconds=5)
    with warehouse.connect("admin") as conn:
        conn.execute(
            "update app.user_sessions set last_seen_at = now() - %s where session_id = %s",
            (idle, user.session_id),
        )
    assert tenancy.resume_session(user.session_id) is None
    assert ended(user.session_id) == "idle"
    assert tenancy.resume_session(user.session_id) is None  # ended stays ended


def test_a_busy_session_still_ends_at_the_absolute_limit(
    settings: KeelSettings, owners: tuple[Owner, Owner]
) -> None:
    user = session_for(owners[0])
    old = timedelta(hours=settings.session_max_hours, seconds=5)
    with warehouse.connect("admin") as conn:
        conn.execute(
            "update app.user_sessions set created_at = now() - %s where session_id = %s",
            (old, user.session_id),
        )
    assert tenancy.resume_session(user.session_id) is None  # type: ignore[arg-type]
    assert ended(user.session_id) == "expired"


@pytest.mark.parametrize("what", ["user", "tenant"])
def test_a_deactivated_user_or_tenant_loses_its_session_and_cannot_sign_in(
    owners: tuple[Owner, Owner], what: str
) -> None:
    a, _ = owners
    user = session_for(a)
    with warehouse.connect("admin") as conn:
        if what == "user":
            conn.execute("update app.users set is_active = false where user_id = %s", (user.user_id,))
        else:
            conn.execute(
                "update app.tenants set is_active = false where tenant_id = %s", (a.tenant.tenant_id,)
            )
    assert tenancy.resume_session(user.session_id) is None  # type: ignore[arg-type]
    assert ended(user.session_id) == "deactivated"
    with pytest.raises(AuthenticationFailed):
        tenancy.authenticate(a.email, a.password)
    assert audit(a, "user.session_ended")[-1] == {"reason": "deactivated"}


def test_signing_out_ends_the_session(owners: tuple[Owner, Owner]) -> None:
    user = session_for(owners[1])
    tenancy.end_session(user.session_id)  # type: ignore[arg-type]
    assert tenancy.resume_session(user.session_id) is None  # type: ignore[arg-type]
    assert ended(user.session_id) == "signed_out"


def test_the_session_cookie_is_signed_and_expires(
    settings: KeelSettings, owners: tuple[Owner, Owner], monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = uuid.uuid4()
    token = session.session_token(session_id)
    assert session.session_from_token(token) == session_id
    forged = token.replace(str(session_id)[:4], "ffff") if str(session_id)[:4] in token else token[:-2] + "xx"
    assert session.session_from_token(forged) is None
    _payload, _, signature = token.partition(".")
    assert (
        session.session_from_token(f"{session.session_token(uuid.uuid4()).split('.')[0]}.{signature}") is None
    )
    assert session.session_from_token(str(session_id)) is None  # a bare id is no cookie

    too_old = int(time.time()) - settings.session_max_hours * 3600 - 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: too_old)
    stale = session.session_token(session_id)
    monkeypatch.undo()
    assert session.session_from_token(stale) is None
