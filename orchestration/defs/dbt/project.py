"""The one ``DbtProject`` of Keel, and the profile it runs with.

dbt's profile comes from ``keel.warehouse`` (the only place that knows the warehouse) and is written to
``KEEL_HOME/dbt/run`` right before each dbt invocation. Parsing needs a profile but no connection, so
the manifest is prepared with a placeholder profile in ``KEEL_HOME/dbt/parse``: loading the code
location never starts the embedded server.
"""

import subprocess
import sys
from pathlib import Path

import yaml
from dagster_dbt import DbtProject

from keel.home import private_dir
from keel.settings import get_settings
from keel.warehouse import write_dbt_profiles

DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"
#: The dbt of this environment, whether or not the environment is activated.
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")


def parse_profiles_dir() -> Path:
    directory = private_dir(get_settings().home_dir / "dbt" / "parse")
    placeholder = {
        "type": "postgres",
        "host": "localhost",
        "port": 5432,
        "user": "keel_transformer",
        "password": "",
        "dbname": "keel",
        "schema": "staging",
        "threads": 2,
    }
    (directory / "profiles.yml").write_text(
        yaml.safe_dump({"keel": {"target": "dev", "outputs": {"dev": placeholder}}})
    )
    return directory


def run_profiles_dir() -> Path:
    """Write the real profile (starts the embedded warehouse if needed) and return its directory."""
    return write_dbt_profiles(get_settings().home_dir / "dbt" / "run")


dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=parse_profiles_dir(),
    target_path=get_settings().home_dir / "dbt" / "target",
)


def prepare_dbt_project() -> Path:
    """Parse the project into its manifest with this environment's dbt (no database needed)."""
    subprocess.run(  # noqa: S603 - our own dbt, our own arguments
        [
            str(DBT_EXECUTABLE),
            "parse",
            "--quiet",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(parse_profiles_dir()),
            "--target-path",
            str(dbt_project.target_path),
        ],
        check=True,
    )
    return dbt_project.manifest_path


def manifest_is_stale() -> bool:
    """True when the manifest is missing or older than a file of the dbt project."""
    manifest = dbt_project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    watched = ("models", "macros", "seeds", "tests", "snapshots")
    files = [DBT_PROJECT_DIR / "dbt_project.yml"] + [
        path for folder in watched for path in (DBT_PROJECT_DIR / folder).rglob("*") if path.is_file()
    ]
    return any(path.stat().st_mtime > built for path in files)


if manifest_is_stale():
    # A parse takes a few seconds and needs no database; it runs when the project changed.
    prepare_dbt_project()
