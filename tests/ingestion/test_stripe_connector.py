"""The Stripe connector against a fake Stripe API on 127.0.0.1 serving a demo business's objects, with the
real client, dlt, loader and warehouse: a full load equals the fake's contents (cursors equal the demo's),
a second run loads nothing, changes made on the fake afterwards (a refund of an old charge, a cancelled
subscription, an edited customer, funds that became available) arrive through events and are merged;
429s, 5xx, timeouts and cut-off pages are retried while broken objects are set aside; a refused key
asks the owner to reconnect; a run killed with SIGKILL half-way converges on the next run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from ingestion.demo import DemoWorld, simulate
from ingestion.loader import TenantLoad, load_connector, load_tenant
from ingestion.sources.stripe import CONNECTOR, helpers
from ingestion.sources.stripe.settings import RESOURCES
from keel import tenancy, warehouse
from keel.settings import KeelSettings
from keel.tenant_data import delete_tenant
from tests.dbt_run import failures as dbt_failures
from tests.dbt_run import run_dbt

from .stripe_fake import FakeStripe

KEY = "rk_test_51KeelFakeRestrictedKey0042"
SLUG = "formwise"  # subscription software: customers, charges, subscriptions, invoices, balance
NAMES = tuple(spec.name for spec in RESOURCES)


@pytest.fixture(scope="module")
def world() -> DemoWorld:
    return simulate(seed=7, start=date(2026, 8, 1), end=date(2026, 9, 30), tenants=[SLUG])


@pytest.fixture(scope="module")
def account(world: DemoWorld) -> FakeStripe:
    """The demo business's Stripe account (not started: each test serves a copy of its own)."""
    return FakeStripe.from_world(world, str(world.tenants[0].tenant_id), KEY)


class Clock:
    """The connector's clock: the demo's business days lie in the past of the machine's real one."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return datetime.fromtimestamp(self.now, tz=UTC)


@pytest.fixture(autouse=True)
def clock(world: DemoWorld, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Five days after the demo's last day (a run in a child process has a first load only: no clock)."""
    last = max(r["updated"] for r in world.records("stripe", "charges", world.tenants[0].tenant_id))
    moved = Clock(last + 5 * 86_400)
    monkeypatch.setattr(helpers, "utc_now", moved)
    return moved


NewTenant = Callable[[], str]


@pytest.fixture
def new_tenant(world: DemoWorld, settings: KeelSettings) -> Iterator[NewTenant]:
    """Makes tenants of their own for a test (their dlt pipelines and cursors start empty), businesses
    like the demo one; deleted with all their rows and pipelines afterwards."""
    profile = world.tenants[0]
    slugs: list[str] = []

    def make() -> str:
        slugs.append(f"stripe-{uuid.uuid4().hex[:8]}")
        tenant = tenancy.create_tenant(
            slugs[-1],
            f"{profile.name} (connected)",
            industry=profile.industry,
            naics_code=profile.naics_code,
            size_band=profile.size_band,
            region=profile.region,
            country=profile.country,
            timezone=profile.timezone,
            currency=profile.currency,
            opened_on=profile.opened_on,
        )
        return str(tenant.tenant_id)

    yield make
    for slug in slugs:
        delete_tenant(slug)


def config(fake: FakeStripe, **overrides: Any) -> dict[str, Any]:
    return {
        "account_label": "Formwise live",
        "base_url": fake.url,
        "page_limit": 50,
        "backoff_seconds": 0.05,
        "timeout_seconds": 1.0,
        "max_attempts": 4,
        **overrides,
    }


def run(fake: FakeStripe, tenant: str, **overrides: Any) -> TenantLoad:
    return load_connector(CONNECTOR, tenant, config(fake, **overrides), {"api_key": KEY})


def loaded(tenant: str, resource: str, *columns: str) -> list[tuple[Any, ...]]:
    with warehouse.connect("admin") as conn:
        if conn.execute("select to_regclass(%s)", (f"raw_stripe.{resource}",)).fetchone() == (None,):
            return []
        selected = ", ".join(("id", *columns))
        return conn.execute(
            f"select {selected} from raw_stripe.{resource} where tenant_id = %s order by id", (tenant,)
        ).fetchall()


def fake_ids(fake: FakeStripe, resource: str) -> set[str]:
    return {o["id"] for o in fake.objects[resource] if isinstance(o, dict) and "id" in o}


def demo_updated(world: DemoWorld) -> dict[str, dict[str, int]]:
    tenant = world.tenants[0].tenant_id
    return {name: {r["id"]: r["updated"] for r in world.records("stripe", name, tenant)} for name in NAMES}


def assert_no_duplicates(tenant: str) -> None:
    with warehouse.connect("admin") as conn:
        for name in NAMES:
            if conn.execute("select to_regclass(%s)", (f"raw_stripe.{name}",)).fetchone() == (None,):
                continue
            n, distinct = conn.execute(
                f"select count(*), count(distinct id) from raw_stripe.{name} where tenant_id = %s", (tenant,)
            ).fetchone()  # type: ignore[misc]
            assert n == distinct, name


def test_full_load_equals_the_fake_then_nothing_then_changes_through_events(
    settings: KeelSettings, world: DemoWorld, account: FakeStripe, clock: Clock, new_tenant: NewTenant
) -> None:
    tenant = new_tenant()
    with account.copy(embedded_list_limit=1) as fake:
        # one invoice has three lines: Stripe embeds the first, the rest come from /v1/invoices/<id>/lines
        invoice = fake.objects["invoices"][0]
        line = invoice["lines"]["data"][0]
        invoice["lines"]["data"] += [{**line, "id": f"{line['id']}x{n}"} for n in (1, 2)]

        first = run(fake, tenant)
        assert first.ok, first.error
        expected = demo_updated(world)
        for name in NAMES:
            rows = loaded(tenant, name, "updated")
            assert {r[0] for r in rows} == fake_ids(fake, name), name
            assert dict(rows) == expected[name], name  # Stripe has no `updated`: events give the demo's
            assert first.rows[name] == len(rows), name
            assert rows or name == "refunds", name  # this business refunds nothing in these two months
        lines = dict(loaded(tenant, "invoices", "lines"))[invoice["id"]]
        assert [entry["id"] for entry in json.loads(lines)["data"]] == [
            line["id"],
            f"{line['id']}x1",
            f"{line['id']}x2",
        ]
        assert fake.seen(f"/v1/invoices/{invoice['id']}/lines")[0].params["starting_after"] == [line["id"]]
        customers = fake.seen("/v1/customers")
        assert len(customers) == -(-len(fake.objects["customers"]) // 50)  # pages of 50
        assert all(r.stripe_version == "2024-06-20" for r in fake.requests)
        assert "status" in fake.seen("/v1/subscriptions")[0].params  # status=all: canceled ones too
        assert any("created[gte]" not in r.params for r in fake.seen("/v1/events"))  # first run: all

        before = len(fake.requests)
        second = run(fake, tenant)
        assert second.ok, second.error
        assert second.rows == dict.fromkeys(NAMES, 0)
        incremental = {f"/v1/{name}" for name in NAMES if name != "refunds"} | {"/v1/events"}
        asked = [r for r in fake.requests[before:] if r.path in incremental]
        assert asked and all("created[gte]" in r.params for r in asked)  # only what changed since

        # changes after the first load, three days after the demo's last day
        at = max(max(updated.values()) for updated in expected.values() if updated) + 3 * 86_400
        old_charge = min(
            (c for c in fake.objects["charges"] if c["status"] == "succeeded"), key=lambda c: c["created"]
        )
        refund = fake.refund_charge(old_charge["id"], at)
        active = next(s for s in fake.objects["subscriptions"] if s["status"] == "active")
        fake.cancel_subscription(active["id"], at + 60)
        customer = fake.objects["customers"][0]
        fake.update_customer(customer["id"], at + 120, email="new-billing@example.org")
        settled = fake.settle_balance(at)
        assert settled > 0

        third = run(fake, tenant)
        assert third.ok, third.error
        assert third.rows["charges"] == third.rows["refunds"] == 1
        assert third.rows["subscriptions"] == third.rows["customers"] == 1
        assert third.rows["balance_transactions"] == settled + 1  # funds now available, and the refund
        assert third.rows["invoices"] == 0
        charge = {r[0]: r[1:] for r in loaded(tenant, "charges", "amount_refunded", "refunded", "updated")}
        assert charge[old_charge["id"]] == (old_charge["amount"], True, at)
        assert (refund["id"], old_charge["id"]) in loaded(tenant, "refunds", "charge")
        subscription = {r[0]: r[1:] for r in loaded(tenant, "subscriptions", "status", "ended_at", "updated")}
        assert subscription[active["id"]] == ("canceled", at + 60, at + 60)
        emails = dict(loaded(tenant, "customers", "email"))
        assert emails[customer["id"]] == "new-billing@example.org"
        for name in NAMES:
            assert {r[0] for r in loaded(tenant, name)} == fake_ids(fake, name), name
        assert_no_duplicates(tenant)

        fourth = run(fake, tenant)
        assert fourth.ok and fourth.rows == dict.fromkeys(NAMES, 0)

        # not loaded for 40 days: the event of a change has expired, so everything is read again
        renamed = fake.objects["customers"][1]
        fake.update_customer(renamed["id"], at + 600, name="Renamed Ltd")
        fake.events.pop()
        clock.now = at + 40 * 86_400
        fifth = run(fake, tenant)
        assert fifth.ok, fifth.error
        for name in ("customers", "charges", "subscriptions", "invoices"):
            assert fifth.rows[name] == len(fake.objects[name]), name
        assert fifth.rows["refunds"] == fifth.rows["balance_transactions"] == 0
        customers = {r[0]: r[1:] for r in loaded(tenant, "customers", "name", "updated")}
        assert customers[renamed["id"]] == ("Renamed Ltd", clock.now)
        assert_no_duplicates(tenant)
        assert run(fake, tenant).rows == dict.fromkeys(NAMES, 0)


def test_faults_are_retried_and_broken_objects_set_aside(
    settings: KeelSettings, world: DemoWorld, account: FakeStripe, new_tenant: NewTenant
) -> None:
    tenant = new_tenant()
    with account.copy(rate_limit=5) as fake:
        good = {name: fake_ids(fake, name) for name in NAMES}
        template = fake.objects["charges"][-1]
        fake.add("charges", {**template, "id": "ch_BROKENAMOUNT", "amount": "10.99"})
        fake.add(
            "charges", {k: v for k, v in template.items() if k != "id"} | {"created": template["created"] - 1}
        )
        fake.fail_next("/v1/charges", "429")
        fake.fail_next("/v1/customers", "500", times=2)
        fake.fail_next("/v1/invoices", "timeout")
        fake.fail_next("/v1/subscriptions", "truncated")
        fake.fail_next("/v1/events", "not_json")
        fake.fail_next("/v1/balance_transactions", "500")

        result = run(fake, tenant, timeout_seconds=0.5, page_limit=100, max_attempts=8)
        assert result.ok, result.error
        assert result.rejected == 2
        for name in NAMES:
            assert {r[0] for r in loaded(tenant, name)} == good[name], name
        charges = fake.seen("/v1/charges")
        assert charges[0].status == 429 and "starting_after" not in charges[1].params
        assert charges[1].at - charges[0].at >= 0.9  # waited as Retry-After asked
        assert [r.status for r in fake.seen("/v1/customers")[:3]] == [500, 500, 200]
        assert any(r.status == 429 for r in fake.requests if r.path != "/v1/charges")  # the rate limit
        with warehouse.connect("admin") as conn:
            problems = [
                row[0]
                for row in conn.execute(
                    "select problems from raw_stripe.rejected_records where tenant_id = %s order by problems",
                    (tenant,),
                ).fetchall()
            ]
        assert any("'amount' should be an integer amount in minor units, got '10.99'" in p for p in problems)
        assert any("primary key field 'id' is missing" in p for p in problems)

        fake.fail_next("/v1/charges", "500_no_retry")  # Stripe says not to retry: the run reports it
        refused = run(fake, tenant)
        assert not refused.ok and not refused.needs_reconnect
        assert "500" in (refused.error or "") and len(fake.seen("/v1/charges")) == len(charges) + 1


def test_a_refused_key_asks_the_owner_to_reconnect(
    settings: KeelSettings, world: DemoWorld, account: FakeStripe, new_tenant: NewTenant
) -> None:
    tenant = new_tenant()
    with account.copy() as fake:
        fake.revoked = True
        revoked = run(fake, tenant)
        assert revoked.needs_reconnect and not revoked.ok
        assert "no longer accepts the stored key" in (revoked.error or "")
        assert KEY not in (revoked.error or "")
        assert len(fake.requests) == 1  # a 401 is not retried

        fake.revoked = False
        fake.forbidden.add("charges")
        forbidden = run(fake, tenant)
        assert forbidden.needs_reconnect and "may not read charges" in (forbidden.error or "")

        publishable = load_connector(CONNECTOR, tenant, config(fake), {"api_key": "pk_test_51Keel0000000000"})
        assert publishable.needs_reconnect and "publishable key" in (publishable.error or "")
        bad = load_connector(CONNECTOR, tenant, config(fake, page_limit=500), {"api_key": KEY})
        assert not bad.needs_reconnect and "page_limit" in (bad.error or "")


CHILD_PAGE = 25
KILLED_RUN = """
import json, sys
from ingestion.loader import load_connector
from ingestion.sources.stripe import CONNECTOR, helpers
load_connector(CONNECTOR, sys.argv[1], json.loads(sys.argv[2]), {"api_key": sys.argv[3]})
"""


def start_killable_run(fake: FakeStripe, tenant: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, tenant, json.dumps(config(fake, page_limit=CHILD_PAGE)), KEY],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill(child: subprocess.Popen[bytes]) -> None:
    assert child.poll() is None, "the run ended before it could be killed"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL


def any_rows(tenant: str) -> bool:
    with warehouse.connect("admin") as conn:
        for name in NAMES:
            if conn.execute("select to_regclass(%s)", (f"raw_stripe.{name}",)).fetchone() == (None,):
                continue
            if conn.execute(
                f"select 1 from raw_stripe.{name} where tenant_id = %s limit 1", (tenant,)
            ).fetchone():
                return True
    return False


def test_a_run_killed_half_way_converges_on_the_next_run(
    settings: KeelSettings, world: DemoWorld, account: FakeStripe, new_tenant: NewTenant
) -> None:
    expected = demo_updated(world)
    # killed while it reads pages from Stripe, and killed as soon as its first table is written
    for phase in ("reading", "writing"):
        tenant = new_tenant()
        with account.copy() as fake:
            pages = sum(-(-len(fake.objects[name]) // CHILD_PAGE) for name in NAMES)
            child = start_killable_run(fake, tenant)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and child.poll() is None:
                if phase == "reading" and len(fake.requests) >= 15:
                    break
                if phase == "writing" and len(fake.requests) >= pages and any_rows(tenant):
                    break
                time.sleep(0.005)
            kill(child)
            if phase == "reading":
                assert len(fake.requests) < pages and not any_rows(tenant)

            again = run(fake, tenant, page_limit=100)
            assert again.ok, again.error
            if not all(dict(loaded(tenant, name, "updated")) == expected[name] for name in NAMES):
                again = run(fake, tenant, page_limit=100)  # a half-loaded package is finished first
                assert again.ok, again.error
            for name in NAMES:
                assert dict(loaded(tenant, name, "updated")) == expected[name], (phase, name)
            assert_no_duplicates(tenant)
            assert run(fake, tenant, page_limit=100).rows == dict.fromkeys(NAMES, 0)


STAGED = (
    "staging.stg_stripe__customers",
    "staging.stg_stripe__charges",
    "staging.stg_stripe__refunds",
    "staging.stg_stripe__subscriptions",
    "staging.stg_stripe__invoices",
    "staging.stg_stripe__invoice_lines",
    "staging.stg_stripe__balance_transactions",
    "marts.subscriptions",
)


def staged(relation: str, tenant: str) -> list[dict[str, Any]]:
    """The tenant's rows of a dbt relation, without the tenant, in a stable order."""
    with warehouse.connect("admin") as conn:
        cursor = conn.execute(f"select * from {relation} where tenant_id = %s", (tenant,))
        names = [column.name for column in cursor.description or []]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return sorted(({k: v for k, v in row.items() if k != "tenant_id"} for row in rows), key=repr)


def test_connector_data_stages_like_the_demo_s(
    settings: KeelSettings, world: DemoWorld, account: FakeStripe, tmp_path: Path, new_tenant: NewTenant
) -> None:
    demo = new_tenant()  # the demo's records, loaded as the simulator provides them (for another tenant)
    simulated = str(world.tenants[0].tenant_id)
    from_demo = load_tenant(
        "stripe",
        world.resources("stripe"),
        lambda spec, since: ({**r, "tenant_id": demo} for r in world.records("stripe", spec.name, simulated)),
        demo,
    )
    assert from_demo.ok, from_demo.error
    tenant = new_tenant()
    with account.copy() as fake:
        connected = run(fake, tenant, page_limit=100)
    assert connected.ok, connected.error
    assert connected.rows == from_demo.rows

    warehouse.write_dbt_profiles(tmp_path / "profiles", settings)
    built = run_dbt(tmp_path, "run", "--select", "path:models/staging/stripe", "+subscriptions")
    assert not dbt_failures(built), dbt_failures(built)
    for relation in STAGED:
        rows = staged(relation, tenant)
        assert rows == staged(relation, demo), relation
        assert rows or relation == "staging.stg_stripe__refunds", relation
