"""``keel ingest file``: preview, confirmation, load, rows set aside; a saved mapping is not asked again."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from keel.settings import KeelSettings
from keel.tenancy import create_tenant

ORDERS = 'Order #,Date,Total ($)\nA1,12/31/2025,"$1,234.50"\nA2,01/02/2026,twelve\nA3,1/3/2026,(3.00)\n'


def test_ingest_file_previews_asks_loads_and_reuses_the_mapping(
    settings: KeelSettings, tmp_path: Path
) -> None:
    create_tenant("cli-file-shop", "CLI File Shop", country="US")
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS)
    env = {"COLUMNS": "200"}

    declined = CliRunner().invoke(
        app,
        ["ingest", "file", str(path), "--tenant", "cli-file-shop", "--kind", "orders"],
        input="n\n",
        env=env,
    )
    assert declined.exit_code != 0
    assert "Order number" in declined.output and "Order #" in declined.output  # the proposed mapping
    assert "month first" in declined.output  # how the dates were read
    assert "'Total ($)' is 'twelve', not a number" in declined.output  # the preview's problems

    loaded = CliRunner().invoke(
        app,
        ["ingest", "file", str(path), "--tenant", "cli-file-shop", "--kind", "orders"],
        input="y\n",
        env=env,
    )
    assert loaded.exit_code == 0, loaded.output
    assert "3 rows read: 2 new or changed, 0 already loaded, 1 set aside" in loaded.output
    assert "row 3: 'Total ($)' is 'twelve', not a number" in loaded.output

    again = CliRunner().invoke(app, ["ingest", "file", str(path), "--tenant", "cli-file-shop"], env=env)
    assert again.exit_code == 0, again.output  # kind guessed, saved mapping: no question asked
    assert "confirmed before" in again.output
    assert "0 new or changed, 2 already loaded, 1 set aside" in again.output
