"""The FRED API client: ``fred/series/observations`` page by page, and ``fred/series`` metadata.

Built on dlt's REST helpers: ``RESTClient`` with an ``OffsetPaginator`` (FRED pages with ``limit`` and
``offset`` and reports the total as ``count``), over dlt's retrying session, which retries 429 and 5xx
answers and dropped connections with exponential backoff and waits as long as a ``Retry-After`` header
asks. The API key travels as the ``api_key`` query parameter through ``APIKeyAuth``, so it is added to
the prepared request only: dlt's request logs and every error message here show the URL redacted.

FRED answers an error as ``{"error_code": 400, "error_message": "..."}`` (for example an unknown series);
:class:`FredApiError` carries that message. A 200 answer that is not the documented JSON shape raises
:class:`FredPayloadError` with the body, which the source quarantines.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any, Final

import requests
from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import APIKeyAuth
from dlt.sources.helpers.rest_client.paginators import OffsetPaginator
from dlt.sources.helpers.rest_client.redaction import sanitize_url

#: FRED's largest page (and its default ``limit``): one request per series in practice.
MAX_PAGE: Final = 100_000
#: How much of a bad body an error message or a quarantined payload keeps.
BODY_CHARS: Final = 10_000


class FredApiError(requests.HTTPError):
    """FRED answered with an error status (after the retries that 429 and 5xx get)."""


class FredPayloadError(ValueError):
    """FRED answered 200 with something that is not the documented JSON document."""

    def __init__(self, message: str, body: str) -> None:
        super().__init__(message)
        self.body = body


def _error_message(response: requests.Response) -> str:
    try:
        document = response.json()
    except ValueError:
        return response.text[:200].strip() or response.reason or "no message"
    if isinstance(document, dict) and document.get("error_message"):
        return str(document["error_message"])
    return response.text[:200].strip()


def _check_response(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """Response hook: raise on an error status (the retrying session sees it) and on a bad document."""
    url = sanitize_url(response.url)
    if response.status_code >= 400:
        raise FredApiError(
            f"FRED answered {response.status_code} for {url}: {_error_message(response)}", response=response
        )
    body = response.text
    try:
        document = response.json()
    except ValueError:
        raise FredPayloadError(f"FRED's answer for {url} is not JSON", body[:BODY_CHARS]) from None
    if not isinstance(document, dict):
        raise FredPayloadError(f"FRED's answer for {url} is not a JSON object", body[:BODY_CHARS])
    if "series/observations" in url:
        if not isinstance(document.get("observations"), list):
            raise FredPayloadError(f"FRED's answer for {url} has no 'observations' list", body[:BODY_CHARS])
        count = document.get("count")
        if isinstance(count, bool) or not isinstance(count, int):
            raise FredPayloadError(f"FRED's answer for {url} has no integer 'count'", body[:BODY_CHARS])
    elif not isinstance(document.get("seriess"), list) or not document["seriess"]:
        raise FredPayloadError(f"FRED's answer for {url} has no 'seriess' list", body[:BODY_CHARS])


class FredClient:
    """Reads FRED series; one instance per load (its session keeps connections open)."""

    def __init__(
        self,
        api_key: str,
        base_url: str,
        *,
        page_limit: int = MAX_PAGE,
        max_attempts: int = 5,
        backoff_factor: float = 1.0,
        max_retry_delay: float = 60.0,
        timeout: float = 30.0,
    ) -> None:
        if not 1 <= page_limit <= MAX_PAGE:
            raise ValueError(f"page_limit must lie in 1..{MAX_PAGE}, got {page_limit}")
        session = Client(
            raise_for_status=False,  # _check_response raises, with FRED's own message
            request_timeout=timeout,
            request_max_attempts=max_attempts,
            request_backoff_factor=backoff_factor,
            request_max_retry_delay=max_retry_delay,
            respect_retry_after_header=True,
        ).session
        self.page_limit = page_limit
        self._rest = RESTClient(
            base_url=f"{base_url.rstrip('/')}/fred",
            auth=APIKeyAuth(name="api_key", api_key=api_key, location="query"),
            session=session,
        )

    def observations(self, series_id: str, observation_start: date | None = None) -> Iterator[list[Any]]:
        """The series' observations in date order, one list per page (items as FRED sent them)."""
        params: dict[str, Any] = {"series_id": series_id, "file_type": "json", "sort_order": "asc"}
        if observation_start is not None:
            params["observation_start"] = observation_start.isoformat()
        pages = self._rest.paginate(
            "series/observations",
            params=params,
            paginator=OffsetPaginator(limit=self.page_limit, total_path="count"),
            data_selector="observations",
            hooks={"response": [_check_response]},
        )
        for page in pages:
            yield list(page)

    def series(self, series_id: str) -> dict[str, Any]:
        """The series' metadata (title, frequency, units, seasonal adjustment, last update)."""
        response = self._rest.get(
            "series",
            params={"series_id": series_id, "file_type": "json"},
            hooks={"response": [_check_response]},
        )
        found = response.json()["seriess"][0]
        if not isinstance(found, dict):
            raise FredPayloadError(
                f"FRED's metadata of {series_id} is not an object", json.dumps(found)[:BODY_CHARS]
            )
        return found
