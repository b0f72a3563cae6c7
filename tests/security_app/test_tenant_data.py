"""An owner's data can be exported and deleted whole (`keel tenant export|delete`), and rejected
records lose their personal fields after the retention period (issue #13 item 9)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.main import app as cli
from ingestion import loader
from keel import tenancy, warehouse
from keel.errors import InvalidInput
from keel.settings import KeelSettings

SLUGS = ("privacy-salon-a", "privacy-salon-b")


@pytest.fixture
def two(settings: KeelSettings) -> Iterator[tuple[tenancy.Tenant, tenancy.Tenant]]:
    made = []
    for slug in SLUGS:
        tenant = tenancy.create_tenant(slug, slug.replace("-", " ").title())
        tenancy.create_user(tenant.tenant_id, f"owner@{slug}.example.com", f"correct horse {slug}")
        tenancy.save_data_source(
            tenant.tenant_id, "shopify", "shop", {"shop": slug}, {"token": "shpat_0123456789"}
        )
        made.append(tenant)
    with warehouse.connect("keel_loader") as conn:
        conn.execute("create schema if not exists raw_privacy")
        conn.execute(
            "create table if not exists raw_privacy.customers (id bigint, tenant_id text, email text)"
        )
        for i, tenant in enumerate(made):
            conn.execute(
                "insert into raw_privacy.customers values (%s, %s, %s)",
                (i, str(tenant.tenant_id), f"buyer{i}@example.com"),
            )
            # the staging schema of the tenant's pipeline (emptied after each merge)
            staging = loader.staging_dataset_name("privacy", str(tenant.tenant_id))
            conn.execute(f"create schema if not exists {staging}")
            conn.execute(f"create table if not exists {staging}.customers (id bigint, tenant_id text)")
    # a pipeline folder of the tenant under KEEL_HOME (dlt state and packages)
    folder = settings.dlt_pipelines_dir / f"keel_shopify_{made[0].tenant_id.hex}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "state.json").write_text("{}")
    yield made[0], made[1]
    with warehouse.connect("admin") as conn:
        conn.execute("drop schema if exists raw_privacy cascade")
        for tenant in made:
            staging = loader.staging_dataset_name("privacy", str(tenant.tenant_id))
            conn.execute(f"drop schema if exists {staging} cascade")
        conn.execute("delete from app.tenants where slug = any(%s)", (list(SLUGS),))


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def test_export_writes_every_row_of_the_tenant_and_nothing_else(
    two: tuple[tenancy.Tenant, tenancy.Tenant], tmp_path: Path
) -> None:
    a, b = two
    out = tmp_path / "export"
    done = CliRunner().invoke(cli, ["tenant", "export", a.slug, "--to", str(out)])
    assert done.exit_code == 0, done.output
    files = {p.name: p for p in out.iterdir()}
    assert {"app.tenants.csv", "app.users.csv", "app.data_sources.csv", "raw_privacy.customers.csv"} <= set(
        files
    )
    assert [r["email"] for r in read_csv(files["raw_privacy.customers.csv"])] == ["buyer0@example.com"]
    assert [r["slug"] for r in read_csv(files["app.tenants.csv"])] == [a.slug]
    users = read_csv(files["app.users.csv"])
    assert [u["email"] for u in users] == [f"owner@{a.slug}.example.com"]
    everything = "".join(p.read_text() for p in files.values())
    assert str(b.tenant_id) not in everything and b.slug not in everything
    assert all(p.stat().st_mode & 0o077 == 0 for p in files.values())  # private: personal data
    with warehouse.connect("admin") as conn:
        logged = conn.execute(
            "select action, detail from app.audit_events where tenant_id = %s and action = 'tenant.exported'",
            (a.tenant_id,),
        ).fetchall()
        operator = conn.execute(
            "select action from app.tenant_data_events where tenant_slug = %s", (a.slug,)
        ).fetchall()
    assert len(logged) == 1 and logged[0][1]["rows"]["raw_privacy.customers"] == 1
    assert operator == [("tenant.exported",)]


def test_delete_asks_first_then_removes_the_tenant_everywhere(
    settings: KeelSettings, two: tuple[tenancy.Tenant, tenancy.Tenant]
) -> None:
    a, b = two
    refused = CliRunner().invoke(cli, ["tenant", "delete", a.slug], input="n\n")
    assert refused.exit_code != 0
    with warehouse.connect("admin") as conn:
        assert conn.execute(
            "select count(*) from app.tenants where tenant_id = %s", (a.tenant_id,)
        ).fetchone() == (1,)

    done = CliRunner().invoke(cli, ["tenant", "delete", a.slug], input="y\n")
    assert done.exit_code == 0, done.output

    with warehouse.connect("admin") as conn:
        relations = conn.execute(
            """
            select format('%I.%I', n.nspname, c.relname) from pg_class c
            join pg_namespace n on n.oid = c.relnamespace
            join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
            where c.relkind in ('r', 'p') and not c.relispartition
              and n.nspname not in ('pg_catalog', 'information_schema')
            """
        ).fetchall()
        left = {
            rel: conn.execute(
                f"select count(*) from {rel} where tenant_id::text = %s", (str(a.tenant_id),)
            ).fetchone()[0]  # type: ignore[index]
            for (rel,) in relations
        }
        kept_b = conn.execute(
            "select count(*) from raw_privacy.customers where tenant_id = %s", (str(b.tenant_id),)
        ).fetchone()
        record = conn.execute(
            "select actor, detail from app.tenant_data_events where tenant_slug = %s and action = %s",
            (a.slug, "tenant.deleted"),
        ).fetchall()
        staging_left = {
            r[0]
            for r in conn.execute("select nspname from pg_namespace where nspname like 'raw\\_privacy\\_%'")
        }
        logins_left = conn.execute(
            "select rolname from pg_roles where rolname like %s", (f"%{a.tenant_id.hex}",)
        ).fetchall()
        logins_of_b = conn.execute(
            "select count(*) from pg_roles where rolname like %s", (f"%{b.tenant_id.hex}",)
        ).fetchone()
    assert logins_left == [] and logins_of_b == (2,)  # a's logins are gone, b's stay
    with (
        pytest.raises(InvalidInput, match="not registered"),
        warehouse.connect("keel_app", tenant_id=a.tenant_id),
    ):
        pass
    assert len(relations) > 5
    # only the record of what was done with the tenant's data stays (its id and slug)
    assert {rel for rel, n in left.items() if n} == {"app.tenant_data_events"}
    assert kept_b == (1,)
    assert staging_left == {loader.staging_dataset_name("privacy", str(b.tenant_id))}  # a's is dropped
    assert len(record) == 1 and record[0][0].startswith("cli:")
    assert record[0][1]["rows"]["raw_privacy.customers"] == 1 and record[0][1]["rows"]["app.tenants"] == 1
    assert not list(settings.dlt_pipelines_dir.glob(f"keel_*_{a.tenant_id.hex}"))
    with pytest.raises(Exception, match="no tenant"):
        from keel.tenant_data import delete_tenant

        delete_tenant(a.slug)


PERSONAL = {
    "id": 7,
    "email": "jane@example.com",
    "first_name": "Jane",
    "last_name": "Doe",
    "phone": "+1 555 0100",
    "total_price": "free",
    "currency": "USD",
    "default_address": {"address1": "1 Main St", "city": "Springfield", "zip": "12345"},
    "PrimaryEmailAddr": {"Address": "jane@example.com"},
    "line_items": [{"sku": "MUG-1", "quantity": -1}],
}


@pytest.fixture
def quarantined(settings: KeelSettings) -> Iterator[Any]:
    spec = SimpleNamespace(source="privacy", name="orders", primary_key=("id",))
    rows: list[dict[str, Any]] = []
    loader.reject(
        spec, PERSONAL, ["total_price 'free' is not a number"], "00000000-0000-0000-0000-000000000001", rows
    )  # type: ignore[arg-type]
    pipeline = loader.make_pipeline("privacy")
    pipeline.run(loader.rejected_resource(rows)).raise_on_failed_jobs()
    yield rows[0]
    pipeline.drop()
    with warehouse.connect("admin", autocommit=True) as conn:
        conn.execute("drop schema if exists raw_privacy cascade")
        conn.execute("drop schema if exists raw_privacy_staging cascade")


def stored_payload() -> dict[str, Any]:
    with warehouse.connect("admin") as conn:
        row = conn.execute("select payload from raw_privacy.rejected_records").fetchone()
    assert row is not None
    return json.loads(row[0])


def test_rejected_records_lose_their_personal_fields_after_the_retention(
    settings: KeelSettings, quarantined: dict[str, Any]
) -> None:
    assert stored_payload() == PERSONAL  # kept whole while someone may fix it
    assert loader.mask_expired_rejected_records("privacy") == 0  # not expired yet
    later = datetime.now(UTC) + timedelta(days=settings.rejected_record_retention_days, minutes=1)
    assert loader.mask_expired_rejected_records("privacy", now=later) == 1
    masked = stored_payload()
    text = json.dumps(masked)
    for personal in ("jane@example.com", "Jane", "Doe", "555", "Main St", "Springfield", "12345"):
        assert personal not in text
    # what is needed to understand the problem stays
    assert masked["total_price"] == "free" and masked["id"] == 7 and masked["line_items"][0]["sku"] == "MUG-1"
    assert masked["email"] == loader.MASKED
    with warehouse.connect("admin") as conn:
        problems = conn.execute("select problems from raw_privacy.rejected_records").fetchone()
    assert problems == ("total_price 'free' is not a number",)
    assert loader.mask_expired_rejected_records("privacy", now=later) == 0  # done once
