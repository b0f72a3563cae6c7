"""The Shopify Admin REST API client: listings page by page, within the shop's rate limit.

Built on dlt's REST helpers: ``RESTClient`` with a ``HeaderLinkPaginator`` (Shopify pages with an opaque
``page_info`` cursor in the ``Link`` header's ``rel="next"`` URL, which already carries ``limit``; the
paginator drops the first request's filters, as Shopify requires) over dlt's retrying session, which
retries 429 and 5xx answers, timeouts and dropped connections with exponential back-off and waits as
long as a ``Retry-After`` header asks. The token travels in the ``X-Shopify-Access-Token`` header
(``APIKeyAuth``), never in a URL, so logs and error messages cannot show it.

Rate limit: Shopify's leaky bucket (40 calls, draining 2 a second on a standard plan; Plus shops have
bigger buckets that drain as fast relative to their size) is reported on every answer as
``X-Shopify-Shop-Api-Call-Limit: used/size``. Near the top the client waits until the bucket has
drained enough, so it rarely meets a 429; when it does, Shopify's ``Retry-After: 2.0`` (a decimal,
which dlt's parser does not read) is rounded up to whole seconds so the retry honours it.

Errors: 401 and 403 raise :class:`ConnectorAuthError` (the owner must reconnect); another error status
raises :class:`ShopifyApiError` with Shopify's message; a 200 answer that is not the documented JSON
(a truncated page) raises :class:`ShopifyPayloadError` naming the URL. A malformed object inside a good
page is passed on as it is: Keel's loader quarantines it.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Iterator
from typing import Any, Final

import requests
from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import APIKeyAuth
from dlt.sources.helpers.rest_client.paginators import HeaderLinkPaginator
from dlt.sources.helpers.rest_client.redaction import sanitize_url

from ingestion.sources.connector import ConnectorAuthError

from .settings import PAGE_SIZE

log = logging.getLogger(__name__)

CALL_LIMIT_HEADER: Final = "X-Shopify-Shop-Api-Call-Limit"
AUTH_HEADER: Final = "X-Shopify-Access-Token"
#: Shopify's bucket drains size/20 calls a second (40 -> 2/s standard, 400 -> 20/s Plus).
SECONDS_TO_DRAIN: Final = 20.0
#: Calls kept free at the top of the bucket (for the owner's other apps and for retries).
HEADROOM: Final = 0.2
#: How much of a bad body an error message keeps.
BODY_CHARS: Final = 300

_CALL_LIMIT = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


class ShopifyApiError(requests.HTTPError):
    """Shopify answered with an error status (after the retries that 429 and 5xx get)."""


class ShopifyPayloadError(ValueError):
    """Shopify answered 200 with something that is not the documented JSON page (for example cut off)."""


def _error_message(response: requests.Response) -> str:
    """Shopify's ``{"errors": ...}`` as text (a string, a list, or a field -> messages object)."""
    try:
        document = response.json()
    except ValueError:
        return response.text[:BODY_CHARS].strip() or response.reason or "no message"
    errors = document.get("errors") if isinstance(document, dict) else None
    if isinstance(errors, dict):
        return "; ".join(f"{key}: {value}" for key, value in errors.items())
    if errors:
        return str(errors)
    return response.text[:BODY_CHARS].strip()


def wait_for_bucket(header: str | None, sleep: Callable[[float], None] = time.sleep) -> float:
    """Wait until the bucket reported in ``header`` (``used/size``) is below its headroom; return the wait."""
    match = _CALL_LIMIT.match(header or "")
    if not match:
        return 0.0
    used, size = int(match.group(1)), int(match.group(2))
    if size <= 0:
        return 0.0
    ceiling = size * (1 - HEADROOM)
    if used < ceiling:
        return 0.0
    drain_per_second = size / SECONDS_TO_DRAIN
    seconds = (used - ceiling + 1) / drain_per_second
    log.debug("Shopify call limit %s/%s: waiting %.1f s", used, size, seconds)
    sleep(seconds)
    return seconds


class ShopifyClient:
    """Reads one shop's Admin REST API; one instance per load (its session keeps connections open)."""

    def __init__(
        self,
        shop: str,
        access_token: str,
        api_version: str,
        base_url: str | None = None,
        *,
        page_size: int = PAGE_SIZE,
        timeout: float = 30.0,
        max_attempts: int = 6,
        backoff_factor: float = 1.0,
        max_retry_delay: float = 60.0,
    ) -> None:
        if not 1 <= page_size <= PAGE_SIZE:
            raise ValueError(f"page_size must lie in 1..{PAGE_SIZE}, got {page_size}")
        self.shop = shop
        self.page_size = page_size
        session = Client(
            raise_for_status=False,  # _check raises, with Shopify's own message
            request_timeout=timeout,
            request_max_attempts=max_attempts,
            request_backoff_factor=backoff_factor,
            request_max_retry_delay=max_retry_delay,
            respect_retry_after_header=True,
        ).session
        root = (base_url or f"https://{shop}").rstrip("/")
        self._rest = RESTClient(
            base_url=f"{root}/admin/api/{api_version}",
            auth=APIKeyAuth(name=AUTH_HEADER, api_key=access_token, location="header"),
            session=session,
        )

    def pages(self, path: str, key: str, params: dict[str, Any] | None = None) -> Iterator[list[Any]]:
        """The objects of a listing, one list per page, each object as Shopify sent it."""
        pages = self._rest.paginate(
            path,
            params={"limit": self.page_size, **(params or {})},
            paginator=HeaderLinkPaginator(),
            data_selector=key,
            hooks={"response": [self._check(key)]},
        )
        for page in pages:
            yield list(page)

    def _check(self, key: str) -> Callable[..., None]:
        shop = self.shop

        def check(response: requests.Response, *args: Any, **kwargs: Any) -> None:
            """Response hook: rate limit, then raise on an error status or on a page that is not JSON."""
            url = sanitize_url(response.url)
            status = response.status_code
            if status != 429:  # a 429 says how long to wait in Retry-After
                wait_for_bucket(response.headers.get(CALL_LIMIT_HEADER))
            if status in (401, 403):
                raise ConnectorAuthError(
                    f"Shopify refused Keel's access to {shop} ({status}: {_error_message(response)}). "
                    "The app's access token was revoked or lacks a permission: reconnect the shop with a "
                    "new Admin API access token."
                )
            if status == 429:
                retry_after = response.headers.get("Retry-After")
                try:
                    seconds = float(retry_after) if retry_after else None
                except ValueError:
                    seconds = None
                if seconds is not None:  # "2.0" -> "2": dlt reads whole seconds or an HTTP date
                    response.headers["Retry-After"] = str(max(1, math.ceil(seconds)))
            if status >= 400:
                raise ShopifyApiError(
                    f"Shopify answered {status} for {url}: {_error_message(response)}", response=response
                )
            try:
                document = response.json()
            except ValueError:
                raise ShopifyPayloadError(  # no part of the body: it may hold customers' details
                    f"Shopify's answer for {url} is not complete JSON ({len(response.content)} bytes); "
                    "the load stops here and the next run resumes"
                ) from None
            if not isinstance(document, dict) or not isinstance(document.get(key), list):
                raise ShopifyPayloadError(f"Shopify's answer for {url} has no {key!r} list")

        return check
