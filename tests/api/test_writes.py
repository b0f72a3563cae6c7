"""The write endpoints: goals (create, change, check in, abandon), interventions, alert acknowledgements and
data-source settings, each kept in the warehouse as the console keeps it; bad input is a 422 naming the
field; secrets go in and never come out; limits on size and rate hold.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from api.limiting import reset_limits
from coach.alerts.inbox import record_alerts
from coach.alerts.model import Alert
from keel import warehouse
from keel.settings import get_settings
from tests.api.conftest import Tokens, client

SECRET = "shpat_test_api_5ecret_value_0042"


def fields_of(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    return [str(problem["loc"][-1]) for problem in response.json()["detail"]]


@pytest.fixture
def cleanup(tokens: Tokens) -> Iterator[None]:
    yield
    with warehouse.connect("admin") as conn:
        conn.execute("delete from app.goals where title like 'test-api%%'")
        conn.execute("delete from app.interventions where name like 'test-api%%'")
        conn.execute("delete from app.data_sources where name like 'test-api%%'")
        conn.execute("delete from app.alerts where cause_key like 'test-api:%%'")


def test_goal_life_through_the_api(api_url: str, tokens: Tokens, cleanup: None) -> None:
    start = dt.date.today()
    draft = {
        "title": "test-api more coffee",
        "metric": "revenue_net",
        "aggregation": "sum",
        "target": 40_000,
        "starts_on": str(start),
        "deadline": str(start + dt.timedelta(days=90)),
    }
    with client(api_url, tokens.read_write) as api:
        created = api.post("/v1/goals", json=draft)
        assert created.status_code == 201, created.text
        goal_id = created.json()["goal_id"]
        assert created.json()["tenant_id"] == str(tokens.cafe_id)

        changed = api.patch(
            f"/v1/goals/{goal_id}", json={"title": "test-api even more coffee", "target": 45000}
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["title"] == "test-api even more coffee" and changed.json()["target"] == 45000

        checked = api.post(
            f"/v1/goals/{goal_id}/check-ins", json={"did": "longer hours", "feeling": "confident"}
        )
        assert checked.status_code == 201, checked.text

        detail = api.get(f"/v1/goals/{goal_id}").json()
        assert [c["did"] for c in detail["checkins"]] == ["longer hours"]
        assert {e["kind"] for e in detail["events"]} >= {"created", "updated"}

        abandoned = api.post(f"/v1/goals/{goal_id}/abandon", json={"reason": "season ended"})
        assert abandoned.status_code == 200 and abandoned.json()["status"] == "abandoned"
        listed = [g["goal_id"] for g in api.get("/v1/goals").json()["items"]]
        assert goal_id in listed

        # 422s name the field
        assert fields_of(api.post("/v1/goals", json={k: v for k, v in draft.items() if k != "title"})) == [
            "title"
        ]
        assert "colour" in fields_of(api.post("/v1/goals", json={**draft, "colour": "blue"}))
        assert fields_of(api.post("/v1/goals", json={**draft, "aggregation": "maximum"})) == ["aggregation"]
        assert fields_of(api.post("/v1/goals", json={**draft, "deadline": str(start)})) == ["deadline"]
        assert fields_of(api.post("/v1/goals", json={**draft, "starts_on": "31/12/2026"})) == ["starts_on"]
        assert fields_of(api.post(f"/v1/goals/{goal_id}/check-ins", json={"did": "x", "feeling": "meh"})) == [
            "feeling"
        ]
        assert api.patch(f"/v1/goals/{uuid.uuid4()}", json={"title": "x"}).status_code == 404
    with warehouse.connect("admin") as conn:
        row = conn.execute(
            "select tenant_id, status, target::float8 from app.goals where goal_id = %s", (goal_id,)
        ).fetchone()
    assert row == (tokens.cafe_id, "abandoned", 45000.0)


def test_interventions_and_alerts(api_url: str, tokens: Tokens, cleanup: None) -> None:
    body = {
        "kind": "promotion",
        "name": "test-api two for one",
        "starts_on": "2026-10-01",
        "weekdays": [5, 6],
    }
    alert = Alert("health", "test-api:ack", {"n": 1}, "info", "Test alert", "happened", "matters", "do", "/")
    with warehouse.connect("keel_app", tenant_id=tokens.cafe_id) as conn:
        (alert_id,) = record_alerts(conn, [alert], evaluated=[], now=dt.datetime.now(dt.UTC))
    with client(api_url, tokens.read_write) as api:
        recorded = api.post("/v1/interventions", json=body)
        assert recorded.status_code == 201, recorded.text
        assert recorded.json()["weekdays"] == [5, 6]
        names = [i["name"] for i in api.get("/v1/interventions", params={"limit": 1000}).json()["items"]]
        assert "test-api two for one" in names
        assert fields_of(api.post("/v1/interventions", json=body)) == ["name"]  # recorded already
        assert fields_of(api.post("/v1/interventions", json={**body, "kind": "miracle"})) == ["kind"]
        refused = api.post("/v1/interventions", json={**body, "weekdays": [9]})
        assert fields_of(refused) == ["0"] and refused.json()["detail"][0]["loc"][-2] == "weekdays"

        unread = [
            a["alert_id"] for a in api.get("/v1/alerts").json()["items"] if a["acknowledged_at"] is None
        ]
        assert str(alert_id) in unread
        assert api.post(f"/v1/alerts/{alert_id}/acknowledge").status_code == 200
        assert api.post(f"/v1/alerts/{alert_id}/acknowledge").status_code == 404
    with warehouse.connect("admin") as conn:
        (by,) = conn.execute(
            "select acknowledged_by from app.alerts where alert_id = %s", (alert_id,)
        ).fetchone()
        (tenant,) = conn.execute(
            "select tenant_id from app.interventions where name = 'test-api two for one'"
        ).fetchone()
    assert by == tokens.cafe_email and tenant == tokens.cafe_id


def test_data_source_secrets_go_in_and_never_come_out(api_url: str, tokens: Tokens, cleanup: None) -> None:
    path = "/v1/data-sources/shopify/test-api-shop"
    body = {"config": {"shop": "bluebird.myshopify.com"}, "secrets": {"access_token": SECRET}}
    with client(api_url, tokens.read_write) as api:
        saved = api.put(path, json=body)
        assert saved.status_code == 200, saved.text
        assert SECRET not in saved.text and saved.json()["secrets_hint"] == {"access_token": "…0042"}
        assert saved.json()["config"]["shop"] == "bluebird.myshopify.com"
        listed = api.get("/v1/data-sources")
        assert SECRET not in listed.text and "test-api-shop" in listed.text
        assert fields_of(api.put(path, json={"config": body["config"], "secrets": {}})) == ["access_token"]
        assert fields_of(api.put(path, json={"config": {"shop": ""}, "secrets": body["secrets"]})) == [
            "config"
        ]
        assert api.put("/v1/data-sources/carrier-pigeon/x", json=body).status_code == 404
        with warehouse.connect("admin") as conn:
            (stored,) = conn.execute(
                "select secrets_encrypted from app.data_sources where name = 'test-api-shop'"
            ).fetchone()
        assert SECRET.encode() not in bytes(stored)
        assert api.delete(path).status_code == 200
        assert api.delete(path).status_code == 404


def test_request_size_and_rate_limits(api_url: str, tokens: Tokens, monkeypatch: pytest.MonkeyPatch) -> None:
    with client(api_url, tokens.read_write) as api:
        huge = {"did": "x" * 100_000, "feeling": "okay"}
        response = api.post(f"/v1/goals/{uuid.uuid4()}/check-ins", json=huge)
        assert response.status_code == 413, response.text

        monkeypatch.setenv("KEEL_API_RATE_LIMIT_PER_TOKEN", "3/minute")
        get_settings.cache_clear()
        reset_limits()
        codes = [api.get("/v1/tenant").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = api.get("/v1/tenant")
        assert int(refused.headers["retry-after"]) >= 1 and "this token" in refused.json()["detail"]
    with client(api_url, tokens.read_only) as api:  # another token: its own count
        assert api.get("/v1/tenant").status_code == 200

    monkeypatch.setenv("KEEL_API_RATE_LIMIT_PER_TOKEN", "600/minute")
    monkeypatch.setenv("KEEL_API_RATE_LIMIT_PER_ADDRESS", "2/minute")
    get_settings.cache_clear()
    reset_limits()
    with client(api_url) as anonymous:
        codes = [anonymous.get("/v1/tenant").status_code for _ in range(3)]
    assert codes == [401, 401, 429]
    monkeypatch.delenv("KEEL_API_RATE_LIMIT_PER_ADDRESS")
    monkeypatch.delenv("KEEL_API_RATE_LIMIT_PER_TOKEN")
    get_settings.cache_clear()
    reset_limits()
