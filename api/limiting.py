"""Rate limits per credential and per client address, and the largest request body the API accepts.

The limits come from the settings in the ``limits`` library's notation (``600/minute``) and are counted in
a moving window in this process's memory (``limits``' MemoryStorage): one API process per deployment, as
``keel api`` starts it. A refused request gets 429 with ``Retry-After``; a body over
``KEEL_API_MAX_BODY_BYTES`` gets 413 before the application reads it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, MutableMapping
from functools import lru_cache
from typing import Any

from fastapi import HTTPException, status
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from keel.api_tokens import TokenUser
from keel.errors import InvalidInput
from keel.settings import get_settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_limiter = MovingWindowRateLimiter(MemoryStorage())


@lru_cache(maxsize=8)
def _item(text: str, setting: str) -> RateLimitItem:
    try:
        return parse(text)
    except ValueError:
        raise InvalidInput(
            f"{setting} {text!r} is not a rate", "write it like 600/minute or 10/second"
        ) from None


def _retry_after(item: RateLimitItem, *key: str) -> int:
    reset, _remaining = _limiter.get_window_stats(item, *key)
    return max(1, math.ceil(reset - time.time()))


def limit_principal(user: TokenUser) -> None:
    """Count one request of this credential; 429 when its limit is used up."""
    settings = get_settings()
    item = _item(settings.api_rate_limit_per_token, "KEEL_API_RATE_LIMIT_PER_TOKEN")
    key = f"token:{user.token_id}" if user.token_id is not None else f"user:{user.user_id}"
    if not _limiter.hit(item, "keel-api", key):
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many requests with this token: at most {item}; wait and try again",
            headers={"Retry-After": str(_retry_after(item, "keel-api", key))},
        )


def reset_limits() -> None:
    """Forget every count (the tests start each scenario afresh)."""
    _limiter.storage.reset()


async def _refuse(send: Send, code: int, detail: str, headers: dict[str, str] | None = None) -> None:
    import json

    body = json.dumps({"detail": detail}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": code, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(HTTPException):
    """Raised while the application reads the body: FastAPI passes HTTP exceptions on as they are."""

    def __init__(self, detail: str) -> None:
        super().__init__(status.HTTP_413_CONTENT_TOO_LARGE, detail)


class GuardMiddleware:
    """Per-address rate limit and request size limit, in front of everything else (pure ASGI)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = get_settings()
        client = scope.get("client")
        address = client[0] if client else "unknown"
        item = _item(settings.api_rate_limit_per_address, "KEEL_API_RATE_LIMIT_PER_ADDRESS")
        if not _limiter.hit(item, "keel-api", f"address:{address}"):
            retry = _retry_after(item, "keel-api", f"address:{address}")
            await _refuse(
                send,
                429,
                f"too many requests from this address: at most {item}; wait and try again",
                {"Retry-After": str(retry)},
            )
            return
        limit = settings.api_max_body_bytes
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        too_large = f"the request body is larger than {limit:,} bytes"
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(send, 413, too_large)
            return
        seen = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyTooLarge(too_large)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _BodyTooLarge:
            if not started:
                await _refuse(send, 413, too_large)
