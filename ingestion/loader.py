"""Load one tenant's records of one source into ``raw_<source>`` with dlt, idempotently.

One dlt pipeline per (source, tenant): dlt keeps incremental state per resource, and a tenant's cursor
must never skip another tenant's records. All tenants share the ``raw_<source>`` tables, whose primary
keys start with ``tenant_id``.

- Mutable objects load with ``merge`` on the primary key and an incremental cursor (``updated_at``,
  Stripe's ``updated``, QuickBooks' ``MetaData.LastUpdatedTime``): a second run adds nothing, a run
  after new days loads only the new and changed records. ISO cursors compare as instants, not as text
  (shop-local offsets change with daylight saving time).
- Each record is checked first (:mod:`ingestion.contracts`); a broken one goes to
  ``raw_<source>.rejected_records`` with the reasons in words, and the rest load.
- A failing tenant never stops the others: :func:`load_source` reports it and carries on.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import re
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol

import dlt
import pyarrow as pa
from dlt.common.pipeline import LoadInfo, NormalizeInfo
from dlt.pipeline.exceptions import PipelineStepFailed
from psycopg import sql

from ingestion.contracts import contract_for, get_path, json_text, parse_cursor, problems
from ingestion.sources.connector import Connector, ConnectorAuthError, LoadSecrets, SecretsSaver, Since
from keel import telemetry, warehouse
from keel.home import private_dir
from keel.settings import get_settings

log = logging.getLogger(__name__)


class _QuietArrowHints(logging.Filter):
    """dlt warns on every load that an Arrow batch's nullability differs from the stored schema's,
    which is expected here (the stored schema keeps its hints); one line per resource and tenant
    would bury the progress lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "when merging arrow schema with dlt schema" not in record.getMessage()


logging.getLogger("dlt").addFilter(_QuietArrowHints())


class ResourceLike(Protocol):
    """What the loader needs to know about a resource (ingestion.sources.spec.ResourceSpec has it)."""

    @property
    def source(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def primary_key(self) -> tuple[str, ...]: ...
    @property
    def cursor_field(self) -> str: ...
    @property
    def cursor_type(self) -> str: ...
    @property
    def write_disposition(self) -> str: ...
    @property
    def description(self) -> str: ...


#: A provider's records of one resource: ``records(spec, since)``. ``since``: this pipeline already has
#: every record whose cursor is before it (None: nothing yet); the provider may leave those out, as an API
#: asked for changes since a moment does, and any it gives are dropped (:func:`build_source`).
RecordsFn = Callable[[ResourceLike, datetime | None], Iterable[dict[str, Any]]]
#: Called as records are extracted: (resource name, valid records extracted so far for it).
RecordsProgress = Callable[[str, int], None]
#: How often (in records) the progress callback hears about a resource, besides at its end.
PROGRESS_EVERY = 500
#: COPY instead of INSERT statements: several times faster into PostgreSQL (docs/benchmarks.md).
LOADER_FILE_FORMAT: Final = "csv"


@dataclass
class TenantLoad:
    """What one (source, tenant) run did."""

    source: str
    tenant_id: str
    rows: dict[str, int] = field(default_factory=dict)  # resource -> rows loaded (new or changed)
    extracted: dict[str, int] = field(default_factory=dict)  # resource -> valid records the source gave
    rejected: int = 0
    rejected_by_resource: dict[str, int] = field(default_factory=dict)  # resource -> records set aside
    seconds: float = 0.0
    error: str | None = None
    needs_reconnect: bool = False  # the service refused the stored credentials

    @property
    def ok(self) -> bool:
        return self.error is None


def pipeline_name(source: str, tenant_id: str | None = None) -> str:
    """``keel_<source>_<tenant>``; ``keel_<source>`` for shared public data (no tenant)."""
    if tenant_id is None:
        return f"keel_{source}"
    return f"keel_{source}_{str(tenant_id).replace('-', '')}"


def dataset_name(source: str) -> str:
    return f"raw_{source}"


#: PostgreSQL cuts identifiers longer than this many bytes (dlt would shorten them with a hash at the end).
MAX_IDENTIFIER_BYTES: Final = 63


def staging_dataset_name(source: str, tenant_id: str | None = None) -> str:
    """The schema a pipeline stages its merges in: ``raw_<source>_<tenant key>_staging``, one per tenant.

    Tenants' loads of one source run at the same time (``KEEL_PARALLEL_TENANTS``), and a merge empties
    its staging tables before and after it (``load.truncate_staging_dataset``): through one shared
    staging schema, a tenant's merge deleted the rows another tenant had just staged. The tenant key is
    the tenant id in lower case without dashes (shortened with a hash of it where the name would pass
    PostgreSQL's 63 bytes); ``_staging`` stays at the end, which queries that skip staging schemas match.
    Public data (no tenant) has one pipeline per source and keeps ``raw_<source>_staging``.
    """
    if tenant_id is None:
        return f"{dataset_name(source)}_staging"
    # dlt's naming convention collapses runs of other characters to one underscore: the name stays as is
    key = re.sub(r"[^a-z0-9]+", "_", str(tenant_id).replace("-", "").lower()).strip("_")
    room = MAX_IDENTIFIER_BYTES - len(f"{dataset_name(source)}__staging".encode())
    if room < 9:
        raise ValueError(f"source name {source!r} is too long for a staging schema (at most 41 characters)")
    if not key or len(key) > room:
        digest = hashlib.sha256(str(tenant_id).encode()).hexdigest()[:8]
        key = f"{key[: room - 9]}_{digest}".lstrip("_")
    return f"{dataset_name(source)}_{key}_staging"


#: Records per Arrow batch: a load's memory is one batch, not the whole resource. A column that is empty
#: in a batch takes the type it had in an earlier batch of the load (text if none had it), so batches
#: agree on each column's type; dlt writes them to one CSV load file per schema and COPY parses the text.
BATCH_ROWS = 20_000
CURSOR_COLUMN = "_keel_cursor_at"


def checked(
    spec: ResourceLike,
    records: Iterable[Any],
    tenant_id: str | None,
    rejected: list[dict[str, Any]],
    group: frozenset[str] | None = None,
) -> Iterator[dict[str, Any]]:
    """The records that pass their source's contract; the others go to ``rejected`` (tenant None: public).

    ``group``: the tenants of a load that carries several (the demo's benchmark peers, see
    :func:`load_group`): a record must belong to one of them, and is set aside under its own tenant.
    """
    allowed: frozenset[str | None] = frozenset(group) if group is not None else frozenset({tenant_id})
    for record in records:
        found = problems(
            record, spec.source, spec.primary_key, spec.cursor_field, spec.cursor_type, resource=spec.name
        )
        owner = record.get("tenant_id") if isinstance(record, dict) else None
        if owner is not None and owner not in allowed:
            found.append(f"record belongs to tenant {owner!r}, not {tenant_id!r}")
        if not found:
            yield record
            continue
        reject(spec, record, found, owner if group is not None and owner in allowed else tenant_id, rejected)


def reject(
    spec: ResourceLike, record: Any, found: list[str], tenant_id: str | None, rejected: list[dict[str, Any]]
) -> None:
    """Set ``record`` aside in ``rejected`` (rows of ``rejected_records``) with the reasons in words."""
    payload = json.dumps(record, ensure_ascii=False, default=str, sort_keys=True)
    payload = payload.encode("utf-8", "backslashreplace").decode("utf-8")
    key = {k: record.get(k) for k in spec.primary_key} if isinstance(record, dict) else {}
    rejected.append(
        {
            **({"tenant_id": tenant_id} if tenant_id is not None else {}),
            "resource": spec.name,
            "record_hash": hashlib.sha256(payload.encode()).hexdigest(),
            "record_key": json.dumps(key, default=str),
            "problems": "; ".join(found),
            "payload": payload,
        }
    )
    whose = f" of tenant {tenant_id}" if tenant_id is not None else ""
    log.warning("rejected a %s.%s record%s: %s", spec.source, spec.name, whose, "; ".join(found))


def _not_older(
    spec: ResourceLike, records: Iterable[Any], threshold: datetime, extracted: dict[str, int]
) -> Iterator[Any]:
    """``records`` without those whose cursor is before ``threshold`` (counted in ``extracted``); a record
    whose cursor cannot be read goes on, for :func:`checked` to set aside with its reason."""
    for record in records:
        try:
            older = _as_utc(get_path(record, spec.cursor_field), spec.cursor_type) < threshold
        except Exception:  # any unreadable cursor is the contract's to report
            older = False
        if older:
            extracted[spec.name] = extracted.get(spec.name, 0) + 1
            continue
        yield record


def resume_points(
    pipeline: dlt.Pipeline, source: str, specs: Sequence[ResourceLike], lookback: timedelta | None
) -> dict[str, datetime]:
    """Per resource, the cursor below which this pipeline's incremental drops records: its last value,
    less the look-back for a merged resource (dlt's ``lag``). Resources never loaded have none."""
    resources = pipeline.state.get("sources", {}).get(source, {}).get("resources", {})
    points: dict[str, datetime] = {}
    for spec in specs:
        last = resources.get(spec.name, {}).get("incremental", {}).get(CURSOR_COLUMN, {}).get("last_value")
        if not isinstance(last, datetime) or last.tzinfo is None:
            continue
        lag = lookback if lookback and spec.write_disposition == "merge" else timedelta(0)
        points[spec.name] = last - lag
    return points


def _as_utc(value: Any, cursor_type: str) -> datetime:
    parsed = parse_cursor(value, cursor_type)
    if isinstance(parsed, int):
        return datetime.fromtimestamp(parsed, tz=UTC)
    if isinstance(parsed, datetime):
        return parsed.astimezone(UTC)
    return datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC)


def to_arrow(
    spec: ResourceLike, records: list[dict[str, Any]], known: dict[str, pa.DataType] | None = None
) -> pa.Table:
    """One Arrow batch: API scalars as typed columns, nested objects and lists as JSON text.

    JSON stays text in ``raw_*`` (staging casts it with ``::jsonb``): its column type then never depends
    on which batch first saw a value.

    Numbers in a source's decimal fields become float64 even when a batch holds only whole ones, so
    a column never flips between integer and float from one load to the next. The UTC instant of
    the cursor goes to ``_keel_cursor_at``, which dlt's incremental compares.
    """
    contract = contract_for(spec.source)
    decimal_fields = set() if contract is None or contract.integers_only else set(contract.numeric)
    rows = []
    for record in records:
        row: dict[str, Any] = {}
        for key, value in record.items():
            if isinstance(value, dict | list):
                row[key] = json_text(value)
            elif key in decimal_fields and isinstance(value, int) and not isinstance(value, bool):
                row[key] = float(value)
            else:
                row[key] = value
        row[CURSOR_COLUMN] = _as_utc(get_path(record, spec.cursor_field), spec.cursor_type)
        rows.append(row)
    if rows and any(row.keys() != rows[0].keys() for row in rows):
        # Arrow takes the columns from the first row only: records of one batch may differ (QuickBooks'
        # deleted objects carry a status and little else), so every row gets every field
        names = list(dict.fromkeys(key for row in rows for key in row))
        rows = [{name: row.get(name) for name in names} for row in rows]
    table = pa.Table.from_pylist(rows)
    return conform(table, {} if known is None else known)


def conform(table: pa.Table, known: dict[str, pa.DataType]) -> pa.Table:
    """``table`` with the columns, order and types of the load's earlier batches (``known``, updated).

    dlt buffers a resource's Arrow batches and concatenates them, which needs one schema: a column no
    record of this batch has is added as empty, one that is empty here takes its earlier type (text if
    none), one typed differently is cast to its earlier type, and columns new in this batch go last.
    """
    columns: dict[str, pa.ChunkedArray] = {}
    for name in table.column_names:
        column = table.column(name)
        kind = known.get(name)
        if kind is None:
            kind = pa.string() if pa.types.is_null(column.type) else column.type
        if column.type != kind:
            try:
                column = column.cast(kind)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise ValueError(
                    f"field {name!r} holds {column.type} values here and {kind} values in an earlier "
                    f"batch of the same load: {exc}"
                ) from exc
        columns[name] = column
    for name, kind in known.items():
        if name not in columns:
            columns[name] = pa.chunked_array([pa.nulls(table.num_rows, kind)])
    for name, column in columns.items():
        known.setdefault(name, column.type)
    return pa.table({name: columns[name] for name in known})


def build_source(
    source: str,
    specs: Sequence[ResourceLike],
    records: RecordsFn,
    tenant_id: str,
    rejected: list[dict[str, Any]],
    extracted: dict[str, int],
    lookback: timedelta | None = None,
    on_records: RecordsProgress | None = None,
    group: frozenset[str] | None = None,
    resume: Mapping[str, datetime] | None = None,
) -> Any:
    """The dlt source for one tenant (or a ``group`` of tenants, see :func:`checked`): one resource per
    spec, checked, merged, incremental, as Arrow.

    ``resume``: per resource, the cursor below which dlt's incremental would drop a record anyway
    (:func:`resume_points`); such records are passed over before they are checked and converted, so a
    provider that gives its whole history every time (the demo, a re-read file) costs what is new.
    They still count as extracted (the source gave them).

    ``lookback``: how far behind the last loaded cursor a merged record still loads (dlt's ``lag``). A
    connector asks its API again for that window to catch late edits; without the lag dlt would drop
    the ones stamped before the last cursor. Appended resources keep no lag (it would duplicate rows).
    ``on_records`` hears, every ``PROGRESS_EVERY`` records and at each resource's end, how many valid
    records of the resource were extracted so far (a progress bar per resource).
    """

    @dlt.source(name=source, max_table_nesting=0)
    def tenant_source() -> Iterator[Any]:
        for spec in specs:

            def extract(spec: ResourceLike = spec) -> Iterator[pa.Table]:
                batch: list[dict[str, Any]] = []
                known: dict[str, pa.DataType] = {}
                seen = 0
                threshold = (resume or {}).get(spec.name)
                offered = records(spec, threshold)
                if threshold is not None:
                    offered = _not_older(spec, offered, threshold, extracted)
                for record in checked(spec, offered, tenant_id, rejected, group):
                    batch.append(record)
                    seen += 1
                    if on_records is not None and seen % PROGRESS_EVERY == 0:
                        on_records(spec.name, seen)
                    if len(batch) >= BATCH_ROWS:
                        extracted[spec.name] = extracted.get(spec.name, 0) + len(batch)
                        yield to_arrow(spec, batch, known)
                        batch = []
                if on_records is not None:
                    on_records(spec.name, seen)
                if batch:
                    extracted[spec.name] = extracted.get(spec.name, 0) + len(batch)
                    yield to_arrow(spec, batch, known)

            resource = dlt.resource(  # type: ignore[call-overload]
                extract,
                name=spec.name,
                primary_key=list(spec.primary_key),
                write_disposition=spec.write_disposition,
            )
            lag = lookback.total_seconds() if lookback and spec.write_disposition == "merge" else None
            resource.apply_hints(incremental=dlt.sources.incremental(CURSOR_COLUMN, lag=lag))
            yield resource

    return tenant_source()


def rejected_resource(rows: list[dict[str, Any]], tenant_scoped: bool = True) -> Any:
    """``rejected_records``: keyed by tenant, resource and payload hash (public data: no tenant)."""
    return dlt.resource(
        rows,
        name="rejected_records",
        primary_key=["tenant_id", "resource", "record_hash"]
        if tenant_scoped
        else ["resource", "record_hash"],
        write_disposition="merge",
    )


def configure_dlt() -> str:
    """dlt settings every Keel pipeline shares; returns the private pipelines directory."""
    settings = get_settings()
    # Load files live for seconds on local disk; compressing them cost more time than it saves.
    dlt.config["data_writer.disable_compression"] = True
    # A load package is a copy of a tenant's records: dlt deletes its job files once they are loaded.
    dlt.config["load.delete_completed_jobs"] = True
    # A merge copies each load into <dataset>_staging first; emptied after the merge, the staging tables
    # stop keeping a second copy of every tenant's latest records (as large as raw_* itself in the demo).
    dlt.config["load.truncate_staging_dataset"] = True
    return str(private_dir(settings.dlt_pipelines_dir, settings))


def prepare_staging(source: str, tenant_id: str | None = None) -> None:
    """Give the pipeline's staging schema a table like each ``raw_<source>`` table it lacks, and its
    tables' columns the raw tables' types.

    dlt creates a staging table from the pipeline's own schema, which types a column from its own
    tenant's records: a field that is always empty for this tenant is text there, while the raw table,
    created by another tenant's load, holds numbers in it, and the merge from staging into the raw table
    fails ("column is of type bigint but expression is of type character varying"). A staging table made
    like the raw one takes the values as the raw table does (dlt only adds the columns it lacks), as the
    one staging schema all tenants shared did. Two tenants' first loads at once can both make their
    tables before either finds the other's: the staging column made as text is then given the raw
    column's type (its values are cast; an empty field's are all null), here or when the load is tried
    again (:func:`run_pipeline`).
    """
    raw, staging = dataset_name(source), staging_dataset_name(source, tenant_id)
    with warehouse.connect("keel_loader", autocommit=True) as conn:
        missing = [
            row[0]
            for row in conn.execute(
                "select r.table_name from information_schema.tables r where r.table_schema = %s "
                "and r.table_type = 'BASE TABLE' and r.table_name not like '\\_dlt%%' and not exists "
                "(select 1 from information_schema.tables s where s.table_schema = %s "
                "and s.table_name = r.table_name)",
                (raw, staging),
            ).fetchall()
        ]
        if missing:
            conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(staging)))
        for table in missing:
            conn.execute(
                sql.SQL("create table if not exists {} (like {})").format(
                    sql.Identifier(staging, table), sql.Identifier(raw, table)
                )
            )
        # from the catalog, by name: a table (or schema) not on both sides is simply not joined
        differing = conn.execute(
            "select st.relname, sa.attname, format_type(ra.atttypid, ra.atttypmod) "
            "from pg_namespace sn "
            "join pg_class st on st.relnamespace = sn.oid and st.relkind = 'r' "
            "join pg_attribute sa on sa.attrelid = st.oid and sa.attnum > 0 and not sa.attisdropped "
            "join pg_namespace rn on rn.nspname = %s "
            "join pg_class rt on rt.relnamespace = rn.oid and rt.relname = st.relname and rt.relkind = 'r' "
            "join pg_attribute ra on ra.attrelid = rt.oid and ra.attname = sa.attname "
            "and not ra.attisdropped "
            "where sn.nspname = %s and st.relname not like '\\_dlt%%' "
            "and (ra.atttypid, ra.atttypmod) is distinct from (sa.atttypid, sa.atttypmod)",
            (raw, staging),
        ).fetchall()
        for table, column, kind in differing:
            log.info("%s.%s.%s takes the raw table's type %s", staging, table, column, kind)
            conn.execute(
                sql.SQL("alter table {} alter column {} type {} using {}::{}").format(
                    sql.Identifier(staging, table),
                    sql.Identifier(column),
                    sql.SQL(kind),
                    sql.Identifier(column),
                    sql.SQL(kind),
                )
            )


def make_pipeline(source: str, tenant_id: str | None = None) -> dlt.Pipeline:
    """The (source, tenant) pipeline into ``raw_<source>``, staging in a schema of its own
    (:func:`staging_dataset_name`); ``tenant_id`` None: the source's one pipeline of public data."""
    pipelines_dir = configure_dlt()
    staging = staging_dataset_name(source, tenant_id)
    destination = _capabilities_once(
        dlt.destinations.postgres(
            credentials=warehouse.dlt_credentials("keel_loader"),
            # %s is the dataset (raw_<source>): the layout gives exactly staging_dataset_name()
            staging_dataset_name_layout="%s" + staging.removeprefix(dataset_name(source)),
        )
    )
    prepare_staging(source, tenant_id)
    return dlt.pipeline(  # type: ignore[call-overload]
        pipeline_name=pipeline_name(source, tenant_id),
        destination=destination,
        dataset_name=dataset_name(source),
        pipelines_dir=pipelines_dir,
        **({"progress": "log"} if get_settings().debug else {}),
    )


def _capabilities_once(destination: Any) -> Any:
    """``destination`` answering dlt's plain question for its capabilities from the first answer.

    A pipeline run asks about 15 times (extract, normalize and load each look), and dlt resolves the
    destination's whole configuration every time (config providers, sections, type hints): about 17 ms
    each, a quarter of a tenant's load of a few new rows. Asked without a configuration or naming, the
    answer depends only on what the destination was made with, which does not change; each caller gets a
    copy of its own, as from dlt. Asked with either, dlt answers as before.
    """
    plain = destination.capabilities
    first: list[Any] = []

    def capabilities(config: Any = None, naming: Any = None) -> Any:
        if config is not None or naming is not None:
            return plain(config, naming)
        if not first:
            first.append(plain())
        return copy.deepcopy(first[0])

    destination.capabilities = capabilities
    return destination


#: SQLSTATEs of two pipelines changing the same ``raw_<source>`` schema at once: both create a table or
#: schema (a duplicate in the catalog's unique indexes, or the object exists), both add a column, or
#: their DDL transactions wait on each other.
#: Or the tables a pipeline made before it found the other's typed a column differently (42804: its
#: staging column is text, the raw one a number; :func:`prepare_staging` aligns them).
_DDL_RACE_CODES: Final = {"23505", "42P06", "42P07", "42701", "42710", "40P01", "42804"}
#: How often a load whose schema change raced another tenant's is loaded again.
DDL_RACE_RETRIES: Final = 3


def _ddl_race(exc: BaseException) -> bool:
    """The load failed because another pipeline changed the same tables' definitions at the same time."""
    root = _root(exc)
    code = getattr(root, "pgcode", None)
    if code == "23505":  # a unique violation counts only in the catalog (pg_class, pg_type, pg_namespace)
        constraint = getattr(getattr(root, "diag", None), "constraint_name", None) or ""
        return constraint.startswith("pg_")
    return code in _DDL_RACE_CODES


def run_pipeline(
    pipeline: dlt.Pipeline,
    data: Any,
    *,
    source: str | None = None,
    tenant_id: str | None = None,
    **kwargs: Any,
) -> NormalizeInfo | None:
    """``pipeline.run(data)``, raising on failed jobs; returns what normalize counted.

    Tenants' pipelines of one source load into the same ``raw_<source>`` tables, and each creates the
    tables and columns its records need before loading (dlt's schema update, one DDL transaction). Two
    of them at once may both create the same table or column: one transaction fails, rolled back whole,
    and its load package stays pending. It is loaded again (``pipeline.load()``), and finds the tables
    the other created; nothing is lost or loaded twice. ``source`` given: before loading again, the
    pipeline's staging schema gets copies of the raw tables the other load created
    (:func:`prepare_staging`), or dlt would make them from this tenant's own column types.
    """
    normalized: NormalizeInfo | None = None
    for attempt in range(DDL_RACE_RETRIES + 1):
        try:
            info: LoadInfo = pipeline.run(data, **kwargs) if attempt == 0 else pipeline.load()
            if attempt == 0:
                normalized = pipeline.last_trace.last_normalize_info if pipeline.last_trace else None
            info.raise_on_failed_jobs()
            return normalized
        except PipelineStepFailed as exc:
            if attempt == 0:
                normalized = pipeline.last_trace.last_normalize_info if pipeline.last_trace else None
            if exc.step != "load" or not _ddl_race(exc) or attempt == DDL_RACE_RETRIES:
                raise
            log.info(
                "%s changed raw tables at the same time as another load (%s); loading again",
                pipeline.pipeline_name,
                _describe(exc),
            )
            time.sleep(0.2 * (attempt + 1))
            if source is not None:
                prepare_staging(source, tenant_id)
    return normalized


def prune_load_packages(pipeline: dlt.Pipeline, *, now: datetime | None = None) -> int:
    """Delete the pipeline's load packages that are no longer needed; returns how many were deleted.

    A load package is a copy of a tenant's records. One that dlt loaded is deleted at once (its data is
    in the warehouse). One that failed stays pending, and the next run of the pipeline retries it
    first; after ``failed_load_retention_days`` it is aborted instead (dlt rewinds the pipeline's
    incremental state, so a later run extracts those records again) and deleted.
    """
    keep = timedelta(days=get_settings().failed_load_retention_days)
    now = now or datetime.now(UTC)
    pending = pipeline.list_normalized_load_packages()
    if pending and now - datetime.fromtimestamp(float(min(pending)), tz=UTC) >= keep:
        log.warning(
            "load packages %s of %s failed for %s; aborting them", pending, pipeline.pipeline_name, keep
        )
        pipeline.abort_packages()
        if pipeline.list_normalized_load_packages():  # the abort completes on the next load()
            pipeline.load()
    deleted = 0
    for load_id in pipeline.list_completed_load_packages():
        shutil.rmtree(pipeline.get_load_package_info(load_id).package_path, ignore_errors=True)
        deleted += 1
    return deleted


def load_tenant(
    source: str,
    specs: Sequence[ResourceLike],
    records: RecordsFn,
    tenant_id: str,
    lookback: timedelta | None = None,
    on_records: RecordsProgress | None = None,
    group: frozenset[str] | None = None,
) -> TenantLoad:
    """Load one tenant's source; errors are caught and reported, never raised (``lookback``,
    ``on_records``: see :func:`build_source`; ``group``: see :func:`load_group`)."""
    with telemetry.span("keel.load", source=source, tenant_id=str(tenant_id)) as current:
        result = _load_tenant(source, specs, records, tenant_id, lookback, on_records, group)
        telemetry.set_attributes(
            current, rows_loaded=sum(result.rows.values()), rows_rejected=result.rejected, ok=result.ok
        )
        telemetry.count_rows(source, str(tenant_id), sum(result.rows.values()), result.rejected)
    return result


def _load_tenant(
    source: str,
    specs: Sequence[ResourceLike],
    records: RecordsFn,
    tenant_id: str,
    lookback: timedelta | None,
    on_records: RecordsProgress | None,
    group: frozenset[str] | None,
) -> TenantLoad:
    started = time.perf_counter()
    result = TenantLoad(source, tenant_id)
    rejected: list[dict[str, Any]] = []
    extracted: dict[str, int] = {}
    pipeline: dlt.Pipeline | None = None
    try:
        pipeline = make_pipeline(source, tenant_id)
        resume = resume_points(pipeline, source, specs, lookback)
        normalized = run_pipeline(
            pipeline,
            build_source(
                source, specs, records, tenant_id, rejected, extracted, lookback, on_records, group, resume
            ),
            source=source,
            tenant_id=tenant_id,
            loader_file_format=LOADER_FILE_FORMAT,
        )
        _index_cursor(source, specs)
        loaded = normalized.row_counts if normalized is not None else {}
        result.rows = {spec.name: int(loaded.get(spec.name, 0)) for spec in specs}
        if rejected:
            run_pipeline(pipeline, rejected_resource(rejected), source=source, tenant_id=tenant_id)
        result.rejected = len(rejected)
        result.rejected_by_resource = dict(Counter(row["resource"] for row in rejected))
    except Exception as exc:  # one tenant's failure is reported, the others go on
        log.exception("loading %s for tenant %s failed", source, tenant_id)
        result.error = _describe(exc)
        result.needs_reconnect = isinstance(_root(exc), ConnectorAuthError)
    finally:
        if pipeline is not None:
            prune_load_packages(pipeline)
    result.extracted = {spec.name: extracted.get(spec.name, 0) for spec in specs}
    result.seconds = time.perf_counter() - started
    return result


def load_group(
    source: str, specs: Sequence[ResourceLike], records: RecordsFn, name: str, tenant_ids: Sequence[str]
) -> TenantLoad:
    """Load several tenants' records of ``source`` in one dlt pipeline (``keel_<source>_<name>``).

    For tenants loaded only together and from one deterministic provider, the demo's benchmark peers:
    one pipeline run instead of one per tenant (a run's fixed cost dominates small tenants). Their
    incremental cursors are shared, which is right only because the provider reproduces every record
    up to an earlier end date exactly (docs/demo-data.md, the incremental contract); a real source's
    tenants always load one by one (:func:`load_tenant`).
    """
    return load_tenant(source, specs, records, name, group=frozenset(str(t) for t in tenant_ids))


def _index_cursor(source: str, specs: Sequence[ResourceLike]) -> None:
    """(tenant, cursor) index on each raw table: where a tenant's next load starts (:func:`loaded_cursors`).

    The tenant is indexed as the uuid it is (as the staging models read it), 16 bytes against the text's
    37: after the demo, packed (``keel.warehouse.compact_raw_indexes``), the raw indexes take 29 MB against
    46 MB keyed by the text. The text index of earlier versions is dropped. Tenants' loads of the source
    may get here at the same time, and two ``create index if not exists`` of one index at once both create
    it (one fails on the catalog's unique index): a lock per table lets the first create it and the others
    find it.
    """
    with warehouse.connect("keel_loader", autocommit=True) as conn:
        for spec in specs:
            schema = dataset_name(source)
            table = f"{schema}.{spec.name}"
            if conn.execute("select to_regclass(%s)", (table,)).fetchone() == (None,):
                continue
            with conn.transaction():
                conn.execute("select pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"index {table}",))
                conn.execute(f"drop index if exists {schema}.{spec.name}_tenant_cursor_idx")
                conn.execute(
                    f"create index if not exists {spec.name}_tenant_uuid_cursor_idx "
                    f"on {table} ((tenant_id::uuid), {CURSOR_COLUMN})"
                )


def _root(exc: BaseException) -> BaseException:
    """The root cause: dlt wraps a source's own error in two layers of its own."""
    root = exc
    while root.__cause__ is not None:
        root = root.__cause__
    return root


def _describe(exc: BaseException) -> str:
    """The root cause in one line."""
    root = _root(exc)
    text = str(root).strip()
    return f"{type(root).__name__}: {text.splitlines()[0] if text else 'no message'}"


#: Field names that hold personal data in the sources' records (and anything that looks like them):
#: e-mail, phone, names of people, addresses and their parts, notes, birth dates, tax ids, IP addresses.
PERSONAL_FIELD = re.compile(
    r"e-?mail|phone|addr|street|city|zip|postal|province|^name$|_name$|name_|^(given|family|display|full)"
    r"|givenname|familyname|displayname|birth|ssn|tax_?id|ip_?address|note|^line\d$|shipping|billing",
    re.IGNORECASE,
)
MASKED = "[removed after retention]"


def mask_personal_fields(value: Any) -> Any:
    """``value`` (a record as parsed JSON) with the value of every personal field replaced by a marker."""
    if isinstance(value, dict):
        return {
            key: MASKED
            if PERSONAL_FIELD.search(str(key)) and item not in (None, "")
            else mask_personal_fields(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask_personal_fields(item) for item in value]
    return value


def mask_expired_rejected_records(source: str | None = None, *, now: datetime | None = None) -> int:
    """Mask personal fields of rejected records older than ``rejected_record_retention_days``.

    A rejected record is kept whole for a while so someone can fix the source and load it again; after
    the retention its personal fields are masked (a payload that is not readable JSON is replaced as a
    whole) and the rest (resource, key, problems, hash) kept. Returns how many records were masked;
    running it again masks nothing more. ``source`` None: every ``raw_*`` schema.
    """
    cutoff = (now or datetime.now(UTC)) - timedelta(days=get_settings().rejected_record_retention_days)
    masked = 0
    with warehouse.connect("keel_loader") as conn:
        schemas = [
            row[0]
            for row in conn.execute(
                "select table_schema from information_schema.tables where table_name = 'rejected_records' "
                "and table_schema like 'raw\\_%%' and table_schema not like '%%\\_staging' "
                "and (%s::text is null or table_schema = %s)",
                (source and dataset_name(source), source and dataset_name(source)),
            ).fetchall()
        ]
        for schema in schemas:
            rows = conn.execute(
                f'select _dlt_id, payload from "{schema}".rejected_records '
                "where to_timestamp(_dlt_load_id::double precision) < %s and payload is not null",
                (cutoff,),
            ).fetchall()
            for dlt_id, payload in rows:
                try:
                    cleaned = json.dumps(
                        mask_personal_fields(json.loads(payload)), ensure_ascii=False, sort_keys=True
                    )
                except ValueError:
                    cleaned = MASKED
                if cleaned != payload and payload != MASKED:
                    conn.execute(
                        f'update "{schema}".rejected_records set payload = %s where _dlt_id = %s',
                        (cleaned, dlt_id),
                    )
                    masked += 1
    if masked:
        log.info("masked personal fields of %d rejected records past their retention", masked)
    return masked


def load_source(
    source: str,
    specs: Sequence[ResourceLike],
    records_for_tenant: Callable[[str], RecordsFn],
    tenant_ids: Sequence[str],
    progress: Callable[[TenantLoad, int, int], None] | None = None,
) -> list[TenantLoad]:
    """Load ``source`` for every tenant in turn; one line of progress per tenant."""
    warehouse.ensure_server()
    results = []
    for index, tenant_id in enumerate(tenant_ids, start=1):
        result = load_tenant(source, specs, records_for_tenant(tenant_id), tenant_id)
        results.append(result)
        if progress is not None:
            progress(result, index, len(tenant_ids))
    mask_expired_rejected_records(source)
    return results


def loaded_cursors(source: str, specs: Sequence[ResourceLike], tenant_id: str) -> dict[str, datetime | None]:
    """Per resource, the latest cursor (UTC) already in ``raw_<source>`` for the tenant; None if nothing.

    Read from the loaded rows, not from a pipeline's state: after a run killed half-way, what was
    committed is exactly what the next run starts after.
    """
    found: dict[str, datetime | None] = {}
    with warehouse.connect("keel_loader") as conn:
        for spec in specs:
            table = f"{dataset_name(source)}.{spec.name}"
            if conn.execute("select to_regclass(%s)", (table,)).fetchone() == (None,):
                found[spec.name] = None
                continue
            row = conn.execute(
                f"select max({CURSOR_COLUMN}) from {table} where tenant_id::uuid = %s::uuid",
                (str(tenant_id),),
            ).fetchone()
            found[spec.name] = row[0] if row else None
    return found


def load_connector(
    connector: Connector,
    tenant_id: str,
    config: dict[str, Any],
    secrets: Mapping[str, str],
    since: Since | None = None,
    on_records: RecordsProgress | None = None,
    save_secrets: SecretsSaver | None = None,
) -> TenantLoad:
    """Load a tenant's source from its service's API: what changed since the last load, checked and merged.

    ``since`` None: from the cursors already loaded (:func:`loaded_cursors`). Errors are reported in
    the result, never raised; a refused credential sets ``needs_reconnect``. ``save_secrets`` stores the
    new secrets a connector hands back during the load (:class:`~ingestion.sources.connector.LoadSecrets`);
    None: they live for this load only.
    """
    started = time.perf_counter()
    try:
        settings = connector.parse_config(config)
        missing = [name for name in connector.secrets_for(settings) if not secrets.get(name)]
        if missing:
            raise ConnectorAuthError(f"{connector.title} needs {', '.join(missing)}; none is stored")
        cursors = since
        if cursors is None:
            cursors = loaded_cursors(connector.source, connector.resources, tenant_id)
        api_source = connector.make_source(settings, LoadSecrets(secrets, save_secrets), cursors)
    except Exception as exc:  # bad settings or no credentials: reported like a failed load
        log.warning("cannot load %s for tenant %s: %s", connector.source, tenant_id, exc)
        return TenantLoad(
            connector.source,
            str(tenant_id),
            error=_describe(exc),
            needs_reconnect=isinstance(_root(exc), ConnectorAuthError),
            seconds=time.perf_counter() - started,
        )

    def records(spec: ResourceLike, since: datetime | None) -> Iterator[dict[str, Any]]:
        # the connector's requests start from its own cursor (its incremental's initial value)
        for record in api_source.resources[spec.name]:
            if isinstance(record, dict) and "tenant_id" not in record:
                record = {"tenant_id": str(tenant_id), **record}
            yield record

    return load_tenant(
        connector.source, connector.resources, records, str(tenant_id), connector.lookback, on_records
    )
