"""Version 1 of the API: the reads the console serves and the writes an owner makes, for one tenant.

Every endpoint takes the credential's user (:mod:`api.auth`) and passes only that user's tenant id to the
readers and libraries, which log in as that tenant (``keel_app``): the database decides what is seen.
Reads need the ``read`` scope, writes the ``write`` scope. Lists are pages (:mod:`api.paging`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from fastapi.responses import JSONResponse, Response

from api import models
from api.auth import needs
from api.paging import CSV_RESPONSE, Cursor, Format, Limit, page, plain
from keel.api_tokens import TokenUser
from serving import readers

router = APIRouter(prefix="/v1")
Reader = Annotated[TokenUser, Depends(needs("read"))]
Writer = Annotated[TokenUser, Depends(needs("write"))]
Name = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\- ]+$")]
MetricName = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
#: The longest range of days one metrics request may cover (about ten years).
MAX_RANGE_DAYS = 3660


def _not_found(what: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, what)


# --------------------------------------------------------------------------------------------
# The tenant and its metrics
# --------------------------------------------------------------------------------------------


@router.get("/tenant", response_model=models.Tenant, tags=["tenant"])
def tenant(user: Reader) -> Any:
    """Your business as Keel knows it, and who the credential acts for."""
    profile = readers.tenant_profile(user.tenant_id)
    return {**plain(profile), "user_email": user.email, "scopes": sorted(user.scopes)}


@router.get("/metrics", response_model=models.Page, responses=CSV_RESPONSE, tags=["metrics"])
def metric_catalogue(
    request: Request, user: Reader, limit: Limit = 100, cursor: Cursor = None, format: Format = None
) -> Response:
    """The metrics Keel keeps by day, and how each adds up over a week or a month."""
    from coach.metrics import METRICS

    rows = [
        {
            "name": m.name,
            "label": m.label,
            "kind": m.kind,
            "aggregation": m.aggregation,
            "higher_is_better": m.higher_is_better,
        }
        for m in METRICS
    ]
    return page(request, rows, limit=limit, cursor=cursor, format=format)


@router.get("/metrics/{metric}", response_model=models.MetricPage, responses=CSV_RESPONSE, tags=["metrics"])
def metric(
    request: Request,
    user: Reader,
    metric: MetricName,
    start: Annotated[dt.date | None, Query(description="First day (default: 30 days before end).")] = None,
    end: Annotated[dt.date | None, Query(description="Last day (default: the latest day with data).")] = None,
    grain: Annotated[readers.Grain, Query(description="Add the days up by day, week or month.")] = "day",
    limit: Limit = 100,
    cursor: Cursor = None,
    format: Format = None,
) -> Response:
    """One metric by day, week (from Monday) or month between two dates; money in your currency."""
    from coach.metrics import BY_NAME

    if metric not in BY_NAME:
        raise _not_found(f"Keel has no metric {metric!r}; GET /v1/metrics lists them")
    if end is None:
        end = readers.latest_metric_date(user.tenant_id) or dt.date.today()
    if start is None:
        start = max(dt.date.min, end - dt.timedelta(days=min(29, (end - dt.date.min).days)))
    if not 0 <= (end - start).days <= MAX_RANGE_DAYS:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [
                {
                    "loc": ["query", "start"],
                    "msg": f"start must be on or before end, and at most {MAX_RANGE_DAYS} days before it",
                    "type": "value_error",
                }
            ],
        )
    points, currency = readers.metric_series_in_currency(user.tenant_id, metric, start, end, grain)
    extra = {"metric": metric, "grain": grain, "currency": currency}
    return page(request, points, limit=limit, cursor=cursor, format=format, extra=extra)


# --------------------------------------------------------------------------------------------
# Health, benchmarks, forecasts, evidence, plans
# --------------------------------------------------------------------------------------------


@router.get("/health", response_model=models.Page, responses=CSV_RESPONSE, tags=["health"])
def health(
    request: Request, user: Reader, limit: Limit = 100, cursor: Cursor = None, format: Format = None
) -> Response:
    """Your monthly health score (0-100), its components and the drivers behind the score and its change."""
    frame = readers.health_scores(user.tenant_id)
    return page(request, frame.to_dicts(), limit=limit, cursor=cursor, format=format)


@router.get("/benchmarks", response_model=models.Page, responses=CSV_RESPONSE, tags=["health"])
def benchmarks(
    request: Request,
    user: Reader,
    metric: Annotated[str | None, Query(max_length=64, description="Only this benchmark metric.")] = None,
    month: Annotated[dt.date | None, Query(description="Only this month (its first day).")] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
    format: Format = None,
) -> Response:
    """Your monthly metrics against your peer group's percentiles (peer groups of at least five)."""
    rows = [
        r
        for r in readers.benchmarks(user.tenant_id).to_dicts()
        if (metric is None or r["metric"] == metric) and (month is None or r["metric_month"] == month)
    ]
    return page(request, rows, limit=limit, cursor=cursor, format=format)


@router.get("/forecasts", response_model=models.Page, responses=CSV_RESPONSE, tags=["forecasts"])
def forecasts(
    request: Request, user: Reader, limit: Limit = 100, cursor: Cursor = None, format: Format = None
) -> Response:
    """The metrics that have a stored forecast."""
    rows = [{"metric": m} for m in readers.forecast_metrics(user.tenant_id)]
    return page(request, rows, limit=limit, cursor=cursor, format=format)


@router.get(
    "/forecasts/{metric}", response_model=models.ForecastPage, responses=CSV_RESPONSE, tags=["forecasts"]
)
def forecast(
    request: Request,
    user: Reader,
    metric: MetricName,
    limit: Limit = 100,
    cursor: Cursor = None,
    format: Format = None,
) -> Response:
    """The chosen model's forecast of a metric by day, with 80% and 95% intervals and its tested accuracy."""
    try:
        stored = readers.load_forecast(user.tenant_id, metric, with_history=False)
    except readers.ForecastsNotStored as exc:
        raise _not_found(str(exc)) from None
    extra = {
        "metric": stored.metric,
        "chosen_model": stored.chosen_model,
        "mase": stored.mase,
        "coverage_80": stored.coverage_80,
        "coverage_95": stored.coverage_95,
        "fallback_reason": stored.fallback_reason,
        "run_id": stored.run_id,
    }
    return page(request, stored.forecast.to_dicts(), limit=limit, cursor=cursor, format=format, extra=extra)


@router.get("/evidence", response_model=models.Page, responses=CSV_RESPONSE, tags=["evidence"])
def evidence(
    request: Request, user: Reader, limit: Limit = 100, cursor: Cursor = None, format: Format = None
) -> Response:
    """What moved your numbers: each cause and effect with its estimate, grade and explanation."""
    stored = readers.load_evidence(user.tenant_id)
    rows: list[dict[str, Any]] = []
    if stored is not None:
        for edge in stored.edges.to_dicts():
            edge["cause_label"] = stored.labels.get(edge["cause"], edge["cause"])
            edge["effect_label"] = stored.labels.get(edge["effect"], edge["effect"])
            rows.append(edge)
    return page(request, rows, limit=limit, cursor=cursor, format=format)


#: Plan columns the API serves (the stored problem and inputs are the planner's, not the owner's).
PLAN_FIELDS = (
    "plan_type",
    "status",
    "horizon",
    "period",
    "explanation",
    "currency",
    "objective_name",
    "objective_sense",
    "objective_value",
    "current_policy_value",
    "expected_impact",
    "binding_constraints",
    "conflicting_constraints",
    "notes",
    "metrics",
    "run_id",
    "created_at",
)


def _decisions(stored: Any) -> list[dict[str, Any]]:
    if isinstance(stored, dict) and isinstance(stored.get("data"), dict):
        columns = list(stored.get("columns") or stored["data"])
        values = [stored["data"].get(c, []) for c in columns]
        return [dict(zip(columns, row, strict=False)) for row in zip(*values, strict=False)]
    return stored if isinstance(stored, list) else []


@router.get("/plans", response_model=models.Page, tags=["plans"])
def plans(request: Request, user: Reader, limit: Limit = 100, cursor: Cursor = None) -> Response:
    """Your plans (stock orders, staff rota, prices, marketing budget): decisions and their explanation."""
    rows = [
        {**{f: p.row.get(f) for f in PLAN_FIELDS}, "decisions": _decisions(p.row.get("decisions"))}
        for p in readers.load_plans(user.tenant_id)
    ]
    return page(request, rows, limit=limit, cursor=cursor, format="json")


# --------------------------------------------------------------------------------------------
# Goals
# --------------------------------------------------------------------------------------------


@router.get("/goals", response_model=models.Page, responses=CSV_RESPONSE, tags=["goals"])
def goals(
    request: Request, user: Reader, limit: Limit = 100, cursor: Cursor = None, format: Format = None
) -> Response:
    """Your goals with their latest evaluation (probability, expected value, pace)."""
    from coach import goals as owner_goals

    return page(request, owner_goals.list_goals(user.tenant_id), limit=limit, cursor=cursor, format=format)


@router.get("/goals/catalogue", response_model=models.Page, tags=["goals"])
def goal_catalogue(request: Request, user: Reader, limit: Limit = 100, cursor: Cursor = None) -> Response:
    """The metrics a goal can name, and how each may be measured."""
    from coach import goals as owner_goals

    return page(request, owner_goals.catalogue(), limit=limit, cursor=cursor, format="json")


@router.get("/goals/{goal_id}", tags=["goals"])
def goal(user: Reader, goal_id: uuid.UUID) -> Any:
    """One goal with its evaluation (levers, plan, pace), its history and its check-ins."""
    from coach import goals as owner_goals

    return plain(owner_goals.get_goal(user.tenant_id, goal_id))


@router.post("/goals", status_code=status.HTTP_201_CREATED, tags=["goals"])
def create_goal(user: Writer, body: models.GoalCreate) -> Any:
    """Set a goal; Keel works out its baseline and how achievable it is from your data and your peers."""
    from coach import goals as owner_goals

    draft = owner_goals.GoalDraft(**body.model_dump())
    return plain(owner_goals.create_goal(user.tenant_id, draft, actor=user.email))


@router.patch("/goals/{goal_id}", tags=["goals"])
def update_goal(user: Writer, goal_id: uuid.UUID, body: models.GoalUpdate) -> Any:
    """Change a goal's title, target, deadline, SMART words or status (draft or active); kept as history."""
    from coach import goals as owner_goals

    changes = body.model_dump(exclude_unset=True)
    return plain(owner_goals.update_goal(user.tenant_id, goal_id, actor=user.email, **changes))


@router.post("/goals/{goal_id}/check-ins", status_code=status.HTTP_201_CREATED, tags=["goals"])
def check_in(user: Writer, goal_id: uuid.UUID, body: models.CheckIn) -> Any:
    """Record what you did for a goal and how you feel about it."""
    from coach import goals as owner_goals

    return plain(
        owner_goals.check_in(
            user.tenant_id,
            goal_id,
            body.did,
            body.feeling,
            note=body.note,
            intervention_id=body.intervention_id,
            checked_in_on=body.checked_in_on,
            actor=user.email,
        )
    )


@router.post("/goals/{goal_id}/abandon", tags=["goals"])
def abandon_goal(user: Writer, goal_id: uuid.UUID, body: models.Abandon) -> Any:
    """Stop pursuing a goal (it is kept with its history, and the reason)."""
    from coach import goals as owner_goals

    return plain(owner_goals.abandon_goal(user.tenant_id, goal_id, body.reason, actor=user.email))


# --------------------------------------------------------------------------------------------
# Interventions and alerts
# --------------------------------------------------------------------------------------------


@router.get("/interventions", response_model=models.Page, responses=CSV_RESPONSE, tags=["interventions"])
def interventions(
    request: Request, user: Reader, limit: Limit = 100, cursor: Cursor = None, format: Format = None
) -> Response:
    """What you recorded doing (promotions, price changes, ...), newest first."""
    from coach.interventions import list_interventions

    return page(request, list_interventions(user.tenant_id), limit=limit, cursor=cursor, format=format)


@router.post("/interventions", status_code=status.HTTP_201_CREATED, tags=["interventions"])
def record_intervention(user: Writer, body: models.InterventionCreate) -> Any:
    """Record something you did and when; Keel's evidence estimates its effect at the next run."""
    from coach.interventions import record_intervention as record

    return plain(record(user.tenant_id, **body.model_dump(), actor=user.email))


@router.get("/alerts", response_model=models.Page, responses=CSV_RESPONSE, tags=["alerts"])
def alerts(
    request: Request, user: Reader, limit: Limit = 100, cursor: Cursor = None, format: Format = None
) -> Response:
    """Your alerts, unread first, newest first within each."""
    from coach.alerts.inbox import list_alerts

    return page(request, list_alerts(user.tenant_id, limit=10_000), limit=limit, cursor=cursor, format=format)


@router.post("/alerts/{alert_id}/acknowledge", tags=["alerts"])
def acknowledge_alert(user: Writer, alert_id: uuid.UUID) -> Any:
    """Mark an alert as read."""
    from coach.alerts.inbox import acknowledge

    if not acknowledge(user.tenant_id, alert_id, by=user.email):
        raise _not_found(f"your business has no unread alert {alert_id}")
    return {"alert_id": str(alert_id), "acknowledged": True}


# --------------------------------------------------------------------------------------------
# Data sources
# --------------------------------------------------------------------------------------------


def _sources(tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    loads = readers.source_statuses(tenant_id)
    rows = []
    for source in readers.data_sources(tenant_id):
        row = plain(source)
        row["loads"] = [
            plain(s) for s in loads if s.source == source.source_type and s.source_name == source.name
        ]
        rows.append(row)
    return rows


@router.get("/data-sources", response_model=models.Page, tags=["data sources"])
def data_sources(request: Request, user: Reader, limit: Limit = 100, cursor: Cursor = None) -> Response:
    """Your connected services, their settings (secrets only as a hint) and the latest load of each part."""
    return page(request, _sources(user.tenant_id), limit=limit, cursor=cursor, format="json")


@router.get("/data-sources/loads", response_model=models.Page, responses=CSV_RESPONSE, tags=["data sources"])
def loads(
    request: Request, user: Reader, limit: Limit = 100, cursor: Cursor = None, format: Format = None
) -> Response:
    """The latest load of each part of each source, demo data and file uploads included."""
    rows = [plain(s) for s in readers.source_statuses(user.tenant_id)]
    return page(request, rows, limit=limit, cursor=cursor, format=format)


@router.put("/data-sources/{source_type}/{name}", response_model=models.Source, tags=["data sources"])
def configure_source(user: Writer, source_type: Name, name: Name, body: models.SourceConfig) -> Any:
    """Connect a service or change its settings; secrets are stored encrypted and never returned."""
    from ingestion.sources import connectors
    from keel.tenancy import save_data_source

    available = connectors()
    connector = available.get(source_type)
    if connector is None:
        raise _not_found(f"Keel has no connector {source_type!r}; connectors: {', '.join(sorted(available))}")
    missing = [f for f in connector.secret_fields if not body.secrets.get(f, "").strip()]
    unknown = sorted(set(body.secrets) - set(connector.secret_fields))
    problems = [
        {"loc": ["body", "secrets", f], "msg": f"{connector.title} needs this secret"} for f in missing
    ]
    problems += [{"loc": ["body", "secrets", f], "msg": "not a secret of this connector"} for f in unknown]
    if problems:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, problems)
    try:
        settings = connector.parse_config(body.config)
    except ValueError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, [{"loc": ["body", "config"], "msg": str(exc)}]
        ) from None
    save_data_source(user.tenant_id, source_type, name, settings.model_dump(mode="json"), body.secrets)
    return next(s for s in _sources(user.tenant_id) if s["source_type"] == source_type and s["name"] == name)


@router.delete("/data-sources/{source_type}/{name}", tags=["data sources"])
def remove_source(user: Writer, source_type: Name, name: Name) -> JSONResponse:
    """Disconnect a service and forget its credentials (what it loaded stays)."""
    from keel.tenancy import remove_data_source

    if not remove_data_source(user.tenant_id, source_type, name):
        raise _not_found(f"your business has no {source_type} source called {name!r}")
    return JSONResponse({"source_type": source_type, "name": name, "removed": True})
