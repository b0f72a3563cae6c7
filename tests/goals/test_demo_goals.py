"""The demo's goals after `keel demo` (the shared demo warehouse: one tenant per industry, from 2026-04-01).

Each demo business gets three goals through the owners' API: one set at its forecast's safe end (likely: on
track), one at the forecast's middle (at risk), and one for a month the data has closed whose target the
recorded revenue did not reach (missed). The statuses come from the ``ml_goal_evaluations`` step of the demo
run; the missed goal is checked against the business's own daily metrics.
"""

from __future__ import annotations

import pytest

from keel import warehouse
from keel.settings import KeelSettings
from orchestration.defs.ml.goals import demo_goal_id
from tests.conftest import DEMO_WAREHOUSE_TENANTS


@pytest.mark.parametrize("slug", DEMO_WAREHOUSE_TENANTS)
def test_demo_goals_reach_the_statuses_their_history_implies(demo_warehouse: KeelSettings, slug: str) -> None:
    with warehouse.connect("keel_transformer") as conn:
        rows = conn.execute(
            "select g.goal_id, g.status, g.target::float8, g.starts_on, g.deadline, e.probability, e.status, "
            "e.run_id from app.goals g join app.tenants t using (tenant_id) "
            "left join ml.goal_evaluations e using (goal_id) where t.slug = %s",
            (slug,),
        ).fetchall()
        by_id = {row[0]: row for row in rows}
        likely = by_id[demo_goal_id(slug, "likely")]
        at_risk = by_id[demo_goal_id(slug, "at_risk")]
        missed = by_id[demo_goal_id(slug, "missed")]
        assert (likely[1], likely[6]) == ("on_track", "on_track") and likely[5] >= 0.7
        assert at_risk[1] == "at_risk" and 0.3 <= at_risk[5] < 0.7
        assert missed[1] == "missed" and missed[5] == 0.0
        realised = conn.execute(
            "select sum(m.revenue_net)::float8 from metrics.business_metrics_daily m join app.tenants t "
            "using (tenant_id) where t.slug = %s and m.metric_date between %s and %s",
            (slug, missed[3], missed[4]),
        ).fetchone()
        assert realised is not None and realised[0] < missed[2]
        transitions = conn.execute(
            "select kind, from_status, to_status from app.goal_events where goal_id = %s order by event_id",
            (missed[0],),
        ).fetchall()
        assert transitions[0] == ("created", None, "active")
        assert ("status_changed", "active", "missed") in transitions
        assert ("evaluated", "active", "missed") in transitions
