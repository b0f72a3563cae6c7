"""Benchmark of the offline coach: answer latency over the question set on a built demo warehouse.

Run from the repository root against a warehouse that ``keel demo`` built (``KEEL_HOME`` pointing at it):

    KEEL_HOME=/path/to/home .venv/bin/python benchmarks/bench_coach.py
    KEEL_HOME=/path/to/home .venv/bin/python benchmarks/bench_coach.py --rounds 3 --json out.json

It asks every question of ``tests/coach/questions.py`` for every demo tenant in the warehouse, as that
tenant's own login, offline (no LLM), and reports:

* start-up: importing the coach and training the router (once per process: wordllama load, TF-IDF,
  logistic regression);
* answer p50 / p95 / max over all questions (the whole ``coach.ask``: connection, routing, entity
  extraction, tool queries, what-if re-solves, composing), after one warm-up question;
* routing p95 alone (classifier + entities, no warehouse).

The coach keeps no retrieval index of its own (conversation memory and its pgvector search come with
the memory feature), so there is no retrieval figure here. Target: answer p95 <= 300 ms.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=1, help="times to ask the whole question set")
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = parser.parse_args()

    started = time.perf_counter()
    from coach import ask
    from coach.core import CoachContext
    from coach.router import classifier, route

    classifier()
    startup = time.perf_counter() - started

    from keel import warehouse
    from tests.coach.questions import questions_for

    with warehouse.connect("admin") as conn:
        tenants = conn.execute(
            "select slug, tenant_id, name, currency from app.tenants order by slug"
        ).fetchall()
        anchor = conn.execute("select max(metric_date) from metrics.business_metrics_daily").fetchone()[0]  # type: ignore[index]
    asked: list[tuple[CoachContext, str]] = []
    for index, (slug, tenant_id, _name, currency) in enumerate(tenants):
        other = tenants[(index + 1) % len(tenants)][2]
        ctx = CoachContext(tenant_id=tenant_id, currency=currency)
        for question in questions_for(slug, index, anchor, other):
            text = question.text.format(amount="$20,000", budget="$5,000")
            asked.append((ctx, text))
            del question
    _ = dataclasses  # (questions are frozen dataclasses)

    ask(asked[0][1], asked[0][0])  # warm-up: first connection, lazy imports of the tools
    answer_ms: list[float] = []
    for _round in range(args.rounds):
        for ctx, text in asked:
            t0 = time.perf_counter()
            ask(text, ctx)
            answer_ms.append((time.perf_counter() - t0) * 1000)
    route_ms: list[float] = []
    for _ctx, text in asked:
        t0 = time.perf_counter()
        route(text, anchor)
        route_ms.append((time.perf_counter() - t0) * 1000)

    figures: dict[str, Any] = {
        "tenants": len(tenants),
        "questions": len(asked),
        "rounds": args.rounds,
        "startup_seconds": round(startup, 2),
        "answer_p50_ms": round(statistics.median(answer_ms), 1),
        "answer_p95_ms": round(_percentile(answer_ms, 0.95), 1),
        "answer_max_ms": round(max(answer_ms), 1),
        "route_p95_ms": round(_percentile(route_ms, 0.95), 2),
    }
    for key, value in figures.items():
        print(f"{key:>16}: {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
