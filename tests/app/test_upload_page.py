"""The Upload data page: drop a file, see the columns and the preview, load, see the rows set aside."""

from __future__ import annotations

from keel.settings import KeelSettings
from keel.tenancy import create_tenant
from tests.app.pages import signed_in_page

FILE = (
    "Rechnungsnummer;Rechnungsdatum;Kunde;Betrag\n"
    "R-1;31.12.2025;Müller GmbH;1.234,56\n"
    "R-2;02.01.2026;Schmidt KG;zwölf\n"
    "R-3;15.01.2026;Müller GmbH;99,00\n"
).encode("cp1252")


def test_an_owner_uploads_invoices_and_sees_the_row_set_aside(settings: KeelSettings) -> None:
    tenant = create_tenant("upload-page-firm", "Upload Page Firm", country="DE", currency="EUR")
    at = signed_in_page("upload", tenant.tenant_id)
    assert not at.exception
    at.file_uploader[0].set_value(("Rechnungen.csv", FILE, "text/csv"))
    at.run()
    assert not at.exception, at.exception
    kind = at.selectbox[0]
    assert kind.value == "invoices"
    mapped = {box.label: box.value for box in at.selectbox[1:]}
    assert mapped["Invoice number (required)"] == "Rechnungsnummer"
    assert mapped["Invoice date (required)"] == "Rechnungsdatum"
    assert mapped["Total (required)"] == "Betrag"
    captions = " ".join(c.value for c in at.caption)
    assert "day first" in captions and "decimal comma" in captions
    assert "2 of 3 rows will load" in captions
    preview = at.dataframe[0].value
    assert list(preview["Problems"]) == ["", "'Betrag' is 'zwölf', not a number", ""]
    assert "Rechnungsnummer" not in " ".join(preview.columns)  # the owner's words, not column names
    at.button[0].click()
    at.run()
    assert not at.exception, at.exception
    assert "2 new or changed, 0 already loaded, 1 set aside" in at.success[0].value
    set_aside = at.dataframe[1].value
    assert list(set_aside["Row"]) == [3] and list(set_aside["Why"]) == ["'Betrag' is 'zwölf', not a number"]
