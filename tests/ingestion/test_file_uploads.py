"""Uploading files into the warehouse: idempotent merge by key, quarantine with row numbers, saved
mappings, and the upload tables' tenant isolation (real embedded PostgreSQL, real dlt)."""

from __future__ import annotations

import json

import psycopg
import pytest

from ingestion.run import latest_loads
from ingestion.sources.files import read_table
from ingestion.sources.files.upload import load, prepare, recent_uploads, save_mapping, saved_mapping
from keel import warehouse
from keel.settings import KeelSettings
from keel.tenancy import create_tenant

ORDERS = (
    "Bestellnummer;Datum;Betrag;Kunde\n"
    "1001;31.12.2025;12,50;k1\n"
    "1002;01.01.2026;zwölf;k2\n"
    "1003;02.01.2026;1.234,56;\n"
    "1004;02.01.2026;3,00;k1\n"
)
MAPPING = {"order_id": "Bestellnummer", "order_date": "Datum", "total": "Betrag", "customer_id": "Kunde"}


def upload(tenant_id: str, text: str, name: str = "bestellungen.csv") -> object:
    table = read_table(text.encode("cp1252"), name)
    return load(prepare(table, "orders", MAPPING, country="DE"), tenant_id, uploaded_by="test")


def stored(tenant_id: str) -> dict[str, str]:
    with warehouse.connect("keel_loader") as conn:
        rows = conn.execute(
            "select order_id, total from raw_files.orders where tenant_id = %s", (tenant_id,)
        ).fetchall()
    return dict(rows)


def test_same_file_twice_adds_nothing_and_a_corrected_file_updates_by_key(settings: KeelSettings) -> None:
    tenant = str(
        create_tenant("file-upload-cafe", "File Upload Café", country="DE", currency="EUR").tenant_id
    )

    first = upload(tenant, ORDERS)
    assert (first.rows_read, first.loaded, first.unchanged) == (4, 3, 0)  # type: ignore[attr-defined]
    assert [p.words() for p in first.rejected] == ["row 3: 'Betrag' is 'zwölf', not a number"]  # type: ignore[attr-defined]
    assert stored(tenant) == {"1001": "12.50", "1003": "1234.56", "1004": "3.00"}
    with warehouse.connect("keel_loader") as conn:
        quarantined = conn.execute(
            "select problems, payload from raw_files.rejected_records where tenant_id = %s", (tenant,)
        ).fetchall()
    assert [q[0] for q in quarantined] == ["row 3: 'Betrag' is 'zwölf', not a number"]
    payload = json.loads(quarantined[0][1])
    assert (payload["file_name"], payload["row_number"], payload["Betrag"]) == (
        "bestellungen.csv",
        3,
        "zwölf",
    )

    again = upload(tenant, ORDERS)
    assert (again.loaded, again.unchanged, len(again.rejected)) == (0, 3, 1)  # type: ignore[attr-defined]
    assert stored(tenant) == {"1001": "12.50", "1003": "1234.56", "1004": "3.00"}
    with warehouse.connect("keel_loader") as conn:
        counts = conn.execute(
            "select (select count(*) from raw_files.orders where tenant_id = %(t)s),"
            " (select count(*) from raw_files.rejected_records where tenant_id = %(t)s)",
            {"t": tenant},
        ).fetchone()
    assert counts == (3, 1)  # the same bad row is quarantined once

    corrected = ORDERS.replace("zwölf", "12,00").replace("3,00;k1", "4,00;k1")
    fixed = upload(tenant, corrected, "bestellungen-korrigiert.csv")
    assert (fixed.loaded, fixed.unchanged, fixed.rejected) == (2, 2, [])  # type: ignore[attr-defined]
    assert stored(tenant) == {"1001": "12.50", "1002": "12.00", "1003": "1234.56", "1004": "4.00"}

    log = recent_uploads(tenant)
    assert [(u["file_name"], u["rows_loaded"], u["rows_rejected"]) for u in log] == [
        ("bestellungen-korrigiert.csv", 2, 0),
        ("bestellungen.csv", 0, 1),
        ("bestellungen.csv", 3, 1),
    ]
    # `keel ingest status` and Your data show the latest upload beside the connectors' loads
    (status,) = [s for s in latest_loads(tenant) if s.source == "files"]
    assert (status.provider, status.resource, status.rows, status.rejected) == ("file", "orders", 2, 0)


def test_saved_mappings_are_reused_and_upload_tables_are_tenant_isolated(settings: KeelSettings) -> None:
    one = str(create_tenant("file-map-one", "Map One", country="GB").tenant_id)
    two = str(create_tenant("file-map-two", "Map Two", country="US").tenant_id)
    columns = ["Bestellnummer", "Datum", "Betrag", "Kunde"]
    assert saved_mapping(one, "orders", columns) is None
    save_mapping(one, "orders", columns, MAPPING, confirmed_by="owner@one")
    assert saved_mapping(one, "orders", list(reversed(columns))) == MAPPING  # same headers, any order
    assert saved_mapping(one, "orders", [*columns, "Extra"]) is None  # other headers: ask again
    assert saved_mapping(two, "orders", columns) is None  # another tenant's mapping is not visible
    upload(one, ORDERS)
    assert recent_uploads(two) == []
    with warehouse.connect("keel_app", tenant_id=two) as conn:
        assert conn.execute("select count(*) from app.file_mappings").fetchone() == (0,)
        assert conn.execute("select count(*) from app.file_uploads").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "insert into app.file_mappings (tenant_id, kind, header_signature, columns, mapping)"
                " values (%s, 'orders', 'x', '[]', '{}')",
                (one,),
            )
    with pytest.raises(ValueError, match="need a column for"):
        save_mapping(one, "orders", columns, {"order_id": "Bestellnummer"})


def test_the_uploaded_files_assets_report_what_the_uploads_loaded(settings: KeelSettings) -> None:
    import dagster as dg

    from orchestration.defs.ingestion.files import uploaded_files

    tenant = str(create_tenant("file-asset-cafe", "File Asset Café", country="DE").tenant_id)
    upload(tenant, ORDERS)
    result = dg.materialize([uploaded_files])
    assert result.success
    reported = {
        m.asset_key.to_user_string(): {k: v.value for k, v in m.metadata.items()}
        for m in result.asset_materializations_for_node("uploaded_files")
    }
    assert len(reported) == 9
    assert reported["dlt_files_orders"]["rows"] >= 3 and reported["dlt_files_orders"]["tenants"] >= 1
    assert set(reported["dlt_files_marketing_spend"]) == {"rows", "tenants"}  # also before any upload
