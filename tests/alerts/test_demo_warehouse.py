"""Triggers over the real demo marts and forecasts (the shared ``demo_warehouse``), and ``keel alerts check``.

The demo's forecasts start after its last day, so no stored forecast covers a day with actuals yet; the
test stores one for the latest day (a chosen model of its own, as the pipeline role) whose interval the
real value misses, and removes it again.
"""

from __future__ import annotations

import os
import subprocess
import sys

from babel.numbers import format_currency

from coach.alerts import triggers
from ingestion.demo.profiles import demo_tenant_id
from keel import warehouse
from keel.settings import KeelSettings

TENANT = "bluebird-coffee"


def test_a_real_day_outside_a_stored_interval_and_the_real_health_score(demo_warehouse: KeelSettings) -> None:
    tenant_id = demo_tenant_id(TENANT)
    with warehouse.connect("keel_app", tenant_id=tenant_id) as conn:
        day, actual = conn.execute(
            "select metric_date, revenue_net::double precision from metrics.business_metrics_daily "
            "order by metric_date desc limit 1"
        ).fetchone()
        (currency,) = conn.execute("select currency from app.tenants").fetchone()
        months = triggers.read_health_months(conn)
    assert actual > 0
    with warehouse.connect("keel_transformer") as conn:
        conn.execute(
            "insert into ml.forecasts (tenant_id, metric, ds, model, point, lo_80, hi_80, lo_95, hi_95, "
            "is_chosen, run_id) "
            "values (%s, 'revenue_net', %s, 'alert-test', %s, %s, %s, %s, %s, true, 'alert-test')",
            (tenant_id, day, actual * 2.5, actual * 2.2, actual * 2.8, actual * 2, actual * 3),
        )
    try:
        out = subprocess.run(
            [sys.executable, "-m", "cli", "alerts", "check", "--tenant", TENANT],
            capture_output=True,
            text=True,
            env={**os.environ, "COLUMNS": "250"},
            timeout=300,
        )
    finally:
        with warehouse.connect("keel_transformer") as conn:
            conn.execute(
                "delete from ml.forecasts where tenant_id = %s and model = 'alert-test'", (tenant_id,)
            )
    assert out.returncode == 0, out.stderr
    text = " ".join(out.stdout.split())
    money = lambda v: format_currency(v, currency, locale="en_US")  # noqa: E731
    assert "WARNING: Unexpected net revenue: lower than forecast" in text
    assert (
        # The interval's low end is twice the actual value: the miss is the actual value itself.
        f"was {money(actual)}, {money(actual)} below the lowest value the forecast expected "
        f"(95% range {money(actual * 2)} to {money(actual * 3)}"
    ) in text
    assert "revenue_net" not in text.replace("metric=revenue_net", "")  # owner's words, the link aside
    assert "(shown only" in text

    # The health score over the real marts: a drop fires exactly when it reaches the set size.
    assert len(months) == 2 and months[0].month > months[1].month
    drop = months[1].score - months[0].score
    if drop > 0:
        [alert] = triggers.health_alerts(months, drop, [])
        assert f"fell from {months[1].score:.0f} to {months[0].score:.0f}" in alert.what_happened
    assert triggers.health_alerts(months, max(drop, 0) + 0.5, []) == []
