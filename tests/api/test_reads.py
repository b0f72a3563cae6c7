"""The read endpoints serve the cafe's own figures as the warehouse holds them, in pages, as JSON and CSV.

Expected values are computed here from SQL as the administrator, independently of the readers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from typing import Any

import pytest

from keel import warehouse
from tests.api.conftest import Tokens, client


def admin_rows(query: str, *params: Any) -> list[tuple[Any, ...]]:
    with warehouse.connect("admin") as conn:
        return conn.execute(query, params).fetchall()


def all_pages(api: Any, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        response = api.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the pages never end")


def test_tenant_and_daily_metrics_match_the_warehouse(api_url: str, tokens: Tokens) -> None:
    with client(api_url, tokens.read_only) as api:
        me = api.get("/v1/tenant")
        assert me.status_code == 200, me.text
        assert me.json()["tenant_id"] == str(tokens.cafe_id)
        assert me.json()["user_email"] == tokens.cafe_email
        assert me.json()["scopes"] == ["read"]

        (last,) = admin_rows(
            "select max(metric_date) from metrics.business_metrics_daily where tenant_id = %s",
            tokens.cafe_id,
        )[0]
        start = last - dt.timedelta(days=29)
        expected = dict(
            admin_rows(
                "select metric_date, revenue_net::float8 from metrics.business_metrics_daily "
                "where tenant_id = %s and metric_date between %s and %s",
                tokens.cafe_id,
                start,
                last,
            )
        )
        assert len(expected) == 30
        # the default range is the latest 30 days; 7 per page, walked by cursor
        days = all_pages(api, "/v1/metrics/revenue_net", limit=7)
        assert [dt.date.fromisoformat(d["period_start"]) for d in days] == sorted(expected)
        for day in days:
            assert math.isclose(day["value"], expected[dt.date.fromisoformat(day["period_start"])])

        month = api.get(
            "/v1/metrics/revenue_net", params={"start": start, "end": last, "grain": "month"}
        ).json()
        assert month["currency"] == "USD" and month["grain"] == "month"
        assert math.isclose(sum(m["value"] for m in month["items"]), sum(expected.values()))
        assert sum(m["days_with_data"] for m in month["items"]) == 30

        week = api.get(
            "/v1/metrics/average_order_value", params={"start": start, "end": last, "grain": "week"}
        ).json()["items"]
        ((revenue, orders),) = admin_rows(
            "select sum(revenue_net)::float8, sum(orders)::float8 from metrics.business_metrics_daily "
            "where tenant_id = %s and metric_date between %s and %s",
            tokens.cafe_id,
            dt.date.fromisoformat(week[0]["first_day"]),
            dt.date.fromisoformat(week[0]["last_day"]),
        )
        assert dt.date.fromisoformat(week[0]["period_start"]).weekday() == 0  # weeks start on Monday
        assert math.isclose(week[0]["value"], revenue / orders)


def test_csv_on_request(api_url: str, tokens: Tokens) -> None:
    with client(api_url, tokens.read_only) as api:
        as_json = api.get("/v1/metrics/orders", params={"limit": 5}).json()
        by_param = api.get("/v1/metrics/orders", params={"limit": 5, "format": "csv"})
        by_accept = api.get("/v1/metrics/orders", params={"limit": 5}, headers={"Accept": "text/csv"})
    for response in (by_param, by_accept):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert response.headers["x-next-cursor"] == as_json["next_cursor"]
        assert 'rel="next"' in response.headers["link"]
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert [r["period_start"] for r in rows] == [i["period_start"] for i in as_json["items"]]
        assert [float(r["value"]) for r in rows] == [i["value"] for i in as_json["items"]]


def test_every_read_serves_the_cafes_own_results(api_url: str, tokens: Tokens) -> None:
    with client(api_url, tokens.read_only) as api:
        health = all_pages(api, "/v1/health")
        assert health and all(0 <= h["health_score"] <= 100 for h in health if h["health_score"] is not None)
        assert any(h["score_drivers"] for h in health)

        benchmarks = all_pages(api, "/v1/benchmarks")
        assert benchmarks and {"p25", "p50", "p75", "peer_count"} <= set(benchmarks[0])

        metrics = [f["metric"] for f in all_pages(api, "/v1/forecasts")]
        assert "revenue_net" in metrics
        forecast = api.get("/v1/forecasts/revenue_net", params={"limit": 1000}).json()
        ((days,),) = admin_rows(
            "select count(*) from ml.forecasts where tenant_id = %s and metric = 'revenue_net' and is_chosen",
            tokens.cafe_id,
        )
        assert len(forecast["items"]) == days > 0
        for day in forecast["items"]:
            assert day["lo_95"] <= day["lo_80"] <= day["point"] <= day["hi_80"] <= day["hi_95"]
        assert api.get("/v1/forecasts/no_such_metric").status_code == 404

        edges = all_pages(api, "/v1/evidence")
        ((stored_edges,),) = admin_rows(
            "select count(*) from ml.evidence_edges where tenant_id = %s", tokens.cafe_id
        )
        assert len(edges) == stored_edges > 0
        assert all(e["grade"] and e["explanation"] for e in edges)

        plans = all_pages(api, "/v1/plans")
        assert plans and all(p["explanation"] for p in plans)
        assert any(p["decisions"] for p in plans)
        assert all("problem" not in p for p in plans)

        loads = all_pages(api, "/v1/data-sources/loads")
        assert loads and all(load["tenant_id"] == str(tokens.cafe_id) for load in loads)

        for path in ("/v1/goals", "/v1/alerts", "/v1/interventions", "/v1/data-sources", "/v1/metrics"):
            assert api.get(path).status_code == 200, path


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"grain": "year"}, "grain"),
        ({"start": "not-a-date"}, "start"),
        ({"limit": 0}, "limit"),
        ({"cursor": "bm90LWEtY3Vyc29y"}, "cursor"),
    ],
)
def test_bad_query_says_which_field(api_url: str, tokens: Tokens, params: dict[str, Any], field: str) -> None:
    with client(api_url, tokens.read_only) as api:
        response = api.get("/v1/metrics/revenue_net", params=params)
    assert response.status_code == 422, response.text
    assert field in [str(part) for problem in response.json()["detail"] for part in problem["loc"]]
