"""The Frappe REST API client for ERPNext sites: listings page by page, and whole documents.

Built on dlt's REST helpers: ``RESTClient`` over dlt's retrying session, which retries 429 and 5xx
answers, timeouts and dropped connections with exponential back-off and waits as long as a
``Retry-After`` header asks. The key and secret travel in ``Authorization: token <key>:<secret>``
(Frappe's token authentication), never in a URL, so logs and error messages cannot show them.

- Listings: ``/api/resource/<DocType>`` with ``fields``, ``filters`` (JSON lists such as
  ``[["modified", ">=", "2026-03-01 00:00:00.000000"]]``), ``order_by`` and ``limit_start`` /
  ``limit_page_length`` paging (:class:`FrappePaginator`: the next offset until a page comes back
  shorter than asked). Frappe answers ``{"data": [...]}``.
- Documents: ``/api/resource/<DocType>/<name>`` answers ``{"data": {...}}`` with the child tables
  (a sales invoice's items, taxes and payments), which a listing leaves out.

Errors: 401 (a key or secret that no longer works) raises :class:`ConnectorAuthError`, as does a 403 on
the check of who the key belongs to (:meth:`FrappeClient.logged_user`); a 403 or 404 on a listing
(``PermissionError``: the key's user may not read that doctype; ``DoesNotExistError``: the site has no
such doctype) raises :class:`DoctypeUnavailable`, which the source turns into a skipped resource; any
other error status raises :class:`FrappeApiError` with Frappe's message; a 200 answer
that is not the documented JSON (a truncated page) raises :class:`FrappePayloadError` naming the URL.
A malformed document inside a good page is passed on as it is: Keel's loader quarantines it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any, Final
from urllib.parse import quote

import requests
from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import APIKeyAuth
from dlt.sources.helpers.rest_client.paginators import OffsetPaginator
from dlt.sources.helpers.rest_client.redaction import sanitize_url

from ingestion.sources.connector import ConnectorAuthError

from .settings import LOGGED_USER, PAGE_SIZE

log = logging.getLogger(__name__)

#: How much of a bad body an error message keeps.
BODY_CHARS: Final = 300


class FrappeApiError(requests.HTTPError):
    """The site answered with an error status (after the retries that 429 and 5xx get)."""


class FrappePayloadError(ValueError):
    """The site answered 200 with something that is not the documented JSON (for example cut off)."""


class DoctypeUnavailable(LookupError):
    """The site has no such doctype (404 DoesNotExistError), or the key's user may not read it (403)."""

    def __init__(self, doctype: str, status: int, reason: str) -> None:
        super().__init__(f"{doctype}: {reason}")
        self.doctype = doctype
        self.status = status
        self.reason = reason


def frappe_error(response: requests.Response) -> tuple[str, str]:
    """(exception type, message) of a Frappe error answer: ``exc_type`` and the first server message."""
    try:
        document = response.json()
    except ValueError:
        return "", response.text[:BODY_CHARS].strip() or response.reason or "no message"
    if not isinstance(document, dict):
        return "", str(document)[:BODY_CHARS]
    exc_type = str(document.get("exc_type") or "")
    message = ""
    server_messages = document.get("_server_messages")
    if isinstance(server_messages, str):  # a JSON list of JSON objects, each with a "message"
        try:
            first = json.loads(json.loads(server_messages)[0])
            message = str(first.get("message", "")) if isinstance(first, dict) else str(first)
        except (ValueError, IndexError, TypeError):
            message = ""
    if not message:
        exception = str(document.get("exception") or document.get("message") or "")
        message = exception.split(": ", 1)[-1] if exception else response.reason or "no message"
    return exc_type, message[:BODY_CHARS]


class FrappePaginator(OffsetPaginator):
    """``limit_start`` / ``limit_page_length`` paging that stops at the first page shorter than asked
    (Frappe reports no total), so a listing costs no empty page at its end."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            limit=limit,
            offset_param="limit_start",
            limit_param="limit_page_length",
            total_path=None,
            stop_after_empty_page=True,
        )

    def update_state(self, response: requests.Response, data: list[Any] | None = None) -> None:
        super().update_state(response, data)
        if data is not None and len(data) < self.limit:
            self._has_next_page = False


class FrappeClient:
    """Reads one Frappe site's REST API; one instance per load (its session keeps connections open)."""

    def __init__(
        self,
        site_url: str,
        api_key: str,
        api_secret: str,
        *,
        page_size: int = PAGE_SIZE,
        timeout: float = 30.0,
        max_attempts: int = 6,
        backoff_factor: float = 1.0,
        max_retry_delay: float = 60.0,
    ) -> None:
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        self.site_url = site_url.rstrip("/")
        self.page_size = page_size
        session = Client(
            raise_for_status=False,  # the response hook raises, with Frappe's own message
            request_timeout=timeout,
            request_max_attempts=max_attempts,
            request_backoff_factor=backoff_factor,
            request_max_retry_delay=max_retry_delay,
            respect_retry_after_header=True,
        ).session
        self._rest = RESTClient(
            base_url=self.site_url,
            auth=APIKeyAuth(name="Authorization", api_key=f"token {api_key}:{api_secret}", location="header"),
            session=session,
        )

    def logged_user(self) -> str:
        """Who the key belongs to; :class:`ConnectorAuthError` when the site refuses the key."""
        response = self._rest.get(LOGGED_USER, hooks={"response": [self._check(None, auth_check=True)]})
        document = response.json()
        user = document.get("message") if isinstance(document, dict) else None
        if not isinstance(user, str) or not user or user == "Guest":
            raise ConnectorAuthError(
                f"ERPNext at {self.site_url} did not accept Keel's API key: reconnect with a new API key "
                "and secret"
            )
        return user

    def document(self, path: str, doctype: str | None = None) -> dict[str, Any] | None:
        """``{"data": {...}}`` of one document or single doctype; None when it no longer exists (404)."""
        response = self._rest.get(path, hooks={"response": [self._check(doctype, allow_missing=True)]})
        if response.status_code == 404:
            return None
        data = response.json().get("data")
        return data if isinstance(data, dict) else None

    def listing(
        self,
        doctype: str,
        fields: list[str],
        filters: list[list[Any]] | None = None,
        order_by: str = "modified asc, name asc",
    ) -> Iterator[list[Any]]:
        """The documents of a doctype, one list per page, each as Frappe sent it."""
        params: dict[str, Any] = {"fields": json.dumps(fields), "order_by": order_by}
        if filters:
            params["filters"] = json.dumps(filters)
        pages = self._rest.paginate(
            resource_path(doctype),
            params=params,
            paginator=FrappePaginator(self.page_size),
            data_selector="data",
            hooks={"response": [self._check(doctype)]},
        )
        for page in pages:
            yield list(page)

    def _check(
        self, doctype: str | None, *, auth_check: bool = False, allow_missing: bool = False
    ) -> Callable[..., None]:
        site = self.site_url

        def check(response: requests.Response, *args: Any, **kwargs: Any) -> None:
            """Response hook: raise on an error status or on an answer that is not whole JSON."""
            url = sanitize_url(response.url)
            status = response.status_code
            if status == 401 or (status == 403 and auth_check):
                _, message = frappe_error(response)
                raise ConnectorAuthError(
                    f"ERPNext at {site} refused Keel's API key ({status}: {message}). The key was "
                    "revoked, its secret generated again or its user disabled: reconnect with a new API key "
                    "and secret."
                )
            if status == 404 and allow_missing:
                return
            if status in (403, 404) and doctype is not None:
                exc_type, message = frappe_error(response)
                if status == 404 or exc_type in ("PermissionError", ""):
                    raise DoctypeUnavailable(doctype, status, f"{exc_type or status}: {message}")
            if status >= 400:
                exc_type, message = frappe_error(response)
                log.debug("ERPNext %s for %s: %s", status, url, exc_type)
                raise FrappeApiError(f"ERPNext answered {status} for {url}: {message}", response=response)
            try:
                document = response.json()
            except ValueError:
                raise FrappePayloadError(  # no part of the body: it may hold customers' details
                    f"ERPNext's answer for {url} is not complete JSON ({len(response.content)} bytes); "
                    "the load stops here and the next run resumes"
                ) from None
            if not isinstance(document, dict) or ("data" not in document and "message" not in document):
                raise FrappePayloadError(f"ERPNext's answer for {url} has no 'data'")

        return check


def resource_path(doctype: str, name: str | None = None) -> str:
    """``/api/resource/<DocType>[/<name>]`` with both parts URL-quoted (doctypes have spaces)."""
    path = f"/api/resource/{quote(doctype, safe='')}"
    return path if name is None else f"{path}/{quote(name, safe='')}"
