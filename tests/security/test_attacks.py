"""Adversarial suite (#13 item 10): every door that accepts SQL tries to read another tenant's rows.

Doors: the URL an analyst gets (`keel db url --tenant`, a plain client without Keel's connection
options), the console's tenant login (``connect("keel_app", tenant_id=...)``, also the coach's door) and
Keel's own analyst connection. Tenant B's id is known to the attacker (ids are predictable). After each
attack, the same session counts tenant B's rows in every tenant table and view it can read, plus what
the attack itself returned (rows of its views, COPY output, notices a leaky function raised). Every
attack must leave that count at 0; refusals are fine. ``ATTEMPTS`` records the outcome of each attempt,
and the last test checks the totals docs/warehouse.md reports.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from keel import warehouse
from keel.settings import KeelSettings
from tests.warehouse.conftest import TwoTenants, tenant_scoped_relations

Door = Callable[[TwoTenants], psycopg.Connection[Any]]


def analyst_url_door(tenants: TwoTenants) -> psycopg.Connection[Any]:
    return psycopg.connect(warehouse.analyst_url(tenants.a.slug), autocommit=True)


def console_door(tenants: TwoTenants) -> psycopg.Connection[Any]:
    params = warehouse.role_params("keel_app", tenant_id=tenants.a.tenant_id)
    return psycopg.connect(**params, autocommit=True, options=warehouse.PINNED_OPTIONS)


def analyst_door(tenants: TwoTenants) -> psycopg.Connection[Any]:
    params = warehouse.role_params("keel_analyst", tenant_id=tenants.a.tenant_id)
    return psycopg.connect(**params, autocommit=True, options=warehouse.PINNED_OPTIONS)


DOORS: dict[str, Door] = {
    "analyst URL (keel db url --tenant)": analyst_url_door,
    "console/coach tenant login": console_door,
    "Keel's analyst connection": analyst_door,
}

#: Attacks: statements run in order (a refusal stops nothing), then probes whose rows are inspected.
ATTACKS: dict[str, dict[str, list[str]]] = {
    "forged tenant setting": {
        "run": [
            "set keel.tenant_id = '{B}'",
            "select set_config('keel.tenant_id', '{B}', false)",
            "set app.tenant_id = '{B}'",
            "set keel.tenant = '{B}'",
        ]
    },
    "SET ROLE to the other tenant's login": {"run": ["set role keel_app_{BHEX}"]},
    "SET ROLE to the other tenant's analyst": {"run": ["set role keel_analyst_{BHEX}"]},
    "SET ROLE to a pipeline role": {"run": ["set role keel_transformer", "set role keel_loader"]},
    "SET ROLE to the service group": {"run": ["set role keel_app", "set keel.tenant_id = '{B}'"]},
    "SET SESSION AUTHORIZATION": {"run": ["set session authorization keel_app_{BHEX}"]},
    "row_security off in the session": {"run": ["set row_security = off"]},
    "search_path shadowing current_tenant_id": {
        "run": [
            "create function pg_temp.current_tenant_id() returns uuid language sql "
            "as $$ select '{B}'::uuid $$",
            "set search_path = pg_temp, app, public",
        ]
    },
    "SECURITY DEFINER function of its own": {
        "run": [
            "create function pg_temp.peek() returns setof uuid language sql security definer "
            "as $$ select tenant_id from marts.test_orders $$",
        ],
        "probe": ["select * from pg_temp.peek()"],
    },
    "Keel's SECURITY DEFINER functions": {
        "run": [
            "select app.ensure_tenant_roles('{B}', null, null)",
            'select app.register_tenant(\'{"tenant_id": "{B}", "slug": "x", "name": "x"}\', null, null)',
            "select app.enable_tenant_isolation('marts.test_orders')",
            "select app.ensure_monthly_partitions('app.audit_events', now(), now())",
        ]
    },
    "temporary view over a tenant table": {
        "run": ["create temp view v as select * from marts.test_orders"],
        "probe": ["select tenant_id from pg_temp.v"],
    },
    "temporary materialized view": {
        "run": ["create materialized view pg_temp.mv as select * from marts.test_orders"],
        "probe": ["select tenant_id from pg_temp.mv"],
    },
    "views and materialized views in every schema": {
        "run": [
            f"create {kind} {schema}.leak_{kind.split()[-1]} as select * from marts.test_orders"
            for schema in (
                "public",
                "app",
                "marts",
                "metrics",
                "benchmarks",
                "ml",
                "coach",
                "staging",
                "raw_test",
            )
            for kind in ("view", "materialized view")
        ],
        "probe": ["select tenant_id from public.leak_view", "select tenant_id from marts.leak_view"],
    },
    "object creation in shared schemas": {
        "run": [
            "create table public.leak as select * from marts.test_orders",
            "create table marts.leak as select * from marts.test_orders",
            "create function public.f() returns int language sql as $$ select 1 $$",
            "create schema leak",
        ]
    },
    "leaky function in WHERE": {
        "run": [
            "create function pg_temp.leak(t uuid) returns boolean language plpgsql cost 0.0001 "
            "as $$ begin raise notice 'seen %', t; return true; end $$",
        ],
        "probe": ["select tenant_id from marts.test_orders where pg_temp.leak(tenant_id)"],
    },
    "COPY TO PROGRAM and server files": {
        "run": [
            "copy (select 1) to program 'id'",
            "copy marts.test_orders to '/tmp/keel_leak.csv'",
            "select pg_read_file('pg_hba.conf')",
            "select pg_read_binary_file('/etc/passwd')",
            "select pg_ls_dir('.')",
            "select lo_import('/etc/passwd')",
        ]
    },
    "COPY a tenant table to the client": {"copy": ["copy marts.test_orders to stdout"]},
    "ALTER ROLE SET on itself": {
        "run": [
            "alter role current_user set row_security = off",
            "alter role current_user set statement_timeout = 1",
            "alter role keel_app set row_security = off",
            "alter role keel_analyst set statement_timeout = 1",
        ]
    },
    "pg_stat_activity and signals": {
        "run": [
            "select pg_terminate_backend({OTHER_PID})",
            "select pg_cancel_backend({OTHER_PID})",
        ],
        "probe": [
            "select usename::text from pg_stat_activity where pid = {OTHER_PID}",
            "select query from pg_stat_get_activity({OTHER_PID})",
        ],
    },
}

#: (door, attack) -> {"refused": n, "accepted": n, "rows_leaked": n}
ATTEMPTS: dict[tuple[str, str], dict[str, int]] = {}


@pytest.fixture(scope="module")
def relations(settings: KeelSettings, two_tenants: TwoTenants) -> list[str]:
    found = tenant_scoped_relations(settings)
    assert {
        "app.users",
        "marts.test_orders",
        "marts.test_orders_view",
        "metrics.business_metrics_daily",
    } <= set(found)
    return found


@pytest.fixture
def other_session(two_tenants: TwoTenants) -> Iterator[int]:
    """A session of tenant B's console, which the attacker tries to see and to end."""
    with warehouse.connect("keel_app", tenant_id=two_tenants.b.tenant_id, autocommit=True) as conn:
        conn.execute("select 'tenant B secret query text'")
        yield conn.info.backend_pid
        assert conn.execute("select 1").fetchone() == (1,), "tenant B's session was ended"


def leaked_rows(conn: psycopg.Connection[Any], relations: list[str], b: str) -> int:
    """Rows of tenant B this session can read in every tenant table and view (0 when it cannot read)."""
    leaked = 0
    for rel in relations:
        try:
            row = conn.execute(f"select count(*) from {rel} where tenant_id::text = %s", (b,)).fetchone()
        except psycopg.Error:
            continue
        leaked += row[0] if row else 0
    return leaked


@pytest.mark.parametrize("attack", list(ATTACKS))
@pytest.mark.parametrize("door", list(DOORS))
def test_attack_leaks_nothing(
    door: str, attack: str, two_tenants: TwoTenants, relations: list[str], other_session: int
) -> None:
    a, b = str(two_tenants.a.tenant_id), str(two_tenants.b.tenant_id)

    def fill(statement: str) -> str:
        return (
            statement.replace("{BHEX}", uuid.UUID(b).hex)
            .replace("{B}", b)
            .replace("{OTHER_PID}", str(other_session))
        )

    plan = ATTACKS[attack]
    result = {"refused": 0, "accepted": 0, "rows_leaked": 0}
    notices: list[str] = []
    conn = DOORS[door](two_tenants)
    conn.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))
    try:
        for statement in plan.get("run", []):
            try:
                conn.execute(fill(statement))
                result["accepted"] += 1
            except psycopg.Error:
                result["refused"] += 1
        for statement in plan.get("probe", []):
            try:
                rows = conn.execute(fill(statement)).fetchall()
                result["accepted"] += 1
            except psycopg.Error:
                result["refused"] += 1
                continue
            result["rows_leaked"] += sum(1 for row in rows if b in json.dumps([str(v) for v in row]))
            if attack == "pg_stat_activity and signals":
                # Another tenant's session: not even its user or query text may show.
                result["rows_leaked"] += sum(1 for row in rows if row[0] is not None)
        for statement in plan.get("copy", []):
            try:
                with conn.cursor().copy(fill(statement)) as copy:
                    text = b"".join(bytes(chunk) for chunk in copy).decode()
                result["accepted"] += 1
                result["rows_leaked"] += sum(1 for line in text.splitlines() if b in line)
            except psycopg.Error:
                result["refused"] += 1
        result["rows_leaked"] += sum(1 for n in notices if b in n)
        for reset in ("reset search_path", "set row_security = on"):
            with contextlib.suppress(psycopg.Error):
                conn.execute(reset)
        result["rows_leaked"] += leaked_rows(conn, relations, b)
        # The session still sees its own tenant only (or nothing, after switching to a tenantless role).
        own = conn.execute("select app.current_tenant_id()::text").fetchone()
        assert own in ((a,), (None,)), own
    finally:
        conn.close()
    ATTEMPTS[(door, attack)] = result
    assert result["rows_leaked"] == 0, f"{attack} through {door}: {result}"


@pytest.mark.parametrize("door", list(DOORS))
def test_role_settings_a_session_put_on_itself_do_not_stick(door: str, two_tenants: TwoTenants) -> None:
    with DOORS[door](two_tenants) as conn:
        conn.execute("alter role current_user set row_security = off")
        conn.execute("alter role current_user set statement_timeout = 1")
    # The next session of that login (a plain client, without Keel's pinned options) works as before.
    with DOORS[door](two_tenants) as conn:
        assert conn.execute("show row_security").fetchone() == ("on",)
        assert conn.execute("show statement_timeout").fetchone() == ("0",)
        assert conn.execute("select count(*) from marts.test_orders").fetchone()[0] >= 1  # type: ignore[index]
    with warehouse.connect("admin") as admin:
        login = warehouse.tenant_login(
            "keel_app" if door.startswith("console") else "keel_analyst", two_tenants.a.tenant_id
        )
        left = admin.execute(
            "select count(*) from pg_db_role_setting s join pg_roles r on r.oid = s.setrole "
            "where r.rolname = %s",
            (login,),
        ).fetchone()
    assert left == (0,)


def test_totals_match_the_table_in_the_docs() -> None:
    """docs/warehouse.md reports these numbers; every attack ran through every door, none leaked."""
    if len(ATTEMPTS) < len(ATTACKS) * len(DOORS):
        pytest.skip("run the whole module to total the attempts")
    attempts = sum(r["refused"] + r["accepted"] for r in ATTEMPTS.values())
    leaked = sum(r["rows_leaked"] for r in ATTEMPTS.values())
    print(f"\n{len(ATTEMPTS)} attack runs, {attempts} statements, {leaked} rows leaked")
    for (door, attack), result in sorted(ATTEMPTS.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        print(f"| {attack} | {door} | {result['refused']} | {result['accepted']} | {result['rows_leaked']} |")
    assert leaked == 0
