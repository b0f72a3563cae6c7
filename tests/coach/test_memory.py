"""The coach's memory in the demo warehouse: sessions, turns, events, follow-ups, search, isolation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from coach import memory
from coach.core import Answer, Citation, CoachContext, ToolResult
from coach.embedding import DIMENSIONS, WordLlamaEmbedding, embed_texts
from ingestion.demo.profiles import demo_tenant_id
from keel import warehouse
from keel.settings import KeelSettings


@pytest.fixture
def own(demo_warehouse: KeelSettings) -> Iterator[CoachContext]:
    ctx = memory.start_session(CoachContext(tenant_id=demo_tenant_id("bluebird-coffee")), channel="terminal")
    yield ctx
    with warehouse.connect("keel_app", tenant_id=ctx.tenant_id) as conn:
        conn.execute("delete from coach.sessions where session_id = %s", (ctx.session_id,))


def _answer(text: str, revenue: float) -> Answer:
    result = ToolResult(
        tool="revenue",
        facts={"revenue_net": revenue},
        citations=[Citation("metrics/business_metrics_daily", "run-1", None, None, page="Overview")],
    )
    return Answer(text=text, agents=["general"], results=[result], notes=["a note"])


def test_turns_are_kept_in_order_for_follow_ups(own: CoachContext) -> None:
    memory.append_turn(own, "How were sales last month?", _answer("You took $10,876.", 10_876.1))
    memory.append_turn(own, "and last year?", _answer("You took $98,000.", 98_000.0))
    memory.record_event(own, "and last year?", "unsupported_number", ["the model said $1"])
    turns = memory.recent_turns(own)
    assert [t.question for t in turns] == ["How were sales last month?", "and last year?"]
    assert turns[0].facts == {"revenue": {"revenue_net": 10_876.1}}
    assert turns[0].flags == {"notes": ["a note"]} and turns[0].agents == ["general"]
    assert memory.events(own) == [{"event": "unsupported_number", "notes": ["the model said $1"]}]
    assert [t.question for t in memory.recent_turns(own, limit=1)] == ["and last year?"]
    with warehouse.connect("keel_app", tenant_id=own.tenant_id) as conn:
        citations = conn.execute(
            "select citations from coach.messages where session_id = %s and kind = 'turn' order by 1 limit 1",
            (own.session_id,),
        ).fetchone()
    assert citations is not None and citations[0][0]["asset_key"] == "metrics/business_metrics_daily"
    follows = memory.follow_up_of("and last year?", turns)
    assert follows is not None and follows.question == "and last year?"  # the latest turn
    assert memory.follow_up_of("What about Saturday?", turns[:1]) == turns[0]
    assert memory.follow_up_of("How many baristas do I need on Saturday?", turns) is None
    again = memory.continue_session(CoachContext(tenant_id=own.tenant_id, session_id=own.session_id))
    assert again.session_id == own.session_id


def test_search_finds_by_meaning_and_only_the_tenants_own(own: CoachContext) -> None:
    for question in (
        "How many baristas do I need on Saturday?",
        "Will I hit my revenue goal in December?",
        "Did the student discount work?",
        "What should I do about cash?",
    ):
        memory.append_turn(own, question, _answer("...", 1.0))
    found = memory.search(own, "staff for the weekend shift", k=2)
    assert found[0].turn.question == "How many baristas do I need on Saturday?"
    exact = memory.search(own, "staff for the weekend shift", k=2, exact=True)
    assert [f.turn.message_id for f in exact] == [f.turn.message_id for f in found]
    other = CoachContext(tenant_id=demo_tenant_id("crumb-and-co"))
    assert memory.search(other, "staff for the weekend shift", k=5) == []
    with pytest.raises(ValueError, match="k must be between"):
        memory.search(own, "x", k=0)


def test_another_tenant_cannot_write_into_a_session(own: CoachContext) -> None:
    import psycopg

    intruder = CoachContext(tenant_id=demo_tenant_id("crumb-and-co"), session_id=own.session_id)
    with pytest.raises(psycopg.Error):
        memory.append_turn(intruder, "hello", _answer("hi", 1.0))


def test_the_embedding_ships_offline_and_is_a_llamaindex_embedding() -> None:
    model = WordLlamaEmbedding()
    vector = model.get_query_embedding("How were sales last month?")
    assert len(vector) == DIMENSIONS
    a, b, c = embed_texts(["weekend staffing", "how many staff on saturday", "cash in the bank"])
    assert float(a @ b) > float(a @ c)
