"""The Upload data page: an owner drops a CSV or Excel file, checks how Keel reads it, and loads it.

Drag and drop (or browse) a file; choose what it holds (Keel guesses); every field Keel looks for is a
drop-down of the file's columns, set to Keel's proposal or to the mapping confirmed before for files
with the same headers; the preview shows the first rows as they will load and each row's problems;
*Load* saves the mapping and loads the good rows. The result lists the rows set aside with their row
numbers and reasons. Everything goes through the library (``ingestion.sources.files``), acting for the
signed-in user's tenant only, and speaks the owner's words (no column names of Keel's tables).
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from app.session import require_user
from ingestion.sources.files import KINDS, FileReadError, guess_kind, propose_mapping, read_table
from ingestion.sources.files.upload import (
    file_sha256,
    load,
    prepare,
    recent_uploads,
    save_mapping,
    saved_mapping,
    tenant_country,
)

NOT_IN_FILE = "(not in my file)"
RESULT_KEY = "upload_result"


def _mapping_controls(
    kind: str, columns: list[str], proposed: dict[str, str | None], notes: dict[str, str]
) -> dict[str, str | None]:
    spec = KINDS[kind]
    chosen: dict[str, str | None] = {}
    options = [NOT_IN_FILE, *columns]
    left, right = st.columns(2)
    for index, field in enumerate(spec.fields):
        current = proposed.get(field.name)
        with left if index % 2 == 0 else right:
            picked = st.selectbox(
                field.label + (" (required)" if field.required else ""),
                options,
                index=options.index(current) if current in options else 0,
                key=f"map_{kind}_{field.name}",
                help=notes.get(field.name),
            )
        chosen[field.name] = None if picked == NOT_IN_FILE else picked
    return chosen


def render() -> None:
    user = require_user()
    st.title("Upload data")
    st.caption(
        "Spreadsheets from your till, shop, bookkeeping or rota: orders, items sold, customers, products, "
        "bills, invoices, payments, staff hours or marketing spend. CSV or Excel."
    )
    uploaded = st.file_uploader("Drop a file here", type=["csv", "txt", "tsv", "xlsx", "xls"])
    if uploaded is None:
        _show_recent(user.tenant_id)
        return
    data = uploaded.getvalue()
    try:
        table = read_table(data, uploaded.name)
    except FileReadError as exc:
        st.error(f"Keel cannot read this file: {exc}.")
        return
    st.caption(f"Read as a {table.describe()}.")
    guessed, _ = guess_kind(table.columns, uploaded.name)
    kinds = list(KINDS)
    kind = st.selectbox(
        "What is in this file?",
        kinds,
        index=kinds.index(guessed),
        format_func=lambda name: KINDS[name].label,
    )
    sample = {c: table.frame.get_column(c).head(20).to_list() for c in table.columns}
    saved = saved_mapping(user.tenant_id, kind, table.columns)
    notes: dict[str, str] = {}
    if saved is not None:
        proposed = saved
        st.info("Matched with the columns you confirmed before for a file like this one.")
    else:
        proposal = propose_mapping(kind, table.columns, sample)
        proposed = proposal.mapping
        notes = {g.field: f"Guessed: {g.how} ({round(g.confidence * 100)}% sure)" for g in proposal.guesses}
    st.subheader("Which column is which")
    mapping = _mapping_controls(kind, table.columns, proposed, notes)
    try:
        prepared = prepare(table, kind, mapping, country=tenant_country(user.tenant_id))
    except ValueError as exc:
        st.warning(f"{exc}.")
        return
    for name, words in prepared.readings.items():
        st.caption(f"{KINDS[kind].field(name).label}: read as {words}.")
    st.subheader("Preview")
    st.caption(
        f"{len(prepared.records)} of {prepared.rows_read} rows will load; "
        f"{len(prepared.problems)} have problems and will be set aside. Row numbers are the spreadsheet's."
    )
    st.dataframe(prepared.preview(10), hide_index=True)
    if st.button(f"Load {len(prepared.records)} rows", type="primary"):
        save_mapping(user.tenant_id, kind, table.columns, mapping, confirmed_by=user.email)
        st.session_state[RESULT_KEY] = load(
            prepared, user.tenant_id, uploaded_by=user.email, file_sha256=file_sha256(data)
        )
    result = st.session_state.get(RESULT_KEY)
    if result is not None and result.file_name == uploaded.name:
        st.success(f"{result.file_name}: {result.summary()}.")
        if result.rejected:
            st.write("Rows set aside (fix them in the file and upload it again):")
            st.dataframe(
                pl.DataFrame(
                    {
                        "Row": [p.row_number for p in result.rejected],
                        "Why": ["; ".join(p.reasons) for p in result.rejected],
                    }
                ),
                hide_index=True,
            )


def _show_recent(tenant_id: object) -> None:
    uploads = recent_uploads(tenant_id)  # type: ignore[arg-type]
    if not uploads:
        return
    st.subheader("Your recent uploads")
    st.dataframe(
        pl.DataFrame(
            {
                "File": [u["file_name"] for u in uploads],
                "Holds": [KINDS[u["kind"]].label if u["kind"] in KINDS else u["kind"] for u in uploads],
                "Rows": [u["rows_read"] for u in uploads],
                "New or changed": [u["rows_loaded"] for u in uploads],
                "Already loaded": [u["rows_unchanged"] for u in uploads],
                "Set aside": [u["rows_rejected"] for u in uploads],
                "When": [u["uploaded_at"] for u in uploads],
            }
        ),
        hide_index=True,
    )
