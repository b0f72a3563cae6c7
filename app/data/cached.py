"""What the console's pages call: the readers of :mod:`serving.readers`, for the signed-in user, cached.

The public functions take the :class:`~keel.tenancy.SignedInUser` that sign-in stored in the session and
nothing else, so no page can pass a tenant id from a URL or a widget. Each read runs as ``keel_app``
scoped to that user's tenant (see :mod:`serving.readers`).

Results are cached for a short time with ``st.cache_data``. The cached functions take the tenant id as
their argument, which makes it part of the cache key: an entry only ever holds the rows that one tenant's
session was allowed to read, and another tenant's call never finds it. A failed read raises, and
``st.cache_data`` does not cache exceptions, so a table built a moment later is found at the next rerun.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl
import streamlit as st

from ingestion.run import ResourceStatus
from keel.tenancy import DataSource, SignedInUser, TenantUser
from serving import readers
from serving.readers import (
    BusinessKind,
    DataFreshness,
    ForecastsNotStored,
    MetricsNotBuilt,
    StoredEvidence,
    StoredForecast,
    StoredPlan,
    TenantProfile,
    metrics_table_name,
)

if TYPE_CHECKING:
    from coach.core import Answer
    from ingestion.run import ResourceStatus

__all__ = [
    "CACHE_TTL_SECONDS",
    "BusinessKind",
    "DataFreshness",
    "ForecastsNotStored",
    "MetricsNotBuilt",
    "StoredEvidence",
    "StoredForecast",
    "StoredPlan",
    "TenantProfile",
    "ask_coach",
    "benchmarks",
    "business_kind",
    "business_metrics",
    "data_freshness",
    "data_sources",
    "evidence",
    "forecast",
    "forecast_metrics",
    "has_loaded_data",
    "health_scores",
    "metrics_table_name",
    "monthly_metrics",
    "pipeline_daily",
    "plans",
    "source_statuses",
    "tenant_profile",
    "users",
]

#: Seconds a cached read is reused: short, so a fresh `keel demo` or daily run shows up within minutes.
CACHE_TTL_SECONDS = 120


def ask_coach(user: SignedInUser, question: str, history: Sequence[tuple[str, Answer]] = ()) -> Answer:
    """The coach's answer for the signed-in user's tenant (not cached: each question is asked afresh)."""
    return readers.coach_answer(
        user.tenant_id, question, history, user_id=user.user_id, session_id=user.session_id
    )


def tenant_profile(user: SignedInUser) -> TenantProfile:
    """The signed-in user's tenant as ``app.tenants`` describes it."""
    return _tenant_profile(str(user.tenant_id))


# Not cached: the Your data page shows a source or user it just saved, and a load that just finished.
def data_sources(user: SignedInUser) -> list[DataSource]:
    return readers.data_sources(user.tenant_id)


def source_statuses(user: SignedInUser) -> list[ResourceStatus]:
    return readers.source_statuses(user.tenant_id)


def data_quality(user: SignedInUser) -> list[str]:
    return readers.data_quality(user.tenant_id)


def users(user: SignedInUser) -> list[TenantUser]:
    return readers.users(user.tenant_id)


def has_loaded_data(user: SignedInUser) -> bool:
    return readers.has_loaded_data(user.tenant_id)


def business_metrics(user: SignedInUser) -> pl.DataFrame:
    """The tenant's daily metrics (the Overview columns); raises :class:`MetricsNotBuilt` before dbt ran."""
    return _business_metrics(str(user.tenant_id), readers.METRICS_SCHEMA, readers.METRICS_TABLE)


def business_kind(user: SignedInUser) -> BusinessKind:
    """What kind of business the signed-in user's tenant is, and whether it bills by month."""
    return _business_kind(str(user.tenant_id), tenant_profile(user).industry)


def monthly_metrics(user: SignedInUser, relation: str) -> pl.DataFrame:
    """One of the monthly metrics tables for the tenant (empty when it is not built)."""
    return _monthly_metrics(str(user.tenant_id), relation)


def pipeline_daily(user: SignedInUser) -> pl.DataFrame:
    """The tenant's sales pipeline by day (empty without CRM data)."""
    return _pipeline_daily(str(user.tenant_id))


def data_freshness(user: SignedInUser) -> DataFreshness:
    """The last day the numbers cover and when data last came in."""
    return _data_freshness(str(user.tenant_id), readers.METRICS_SCHEMA, readers.METRICS_TABLE)


def health_scores(user: SignedInUser) -> pl.DataFrame:
    return _health_scores(str(user.tenant_id))


def benchmarks(user: SignedInUser) -> pl.DataFrame:
    return _benchmarks(str(user.tenant_id))


def forecast_metrics(user: SignedInUser) -> list[str]:
    return _forecast_metrics(str(user.tenant_id))


def forecast(user: SignedInUser, metric: str) -> StoredForecast:
    return _forecast(str(user.tenant_id), metric)


def evidence(user: SignedInUser) -> StoredEvidence | None:
    return _evidence(str(user.tenant_id))


def plans(user: SignedInUser) -> list[StoredPlan]:
    return _plans(str(user.tenant_id))


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _tenant_profile(tenant_id: str) -> TenantProfile:
    return readers.tenant_profile(uuid.UUID(tenant_id))


# The schema and table are arguments (not read from module globals inside) so they are part of the cache
# key too.
@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _business_metrics(tenant_id: str, schema: str, table: str) -> pl.DataFrame:
    return readers.business_metrics(uuid.UUID(tenant_id), schema, table)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _business_kind(tenant_id: str, industry: str | None) -> BusinessKind:
    return readers.business_kind(uuid.UUID(tenant_id), industry)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _monthly_metrics(tenant_id: str, relation: str) -> pl.DataFrame:
    return readers.monthly_metrics(uuid.UUID(tenant_id), relation)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _pipeline_daily(tenant_id: str) -> pl.DataFrame:
    return readers.pipeline_daily(uuid.UUID(tenant_id))


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _data_freshness(tenant_id: str, schema: str, table: str) -> DataFreshness:
    return readers.data_freshness(uuid.UUID(tenant_id), schema, table)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _health_scores(tenant_id: str) -> pl.DataFrame:
    return readers.health_scores(uuid.UUID(tenant_id))


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _benchmarks(tenant_id: str) -> pl.DataFrame:
    return readers.benchmarks(uuid.UUID(tenant_id))


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _forecast_metrics(tenant_id: str) -> list[str]:
    return readers.forecast_metrics(uuid.UUID(tenant_id))


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _forecast(tenant_id: str, metric: str) -> StoredForecast:
    return readers.load_forecast(uuid.UUID(tenant_id), metric)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _evidence(tenant_id: str) -> StoredEvidence | None:
    return readers.load_evidence(uuid.UUID(tenant_id))


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _plans(tenant_id: str) -> list[StoredPlan]:
    return readers.load_plans(uuid.UUID(tenant_id))
