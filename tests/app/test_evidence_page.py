"""The Evidence page through Streamlit's AppTest, on the real test warehouse: what it shows, and to whom.

Two tenants get evidence rows written as keel_transformer (the role of the ``ml_evidence`` asset), each
with its own cause names; the page, signed in as one, must show that tenant's effects with interval,
grade and explanation, and never a word of the other's. A tenant without rows is told what to run.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from app.evidence import format_value, interval_text
from keel import warehouse
from keel.settings import KeelSettings
from keel.tenancy import create_tenant
from models_ml.evidence.inputs import EDGE_COLUMNS
from tests.app.pages import signed_in_page

SLUGS = ("evidence-page-alpha", "evidence-page-beta", "evidence-page-empty")


def edge(tenant_id: uuid.UUID, cause: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "tenant_id": str(tenant_id),
        "cause": cause,
        "effect": "revenue_net",
        "method": "its_seasonal_regression",
        "estimand": "relative change in revenue_net",
        "estimate": 0.12,
        "ci_low": 0.05,
        "ci_high": 0.2,
        "p_value": 0.001,
        "refutations": json.dumps([{"name": "placebo_treatment", "passed": True}]),
        "grade": "strong",
        "assumptions": "No other change at the same time.",
        "reason": None,
        "explanation": f"{cause} changed revenue_net by +12.0% on the days it ran.",
        "settings": "{}",
        "is_primary": True,
        "intervention_id": str(uuid.uuid4()),
        "run_id": f"run-{tenant_id}",
    }
    row.update(values)
    return row


@pytest.fixture(scope="module")
def tenants(settings: KeelSettings) -> Iterator[dict[str, uuid.UUID]]:
    ids = {slug: create_tenant(slug, slug.replace("-", " ").title()).tenant_id for slug in SLUGS}
    alpha, beta = ids[SLUGS[0]], ids[SLUGS[1]]
    rows = [
        edge(alpha, "Alpha spring sale", settings=json.dumps({"naive_before_after": {"estimate": 0.351}})),
        edge(
            alpha,
            "Alpha new barista",
            estimate=None,
            ci_low=None,
            ci_high=None,
            p_value=None,
            grade="inconclusive",
            reason="only 20 untreated days before Alpha new barista (at least 56 needed)",
            explanation="Cannot tell whether Alpha new barista moved revenue_net.",
        ),
        edge(
            alpha,
            "4711.price",
            effect="4711.units",
            method="econml_linear_dml_log_log",
            estimate=-1.2,
            ci_low=-1.6,
            ci_high=-0.8,
            grade="moderate",
            intervention_id=None,
            explanation="A 1% higher price of 4711 changes its units sold by -1.20%.",
        ),
        edge(beta, "Beta secret promotion", explanation="Beta secret promotion changed revenue_net by +30%."),
    ]
    frame = pl.DataFrame(rows).select(EDGE_COLUMNS)
    with warehouse.connect("keel_transformer") as conn:
        conn.execute("delete from ml.evidence_edges where tenant_id = any(%s::uuid[])", (list(ids.values()),))
        with conn.cursor() as cur:
            columns = ", ".join(frame.columns)
            placeholders = ", ".join(["%s"] * frame.width)
            cur.executemany(
                f"insert into ml.evidence_edges ({columns}) values ({placeholders})", frame.rows()
            )
    yield ids
    with warehouse.connect("keel_transformer") as conn:
        conn.execute("delete from ml.evidence_edges where tenant_id = any(%s::uuid[])", (list(ids.values()),))


def page(tenant_id: uuid.UUID) -> AppTest:
    st.cache_data.clear()
    return signed_in_page("evidence", tenant_id, timeout=30)


def page_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader]
    parts += [str(frame.value) for frame in at.dataframe]
    return "\n".join(str(p) for p in parts)


def test_the_page_shows_the_tenants_effects_with_interval_and_grade(tenants: dict[str, uuid.UUID]) -> None:
    at = page(tenants[SLUGS[0]])
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "What worked?"
    assert [s.value for s in at.subheader] == [
        "What your actions did",
        "How price moves sales",
        "What moved last month's revenue",
        "Drivers between your metrics",
    ]
    markdown = [m.value for m in at.markdown]
    assert any(":green-badge[strong]" in m and "Alpha spring sale changed revenue " in m for m in markdown)
    assert any(":blue-badge[moderate]" in m and "1% higher price of 4711" in m for m in markdown)
    actions = at.dataframe[0].value  # pandas, as Streamlit hands it back
    table = actions[actions["Cause"] == "Alpha spring sale"]
    assert list(table["Estimate"]) == ["+12.0%"]
    assert list(table["95% interval"]) == ["+5.0% to +20.0%"]
    assert list(table["Grade"]) == ["strong"]
    assert any("simple before/after comparison would have said +35.1%" in c.value for c in at.caption)
    # The inconclusive one is listed with its reason, never with a number.
    assert any("only 20 untreated days before Alpha new barista" in m for m in markdown)
    assert f"run-{tenants[SLUGS[0]]}" not in " ".join(c.value for c in at.caption)  # for analysts only
    assert at.markdown[0].value.startswith("**The clearest finding (strong evidence): Alpha spring sale")


def test_another_tenants_evidence_never_shows(tenants: dict[str, uuid.UUID]) -> None:
    alpha = page_text(page(tenants[SLUGS[0]]))
    assert "Beta secret promotion" not in alpha and "+30%" not in alpha
    beta = page_text(page(tenants[SLUGS[1]]))
    assert "Beta secret promotion" in beta
    assert "Alpha" not in beta and "4711" not in beta


def test_a_tenant_without_evidence_is_told_what_to_run(tenants: dict[str, uuid.UUID]) -> None:
    at = page(tenants[SLUGS[2]])
    assert not at.exception
    assert at.info[0].value.startswith("No evidence yet")


def test_values_are_formatted_by_what_they_measure() -> None:
    assert format_value("its_seasonal_regression", -0.0754) == "-7.5%"
    assert format_value("econml_linear_dml_log_log", -1.234) == "-1.23"
    assert format_value("shapley_decomposition", 1234.5) == "+1,234.50"
    assert format_value("granger_causality", None) == "-"
    assert interval_text("synthetic_control", None, 0.1) == "-"
