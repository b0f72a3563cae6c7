"""One period picker on every page that shows figures over time (Overview, Forecasts, Health), through
Streamlit's AppTest on the shared demo warehouse: the range picked changes what each page shows (checked
against SQL over the same dates), and the range and comparison stay as picked when the owner switches pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from app import words
from keel import warehouse
from keel.settings import KeelSettings
from tests.app.pages import PAGE_KEY, signed_in_pages

SLUG = "bluebird-coffee"
SEPTEMBER = (dt.date(2026, 9, 1), dt.date(2026, 9, 30))
AUGUST = (dt.date(2026, 8, 1), dt.date(2026, 8, 31))
OCTOBER = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def tile(at: AppTest, label: str) -> Any:
    matches = [m for m in at.metric if m.label == label]
    assert len(matches) == 1, [m.label for m in at.metric]
    return matches[0]


def visit(at: AppTest, page: str) -> AppTest:
    at.session_state[PAGE_KEY] = page
    at = at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def revenue(settings: KeelSettings, tenant_id: object, span: tuple[dt.date, dt.date]) -> float | None:
    with warehouse.connect("admin", settings=settings) as conn:
        row = conn.execute(
            "select sum(revenue_net)::float8 from metrics.business_metrics_daily "
            "where tenant_id = %s and metric_date between %s and %s",
            (tenant_id, *span),
        ).fetchone()
    return None if row is None else row[0]


def test_the_period_picked_on_one_page_is_kept_and_changes_every_page(demo_warehouse: KeelSettings) -> None:
    with warehouse.connect("admin", settings=demo_warehouse) as conn:
        row = conn.execute(
            "select tenant_id, currency, country from app.tenants where slug = %s", (SLUG,)
        ).fetchone()
        assert row is not None
        tenant_id, currency, country = row
        scores = dict(
            conn.execute(
                "select metric_month, health_score::float8 from metrics.health_score where tenant_id = %s",
                (tenant_id,),
            ).fetchall()
        )
    locale = words.locale_for(country)
    at = signed_in_pages(("overview", "forecasts", "health"), tenant_id, timeout=120)
    assert not at.exception, [e.message for e in at.exception]

    # Overview: September picked; its revenue is September's
    at = at.date_input(key="overview_period").set_value(SEPTEMBER).run()
    assert not at.exception, [e.message for e in at.exception]
    september, august = (
        revenue(demo_warehouse, tenant_id, SEPTEMBER),
        revenue(demo_warehouse, tenant_id, AUGUST),
    )
    assert tile(at, "Revenue").value == words.money(september, currency, locale)
    assert (tile(at, "Revenue").delta or None) == words.change_delta(september, august)

    # Forecasts opens on September too, with September's actual revenue against August
    at = visit(at, "forecasts")
    assert at.date_input(key="forecasts_period").value == SEPTEMBER
    shown = tile(at, "Revenue, September 2026")
    assert shown.value == words.money(september, currency, locale)
    assert (shown.delta or None) == words.change_delta(september, august)
    assert any(c.value.startswith("September 2026 compared with August 2026") for c in at.caption)
    days = next(d.value for d in at.dataframe if f"Revenue ({currency})" in d.value.columns)
    assert len(days) == 30 and days[f"Revenue ({currency})"].sum() == pytest.approx(september, abs=0.01)
    # the comparison changed here holds on the next page
    at = at.radio(key="forecasts_comparison").set_value("The same period last year").run()
    assert not at.exception, [e.message for e in at.exception]
    assert (tile(at, "Revenue, September 2026").delta or None) is None  # no figures a year before

    # Health: September's score, and the comparison picked on Forecasts
    at = visit(at, "health")
    assert at.date_input(key="health_period").value == SEPTEMBER
    assert at.radio(key="health_comparison").value == "The same period last year"
    assert tile(at, "Health score").value == f"{scores[dt.date(2026, 9, 1)]:.0f} / 100"
    # October picked on Health is what Overview shows next
    at = at.date_input(key="health_period").set_value(OCTOBER).run()
    assert tile(at, "Health score").value == f"{scores[dt.date(2026, 10, 1)]:.0f} / 100"

    at = visit(at, "overview")
    assert at.date_input(key="overview_period").value == OCTOBER
    assert at.radio(key="overview_comparison").value == "The same period last year"
    october = revenue(demo_warehouse, tenant_id, OCTOBER)
    assert tile(at, "Revenue").value == words.money(october, currency, locale)
    assert any(c.value.startswith("October 2026 compared with October 2025") for c in at.caption)
