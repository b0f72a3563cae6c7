"""Utilization of a services firm on the shared demo warehouse, through Streamlit's AppTest.

No demo source says which hours were billable (``metrics.billing_metrics_monthly.utilization`` is empty for
the B2B firm), so the tile says so in plain words instead of showing 0% or an empty tile; a month that has the
figure shows it as a percentage.
"""

from __future__ import annotations

import datetime as dt

from app import words
from app.overview import NO_UTILIZATION
from keel import warehouse
from keel.settings import KeelSettings
from tests.app.pages import signed_in_page

SLUG = "ledgerline-advisors"


def test_utilization_says_what_is_missing_when_no_hours_are_billable(demo_warehouse: KeelSettings) -> None:
    with warehouse.connect("admin", settings=demo_warehouse) as conn:
        row = conn.execute(
            "select t.tenant_id, max(b.month)::date, count(b.utilization), count(*) "
            "from app.tenants t join metrics.billing_metrics_monthly b using (tenant_id) "
            "where t.slug = %s group by 1",
            (SLUG,),
        ).fetchone()
    assert row is not None
    tenant_id, last_month, with_utilization, months = row
    assert months >= 6 and with_utilization == 0, "the demo records no billable hours"

    at = signed_in_page("overview", tenant_id, timeout=120)
    assert not at.exception, [e.message for e in at.exception]
    utilization = [m for m in at.metric if m.label == "Utilization"]
    assert len(utilization) == 1 and utilization[0].value == "Not available"
    assert any(c.value == NO_UTILIZATION for c in at.caption)
    assert not any(m.value in ("0.0%", "n/a", "") for m in utilization)
    # the other tiles of the month are there, by calendar month
    shown = {m.label for m in at.metric}
    assert {"Billed revenue", "Collected", "Owed to you", "Days to get paid"} <= shown
    assert isinstance(last_month, dt.date)
    assert any(c.value.startswith(f"{words.month(last_month)} compared with") for c in at.caption)
