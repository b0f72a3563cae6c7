"""The console's Alerts page (AppTest, signed in): the inbox unread first with what/why/what to do, marking
as read, and the channels form (masked addresses, a test send to a webhook on loopback, refused addresses)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from app.alerts import NO_ALERTS
from coach.alerts import channels, inbox
from coach.alerts.check import check_tenant
from keel import tenancy, warehouse
from tests.alerts.conftest import WebhookServer, wait_for
from tests.app.pages import signed_in_page


def _markdown(at: object) -> str:
    return "\n".join(m.value for m in at.markdown)  # type: ignore[attr-defined]


def test_the_inbox_shows_unread_alerts_first_and_marks_them_read(
    new_tenant: Callable[..., tenancy.Tenant],
) -> None:
    tenant, other = new_tenant().tenant_id, new_tenant().tenant_id
    for name, days in (("Payments", 6), ("Main shop", 3)):
        source_type = "stripe" if name == "Payments" else "shopify"
        tenancy.save_data_source(tenant, source_type, name, {}, {"k": "v" * 12})
        with warehouse.connect("keel_loader") as conn:
            conn.execute(
                "update app.data_sources set last_loaded_at = now() - make_interval(days => %s) "
                "where tenant_id = %s and name = %s",
                (days, tenant, name),
            )
    check_tenant(tenant, send=False)
    payments = next(a for a in inbox.list_alerts(tenant) if "Payments" in a.title)
    inbox.acknowledge(tenant, payments.alert_id, by="owner@example.com")

    at = signed_in_page("alerts", tenant)
    assert not at.exception
    text = _markdown(at)
    assert text.index("**New:** **No new data from Main shop**") < text.index("**No new data from Payments**")
    assert "**What happened:** Main shop last loaded on" in text and "3 days ago" in text
    assert "**Why it matters:** Until it loads again" in text
    assert "**What to do:** Open the sources page and reconnect Main shop" in text
    assert "[Open the page](/your-data)" in text
    assert at.caption[0].value == "1 unread of 2"

    [button] = [b for b in at.button if b.label == "Mark as read"]
    at = button.click().run()
    assert at.caption[0].value == "0 unread of 2"
    assert inbox.unread_count(tenant) == 0
    assert inbox.list_alerts(tenant)[0].acknowledged_by == "owner@example.com"

    # Another business sees none of it.
    theirs = signed_in_page("alerts", other)
    assert NO_ALERTS in [i.value for i in theirs.info] and "Main shop" not in _markdown(theirs)


def test_channels_are_added_masked_tested_and_refused_when_unknown(
    new_tenant: Callable[..., tenancy.Tenant], webhook_server: WebhookServer
) -> None:
    tenant = new_tenant().tenant_id
    secret = f"hooktoken{uuid.uuid4().hex}"
    at = signed_in_page("alerts", tenant)
    at.text_input[0].input("Team webhook")
    at.text_input[1].input(f"json://127.0.0.1:{webhook_server.port}/{secret}")
    at = next(b for b in at.button if b.label == "Add channel").click().run()
    assert not at.exception
    [channel] = channels.list_channels(tenant)
    assert channel.name == "Team webhook" and channel.service == "JSON"
    text = _markdown(at)
    assert f"`{channel.url_masked}`" in text and secret not in text and secret[-4:] in channel.url_masked

    [test] = [b for b in at.button if b.label == "Send a test"]
    at = test.click().run()
    assert [s.value for s in at.success] == ["Test message sent to Team webhook."]
    wait_for(lambda: len(webhook_server.posts_to(f"/{secret}")) == 1)
    assert webhook_server.posts_to(f"/{secret}")[0].body["title"] == "Keel: test message"

    at.text_input[0].input("Pager")
    at.text_input[1].input("pager://nowhere")
    at = next(b for b in at.button if b.label == "Add channel").click().run()
    assert any("'pager' is not a notification address" in e.value for e in at.error)
    assert len(channels.list_channels(tenant)) == 1


def test_quiet_hours_are_saved_from_the_page(new_tenant: Callable[..., tenancy.Tenant]) -> None:
    from coach.alerts.delivery import preferences

    tenant = new_tenant(timezone="Europe/Berlin").tenant_id
    at = signed_in_page("alerts", tenant)
    assert any("Europe/Berlin time" in c.value for c in at.caption)
    at.checkbox[0].check()
    at.time_input[0].set_value(dt.time(22))
    at.time_input[1].set_value(dt.time(6, 30))
    at = next(b for b in at.button if b.label == "Save").click().run()
    assert [s.value for s in at.success] == ["Saved."]
    saved = preferences(tenant)
    assert (saved.quiet_start, saved.quiet_end) == (dt.time(22), dt.time(6, 30))
