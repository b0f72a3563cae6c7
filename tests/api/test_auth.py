"""Every endpoint of the OpenAPI document, tried with no token, a revoked one, an expired one, a read-only
one on writes, and another business's token: nobody reads or changes the cafe's rows but the cafe.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from coach import goals as owner_goals
from coach.alerts.inbox import record_alerts
from coach.alerts.model import Alert
from keel import warehouse
from tests.api.conftest import Tokens, client


@dataclass(frozen=True)
class CafeRows:
    goal_id: uuid.UUID
    alert_id: uuid.UUID


@pytest.fixture
def cafe_rows(tokens: Tokens) -> Iterator[CafeRows]:
    """A goal and an unread alert of the cafe (removed again afterwards)."""
    start = dt.date.today()
    goal = owner_goals.create_goal(
        tokens.cafe_id,
        owner_goals.GoalDraft(
            "test-api goal", "revenue_net", "sum", 50_000.0, start, start + dt.timedelta(days=60)
        ),
        actor="test-api",
    )
    alert = Alert(
        "health", "test-api:auth", {"n": 1}, "info", "A test alert", "happened", "matters", "do", "/"
    )
    with warehouse.connect("keel_app", tenant_id=tokens.cafe_id) as conn:
        (alert_id,) = record_alerts(conn, [alert], evaluated=[], now=dt.datetime.now(dt.UTC))
    try:
        yield CafeRows(uuid.UUID(str(goal["goal_id"])), alert_id)
    finally:
        with warehouse.connect("admin") as conn:
            conn.execute("delete from app.goals where goal_id = %s", (goal["goal_id"],))
            conn.execute("delete from app.alerts where cause_key like 'test-api:%%'")


def operations(url: str) -> list[tuple[str, str]]:
    document = httpx.get(f"{url}/openapi.json", timeout=60).json()
    return [(method.upper(), path) for path, item in document["paths"].items() for method in item]


def request_for(method: str, path: str, rows: CafeRows) -> dict[str, Any]:
    """A well-formed request of the operation, aimed at the cafe's own rows."""
    filled = (
        path.replace("{goal_id}", str(rows.goal_id))
        .replace("{alert_id}", str(rows.alert_id))
        .replace("{metric}", "revenue_net")
        .replace("{source_type}", "shopify")
        .replace("{name}", "test-api-shop")
    )
    bodies: dict[tuple[str, str], Any] = {
        ("POST", "/v1/goals"): {
            "title": "test-api intruder",
            "metric": "revenue_net",
            "aggregation": "sum",
            "target": 1.0,
            "starts_on": "2026-12-01",
            "deadline": "2027-01-31",
        },
        ("PATCH", "/v1/goals/{goal_id}"): {"title": "changed by someone else"},
        ("POST", "/v1/goals/{goal_id}/check-ins"): {"did": "intruded", "feeling": "okay"},
        ("POST", "/v1/goals/{goal_id}/abandon"): {"reason": "someone else"},
        ("POST", "/v1/interventions"): {
            "kind": "other",
            "name": f"test-api intruder {uuid.uuid4().hex[:6]}",
            "starts_on": "2026-12-01",
        },
        ("PUT", "/v1/data-sources/{source_type}/{name}"): {
            "config": {"shop": "intruder.myshopify.com"},
            "secrets": {"access_token": "shpat_intruder_0000"},
        },
    }
    body = bodies.get((method, path))
    return {"method": method, "url": filled, **({"json": body} if body is not None else {})}


def test_every_endpoint_refuses_missing_revoked_and_expired_tokens(
    api_url: str, tokens: Tokens, cafe_rows: CafeRows
) -> None:
    ops = operations(api_url)
    assert len(ops) >= 20
    for token, words in [(None, "sign in"), (tokens.revoked, "revoked"), (tokens.expired, "expired")]:
        with client(api_url, token) as api:
            for method, path in ops:
                response = api.request(**request_for(method, path, cafe_rows))
                assert response.status_code == 401, (method, path, token, response.text)
                assert words in response.json()["detail"], (method, path, response.text)
                assert response.headers["www-authenticate"].startswith("Bearer")
    with client(api_url, "keel_pat_" + "x" * 43) as api:
        assert api.get("/v1/tenant").status_code == 401


def test_a_read_only_token_changes_nothing(api_url: str, tokens: Tokens, cafe_rows: CafeRows) -> None:
    with client(api_url, tokens.read_only) as api:
        for method, path in operations(api_url):
            response = api.request(**request_for(method, path, cafe_rows))
            if method == "GET":
                assert response.status_code in (200, 404), (path, response.text)
            else:
                assert response.status_code == 403, (method, path, response.text)
                assert "write scope" in response.json()["detail"]


def test_another_business_never_sees_or_changes_the_cafe(
    api_url: str, tokens: Tokens, cafe_rows: CafeRows
) -> None:
    secret_words = {str(tokens.cafe_id), str(cafe_rows.goal_id), str(cafe_rows.alert_id), "Bluebird"}
    with client(api_url, tokens.other_tenant) as api:
        for method, path in operations(api_url):
            request = request_for(method, path, cafe_rows)
            response = api.request(**request)
            assert response.status_code < 500, (method, path, response.text)
            # an id the request itself named may be echoed ("no goal <id>"); nothing else of the cafe's
            leaked = [w for w in secret_words if w in response.text and w not in request["url"]]
            assert leaked == [], (method, path, leaked)
            if "{goal_id}" in path or "{alert_id}" in path:
                assert response.status_code == 404, (method, path, response.text)
        assert api.get("/v1/tenant").json()["tenant_id"] == str(tokens.other_id)
    # the other business's writes landed in its own rows only, which are removed again
    with warehouse.connect("admin") as conn:
        goal = conn.execute(
            "select title, status from app.goals where goal_id = %s", (cafe_rows.goal_id,)
        ).fetchone()
        assert goal == ("test-api goal", "active")
        (checkins,) = conn.execute(
            "select count(*) from app.goal_checkins where goal_id = %s", (cafe_rows.goal_id,)
        ).fetchone()
        assert checkins == 0
        (acknowledged,) = conn.execute(
            "select acknowledged_at from app.alerts where alert_id = %s", (cafe_rows.alert_id,)
        ).fetchone()
        assert acknowledged is None
        intruding = conn.execute(
            "select tenant_id from app.goals where title = 'test-api intruder' "
            "union all select tenant_id from app.interventions where name like 'test-api intruder%%' "
            "union all select tenant_id from app.data_sources where name = 'test-api-shop'"
        ).fetchall()
        assert intruding and {row[0] for row in intruding} == {tokens.other_id}
        conn.execute("delete from app.goals where title = 'test-api intruder'")
        conn.execute("delete from app.interventions where name like 'test-api intruder%%'")
        conn.execute("delete from app.data_sources where name = 'test-api-shop'")
