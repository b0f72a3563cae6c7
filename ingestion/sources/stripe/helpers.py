"""Stripe's REST API for Keel: list endpoints page by page, and changes to older objects through events.

Built on dlt's REST helpers: ``RESTClient`` with ``BearerTokenAuth`` (the restricted or secret key) and
a ``Stripe-Version`` header, paged by :class:`StripeListPaginator` (``limit``, then
``starting_after=<id of the page's last object>`` while ``has_more``), over dlt's retrying session.
Every request is a GET, so retrying is always safe (Keel sends no POST, hence no ``Idempotency-Key``):
429, 409 and 5xx answers, timeouts, dropped connections and pages cut off in transit are retried with
exponential back-off, as long as a ``Retry-After`` header asks, unless Stripe's ``Stripe-Should-Retry``
header says not to. A refused key (401, 403) raises :class:`ConnectorAuthError` in words for the owner.

Stripe objects carry ``created`` but no update time. Keel's loader keeps a cursor per resource, so the
client sets ``updated`` on every object: its ``created``, or the time of the latest event that changed
it (``/v1/events``: ``charge.refunded``, ``invoice.paid``, ``customer.subscription.deleted`` ...), or for
a balance transaction the moment its funds became available. A run asks for objects created since the
last load (``created[gte]``, minus a look-back window) and for the events since then; an object changed
by an event but created earlier arrives as the event's copy of it, with ``updated`` = the event's time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

import requests
from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import BasePaginator
from dlt.sources.helpers.rest_client.redaction import sanitize_url

from ingestion.sources.connector import ConnectorAuthError
from ingestion.sources.stripe.settings import (
    API_VERSION,
    BALANCE_SETTLEMENT_DAYS,
    BASE_URL,
    CHANGE_EVENTS,
    ENDPOINTS,
    EVENT_RETENTION_DAYS,
    OBJECT_TYPES,
    PAGE_LIMIT,
)

log = logging.getLogger(__name__)

#: A Stripe key that can read: restricted (preferred, read-only) or secret, live or test mode.
KEY_PREFIXES: Final = ("rk_live_", "rk_test_", "sk_live_", "sk_test_")
#: Statuses worth another try when Stripe gives no advice (409: a lock on the object, 429: too fast).
RETRY_STATUSES: Final = frozenset({409, 429})


def utc_now() -> datetime:
    """The current time (one place, so that tests can move the clock)."""
    return datetime.now(UTC)


class StripeApiError(requests.HTTPError):
    """Stripe answered with an error status (after the retries that 429 and 5xx get)."""


class StripePageError(ValueError):
    """Stripe answered 200 with something that is not a whole page (cut off in transit, or not JSON)."""


def check_api_key(api_key: str | None) -> str:
    """The key, if it looks like one Keel can read with; :class:`ConnectorAuthError` in words otherwise."""
    key = (api_key or "").strip()
    if not key:
        raise ConnectorAuthError("Stripe needs an API key; none is stored. Reconnect Stripe with a key.")
    if key.startswith(("pk_live_", "pk_test_")):
        raise ConnectorAuthError(
            "The Stripe key is a publishable key (it starts with pk_), which cannot read payments. "
            "Create a restricted key (it starts with rk_) with read access and reconnect Stripe."
        )
    if not key.startswith(KEY_PREFIXES) or len(key) < len("rk_live_") + 8:
        raise ConnectorAuthError(
            f"The Stripe key starting with {key[:3]!r} is not a Stripe secret key: a restricted key starts "
            "with rk_live_ or rk_test_, a secret key with sk_live_ or sk_test_. Reconnect Stripe with one."
        )
    return key


def _error_message(response: requests.Response) -> str:
    try:
        document = response.json()
    except ValueError:
        return response.text[:200].strip() or response.reason or "no message"
    error = document.get("error") if isinstance(document, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return response.text[:200].strip()


def _what(url: str) -> str:
    """The kind of object a URL reads, in words ("charges", "events", "invoice lines")."""
    path = urlsplit(url).path.strip("/").split("/")
    if len(path) >= 4 and path[1] == "invoices" and path[3] == "lines":
        return "invoice lines"
    return path[1].replace("_", " ") if len(path) > 1 else "its data"


def _check_response(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """Response hook: raise on an error status (the retrying session sees it) and on a broken page."""
    url = sanitize_url(response.url)
    if response.status_code == 401:
        raise ConnectorAuthError(
            "Stripe no longer accepts the stored key (it was revoked, rolled or has expired). Create a new "
            "restricted key in the Stripe Dashboard and reconnect Stripe."
        )
    if response.status_code == 403:
        raise ConnectorAuthError(
            f"The stored Stripe key may not read {_what(url)}. Give the restricted key read access to it "
            "in the Stripe Dashboard (or create a new one) and reconnect Stripe."
        )
    if response.status_code >= 400:
        raise StripeApiError(
            f"Stripe answered {response.status_code} for {url}: {_error_message(response)}", response=response
        )
    try:
        document = response.json()
    except ValueError:
        raise StripePageError(f"Stripe's answer for {url} is not whole JSON (cut off?)") from None
    if not isinstance(document, dict):
        raise StripePageError(f"Stripe's answer for {url} is not a JSON object")
    if document.get("object") == "list" and (
        not isinstance(document.get("data"), list) or not isinstance(document.get("has_more"), bool)
    ):
        raise StripePageError(f"Stripe's list from {url} has no 'data' list or no 'has_more'")


def should_retry(response: requests.Response | None, exception: BaseException | None) -> bool:
    """Retry a broken page, and an error status Stripe says to retry (or 409, 429, 5xx without advice).

    Timeouts and dropped connections are retried by dlt's session itself.
    """
    if isinstance(exception, StripePageError):
        return True
    if response is None:
        return False
    advice = response.headers.get("Stripe-Should-Retry")
    if advice in ("true", "false"):
        return advice == "true"
    return response.status_code in RETRY_STATUSES or response.status_code >= 500


class StripeListPaginator(BasePaginator):
    """Stripe's list pagination: ``limit`` objects a page, then ``starting_after`` = the id of the page's
    last object while the list says ``has_more``.

    dlt's ``JSONResponseCursorPaginator`` reads the next cursor from a field of the answer; Stripe's
    cursor is the last object's id, so this reads it from the page's data.
    """

    def __init__(self, limit: int = PAGE_LIMIT, starting_after: str | None = None) -> None:
        super().__init__()
        if not 1 <= limit <= PAGE_LIMIT:
            raise ValueError(f"a Stripe page holds 1..{PAGE_LIMIT} objects, got {limit}")
        self.limit = limit
        self.starting_after = starting_after

    def init_request(self, request: Any) -> None:
        request.params = dict(request.params or {})
        request.params["limit"] = self.limit
        if self.starting_after is not None:
            request.params["starting_after"] = self.starting_after

    def update_state(self, response: requests.Response, data: list[Any] | None = None) -> None:
        ids = [o["id"] for o in data or [] if isinstance(o, dict) and isinstance(o.get("id"), str)]
        has_more = bool(response.json().get("has_more"))
        if has_more and not ids:
            raise StripePageError(
                f"Stripe's page from {sanitize_url(response.url)} says there is more, but none of its "
                "objects has an id to continue after"
            )
        self._has_next_page = has_more
        if ids:
            self.starting_after = ids[-1]

    def update_request(self, request: Any) -> None:
        if self.starting_after is not None:
            request.params["starting_after"] = self.starting_after


class StripeClient:
    """Reads one Stripe account; one instance per load (its session keeps connections open)."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = BASE_URL,
        api_version: str = API_VERSION,
        page_limit: int = PAGE_LIMIT,
        max_attempts: int = 6,
        backoff_factor: float = 1.0,
        max_retry_delay: float = 60.0,
        timeout: float = 30.0,
    ) -> None:
        session = Client(
            raise_for_status=False,  # _check_response raises, with Stripe's own message
            request_timeout=timeout,
            request_max_attempts=max_attempts,
            request_backoff_factor=backoff_factor,
            request_max_retry_delay=max_retry_delay,
            respect_retry_after_header=True,
            status_codes=(),  # should_retry decides, so that Stripe-Should-Retry: false is obeyed
            retry_condition=should_retry,
        ).session
        self.page_limit = page_limit
        StripeListPaginator(page_limit)  # a bad limit fails here, before any request
        self._rest = RESTClient(
            base_url=base_url.rstrip("/"),
            headers={"Stripe-Version": api_version},
            auth=BearerTokenAuth(token=check_api_key(api_key)),
            session=session,
        )

    def pages(
        self, path: str, params: Mapping[str, Any] | None = None, starting_after: str | None = None
    ) -> Iterator[list[Any]]:
        """The objects of a list endpoint, newest first, one list per page (as Stripe sent them)."""
        pages = self._rest.paginate(
            path.lstrip("/"),
            params=dict(params or {}),
            paginator=StripeListPaginator(self.page_limit, starting_after),
            data_selector="data",
            hooks={"response": [_check_response]},
        )
        for page in pages:
            yield list(page)

    def objects(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        for page in self.pages(path, params):
            yield from page

    def complete_list(self, listed: Any) -> Any:
        """An embedded list (invoice ``lines``, subscription ``items``) with every entry: Stripe embeds the
        first few and ``has_more``; the rest come from the list's own ``url``."""
        if not isinstance(listed, dict) or listed.get("has_more") is not True:
            return listed
        data = [entry for entry in listed.get("data") or [] if isinstance(entry, dict)]
        ids = [entry["id"] for entry in data if isinstance(entry.get("id"), str)]
        parts = urlsplit(str(listed.get("url") or ""))
        if not parts.path:
            raise StripePageError("an embedded Stripe list says there is more but gives no url")
        more = [
            entry
            for page in self.pages(parts.path, dict(parse_qsl(parts.query)), ids[-1] if ids else None)
            for entry in page
        ]
        return {**listed, "data": data + more, "has_more": False}

    def changed_objects(self, resource: str, since: datetime | None, lookback: timedelta) -> Iterator[Any]:
        """The ``resource``'s objects created or changed since ``since`` (all of them when None), each with
        ``updated``; objects that are not well-formed are passed on as they came (the loader sets them
        aside). When ``since`` lies beyond Stripe's 30 days of events, every object is read again with
        ``updated`` = now, so that changes whose events are gone are merged too."""
        start: int | None = None
        seen_at: int | None = None  # a resync: objects are stamped with the time they were read
        if since is not None:
            start = int((since - lookback).timestamp())
            if resource == "balance_transactions":  # funds become available days after the charge
                start -= BALANCE_SETTLEMENT_DAYS * 86_400
            now = utc_now()
            if CHANGE_EVENTS[resource] and since - lookback < now - timedelta(days=EVENT_RETENTION_DAYS):
                # Stripe keeps events for 30 days: changes older than that are lost, so read every
                # object again and merge it as changed now
                log.warning(
                    "Stripe %s were last loaded more than %d days ago: reading all of them again",
                    resource,
                    EVENT_RETENTION_DAYS,
                )
                start, seen_at = None, int(now.timestamp())
        created: dict[str, Any] = {} if start is None else {"created[gte]": start}
        changed = self._changes(resource, created)
        params = dict(created)
        if resource == "subscriptions":
            params["status"] = "all"  # Stripe lists only subscriptions that are not canceled otherwise
        for obj in self.objects(ENDPOINTS[resource], params):
            if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
                yield obj
                continue
            change = changed.pop(obj["id"], None)
            at = change[0] if change else None
            yield self._complete(resource, _stamped(resource, obj, at if seen_at is None else seen_at))
        for at, obj in sorted(changed.values(), key=lambda change: (change[0], change[1]["id"])):
            yield self._complete(resource, _stamped(resource, obj, at))

    def _changes(self, resource: str, created: Mapping[str, Any]) -> dict[str, tuple[int, dict[str, Any]]]:
        """Per object id, the latest event that changed it (its time and its copy of the object)."""
        types = CHANGE_EVENTS[resource]
        latest: dict[str, tuple[int, dict[str, Any]]] = {}
        if not types:
            return latest
        for event in self.objects("v1/events", {**created, "types[]": list(types)}):
            data = event.get("data") if isinstance(event, dict) else None
            obj = data.get("object") if isinstance(data, dict) else None
            at = event.get("created") if isinstance(event, dict) else None
            if (
                not isinstance(obj, dict)
                or not isinstance(obj.get("id"), str)
                or isinstance(at, bool)
                or not isinstance(at, int)
            ):
                log.warning("skipped a Stripe event that is not well-formed: %.200r", event)
                continue
            if obj.get("object") != OBJECT_TYPES[resource]:
                continue
            previous = latest.get(obj["id"])
            if previous is None or at > previous[0]:
                latest[obj["id"]] = (at, obj)
        return latest

    def _complete(self, resource: str, obj: dict[str, Any]) -> dict[str, Any]:
        if resource == "invoices" and "lines" in obj:
            return {**obj, "lines": self.complete_list(obj["lines"])}
        if resource == "subscriptions" and "items" in obj:
            return {**obj, "items": self.complete_list(obj["items"])}
        return obj


def _stamped(resource: str, obj: dict[str, Any], changed_at: int | None) -> dict[str, Any]:
    """``obj`` with ``updated``: the latest of its creation, the event that changed it, and (balance
    transactions) the moment its funds became available. Left out when ``created`` is not unix seconds."""
    created = obj.get("created")
    if isinstance(created, bool) or not isinstance(created, int):
        return obj
    moments = [created]
    if changed_at is not None:
        moments.append(changed_at)
    available_on = obj.get("available_on")
    settled = resource == "balance_transactions" and obj.get("status") == "available"
    if settled and isinstance(available_on, int) and not isinstance(available_on, bool):
        moments.append(available_on)
    return {**obj, "updated": max(moments)}
