"""The API's request and response models (pydantic): what /docs shows and what a 422 names.

Request models forbid unknown fields, so a misspelt field is named in the 422 instead of being ignored.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------------------------
# Responses (documentation: the endpoints return these shapes)
# --------------------------------------------------------------------------------------------


class Page(BaseModel):
    items: list[Any]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page.")


class Tenant(BaseModel):
    tenant_id: uuid.UUID
    name: str
    industry: str | None
    currency: str
    timezone: str
    user_email: str = Field(description="The user the credential acts for.")
    scopes: list[str]


class MetricInfo(BaseModel):
    name: str
    label: str
    kind: Literal["money", "count", "share"]
    aggregation: Literal["sum", "level", "ratio"]
    higher_is_better: bool


class MetricPoint(BaseModel):
    period_start: dt.date
    first_day: dt.date
    last_day: dt.date
    days_with_data: int
    value: float | None


class MetricPage(Page):
    metric: str
    grain: Literal["day", "week", "month"]
    currency: str
    items: list[MetricPoint]


class ForecastDay(BaseModel):
    ds: dt.date
    model: str
    point: float | None
    lo_80: float | None
    hi_80: float | None
    lo_95: float | None
    hi_95: float | None


class ForecastPage(Page):
    metric: str
    chosen_model: str
    mase: float | None
    coverage_80: float | None
    coverage_95: float | None
    fallback_reason: str | None
    run_id: str
    items: list[ForecastDay]


class Source(BaseModel):
    data_source_id: uuid.UUID
    source_type: str
    name: str
    config: dict[str, Any]
    secrets_hint: dict[str, str] = Field(description="The last characters of each secret; never the secret.")
    is_enabled: bool
    last_loaded_at: dt.datetime | None
    loads: list[dict[str, Any]] = Field(default_factory=list, description="Latest load of each resource.")


# --------------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------------

Text200 = Field(min_length=1, max_length=200)
Weekday = Annotated[int, Field(ge=0, le=6, description="Monday = 0, Sunday = 6")]
Words = Field(default=None, max_length=2000)


class GoalCreate(Request):
    title: str = Text200
    metric: str = Field(min_length=1, max_length=64, description="A metric of GET /v1/goals/catalogue.")
    aggregation: str = Field(min_length=1, max_length=32, description="How the metric adds up: total, ...")
    target: float = Field(allow_inf_nan=False)
    starts_on: dt.date
    deadline: dt.date
    direction: Literal["at_least", "at_most"] | None = None
    specific: str | None = Words
    measurable: str | None = Words
    achievable: str | None = Words
    relevant: str | None = Words
    time_bound: str | None = Words
    status: Literal["draft", "active"] = "active"


class GoalUpdate(Request):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    target: float | None = Field(default=None, allow_inf_nan=False)
    deadline: dt.date | None = None
    specific: str | None = Words
    measurable: str | None = Words
    achievable: str | None = Words
    relevant: str | None = Words
    time_bound: str | None = Words
    status: Literal["draft", "active"] | None = None


class CheckIn(Request):
    did: str = Field(min_length=1, max_length=2000, description="What you did for the goal.")
    feeling: Literal["confident", "okay", "unsure", "worried"]
    note: str | None = Words
    intervention_id: uuid.UUID | None = None
    checked_in_on: dt.date | None = None


class Abandon(Request):
    reason: str = Field(min_length=1, max_length=2000)


class InterventionCreate(Request):
    kind: Literal["promotion", "price_change", "staffing_change", "marketing_change", "other"]
    name: str = Text200
    starts_on: dt.date
    ends_on: dt.date | None = None
    weekdays: list[Weekday] | None = Field(default=None, min_length=1, max_length=7)
    target_metric: str = Field(default="revenue_net", pattern=r"^[a-z][a-z0-9_]{0,62}$")
    target_product: str | None = Field(default=None, max_length=200)
    evaluate_days: int | None = Field(default=None, ge=1, le=3650)
    notes: str | None = Words


class SourceConfig(Request):
    config: dict[str, str] = Field(default_factory=dict, description="The connector's settings.")
    secrets: dict[str, str] = Field(
        default_factory=dict, description="Credentials: stored encrypted, never returned (only a hint)."
    )
