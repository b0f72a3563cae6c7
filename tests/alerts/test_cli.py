"""``keel alerts check`` as a user runs it (a separate process, the test warehouse)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable

from coach.alerts import channels, inbox
from keel import tenancy, warehouse
from tests.alerts.conftest import WebhookServer, wait_for


def keel(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "250"},
        timeout=300,
    )


def test_alerts_check_shows_then_sends(
    new_tenant: Callable[..., tenancy.Tenant], webhook_server: WebhookServer
) -> None:
    tenant = new_tenant()
    path = f"/cli{uuid.uuid4().hex}"
    channels.add_channel(tenant.tenant_id, "Webhook", f"json://127.0.0.1:{webhook_server.port}{path}")
    tenancy.save_data_source(tenant.tenant_id, "shopify", "Main shop", {}, {"token": "t" * 20})
    with warehouse.connect("keel_loader") as conn:
        conn.execute(
            "update app.data_sources set last_loaded_at = now() - interval '5 days' where tenant_id = %s",
            (tenant.tenant_id,),
        )

    shown = keel("alerts", "check", "--tenant", tenant.slug)
    assert shown.returncode == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    assert "WARNING: No new data from Main shop" in text and "5 days ago" in text
    assert "What to do: Open the sources page" in text and "(shown only" in text
    assert inbox.list_alerts(tenant.tenant_id) == [] and webhook_server.posts_to(path) == []

    sent = keel("alerts", "check", "--tenant", tenant.slug, "--send")
    assert sent.returncode == 0, sent.stderr
    assert "1 new in the inbox (0 already there); sent 1, failed 0" in " ".join(sent.stdout.split())
    wait_for(lambda: len(webhook_server.posts_to(path)) == 1)
