"""A fake ERPNext site (Frappe REST API) on 127.0.0.1 for tests: a real HTTP server (stdlib, in a thread).

It speaks what Keel's connector relies on, as Frappe does:

- token authentication: ``Authorization: token <api_key>:<api_secret>``; anything else gets 401 with
  ``{"exc_type": "AuthenticationError", ...}`` (a revoked key, a regenerated secret);
- ``/api/method/frappe.auth.get_logged_user`` -> ``{"message": "<user>"}``;
- ``/api/resource/System Settings/System Settings`` -> the site's ``time_zone`` (403 PermissionError
  when ``settings_readable`` is off, as for a user without the System Manager role);
- listings ``/api/resource/<DocType>`` with ``fields`` (a JSON list: ``["*"]`` gives every field of the
  document but no child tables, or the fields named), ``filters`` (a JSON list of
  ``[field, operator, value]`` or ``[doctype, field, operator, value]``; ``=``, ``>=``, ``>``, ``<``,
  ``in``), ``order_by`` (``modified asc, name asc``; default ``modified desc``), ``limit_start`` and
  ``limit_page_length`` (default 20) -> ``{"data": [...]}``;
- documents ``/api/resource/<DocType>/<name>`` -> ``{"data": {...}}`` with child tables; 404
  ``DoesNotExistError`` for a document or doctype the site does not have, 403 ``PermissionError`` for a
  doctype the key's user may not read;
- deleting a document keeps a ``Deleted Document`` (``deleted_doctype``, ``deleted_name``);
- injectable faults for the next matching requests: 429 (with ``Retry-After``), 500, 503, a timeout
  (the answer comes after the client stopped waiting), a truncated JSON answer.

It serves the demo simulator's ERPNext documents of one tenant (``ingestion/demo/shapes_erpnext.py``)
without Keel's ``tenant_id`` and ``modified_at`` (Frappe sends neither); a test edits ``fake.objects``
between runs (bump ``modified``, change an amount, cancel, add, delete, break one). Every request is
recorded (path, parameters, time, status).
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ingestion.demo import DemoWorld
from ingestion.demo import shapes_erpnext as shapes
from ingestion.demo.shapes_common import ShapeContext
from ingestion.sources.erpnext.settings import DOCTYPES, FRAPPE_DATETIME

RESOURCES = tuple(DOCTYPES)
BY_DOCTYPE = {doctype: name for name, (doctype, _) in DOCTYPES.items()}
USER = "keel-reader@example.com"


@dataclass(frozen=True)
class Seen:
    path: str
    params: dict[str, str]
    at: float  # time.monotonic() when the request arrived
    status: int

    @property
    def doctype(self) -> str | None:
        parts = self.path.split("/")
        return unquote(parts[3]) if len(parts) > 3 and parts[2] == "resource" else None

    @property
    def is_listing(self) -> bool:
        return self.path.count("/") == 3 and self.doctype is not None


@dataclass(frozen=True)
class Fault:
    kind: str  # "429", "500", "503", "timeout", "truncated"
    doctype: str | None  # only requests for this doctype (None: any)


def frappe_now(at: datetime) -> str:
    return at.strftime(FRAPPE_DATETIME)


def _stamp(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


class FakeERPNext:
    """The fake site; ``with FakeERPNext(objects, key, secret, zone) as site:`` starts it on a free port."""

    def __init__(
        self,
        objects: dict[str, list[dict[str, Any]]],
        api_key: str,
        api_secret: str,
        time_zone: str,
        *,
        retry_after: int = 1,
        timeout_sleep: float = 2.5,
    ) -> None:
        self.objects = {name: list(objects.get(name, [])) for name in RESOURCES}
        self.api_key = api_key
        self.api_secret = api_secret
        self.time_zone = time_zone
        self.retry_after = retry_after
        self.timeout_sleep = timeout_sleep
        self.settings_readable = True
        self.missing: set[str] = set()  # doctypes the site does not have (404 DoesNotExistError)
        self.forbidden: set[str] = set()  # doctypes the key's user may not read (403 PermissionError)
        self.page_delay = 0.0  # seconds added to every answer (to catch a load half-way)
        self.requests: list[Seen] = []
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-erpnext", daemon=True)

    @classmethod
    def serving(
        cls, world: DemoWorld, tenant: str, api_key: str, api_secret: str, **options: Any
    ) -> FakeERPNext:
        """A fake serving the demo simulator's ERPNext documents of one demo tenant (any source it uses)."""
        ctx = ShapeContext(world.run(tenant))
        objects = {
            name: [
                {k: v for k, v in record.items() if k not in ("tenant_id", "modified_at")}
                for record in getattr(shapes, name)(ctx)
            ]
            for name in RESOURCES
        }
        return cls(objects, api_key, api_secret, world.tenant(tenant).timezone, **options)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeERPNext:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- what a test does on the site ----------------------------------------------------------------

    def fault(self, kind: str, doctype: str | None = None, times: int = 1) -> None:
        """Answer the next ``times`` requests (for ``doctype``, or any) with a fault."""
        if kind not in ("429", "500", "503", "timeout", "truncated"):
            raise ValueError(f"unknown fault {kind!r}")
        with self._lock:
            self._faults.extend(Fault(kind, doctype) for _ in range(times))

    def delete(self, resource: str, name: str, at: datetime) -> dict[str, Any]:
        """Delete a document as Frappe does: it goes, and a Deleted Document says which it was."""
        with self._lock:
            found = next(d for d in self.objects[resource] if d["name"] == name)
            self.objects[resource].remove(found)
            stamp = frappe_now(at)
            number = len(self.objects["deleted_documents"]) + 1
            deleted = {
                "name": f"{number:010x}",
                "owner": "Administrator",
                "creation": stamp,
                "modified": stamp,
                "modified_by": "Administrator",
                "docstatus": 0,
                "idx": 0,
                "doctype": "Deleted Document",
                "deleted_doctype": DOCTYPES[resource][0],
                "deleted_name": name,
                "data": json.dumps(found, default=str),
                "restored": 0,
            }
            self.objects["deleted_documents"].append(deleted)
            return found

    def seen(self, doctype: str | None = None) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if doctype is None or r.doctype == doctype]

    def served(self) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.status == 200)

    # -- the API -----------------------------------------------------------------------------------

    def _take_fault(self, doctype: str | None) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.doctype in (None, doctype):
                    self._faults.remove(fault)
                    return fault
        return None

    def answer(self, path: str, params: dict[str, str], headers: Any) -> tuple[int, bytes, dict[str, str]]:
        if headers.get("Authorization") != f"token {self.api_key}:{self.api_secret}":
            return _error(401, "AuthenticationError", "Invalid API key or secret")
        parts = [unquote(p) for p in path.split("/")]
        doctype = parts[3] if len(parts) > 3 and parts[2] == "resource" else None
        fault = self._take_fault(doctype)
        if fault is not None and fault.kind == "429":
            status, body, _ = _error(429, "TooManyRequestsError", "You hit the rate limit")
            return status, body, {"Retry-After": str(self.retry_after)}
        if fault is not None and fault.kind in ("500", "503"):
            return _error(int(fault.kind), "", f"planned {fault.kind}")
        if fault is not None and fault.kind == "timeout":
            time.sleep(self.timeout_sleep)
        if self.page_delay:
            time.sleep(self.page_delay)
        status, document = self._route(parts, params)
        payload = json.dumps(document).encode()
        if fault is not None and fault.kind == "truncated" and status == 200:
            payload = payload[: max(1, len(payload) // 2)]
        return status, payload, {}

    def _route(self, parts: list[str], params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if parts[1:] == ["api", "method", "frappe.auth.get_logged_user"]:
            return 200, {"message": USER}
        if len(parts) < 4 or parts[1:3] != ["api", "resource"]:
            return _exc(404, "DoesNotExistError", "Page not found")
        doctype = parts[3]
        if doctype == "System Settings":
            if not self.settings_readable:
                return _exc(403, "PermissionError", "No permission for System Settings")
            return 200, {
                "data": {"name": "System Settings", "doctype": "System Settings", "time_zone": self.time_zone}
            }
        if doctype in self.forbidden:
            return _exc(403, "PermissionError", f"No permission for {doctype}")
        if doctype in self.missing or doctype not in BY_DOCTYPE:
            return _exc(404, "DoesNotExistError", f"DocType {doctype} not found")
        resource = BY_DOCTYPE[doctype]
        if len(parts) == 5:
            with self._lock:
                found = next((d for d in self.objects[resource] if d.get("name") == parts[4]), None)
            if found is None:
                return _exc(404, "DoesNotExistError", f"{doctype} {parts[4]} not found")
            return 200, {"data": copy.deepcopy(found)}
        return self._listing(resource, params)

    def _listing(self, resource: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        try:
            fields = json.loads(params.get("fields", '["name"]'))
            filters = json.loads(params.get("filters", "[]"))
            start = int(params.get("limit_start", "0"))
            length = int(params.get("limit_page_length", "20"))
        except ValueError as exc:
            return _exc(417, "ValidationError", f"bad parameter: {exc}")
        with self._lock:
            found = [d for d in self.objects[resource] if all(_matches(d, f) for f in filters)]
        order = params.get("order_by", "modified desc").replace("`", "")
        for term in reversed([t.strip() for t in order.split(",") if t.strip()]):
            field, _, direction = term.partition(" ")
            found.sort(
                key=lambda d, field=field: _sort_value(d.get(field)), reverse=direction.strip() == "desc"
            )
        page = found[start : start + length] if length else found[start:]
        if fields == ["*"]:
            rows = [{k: v for k, v in d.items() if not isinstance(v, list)} for d in page]
        else:
            rows = [{f: d.get(f) for f in fields} for d in page]
        return 200, {"data": copy.deepcopy(rows)}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                arrived = time.monotonic()
                status, payload, headers = fake.answer(parts.path, params, self.headers)
                with fake._lock:
                    fake.requests.append(Seen(unquote(parts.path), params, arrived, status))
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up waiting (a planned timeout)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet test output

        return Handler


def _sort_value(value: Any) -> tuple[int, Any]:
    stamp = _stamp(value) if isinstance(value, str) else None
    if stamp is not None:
        return (0, stamp.timestamp() if stamp.tzinfo else stamp.isoformat())
    return (1, str(value))


def _matches(document: dict[str, Any], condition: list[Any]) -> bool:
    field, operator, value = condition[-3:]
    have = document.get(field)
    if operator == "in":
        return have in value
    if operator == "=":
        return bool(have == value)
    left, right = _stamp(have), _stamp(value)
    if left is None or right is None:
        return False
    return {">=": left >= right, ">": left > right, "<": left < right, "<=": left <= right}.get(
        operator, False
    )


def _exc(status: int, exc_type: str, message: str) -> tuple[int, dict[str, Any]]:
    """A Frappe error document: ``exc_type``, ``exception`` and ``_server_messages`` (JSON in JSON)."""
    return status, {
        "exc_type": exc_type,
        "exception": f"frappe.exceptions.{exc_type}: {message}" if exc_type else message,
        "_server_messages": json.dumps([json.dumps({"message": message})]),
    }


def _error(status: int, exc_type: str, message: str) -> tuple[int, bytes, dict[str, str]]:
    return status, json.dumps(_exc(status, exc_type, message)[1]).encode(), {}
