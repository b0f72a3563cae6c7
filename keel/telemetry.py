"""Traces and metrics of Keel's work, through OpenTelemetry: ``span(name, **attrs)`` and a few counters.

Libraries (ingestion, models_ml, coach), the Dagster assets and the console call :func:`span` around a
load, a dbt invocation, a solver call, a forecasting run, a page load or a coach request, with the tenant
as the ``keel.tenant_id`` attribute. Attributes that could carry personal data (e-mail, names, phone,
address, the question's text) are refused: they are dropped and never exported. Where the spans go is
``KEEL_TELEMETRY_EXPORTER`` (``keel.settings``): by default one JSON object per line in
``KEEL_HOME/telemetry/spans.jsonl``, so a fresh machine needs nothing; ``otlp`` sends them to Jaeger,
Grafana Tempo or a collector. Metrics (rows loaded and rejected, durations, solver time, coach latency)
are written in Prometheus text format to ``KEEL_HOME/telemetry/metrics/<process>.prom`` when the process
ends and on :func:`flush` (the layout of node_exporter's textfile collector). See docs/observability.md.

The SDK is set up on first use, once per process; nothing is imported or written until then.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from keel.settings import get_settings

log = logging.getLogger(__name__)

#: Words of attribute keys that may hold personal data (a key is split at "." and "_"): never exported.
PERSONAL_KEYS = frozenset({"email", "name", "phone", "address", "question", "password", "ip", "answer"})
#: Attribute keys that hold names of things, not people (allowed although they contain "name").
ALLOWED_NAMES = frozenset({"keel.asset_name", "keel.page_name", "keel.check_name"})

_lock = threading.Lock()
_state: dict[str, Any] = {}


def _clean(attrs: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in attrs.items():
        name = key if key.startswith("keel.") else f"keel.{key}"
        words = set(name.lower().replace(".", "_").split("_"))
        if name not in ALLOWED_NAMES and words & PERSONAL_KEYS:
            continue
        if value is None or (isinstance(value, str) and "@" in value):  # an e-mail address, whatever the key
            continue
        clean[name] = value if isinstance(value, str | bool | int | float) else str(value)
    return clean


def _setup() -> dict[str, Any]:
    """The tracer and meter of this process (configured on first use; after a fork, again)."""
    if _state.get("pid") == os.getpid():
        return _state
    with _lock:
        if _state.get("pid") == os.getpid():
            return _state
        settings = get_settings()
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider

        resource = Resource.create({"service.name": "keel", "process.pid": os.getpid()})
        provider = TracerProvider(resource=resource)
        exporter = settings.telemetry_exporter
        if exporter != "none":
            provider.add_span_processor(_span_processor(exporter))
        _state.clear()
        _state.update(
            pid=os.getpid(),
            enabled=exporter != "none",
            tracer=provider.get_tracer("keel"),
            provider=provider,
            metrics=_Metrics() if exporter != "none" else None,
        )
        atexit.register(flush)
        return _state


def _span_processor(exporter: str) -> Any:
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor

    if exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = get_settings().telemetry_otlp_endpoint.rstrip("/") + "/v1/traces"
        return BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint))
    if exporter == "console":
        return SimpleSpanProcessor(ConsoleSpanExporter())
    from keel.home import private_dir

    folder = private_dir(get_settings().telemetry_dir)
    # Appended line by line and flushed at once: Dagster's step processes and the console write the same
    # file, and a process may end without running its exit handlers.
    handle = open(folder / "spans.jsonl", "a", encoding="utf-8", buffering=1)  # noqa: SIM115
    return SimpleSpanProcessor(
        ConsoleSpanExporter(out=handle, formatter=lambda span: span.to_json(indent=None) + "\n")
    )


class _Metrics:
    """Counters and histograms in a registry of this process, written in Prometheus text format."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry()
        labels = ("source", "tenant_id")
        self.rows_loaded = Counter(
            "keel_rows_loaded", "Records loaded into raw tables", labels, registry=self.registry
        )
        self.rows_rejected = Counter(
            "keel_rows_rejected", "Records set aside by a load's contract", labels, registry=self.registry
        )
        self.duration = Histogram(
            "keel_operation_seconds",
            "Duration of a traced operation (span name): loads, dbt, forecasts, solver calls, pages, coach",
            ("operation",),
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900),
            registry=self.registry,
        )

    def write(self) -> None:
        from prometheus_client import write_to_textfile

        from keel.home import private_dir

        folder = private_dir(get_settings().telemetry_dir / "metrics")
        write_to_textfile(str(folder / f"keel-{os.getpid()}.prom"), self.registry)


@contextmanager
def span(name: str, **attrs: Any) -> Iterator[Any]:
    """Trace the block as span ``name`` (``keel.<what>``) with ``attrs`` as ``keel.*`` attributes; its
    duration also goes to the ``keel_operation_seconds`` histogram. Personal attributes are dropped."""
    state = _setup()
    started = time.perf_counter()
    with state["tracer"].start_as_current_span(name, attributes=_clean(attrs)) as current:
        try:
            yield current
        finally:
            if state["metrics"] is not None:
                state["metrics"].duration.labels(operation=name).observe(time.perf_counter() - started)


def set_attributes(current: Any, **attrs: Any) -> None:
    """Add attributes to a span found out during the block (rows loaded, status of a solve)."""
    for key, value in _clean(attrs).items():
        current.set_attribute(key, value)


def count_rows(source: str, tenant_id: str, loaded: int, rejected: int) -> None:
    """Rows a load wrote and set aside (Prometheus counters ``keel_rows_loaded`` / ``keel_rows_rejected``)."""
    metrics = _setup()["metrics"]
    if metrics is None:
        return
    metrics.rows_loaded.labels(source=source, tenant_id=str(tenant_id)).inc(loaded)
    metrics.rows_rejected.labels(source=source, tenant_id=str(tenant_id)).inc(rejected)


def flush() -> None:
    """Export pending spans and write this process's metrics file."""
    if _state.get("pid") != os.getpid():
        return
    try:
        _state["provider"].force_flush()
        if _state["metrics"] is not None:
            _state["metrics"].write()
    except Exception:  # telemetry never breaks the work it observes
        log.warning("could not write telemetry", exc_info=True)


def reset_for_tests() -> None:
    """Forget this process's set-up so the next span reads the settings again."""
    flush()
    _state.clear()


def record_span(name: str, start_seconds: float, end_seconds: float, **attrs: Any) -> None:
    """A span whose start and end are known after the fact (Unix seconds): a Dagster step's, for one."""
    state = _setup()
    current = state["tracer"].start_span(name, attributes=_clean(attrs), start_time=int(start_seconds * 1e9))
    current.end(end_time=int(end_seconds * 1e9))
    if state["metrics"] is not None:
        state["metrics"].duration.labels(operation=name).observe(max(0.0, end_seconds - start_seconds))
    flush()
