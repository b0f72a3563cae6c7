"""Alerts end to end on the test warehouse: triggers over real tables, the inbox, and delivery by apprise
to an SMTP server and HTTP webhooks on loopback (dedup, quiet hours, retries, tenant isolation)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg.types.json import Jsonb

from coach.alerts import channels, delivery, inbox
from coach.alerts.check import check_tenant
from coach.alerts.errors import InvalidChannel
from keel import tenancy, warehouse
from keel.settings import KeelSettings
from tests.alerts.conftest import SmtpServer, WebhookServer, wait_for

NOW = dt.datetime(2026, 12, 6, 15, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 12, 5)


def stale_source(tenant_id: uuid.UUID, loaded_at: dt.datetime) -> None:
    """A connected source whose last load is ``loaded_at`` (written as the loader records a load)."""
    tenancy.save_data_source(
        tenant_id, "shopify", "Main shop", {"shop": "x"}, {"access_token": "shpat_0123456789"}
    )
    with warehouse.connect("keel_loader") as conn:
        conn.execute(
            "update app.data_sources set last_loaded_at = %s where tenant_id = %s", (loaded_at, tenant_id)
        )


def write_actual(tenant_id: uuid.UUID, day: dt.date, revenue: float) -> None:
    """One day of metrics, as dbt writes them (the pipeline role)."""
    with warehouse.connect("keel_transformer") as conn:
        conn.execute(
            """
            insert into metrics.business_metrics_daily (
                tenant_id, metric_date, currency, revenue_gross, discounts, refunds, revenue_net, orders,
                cogs, gross_margin, new_customers, returning_customers, cash_in, cash_out, labor_hours,
                labor_cost, marketing_spend_total, marketing_spend_by_channel, stockout_product_days)
            values (%s, %s, 'EUR', %s, 0, 0, %s, 40, 0, 0, 3, 10, 0, 0, 0, 0, 0, %s, 0)
            """,
            (tenant_id, day, revenue, revenue, Jsonb({})),
        )


def write_forecast(tenant_id: uuid.UUID, day: dt.date, run_id: str) -> None:
    """A chosen net-revenue forecast for ``day`` (point 2,350, 95% interval 1,800 to 2,900)."""
    with warehouse.connect("keel_transformer") as conn:
        conn.execute(
            "insert into ml.forecasts (tenant_id, metric, ds, model, point, lo_80, hi_80, lo_95, hi_95, "
            "is_chosen, run_id) values (%s, 'revenue_net', %s, 'AutoETS', 2350, 2000, 2700, 1800, 2900, "
            "true, %s)",
            (tenant_id, day, run_id),
        )


@pytest.fixture
def pipeline_rows(settings: KeelSettings) -> Iterator[list[uuid.UUID]]:
    """Tenants whose metrics and forecasts a test wrote; removed afterwards."""
    tenants: list[uuid.UUID] = []
    yield tenants
    with warehouse.connect("keel_transformer") as conn:
        for tenant_id in tenants:
            conn.execute("delete from metrics.business_metrics_daily where tenant_id = %s", (tenant_id,))
            conn.execute("delete from ml.forecasts where tenant_id = %s", (tenant_id,))


@pytest.fixture
def surprise(pipeline_rows: list[uuid.UUID]) -> Callable[[uuid.UUID, float], None]:
    """Write one day of net revenue and a forecast for that day made earlier."""

    def write(tenant_id: uuid.UUID, actual: float) -> None:
        pipeline_rows.append(tenant_id)
        write_actual(tenant_id, DAY, actual)
        write_forecast(tenant_id, DAY, "test-run")

    return write


def test_alerts_reach_email_slack_format_and_webhook_once_per_cause(
    new_tenant: Callable[..., tenancy.Tenant],
    surprise: Callable[[uuid.UUID, float], None],
    smtp_server: SmtpServer,
    webhook_server: WebhookServer,
) -> None:
    tenant = new_tenant(currency="EUR").tenant_id
    hook = uuid.uuid4().hex
    channels.add_channel(tenant, "Owner e-mail", smtp_server.url(f"owner-{hook}@cafe.example"))
    # Mattermost's incoming webhooks take Slack's format ({"text": ...}); apprise's mmost:// reaches any host.
    channels.add_channel(tenant, "Team chat", f"mmost://127.0.0.1:{webhook_server.port}/slack{hook}")
    channels.add_channel(tenant, "Webhook", f"json://127.0.0.1:{webhook_server.port}/json{hook}")
    stale_source(tenant, NOW - dt.timedelta(days=4))
    surprise(tenant, 1240.0)

    first = check_tenant(tenant, now=NOW)
    assert len(first.new_alert_ids) == 2 and first.delivery.sent == 6 and first.delivery.failed == 0

    mails = [m for m in smtp_server.mailbox.messages if f"owner-{hook}@cafe.example" in str(m["To"])]
    wait_for(lambda: len(webhook_server.posts_to(f"/hooks/slack{hook}")) == 2)
    assert len(mails) == 2
    anomaly_mail = next(m for m in mails if "Unexpected net revenue" in str(m["Subject"]))
    text = (
        anomaly_mail.get_content()
        if not anomaly_mail.is_multipart()
        else anomaly_mail.get_body(("plain",)).get_content()
    )  # type: ignore[union-attr]
    assert (
        "What happened: Net revenue on 5 December 2026 was €1,240.00, €560.00 below the lowest value the "
        "forecast expected (95% range €1,800.00 to €2,900.00; forecast €2,350.00, 47% under it)."
    ) in text
    assert "Why it matters: A day outside the 95% range happens by chance about once in 20 days" in text
    assert "What to do: Check what was different that day" in text
    assert "Open in Keel: http://localhost:8501/forecasts?metric=revenue_net" in text
    slack = [p.body["text"] for p in webhook_server.posts_to(f"/hooks/slack{hook}")]
    assert any("No new data from Main shop" in t and "last loaded on 2 December 2026" in t for t in slack)
    hooks = webhook_server.posts_to(f"/json{hook}")
    assert {p.body["title"] for p in hooks} == {
        "Keel: Unexpected net revenue: lower than forecast",
        "Keel: No new data from Main shop",
    }

    # Same causes in the same state: no new alert, nothing sent again.
    again = check_tenant(tenant, now=NOW + dt.timedelta(minutes=5))
    assert again.new_alert_ids == [] and again.delivery.sent == 0 and len(again.firing) == 2
    # The source loaded once more but is still stale: its cause changed, so one new alert (the anomaly stays).
    stale_source(tenant, NOW - dt.timedelta(days=3))
    changed = check_tenant(tenant, now=NOW + dt.timedelta(minutes=10))
    assert len(changed.new_alert_ids) == 1 and changed.delivery.sent == 3
    titles = [a.title for a in inbox.list_alerts(tenant)]
    assert (
        titles.count("No new data from Main shop") == 2
        and titles.count("Unexpected net revenue: lower than forecast") == 1
    )
    # The source is fresh again: its alert is resolved; the same stale state later would be news again.
    stale_source(tenant, NOW)
    check_tenant(tenant, now=NOW + dt.timedelta(minutes=15))
    with warehouse.connect("keel_app", tenant_id=tenant) as conn:
        open_causes = conn.execute("select count(*) from app.alerts where resolved_at is null").fetchone()
    assert open_causes == (1,)


def test_a_forecast_noted_before_its_day_catches_the_surprise_after_the_forecasts_move_on(
    new_tenant: Callable[..., tenancy.Tenant], pipeline_rows: list[uuid.UUID]
) -> None:
    tenant = new_tenant().tenant_id
    pipeline_rows.append(tenant)
    yesterday, today, tomorrow = DAY - dt.timedelta(days=1), DAY, DAY + dt.timedelta(days=1)
    write_actual(tenant, yesterday, 2300.0)
    write_forecast(tenant, today, "run-1")
    first = check_tenant(tenant, now=NOW, send=False)
    assert [a for a in first.firing if a.kind == "anomaly"] == []  # no forecast was made for yesterday

    # Today's data arrives and the next run forecasts from tomorrow on: ml.forecasts forgets today.
    write_actual(tenant, today, 3600.0)
    with warehouse.connect("keel_transformer") as conn:
        conn.execute("delete from ml.forecasts where tenant_id = %s", (tenant,))
    write_forecast(tenant, tomorrow, "run-2")
    second = check_tenant(tenant, now=NOW + dt.timedelta(hours=1), send=False)
    [alert] = [a for a in second.firing if a.kind == "anomaly"]
    what = alert.what_happened
    assert "Net revenue on 5 December 2026 was $3,600.00, $700.00 above the highest value" in what
    with warehouse.connect("keel_app", tenant_id=tenant) as conn:
        marks = conn.execute("select ds, run_id from app.alert_forecast_marks order by ds").fetchall()
    assert marks == [(today, "run-1"), (tomorrow, "run-2")]  # today's mark froze when its data came


def test_quiet_hours_hold_alerts_until_they_end(
    new_tenant: Callable[..., tenancy.Tenant], webhook_server: WebhookServer
) -> None:
    # 15:00 UTC is 23:00 in Singapore: inside quiet hours 22:00-07:00 local time.
    tenant = new_tenant(timezone="Asia/Singapore").tenant_id
    path = f"/quiet{uuid.uuid4().hex}"
    channels.add_channel(tenant, "Webhook", f"json://127.0.0.1:{webhook_server.port}{path}")
    delivery.set_preferences(tenant, quiet_start=dt.time(22), quiet_end=dt.time(7))
    stale_source(tenant, NOW - dt.timedelta(days=4))

    during = check_tenant(tenant, now=NOW)
    assert len(during.new_alert_ids) == 1 and during.delivery.held == 1 and during.delivery.sent == 0
    check_tenant(tenant, now=NOW + dt.timedelta(hours=7, minutes=30))  # 06:30 local: still quiet
    assert webhook_server.posts_to(path) == []
    [held] = inbox.list_alerts(tenant)
    assert held.deliveries == "Webhook held for quiet hours"

    after = check_tenant(tenant, now=NOW + dt.timedelta(hours=8, minutes=5))  # 07:05 local
    assert after.delivery.sent == 1 and after.new_alert_ids == []
    wait_for(lambda: len(webhook_server.posts_to(path)) == 1)
    assert inbox.list_alerts(tenant)[0].deliveries == "sent to Webhook"


def test_a_failing_channel_is_retried_with_back_off_and_every_attempt_recorded(
    new_tenant: Callable[..., tenancy.Tenant], webhook_server: WebhookServer, settings: KeelSettings
) -> None:
    tenant = new_tenant().tenant_id
    channels.add_channel(
        tenant, "Broken hook", f"json://127.0.0.1:{webhook_server.port}/fail/{uuid.uuid4().hex}"
    )
    stale_source(tenant, NOW - dt.timedelta(days=4))
    patient = settings.model_copy(update={"alert_retry_seconds": 60, "alert_max_attempts": 3})

    first = check_tenant(tenant, now=NOW, settings=patient)
    assert first.delivery.failed == 1 and "500" in first.delivery.errors[0]
    soon = check_tenant(tenant, now=NOW + dt.timedelta(seconds=30), settings=patient)
    assert soon.delivery.waiting == 1 and soon.delivery.failed == 0  # back-off: 60 s not over yet
    second = check_tenant(tenant, now=NOW + dt.timedelta(seconds=61), settings=patient)
    assert second.delivery.failed == 1
    early = check_tenant(tenant, now=NOW + dt.timedelta(seconds=150), settings=patient)
    assert early.delivery.waiting == 1  # the second wait is 120 s
    third = check_tenant(tenant, now=NOW + dt.timedelta(seconds=182), settings=patient)
    assert third.delivery.failed == 1
    done = check_tenant(tenant, now=NOW + dt.timedelta(hours=5), settings=patient)
    assert done.delivery.gave_up == 1 and done.delivery.failed == 0

    with warehouse.connect("keel_app", tenant_id=tenant) as conn:
        attempts = conn.execute(
            "select attempt, status, error is not null, attempted_at from app.alert_deliveries "
            "order by attempt"
        ).fetchall()
    assert [(a, s, e) for a, s, e, _ in attempts] == [
        (1, "failed", True),
        (2, "failed", True),
        (3, "failed", True),
    ]
    assert [t for *_, t in attempts] == [
        NOW,
        NOW + dt.timedelta(seconds=61),
        NOW + dt.timedelta(seconds=182),
    ]
    [alert] = inbox.list_alerts(tenant)
    assert alert.deliveries.startswith("Broken hook failed 3 time(s): ") and "500" in alert.deliveries


def test_channels_are_stored_encrypted_shown_masked_and_checked(
    new_tenant: Callable[..., tenancy.Tenant], smtp_server: SmtpServer
) -> None:
    tenant = new_tenant().tenant_id
    url = smtp_server.url("test-send@cafe.example")
    channel = channels.add_channel(tenant, "Owner e-mail", url)
    assert channel.service == "E-Mail" and "secret-pass" not in channel.url_masked
    assert channel.url_masked.startswith("mailto://keel:****@127.0.0.1")
    slack = channels.add_channel(
        tenant, "Slack", "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/#general"
    )
    assert "TIiajkdnlazkcOXrIdevi7" not in slack.url_masked and slack.service == "Slack"
    with warehouse.connect("keel_app", tenant_id=tenant) as conn:
        stored = conn.execute("select url_encrypted from app.alert_channels").fetchall()
    assert all(b"secret-pass" not in bytes(row[0]) and b"TIiajk" not in bytes(row[0]) for row in stored)

    with pytest.raises(InvalidChannel, match="'nonsense' is not a notification address"):
        channels.add_channel(tenant, "Bad", "nonsense://whatever")
    with pytest.raises(InvalidChannel, match="already a channel named 'Slack'"):
        channels.add_channel(tenant, "Slack", "json://127.0.0.1/x")

    assert delivery.send_test(tenant, channel.channel_id) is None
    wait_for(lambda: any("test-send@cafe.example" in str(m["To"]) for m in smtp_server.mailbox.messages))
    assert [c.name for c in channels.list_channels(tenant)] == ["Owner e-mail", "Slack"]


def test_the_inbox_is_the_tenants_own(new_tenant: Callable[..., tenancy.Tenant]) -> None:
    a, b = new_tenant().tenant_id, new_tenant().tenant_id
    stale_source(a, NOW - dt.timedelta(days=4))
    check_tenant(a, now=NOW, send=False)
    [alert] = inbox.list_alerts(a)
    assert alert.is_unread and inbox.unread_count(a) == 1
    assert inbox.list_alerts(b) == [] and inbox.unread_count(b) == 0
    assert inbox.acknowledge(b, alert.alert_id, by="intruder@b.example") is False
    with warehouse.connect("keel_app", tenant_id=b) as conn:
        assert conn.execute("select count(*) from app.alerts").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "insert into app.alerts (tenant_id, cause_key, fingerprint, kind, severity, title, "
                "what_happened, why_it_matters, what_to_do, link) "
                "values (%s, 'x', 'x', 'health', 'info', 't', 'w', 'w', 'w', '/')",
                (a,),
            )
    assert inbox.acknowledge(a, alert.alert_id, by="owner@a.example") is True
    [read] = inbox.list_alerts(a)
    assert not read.is_unread and read.acknowledged_by == "owner@a.example"
