"""The Coach page through Streamlit's AppTest, on the shared demo warehouse: chat, table, sources."""

from __future__ import annotations

import re

from keel import warehouse
from keel.settings import KeelSettings
from tests.app.pages import signed_in_page


def test_coach_page_answers_with_numbers_and_sources(demo_warehouse: KeelSettings) -> None:
    with warehouse.connect("admin", settings=demo_warehouse) as conn:
        row = conn.execute(
            "select t.tenant_id, h.health_score from app.tenants t "
            "join metrics.health_score h using (tenant_id) where t.slug = 'bluebird-coffee' "
            "order by h.metric_month desc limit 1"
        ).fetchone()
    assert row is not None
    tenant_id, score = row
    at = signed_in_page("coach_chat", tenant_id, timeout=120)
    assert not at.exception
    at.chat_input[0].set_value("How am I doing?").run()
    assert not at.exception
    said = " ".join(m.value for m in at.markdown)
    assert f"{float(score):.1f} out of 100" in said
    assert at.expander and "Where these numbers come from" in at.expander[0].label
    sources = " ".join(m.value for m in at.expander[0].markdown)
    assert "Monthly health score" in sources and "(./health)" in sources
    at.chat_input[0].set_value("How do I compare with similar businesses?").run()
    assert not at.exception
    assert at.dataframe, "several peer comparisons read better as a table"
    columns = list(at.dataframe[0].value.columns)
    assert "Peers' median" in columns and not {"metric", "unit", "peer_group"} & set(columns)
    # the owner's view names no tables, columns or methods
    everything = " ".join(m.value for m in at.markdown)
    assert not re.search(r"\b(?:metrics|ml|marts|benchmarks)\.\w+|\bselect\b|_\w+_", everything)
