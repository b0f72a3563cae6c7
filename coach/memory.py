"""The coach's memory in the warehouse: sessions, turns and events, and search over past turns by meaning.

Everything goes through the signed-in tenant's own ``keel_app`` login, so row-level security keeps each
tenant to its own conversations (``coach.sessions``, ``coach.messages``: migration 0014).

- :func:`start_session` / :func:`continue_session` give a :class:`~coach.core.CoachContext` with a
  ``session_id``; :func:`append_turn` stores a question with its answer (text, agents, facts and
  citations as jsonb, notes as flags) and the question's embedding; :func:`record_event` stores what the
  LLM path logs (a reply replaced by the offline answer, a refused tool call).
- :func:`recent_turns`: the session's last turns, oldest first, for follow-up questions ("and last
  year?", "what about Saturday?") and for the model's chat history.
- :func:`search`: the past turns nearest in meaning to a text (cosine distance over wordllama
  embeddings, HNSW index with pgvector's iterative scan so the tenant filter still returns ``k`` rows;
  ``exact=True`` scans without the index, the reference for recall).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import psycopg

from coach.core import Answer, CoachContext
from coach.embedding import embed_texts
from keel import warehouse

#: Candidates the HNSW scan keeps per query (pgvector's default is 40).
EF_SEARCH = 100


@dataclass(frozen=True)
class Turn:
    """One stored question and answer."""

    message_id: int
    session_id: uuid.UUID
    asked_at: datetime
    question: str
    answer_text: str
    agents: list[str]
    facts: dict[str, Any]
    flags: dict[str, Any]
    used_llm: bool
    refused: bool


@dataclass(frozen=True)
class Found:
    """A past turn and how far its question is from the text searched for (cosine distance, 0 = same)."""

    turn: Turn
    distance: float


_TURN_COLUMNS = (
    "message_id, session_id, asked_at, question, answer_text, agents, facts, flags, used_llm, refused"
)


@contextmanager
def _connection(ctx: CoachContext, conn: psycopg.Connection[Any] | None) -> Iterator[psycopg.Connection[Any]]:
    if conn is not None:
        yield conn
        return
    with warehouse.connect("keel_app", tenant_id=ctx.tenant_id) as own:
        yield own


def _vector(values: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.6f}" for x in values) + "]"


def start_session(
    ctx: CoachContext, *, channel: str = "console", title: str | None = None, conn: Any = None
) -> CoachContext:
    """A new conversation of ``ctx``'s user; the returned context carries its ``session_id``."""
    with _connection(ctx, conn) as c:
        row = c.execute(
            "insert into coach.sessions (tenant_id, user_id, channel, title) values (%s, %s, %s, %s) "
            "returning session_id",
            (ctx.tenant_id, ctx.user_id, channel, title[:200] if title else None),
        ).fetchone()
    assert row is not None
    return replace(ctx, session_id=row[0])


def continue_session(ctx: CoachContext, *, channel: str = "console", conn: Any = None) -> CoachContext:
    """``ctx``'s session if it has one and it exists, else the user's latest, else a new one."""
    with _connection(ctx, conn) as c:
        if ctx.session_id is not None:
            found = c.execute(
                "select session_id from coach.sessions where session_id = %s", (ctx.session_id,)
            ).fetchone()
        else:
            found = c.execute(
                "select session_id from coach.sessions where user_id is not distinct from %s "
                "order by last_active_at desc limit 1",
                (ctx.user_id,),
            ).fetchone()
        if found is not None:
            return replace(ctx, session_id=found[0])
        return start_session(replace(ctx, session_id=None), channel=channel, conn=c)


def _require_session(ctx: CoachContext) -> uuid.UUID:
    if ctx.session_id is None:
        raise ValueError("the coach context has no session: call start_session or continue_session first")
    return ctx.session_id


def append_turn(ctx: CoachContext, question: str, answer: Answer, *, conn: Any = None) -> int:
    """Store ``question`` and ``answer`` in ``ctx``'s session; returns the message id."""
    session_id = _require_session(ctx)
    facts = {r.tool: r.facts for r in answer.results}
    citations = [asdict(c) for c in answer.citations]
    flags = {"notes": list(answer.notes)} if answer.notes else {}
    embedding = _vector(embed_texts([question])[0])
    with _connection(ctx, conn) as c:
        row = c.execute(
            """
            insert into coach.messages (tenant_id, session_id, kind, question, answer_text, agents, facts,
                                        citations, flags, used_llm, refused, embedding)
            values (%s, %s, 'turn', %s, %s, %s, %s, %s, %s, %s, %s, %s::vector)
            returning message_id
            """,
            (
                ctx.tenant_id,
                session_id,
                question[:4000],
                answer.text,
                list(answer.agents),
                json.dumps(facts, default=str),
                json.dumps(citations, default=str),
                json.dumps(flags),
                answer.used_llm,
                answer.refused,
                embedding,
            ),
        ).fetchone()
        c.execute("update coach.sessions set last_active_at = now() where session_id = %s", (session_id,))
    assert row is not None
    return int(row[0])


def record_event(
    ctx: CoachContext, question: str, kind: str, notes: Sequence[str], *, conn: Any = None
) -> int:
    """Store an event of a turn (e.g. ``unsupported_number``: the model's reply was replaced)."""
    session_id = _require_session(ctx)
    with _connection(ctx, conn) as c:
        row = c.execute(
            "insert into coach.messages (tenant_id, session_id, kind, question, flags) "
            "values (%s, %s, 'event', %s, %s) returning message_id",
            (ctx.tenant_id, session_id, question[:4000], json.dumps({"event": kind, "notes": list(notes)})),
        ).fetchone()
    assert row is not None
    return int(row[0])


def _turn(row: Sequence[Any]) -> Turn:
    return Turn(
        message_id=row[0],
        session_id=row[1],
        asked_at=row[2],
        question=row[3],
        answer_text=row[4],
        agents=list(row[5] or []),
        facts=row[6] or {},
        flags=row[7] or {},
        used_llm=row[8],
        refused=row[9],
    )


def recent_turns(ctx: CoachContext, limit: int = 6, *, conn: Any = None) -> list[Turn]:
    """The last ``limit`` turns of ``ctx``'s session, oldest first (events left out)."""
    session_id = _require_session(ctx)
    with _connection(ctx, conn) as c:
        rows = c.execute(
            f"select {_TURN_COLUMNS} from coach.messages where session_id = %s and kind = 'turn' "
            "order by message_id desc limit %s",
            (session_id, max(1, limit)),
        ).fetchall()
    return [_turn(r) for r in reversed(rows)]


_FOLLOW_UP = re.compile(
    r"^\s*(?:and|but|also|or|so|then|ok(?:ay)?,?\s+and|what\s+about|how\s+about|and\s+what\s+about|"
    r"same\s+(?:for|with)|what\s+if|compared\s+(?:to|with)|versus|vs\.?)\b"
    r"|^\s*(?:(?:last|next|this|the)\s+)?(?:year|month|week|quarter|weekend|monday|tuesday|wednesday|thursday|"
    r"friday|saturday|sunday|december|january|yesterday|today|tomorrow)\s*\??\s*$",
    re.IGNORECASE,
)


def follow_up_of(question: str, turns: Sequence[Turn]) -> Turn | None:
    """The earlier turn ``question`` follows up ("and last year?", "what about Saturday?"), or None.

    A follow-up leans on the previous question for what it asks about; the router takes that question's
    agent and entities and replaces those the follow-up names (the period, the day, the product).
    """
    if not turns or not _FOLLOW_UP.search(question):
        return None
    return next((t for t in reversed(turns) if not t.refused), None)


def events(ctx: CoachContext, *, conn: Any = None) -> list[dict[str, Any]]:
    """The events of ``ctx``'s session (their flags), oldest first."""
    session_id = _require_session(ctx)
    with _connection(ctx, conn) as c:
        rows = c.execute(
            "select flags from coach.messages where session_id = %s and kind = 'event' order by message_id",
            (session_id,),
        ).fetchall()
    return [r[0] for r in rows]


def search(ctx: CoachContext, text: str, k: int = 5, *, exact: bool = False, conn: Any = None) -> list[Found]:
    """The ``k`` past turns of ``ctx``'s tenant nearest in meaning to ``text``, nearest first."""
    if not 1 <= k <= 100:
        raise ValueError(f"k must be between 1 and 100, got {k}")
    query = _vector(embed_texts([text])[0])
    # One round trip: the settings and the query go down a pipeline inside one transaction.
    with _connection(ctx, conn) as c, c.transaction(), c.pipeline():
        if exact:
            c.execute("select set_config('enable_indexscan', 'off', true)")
        else:
            # The tenant filter comes from row-level security; the iterative scan keeps reading the index
            # until k of the tenant's rows are found, and sequential scans are off so the planner (which
            # keeps no statistics on tenant columns) does not sort the tenant's rows instead.
            c.execute(
                "select set_config('hnsw.ef_search', %s, true), "
                "set_config('hnsw.iterative_scan', 'relaxed_order', true), "
                "set_config('enable_seqscan', 'off', true)",
                (str(max(EF_SEARCH, k)),),
            )
        cursor = c.execute(
            f"select {_TURN_COLUMNS}, embedding <=> %s::vector as distance from coach.messages "
            "where kind = 'turn' and embedding is not null order by distance limit %s",
            (query, k),
        )
        rows = cursor.fetchall()
    found = [Found(_turn(r), float(r[-1])) for r in rows]
    return sorted(found, key=lambda f: f.distance)  # relaxed order: the index may return near-ties swapped
