"""How a coach tool reads the warehouse: as ``keel_app`` for the asking tenant, under row-level security.

A question calls several tools; :func:`tenant_session` opens one connection for the whole question (a
tenant login costs a password check) and :func:`tenant_connection` hands it to every tool of the same
tenant, or opens a short one outside a session. No tool builds SQL from the question: the queries here
and in the tool modules are fixed text with bound parameters, and the tenant comes only from
:class:`~coach.core.CoachContext`.
"""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

import psycopg

from keel.warehouse import connect

_SESSION: contextvars.ContextVar[tuple[uuid.UUID, psycopg.Connection[Any], dict[str, Any]] | None] = (
    contextvars.ContextVar("coach_session", default=None)
)


@contextlib.contextmanager
def tenant_session(tenant_id: uuid.UUID) -> Iterator[psycopg.Connection[Any]]:
    """One connection for every tool call of one question of this tenant."""
    current = _SESSION.get()
    if current is not None and current[0] == tenant_id:
        yield current[1]
        return
    with connect("keel_app", tenant_id=tenant_id) as conn:
        token = _SESSION.set((tenant_id, conn, {}))
        try:
            yield conn
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
