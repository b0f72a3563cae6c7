"""A fake Shopify Admin REST API on 127.0.0.1 for tests: a real HTTP server (stdlib, in a thread).

It speaks what Keel's connector relies on, as Shopify does:

- ``/admin/api/<YYYY-MM>/<resource>.json`` with the ``X-Shopify-Access-Token`` header (401
  ``{"errors": "[API] Invalid API key or access token ..."}`` otherwise);
- listings of locations, products (``fields``), inventory items (``ids``, required), inventory levels
  (``location_ids`` or ``inventory_item_ids``, required), customers, orders (``status``, default
  ``open``; ``order=updated_at asc``), price rules and ``price_rules/<id>/discount_codes``;
- ``limit`` (1..250, default 50), ``updated_at_min`` (an instant; at or after), and cursor paging: the
  ``Link`` header carries ``rel="next"`` / ``rel="previous"`` URLs with an opaque ``page_info``; a
  request with ``page_info`` may add only ``limit`` and ``fields`` (Shopify answers 400 otherwise);
- the leaky bucket: every answer carries ``X-Shopify-Shop-Api-Call-Limit: used/size``; a call into a
  full bucket gets ``429`` with ``Retry-After: <seconds>.0``;
- injectable faults for the next matching requests: 429, 500, 503, a timeout (the answer comes after
  the client stopped waiting), a truncated JSON page.

It serves the demo simulator's objects of one tenant (without Keel's ``tenant_id``); a test edits
``fake.objects`` between runs (bump ``updated_at``, change a price, add an object, break one). Every
request is recorded (path, parameters, time, status).
"""

from __future__ import annotations

import base64
import json
import math
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from ingestion.demo import DemoWorld

RESOURCES = (
    "locations",
    "products",
    "inventory_items",
    "inventory_levels",
    "customers",
    "orders",
    "price_rules",
    "discount_codes",
)
_PATH = re.compile(r"^/admin/api/(?P<version>\d{4}-\d{2}|unstable)/(?P<endpoint>[a-z_/0-9]+)\.json$")
_DISCOUNT_CODES = re.compile(r"^price_rules/(?P<rule>\d+)/discount_codes$")
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"


@dataclass(frozen=True)
class Seen:
    path: str
    params: dict[str, str]
    at: float  # time.monotonic() when the request arrived
    status: int

    @property
    def endpoint(self) -> str:
        match = _PATH.match(self.path)
        return match.group("endpoint") if match else self.path


@dataclass(frozen=True)
class Fault:
    kind: str  # "429", "500", "503", "timeout", "truncated"
    endpoint: str | None  # only requests to this endpoint (None: any)


def instant(value: Any) -> float:
    """Epoch seconds of an ISO timestamp (-inf for anything else, so a broken object still sorts)."""
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return -math.inf


def _id(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


class FakeShopify:
    """The fake API; ``with FakeShopify(world, tenant, token) as shop:`` starts it on a free port."""

    def __init__(
        self,
        objects: dict[str, list[dict[str, Any]]],
        token: str,
        *,
        bucket_size: int = 40,
        leak_per_second: float = 2.0,
        retry_after: float = 1.0,
        timeout_sleep: float = 2.5,
    ) -> None:
        self.objects = objects
        self.token = token
        self.bucket_size = bucket_size
        self.leak_per_second = leak_per_second
        self.retry_after = retry_after
        self.timeout_sleep = timeout_sleep
        self.page_delay = 0.0  # seconds added to every answer (to catch a load half-way)
        self.bucket_level = 0.0
        self._fill_bucket: float | None = None
        self._bucket_at = time.monotonic()
        self.requests: list[Seen] = []
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-shopify", daemon=True)

    @classmethod
    def serving(cls, world: DemoWorld, tenant_id: str, token: str, **options: Any) -> FakeShopify:
        """A fake serving the simulator's Shopify objects of one demo tenant."""
        objects = {
            name: [
                {k: v for k, v in record.items() if k != "tenant_id"}
                for record in world.records("shopify", name, tenant_id)
            ]
            for name in RESOURCES
        }
        return cls(objects, token, **options)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeShopify:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def fault(self, kind: str, endpoint: str | None = None, times: int = 1) -> None:
        """Answer the next ``times`` requests (to ``endpoint``, or any) with a fault."""
        if kind not in ("429", "500", "503", "timeout", "truncated"):
            raise ValueError(f"unknown fault {kind!r}")
        with self._lock:
            self._faults.extend(Fault(kind, endpoint) for _ in range(times))

    def fill_bucket(self, level: float | None = None) -> None:
        """The next call finds the bucket at ``level`` (default full): another app of the shop used it."""
        with self._lock:
            self._fill_bucket = float(self.bucket_size) if level is None else float(level)

    def seen(self, endpoint: str | None = None) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if endpoint is None or r.endpoint == endpoint]

    def served_pages(self) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.status == 200)

    # -- the API ------------------------------------------------------------------------------------

    def _take_fault(self, endpoint: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.endpoint in (None, endpoint):
                    self._faults.remove(fault)
                    return fault
        return None

    def _call(self) -> tuple[bool, str]:
        """One call into the leaky bucket: (allowed, the call-limit header)."""
        with self._lock:
            now = time.monotonic()
            self.bucket_level = max(0.0, self.bucket_level - (now - self._bucket_at) * self.leak_per_second)
            self._bucket_at = now
            if self._fill_bucket is not None:
                self.bucket_level, self._fill_bucket = self._fill_bucket, None
            allowed = self.bucket_level + 1 <= self.bucket_size
            if allowed:
                self.bucket_level += 1
            return allowed, f"{math.ceil(self.bucket_level)}/{self.bucket_size}"

    def answer(self, path: str, params: dict[str, str], headers: Any) -> tuple[int, bytes, dict[str, str]]:
        if headers.get("X-Shopify-Access-Token") != self.token:
            return _errors(401, INVALID_TOKEN)
        match = _PATH.match(path)
        if not match:
            return _errors(404, "Not Found")
        endpoint = match.group("endpoint")
        allowed, call_limit = self._call()
        limit_header = {"X-Shopify-Shop-Api-Call-Limit": call_limit}
        if not allowed:
            return (
                *_errors(429, "Exceeded 2 calls per second for api client. Reduce request rates to resume.")[
                    :2
                ],
                {**limit_header, "Retry-After": f"{self.retry_after:.1f}"},
            )
        fault = self._take_fault(endpoint)
        if fault is not None and fault.kind in ("429", "500", "503"):
            extra = {"Retry-After": f"{self.retry_after:.1f}"} if fault.kind == "429" else {}
            return *_errors(int(fault.kind), f"planned {fault.kind}")[:2], {**limit_header, **extra}
        if fault is not None and fault.kind == "timeout":
            time.sleep(self.timeout_sleep)
        if self.page_delay:
            time.sleep(self.page_delay)
        status, body, link = self._listing(path, endpoint, params)
        out = {**limit_header, **({"Link": link} if link else {})}
        payload = json.dumps(body).encode()
        if fault is not None and fault.kind == "truncated" and status == 200:
            payload = payload[: max(1, len(payload) // 2)]
        return status, payload, out

    def _listing(
        self, path: str, endpoint: str, params: dict[str, str]
    ) -> tuple[int, dict[str, Any], str | None]:
        page_info = params.get("page_info")
        try:
            limit = int(params.get("limit", "50"))
        except ValueError:
            return 400, {"errors": {"limit": "Invalid value"}}, None
        if not 1 <= limit <= 250:
            return 400, {"errors": {"limit": "Invalid value"}}, None
        if page_info is not None:
            extra = set(params) - {"page_info", "limit", "fields"}
            if extra:
                return 400, {"errors": {"page_info": f"Invalid value ({', '.join(sorted(extra))})"}}, None
            try:
                state = json.loads(base64.urlsafe_b64decode(page_info.encode()))
                query, after, backwards = dict(state["q"]), state["a"], state["b"]
            except (ValueError, KeyError, TypeError):
                return 400, {"errors": {"page_info": "Invalid value."}}, None
        else:
            query, after, backwards = (
                {k: v for k, v in params.items() if k not in ("limit", "fields")},
                None,
                False,
            )
        key, found = self._matching(endpoint, query)
        if found is None:
            return 404, {"errors": "Not Found"}, None
        if isinstance(found, str):
            return 400, {"errors": found}, None
        if after is not None:
            bound = tuple(after)
            found = [
                o
                for o in found
                if (_sort_key(o, query) < bound if backwards else _sort_key(o, query) > bound)
            ]
            if backwards:
                found = found[-limit:]
        page = found[:limit]
        more = len(found) > limit
        fields = [f for f in params.get("fields", "").split(",") if f]
        body = {key: [{k: v for k, v in o.items() if k in fields} if fields else o for o in page]}
        links = []
        if page and after is not None:
            links.append(self._link(path, limit, query, _sort_key(page[0], query), True, "previous"))
        if page and more:
            links.append(self._link(path, limit, query, _sort_key(page[-1], query), False, "next"))
        return 200, body, ", ".join(links) or None

    def _link(
        self, path: str, limit: int, query: dict[str, str], after: tuple[Any, ...], backwards: bool, rel: str
    ) -> str:
        token = base64.urlsafe_b64encode(
            json.dumps({"q": query, "a": list(after), "b": backwards}).encode()
        ).decode()
        return f'<{self.url}{path}?{urlencode({"limit": limit, "page_info": token})}>; rel="{rel}"'

    def _matching(
        self, endpoint: str, query: dict[str, str]
    ) -> tuple[str, list[dict[str, Any]] | str | None]:
        """The list key and the objects a query selects, in page order (None: no such endpoint)."""
        rule = _DISCOUNT_CODES.match(endpoint)
        with self._lock:
            if rule:
                rule_id = int(rule.group("rule"))
                if not any(r.get("id") == rule_id for r in self.objects["price_rules"]):
                    return "discount_codes", None
                found = [o for o in self.objects["discount_codes"] if o.get("price_rule_id") == rule_id]
                return "discount_codes", sorted(found, key=lambda o: _sort_key(o, query))
            if endpoint not in RESOURCES or endpoint == "discount_codes":
                return endpoint, None
            found = list(self.objects[endpoint])
        if endpoint == "inventory_items":
            if "ids" not in query:
                return endpoint, "ids: Required parameter missing or invalid"
            wanted = {int(i) for i in query["ids"].split(",") if i.strip().isdigit()}
            found = [o for o in found if o.get("id") in wanted]
        if endpoint == "inventory_levels":
            if "location_ids" in query:
                wanted = {int(i) for i in query["location_ids"].split(",") if i.strip().isdigit()}
                found = [o for o in found if o.get("location_id") in wanted]
            elif "inventory_item_ids" in query:
                wanted = {int(i) for i in query["inventory_item_ids"].split(",") if i.strip().isdigit()}
                found = [o for o in found if o.get("inventory_item_id") in wanted]
            else:
                return endpoint, "location_ids or inventory_item_ids: Required parameter missing or invalid"
        if endpoint == "orders":
            status = query.get("status", "open")
            if status == "open":
                found = [o for o in found if o.get("closed_at") is None and o.get("cancelled_at") is None]
            elif status == "closed":
                found = [o for o in found if o.get("closed_at") is not None]
            elif status == "cancelled":
                found = [o for o in found if o.get("cancelled_at") is not None]
            elif status != "any":
                return endpoint, "status: Invalid value"
        if "updated_at_min" in query:
            bound = instant(query["updated_at_min"])
            if bound == -math.inf:
                return endpoint, "updated_at_min: Invalid value"
            found = [o for o in found if instant(o.get("updated_at")) >= bound]
        return endpoint, sorted(found, key=lambda o: _sort_key(o, query))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                arrived = time.monotonic()
                status, payload, headers = fake.answer(parts.path, params, self.headers)
                with fake._lock:
                    fake.requests.append(Seen(parts.path, params, arrived, status))
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
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


def _sort_key(record: dict[str, Any], query: dict[str, str]) -> tuple[float, int, int]:
    """Page order: oldest change first when asked (``order=updated_at asc``), else by id."""
    second = _id(record.get("id", record.get("inventory_item_id")))
    if query.get("order") == "updated_at asc" or "id" not in record:
        return (instant(record.get("updated_at")), second, _id(record.get("location_id")))
    return (0.0, second, 0)


def _errors(status: int, message: str) -> tuple[int, bytes, dict[str, str]]:
    return status, json.dumps({"errors": message}).encode(), {}
