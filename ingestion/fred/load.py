"""Load FRED's public series into ``raw_fred`` with one dlt pipeline (``keel_fred``), and say what it did.

Public reference data: shared by every tenant, so one pipeline and no ``tenant_id``; the dbt staging
model reads it for analysts, benchmarks and the app. Without an API key nothing is requested or
written, and :attr:`FredLoad.skipped` says why (``keel demo`` runs offline and without a key).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ingestion.fred import OBSERVATIONS, SERIES, SOURCE, fred_source
from ingestion.fred.client import FredClient
from ingestion.loader import LOADER_FILE_FORMAT, make_pipeline, prune_load_packages, rejected_resource
from keel import warehouse
from keel.settings import KeelSettings, get_settings

log = logging.getLogger(__name__)

NO_KEY = (
    "FRED not loaded: no API key. Set KEEL_FRED_API_KEY (free at https://fredaccount.stlouisfed.org/apikeys) "
    "to load the public series; nothing was requested and raw_fred is left as it was."
)


@dataclass
class FredLoad:
    """What one FRED load did."""

    series: list[str]
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows loaded (new or changed)
    extracted: dict[str, int] = field(default_factory=dict)  # series -> valid observations FRED gave
    requested_from: dict[str, str] = field(default_factory=dict)  # series -> observation_start asked
    failures: dict[str, str] = field(default_factory=dict)  # series -> why it did not load
    rejected: int = 0
    seconds: float = 0.0
    skipped: str | None = None

    @property
    def loaded_series(self) -> list[str]:
        return [s for s in self.series if s not in self.failures]


def load_fred(
    series_ids: Sequence[str] | None = None,
    *,
    settings: KeelSettings | None = None,
    client: FredClient | None = None,
) -> FredLoad:
    """Load ``series_ids`` (default: the settings' ``fred_series``) incrementally into ``raw_fred``.

    A series FRED refuses is reported in ``failures`` and the others load; bad records go to
    ``raw_fred.rejected_records``. ``client`` replaces the one built from the settings (tests pass one
    with a small page and short backoff).
    """
    settings = settings or get_settings()
    wanted = [s.strip().upper() for s in (series_ids or settings.fred_series) if s.strip()]
    ids = list(dict.fromkeys(wanted))  # each once, in order
    result = FredLoad(series=ids)
    if client is None:
        if settings.fred_api_key is None:
            result.skipped = NO_KEY
            log.warning(NO_KEY)
            return result
        client = FredClient(settings.fred_api_key.get_secret_value(), settings.fred_base_url)
    started = time.perf_counter()
    warehouse.ensure_server(settings)
    rejected: list[dict[str, Any]] = []
    pipeline = make_pipeline(SOURCE)
    source = fred_source(
        client,
        ids,
        settings.fred_observation_start,
        settings.fred_revision_window_days,
        rejected,
        result.failures,
        result.extracted,
        result.requested_from,
    )
    info = pipeline.run(source, loader_file_format=LOADER_FILE_FORMAT)
    info.raise_on_failed_jobs()
    normalized = pipeline.last_trace.last_normalize_info if pipeline.last_trace else None
    loaded = normalized.row_counts if normalized is not None else {}
    result.rows = {table: int(loaded.get(table, 0)) for table in (OBSERVATIONS.name, SERIES.name)}
    if rejected:
        pipeline.run(rejected_resource(rejected, tenant_scoped=False))
    prune_load_packages(pipeline)
    result.rejected = len(rejected)
    result.seconds = time.perf_counter() - started
    for series_id in ids:
        if series_id in result.failures:
            log.warning("FRED %s not loaded: %s", series_id, result.failures[series_id])
        else:
            log.info(
                "FRED %s: %d observations from %s",
                series_id,
                result.extracted.get(series_id, 0),
                result.requested_from.get(series_id, "-"),
            )
    return result
