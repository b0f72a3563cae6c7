"""An upload from preview to warehouse: read the file's values, show them, load the good rows.

1. :func:`prepare` reads every mapped cell as Keel will load it (dates, times, money in local formats,
   decided per column and said in words), and collects each row's problems ("row 14: 'Total' is
   'twelve', not a number"). Row numbers are the spreadsheet's: the header is row 1.
2. The owner sees :meth:`Prepared.preview` and confirms; :func:`save_mapping` keeps the mapping for the
   next file with the same headers (:func:`saved_mapping`).
3. :func:`load` sends the good rows that are new or changed (a row whose values are already stored under
   its key is skipped: the same file twice adds nothing) through :func:`ingestion.loader.load_tenant`
   into ``raw_files.<kind>``, merged on (tenant, key); bad rows go to ``raw_files.rejected_records`` with
   the file name, row number and reasons; the upload is logged in ``app.file_uploads``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import polars as pl
from psycopg.types.json import Jsonb

from ingestion import loader
from ingestion.sources.files import parsing
from ingestion.sources.files.kinds import Field, Kind
from ingestion.sources.files.kinds import kind as get_kind
from ingestion.sources.files.mapping import header_signature, validate_mapping
from ingestion.sources.files.settings import CURSOR_FIELD, RESOURCES_BY_KIND, SOURCE
from keel import warehouse

log = logging.getLogger(__name__)

META_COLUMNS = ("_file_name", "_row_number", "_row_hash", CURSOR_FIELD)


@dataclass(frozen=True)
class RowProblem:
    row_number: int
    reasons: tuple[str, ...]
    cells: dict[str, str | None]

    def words(self) -> str:
        return f"row {self.row_number}: " + "; ".join(self.reasons)


@dataclass
class Prepared:
    """A file's rows as they will be loaded, and the rows that will not, with why."""

    kind: Kind
    table: parsing.RawTable
    mapping: dict[str, str | None]
    readings: dict[str, str]  # field -> how its column was read, in words
    records: list[dict[str, Any]]  # good rows: Keel's fields as text (ISO dates, plain decimals)
    problems: list[RowProblem]

    @property
    def rows_read(self) -> int:
        return self.table.frame.height

    def preview(self, rows: int = 10) -> pl.DataFrame:
        """The first rows as they will be loaded, labelled in the owner's words, with each row's problems."""
        shown = [f for f in self.kind.fields if self.mapping.get(f.name)]
        problems = {p.row_number: p for p in self.problems}
        loaded = {r["_row_number"]: r for r in self.records}
        lines = []
        for row_number in range(2, min(self.rows_read, rows) + 2):
            good = loaded.get(row_number)
            bad = problems.get(row_number)
            line: dict[str, Any] = {"Row": row_number}
            for f in shown:
                if good is not None:
                    line[f.label] = good.get(f.name)
                else:
                    line[f.label] = bad.cells.get(self.mapping[f.name] or "") if bad else None
            line["Problems"] = "; ".join(bad.reasons) if bad else ""
            lines.append(line)
        schema = {"Row": pl.Int64, **{f.label: pl.String for f in shown}, "Problems": pl.String}
        return pl.DataFrame(lines, schema=schema, orient="row")


def _number_text(number: Any) -> str:
    text = format(number, "f")
    return text


def prepare(
    table: parsing.RawTable,
    kind: str | Kind,
    mapping: Mapping[str, str | None],
    *,
    country: str | None = None,
) -> Prepared:
    """Every mapped cell of ``table`` read as ``kind``'s fields; bad rows kept apart with their reasons."""
    spec = get_kind(kind) if isinstance(kind, str) else kind
    mapping = {f.name: mapping.get(f.name) for f in spec.fields}
    validate_mapping(spec, mapping, table.columns)
    frame = table.frame
    readings: dict[str, str] = {}
    orders: dict[str, parsing.DateOrder] = {}
    marks: dict[str, parsing.DecimalMark] = {}
    for f in spec.fields:
        column = mapping[f.name]
        if not column:
            continue
        values = frame.get_column(column).to_list()
        if f.type == "date":
            orders[f.name], readings[f.name] = parsing.date_order(values, country)
        elif f.type in ("money", "number"):
            marks[f.name], readings[f.name] = parsing.decimal_mark(values, country)
    records: list[dict[str, Any]] = []
    problems: list[RowProblem] = []
    for index, cells in enumerate(frame.iter_rows(named=True)):
        row_number = index + 2
        record: dict[str, Any] = {}
        reasons: list[str] = []
        for f in spec.fields:
            column = mapping[f.name]
            if not column:
                continue
            value = cells.get(column)
            if value is None:
                if f.required:
                    reasons.append(f"{column!r} is empty")
                record[f.name] = None
                continue
            try:
                record[f.name] = _read_value(f, value, orders, marks, record)
            except ValueError as exc:
                reasons.append(f"{column!r} is {exc}")
        if reasons:
            problems.append(RowProblem(row_number, tuple(reasons), dict(cells)))
            continue
        record["_row_number"] = row_number
        records.append(record)
    _fill_sequences(spec, mapping, records)
    problems.extend(_duplicate_keys(spec, mapping, records, frame))
    duplicated = {p.row_number for p in problems}
    records = [r for r in records if r["_row_number"] not in duplicated]
    for record in records:
        fields = {f.name: record.get(f.name) for f in spec.fields}
        record["_row_hash"] = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()
        record["_file_name"] = table.file_name
    problems.sort(key=lambda p: p.row_number)
    return Prepared(spec, table, dict(mapping), readings, records, problems)


def _read_value(
    f: Field,
    value: str,
    orders: Mapping[str, parsing.DateOrder],
    marks: Mapping[str, parsing.DecimalMark],
    record: dict[str, Any],
) -> str:
    if f.type == "date":
        return parsing.parse_date(value, orders[f.name]).isoformat()
    if f.type == "time":
        return parsing.parse_time(value).isoformat()
    if f.type in ("money", "number"):
        number, currency = parsing.parse_number(value, marks[f.name])
        if f.type == "money" and currency and not record.get("currency"):
            record["currency"] = currency
        return _number_text(number)
    if f.name == "currency":
        code = value.strip().upper()
        from ingestion.contracts import iso_currencies

        symbol = parsing.split_currency(value)[1]
        if code not in iso_currencies() and symbol is None:
            raise ValueError(f"{value!r}, not a currency code such as EUR or USD")
        return symbol or code
    return value


def _fill_sequences(spec: Kind, mapping: Mapping[str, str | None], records: list[dict[str, Any]]) -> None:
    """An unmapped sequence key field: the row's position among rows with the same other key values."""
    for name in spec.key:
        f = spec.field(name)
        if not f.sequence or mapping.get(name):
            continue
        others = [k for k in spec.key if k != name]
        seen: Counter[tuple[Any, ...]] = Counter()
        for record in records:
            group = tuple(record.get(k) for k in others)
            seen[group] += 1
            record[name] = str(seen[group])


def _duplicate_keys(
    spec: Kind, mapping: Mapping[str, str | None], records: list[dict[str, Any]], frame: pl.DataFrame
) -> list[RowProblem]:
    first: dict[tuple[Any, ...], int] = {}
    found = []
    labels = " / ".join(spec.field(k).label for k in spec.key)
    for record in records:
        key = tuple(record.get(k) for k in spec.key)
        if key in first:
            shown = " / ".join(str(v) for v in key)
            found.append(
                RowProblem(
                    record["_row_number"],
                    (f"same {labels} ({shown}) as row {first[key]}",),
                    {
                        k: None if v is None else str(v)
                        for k, v in frame.row(record["_row_number"] - 2, named=True).items()
                    },
                )
            )
        else:
            first[key] = record["_row_number"]
    return found


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


@dataclass
class UploadResult:
    file_name: str
    kind: str
    rows_read: int
    loaded: int  # new or changed rows written
    unchanged: int  # good rows already stored with the same values
    rejected: list[RowProblem] = field(default_factory=list)
    upload_id: int | None = None

    def summary(self) -> str:
        return (
            f"{self.rows_read} rows read: {self.loaded} new or changed, {self.unchanged} already loaded, "
            f"{len(self.rejected)} set aside"
        )


def _stored_hashes(spec_name: str, key: tuple[str, ...], tenant_id: str) -> dict[tuple[Any, ...], str]:
    table = f"{loader.dataset_name(SOURCE)}.{spec_name}"
    with warehouse.connect("keel_loader") as conn:
        if conn.execute("select to_regclass(%s)", (table,)).fetchone() == (None,):
            return {}
        columns = ", ".join(key)
        rows = conn.execute(
            f"select {columns}, _row_hash from {table} where tenant_id = %s", (tenant_id,)
        ).fetchall()
    return {tuple(row[:-1]): row[-1] for row in rows}


def load(
    prepared: Prepared,
    tenant_id: str | uuid.UUID,
    *,
    uploaded_by: str | None = None,
    file_sha256: str | None = None,
) -> UploadResult:
    """Load the good rows that are new or changed, quarantine the bad ones, log the upload."""
    tenant = str(warehouse.parse_tenant_id(tenant_id))
    spec = RESOURCES_BY_KIND[prepared.kind.name]
    key = prepared.kind.key
    stored = _stored_hashes(spec.name, key, tenant)
    uploaded_at = datetime.now(UTC).isoformat()
    fresh = []
    for record in prepared.records:
        if stored.get(tuple(record.get(k) for k in key)) == record["_row_hash"]:
            continue
        fresh.append({"tenant_id": tenant, **record, CURSOR_FIELD: uploaded_at})
    loaded = 0
    result = loader.TenantLoad(SOURCE, tenant, rows={spec.name: 0})
    if fresh:
        result = loader.load_tenant(SOURCE, [spec], lambda _spec, _since: fresh, tenant)
        if not result.ok:
            raise RuntimeError(f"loading {prepared.table.file_name} failed: {result.error}")
        if result.rejected:
            raise RuntimeError(
                f"{result.rejected} rows of {prepared.table.file_name} were refused by the loader"
            )
        loaded = result.rows.get(spec.name, 0)
    if prepared.problems:
        _quarantine(prepared, tenant)
    outcome = UploadResult(
        prepared.table.file_name,
        prepared.kind.name,
        prepared.rows_read,
        loaded,
        len(prepared.records) - len(fresh),
        list(prepared.problems),
    )
    outcome.upload_id = _log_upload(tenant, prepared, outcome, uploaded_by, file_sha256)
    result.rejected = len(prepared.problems)
    result.rejected_by_resource = {spec.name: len(prepared.problems)}
    try:  # `keel ingest status` and Your data show uploads beside the connectors' loads
        from ingestion.run import record_loads

        record_loads(tenant, result, [spec.name], provider="file")
    except Exception:  # the upload itself succeeded; a missing status line must not undo it
        log.exception("recording the load of %s failed", prepared.table.file_name)
    return outcome


def _quarantine(prepared: Prepared, tenant: str) -> None:
    spec = RESOURCES_BY_KIND[prepared.kind.name]
    rows: list[dict[str, Any]] = []
    for problem in prepared.problems:
        payload = {"file_name": prepared.table.file_name, "row_number": problem.row_number, **problem.cells}
        loader.reject(spec, payload, [problem.words()], tenant, rows)
    pipeline = loader.make_pipeline(SOURCE, tenant)
    try:
        pipeline.run(loader.rejected_resource(rows)).raise_on_failed_jobs()
    finally:
        loader.prune_load_packages(pipeline)


def _log_upload(
    tenant: str, prepared: Prepared, outcome: UploadResult, uploaded_by: str | None, file_sha256: str | None
) -> int:
    with warehouse.connect("keel_app", tenant_id=tenant) as conn:
        row = conn.execute(
            """
            insert into app.file_uploads
                (tenant_id, file_name, file_sha256, kind, header_signature, rows_read, rows_loaded,
                 rows_unchanged, rows_rejected, rejected_rows, uploaded_by)
            values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            returning upload_id
            """,
            (
                tenant,
                prepared.table.file_name,
                file_sha256,
                prepared.kind.name,
                header_signature(prepared.table.columns),
                outcome.rows_read,
                outcome.loaded,
                outcome.unchanged,
                len(outcome.rejected),
                Jsonb([{"row": p.row_number, "reasons": list(p.reasons)} for p in outcome.rejected[:200]]),
                uploaded_by,
            ),
        ).fetchone()
    assert row is not None
    return int(row[0])


# --------------------------------------------------------------------------------------------
# Saved mappings and the tenant's habits
# --------------------------------------------------------------------------------------------


def tenant_country(tenant_id: str | uuid.UUID) -> str | None:
    """The tenant's country (ISO alpha-2), which settles dates and decimals that fit both ways."""
    with warehouse.connect("keel_app", tenant_id=tenant_id) as conn:
        row = conn.execute("select country from app.tenants").fetchone()
    return row[0] if row else None


def saved_mapping(tenant_id: str | uuid.UUID, kind: str, columns: list[str]) -> dict[str, str | None] | None:
    """The mapping the owner confirmed for a file of ``kind`` with these headers, if any."""
    with warehouse.connect("keel_app", tenant_id=tenant_id) as conn:
        row = conn.execute(
            "select mapping from app.file_mappings where kind = %s and header_signature = %s",
            (kind, header_signature(columns)),
        ).fetchone()
    if row is None:
        return None
    mapping = dict(row[0])
    if any(column and column not in columns for column in mapping.values()):
        return None  # headers renamed in a way the signature did not see: ask again
    return mapping


def save_mapping(
    tenant_id: str | uuid.UUID,
    kind: str,
    columns: list[str],
    mapping: Mapping[str, str | None],
    *,
    confirmed_by: str | None = None,
) -> None:
    """Keep the owner's confirmed mapping for the next file of ``kind`` with the same headers."""
    validate_mapping(get_kind(kind), mapping, columns)
    tenant = str(warehouse.parse_tenant_id(tenant_id))
    with warehouse.connect("keel_app", tenant_id=tenant) as conn:
        conn.execute(
            """
            insert into app.file_mappings (tenant_id, kind, header_signature, columns, mapping, confirmed_by)
            values (%s, %s, %s, %s, %s, %s)
            on conflict (tenant_id, kind, header_signature) do update
               set columns = excluded.columns, mapping = excluded.mapping,
                   confirmed_by = excluded.confirmed_by, confirmed_at = now()
            """,
            (
                tenant,
                kind,
                header_signature(columns),
                Jsonb(list(columns)),
                Jsonb(dict(mapping)),
                confirmed_by,
            ),
        )


def recent_uploads(tenant_id: str | uuid.UUID, limit: int = 20) -> list[dict[str, Any]]:
    """The tenant's latest uploads, newest first."""
    with warehouse.connect("keel_app", tenant_id=tenant_id) as conn:
        cursor = conn.execute(
            """
            select file_name, kind, rows_read, rows_loaded, rows_unchanged, rows_rejected, uploaded_by,
                   uploaded_at
            from app.file_uploads order by uploaded_at desc, upload_id desc limit %s
            """,
            (limit,),
        )
        names = [d.name for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
