"""The ``keel_alerts`` sensor, evaluated: a failed data check in Dagster's records and a stale source
become alerts that reach the tenant's webhook (its registration: tests/orchestration/test_definitions.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import dagster as dg

from coach.alerts import channels, inbox
from keel import tenancy, warehouse
from orchestration.defs.alerts.sensors import failed_checks, keel_alerts
from tests.alerts.conftest import WebhookServer, wait_for


@dg.asset(name="alert_test_orders")
def alert_test_orders() -> int:
    return 3


@dg.asset_check(asset=alert_test_orders, name="orders_add_up")
def orders_add_up() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, description="2 days have more refunds than sales")


def test_the_sensor_sends_failed_checks_and_stale_sources(
    new_tenant: Callable[..., tenancy.Tenant], webhook_server: WebhookServer
) -> None:
    tenant = new_tenant().tenant_id
    path = f"/sensor{uuid.uuid4().hex}"
    channels.add_channel(tenant, "Webhook", f"json://127.0.0.1:{webhook_server.port}{path}")
    tenancy.save_data_source(tenant, "stripe", "Payments", {}, {"api_key": "sk_test_0123456789"})
    with warehouse.connect("keel_loader") as conn:
        conn.execute(
            "update app.data_sources set last_loaded_at = now() - interval '3 days' where tenant_id = %s",
            (tenant,),
        )

    instance = dg.DagsterInstance.ephemeral()
    assert dg.materialize([alert_test_orders, orders_add_up], instance=instance, raise_on_error=False)
    definitions = dg.Definitions(
        assets=[alert_test_orders], asset_checks=[orders_add_up], sensors=[keel_alerts]
    )
    [check] = failed_checks(instance, definitions.get_repository_def().asset_checks_defs_by_key)
    assert (check.asset, check.check_name, check.tenant_ids) == ("alert_test_orders", "orders_add_up", None)

    context = dg.build_sensor_context(instance=instance, definitions=definitions)
    result = keel_alerts(context)
    assert isinstance(result, dg.SkipReason) and "sent" in str(result.skip_message)
    wait_for(lambda: len(webhook_server.posts_to(path)) == 2)
    titles = sorted(p.body["title"] for p in webhook_server.posts_to(path))
    assert titles == ["Keel: A data check failed: orders add up", "Keel: No new data from Payments"]
    check_alert = next(a for a in inbox.list_alerts(tenant) if a.title.startswith("A data check failed"))
    assert "2 days have more refunds than sales" in check_alert.what_happened

    # Evaluated again: nothing new for this tenant, nothing sent twice.
    keel_alerts(dg.build_sensor_context(instance=instance, definitions=definitions))
    assert len(webhook_server.posts_to(path)) == 2
    assert len(inbox.list_alerts(tenant)) == 2
    assert dt.datetime.now(dt.UTC) - inbox.list_alerts(tenant)[0].created_at < dt.timedelta(minutes=5)
