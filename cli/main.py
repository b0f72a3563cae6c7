"""The ``keel`` command: set up the warehouse and look after it.

Errors come out as one line saying what failed and what to do; ``--debug`` (or KEEL_DEBUG=1) shows the
traceback instead.
"""

from __future__ import annotations

import logging
import sys
import time
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cli import onboard
from cli.alerts import alerts_app
from cli.ask import ask_command
from cli.coach_config import coach_app
from cli.forecast import forecast_command
from cli.ingest_file import ingest_file_command
from cli.sql import sql_command
from cli.tokens import token_app
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
tenant_app = typer.Typer(
    help="The businesses Keel serves: add and list them; export or delete all of one's data.",
    no_args_is_help=True,
)
app.add_typer(tenant_app, name="tenant")
tenant_app.command("add")(onboard.tenant_add)
tenant_app.command("list")(onboard.tenant_list)
app.add_typer(onboard.user_app, name="user")
app.add_typer(onboard.source_app, name="source")
app.add_typer(onboard.ingest_app, name="ingest")
app.command("forecast")(forecast_command)
onboard.ingest_app.command("file")(ingest_file_command)
app.add_typer(alerts_app, name="alerts")
app.command("ask")(ask_command)
app.command("sql")(sql_command)
app.add_typer(coach_app, name="coach")
app.add_typer(token_app, name="token")

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
    """Start the warehouse if embedded, apply every migration, set each role's password (safe to repeat)."""
    from keel.home import secure_home
    from warehouse_init.migrate import head_revision, prepare_warehouse

    started = time.perf_counter()
    settings = get_settings()
    with console.status("Preparing the warehouse…"):
        repair = secure_home(settings)
        prepare_warehouse(settings)
    info = warehouse.status(settings)
    console.print(
        f"[green]✓[/green] warehouse ready: {info.kind} PostgreSQL {info.version} at {info.location}, "
        f"database {info.database}, schema revision {info.schema_revision} (head {head_revision()}) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    console.print(
        f"[green]✓[/green] {repair.home} is private to its owner (directories 0700, files 0600): "
        f"{repair.directories_fixed} directories and {repair.files_fixed} files were made private"
    )
    _print_status(info)


@app.command()
def demo() -> None:
    """Keel's main job: warehouse, demo businesses, raw loads and every model, built through Dagster."""
    from cli import jobs
    from warehouse_init.migrate import prepare_warehouse

    started = time.perf_counter()
    settings = get_settings()
    console.print("[bold]1/3[/bold] warehouse: start and migrate")
    prepare_warehouse(settings)
    info = warehouse.status(settings)
    console.print(f"    {info.kind} PostgreSQL at {info.location}")
    console.print(
        "[bold]2/3[/bold] Dagster runs: set-up (tenants) → each tenant's loads "
        f"({settings.parallel_tenants} at a time) → dbt build + tests → each tenant's forecasts, evidence, "
        f"plans and goals ({settings.parallel_tenants} at a time)"
    )
    outcome = jobs.run_demo(announce=console.print)
    warehouse.compact_raw_indexes(settings)  # the backfill left the raw tables' indexes a third empty
    warehouse.settle_wal(settings)  # the build's write-ahead log is not kept until the next checkpoint
    console.print("[bold]3/3[/bold] summary")
    summary = jobs.summarize(outcome)
    _print_summary(summary, time.perf_counter() - started)
    if not outcome.success:
        raise KeelError(
            f"a Dagster run of the demo failed: {outcome.failure or 'see the steps above'}",
            "fix the cause and run `keel demo` again (it is safe to repeat); `keel ui` shows the runs",
        )


def _print_summary(summary: dict[str, Any], seconds: float) -> None:
    table = Table(title=f"Keel demo done in {seconds:.0f} s", show_header=False, box=None)
    table.add_row("tenants", str(summary["tenants"]))
    table.add_row("benchmark peers", str(summary["benchmark_peers"]))
    for layer, rows in summary["rows_per_layer"].items():
        table.add_row(f"rows in {layer}", f"{rows:,}")
    table.add_row("checks passed", f"{summary['checks_passed']} of {summary['checks_total']}")
    if summary.get("checks_warned"):
        table.add_row(
            "checks warned", f"{summary['checks_warned']} (data-quality findings, see the Dagster UI)"
        )
    table.add_row("Dagster runs", f"{summary['runs']} (last {summary['run_id']})")
    console.print(table)
    console.print(
        "Next: [bold]keel ui[/bold] opens the Dagster UI (lineage, runs, checks) and the console; sign in as "
        f"[bold]{summary['demo_login']}[/bold] with password [bold]{summary['demo_password']}[/bold]. "
        "Analysts: `keel db url --tenant SLUG` gives one business's own login; query marts.*, metrics.* and "
        "benchmarks.*."
    )


@app.command()
def ui(
    dagster_port: Annotated[int, typer.Option(help="Port of the Dagster UI.")] = 3000,
    console_port: Annotated[int, typer.Option(help="Port of the Streamlit console.")] = 8501,
    api_port: Annotated[int, typer.Option(help="Port of the HTTP API (0: do not start it).")] = 8000,
    docs_port: Annotated[
        int, typer.Option(help="Port of the dbt docs site for analysts (lineage, columns, tests); 0: none.")
    ] = 8580,
) -> None:
    """Start the Dagster UI, the Streamlit console, the HTTP API and the dbt docs site on 127.0.0.1 (Ctrl-C
    stops them all)."""
    from cli import jobs

    jobs.serve_ui(
        dagster_port,
        console_port,
        announce=console.print,
        api_port=api_port or None,
        docs_port=docs_port or None,
    )


@app.command("api")
def api_command(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default KEEL_API_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default KEEL_API_PORT).")] = None,
) -> None:
    """Serve the HTTP API (docs at /docs) until Ctrl-C; clients sign in with `keel token create` tokens."""
    import uvicorn

    from api.main import create_app

    settings = get_settings()
    warehouse.ensure_server()
    uvicorn.run(
        create_app(reuse_connections=True),
        host=host or settings.api_host,
        port=port or settings.api_port,
        log_level="info",
        proxy_headers=False,
    )


@db_app.command("status")
def db_status() -> None:
    """Which PostgreSQL server Keel uses, whether it is up (never starts it) and what uses the disk."""
    from keel.home import folder_sizes

    info = warehouse.status()
    _print_status(info)
    if info.up:
        _print_sizes("disk use by schema", warehouse.schema_sizes())
    settings = get_settings()
    _print_sizes(f"disk use under KEEL_HOME ({settings.home_dir})", folder_sizes(settings))
    if not info.up:
        raise typer.Exit(code=1)


def _print_sizes(title: str, sizes: dict[str, int]) -> None:
    if not sizes:
        return
    table = Table(title=title, title_justify="left", show_header=False, box=None)
    for name, size in sizes.items():
        table.add_row(name, _megabytes(size))
    table.add_row("total", _megabytes(sum(sizes.values())), style="bold")
    console.print(table)


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"


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
    tenant: Annotated[
        str | None,
        typer.Option(
            help="Slug of one business: prints its analyst login (created if missing), which sees only it."
        ),
    ] = None,
) -> None:
    """Print a connection URL for psql or a SQL client (the embedded server listens on a socket only)."""
    url = warehouse.analyst_url(tenant) if tenant else warehouse.dlt_credentials(role)  # type: ignore[arg-type]
    console.print(url, soft_wrap=True)


@db_app.command("rotate-passwords")
def db_rotate_passwords() -> None:
    """Give every Keel role a new password (embedded: a new secret; else from KEEL_ROLE_PASSWORD)."""
    count = warehouse.rotate_passwords()
    console.print(
        f"[green]✓[/green] set new passwords on {count} roles; analysts need new URLs (keel db url --tenant)"
    )


@tenant_app.command("export")
def tenant_export(
    slug: Annotated[str, typer.Argument(help="The tenant's slug.")],
    to: Annotated[Path | None, typer.Option(help="Folder for the files (default: ./<slug>-export).")] = None,
) -> None:
    """Write all of a tenant's data to CSV files, one per table (recorded in the audit log)."""
    from keel.tenant_data import export_tenant

    result = export_tenant(slug, to or Path(f"{slug}-export"), actor=_operator())
    console.print(
        f"[green]✓[/green] {result.total_rows:,} rows of {result.tenant.name} in {len(result.files)} files "
        f"under {result.files[0].parent if result.files else to}"
    )


@tenant_app.command("delete")
def tenant_delete(
    slug: Annotated[str, typer.Argument(help="The tenant's slug.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete all of a tenant's data everywhere in the warehouse (recorded in the audit log)."""
    from keel.tenant_data import delete_tenant

    if not yes:
        typer.confirm(
            f"Delete ALL data of tenant {slug!r} (users, loads, models, audit trail)? This cannot be undone",
            abort=True,
        )
    result = delete_tenant(slug, actor=_operator())
    from cli.jobs import remove_tenant_partition

    remove_tenant_partition(result.tenant.slug)
    console.print(
        f"[green]✓[/green] deleted {result.total_rows:,} rows of {result.tenant.name} from "
        f"{len(result.rows)} tables and {len(result.folders_removed)} load folders"
    )
    if result.not_deleted:
        console.print(f"the next build refreshes {', '.join(result.not_deleted)} without them")


def _operator() -> str:
    import getpass

    return f"cli:{getpass.getuser()}"


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
        code = app(standalone_mode=False, prog_name="keel")
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
