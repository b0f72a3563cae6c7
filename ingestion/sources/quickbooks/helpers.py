"""The QuickBooks Online Accounting API (v3) client: queries page by page, Change Data Capture, OAuth tokens
that renew themselves, and Intuit's throttle.

- Queries: ``GET /v3/company/<realm>/query?query=select * from Invoice where Metadata.LastUpdatedTime >=
  '...' ORDERBY Metadata.LastUpdatedTime STARTPOSITION n MAXRESULTS m&minorversion=75``, the answer's
  ``QueryResponse.<Entity>`` list; a page shorter than ``MAXRESULTS`` is the last.
- Change Data Capture: ``GET /v3/company/<realm>/cdc?entities=<Entity>&changedSince=<instant>``: every
  object changed since then (at most 30 days back, at most 1,000 per entity), deleted ones as
  ``{"Id", "status": "Deleted", "MetaData"}``.
- Tokens: the access token lives an hour; when it has expired, or QuickBooks answers 401, the client
  refreshes it once with the refresh token (:func:`ingestion.sources.oauth.refresh_tokens`). Intuit
  issues a new refresh token every time: the new tokens go to :meth:`LoadSecrets.replace`, which stores
  them before the load continues. A refused refresh raises :class:`ConnectorAuthError`.
- Throttle: at most ``rate_limit`` requests (Intuit: 500 a minute per company), counted client-side with
  the ``limits`` library's moving window; a 429 that still comes is retried after its ``Retry-After``
  (or with exponential back-off) by dlt's retrying session, as are 5xx answers, timeouts and dropped
  connections.

Errors: another error status raises :class:`QuickBooksApiError` with Intuit's fault message; a 200 answer
that is not the documented JSON raises :class:`QuickBooksPayloadError` naming the URL (no token in it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, Final

import requests
from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.rest_client.redaction import sanitize_url
from limits import parse as parse_rate
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from ingestion.sources import oauth
from ingestion.sources.connector import ConnectorAuthError, LoadSecrets

from .settings import CDC_MAX_OBJECTS, MINOR_VERSION, NAME_LISTS, PAGE_SIZE, RATE_LIMIT

log = logging.getLogger(__name__)

BODY_CHARS: Final = 300


class QuickBooksApiError(requests.HTTPError):
    """QuickBooks answered with an error status (after the retries that 429 and 5xx get)."""


class QuickBooksPayloadError(ValueError):
    """QuickBooks answered 200 with something that is not the documented JSON (for example cut off)."""


def utc_now() -> datetime:
    """The current time (one place, so that tests can move the clock)."""
    return datetime.now(UTC)


def fault_message(response: requests.Response) -> str:
    """Intuit's ``{"Fault": {"Error": [{"Message", "Detail", "code"}]}}`` as text."""
    try:
        document = response.json()
    except ValueError:
        return response.text[:BODY_CHARS].strip() or response.reason or "no message"
    fault = document.get("Fault") or document.get("fault") if isinstance(document, dict) else None
    errors = fault.get("Error") or fault.get("error") if isinstance(fault, dict) else None
    if isinstance(errors, list) and errors:
        parts = []
        for error in errors:
            if isinstance(error, dict):
                text = error.get("Detail") or error.get("Message") or ""
                code = error.get("code")
                parts.append(f"{text} (code {code})" if code else str(text))
        return "; ".join(parts)
    return response.text[:BODY_CHARS].strip()


def changed_at(obj: Any) -> datetime | None:
    """An object's ``MetaData.LastUpdatedTime`` (None when it has none that reads)."""
    meta = obj.get("MetaData") if isinstance(obj, dict) else None
    stamp = meta.get("LastUpdatedTime") if isinstance(meta, dict) else None
    try:
        moment = datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def query_text(entity: str, since: datetime | None, start: int, size: int) -> str:
    """A query of Intuit's SQL-like language for one page of ``entity``, oldest change first."""
    conditions = []
    if entity in NAME_LISTS:
        conditions.append("Active IN (true, false)")  # inactive customers and vendors too
    if since is not None:
        stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        conditions.append(f"Metadata.LastUpdatedTime >= '{stamp}'")
    where = f" where {' and '.join(conditions)}" if conditions else ""
    return (
        f"select * from {entity}{where} ORDERBY Metadata.LastUpdatedTime "
        f"STARTPOSITION {start} MAXRESULTS {size}"
    )


class Throttle:
    """At most ``rate`` requests (``limits`` notation: ``500/minute``) per company, in a moving window."""

    def __init__(self, rate: str = RATE_LIMIT, sleep: Callable[[float], None] = time.sleep) -> None:
        self.item = parse_rate(rate)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.sleep = sleep
        self.waited = 0.0

    def wait(self, key: str) -> None:
        while not self.limiter.hit(self.item, key):
            reset = self.limiter.get_window_stats(self.item, key).reset_time
            pause = min(max(reset - time.time(), 0.01), float(self.item.get_expiry()))
            self.waited += pause
            self.sleep(pause)


class QuickBooksClient:
    """Reads one company's books; one instance per load (its session keeps connections open)."""

    def __init__(
        self,
        realm_id: str,
        secrets: LoadSecrets,
        provider: oauth.OAuthProvider,
        client: oauth.OAuthClient,
        base_url: str,
        *,
        minor_version: str = MINOR_VERSION,
        page_size: int = PAGE_SIZE,
        rate_limit: str = RATE_LIMIT,
        timeout: float = 30.0,
        max_attempts: int = 6,
        backoff_factor: float = 1.0,
        max_retry_delay: float = 60.0,
    ) -> None:
        if not 1 <= page_size <= PAGE_SIZE:
            raise ValueError(f"page_size must lie in 1..{PAGE_SIZE}, got {page_size}")
        self.realm_id = realm_id
        self.secrets = secrets
        self.provider = provider
        self.oauth_client = client
        self.minor_version = minor_version
        self.page_size = page_size
        self.timeout = timeout
        self.throttle = Throttle(rate_limit)
        self.root = f"{base_url.rstrip('/')}/v3/company/{realm_id}"
        self.session = Client(
            raise_for_status=False,  # _checked raises, with Intuit's own message
            request_timeout=timeout,
            request_max_attempts=max_attempts,
            request_backoff_factor=backoff_factor,
            request_max_retry_delay=max_retry_delay,
            respect_retry_after_header=True,
        ).session
        self.refreshes = 0

    # -- tokens -------------------------------------------------------------------------------------

    def _access_token(self) -> str:
        tokens = oauth.Tokens.from_secrets(self.secrets)
        if not tokens.access_token or tokens.expired(utc_now()):
            return self._refresh()
        return tokens.access_token

    def _refresh(self) -> str:
        """New tokens, stored before they are used (Intuit retires the old refresh token)."""
        tokens = oauth.refresh_tokens(
            self.provider,
            self.oauth_client,
            self.secrets.get("refresh_token"),
            timeout=self.timeout,
            now=utc_now(),
        )
        self.secrets.replace(tokens.as_secrets())
        self.refreshes += 1
        log.info("QuickBooks access of company %s renewed", self.realm_id)
        return tokens.access_token

    # -- requests -----------------------------------------------------------------------------------

    def get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        """One GET of the company's API as JSON; renews the access token once on a 401."""
        url = f"{self.root}/{path}"
        params = {**params, "minorversion": self.minor_version}
        token = self._access_token()
        for attempt in (1, 2):
            self.throttle.wait(self.realm_id)
            response = self.session.get(
                url,
                params=params,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=self.timeout,
            )
            if response.status_code == 401 and attempt == 1:
                token = self._refresh()  # expired early, or revoked: a refused refresh raises
                continue
            return self._checked(response)
        raise AssertionError("unreachable")

    def _checked(self, response: requests.Response) -> dict[str, Any]:
        url = sanitize_url(response.url)
        status = response.status_code
        if status in (401, 403):
            raise ConnectorAuthError(
                f"QuickBooks refused Keel's access to company {self.realm_id} ({status}: "
                f"{fault_message(response)}). Connect QuickBooks again."
            )
        if status >= 400:
            raise QuickBooksApiError(
                f"QuickBooks answered {status} for {url}: {fault_message(response)}", response=response
            )
        try:
            document = response.json()
        except ValueError:
            raise QuickBooksPayloadError(  # no part of the body: it may hold customers' details
                f"QuickBooks' answer for {url} is not complete JSON ({len(response.content)} bytes); "
                "the load stops here and the next run resumes"
            ) from None
        if not isinstance(document, dict):
            raise QuickBooksPayloadError(f"QuickBooks' answer for {url} is not a JSON object")
        if "Fault" in document:  # Intuit reports some faults with 200
            raise QuickBooksApiError(f"QuickBooks answered a fault for {url}: {fault_message(response)}")
        return document

    def query_pages(self, entity: str, since: datetime | None) -> Iterator[list[Any]]:
        """``entity``'s objects changed at or after ``since`` (all: None), one list per page, oldest first."""
        start = 1
        while True:
            document = self.get("query", {"query": query_text(entity, since, start, self.page_size)})
            answer = document.get("QueryResponse")
            if not isinstance(answer, dict):
                raise QuickBooksPayloadError(f"QuickBooks' answer to a {entity} query has no QueryResponse")
            page = answer.get(entity, [])
            if not isinstance(page, list):
                raise QuickBooksPayloadError(f"QuickBooks' answer to a {entity} query has no {entity} list")
            if page:
                yield page
            if len(page) < self.page_size:
                return
            start += len(page)

    def all_changes(self, entity: str, since: datetime) -> tuple[list[Any], bool]:
        """Every ``entity`` object changed since ``since``, deleted ones included: CDC answers cut short at
        its cap are followed by another from the latest change they held. False when that cannot move on
        (more than the cap changed at one instant)."""
        found: dict[Any, Any] = {}
        start = since
        while True:
            objects, complete = self.changes(entity, start)
            for n, obj in enumerate(objects):
                key = obj.get("Id") if isinstance(obj, dict) else None
                found[key if isinstance(key, str) else (start, n)] = obj  # a later copy wins
            if complete:
                return list(found.values()), True
            moments = [moment for moment in map(changed_at, objects) if moment is not None]
            latest = max(moments, default=None)
            if latest is None or latest <= start:
                return list(found.values()), False
            start = latest

    def changes(self, entity: str, since: datetime) -> tuple[list[Any], bool]:
        """The ``entity`` objects changed since ``since`` (within 30 days), deleted ones included, and
        whether that is all of them (False: CDC's cap cut the answer short)."""
        stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        document = self.get("cdc", {"entities": entity, "changedSince": stamp})
        found: list[Any] = []
        total = 0
        responses = document.get("CDCResponse")
        if not isinstance(responses, list):
            raise QuickBooksPayloadError("QuickBooks' change data answer has no CDCResponse list")
        for response in responses:
            queries = response.get("QueryResponse") if isinstance(response, dict) else None
            for query in queries if isinstance(queries, list) else []:
                objects = query.get(entity) if isinstance(query, dict) else None
                if isinstance(objects, list):
                    found.extend(objects)
                count = query.get("totalCount") if isinstance(query, dict) else None
                if isinstance(count, int) and not isinstance(count, bool):
                    total += count
        return found, len(found) < CDC_MAX_OBJECTS and total <= len(found)
