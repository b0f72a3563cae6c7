"""A fake QuickBooks Online (Intuit OAuth 2.0 + Accounting API v3) on 127.0.0.1 for tests: a real HTTP
server (stdlib, in a thread).

It speaks what Keel's connector relies on, as Intuit does:

- ``GET /connect/oauth2`` (the consent page): checks client id, scope and redirect, and redirects the
  browser back with ``code``, ``state`` and ``realmId`` (or ``error=access_denied`` when told to deny);
- ``POST /v2/oauth2/tokens/revoke`` (``{"token": ...}``, basic client auth) revokes a token;
- ``POST /oauth2/v1/tokens/bearer``: client id and secret in a basic Authorization header (401
  ``invalid_client`` otherwise); ``authorization_code`` (each code once) and ``refresh_token`` grants;
  every refresh issues a new refresh token and the old one stops working (``invalid_grant``), as do all
  of them after :meth:`FakeQuickBooks.revoke`; access tokens live ``access_seconds`` (an hour) and
  :meth:`expire_access_tokens` ends them early;
- ``GET /v3/company/<realm>/query?query=...&minorversion=``: ``select * from <Entity> [where
  Active IN (true, false)] [and] [Metadata.LastUpdatedTime >= '<instant>'] ORDERBY
  Metadata.LastUpdatedTime STARTPOSITION n MAXRESULTS m`` (m at most 1000); name lists (customers,
  vendors) without the ``Active`` condition return only active ones; the answer is
  ``{"QueryResponse": {"<Entity>": [...], "startPosition", "maxResults"}, "time"}``;
- ``GET /v3/company/<realm>/cdc?entities=<Entity>&changedSince=<instant>``: objects changed since then
  and deleted ones (``{"domain", "status": "Deleted", "Id", "MetaData"}``), at most ``cdc_max``;
  ``changedSince`` more than 30 days before the fake's ``now`` is a 400 fault;
- a bearer token that is unknown or expired gets 401 with Intuit's AUTHENTICATION fault;
- Intuit's throttle: more than ``per_minute`` requests to a company within a minute (``throttle_window``
  seconds) get 429
  ``ThrottleExceeded`` (with ``Retry-After`` when ``retry_after`` is set);
- injectable faults for the next matching requests: 429, 500, 503, a timeout (the answer comes after
  the client stopped waiting), a truncated JSON page.

It serves the demo simulator's QuickBooks objects of one tenant (without Keel's ``tenant_id``); a test
edits ``fake.objects`` between runs and deletes with :meth:`FakeQuickBooks.delete`. Every request is
recorded (path, parameters, time, status).
"""

from __future__ import annotations

import base64
import json
import math
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from ingestion.demo import DemoWorld
from ingestion.sources.quickbooks.settings import ENTITIES

RESOURCES = tuple(ENTITIES)
BY_ENTITY = {entity: name for name, entity in ENTITIES.items()}
NAME_LISTS = {"Customer", "Vendor", "Item", "Account"}
CLIENT_ID, CLIENT_SECRET = "ABfake0client0id", "fake-client-secret-0123"
SCOPE = "com.intuit.quickbooks.accounting"
_COMPANY = re.compile(r"^/v3/company/(?P<realm>[0-9]+)/(?P<endpoint>query|cdc)$")
_QUERY = re.compile(
    r"^select \* from (?P<entity>\w+)(?: where (?P<where>.+?))? ORDERBY Metadata\.LastUpdatedTime "
    r"STARTPOSITION (?P<start>\d+) MAXRESULTS (?P<size>\d+)$",
    re.IGNORECASE,
)
_SINCE = re.compile(r"^Metadata\.LastUpdatedTime >= '(?P<at>[^']+)'$")


@dataclass(frozen=True)
class Seen:
    path: str
    params: dict[str, str]
    at: float  # time.monotonic() when the request arrived
    status: int

    @property
    def endpoint(self) -> str:
        match = _COMPANY.match(self.path)
        if match:
            return match.group("endpoint")
        return {"/oauth2/v1/tokens/bearer": "token", "/connect/oauth2": "authorize"}.get(self.path, self.path)

    @property
    def entity(self) -> str | None:
        if self.endpoint == "cdc":
            return self.params.get("entities")
        match = _QUERY.match(self.params.get("query", ""))
        return match.group("entity") if match else None


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


def updated(obj: dict[str, Any]) -> float:
    meta = obj.get("MetaData")
    return instant(meta.get("LastUpdatedTime")) if isinstance(meta, dict) else -math.inf


def _fault(status: int, message: str, code: str, kind: str = "ValidationFault") -> tuple[int, bytes]:
    body = {
        "Fault": {"Error": [{"Message": message, "Detail": message, "code": code}], "type": kind},
        "time": datetime.now(UTC).isoformat(),
    }
    return status, json.dumps(body).encode()


class FakeQuickBooks:
    """The fake service; ``with FakeQuickBooks(objects, realm) as qbo:`` starts it on a free port."""

    def __init__(
        self,
        objects: dict[str, list[dict[str, Any]]],
        realm_id: str,
        *,
        now: datetime,
        per_minute: int = 500,
        throttle_window: float = 60.0,
        retry_after: float | None = 1.0,
        timeout_sleep: float = 2.5,
        access_seconds: int = 3600,
        cdc_max: int = 1000,
    ) -> None:
        self.objects = objects
        self.realm_id = realm_id
        self.now = now  # the fake's clock for CDC's 30 days and the tokens' lives
        self.per_minute = per_minute
        self.throttle_window = throttle_window  # seconds; Intuit's is a minute
        self.retry_after = retry_after
        self.timeout_sleep = timeout_sleep
        self.access_seconds = access_seconds
        self.cdc_max = cdc_max
        self.page_delay = 0.0  # seconds added to every API answer (to catch a load half-way)
        self.deny_consent = False
        self.deleted: dict[str, list[tuple[str, str]]] = {name: [] for name in RESOURCES}  # (Id, when)
        self.codes: set[str] = set()
        self.revoked: list[str] = []  # tokens revoked through the revocation endpoint
        self.refresh_tokens: set[str] = set()
        self.access_tokens: dict[str, datetime] = {}  # token -> expiry on the fake's clock
        self.requests: list[Seen] = []
        self._calls: deque[float] = deque()
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-qbo", daemon=True)

    @classmethod
    def serving(cls, world: DemoWorld, tenant_id: str, realm_id: str, **options: Any) -> FakeQuickBooks:
        """A fake serving the simulator's QuickBooks objects of one demo tenant."""
        objects = {
            name: [
                {k: v for k, v in record.items() if k != "tenant_id"}
                for record in world.records("quickbooks", name, tenant_id)
            ]
            for name in RESOURCES
        }
        return cls(objects, realm_id, **options)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth2/v1/tokens/bearer"

    @property
    def revoke_url(self) -> str:
        return f"{self.url}/v2/oauth2/tokens/revoke"

    @property
    def authorize_url(self) -> str:
        return f"{self.url}/connect/oauth2"

    def __enter__(self) -> FakeQuickBooks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- what a test does ---------------------------------------------------------------------------

    def grant(self, access_seconds: int | None = None) -> dict[str, str]:
        """Tokens as if the owner had just connected: Keel's stored secrets (expiry on the fake's clock)."""
        with self._lock:
            access, refresh = self._issue(access_seconds)
        expires = self.now + timedelta(
            seconds=self.access_seconds if access_seconds is None else access_seconds
        )
        return {
            "access_token": access,
            "refresh_token": refresh,
            "access_token_expires_at": expires.isoformat(),
        }

    def expire_access_tokens(self) -> None:
        """Every access token stops working (QuickBooks answers 401) although its stated life is not over."""
        with self._lock:
            self.access_tokens.clear()

    def revoke(self) -> None:
        """The owner disconnected Keel in QuickBooks: every token stops working."""
        with self._lock:
            self.access_tokens.clear()
            self.refresh_tokens.clear()

    def delete(self, resource: str, object_id: str, when: str) -> dict[str, Any]:
        """Delete an object (it leaves the queries; CDC reports it as deleted at ``when``)."""
        with self._lock:
            found = next(o for o in self.objects[resource] if o.get("Id") == object_id)
            self.objects[resource].remove(found)
            self.deleted[resource].append((object_id, when))
        return found

    def fault(self, kind: str, endpoint: str | None = None, times: int = 1) -> None:
        """Answer the next ``times`` requests (to ``endpoint``: query, cdc, token; or any) with a fault."""
        if kind not in ("429", "500", "503", "timeout", "truncated"):
            raise ValueError(f"unknown fault {kind!r}")
        with self._lock:
            self._faults.extend(Fault(kind, endpoint) for _ in range(times))

    def seen(self, endpoint: str | None = None, entity: str | None = None) -> list[Seen]:
        with self._lock:
            return [
                r
                for r in self.requests
                if (endpoint is None or r.endpoint == endpoint) and (entity is None or r.entity == entity)
            ]

    def served_pages(self) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.status == 200 and r.endpoint in ("query", "cdc"))

    # -- OAuth --------------------------------------------------------------------------------------

    def _issue(self, access_seconds: int | None = None) -> tuple[str, str]:
        access, refresh = f"eyJfake.{secrets.token_urlsafe(24)}", f"AB11{secrets.token_urlsafe(24)}"
        life = self.access_seconds if access_seconds is None else access_seconds
        self.access_tokens[access] = self.now + timedelta(seconds=life)
        self.refresh_tokens.add(refresh)
        return access, refresh

    def _authorize(self, params: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        redirect = params.get("redirect_uri", "")
        if params.get("client_id") != CLIENT_ID or params.get("response_type") != "code":
            return 400, b"invalid client or response type", {}
        if SCOPE not in params.get("scope", "").split() or not redirect.startswith("http://127.0.0.1:"):
            return 400, b"invalid scope or redirect_uri", {}
        if self.deny_consent:
            back = {"error": "access_denied", "state": params.get("state", "")}
        else:
            code = f"AB11code{secrets.token_urlsafe(16)}"
            with self._lock:
                self.codes.add(code)
            back = {"code": code, "state": params.get("state", ""), "realmId": self.realm_id}
        return 302, b"", {"Location": f"{redirect}?{urlencode(back)}"}

    def _token(self, form: dict[str, str], authorization: str | None) -> tuple[int, bytes]:
        basic = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if authorization != basic:
            return 401, json.dumps({"error": "invalid_client"}).encode()
        with self._lock:
            grant = form.get("grant_type")
            if grant == "authorization_code":
                if form.get("code") not in self.codes:
                    return 400, json.dumps({"error": "invalid_grant"}).encode()
                self.codes.discard(form["code"])
            elif grant == "refresh_token":
                if form.get("refresh_token") not in self.refresh_tokens:
                    return 400, json.dumps({"error": "invalid_grant"}).encode()
                self.refresh_tokens.discard(form["refresh_token"])  # rotated: the old one is dead
            else:
                return 400, json.dumps({"error": "unsupported_grant_type"}).encode()
            access, refresh = self._issue()
        body = {
            "token_type": "bearer",
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": self.access_seconds,
            "x_refresh_token_expires_in": 8_726_400,
        }
        return 200, json.dumps(body).encode()

    def _revoke(self, form: dict[str, str], authorization: str | None) -> tuple[int, bytes]:
        """Intuit's revocation: ``{"token": <refresh or access token>}`` ends the whole grant."""
        basic = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if authorization != basic:
            return 401, json.dumps({"error": "invalid_client"}).encode()
        token = form.get("token", "")
        with self._lock:
            if token not in self.refresh_tokens and token not in self.access_tokens:
                return 400, json.dumps({"error": "invalid_token"}).encode()
            self.refresh_tokens.discard(token)
            self.access_tokens.pop(token, None)
            self.revoked.append(token)
        return 200, b""

    # -- the API ------------------------------------------------------------------------------------

    def _take_fault(self, endpoint: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.endpoint in (None, endpoint):
                    self._faults.remove(fault)
                    return fault
        return None

    def _throttled(self) -> bool:
        with self._lock:
            now = time.monotonic()
            while self._calls and now - self._calls[0] >= self.throttle_window:
                self._calls.popleft()
            if len(self._calls) >= self.per_minute:
                return True
            self._calls.append(now)
            return False

    def answer(self, path: str, params: dict[str, str], headers: Any) -> tuple[int, bytes, dict[str, str]]:
        match = _COMPANY.match(path)
        if not match:
            return *_fault(404, "Not Found", "404"), {}
        if match.group("realm") != self.realm_id:
            return *_fault(403, "Not authorized for this company", "003100", "AuthorizationFault"), {}
        token = (headers.get("Authorization") or "").removeprefix("Bearer ")
        with self._lock:
            expiry = self.access_tokens.get(token)
        if expiry is None or self.now >= expiry:
            return *_fault(401, "AuthenticationFailed; Token expired", "3200", "AUTHENTICATION"), {}
        endpoint = match.group("endpoint")
        if self._throttled():
            extra = {"Retry-After": f"{self.retry_after:.0f}"} if self.retry_after is not None else {}
            return *_fault(429, "ThrottleExceeded", "003001", "SERVICE"), extra
        fault = self._take_fault(endpoint)
        if fault is not None and fault.kind in ("429", "500", "503"):
            extra = (
                {"Retry-After": f"{self.retry_after:.0f}"}
                if fault.kind == "429" and self.retry_after is not None
                else {}
            )
            return *_fault(int(fault.kind), f"planned {fault.kind}", fault.kind, "SERVICE"), extra
        if fault is not None and fault.kind == "timeout":
            time.sleep(self.timeout_sleep)
        if self.page_delay:
            time.sleep(self.page_delay)
        status, body = self._query(params) if endpoint == "query" else self._cdc(params)
        payload = json.dumps(body).encode()
        if fault is not None and fault.kind == "truncated" and status == 200:
            payload = payload[: max(1, len(payload) // 2)]
        return status, payload, {}

    def _query(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        match = _QUERY.match(params.get("query", ""))
        if not match:
            return 400, json.loads(_fault(400, "QueryParserError: Encountered an error", "4000")[1])
        entity, where = match.group("entity"), match.group("where")
        start, size = int(match.group("start")), int(match.group("size"))
        if entity not in BY_ENTITY or start < 1 or not 1 <= size <= 1000:
            return 400, json.loads(_fault(400, "QueryValidationError", "4001")[1])
        with self._lock:
            found = list(self.objects[BY_ENTITY[entity]])
        active_only = entity in NAME_LISTS
        for condition in (c.strip() for c in (where or "").split(" and ") if c.strip()):
            since = _SINCE.match(condition)
            if condition.lower() == "active in (true, false)":
                active_only = False
            elif since:
                bound = instant(since.group("at"))
                if bound == -math.inf:
                    return 400, json.loads(_fault(400, "QueryValidationError: bad date", "4001")[1])
                found = [o for o in found if updated(o) >= bound]
            else:
                return 400, json.loads(_fault(400, f"QueryParserError: {condition}", "4000")[1])
        if active_only:
            found = [o for o in found if o.get("Active", True) is not False]
        found.sort(key=lambda o: (updated(o), str(o.get("Id"))))
        page = found[start - 1 : start - 1 + size]
        answer: dict[str, Any] = {"startPosition": start, "maxResults": len(page)}
        if page:
            answer[entity] = page
        return 200, {"QueryResponse": answer, "time": self.now.isoformat()}

    def _cdc(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        entity = params.get("entities", "")
        since = instant(params.get("changedSince"))
        if entity not in BY_ENTITY or since == -math.inf:
            return 400, json.loads(_fault(400, "Invalid entities or changedSince", "2010")[1])
        if since < (self.now - timedelta(days=30)).timestamp():
            return 400, json.loads(_fault(400, "changedSince cannot be more than 30 days ago", "2010")[1])
        name = BY_ENTITY[entity]
        with self._lock:
            changed = [o for o in self.objects[name] if updated(o) >= since]
            changed += [
                {"domain": "QBO", "status": "Deleted", "Id": object_id, "MetaData": {"LastUpdatedTime": when}}
                for object_id, when in self.deleted[name]
                if instant(when) >= since
            ]
        changed.sort(key=lambda o: (updated(o), str(o.get("Id"))))
        total = len(changed)
        changed = changed[: self.cdc_max]
        query = {"startPosition": 1, "maxResults": len(changed), "totalCount": total}
        if changed:
            query[entity] = changed
        return 200, {"CDCResponse": [{"QueryResponse": [query]}], "time": self.now.isoformat()}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
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

            def _record(self, path: str, params: dict[str, str], arrived: float, status: int) -> None:
                with fake._lock:
                    fake.requests.append(Seen(path, params, arrived, status))

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                arrived = time.monotonic()
                if parts.path == "/connect/oauth2":
                    status, payload, headers = fake._authorize(params)
                else:
                    status, payload, headers = fake.answer(parts.path, params, self.headers)
                self._record(parts.path, params, arrived, status)
                self._send(status, payload, headers)

            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    form = {str(k): str(v) for k, v in json.loads(body or "{}").items()}
                else:
                    form = {k: v[-1] for k, v in parse_qs(body).items()}
                arrived = time.monotonic()
                if parts.path == "/v2/oauth2/tokens/revoke":
                    status, payload = fake._revoke(form, self.headers.get("Authorization"))
                elif parts.path != "/oauth2/v1/tokens/bearer":
                    status, payload = 404, b"{}"
                else:
                    status, payload = fake._token(form, self.headers.get("Authorization"))
                self._record(parts.path, {"grant_type": form.get("grant_type", "")}, arrived, status)
                self._send(status, payload, {})

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet test output

        return Handler
