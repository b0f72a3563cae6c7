"""``keel sql``: DuckDB over one business's Parquet lake, as that business's analyst.

The analyst is identified by their own warehouse login (``keel db url --tenant SLUG`` gives it; pass it
as ``--login`` or in KEEL_ANALYST_LOGIN). PostgreSQL says which business the login belongs to; only that
business's files are opened (``keel.lake.open_tenant``). Without a login, the operator who runs Keel (and
holds its administrator) uses the business's own analyst login.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from keel.settings import get_settings

console = Console()


def _print(result: Any) -> None:
    if result.description is None:
        console.print("ok")
        return
    columns = [d[0] for d in result.description]
    rows = result.fetchmany(200)
    table = Table(*columns, box=None, header_style="bold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)
    more = len(result.fetchmany(1))
    console.print(f"{len(rows)} row(s)" + (" (first 200 shown)" if more else ""), style="dim")


def sql_command(
    query: Annotated[
        str | None, typer.Argument(help="One query to run; none: an interactive prompt.")
    ] = None,
    tenant: Annotated[str, typer.Option("--tenant", help="Slug of the business whose data to query.")] = "",
    login: Annotated[
        str | None,
        typer.Option(
            "--login",
            help="The analyst's warehouse login URL (keel db url --tenant SLUG); default KEEL_ANALYST_LOGIN, "
            "else the business's analyst login (operators only).",
        ),
    ] = None,
) -> None:
    """Query one business's marts and metrics (the Parquet lake) with DuckDB, e.g.
    `keel sql --tenant SLUG "select * from metrics.business_metrics_daily"`."""
    from keel import warehouse
    from keel.errors import InvalidInput
    from keel.lake import open_tenant

    if not tenant:
        raise InvalidInput("keel sql needs --tenant SLUG", "one business at a time: `keel tenant list`")
    configured = get_settings().analyst_login
    login = login or (configured.get_secret_value() if configured else None) or warehouse.analyst_url(tenant)
    db = open_tenant(tenant, login)
    if query is not None:
        _print(db.execute(query))
        return
    tables = [
        f"{s}.{t}" for s, t in db.execute("select schema_name, table_name from duckdb_tables()").fetchall()
    ]
    console.print(f"{tenant}: {', '.join(tables) or 'no tables yet (build the lake first)'}")
    console.print("One query per line; an empty line or Ctrl-D ends.", style="dim")
    while True:
        try:
            line = input("keel-sql> ").strip()
        except EOFError:
            break
        if not line:
            break
        try:
            _print(db.execute(line))
        except Exception as exc:  # the analyst's query was wrong: say so and go on
            console.print(f"[red]error:[/red] {str(exc).splitlines()[0]}", highlight=False)
