"""Every list is a page: ``items`` and an opaque ``next_cursor``; tabular pages also come as CSV on request.

A cursor names the position after the page's last item in the list's fixed order (each reader orders its
rows); the client passes it back unchanged (``?cursor=...``) and gets the next ``limit`` items. A cursor
that was not made here is refused with 422 naming ``cursor``. CSV (``?format=csv`` or ``Accept: text/csv``)
carries the same items, one row each (nested values as JSON text); the next cursor goes in the
``X-Next-Cursor`` header and a ``Link: <...>; rel="next"`` header.
"""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import decimal
import enum
import io
import json
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, is_dataclass
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
CSV_MEDIA_TYPE = "text/csv"
#: OpenAPI: the tabular endpoints' other representation.
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}}, "description": "The items as CSV"}
}

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page (1 to 1000).")]
Cursor = Annotated[
    str | None,
    Query(max_length=200, description="The next_cursor of the previous page; leave out for the first page."),
]
Format = Annotated[
    Literal["json", "csv"] | None,
    Query(description="csv: the items as CSV (as Accept: text/csv does); json is the default."),
]


def plain(value: Any) -> Any:
    """JSON-ready values: dates as ISO text, UUIDs as text, NaN and infinity as null, dataclasses as dicts."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, decimal.Decimal):
        return plain(float(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Sequence | set | frozenset) and not isinstance(value, bytes | bytearray):
        return [plain(v) for v in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return None  # binary columns are never served (encrypted secrets live in such columns)
    return str(value)


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"keel:{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str | None) -> int:
    if cursor is None or cursor == "":
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        mark, _, number = text.partition(":")
        if mark != "keel" or not number.isdigit():
            raise ValueError(text)
        return int(number)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("query", "cursor"),
                    "msg": "the cursor was not made by this API: pass next_cursor of the previous page as is",
                    "input": cursor,
                }
            ]
        ) from None


def wants_csv(request: Request, format: str | None) -> bool:
    if format is not None:
        return format == "csv"
    accept = request.headers.get("accept", "")
    return CSV_MEDIA_TYPE in accept and "application/json" not in accept


def page(
    request: Request,
    rows: Sequence[Any],
    *,
    limit: int,
    cursor: str | None,
    format: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    """One page of ``rows`` (already in their fixed order) as JSON or, when asked, CSV."""
    start = _offset(cursor)
    items = [plain(r) for r in rows[start : start + limit]]
    next_cursor = _encode(start + limit) if start + limit < len(rows) else None
    headers: dict[str, str] = {}
    if next_cursor is not None:
        headers["X-Next-Cursor"] = next_cursor
        headers["Link"] = f'<{request.url.include_query_params(cursor=next_cursor)}>; rel="next"'
    if wants_csv(request, format):
        return Response(_csv(items), media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8", headers=headers)
    body = {**(plain(extra) if extra else {}), "items": items, "next_cursor": next_cursor}
    return JSONResponse(body, headers=headers)


def _csv(items: list[dict[str, Any]]) -> str:
    columns: dict[str, None] = {}
    for item in items:
        columns.update(dict.fromkeys(item))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for item in items:
        writer.writerow(
            [
                json.dumps(item.get(c)) if isinstance(item.get(c), dict | list) else item.get(c)
                for c in columns
            ]
        )
    return out.getvalue()
