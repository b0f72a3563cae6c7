"""The console through Streamlit's AppTest, on the real test warehouse: sign-in gate, KPIs, isolation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from app import words
from app.data import cached as data
from app.session import USER_KEY
from keel.tenancy import SignedInUser
from serving import readers
from tests.app.conftest import ConsoleTenant, ConsoleTenants, MetricRow

CONSOLE = Path(__file__).resolve().parents[2] / "app" / "console.py"
NO_METRICS = "No numbers yet"


def start() -> AppTest:
    return AppTest.from_file(str(CONSOLE), default_timeout=30).run()


def sign_in(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key="sign_in_email").input(email)
    at.text_input(key="sign_in_password").input(password)
    at.button[0].click()
    return at.run()


def signed_in(who: ConsoleTenant) -> AppTest:
    at = sign_in(start(), who.email, who.password)
    assert not at.exception, [e.message for e in at.exception]
    return at


def expected_tiles(rows: tuple[MetricRow, ...]) -> dict[str, str]:
    """The tiles of the last 30 days (a shop's default period) worked out from the inserted rows directly."""
    latest = max(r.metric_date for r in rows)
    current = [r for r in rows if r.metric_date > latest - dt.timedelta(days=30)]
    assert len(current) == 30
    orders = sum(r.orders for r in current)
    # Period AOV from the stored daily AOV (cents), weighted by orders: the mart's own definition.
    aov = sum(r.average_order_value * r.orders for r in current) / orders
    return {
        "Revenue": words.money(sum(r.revenue_net for r in current), "USD"),
        "Orders": words.count(orders),
        "Average order value": words.money(aov, "USD"),
        "Gross margin": words.money(sum(r.gross_margin for r in current), "USD"),
        "New customers": words.count(sum(r.new_customers for r in current)),
        "Out-of-stock days": "0",
    }


def chart_data(chart: Any) -> dict[str, list[Any]]:
    """The columns a Vega-Lite chart element carries (Streamlit ships them as Arrow IPC)."""
    payloads = [dataset.data.data for dataset in chart.proto.datasets] or [chart.proto.data.data]
    assert len(payloads) == 1
    return pa.ipc.open_stream(payloads[0]).read_all().to_pydict()


def tiles(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def test_sign_in_is_required_before_any_data(console_tenants: ConsoleTenants) -> None:
    at = start()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["E-mail", "Password"]
    assert len(at.metric) == 0
    assert at.get("vega_lite_chart") == []
    assert console_tenants.a.tenant.name not in [t.value for t in at.title]
    assert at.session_state.get(USER_KEY) is None


@pytest.mark.parametrize("wrong", ["password", "e-mail"])
def test_a_wrong_password_or_unknown_e_mail_shows_an_error(
    console_tenants: ConsoleTenants, wrong: str
) -> None:
    a = console_tenants.a
    email = a.email if wrong == "password" else "nobody@console-cafe-a.example.com"
    password = a.password + "x" if wrong == "password" else a.password
    at = sign_in(start(), email, password)
    assert [e.value for e in at.error] == [
        "Sign-in failed: e-mail or password is wrong. check both and try again."
    ]
    assert len(at.metric) == 0
    assert at.session_state.get(USER_KEY) is None


def test_overview_shows_the_signed_in_tenants_kpis_and_never_the_other_tenants(
    console_tenants: ConsoleTenants,
) -> None:
    a, b = console_tenants.a, console_tenants.b
    at = signed_in(a)

    user = at.session_state[USER_KEY]
    assert isinstance(user, SignedInUser)
    assert (user.tenant_id, user.email) == (a.tenant.tenant_id, a.email)
    assert [t.value for t in at.title] == [a.tenant.name]
    assert [s.value for s in at.subheader][:1] == ["How am I doing?"]

    shown = tiles(at)
    assert shown == expected_tiles(a.rows)
    b_values = set(expected_tiles(b.rows).values()) - {"0"}  # neither ever ran out of stock
    assert not b_values & set(shown.values())
    # 60 days: every tile but the never-changing stock days has a previous period to compare with
    assert all(metric.delta for metric in at.metric if metric.label != "Out-of-stock days")

    captions = " ".join(c.value for c in at.caption)
    assert "metrics.business_metrics_daily" not in captions and "metric_date" not in captions
    assert "Data up to 20 Nov 2026" in captions
    assert "22 Oct 2026 to 20 Nov 2026 compared with 22 Sep 2026 to 21 Oct 2026" in captions
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    plotted = chart_data(charts[0])
    assert plotted["Revenue"] == pytest.approx([r.revenue_net for r in a.rows[-30:]])
    assert not at.info and not at.error


def test_each_tenant_sees_its_own_numbers(console_tenants: ConsoleTenants) -> None:
    b = console_tenants.b
    at = signed_in(b)
    assert [t.value for t in at.title] == [b.tenant.name]
    assert tiles(at) == expected_tiles(b.rows)


def test_the_url_cannot_choose_the_tenant(console_tenants: ConsoleTenants) -> None:
    a, b = console_tenants.a, console_tenants.b
    at = AppTest.from_file(str(CONSOLE), default_timeout=30)
    at.query_params["tenant_id"] = str(b.tenant.tenant_id)
    at.query_params["tenant"] = b.tenant.slug
    at = sign_in(at.run(), a.email, a.password)
    assert [t.value for t in at.title] == [a.tenant.name]
    assert tiles(at) == expected_tiles(a.rows)


def test_data_layer_returns_only_the_signed_in_tenants_rows(console_tenants: ConsoleTenants) -> None:
    a = console_tenants.a
    user = SignedInUser(user_id=a.tenant.tenant_id, tenant_id=a.tenant.tenant_id, email=a.email)
    metrics = data.business_metrics(user)
    assert metrics.height == len(a.rows)
    assert metrics.get_column("revenue_net").sum() == pytest.approx(sum(r.revenue_net for r in a.rows))
    assert data.tenant_profile(user).name == a.tenant.name


def test_a_tenant_without_metrics_gets_a_message(console_tenants: ConsoleTenants) -> None:
    at = signed_in(console_tenants.empty)
    assert [t.value for t in at.title] == [console_tenants.empty.tenant.name]
    assert len(at.info) == 1 and at.info[0].value.startswith(NO_METRICS)
    assert len(at.metric) == 0 and not at.error


def test_a_missing_metrics_table_gets_a_message_not_an_error(
    console_tenants: ConsoleTenants, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "METRICS_TABLE", "business_metrics_daily_not_built")
    at = signed_in(console_tenants.a)
    assert len(at.info) == 1 and at.info[0].value.startswith(NO_METRICS)
    assert len(at.metric) == 0 and not at.error


def test_sign_out_returns_to_the_sign_in_form(console_tenants: ConsoleTenants) -> None:
    at = signed_in(console_tenants.a)
    assert len(at.metric) == 6
    at.sidebar.button[0].click()
    at.run()
    assert at.session_state.get(USER_KEY) is None
    assert [t.label for t in at.text_input] == ["E-mail", "Password"]
    assert len(at.metric) == 0
