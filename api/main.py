"""The API application: ``create_app()`` builds it, ``keel api`` serves it with uvicorn.

Errors reach clients in one shape, ``{"detail": ...}``: 401 without a valid credential, 403 without the
scope, 404 for what the tenant does not have, 413 for a body over the size limit, 422 naming the field
that is wrong, 429 over a rate limit, 503 when the warehouse cannot answer. A 500 is a bug.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import psycopg
from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from api.limiting import GuardMiddleware
from api.v1 import router
from coach.goals import GoalInputError
from coach.interventions import InterventionInputError
from keel import warehouse
from keel.errors import AuthenticationFailed, InvalidInput, KeelError, WarehouseUnavailable
from serving.readers import ForecastsNotStored, MetricsNotBuilt

log = logging.getLogger(__name__)
_FIELD = re.compile(r"^([a-z_ ]{1,40}): (.+)$", re.DOTALL)
DESCRIPTION = """
Keel's HTTP API: your business's figures, health score, peer benchmarks, forecasts, evidence, plans, goals,
alerts and data sources, as the console shows them.

**Authentication**: `Authorization: Bearer <token>` with a personal access token (`keel token create`, or
*Your data → API tokens* in the console), scoped `read` and/or `write`; or, where configured, a bearer token
of your organisation's identity provider. Every request sees your business's data only.

**Lists** are pages: `items` and `next_cursor` (pass it back as `?cursor=`). Tabular lists also come as CSV
with `Accept: text/csv` or `?format=csv`.
"""


def _detail(message: str, todo: str | None = None) -> dict[str, Any]:
    return {"detail": f"{message} — {todo}" if todo else message}


def _field_error(exc: Exception) -> JSONResponse:
    text = str(exc)
    match = _FIELD.match(text)
    field, message = (match.group(1).strip().replace(" ", "_"), match.group(2)) if match else (None, text)
    if field == "goal" and message.startswith("no goal"):
        return JSONResponse(_detail(message), status.HTTP_404_NOT_FOUND)
    loc = ["body", field] if field else ["body"]
    return JSONResponse({"detail": [{"loc": loc, "msg": message, "type": "value_error"}]}, 422)


def create_app(*, reuse_connections: bool = False) -> FastAPI:
    """The API; ``reuse_connections`` keeps tenant logins open between requests (``keel api`` does)."""
    if reuse_connections:
        warehouse.reuse_connections()
    app = FastAPI(
        title="Keel API",
        version="1",
        description=DESCRIPTION,
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    app.add_middleware(GuardMiddleware)
    app.include_router(router)

    @app.exception_handler(GoalInputError)
    @app.exception_handler(InterventionInputError)
    async def input_error(request: Request, exc: Exception) -> JSONResponse:
        return _field_error(exc)

    @app.exception_handler(psycopg.errors.DataError)
    @app.exception_handler(psycopg.errors.IntegrityError)
    @app.exception_handler(UnicodeEncodeError)
    async def unstorable(request: Request, exc: Exception) -> JSONResponse:
        # A value pydantic let through that PostgreSQL refuses (a NUL character, a number out of range):
        # the client's input, not a fault of the API. The database's own words go to the log.
        log.info("request %s %s refused by the database: %s", request.method, request.url.path, exc)
        message = "a value of the request cannot be stored: out of range, or a character text cannot hold"
        return JSONResponse({"detail": [{"loc": ["body"], "msg": message, "type": "value_error"}]}, 422)

    @app.exception_handler(KeelError)
    async def keel_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, KeelError)
        if isinstance(exc, AuthenticationFailed):
            code = status.HTTP_401_UNAUTHORIZED
        elif isinstance(exc, InvalidInput):
            return JSONResponse(
                {"detail": [{"loc": ["request"], "msg": str(exc), "type": "value_error"}]}, 422
            )
        elif isinstance(exc, ForecastsNotStored | MetricsNotBuilt):
            code = status.HTTP_404_NOT_FOUND
        elif isinstance(exc, WarehouseUnavailable):
            code = status.HTTP_503_SERVICE_UNAVAILABLE
        else:
            log.warning("request %s %s: %s", request.method, request.url.path, exc)
            code = status.HTTP_503_SERVICE_UNAVAILABLE
        return JSONResponse(_detail(exc.what, exc.todo), code)

    return app
