"""The ``keel ask`` command: one question to the coach for one business, answered in the terminal.

The question is answered as the console answers it: logged in as the business's own ``keel_app`` role
(row-level security), offline (templates over the tools' results), with the sources listed after the
answer.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import typer
from rich.console import Console

from coach.compose import ASSET_WORDS
from keel.errors import InvalidInput
from serving.readers import resolve_tenant, tenant_profile


def _tenant(tenant: str) -> uuid.UUID:
    """The business's id from a slug or id; demo businesses have ids of their own namespace."""
    try:
        return resolve_tenant(tenant)
    except InvalidInput as first:
        from ingestion.demo.profiles import demo_tenant_id  # only for demo slugs (a slower import)

        try:
            return resolve_tenant(str(demo_tenant_id(tenant.strip())))
        except InvalidInput:
            raise InvalidInput(
                f"no business {tenant!r} in Keel", "pass a business's slug or id (`keel demo` lists them)"
            ) from first


def ask_command(
    question: Annotated[str, typer.Argument(help='The question, e.g. "How am I doing?"')],
    tenant: Annotated[str, typer.Option("--tenant", help="Business slug or id.")],
    new_conversation: Annotated[
        bool,
        typer.Option("--new", help="Start a new conversation (no follow-up on earlier ones)."),
    ] = False,
) -> None:
    """Ask the coach a question about one business; prints the answer and where its numbers come from.

    The terminal's conversation is kept in the coach's memory, so a follow-up ("and last year?") leans on
    the previous question.
    """
    from coach import ask, memory
    from coach.core import CoachContext

    tenant_id = _tenant(tenant)
    profile = tenant_profile(tenant_id)
    ctx = CoachContext(tenant_id=tenant_id, currency=profile.currency)
    if new_conversation:
        ctx = memory.start_session(ctx, channel="terminal")
    else:
        ctx = memory.continue_session(ctx, channel="terminal")
    answer = ask(question, ctx)
    console = Console()
    console.print(answer.text, highlight=False, soft_wrap=True)
    seen: set[tuple[str, str | None]] = set()
    for citation in answer.citations:
        key = (citation.asset_key, citation.run_id)
        if key in seen:
            continue
        seen.add(key)
        parts = [ASSET_WORDS.get(citation.asset_key, citation.asset_key)]
        if citation.data_through:
            parts.append(f"data up to {citation.data_through.isoformat()}")
        if citation.materialized_at:
            parts.append(f"built {citation.materialized_at:%Y-%m-%d %H:%M} UTC")
        if citation.run_id:
            parts.append(f"run {citation.run_id}")
        if citation.page:
            parts.append(f"console page: {citation.page}")
        console.print(f"  source: {'; '.join(parts)}", highlight=False, soft_wrap=True)
