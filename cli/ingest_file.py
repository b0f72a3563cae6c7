"""``keel ingest file PATH --tenant SLUG --kind orders``: an owner's CSV or Excel file into the warehouse.

Prints how the file was read, the proposed mapping (or the saved one for these headers) and a preview
of the first rows as they will load, with each row's problems; asks to confirm unless ``--yes`` or a
saved mapping matches; then loads and prints rows loaded, unchanged and set aside, with the first rows
set aside and why.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ingestion.sources.files.kinds import KINDS
from keel.errors import InvalidInput

console = Console()


def _parse_mapping_options(options: list[str]) -> dict[str, str]:
    """``--map total=Betrag`` options as {field: column}."""
    found = {}
    for option in options:
        name, sep, column = option.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise InvalidInput(f"--map {option!r} is not FIELD=COLUMN", "e.g. --map total='Total (€)'")
        found[name.strip()] = column.strip()
    return found


def ingest_file_command(
    path: Annotated[Path, typer.Argument(help="The CSV or Excel (xlsx) file.", exists=True, dir_okay=False)],
    tenant: Annotated[str, typer.Option("--tenant", help="The business's slug or id.")],
    kind: Annotated[
        str | None,
        typer.Option("--kind", help=f"What the file holds: {', '.join(KINDS)} (guessed if left out)."),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Load without asking to confirm the mapping.")] = False,
    mapping_options: Annotated[
        list[str] | None,
        typer.Option("--map", help="Set one field's column, FIELD=COLUMN (repeatable), e.g. total=Betrag."),
    ] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="Excel sheet (default: the first).")] = None,
) -> None:
    """Load a CSV or Excel file of orders, customers, bills... for one business, after a preview."""
    # imported here: the loader brings dlt, which every other keel command can do without
    from ingestion.sources.files import guess_kind, propose_mapping, read_table
    from ingestion.sources.files.kinds import kind as get_kind
    from ingestion.sources.files.upload import (
        file_sha256,
        load,
        prepare,
        save_mapping,
        saved_mapping,
        tenant_country,
    )
    from serving.readers import resolve_tenant

    tenant_id = resolve_tenant(tenant)
    data = path.read_bytes()
    table = read_table(data, path.name, sheet=sheet)
    console.print(f"Read {table.describe()}.", highlight=False)
    if kind is None:
        kind, sure = guess_kind(table.columns, path.name)
        console.print(
            f"Looks like {get_kind(kind).label.lower()} ({round(sure * 100)}% sure); --kind sets it."
        )
    spec = get_kind(kind)
    sample = {c: table.frame.get_column(c).head(20).to_list() for c in table.columns}
    saved = saved_mapping(tenant_id, kind, table.columns)
    if saved is not None:
        mapping = saved
        console.print("Using the mapping you confirmed before for files with these columns.")
    else:
        proposal = propose_mapping(kind, table.columns, sample)
        mapping = proposal.mapping
        guessed = {g.field: g for g in proposal.guesses}
        mapped = Table(title=f"Columns of {path.name} → {spec.label}")
        for column in ("Keel looks for", "your column", "how sure", "why"):
            mapped.add_column(column)
        for f in spec.fields:
            guess = guessed.get(f.name)
            mapped.add_row(
                f.label + (" *" if f.required else ""),
                mapping.get(f.name) or "-",
                f"{round(guess.confidence * 100)}%" if guess else "",
                guess.how if guess else ("required: set it with --map" if f.required else ""),
            )
        console.print(mapped)
    mapping = {**mapping, **_parse_mapping_options(mapping_options or [])}
    prepared = prepare(table, spec, mapping, country=tenant_country(tenant_id))
    for name, words in prepared.readings.items():
        console.print(f"{spec.field(name).label}: read as {words}.", highlight=False)
    preview = Table(title=f"First rows as they will load ({len(prepared.problems)} rows with problems)")
    frame = prepared.preview(10)
    for column in frame.columns:
        preview.add_column(column)
    for row in frame.iter_rows():
        preview.add_row(*("" if v is None else str(v) for v in row))
    console.print(preview)
    if not yes and saved is None:
        typer.confirm(
            f"Load {len(prepared.records)} rows of {path.name} as {spec.label.lower()}?", abort=True
        )
    who = f"cli:{getpass.getuser()}"
    if saved is None:
        save_mapping(tenant_id, kind, table.columns, prepared.mapping, confirmed_by=who)
    result = load(prepared, tenant_id, uploaded_by=who, file_sha256=file_sha256(data))
    console.print(f"[green]✓[/green] {path.name}: {result.summary()}.", highlight=False)
    if result.rejected:
        console.print("Rows set aside (fix them in the file and upload it again):")
        for problem in result.rejected[:10]:
            console.print(f"  {problem.words()}", highlight=False)
        if len(result.rejected) > 10:
            console.print(f"  … and {len(result.rejected) - 10} more")
