"""A fake Salesforce org on 127.0.0.1 for tests: a real HTTP server (stdlib, in a thread) speaking the
wire format Keel's connector relies on, as Salesforce does:

- ``POST /services/oauth2/token`` (form-encoded): ``refresh_token`` and ``authorization_code`` grants
  (client id and secret checked) and the JWT bearer grant (``assertion`` verified with the connected app's
  certificate: RS256 signature, ``iss`` = consumer key, ``sub`` = a known user, ``aud`` = the login
  host, ``exp`` in the future); answers ``{"access_token", "instance_url", "id", "token_type", ...}``
  or ``400 {"error": "invalid_grant", "error_description": ...}``;
- ``GET /services/oauth2/authorize`` (the approval page): checks the consumer key, ``response_type=code``,
  the scopes and a loopback ``redirect_uri``, and sends the browser back there with ``code`` and
  ``state`` (or ``error=access_denied`` when ``deny_consent`` is set); ``POST /services/oauth2/revoke``
  (form-encoded ``token``) forgets a refresh token;
- ``GET /services/data/vXX.X/query`` and ``/queryAll`` with ``q`` = ``SELECT <fields> FROM <object>
  [WHERE SystemModstamp >= <datetime> [AND IsDeleted = true]]``: pages of ``batch_size`` records with
  ``totalSize``, ``done`` and ``nextRecordsUrl`` (``/services/data/vXX.X/query/01g...-<offset>``);
  ``query`` leaves deleted records out, ``queryAll`` includes them; an unknown field is ``400
  INVALID_FIELD``;
- Bulk API 2.0 query jobs: ``POST .../jobs/query`` (JSON), ``GET .../jobs/query/<id>`` (``InProgress``
  on the first poll, then ``JobComplete``), ``GET .../jobs/query/<id>/results?maxRecords=&locator=``
  (CSV, ``Sforce-Locator`` of the next page or ``null``, ``Sforce-NumberOfRecords``);
- ``Authorization: Bearer <token>``: an unknown or expired token is ``401 [{"errorCode":
  "INVALID_SESSION_ID"}]``; every API answer carries ``Sforce-Limit-Info: api-usage=<used>/<allowance>``;
- injectable faults for the next matching requests: ``403 REQUEST_LIMIT_EXCEEDED``, 500, 503, a timeout
  (the answer comes after the client stopped waiting), a truncated JSON page; a delay on every answer.

It serves the demo simulator's Salesforce records of one tenant (without Keel's ``tenant_id``), keyed by
resource name; a test edits ``fake.objects`` between runs. Every request is recorded.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ingestion.demo import DemoWorld, shapes_salesforce
from ingestion.demo.shapes_common import ShapeContext
from ingestion.sources.salesforce.settings import FIELDS, OBJECTS

RESOURCES = tuple(OBJECTS)
BY_OBJECT = {sobject: name for name, sobject in OBJECTS.items()}
CLIENT_ID = "3MVG9fakeConsumerKey.keel0123456789"
CLIENT_SECRET = "F4KE5ECRET0123456789"
REFRESH_TOKEN = "5Aep861fakeRefreshToken0123456789"
USERNAME = "integration@ledgerline.example"
_API = re.compile(r"^/services/data/v(?P<version>\d+\.\d)/(?P<rest>.+)$")
_SOQL = re.compile(r"^SELECT (?P<fields>.+?) FROM (?P<object>\w+)(?: WHERE (?P<where>.+))?$", re.IGNORECASE)
_SINCE = re.compile(r"^SystemModstamp >= (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)$")


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    params: dict[str, str]
    at: float
    status: int

    @property
    def endpoint(self) -> str:
        """token, authorize, revoke, query, queryAll, query-more, bulk-create, bulk-poll or bulk-results."""
        if self.path.startswith("/services/oauth2/"):
            return self.path.rsplit("/", 1)[-1]
        match = _API.match(self.path)
        rest = match.group("rest") if match else self.path
        if rest in ("query", "queryAll"):
            return rest
        if rest.startswith(("query/", "queryAll/")):
            return "query-more"
        if rest == "jobs/query":
            return "bulk-create"
        if rest.startswith("jobs/query/") and rest.endswith("/results"):
            return "bulk-results"
        if rest.startswith("jobs/query/"):
            return "bulk-poll"
        return rest

    @property
    def sobject(self) -> str | None:
        match = _SOQL.match(self.params.get("q", ""))
        return match.group("object") if match else None


def instant(value: Any) -> float:
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return float("-inf")


def _b64url(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


class FakeSalesforce:
    """The fake org; ``with FakeSalesforce(objects, public_key=...) as org:`` starts it on a free port."""

    def __init__(
        self,
        objects: dict[str, list[dict[str, Any]]],
        *,
        public_key: rsa.RSAPublicKey | None = None,
        batch_size: int = 2000,
        api_allowance: int = 15_000,
        timeout_sleep: float = 2.5,
    ) -> None:
        self.objects = objects
        self.public_key = public_key
        self.batch_size = batch_size
        self.api_allowance = api_allowance
        self.api_used = 0
        self.timeout_sleep = timeout_sleep
        self.page_delay = 0.0
        self.refresh_tokens = {REFRESH_TOKEN}
        self.codes: dict[str, str] = {}  # authorization code -> redirect uri
        self.deny_consent = False
        self.revoked: list[str] = []
        self.tokens: set[str] = set()
        self.expire_after: int | None = None  # API calls after which every token expires
        self.requests: list[Seen] = []
        self._cursors: dict[str, list[dict[str, Any]]] = {}
        self._jobs: dict[str, dict[str, Any]] = {}
        self._faults: deque[tuple[str, str | None]] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-salesforce", daemon=True
        )

    @classmethod
    def serving(cls, world: DemoWorld, tenant_id: str, **options: Any) -> FakeSalesforce:
        """A fake serving the simulator's Salesforce records of one demo B2B tenant (built from its run:
        the demo catalogue gives no tenant Salesforce yet)."""
        context = ShapeContext(world.run(tenant_id))
        objects = {
            name: [
                {k: v for k, v in record.items() if k != "tenant_id"}
                for record in getattr(shapes_salesforce, name)(context)
            ]
            for name in RESOURCES
        }
        return cls(objects, **options)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeSalesforce:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def fault(self, kind: str, endpoint: str | None = None, times: int = 1) -> None:
        """Answer the next ``times`` API requests (to ``endpoint``: :attr:`Seen.endpoint`) with a fault."""
        if kind not in ("REQUEST_LIMIT_EXCEEDED", "500", "503", "timeout", "truncated"):
            raise ValueError(f"unknown fault {kind!r}")
        with self._lock:
            self._faults.extend((kind, endpoint) for _ in range(times))

    def expire_tokens(self) -> None:
        with self._lock:
            self.tokens.clear()

    def authorize(self, redirect_uri: str) -> str:
        """An authorization code, as the consent page would hand it to ``redirect_uri``."""
        code = f"aPrx{uuid.uuid4().hex}"
        with self._lock:
            self.codes[code] = redirect_uri
        return code

    def _consent(self, params: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        """The approval page, as if the owner signed in and clicked Allow (or Deny)."""
        redirect = params.get("redirect_uri", "")
        if params.get("client_id") != CLIENT_ID or params.get("response_type") != "code":
            return 400, b"error=invalid_client_id", {"Content-Type": "text/plain"}
        scopes = set(params.get("scope", "").split())
        if not {"api", "refresh_token"} <= scopes or not redirect.startswith(
            ("http://127.0.0.1:", "http://localhost:")
        ):
            return 400, b"error=redirect_uri_mismatch", {"Content-Type": "text/plain"}
        if self.deny_consent:
            back = {"error": "access_denied", "error_description": "end-user denied authorization"}
        else:
            back = {"code": self.authorize(redirect)}
        back["state"] = params.get("state", "")
        return 302, b"", {"Location": f"{redirect}?{urlencode(back)}"}

    def _revoke(self, form: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        token = form.get("token", "")
        with self._lock:
            if token not in self.refresh_tokens and token not in self.tokens:
                return _oauth_error("unsupported_token_type", "this token type is not supported")
            self.refresh_tokens.discard(token)
            self.tokens.discard(token)
            self.revoked.append(token)
        return 200, b"", {}

    def seen(self, endpoint: str | None = None, sobject: str | None = None) -> list[Seen]:
        with self._lock:
            return [
                r
                for r in self.requests
                if (endpoint is None or r.endpoint == endpoint) and (sobject is None or r.sobject == sobject)
            ]

    def served_pages(self) -> int:
        with self._lock:
            return sum(
                1
                for r in self.requests
                if r.status == 200 and r.endpoint not in ("token", "authorize", "revoke")
            )

    # -- OAuth ------------------------------------------------------------------------------------------

    def _token(self, form: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        grant = form.get("grant_type")
        refresh: str | None = None
        if grant == "refresh_token":
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                return _oauth_error("invalid_client", "invalid client credentials")
            if form.get("refresh_token") not in self.refresh_tokens:
                return _oauth_error("invalid_grant", "expired access/refresh token")
        elif grant == "authorization_code":
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                return _oauth_error("invalid_client", "invalid client credentials")
            with self._lock:
                redirect = self.codes.pop(form.get("code", ""), None)
            if redirect is None or redirect != form.get("redirect_uri"):
                return _oauth_error("invalid_grant", "invalid authorization code")
            refresh = f"5Aep861{uuid.uuid4().hex}"
            self.refresh_tokens.add(refresh)
        elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            problem = self._check_assertion(form.get("assertion", ""))
            if problem is not None:
                return _oauth_error("invalid_grant", problem)
        else:
            return _oauth_error("unsupported_grant_type", "grant type not supported")
        token = f"00D8d000000Fake!{uuid.uuid4().hex}"
        with self._lock:
            self.tokens.add(token)
        body = {
            "access_token": token,
            "instance_url": self.url,
            "id": f"{self.url}/id/00D8d000000FakeEAA/0058d000001KeelAAA",
            "token_type": "Bearer",
            "issued_at": str(int(time.time() * 1000)),
            "signature": base64.b64encode(uuid.uuid4().bytes).decode(),
            "scope": "api refresh_token",
        }
        if refresh is not None:
            body["refresh_token"] = refresh
        return 200, json.dumps(body).encode(), {}

    def _check_assertion(self, assertion: str) -> str | None:
        """Why a JWT bearer assertion is refused (None: accepted)."""
        try:
            head, claims_part, signature = assertion.split(".")
            header = json.loads(_b64url(head))
            claims = json.loads(_b64url(claims_part))
        except ValueError:
            return "invalid assertion"
        if header.get("alg") != "RS256" or self.public_key is None:
            return "invalid assertion"
        try:
            self.public_key.verify(
                _b64url(signature), f"{head}.{claims_part}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            return "invalid assertion"
        if claims.get("iss") != CLIENT_ID:
            return "invalid client identifier"
        if claims.get("sub") != USERNAME:
            return "user hasn't approved this consumer"
        if claims.get("aud") != self.url:
            return "audience is invalid"
        if not isinstance(claims.get("exp"), int) or claims["exp"] < time.time():
            return "expired authorization code"
        return None

    # -- the APIs ---------------------------------------------------------------------------------------

    def _take_fault(self, endpoint: str) -> str | None:
        with self._lock:
            for fault in self._faults:
                if fault[1] in (None, endpoint):
                    self._faults.remove(fault)
                    return fault[0]
        return None

    def answer(
        self, method: str, path: str, params: dict[str, str], headers: Any, body: bytes
    ) -> tuple[int, bytes, dict[str, str]]:
        if path == "/services/oauth2/token" and method == "POST":
            form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
            return self._token(form)
        if path == "/services/oauth2/authorize" and method == "GET":
            return self._consent(params)
        if path == "/services/oauth2/revoke" and method == "POST":
            return self._revoke({k: v[-1] for k, v in parse_qs(body.decode()).items()})
        match = _API.match(path)
        if not match:
            return _error(404, "NOT_FOUND", "The requested resource does not exist")
        auth = headers.get("Authorization", "")
        with self._lock:
            if self.expire_after is not None:
                self.expire_after -= 1
                if self.expire_after < 0:
                    self.tokens.clear()
                    self.expire_after = None
            valid = auth.startswith("Bearer ") and auth[7:] in self.tokens
        if not valid:
            return _error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        with self._lock:
            self.api_used += 1
            limit = {"Sforce-Limit-Info": f"api-usage={self.api_used}/{self.api_allowance}"}
        endpoint = Seen(method, path, params, 0.0, 0).endpoint
        fault = self._take_fault(endpoint)
        if fault == "REQUEST_LIMIT_EXCEEDED":
            return (*_error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")[:2], limit)
        if fault in ("500", "503"):
            code = "SERVER_UNAVAILABLE" if fault == "503" else "UNKNOWN_EXCEPTION"
            return (*_error(int(fault), code, f"planned {fault}")[:2], limit)
        if fault == "timeout":
            time.sleep(self.timeout_sleep)
        if self.page_delay:
            time.sleep(self.page_delay)
        status, payload, extra = self._api(method, match.group("version"), match.group("rest"), params, body)
        if fault == "truncated" and status == 200:
            payload = payload[: max(1, len(payload) // 2)]
        return status, payload, {**limit, **extra}

    def _api(
        self, method: str, version: str, rest: str, params: dict[str, str], body: bytes
    ) -> tuple[int, bytes, dict[str, str]]:
        if rest in ("query", "queryAll") and method == "GET":
            found = self._select(params.get("q", ""), include_deleted=rest == "queryAll")
            if isinstance(found[0], int):
                return found  # type: ignore[return-value]
            return self._page(version, rest, found[1], 0)
        more = re.match(r"^(query|queryAll)/(?P<cursor>01g\w+)-(?P<offset>\d+)$", rest)
        if more and method == "GET":
            with self._lock:
                rows = self._cursors.get(more.group("cursor"))
            if rows is None:
                return _error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
            return self._page(version, more.group(1), rows, int(more.group("offset")), more.group("cursor"))
        if rest == "jobs/query" and method == "POST":
            try:
                job = json.loads(body)
            except ValueError:
                return _error(400, "JSON_PARSER_ERROR", "not JSON")
            if job.get("operation") not in ("query", "queryAll"):
                return _error(400, "INVALIDJOB", "operation must be query or queryAll")
            found = self._select(str(job.get("query", "")), include_deleted=job["operation"] == "queryAll")
            if isinstance(found[0], int):
                return found  # type: ignore[return-value]
            job_id = f"7508d{uuid.uuid4().hex[:13]}"
            with self._lock:
                self._jobs[job_id] = {"rows": found[1], "polls": 0, "fields": found[0]}
            info = {
                "id": job_id,
                "operation": job["operation"],
                "state": "UploadComplete",
                "contentType": "CSV",
            }
            return 200, json.dumps(info).encode(), {}
        bulk = re.match(r"^jobs/query/(?P<job>\w+)(?P<results>/results)?$", rest)
        if bulk and method == "GET":
            with self._lock:
                job = self._jobs.get(bulk.group("job"))
            if job is None:
                return _error(404, "NOT_FOUND", "job not found")
            if not bulk.group("results"):
                job["polls"] += 1
                state = "InProgress" if job["polls"] == 1 else "JobComplete"
                info = {"id": bulk.group("job"), "state": state, "numberRecordsProcessed": len(job["rows"])}
                return 200, json.dumps(info).encode(), {}
            if job["polls"] < 2:
                return _error(400, "INVALIDJOB", "the job is not complete")
            start = int(params.get("locator") or 0)
            size = int(params.get("maxRecords") or 10_000)
            chunk = job["rows"][start : start + size]
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=job["fields"], lineterminator="\n")
            writer.writeheader()
            for row in chunk:
                writer.writerow({f: _csv_value(row.get(f)) for f in job["fields"]})
            locator = str(start + size) if start + size < len(job["rows"]) else "null"
            headers = {
                "Content-Type": "text/csv",
                "Sforce-Locator": locator,
                "Sforce-NumberOfRecords": str(len(chunk)),
            }
            return 200, out.getvalue().encode(), headers
        return _error(404, "NOT_FOUND", "The requested resource does not exist")

    def _select(
        self, soql: str, include_deleted: bool
    ) -> tuple[list[str], list[dict[str, Any]]] | tuple[int, bytes, dict[str, str]]:
        """(the fields asked for, the records a SOQL query selects) or an error answer."""
        match = _SOQL.match(soql.strip())
        if not match:
            return _error(400, "MALFORMED_QUERY", f"unexpected query: {soql[:80]}")
        sobject = match.group("object")
        fields = [f.strip() for f in match.group("fields").split(",")]
        resource = BY_OBJECT.get(sobject)
        if resource is None:
            return _error(400, "INVALID_TYPE", f"sObject type '{sobject}' is not supported.")
        with self._lock:
            rows = [dict(o) for o in self.objects[resource]]
        allowed = set(FIELDS[sobject]) | {"CurrencyIsoCode" for row in rows if "CurrencyIsoCode" in row}
        unknown = [f for f in fields if f not in allowed]
        if unknown:
            return _error(400, "INVALID_FIELD", f"No such column '{unknown[0]}' on entity '{sobject}'.")
        since: float | None = None
        deleted_only = False
        where = match.group("where")
        for condition in where.split(" AND ") if where else []:
            found = _SINCE.match(condition.strip())
            if found:
                since = instant(found.group(1).replace("Z", "+00:00"))
            elif condition.strip() == "IsDeleted = true":
                deleted_only = True
            else:
                return _error(400, "MALFORMED_QUERY", f"unexpected condition: {condition}")
        selected = []
        for row in rows:
            if row.get("IsDeleted") and not include_deleted:
                continue
            if deleted_only and not row.get("IsDeleted"):
                continue
            if since is not None and instant(row.get("SystemModstamp")) < since:
                continue
            selected.append(
                {
                    "attributes": {
                        "type": sobject,
                        "url": f"/services/data/v62.0/sobjects/{sobject}/{row.get('Id')}",
                    },
                    **{f: row.get(f) for f in fields},
                }
            )
        return fields, selected

    def _page(
        self, version: str, endpoint: str, rows: list[dict[str, Any]], offset: int, cursor: str | None = None
    ) -> tuple[int, bytes, dict[str, str]]:
        page = rows[offset : offset + self.batch_size]
        done = offset + self.batch_size >= len(rows)
        body: dict[str, Any] = {"totalSize": len(rows), "done": done, "records": page}
        if not done:
            if cursor is None:
                cursor = f"01g8d{uuid.uuid4().hex[:13]}"
                with self._lock:
                    self._cursors[cursor] = rows
            body["nextRecordsUrl"] = (
                f"/services/data/v{version}/{endpoint}/{cursor}-{offset + self.batch_size}"
            )
        return 200, json.dumps(body).encode(), {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                arrived = time.monotonic()
                status, payload, headers = fake.answer(method, parts.path, params, self.headers, body)
                with fake._lock:
                    fake.requests.append(Seen(method, parts.path, params, arrived, status))
                try:
                    self.send_response(status)
                    if "Content-Type" not in headers:
                        self.send_header("Content-Type", "application/json;charset=UTF-8")
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up waiting (a planned timeout)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _error(status: int, code: str, message: str) -> tuple[int, bytes, dict[str, str]]:
    return status, json.dumps([{"message": message, "errorCode": code}]).encode(), {}


def _oauth_error(error: str, description: str) -> tuple[int, bytes, dict[str, str]]:
    return 400, json.dumps({"error": error, "error_description": description}).encode(), {}
