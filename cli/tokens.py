"""``keel token``: a user's personal access tokens for the HTTP API (create, list, revoke).

The token is printed once, when it is created; Keel keeps only its SHA-256 (:mod:`keel.api_tokens`).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from keel import api_tokens, tenancy

token_app = typer.Typer(
    help="Personal access tokens of the HTTP API: create (shown once), list, revoke.", no_args_is_help=True
)
console = Console()


def _operator() -> str:
    import getpass

    return f"cli:{getpass.getuser()}"


@token_app.command("create")
def token_create(
    tenant: Annotated[str, typer.Option(help="Slug of the business.")],
    user: Annotated[str, typer.Option(help="E-mail of the user the token acts for.")],
    name: Annotated[str, typer.Option(help="What uses the token (e.g. 'accounting sheet').")],
    scope: Annotated[
        list[str] | None, typer.Option(help="read and/or write (repeat the option); default read.")
    ] = None,
    days: Annotated[
        int | None, typer.Option(help="Days until it expires (default KEEL_API_TOKEN_DEFAULT_DAYS).")
    ] = None,
) -> None:
    """Create a token for one of a business's users; it is shown once, so copy it now."""
    business = tenancy.require_tenant(tenant)
    created, token = api_tokens.create_token(
        business.tenant_id, user, name, scope or ["read"], days=days, actor=_operator()
    )
    console.print(
        f"[green]✓[/green] token {created.name!r} for {created.email} at {business.name} "
        f"({', '.join(created.scopes)}; expires {created.expires_at:%d %b %Y})",
        highlight=False,
    )
    console.print("Copy it now; Keel keeps only a fingerprint of it:", highlight=False)
    print(token)


@token_app.command("list")
def token_list(
    tenant: Annotated[str, typer.Option(help="Slug of the business.")],
    user: Annotated[str | None, typer.Option(help="Only this user's tokens (e-mail).")] = None,
) -> None:
    """A business's tokens: who, what for, scopes, expiry, last use (never the tokens themselves)."""
    business = tenancy.require_tenant(tenant)
    tokens = api_tokens.list_tokens(business.tenant_id, email=user)
    if not tokens:
        console.print(f"{business.name} has no API tokens: keel token create --tenant {tenant} ...")
        return
    for t in tokens:  # one line each: a narrow terminal keeps the id whole for `keel token revoke`
        state = "revoked" if t.revoked_at else "active" if t.is_active else "expired"
        used = f"{t.last_used_at:%d %b %Y %H:%M}" if t.last_used_at else "never"
        console.print(
            f"{t.token_id}  {state}  {t.name!r} for {t.email}  {t.token_prefix}…  {', '.join(t.scopes)}  "
            f"expires {t.expires_at:%d %b %Y}  last used {used}",
            highlight=False,
            soft_wrap=True,
        )


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (see `keel token list`).")],
    tenant: Annotated[str, typer.Option(help="Slug of the business.")],
) -> None:
    """Revoke a token at once: the next request with it is refused."""
    business = tenancy.require_tenant(tenant)
    if not api_tokens.revoke_token(business.tenant_id, token_id, actor=_operator()):
        console.print(f"{business.name} has no active token {token_id}")
        raise typer.Exit(1)
    console.print(f"[green]✓[/green] token {token_id} revoked")
