"""The number verifier on its own: many phrasings of supported numbers pass, invented ones are caught."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from coach.core import Citation, ToolResult
from coach.verify import extract, verify

CITATION = Citation(
    "metrics/business_metrics_daily", "run-1", datetime(2026, 12, 1, tzinfo=UTC), date(2026, 11, 30)
)

RESULTS = [
    ToolResult(
        tool="revenue_forecast",
        facts={
            "revenue_last_month": 39_870.42,
            "growth_vs_prior_month": 0.0963,
            "target": 40_000,
            "probability_of_target": 0.42,
            "forecast_month": date(2026, 12, 1),
            "orders": 1_234,
            "big_total": 1_234_567.0,
            "refunds": -312.5,
            "peak_hour": 9,
            "best_day": "2026-12-05",
            "margin_pct": 61.3,
        },
        citations=[CITATION],
        rows=[
            {"product": "Latte 12oz", "revenue": 5_120.0},
            {"product": "Croissant", "revenue": 2_480.0},
            {"product": "Cold brew", "revenue": 1_905.25},
        ],
    ),
    ToolResult(
        tool="staffing_plan",
        facts={"baristas_saturday": 3, "shift_start": datetime(2026, 12, 5, 6, 30)},
        citations=[CITATION],
    ),
]


@pytest.mark.parametrize(
    "reply",
    [
        "Last month you took $39,870.42.",
        "Last month you took $39,870.",
        "Last month you took $39.9k.",
        "Last month you took $40k.",
        "Last month you took about $40,000.",
        "Last month you took USD 39,870.",
        "Last month you took 39,870 USD.",
        "Revenue grew 9.6% on the month before.",
        "Revenue grew 9.63 percent.",
        "Revenue grew 10%.",
        "There is a 42% chance you reach your $40,000 target.",
        "There is a 42 percent chance of hitting $40k in December 2026.",
        "You had 1,234 orders.",
        "Your year so far adds up to $1.2M, or $1,234,567 to be exact, $1.23 million rounded.",
        "Refunds cost you $312.50.",
        "Refunds were -$312.5.",
        "Your margin is 61.3%.",
        "Your busiest day will be December 5, 2026 (2026-12-05), Dec 5th, or 12/05/2026.",
        "Your best seller is the Latte 12oz with $5,120; the 2nd best is Croissant at $2,480.",
        "Your top 3 products: Latte 12oz, Croissant and Cold brew ($1,905.25).",
        "1. Schedule 3 baristas on Saturday\n2. Open at 6:30 am\n3. Watch the 9am rush",
        "Nothing to report in Q4 for B2B.",
        "In 2026, the forecast for December is $40k.",
        "Open at 6:30.",
        "You need twelve more sales.",  # number words are not checked
    ],
)
def test_supported_phrasings_pass(reply: str) -> None:
    checked = verify(reply, RESULTS)
    assert checked.ok, checked.describe()


@pytest.mark.parametrize(
    ("reply", "invented"),
    [
        ("Last month you took $42,000.", "$42,000"),
        ("Last month you took $38k.", "$38k"),
        ("Last month you took $39,800.", "$39,800"),  # a precise figure must match at its precision
        ("Revenue grew 12%.", "12%"),
        ("Revenue grew 9.7%.", "9.7%"),
        ("You had 1,300 orders.", "1,300"),
        ("You need 4 baristas on Saturday.", "4"),
        ("Your busiest day will be December 6.", "December 6"),
        ("Your busiest day will be 2026-11-05.", "2026-11-05"),
        ("Back in 2024 things were slower.", "2024"),
        ("Your year so far adds up to $2.5M.", "$2.5M"),
        ("Open at 7:15 am.", "7:15 am"),
        ("Your 5th best product is Muffins.", "5th"),
        ("The chance is 0.55.", "0.55"),
        ("Roughly $50k is within reach.", "$50k"),
    ],
)
def test_invented_numbers_are_caught(reply: str, invented: str) -> None:
    checked = verify(reply, RESULTS)
    assert [m.text for m in checked.unsupported] == [invented]


def test_hedged_numbers_get_five_percent() -> None:
    assert verify("about $38,000", RESULTS).ok  # 39,870 within 5%
    assert not verify("$38,000", RESULTS).ok  # not hedged: 1% at most for a round figure
    assert not verify("about $37,000", RESULTS).ok


def test_tool_arguments_support_the_numbers_the_model_asked_about() -> None:
    assert not verify("Reaching $55k is unlikely.", RESULTS).ok
    assert verify("Reaching $55k is unlikely.", RESULTS, arguments=[{"target": 55_000}]).ok


def test_a_reply_without_numbers_is_fine_and_no_results_support_nothing() -> None:
    assert verify("Sales look steady; keep going.", []).ok
    checked = verify("You made $1,000 on 2026-12-01.", [])
    assert {m.kind for m in checked.unsupported} == {"money", "date"}


def test_extract_reads_kinds_and_scales() -> None:
    found = {m.text: (m.kind, m.value) for m in extract("$1.2m, 1.2M, 5 m, 40k, €300, 15%, 3rd, 2026")}
    assert found["$1.2m"] == ("money", 1_200_000.0)
    assert found["1.2M"] == ("number", 1_200_000.0)
    assert found["5 m"] == ("number", 5.0)  # metres or minutes, not millions
    assert found["40k"] == ("number", 40_000.0)
    assert found["€300"] == ("money", 300.0)
    assert found["15%"] == ("percent", 15.0)
    assert found["3rd"] == ("ordinal", 3.0)
    assert found["2026"] == ("year", 2026.0)
