"""``keel alerts check``: run one tenant's alert triggers by hand, and optionally keep and send the alerts.

Without ``--send`` it only shows what the triggers raise now (nothing is written or sent); with ``--send``
new alerts go to the inbox and what is due goes to the tenant's channels, as the ``keel_alerts`` sensor
does every few minutes.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import typer
from rich.console import Console

from coach.alerts.check import check_tenant
from coach.alerts.errors import AlertError
from keel.errors import InvalidInput
from keel.warehouse import connect


def tenant_by_slug_or_id(tenant: str) -> uuid.UUID:
    """The tenant a slug or id names, looked up in ``app.tenants`` (as the pipeline role, like the sensor).

    Demo tenants' ids are not derived from their slugs the way ``keel.tenancy`` derives them, so the
    slug is looked up rather than turned into an id.
    """
    text = tenant.strip()
    with connect("keel_transformer") as conn:
        row = conn.execute(
            "select tenant_id from app.tenants where slug = %s or tenant_id::text = lower(%s)", (text, text)
        ).fetchone()
    if row is None:
        raise InvalidInput(f"no business {text!r} in Keel", "pass a business's slug or id")
    return uuid.UUID(str(row[0]))


alerts_app = typer.Typer(help="Alerts: run the triggers of one business by hand.", no_args_is_help=True)


@alerts_app.command("check")
def alerts_check(
    tenant: Annotated[str, typer.Option("--tenant", help="The business's slug or id.")],
    send: Annotated[
        bool, typer.Option("--send", help="Keep new alerts in the inbox; send what is due.")
    ] = False,
) -> None:
    """Show the alerts the triggers raise now for one business (goals, forecasts, health, sources)."""
    tenant_id = tenant_by_slug_or_id(tenant)
    try:
        result = check_tenant(tenant_id, send=send, record=send)
    except AlertError as exc:
        raise InvalidInput(exc.what, exc.todo) from None
    console = Console()
    if not result.firing:
        console.print(f"No alerts for {tenant}: nothing needs attention.", highlight=False)
    new_causes = len(result.new_alert_ids)
    for alert in result.firing:
        console.print(f"\n[bold]{alert.severity.upper()}: {alert.title}[/bold]", highlight=False)
        console.print(f"What happened: {alert.what_happened}", highlight=False, soft_wrap=True)
        console.print(f"Why it matters: {alert.why_it_matters}", highlight=False, soft_wrap=True)
        console.print(f"What to do: {alert.what_to_do}", highlight=False, soft_wrap=True)
        console.print(f"See: {alert.link}", highlight=False)
    if send:
        report = result.delivery
        console.print(
            f"\n{new_causes} new in the inbox ({len(result.firing) - new_causes} already there); "
            f"sent {report.sent}, failed {report.failed} (retried later), "
            f"held for quiet hours {report.held}, "
            f"waiting to retry {report.waiting}, given up {report.gave_up}",
            highlight=False,
        )
        for error in report.errors:
            console.print(f"  failed: {error}", highlight=False, soft_wrap=True)
    else:
        console.print("\n(shown only: --send keeps them in the inbox and sends them)", highlight=False)
