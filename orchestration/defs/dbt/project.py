"""The one ``DbtProject`` of Keel, how its manifest is prepared, and the profile it runs with.

Importing this module parses nothing and writes nothing, except under ``dagster dev`` (as ``keel ui``
starts it), where the project is parsed at load, as ``DbtProject.prepare_if_dev()`` does, so edits to
models show up on reload. Everywhere else the manifest is prepared ahead of time:
``python3 dev.py setup`` (and so ``dev.py test`` and ``dev.py demo``) runs
``python -m orchestration.defs.dbt.project --if-changed``. A missing or stale manifest is refused with
that advice (``checked_manifest``) rather than silently building an older graph.

Parsing needs a profile but no connection: ``parse_profile/profiles.yml`` is a committed placeholder.
dbt's real profile comes from ``keel.warehouse`` (the only place that knows the warehouse) and is
written to ``KEEL_HOME/dbt/run`` right before each dbt invocation.

Each run writes its artifacts (manifest, compiled SQL, run results, dbt's log) under
``KEEL_HOME/dbt/runs/<run id>``; the newest ``RUNS_KEPT`` are kept (for a failed run's SQL and log).
dbt's partial-parse state is kept beside them: the prepared manifest was parsed with the placeholder
profile, so dbt would parse the whole project again on every run (5 to 6 s, "profile has changed"); a run
starts from the state the previous run of this ``KEEL_HOME`` left, and dbt re-parses only the files that
changed since.
"""

import os
import shutil
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.dbt_project import using_dagster_dev

from keel.settings import get_settings
from keel.warehouse import write_dbt_profiles

DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"
#: The dbt of this environment, whether or not the environment is activated (DbtCliResource's own
#: default is whatever ``dbt`` is first on PATH).
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")
PARSE_PROFILES_DIR = Path(__file__).resolve().with_name("parse_profile")
#: The folders and files of the dbt project whose changes make the manifest stale.
WATCHED = ("dbt_project.yml", "models", "macros", "seeds", "tests", "snapshots")
PREPARE_COMMAND = "python3 dev.py setup  (or: .venv/bin/python -m orchestration.defs.dbt.project)"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=PARSE_PROFILES_DIR)


def known_version(dbt: DbtCliResource) -> DbtCliResource:
    """``dbt`` told its version. dagster-dbt asks the executable (``dbt --version``, a new Python process that
    imports dbt and looks up the latest release: 2 to 3 s) before every invocation. When the executable is
    this environment's, its dbt-core is the one Python imports here, whose version is known."""
    if Path(dbt.dbt_executable) == DBT_EXECUTABLE:
        from dbt.version import __version__
        from packaging.version import Version

        dbt.__dict__.setdefault("_cli_version", Version(__version__))  # dagster-dbt's cached property
    return dbt


class KeelDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource without the dbt adapter it opens in the calling process before every
    invocation (about 1 s in a fresh run worker, on top of the dbt process's own). dagster-dbt uses that
    adapter only for what an asset asks after its build (``fetch_row_counts``, ``fetch_column_metadata``);
    Keel's models ask for neither, and dbt itself runs in its own process."""

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        return None


class DbtManifestError(RuntimeError):
    """The dbt manifest is missing or older than the project: the project must be prepared again."""


def prepare(project: DbtProject = dbt_project) -> Path:
    """Parse the project into its manifest with this environment's dbt (no database needed)."""
    DbtCliResource(project_dir=project, dbt_executable=str(DBT_EXECUTABLE)).cli(
        ["parse", "--quiet"], target_path=project.target_path, raise_on_error=True
    ).wait()
    return project.manifest_path


def prepare_if_dev(project: DbtProject = dbt_project) -> None:
    """``DbtProject.prepare_if_dev()`` with this environment's dbt: parse only under ``dagster dev``."""
    if using_dagster_dev():
        prepare(project)


def changed_since_prepared(project: DbtProject = dbt_project) -> list[Path]:
    """The project's files newer than its manifest (every watched file when there is no manifest)."""
    manifest = project.manifest_path
    built = manifest.stat().st_mtime if manifest.exists() else float("-inf")
    files: list[Path] = []
    for name in WATCHED:
        path = project.project_dir / name
        candidates = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        files.extend(p for p in candidates if p.stat().st_mtime > built)
    return sorted(files)


def checked_manifest(project: DbtProject = dbt_project) -> Path:
    """The manifest's path, once it is known to exist and to be newer than every file of the project."""
    if not project.manifest_path.exists():
        raise DbtManifestError(
            f"the dbt project at {project.project_dir} has not been prepared "
            f"({project.manifest_path} is missing): run {PREPARE_COMMAND}"
        )
    changed = changed_since_prepared(project)
    if changed:
        shown = ", ".join(str(p.relative_to(project.project_dir)) for p in changed[:5])
        more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        raise DbtManifestError(
            f"the dbt project changed since it was prepared ({shown}{more} newer than "
            f"{project.manifest_path}): run {PREPARE_COMMAND}"
        )
    return project.manifest_path


#: dbt's partial-parse state file (the name dbt and dagster-dbt use).
PARTIAL_PARSE = "partial_parse.msgpack"
#: How many runs' dbt artifacts a KEEL_HOME keeps (about 8 MB a run on the full demo: manifest, compiled
#: SQL, run results, dbt's log at info level).
RUNS_KEPT = 3


def _dbt_home() -> Path:
    return get_settings().home_dir / "dbt"


def run_target_path(run_id: str) -> Path:
    """A new folder for one dbt invocation's artifacts, seeded with this home's partial-parse state.

    Older runs' folders beyond the newest ``RUNS_KEPT`` are removed first.
    """
    runs = _dbt_home() / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    old = sorted((p for p in runs.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in old[RUNS_KEPT - 1 :]:
        shutil.rmtree(stale, ignore_errors=True)
    target = runs / f"{run_id[:8]}-{uuid.uuid4().hex[:8]}"
    target.mkdir()
    state = _dbt_home() / PARTIAL_PARSE
    if state.exists():
        shutil.copyfile(state, target / PARTIAL_PARSE)
    return target


#: What a finished run's folder need not keep: dbt's graph of the project (rebuilt by the next run).
NOT_KEPT = ("graph.gpickle",)


def keep_parse_state(target: Path) -> None:
    """Keep the partial-parse state a finished dbt invocation wrote, for this home's next run: moved out of
    the run's folder (one copy per home, not one per kept run), with what else the folder need not keep."""
    written = target / PARTIAL_PARSE
    if written.exists():
        os.replace(written, _dbt_home() / PARTIAL_PARSE)  # atomic: a concurrent run reads old or new
    for name in NOT_KEPT:
        (target / name).unlink(missing_ok=True)


def run_profiles_dir() -> Path:
    """Write the real profile (starts the embedded warehouse if needed) and return its directory."""
    return write_dbt_profiles(_dbt_home() / "run")


prepare_if_dev()


if __name__ == "__main__":
    # `--if-changed`: leave an up-to-date manifest alone (a parse takes from a few seconds to a minute).
    if "--if-changed" in sys.argv[1:] and not changed_since_prepared():
        print(f"dbt manifest up to date: {dbt_project.manifest_path}")
    else:
        print(f"dbt manifest prepared: {prepare()}")
