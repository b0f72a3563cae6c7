"""CSV and Excel downloads of what a page shows: the same table the owner sees, in the same words.

polars writes both (Excel through xlsxwriter); no Streamlit in :func:`to_csv` and :func:`to_xlsx`, so the
files are tested on their own.
"""

from __future__ import annotations

import io

import polars as pl
import streamlit as st

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def to_csv(table: pl.DataFrame) -> bytes:
    return table.write_csv().encode("utf-8")


def to_xlsx(table: pl.DataFrame, sheet: str = "Keel") -> bytes:
    buffer = io.BytesIO()
    table.write_excel(buffer, worksheet=sheet[:31], autofit=True)
    return buffer.getvalue()


def export_buttons(table: pl.DataFrame, name: str, *, key: str) -> None:
    """Two download buttons side by side: the table as ``<name>.csv`` and ``<name>.xlsx``."""
    csv_column, xlsx_column, _ = st.columns([1, 1, 4])
    csv_column.download_button(
        "Download CSV",
        data=to_csv(table),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        icon=":material/download:",
        on_click="ignore",
    )
    # Built on click only: writing a workbook costs more than the CSV, and most visits download nothing.
    xlsx_column.download_button(
        "Download Excel",
        data=lambda: to_xlsx(table),
        file_name=f"{name}.xlsx",
        mime=XLSX_MIME,
        key=f"{key}_xlsx",
        icon=":material/download:",
        on_click="ignore",
    )
