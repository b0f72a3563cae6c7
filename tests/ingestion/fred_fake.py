"""A fake FRED API on 127.0.0.1 for tests: a real HTTP server (stdlib, in a thread) speaking FRED's JSON.

It serves ``/fred/series/observations`` (``series_id``, ``api_key``, ``file_type=json``,
``observation_start``, ``sort_order``, ``limit`` 1..100000, ``offset``; ``count`` is the total that
matches) and ``/fred/series`` (``{"seriess": [...]}``), answers FRED's errors as
``{"error_code": 400, "error_message": "..."}`` (unknown series, bad api_key, bad parameters), and
plays what a test queues for a series: a 429 with ``Retry-After``, a 500, or a 200 with a body that is
not FRED's JSON. Every request is recorded (path, parameters, time, status) for the assertions.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

REALTIME = "2026-11-20"
UNKNOWN_SERIES = "Bad Request.  The series does not exist."


@dataclass
class FakeSeries:
    id: str
    title: str
    units: str = "Index 1982-1984=100"
    frequency: str = "Monthly"
    seasonal_adjustment: str = "Seasonally Adjusted"
    last_updated: str = "2026-11-13 07:38:02-06"
    #: observation items in date order as FRED sends them ({"date", "value"}, or anything malformed)
    observations: list[Any] = field(default_factory=list)

    def set_value(self, day: str, value: str) -> None:
        """Add or revise one observation (keeps date order)."""
        kept = [o for o in self.observations if not (isinstance(o, dict) and o.get("date") == day)]
        kept.append({"date": day, "value": value})
        self.observations = sorted(kept, key=lambda o: str(o.get("date")) if isinstance(o, dict) else "")


@dataclass(frozen=True)
class Planned:
    """An answer queued for the next request of one series to one endpoint."""

    status: int
    body: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Seen:
    path: str
    params: dict[str, str]
    at: float  # time.monotonic() when the request arrived
    status: int


def monthly(start: date, months: int, first: float, step: float) -> list[dict[str, str]]:
    """``months`` monthly observations from ``start``, values first, first+step, ..."""
    out = []
    for i in range(months):
        year, month = divmod(start.month - 1 + i, 12)
        out.append(
            {"date": date(start.year + year, month + 1, 1).isoformat(), "value": f"{first + i * step:.3f}"}
        )
    return out


class FakeFred:
    """The fake API; ``with FakeFred(...) as fred:`` starts it on a free port of 127.0.0.1."""

    def __init__(self, api_key: str, series: list[FakeSeries]) -> None:
        self.api_key = api_key
        self.series = {s.id: s for s in series}
        self.requests: list[Seen] = []
        self._planned: dict[tuple[str, str], deque[Planned]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-fred", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeFred:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def plan(
        self,
        series_id: str,
        status: int,
        *,
        body: str | None = None,
        retry_after: int | None = None,
        endpoint: str = "series/observations",
    ) -> None:
        """Answer the next request for ``series_id`` at ``endpoint`` with ``status`` (once)."""
        if body is None:
            body = json.dumps({"error_code": status, "error_message": f"planned {status}"})
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        with self._lock:
            self._planned[(endpoint, series_id)].append(Planned(status, body, headers))

    def seen(self, series_id: str, endpoint: str = "series/observations") -> list[Seen]:
        with self._lock:
            return [
                r
                for r in self.requests
                if r.path == f"/fred/{endpoint}" and r.params.get("series_id") == series_id
            ]

    # -- the API ------------------------------------------------------------------------------------

    def _answer(self, path: str, params: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        endpoint = path.removeprefix("/fred/")
        if endpoint not in ("series", "series/observations"):
            return _error(404, "Not Found.")
        if params.get("api_key") != self.api_key:
            return _error(
                400,
                "Bad Request.  The value for variable api_key is not registered.  Read "
                "https://fred.stlouisfed.org/docs/api/api_key.html for more information.",
            )
        if params.get("file_type") != "json":
            return _error(400, "Bad Request.  This fake speaks file_type=json only.")
        series_id = params.get("series_id")
        if not series_id:
            return _error(400, "Bad Request.  Variable series_id is not set.")
        with self._lock:
            queue = self._planned.get((endpoint, series_id))
            planned = queue.popleft() if queue else None
        if planned is not None:
            return planned.status, planned.body, planned.headers
        found = self.series.get(series_id)
        if found is None:
            return _error(400, UNKNOWN_SERIES)
        if endpoint == "series":
            return 200, json.dumps(_metadata(found)), {}
        return self._observations(found, params)

    def _observations(self, series: FakeSeries, params: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        try:
            limit = int(params.get("limit", "100000"))
            offset = int(params.get("offset", "0"))
        except ValueError:
            return _error(400, "Bad Request.  Variable limit or offset is not an integer.")
        if not 1 <= limit <= 100_000:
            return _error(400, "Bad Request.  Variable limit is not between 1 and 100000.")
        if offset < 0:
            return _error(400, "Bad Request.  Variable offset is not a non-negative integer.")
        start = params.get("observation_start", "1776-07-04")
        try:
            date.fromisoformat(start)
        except ValueError:
            return _error(400, "Bad Request.  Variable observation_start can not be parsed.")
        matching = [
            o for o in series.observations if not isinstance(o, dict) or str(o.get("date", "")) >= start
        ]
        if params.get("sort_order") == "desc":
            matching.reverse()
        page = [
            {"realtime_start": REALTIME, "realtime_end": REALTIME, **o} if isinstance(o, dict) else o
            for o in matching[offset : offset + limit]
        ]
        document = {
            "realtime_start": REALTIME,
            "realtime_end": REALTIME,
            "observation_start": start,
            "observation_end": "9999-12-31",
            "units": "lin",
            "output_type": 1,
            "file_type": "json",
            "order_by": "observation_date",
            "sort_order": params.get("sort_order", "asc"),
            "count": len(matching),
            "offset": offset,
            "limit": limit,
            "observations": page,
        }
        return 200, json.dumps(document), {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                arrived = time.monotonic()
                status, body, headers = fake._answer(parts.path, params)
                with fake._lock:
                    fake.requests.append(Seen(parts.path, params, arrived, status))
                payload = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet test output

        return Handler


def _error(status: int, message: str) -> tuple[int, str, dict[str, str]]:
    return status, json.dumps({"error_code": status, "error_message": message}), {}


def _metadata(series: FakeSeries) -> dict[str, Any]:
    dates = [str(o["date"]) for o in series.observations if isinstance(o, dict) and "date" in o]
    return {
        "realtime_start": REALTIME,
        "realtime_end": REALTIME,
        "seriess": [
            {
                "id": series.id,
                "realtime_start": REALTIME,
                "realtime_end": REALTIME,
                "title": series.title,
                "observation_start": min(dates, default="1776-07-04"),
                "observation_end": max(dates, default="9999-12-31"),
                "frequency": series.frequency,
                "frequency_short": series.frequency[0],
                "units": series.units,
                "units_short": series.units,
                "seasonal_adjustment": series.seasonal_adjustment,
                "seasonal_adjustment_short": "SA" if series.seasonal_adjustment.startswith("Seas") else "NSA",
                "last_updated": series.last_updated,
                "popularity": 90,
                "notes": f"Fake {series.title} for Keel's tests.",
            }
        ],
    }
