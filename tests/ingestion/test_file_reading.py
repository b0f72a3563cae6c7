"""Reading owners' files and their values in local formats, and proposing the mapping (no warehouse)."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import polars as pl
import pytest

from ingestion.sources.files import guess_kind, header_signature, propose_mapping, read_table
from ingestion.sources.files.parsing import (
    FileReadError,
    date_order,
    decimal_mark,
    parse_date,
    parse_number,
    parse_time,
)
from ingestion.sources.files.upload import prepare


def sample(table: object) -> dict[str, list[str | None]]:
    frame = table.frame  # type: ignore[attr-defined]
    return {c: frame.get_column(c).to_list() for c in frame.columns}


@pytest.mark.parametrize(
    ("text", "mark", "expected", "currency"),
    [
        ("1.234,56", ",", Decimal("1234.56"), None),
        ("1,234.56", ".", Decimal("1234.56"), None),
        ("€ 12", ".", Decimal("12"), "EUR"),
        ("EUR 12,00", ",", Decimal("12.00"), "EUR"),
        ("(12.00)", ".", Decimal("-12.00"), None),
        ("-3,5", ",", Decimal("-3.5"), None),
        ("$1,200", ".", Decimal("1200"), None),
        ("12,50 €", ",", Decimal("12.50"), "EUR"),
        ("1 234,5", ",", Decimal("1234.5"), None),
    ],
)
def test_numbers_in_local_formats(text: str, mark: str, expected: Decimal, currency: str | None) -> None:
    assert parse_number(text, mark) == (expected, currency)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["twelve", "12,5", "1.2.3", ""])
def test_a_number_that_is_not_one_in_the_columns_format_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a number"):
        parse_number(text, ".")


def test_dates_times_and_excel_serials() -> None:
    assert parse_date("31/12/2025", "day_first") == date(2025, 12, 31)
    assert parse_date("12/31/2025", "month_first") == date(2025, 12, 31)
    assert parse_date("2025-12-31", "month_first") == date(2025, 12, 31)
    assert parse_date("31.12.25", "day_first") == date(2025, 12, 31)
    assert parse_date("46022", "day_first") == date(2025, 12, 31)  # Excel serial day
    assert parse_date("2025-12-31 00:00:00", "day_first") == date(2025, 12, 31)
    with pytest.raises(ValueError, match="not a real date"):
        parse_date("31/02/2025", "day_first")
    assert parse_time("9:30 PM") == time(21, 30)
    assert parse_time("0.5") == time(12, 0)


def test_day_and_decimal_order_come_from_the_values_or_else_the_country() -> None:
    assert date_order(["01/02/2025", "13/02/2025"], "US")[0] == "day_first"
    assert date_order(["02/13/2025"], "DE")[0] == "month_first"
    order, words = date_order(["01/02/2025"], "US")
    assert order == "month_first" and "your country" in words
    assert date_order(["01/02/2025"], "DE")[0] == "day_first"
    assert decimal_mark(["12,50", "3"], "US")[0] == ","
    assert decimal_mark(["1,234.50"], "DE")[0] == "."
    assert decimal_mark(["1.234"], "DE")[0] == ","  # ambiguous: Germany writes a decimal comma
    assert decimal_mark(["1.234"], "GB")[0] == "."


def test_csv_delimiters_and_encodings_are_sniffed() -> None:
    semicolon = "Bestellnummer;Datum;Betrag\nKäse-1;31.12.2025;12,50\n2;01.01.2026;3,00\n".encode("cp1252")
    table = read_table(semicolon, "bestellungen.csv")
    assert (table.delimiter, table.encoding, table.columns) == (
        ";",
        "cp1252",
        ["Bestellnummer", "Datum", "Betrag"],
    )
    tabbed = "\ufeffOrder #\tDate\tTotal (€)\nA\t12/31/2025\t1.5\n".encode()
    table = read_table(tabbed, "orders.txt")
    assert (table.delimiter, table.encoding, table.columns) == (
        "\t",
        "utf-8-sig",
        ["Order #", "Date", "Total (€)"],
    )
    with pytest.raises(FileReadError, match="empty"):
        read_table(b"", "x.csv")
    with pytest.raises(FileReadError, match="more than once"):
        read_table(b"a,a\n1,2\n", "x.csv")


def test_xlsx_is_read_with_dates_and_numbers_as_text(tmp_path: object) -> None:
    import io

    buffer = io.BytesIO()
    pl.DataFrame(
        {
            "Invoice No.": ["R-1", "R-2"],
            "Datum": [date(2025, 12, 31), date(2026, 1, 2)],
            "Betrag": [12.5, 3.0],
        }
    ).write_excel(buffer)
    table = read_table(buffer.getvalue(), "rechnungen.xlsx")
    assert table.file_format == "Excel"
    proposal = propose_mapping("invoices", table.columns, sample(table))
    assert proposal.mapping["invoice_id"] == "Invoice No."
    assert proposal.mapping["invoice_date"] == "Datum"
    assert proposal.mapping["total"] == "Betrag"
    prepared = prepare(table, "invoices", proposal.mapping, country="DE")
    assert [(r["invoice_date"], r["total"]) for r in prepared.records] == [
        ("2025-12-31", "12.5"),
        ("2026-01-02", "3"),
    ]


def test_mapping_by_owners_names_and_kind_guessed() -> None:
    columns = ["Order #", "Datum", "Kunde", "Total (€)", "Notes"]
    proposal = propose_mapping("orders", columns, {"Datum": ["31/12/2025"], "Total (€)": ["12,50"]})
    assert proposal.mapping["order_id"] == "Order #"
    assert proposal.mapping["order_date"] == "Datum"
    assert proposal.mapping["customer_id"] == "Kunde"
    assert proposal.mapping["total"] == "Total (€)"
    assert "Notes" not in proposal.mapping.values()
    assert not proposal.missing_required
    assert guess_kind(["Employee", "Date", "Hours", "Rate"])[0] == "staff_hours"
    assert guess_kind(["Invoice No.", "Date", "Customer", "Total"])[0] == "invoices"
    assert header_signature(["A", "b "]) == header_signature(["B", "a"])


def test_preview_names_bad_rows_by_spreadsheet_row_and_reason() -> None:
    data = (
        b"Order #,Date,Total\n1,12/31/2025,12.00\n2,12/30/2025,twelve\n3,02/30/2026,1\n"
        b"1,12/29/2025,5\n,12/28/2025,5\n"
    )
    table = read_table(data, "orders.csv")
    prepared = prepare(table, "orders", {"order_id": "Order #", "order_date": "Date", "total": "Total"})
    assert [r["order_id"] for r in prepared.records] == ["1"]
    words = [p.words() for p in prepared.problems]
    assert words == [
        "row 3: 'Total' is 'twelve', not a number",
        "row 4: 'Date' is '02/30/2026', not a real date",
        "row 5: same Order number (1) as row 2",
        "row 6: 'Order #' is empty",
    ]
    preview = prepared.preview()
    assert preview.get_column("Problems").to_list()[1] == "'Total' is 'twelve', not a number"
    with pytest.raises(ValueError, match="need a column for: Total paid"):
        prepare(table, "orders", {"order_id": "Order #", "order_date": "Date"})
    with pytest.raises(ValueError, match="no column 'Nope'"):
        prepare(table, "orders", {"order_id": "Nope", "order_date": "Date", "total": "Total"})


def test_every_kind_is_a_resource_merged_on_tenant_and_key_and_the_demo_leaves_files_out() -> None:
    from ingestion.demo import SOURCES
    from ingestion.sources import resources
    from ingestion.sources.files import KINDS

    specs = {spec.name: spec for spec in resources("files")}
    assert set(specs) == set(KINDS)
    for name, spec in specs.items():
        assert spec.primary_key == ("tenant_id", *KINDS[name].key)
        assert spec.write_disposition == "merge"
    assert "files" not in SOURCES
