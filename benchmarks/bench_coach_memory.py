"""Benchmark of the coach's memory: recall of the HNSW search against exact search, and retrieval latency.

Run from the repository root against a warehouse with demo tenants (after ``keel demo``; a small demo of
two tenants is enough):

    KEEL_HOME=.keel .venv/bin/python benchmarks/bench_coach_memory.py                # 4,000 messages
    KEEL_HOME=.keel .venv/bin/python benchmarks/bench_coach_memory.py --messages 10000 --queries 300

It stores ``--messages`` different questions (owner questions: intents x metrics x periods x products
x weekdays, with openings and closings as owners word them) as coach turns, spread over the warehouse's
tenants in one session each, through :func:`coach.memory.append_turn`'s SQL (batched), then for
``--queries`` other questions runs :func:`coach.memory.search` with the HNSW index and with an exact
scan, as each tenant's own ``keel_app`` login, and prints:

* recall@k of HNSW against exact search (ids; and counting a result at the same distance as the k-th
  exact one as a hit, since equal questions have equal vectors and either may be returned);
* retrieval latency p50/p95 of ``search`` on an open connection (embedding the query and the SQL), the
  server's own execution time of the HNSW query (EXPLAIN ANALYZE), and a search that also opens its own
  connection (the console's case without a pooled connection).

The benchmark's sessions are deleted at the end (``--keep`` leaves them).
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
import uuid

import numpy as np

from coach import memory
from coach.core import CoachContext
from coach.embedding import embed_texts
from keel import warehouse

INTENTS = [
    "How did {metric} do {period}?",
    "What was my {metric} {period}?",
    "Will {metric} grow {period}?",
    "Why did {metric} drop {period}?",
    "Forecast my {metric} for {period}",
    "How many staff do I need on {weekday}?",
    "Did the {promo} work for {product}?",
    "What should I do about {metric} {period}?",
    "Compare my {metric} with peers {period}",
    "Which products sold best {period}?",
    "Am I on track for my {metric} goal {period}?",
    "How much {product} should I order for {weekday}?",
    "What drives my {metric}?",
    "Is my {metric} healthy compared to last year?",
]
METRICS = [
    "revenue",
    "sales",
    "orders",
    "average order value",
    "gross margin",
    "cash",
    "refunds",
    "new customers",
    "returning customers",
    "labor cost",
    "marketing spend",
    "subscriptions",
    "MRR",
    "churn",
]
PERIODS = [
    "last month",
    "this week",
    "last week",
    "in December",
    "next quarter",
    "this year",
    "last year",
    "over the holidays",
    "in the summer",
    "yesterday",
    "next month",
    "since the spring",
]
PRODUCTS = ["lattes", "croissants", "cold brew", "gift cards", "haircuts", "the starter plan", "notebooks"]
PROMOS = ["student discount", "happy hour", "loyalty card", "price change", "newsletter", "free shipping"]
WEEKDAYS = ["Monday", "Friday", "Saturday", "Sunday", "weekends", "public holidays"]


OPENINGS = [
    "",
    "Quick question: ",
    "Hi! ",
    "Hey coach, ",
    "Honestly, ",
    "Can you tell me ",
    "So ",
    "Be frank: ",
]
CLOSINGS = [
    "",
    " Thanks.",
    " Be brief.",
    " I'm worried.",
    " Just the number.",
    " For the bank.",
    " Again?",
    " Why?",
]


def questions(count: int, rng: np.random.Generator, avoid: frozenset[str] = frozenset()) -> list[str]:
    """``count`` different owner questions (none of ``avoid``), as varied as owners word them."""

    def pick(options: list[str]) -> str:
        return options[int(rng.integers(len(options)))]

    made: dict[str, None] = {}
    while len(made) < count:
        text = (
            pick(OPENINGS)
            + pick(INTENTS).format(
                metric=pick(METRICS),
                period=pick(PERIODS),
                weekday=pick(WEEKDAYS),
                product=pick(PRODUCTS),
                promo=pick(PROMOS),
            )
            + pick(CLOSINGS)
        )
        if text not in avoid:
            made[text] = None
    return list(made)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, nargs="+", default=[5, 10])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="leave the benchmark's sessions in place")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    with warehouse.connect("admin") as admin:
        tenants = [
            row[0] for row in admin.execute("select tenant_id from app.tenants order by slug").fetchall()
        ]
    if not tenants:
        sys.exit("no tenants in the warehouse: run `keel demo` (or a small demo) first")

    texts = questions(args.messages, rng)
    started = time.perf_counter()
    vectors = embed_texts(texts)
    embed_s = time.perf_counter() - started
    sessions: dict[uuid.UUID, CoachContext] = {}
    started = time.perf_counter()
    for index, tenant in enumerate(tenants):
        ctx = memory.start_session(CoachContext(tenant_id=tenant), channel="terminal", title="benchmark")
        sessions[tenant] = ctx
        mine = range(index, len(texts), len(tenants))
        with warehouse.connect("keel_app", tenant_id=tenant) as conn, conn.cursor() as cur:
            cur.executemany(
                "insert into coach.messages (tenant_id, session_id, kind, question, answer_text, facts, "
                "embedding) values (%s, %s, 'turn', %s, '', %s, %s::vector)",
                [
                    (tenant, ctx.session_id, texts[i], json.dumps({}), memory._vector(vectors[i]))
                    for i in mine
                ],
            )
    insert_s = time.perf_counter() - started
    with warehouse.connect("admin") as admin:
        admin.execute("analyze coach.messages")
        stored = admin.execute("select count(*) from coach.messages where kind = 'turn'").fetchone()
    print(
        f"stored {args.messages:,} messages over {len(tenants)} tenants "
        f"({stored[0] if stored else '?':,} turns in the table): embedding {embed_s:.2f} s, "
        f"insert {insert_s:.2f} s"
    )

    probes = questions(args.queries, np.random.default_rng(args.seed + 1), avoid=frozenset(texts))
    tenant_cycle = itertools.cycle(tenants)
    try:
        for k in args.k:
            hits = ties = total = 0
            open_ms: list[float] = []
            for text in probes:
                ctx = sessions[next(tenant_cycle)]
                with warehouse.connect("keel_app", tenant_id=ctx.tenant_id) as conn:
                    memory.search(ctx, text, k, conn=conn)  # warm the connection's plan cache
                    t0 = time.perf_counter()
                    approximate = memory.search(ctx, text, k, conn=conn)
                    open_ms.append((time.perf_counter() - t0) * 1000)
                    exact = memory.search(ctx, text, k, exact=True, conn=conn)
                exact_ids = {f.turn.message_id for f in exact}
                cutoff = exact[-1].distance + 1e-6 if exact else 0.0
                hits += sum(f.turn.message_id in exact_ids for f in approximate)
                ties += sum(f.turn.message_id in exact_ids or f.distance <= cutoff for f in approximate)
                total += len(exact)
            server_ms: list[float] = []
            for text in probes[:50]:
                ctx = sessions[next(tenant_cycle)]
                with warehouse.connect("keel_app", tenant_id=ctx.tenant_id) as conn, conn.transaction():
                    conn.execute(
                        "select set_config('hnsw.ef_search', %s, true), "
                        "set_config('hnsw.iterative_scan', 'relaxed_order', true), "
                        "set_config('enable_seqscan', 'off', true)",
                        (str(max(memory.EF_SEARCH, k)),),
                    )
                    plan = conn.execute(
                        "explain (analyze, format json) select message_id, embedding <=> %s::vector as d "
                        "from coach.messages where kind = 'turn' and embedding is not null "
                        "order by d limit %s",
                        (memory._vector(embed_texts([text])[0]), k),
                    ).fetchone()
                assert plan is not None
                server_ms.append(float(plan[0][0]["Execution Time"]))
            fresh_ms: list[float] = []
            for text in probes[:50]:
                ctx = sessions[next(tenant_cycle)]
                t0 = time.perf_counter()
                memory.search(ctx, text, k)
                fresh_ms.append((time.perf_counter() - t0) * 1000)
            print(
                f"k={k}: recall@{k} {hits / total:.3f} (ids), {ties / total:.3f} (ties counted) over "
                f"{len(probes)} queries; search on an open connection p50 "
                f"{statistics.median(open_ms):.2f} ms, p95 {percentile(open_ms, 0.95):.2f} ms; "
                f"server execution p50 {statistics.median(server_ms):.2f} ms, "
                f"p95 {percentile(server_ms, 0.95):.2f} ms; with its own connection p50 "
                f"{statistics.median(fresh_ms):.1f} ms, p95 {percentile(fresh_ms, 0.95):.1f} ms"
            )
    finally:
        if not args.keep:
            for tenant, ctx in sessions.items():
                with warehouse.connect("keel_app", tenant_id=tenant) as conn:
                    conn.execute("delete from coach.sessions where session_id = %s", (ctx.session_id,))


if __name__ == "__main__":
    main()
