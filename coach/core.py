"""What every part of the coach shares: who is asking, what a tool found, and what the coach answers.

The coach answers only from tools over materialized assets. A tool never takes SQL, a table name or a
tenant id from the model or the user: the tenant comes from the signed-in user's :class:`CoachContext`,
and every :class:`ToolResult` carries the :class:`Citation` of the asset its numbers come from.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

Agent = Literal["goal_planner", "evidence_analyzer", "forecaster", "optimizer", "general", "safety"]


@dataclass(frozen=True)
class CoachContext:
    """Who is asking: the tenant and user of the signed-in session (never taken from the question)."""

    tenant_id: uuid.UUID
    user_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    currency: str = "USD"
    today: date | None = None  # the day questions are asked on (tests pin it); None: the data's last day


@dataclass(frozen=True)
class Citation:
    """Where a number comes from: the asset, the Dagster run that made it, when, and the data's last day."""

    asset_key: str  # e.g. "ml/forecasts" or "metrics/business_metrics_daily"
    run_id: str | None
    materialized_at: datetime | None
    data_through: date | None
    page: str | None = None  # the console page that shows it ("Forecasts")


@dataclass
class ToolResult:
    """What one tool call found: named facts (numbers the answer may state), optional rows, citations."""

    tool: str
    facts: dict[str, Any]  # name -> value (numbers, dates, short texts); the only numbers an answer may use
    citations: list[Citation]
    rows: list[dict[str, Any]] = field(default_factory=list)  # a small table the console may show
    summary: str = ""  # one plain sentence


@dataclass
class Answer:
    """The coach's reply to one question."""

    text: str
    agents: list[Agent]
    results: list[ToolResult] = field(default_factory=list)
    refused: bool = False
    used_llm: bool = False
    notes: list[str] = field(default_factory=list)  # e.g. "the model's reply stated an unsupported number"

    @property
    def citations(self) -> list[Citation]:
        return [c for r in self.results for c in r.citations]
