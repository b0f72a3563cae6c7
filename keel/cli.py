"""The ``keel`` command: set up the warehouse and look after it.

Errors come out as one line saying what failed and what to do; ``--debug`` (or KEEL_DEBUG=1) shows the
traceback instead.
"""

from __future__ import annotations

import logging
import sys
import time
from importlib.metadata import version as package_version
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from keel import warehouse
from keel.errors import KeelError
from keel.settings import ROLES, get_settings

app = typer.Typer(
    name="keel",
    help="Keel: an analytics lakehouse with an AI coach for small and medium businesses.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="The PostgreSQL warehouse: status, stop, connection strings.", no_args_is_help=True)
app.add_typer(db_app, name="db")

console = Console()
err_console = Console(stderr=True)


def _version_callback(value: bool) -> None:
    if value:
        console.print(f"keel {package_version('keel')}")
        raise typer.Exit()


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    if debug:
        get_settings().debug = True
        logging.basicConfig(level=logging.INFO)


@app.command()
def init() -> None:
    """Start the warehouse if it is embedded and apply every migration (safe to run again)."""
    from warehouse_init.migrate import head_revision

    started = time.perf_counter()
    settings = get_settings()
    with console.status("Preparing the warehouse…"):
        warehouse.ensure_warehouse(settings)
    info = warehouse.status(settings)
    console.print(
        f"[green]✓[/green] warehouse ready: {info.kind} PostgreSQL {info.version} at {info.location}, "
        f"database {info.database}, schema revision {info.schema_revision} (head {head_revision()}) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    _print_status(info)


@db_app.command("status")
def db_status() -> None:
    """Which PostgreSQL server Keel uses and whether it is up (never starts it)."""
    info = warehouse.status()
    _print_status(info)
    if not info.up:
        raise typer.Exit(code=1)


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL server (it starts again when anything needs it)."""
    if warehouse.stop():
        console.print(f"[green]✓[/green] stopped the embedded PostgreSQL in {get_settings().pgdata_dir}")
    else:
        console.print("the embedded PostgreSQL was not running")


@db_app.command("url")
def db_url(
    role: Annotated[
        str, typer.Option(help=f"Role to log in as: admin, {', '.join(ROLES)}.")
    ] = "keel_analyst",
) -> None:
    """Print a connection URL for psql or a SQL client (the embedded server listens on a socket only)."""
    console.print(warehouse.dlt_credentials(role), soft_wrap=True)  # type: ignore[arg-type]


def _print_status(info: warehouse.ServerStatus) -> None:
    table = Table(show_header=False, box=None)
    table.add_row("server", f"{info.kind} ({'up' if info.up else 'down'})")
    table.add_row("where", info.location)
    table.add_row("database", info.database)
    if info.version:
        table.add_row("PostgreSQL", info.version)
    if info.up:
        table.add_row("schema revision", info.schema_revision or "none (run `keel init`)")
    if info.detail:
        table.add_row("detail", info.detail)
    console.print(table)


def main() -> None:
    """Entry point: run the app and turn errors into one line unless debugging."""
    try:
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except Exception as exc:
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):  # click's usage errors: message + usage
            exc.show()
            sys.exit(exc.exit_code)
        if get_settings().debug:
            raise
        what = exc if isinstance(exc, KeelError) else f"{type(exc).__name__}: {exc}"
        first_line = str(what).strip().splitlines()[0] if str(what).strip() else type(exc).__name__
        err_console.print(f"[red]error:[/red] {first_line}", highlight=False, soft_wrap=True)
        if not isinstance(exc, KeelError):
            err_console.print("run again with --debug for the full traceback", style="dim")
        sys.exit(1)


if __name__ == "__main__":
    main()
