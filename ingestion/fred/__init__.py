"""dlt source for FRED, the St. Louis Fed's public economic series: shared reference data, no tenant.

- ``observations`` (table ``raw_fred.observations``): one dlt resource per series, so each series keeps
  its own incremental cursor (``dlt.sources.incremental`` on ``_keel_cursor_at``, the observation date as
  a UTC instant, as every Keel loader names its cursor) and a new or failing series never moves another
  one's. The cursor's start, less a revision window (``lag``), is the ``observation_start`` asked of FRED,
  and rows merge on ``(series_id, date)``: a repeated load adds nothing and a revised value replaces the
  old one. A series is loaded all or nothing: its rows are yielded after its last page arrived.
- ``series`` (table ``raw_fred.series``): each series' metadata, merged on ``id`` at every load (a few
  rows; ``last_updated`` changes with each release).

Each record is checked against the ``fred`` contract (:mod:`ingestion.contracts`): a bad date or a value
that is neither a number nor FRED's missing marker ``"."`` goes to ``rejected``, the rest load. A series
FRED refuses (an unknown id answers 400), or whose answer is not the documented JSON, is put in
``failures`` and the others load.
"""

# No `from __future__ import annotations`: dlt finds the cursor argument by its evaluated annotation.
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import dlt
import pyarrow as pa
import requests

from ingestion.fred.client import FredApiError, FredClient, FredPayloadError
from ingestion.loader import CURSOR_COLUMN, checked, reject, to_arrow

SOURCE = "fred"


@dataclass(frozen=True)
class FredResource:
    """How one FRED table loads (what :mod:`ingestion.loader` needs to know about a resource)."""

    source: str
    name: str
    primary_key: tuple[str, ...]
    cursor_field: str
    cursor_type: Literal["iso8601", "date"]
    write_disposition: Literal["merge"]
    description: str


OBSERVATIONS = FredResource(
    source=SOURCE,
    name="observations",
    primary_key=("series_id", "date"),
    cursor_field="date",
    cursor_type="date",
    write_disposition="merge",
    description="raw_fred.observations: FRED series observations (value '.' = missing), merged on "
    "(series_id, date) so revisions replace old values. Public data, no tenant.",
)
SERIES = FredResource(
    source=SOURCE,
    name="series",
    primary_key=("id",),
    cursor_field="last_updated",
    cursor_type="iso8601",
    write_disposition="merge",
    description="raw_fred.series: metadata of each loaded FRED series (title, frequency, units, "
    "seasonal adjustment, last update). Public data, no tenant.",
)


def observations_resource_name(series_id: str) -> str:
    return f"observations_{series_id.lower()}"


def _fail(failures: dict[str, str], series_id: str, exc: Exception) -> None:
    failures.setdefault(series_id, f"{type(exc).__name__}: {exc}")


@dlt.source(name=SOURCE, max_table_nesting=0)
def fred_source(
    client: FredClient,
    series_ids: Sequence[str],
    observation_start: date,
    revision_window_days: int,
    rejected: list[dict[str, Any]],
    failures: dict[str, str],
    extracted: dict[str, int],
    requested_from: dict[str, str],
) -> Iterator[Any]:
    """The FRED tables for ``series_ids``; ``rejected``, ``failures``, ``extracted`` and ``requested_from``
    collect what happened, per series, for the caller's report."""
    initial = datetime(observation_start.year, observation_start.month, observation_start.day, tzinfo=UTC)
    lag_seconds = float(timedelta(days=revision_window_days).total_seconds())

    def series_metadata() -> Iterator[pa.Table]:
        records = []
        for series_id in series_ids:
            try:
                records.append(client.series(series_id))
            except (FredApiError, FredPayloadError, requests.RequestException) as exc:
                _fail(failures, series_id, exc)
        good = list(checked(SERIES, records, None, rejected))
        if good:
            yield to_arrow(SERIES, good)

    yield dlt.resource(
        series_metadata,
        name=SERIES.name,
        primary_key=list(SERIES.primary_key),
        write_disposition=SERIES.write_disposition,
    )

    def observations(series_id: str, cursor: dlt.sources.incremental[datetime]) -> Iterator[pa.Table]:
        start = max(cursor.start_value or initial, initial).date()
        requested_from[series_id] = start.isoformat()
        items: list[Any] = []
        try:
            for page in client.observations(series_id, start):
                items.extend(page)
        except FredPayloadError as exc:
            _fail(failures, series_id, exc)
            reject(OBSERVATIONS, {"series_id": series_id, "body": exc.body}, [str(exc)], None, rejected)
            return
        except (FredApiError, requests.RequestException) as exc:
            _fail(failures, series_id, exc)
            return
        records = []
        for item in items:
            if isinstance(item, dict):
                records.append({**item, "series_id": series_id})
            else:  # quarantined with the series it came with
                found = [f"observation is a {type(item).__name__}, not an object"]
                reject(OBSERVATIONS, {"series_id": series_id, "observation": item}, found, None, rejected)
        good = list(checked(OBSERVATIONS, records, None, rejected))
        extracted[series_id] = len(good)
        if good:
            yield to_arrow(OBSERVATIONS, good)

    for series_id in series_ids:
        resource = dlt.resource(
            observations,
            name=observations_resource_name(series_id),
            table_name=OBSERVATIONS.name,
            primary_key=list(OBSERVATIONS.primary_key),
            write_disposition=OBSERVATIONS.write_disposition,
        )
        # Its own cursor per series; the lag re-reads the revision window (which disables dlt's
        # boundary de-duplication: the merge on the primary key de-duplicates instead).
        yield resource(
            series_id,
            dlt.sources.incremental(CURSOR_COLUMN, initial_value=initial, lag=lag_seconds or None),
        )
