"""The dbt models pass sqlfluff (rules in dbt_project/.sqlfluff), rendered by dbt's own templater.

The dbt templater compiles every model, and compiling needs a database (incremental models ask whether
their table exists), so the lint runs here against the test warehouse rather than as a step of dev.py:
`python3 dev.py test` runs it with the rest of the tests, and a failure lists every violation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from keel import warehouse
from keel.settings import KeelSettings
from tests.dbt_run import PROJECT_DIR

pytestmark = pytest.mark.dbt_build


def test_every_model_passes_sqlfluff(
    settings: KeelSettings, scratch_settings: KeelSettings, tmp_path: Path
) -> None:
    # An empty database: the incremental models render their full-refresh SQL whatever other tests built
    # in the test warehouse before (the incremental branch is the same SQL with one more filter).
    with warehouse.connect("admin", autocommit=True, settings=settings) as conn:
        conn.execute(f"create database {scratch_settings.database_name}")
    profiles = warehouse.write_dbt_profiles(tmp_path / "profiles", scratch_settings)
    sqlfluff = Path(sys.executable).with_name("sqlfluff")
    out = subprocess.run(
        [str(sqlfluff), "lint", "models", "--format", "json", "--nofail", "--disable-progress-bar"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "DBT_PROFILES_DIR": str(profiles),
            "DBT_TARGET_PATH": str(tmp_path / "target"),
            "DBT_LOG_PATH": str(tmp_path / "logs"),
        },
        timeout=1800,
    )
    assert out.stdout.strip().startswith("["), out.stderr[-3000:]
    files = json.loads(out.stdout)
    assert len(files) >= 60  # every model was linted
    problems = [
        f"{f['filepath']}:{v.get('start_line_no')} {v['code']} {v['description']}"
        for f in files
        for v in f["violations"]
    ]
    assert problems == []
