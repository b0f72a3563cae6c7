"""How a coach tool reads the warehouse: as ``keel_app`` for the asking tenant, under row-level security.

A question calls several tools; :func:`tenant_session` opens one connection for the whole question (a
tenant login costs a password check) and :func:`tenant_connection` hands it to every tool of the same
tenant, or opens a short one outside a session. No tool builds SQL from the question: the queries here
and in the tool modules are fixed text with bound parameters, and the tenant comes only from
:class:`~coach.core.CoachContext`.
"""

from __future__ import annotations

import collections
import contextlib
import contextvars
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

import psycopg

from keel.warehouse import connect, role_params

_SESSION: contextvars.ContextVar[tuple[uuid.UUID, psycopg.Connection[Any], dict[str, Any]] | None] = (
    contextvars.ContextVar("coach_session", default=None)
)


#: Open tenant logins kept between questions (a new one costs a password check and a cold catalog cache,
#: about as much as the whole answer); at most this many, the least recently used closed first.
IDLE_CONNECTIONS = 16
_IDLE: collections.OrderedDict[tuple[Any, ...], tuple[contextlib.ExitStack, psycopg.Connection[Any]]] = (
    collections.OrderedDict()
)
_IDLE_LOCK = threading.Lock()


def _checkout(tenant_id: uuid.UUID) -> tuple[tuple[Any, ...], contextlib.ExitStack, psycopg.Connection[Any]]:
    params = role_params("keel_app", tenant_id=tenant_id)
    key = (tenant_id, *sorted((name, str(value)) for name, value in params.items()))
    with _IDLE_LOCK:
        idle = _IDLE.pop(key, None)
    if idle is not None and not idle[1].closed and not idle[1].broken:
        return key, idle[0], idle[1]
    stack = contextlib.ExitStack()
    conn = stack.enter_context(connect("keel_app", tenant_id=tenant_id))
    # Prepared from the first use: the daily metrics have a partition per month, and planning a query
    # over all of them costs more than running it; a kept connection then reuses the plans.
    conn.prepare_threshold = 0
    return key, stack, conn


def _checkin(key: tuple[Any, ...], stack: contextlib.ExitStack, conn: psycopg.Connection[Any]) -> None:
    try:
        conn.rollback()  # read only: end the transaction so the next question sees new rows
    except psycopg.Error:
        stack.close()
        return
    with _IDLE_LOCK:
        _IDLE[key] = (stack, conn)
        evicted = [_IDLE.popitem(last=False)[1] for _ in range(max(0, len(_IDLE) - IDLE_CONNECTIONS))]
    for old_stack, _conn in evicted:
        old_stack.close()


@contextlib.contextmanager
def tenant_session(tenant_id: uuid.UUID) -> Iterator[psycopg.Connection[Any]]:
    """One connection of the tenant's own login for every tool call of one question."""
    current = _SESSION.get()
    if current is not None and current[0] == tenant_id:
        yield current[1]
        return
    key, stack, conn = _checkout(tenant_id)
    token = _SESSION.set((tenant_id, conn, {}))
    try:
        yield conn
    except BaseException:
        stack.close()
        raise
    else:
        _checkin(key, stack, conn)
    finally:
        _SESSION.reset(token)


@contextlib.contextmanager
def tenant_connection(tenant_id: uuid.UUID) -> Iterator[psycopg.Connection[Any]]:
    """The session's connection when one is open for this tenant, else a connection of its own."""
    with tenant_session(tenant_id) as conn:
        try:
            yield conn
        except psycopg.Error:
            conn.rollback()
            raise


def remembered(tenant_id: uuid.UUID, key: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per question's session (e.g. the metrics' build, which every citation names)."""
    current = _SESSION.get()
    if current is None or current[0] != tenant_id:
        return compute()
    memo = current[2]
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def relation_exists(conn: psycopg.Connection[Any], relation: str) -> bool:
    row = conn.execute("select to_regclass(%s) is not null", (relation,)).fetchone()
    return bool(row and row[0])


def rows(conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """The rows of a fixed query as dictionaries (an empty list when a relation is missing)."""
    with conn.cursor() as cur:
        try:
            cur.execute(query, params)
        except psycopg.errors.UndefinedTable:
            conn.rollback()
            return []
        names = [d.name for d in cur.description or ()]
        return [dict(zip(names, record, strict=True)) for record in cur.fetchall()]


def one(conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...] = ()) -> dict[str, Any] | None:
    found = rows(conn, query, params)
    return found[0] if found else None


def as_date(value: date | datetime | None) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value
