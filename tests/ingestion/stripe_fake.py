"""A fake Stripe API on 127.0.0.1 for tests: a real HTTP server (stdlib, in a thread) speaking Stripe's REST.

What it speaks, as Stripe does (API version 2024-06-20):
- Bearer authentication with the account's key; Stripe's error JSON
  (``{"error": {"type": "invalid_request_error", "message": ...}}``) for a missing, wrong or revoked key
  (401), a key without permission (403), unknown URLs (404) and bad parameters (400).
- List objects ``{"object": "list", "data": [...], "has_more": ..., "url": ...}``, newest first, with
  ``limit`` (1..100, default 10), ``starting_after`` / ``ending_before`` and ``created[gte|gt|lte|lt]``;
  subscriptions list only those not canceled unless ``status=all``.
- ``GET /v1/<resource>/<id>``; embedded lists (invoice ``lines``, subscription ``items``) show their first
  ``embedded_list_limit`` entries with ``has_more``, the rest at ``/v1/invoices/<id>/lines`` and
  ``/v1/subscription_items?subscription=<id>``.
- ``/v1/events`` (``type`` with ``*`` wildcards, ``types[]``, ``created[...]``): events made from the
  changes a test applies (:meth:`FakeStripe.refund_charge`, :meth:`cancel_subscription`,
  :meth:`update_customer`) and, for the demo's objects, one per object whose demo ``updated`` is later
  than its ``created`` (a refunded charge, a paid invoice, a renewed or cancelled subscription).
- Rate limiting (429 past ``rate_limit`` requests a second) and injectable faults on the next request of
  a path: 429, 500, a timeout, a page cut off in transit, a body that is not JSON.

It serves the demo simulator's Stripe objects with the demo's ``updated`` and ``tenant_id`` removed
(real Stripe objects have neither). Every request is recorded.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ingestion.demo import DemoWorld
from ingestion.sources.stripe.settings import API_VERSION, OBJECT_TYPES, RESOURCES

RESOURCE_NAMES = tuple(spec.name for spec in RESOURCES)
FAULTS = ("429", "500", "500_no_retry", "timeout", "truncated", "not_json")
#: The event a demo object's latest change makes (its demo ``updated``); None: changes make no event.
DEMO_CHANGE_EVENTS: dict[str, str | None] = {
    "customers": "customer.updated",
    "charges": "charge.refunded",
    "refunds": None,
    "subscriptions": "customer.subscription.updated",
    "invoices": "invoice.paid",
    "balance_transactions": None,  # pending -> available is seen in the object's status only
}


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    params: dict[str, list[str]]
    stripe_version: str | None
    at: float  # time.monotonic() when the request arrived
    status: int


def _error(status: int, message: str, kind: str = "invalid_request_error", **extra: Any) -> tuple[int, str]:
    return status, json.dumps({"error": {"type": kind, "message": message, **extra}})


def _created(obj: Any) -> int:
    value = obj.get("created") if isinstance(obj, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _sort_key(obj: Any) -> tuple[int, str]:
    return _created(obj), str(obj.get("id", "")) if isinstance(obj, dict) else ""


class FakeStripe:
    """The fake API of one Stripe account; ``with FakeStripe(...) as stripe:`` starts it on 127.0.0.1."""

    def __init__(
        self,
        api_key: str,
        objects: dict[str, list[Any]],
        events: Iterable[dict[str, Any]] = (),
        *,
        embedded_list_limit: int = 10,
        rate_limit: int | None = None,
        timeout_delay: float = 2.0,
    ) -> None:
        self.api_key = api_key
        self.revoked = False
        self.forbidden: set[str] = set()  # resources the key may not read (403)
        self.embedded_list_limit = embedded_list_limit
        self.rate_limit = rate_limit
        self.timeout_delay = timeout_delay
        self.objects: dict[str, list[Any]] = {name: list(objects.get(name, [])) for name in RESOURCE_NAMES}
        self.events: list[dict[str, Any]] = list(events)
        self.requests: list[Seen] = []
        self._faults: dict[str, deque[str]] = defaultdict(deque)
        self._recent: deque[float] = deque()
        self._lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-stripe", daemon=True)

    @classmethod
    def from_world(cls, world: DemoWorld, tenant: str, api_key: str, **options: Any) -> FakeStripe:
        """The tenant's demo Stripe objects without ``updated`` and ``tenant_id``; one event per object at
        its demo ``updated`` where that is later than its ``created``."""
        objects: dict[str, list[Any]] = {}
        changes: list[tuple[int, str, dict[str, Any]]] = []
        for name in RESOURCE_NAMES:
            objects[name] = []
            for record in world.records("stripe", name, tenant):
                obj = {k: v for k, v in record.items() if k not in ("tenant_id", "updated")}
                objects[name].append(obj)
                kind = DEMO_CHANGE_EVENTS[name]
                if kind is not None and record["updated"] > record["created"]:
                    if name == "subscriptions" and obj["status"] == "canceled":
                        kind = "customer.subscription.deleted"
                    changes.append((record["updated"], kind, obj))
        fake = cls(api_key, objects, **options)
        for at, kind, obj in sorted(changes, key=lambda c: (c[0], c[2]["id"])):
            fake._event(kind, obj, at)
        return fake

    def copy(self, **options: Any) -> FakeStripe:
        """A new fake (not started) of the same account: same key, objects and events, its own state."""
        return FakeStripe(self.api_key, copy.deepcopy(self.objects), copy.deepcopy(self.events), **options)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeStripe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- what a test does to the account -----------------------------------------------------------

    def fail_next(self, path: str, fault: str, times: int = 1) -> None:
        """Answer the next ``times`` requests of ``path`` (``/v1/charges``) with ``fault`` (see FAULTS)."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {FAULTS}")
        with self._lock:
            self._faults[path].extend([fault] * times)

    def get(self, resource: str, object_id: str) -> dict[str, Any]:
        with self._lock:
            found = next(
                (o for o in self.objects[resource] if isinstance(o, dict) and o.get("id") == object_id), None
            )
        if found is None:
            raise KeyError(f"no {resource} {object_id!r} on the fake")
        return found

    def add(self, resource: str, obj: Any) -> None:
        """A new object, well-formed or not (a malformed one is served as it is)."""
        with self._lock:
            self.objects[resource].append(obj)

    def refund_charge(self, charge_id: str, at: int, amount: int | None = None) -> dict[str, Any]:
        """Refund a charge (all of it by default): a refund, its balance transaction, and the events."""
        with self._lock:
            charge = self.get("charges", charge_id)
            amount = charge["amount"] - charge["amount_refunded"] if amount is None else amount
            digest = hashlib.sha256(f"{charge_id}:{at}".encode()).hexdigest()[:24]
            refund = {
                "id": f"re_{digest}",
                "object": "refund",
                "amount": amount,
                "balance_transaction": f"txn_r{digest}",
                "charge": charge_id,
                "created": at,
                "currency": charge["currency"],
                "metadata": {},
                "payment_intent": charge.get("payment_intent"),
                "reason": "requested_by_customer",
                "receipt_number": None,
                "status": "succeeded",
            }
            previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
            self.objects["refunds"].append(refund)
            self.objects["balance_transactions"].append(
                {
                    "id": refund["balance_transaction"],
                    "object": "balance_transaction",
                    "amount": -amount,
                    "available_on": at - at % 86_400 + 2 * 86_400,
                    "created": at,
                    "currency": charge["currency"],
                    "description": "REFUND FOR CHARGE",
                    "exchange_rate": None,
                    "fee": 0,
                    "fee_details": [],
                    "net": -amount,
                    "reporting_category": "refund",
                    "source": refund["id"],
                    "status": "pending",
                    "type": "refund",
                }
            )
            self._event("charge.refunded", charge, at, previous)
            self._event("refund.created", refund, at)
            return refund

    def cancel_subscription(self, subscription_id: str, at: int) -> dict[str, Any]:
        with self._lock:
            sub = self.get("subscriptions", subscription_id)
            previous = {
                "status": sub["status"],
                "canceled_at": sub["canceled_at"],
                "ended_at": sub["ended_at"],
            }
            sub.update(
                status="canceled", canceled_at=at, ended_at=at, cancel_at=None, cancel_at_period_end=False
            )
            sub["cancellation_details"] = {**sub["cancellation_details"], "reason": "cancellation_requested"}
            self._event("customer.subscription.deleted", sub, at, previous)
            return sub

    def update_customer(self, customer_id: str, at: int, **changes: Any) -> dict[str, Any]:
        with self._lock:
            customer = self.get("customers", customer_id)
            previous = {key: customer.get(key) for key in changes}
            customer.update(changes)
            self._event("customer.updated", customer, at, previous)
            return customer

    def settle_balance(self, now: int) -> int:
        """Funds of pending balance transactions whose ``available_on`` has come become available."""
        settled = 0
        with self._lock:
            for txn in self.objects["balance_transactions"]:
                if isinstance(txn, dict) and txn.get("status") == "pending" and txn["available_on"] <= now:
                    txn["status"] = "available"
                    settled += 1
        return settled

    def seen(self, path: str) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _event(self, kind: str, obj: dict[str, Any], at: int, previous: dict[str, Any] | None = None) -> None:
        seed = f"{kind}:{obj.get('id')}:{at}:{len(self.events) + 1}"
        data: dict[str, Any] = {"object": copy.deepcopy(obj)}
        if previous is not None:
            data["previous_attributes"] = previous
        self.events.append(
            {
                "id": f"evt_{hashlib.sha256(seed.encode()).hexdigest()[:24]}",
                "object": "event",
                "api_version": API_VERSION,
                "created": at,
                "data": data,
                "livemode": False,
                "pending_webhooks": 0,
                "request": {"id": None, "idempotency_key": None},
                "type": kind,
            }
        )

    # -- the API ------------------------------------------------------------------------------------

    def _answer(self, method: str, path: str, params: dict[str, list[str]], headers: Any) -> tuple[int, str]:
        auth = headers.get("Authorization") or ""
        if not auth:
            return _error(
                401,
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
            )
        given = auth.removeprefix("Bearer ").strip()
        masked = f"{given[:8]}****{given[-4:]}"
        if given != self.api_key:
            return _error(401, f"Invalid API Key provided: {masked}")
        if self.revoked:
            return _error(401, f"Expired API Key provided: {masked}")
        if method != "GET":
            return _error(405, "This fake answers GET only.")
        if self.rate_limit is not None:  # answered without Retry-After, as Stripe's rate limiter does
            now = time.monotonic()
            with self._lock:
                while self._recent and now - self._recent[0] > 1.0:
                    self._recent.popleft()
                if len(self._recent) >= self.rate_limit:
                    return _error(
                        429,
                        "Too many requests hit the API too quickly. We recommend an exponential backoff "
                        "of your requests.",
                        code="rate_limit",
                    )
                self._recent.append(now)
        parts = path.strip("/").split("/")
        if len(parts) < 2 or parts[0] != "v1":
            return self._unknown(method, path)
        name = parts[1]
        if name in self.forbidden:
            return _error(
                403,
                f"The provided key '{masked}' does not have the required permissions for this endpoint. "
                f"Having the 'rak_{name.rstrip('s')}_read' permission would allow this request to continue.",
                code="secret_key_required",
            )
        with self._lock:
            if name == "events" and len(parts) == 2:
                return self._list(path, self._events(params), params)
            if name == "subscription_items" and len(parts) == 2:
                sub_id = (params.get("subscription") or [""])[-1]
                try:
                    items = self.get("subscriptions", sub_id)["items"]["data"]
                except KeyError:
                    return _error(404, f"No such subscription: '{sub_id}'", param="subscription")
                return self._list(path, sorted(items, key=_sort_key, reverse=True), params)
            if name not in RESOURCE_NAMES:
                return self._unknown(method, path)
            if len(parts) == 2:
                return self._list(path, self._listed(name, params), params)
            try:
                found = self.get(name, parts[2])
            except KeyError:
                return _error(404, f"No such {OBJECT_TYPES[name]}: '{parts[2]}'", code="resource_missing")
            if len(parts) == 3:
                return 200, json.dumps(self._shown(name, found))
            if len(parts) == 4 and name == "invoices" and parts[3] == "lines":
                return self._list(path, found["lines"]["data"], params)
        return self._unknown(method, path)

    def _unknown(self, method: str, path: str) -> tuple[int, str]:
        return _error(404, f"Unrecognized request URL ({method}: {path}).")

    def _listed(self, name: str, params: dict[str, list[str]]) -> list[Any]:
        objects = sorted(self.objects[name], key=_sort_key, reverse=True)
        if name == "subscriptions":
            status = (params.get("status") or [""])[-1]
            if status == "":
                objects = [o for o in objects if not isinstance(o, dict) or o.get("status") != "canceled"]
            elif status != "all":
                objects = [o for o in objects if isinstance(o, dict) and o.get("status") == status]
        return [self._shown(name, o) for o in _created_filter(objects, params)]

    def _events(self, params: dict[str, list[str]]) -> list[Any]:
        kinds = params.get("types[]", []) + params.get("type", [])
        events = [e for e in self.events if not kinds or any(fnmatchcase(e["type"], k) for k in kinds)]
        events = sorted(_created_filter(events, params), key=_sort_key, reverse=True)
        return [
            {**e, "data": {**e["data"], "object": self._shown(_resource_of(e), e["data"]["object"])}}
            for e in events
        ]

    def _shown(self, name: str, obj: Any) -> Any:
        """The object as the API shows it: embedded lists cut to their first entries, with has_more."""
        if not isinstance(obj, dict):
            return obj
        field = {"invoices": "lines", "subscriptions": "items"}.get(name)
        listed = obj.get(field) if field else None
        if not isinstance(listed, dict) or not isinstance(listed.get("data"), list):
            return obj
        data = listed["data"]
        return {
            **obj,
            field: {
                **listed,
                "data": data[: self.embedded_list_limit],
                "has_more": len(data) > self.embedded_list_limit,
                "total_count": len(data),
            },
        }

    def _list(self, path: str, objects: list[Any], params: dict[str, list[str]]) -> tuple[int, str]:
        try:
            limit = int((params.get("limit") or ["10"])[-1])
        except ValueError:
            return _error(400, "Invalid integer: limit", param="limit")
        if not 1 <= limit <= 100:
            return _error(400, "This value must be less than or equal to 100.", param="limit")
        after = (params.get("starting_after") or [None])[-1]
        before = (params.get("ending_before") or [None])[-1]
        if after and before:
            return _error(400, "You may only specify one of these parameters: ending_before, starting_after.")
        ids = [o.get("id") if isinstance(o, dict) else None for o in objects]
        if after or before:
            cursor = after or before
            if cursor not in ids:
                return _error(
                    400,
                    f"No such object: '{cursor}'",
                    code="resource_missing",
                    param="starting_after" if after else "ending_before",
                )
            at = ids.index(cursor)
            if after:
                rest = objects[at + 1 :]
                page, has_more = rest[:limit], len(rest) > limit
            else:
                rest = objects[:at]
                page, has_more = rest[-limit:], len(rest) > limit
        else:
            page, has_more = objects[:limit], len(objects) > limit
        return 200, json.dumps({"object": "list", "data": page, "has_more": has_more, "url": path})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle(self) -> None:
                # the client may give up waiting (a timeout the test asked for)
                with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                    super().handle()

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = parse_qs(parts.query)
                arrived = time.monotonic()
                with fake._lock:
                    queue = fake._faults.get(parts.path)
                    fault = queue.popleft() if queue else None
                status, body, extra = self._planned(fault, parts.path, params)
                with fake._lock:
                    fake.requests.append(
                        Seen("GET", parts.path, params, self.headers.get("Stripe-Version"), arrived, status)
                    )
                payload = body.encode()
                try:
                    if fault == "timeout":
                        time.sleep(fake.timeout_delay)
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.send_header("Request-Id", f"req_{len(fake.requests):014d}")
                    for name, value in extra.items():
                        self.send_header(name, value)
                    self.end_headers()
                    if fault == "truncated":  # the connection drops halfway through the page
                        self.wfile.write(payload[: len(payload) // 2])
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            do_POST = do_DELETE = do_GET

            def _planned(
                self, fault: str | None, path: str, params: dict[str, list[str]]
            ) -> tuple[int, str, dict[str, str]]:
                if fault == "429":
                    status, body = _error(
                        429, "Too many requests hit the API too quickly.", code="rate_limit"
                    )
                    return status, body, {"Retry-After": "1"}
                if fault == "500":
                    status, body = _error(500, "An unknown error occurred", kind="api_error")
                    return status, body, {"Stripe-Should-Retry": "true"}
                if fault == "500_no_retry":
                    status, body = _error(500, "An unknown error occurred", kind="api_error")
                    return status, body, {"Stripe-Should-Retry": "false"}
                if fault == "not_json":
                    return 200, "<html><body>502 Bad Gateway</body></html>", {}
                status, body = fake._answer(self.command, path, params, self.headers)
                return status, body, {}

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet test output

        return Handler


def _resource_of(event: dict[str, Any]) -> str:
    kind = event["data"]["object"].get("object")
    return next((name for name, obj in OBJECT_TYPES.items() if obj == kind), "")


def _created_filter(objects: Iterable[Any], params: dict[str, list[str]]) -> list[Any]:
    bounds = []
    for op, test in (
        ("gte", lambda v, b: v >= b),
        ("gt", lambda v, b: v > b),
        ("lte", lambda v, b: v <= b),
        ("lt", lambda v, b: v < b),
    ):
        for raw in params.get(f"created[{op}]", []):
            bounds.append((test, int(raw)))
    for raw in params.get("created", []):
        bounds.append((lambda v, b: v == b, int(raw)))
    return [o for o in objects if all(test(_created(o), bound) for test, bound in bounds)]
