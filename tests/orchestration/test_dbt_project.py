"""The dbt project as Dagster sees it: prepared ahead of time (never parsed at import), a stale or
missing manifest refused with the fix, and one translator that keys and groups the models."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster_dbt import DbtProject

from orchestration.defs.dbt.project import (
    DBT_EXECUTABLE,
    DBT_PROJECT_DIR,
    PARSE_PROFILES_DIR,
    DbtManifestError,
    checked_manifest,
    dbt_project,
    known_version,
)

ROOT = Path(__file__).resolve().parents[2]


def test_loading_the_dbt_assets_parses_nothing_and_writes_nothing(tmp_path: Path) -> None:
    manifest = checked_manifest()
    before = manifest.stat().st_mtime_ns
    home = tmp_path / "keel-home"
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_IS_DEV_CLI"}
    out = subprocess.run(
        [sys.executable, "-c", "from orchestration.defs.dbt.assets import keel_dbt_models"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**env, "KEEL_HOME": str(home)},
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert manifest.stat().st_mtime_ns == before
    assert not home.exists()


def small_project(tmp_path: Path) -> DbtProject:
    project_dir = tmp_path / "project"
    (project_dir / "models").mkdir(parents=True)
    shutil.copy(DBT_PROJECT_DIR / "dbt_project.yml", project_dir / "dbt_project.yml")
    (project_dir / "models" / "one.sql").write_text("select 1 as one\n")
    return DbtProject(project_dir=project_dir, profiles_dir=PARSE_PROFILES_DIR)


def test_a_missing_manifest_is_refused_with_the_fix(tmp_path: Path) -> None:
    project = small_project(tmp_path)
    with pytest.raises(DbtManifestError, match=r"has not been prepared .*run python3 dev.py setup"):
        checked_manifest(project)


def test_a_manifest_older_than_a_model_is_refused_naming_the_model(tmp_path: Path) -> None:
    project = small_project(tmp_path)
    project.manifest_path.parent.mkdir(parents=True)
    project.manifest_path.write_text("{}")
    assert checked_manifest(project) == project.manifest_path
    later = time.time() + 10
    os.utime(project.project_dir / "models" / "one.sql", (later, later))
    with pytest.raises(DbtManifestError, match=r"changed since it was prepared \(models/one.sql newer"):
        checked_manifest(project)


def test_models_are_keyed_by_name_and_grouped_by_folder() -> None:
    from orchestration.defs.dbt.assets import keel_dbt_models

    specs = {spec.key: spec for spec in keel_dbt_models.specs}
    assert specs[dg.AssetKey("stg_shopify__orders")].group_name == "staging"
    assert specs[dg.AssetKey("int_orders_unioned")].group_name == "intermediate"
    assert specs[dg.AssetKey("orders")].group_name == "marts"
    assert specs[dg.AssetKey("business_metrics_daily")].group_name == "metrics"
    staging_deps = {dep.asset_key for dep in specs[dg.AssetKey("stg_shopify__orders")].deps}
    assert dg.AssetKey("dlt_shopify_orders") in staging_deps  # the dlt asset, from the sources YAML
    checked = {key.asset_key for key in keel_dbt_models.check_keys}
    assert dg.AssetKey("business_metrics_daily") in checked
    assert dbt_project.manifest_path.is_relative_to(DBT_PROJECT_DIR)


def test_the_backfill_window_becomes_dbt_vars_or_a_clear_error() -> None:
    from orchestration.defs.dbt.assets import DbtBuildConfig

    assert DbtBuildConfig().dbt_vars() == []
    assert DbtBuildConfig(first_day="2026-03-01", last_day="2026-03-02").dbt_vars() == [
        "--vars",
        '{"min_date": "2026-03-01", "max_date": "2026-03-02"}',
    ]
    with pytest.raises(ValueError, match="last_day is missing"):
        DbtBuildConfig(first_day="2026-03-01").dbt_vars()
    with pytest.raises(ValueError, match="first_day must be a date written YYYY-MM-DD, got '1 March'"):
        DbtBuildConfig(first_day="1 March", last_day="2026-03-02").dbt_vars()
    with pytest.raises(ValueError, match="first_day 2026-03-05 is after last_day 2026-03-02"):
        DbtBuildConfig(first_day="2026-03-05", last_day="2026-03-02").dbt_vars()


def test_runs_keep_their_artifacts_in_the_home_and_carry_the_parse_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from keel.settings import get_settings
    from orchestration.defs.dbt import project

    monkeypatch.setattr(get_settings(), "home", tmp_path)
    first = project.run_target_path("run-0001")
    assert first.parent == tmp_path / "dbt" / "runs"
    assert not (first / project.PARTIAL_PARSE).exists()  # nothing kept yet: dagster-dbt's copy applies
    (first / project.PARTIAL_PARSE).write_bytes(b"state of run 1")
    (first / "graph.gpickle").write_bytes(b"graph")
    (first / "manifest.json").write_text("{}")
    project.keep_parse_state(first)
    # one copy of the state per home, not one per kept run; the graph goes, the artifacts stay
    assert (tmp_path / "dbt" / project.PARTIAL_PARSE).read_bytes() == b"state of run 1"
    assert sorted(p.name for p in first.iterdir()) == ["manifest.json"]

    targets = [first]
    for n in range(2, project.RUNS_KEPT + 4):
        time.sleep(0.01)  # distinct modification times
        targets.append(project.run_target_path(f"run-{n:04d}"))
    # each run starts from the state the last finished run left
    assert (targets[-1] / project.PARTIAL_PARSE).read_bytes() == b"state of run 1"
    kept = sorted((tmp_path / "dbt" / "runs").iterdir())
    assert len(kept) == project.RUNS_KEPT
    assert set(kept) == set(targets[-project.RUNS_KEPT :])  # the newest


def test_the_environments_dbt_is_not_asked_its_version(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # dagster-dbt runs `dbt --version` before each build (2 to 3 s); this environment's dbt is the one
    # Python imports, so its version is given, and no process is started for it.
    import dagster_dbt.core.resource as dbt_resource
    from dagster_dbt import DbtCliResource
    from dbt.version import __version__
    from packaging.version import Version

    def no_process(*args: object, **kwargs: object) -> bytes:
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(dbt_resource, "check_output", no_process)
    ours = known_version(DbtCliResource(project_dir=dbt_project, dbt_executable=str(DBT_EXECUTABLE)))
    assert ours._cli_version == Version(__version__)
    elsewhere = tmp_path / "dbt"
    elsewhere.symlink_to(DBT_EXECUTABLE)
    other = known_version(DbtCliResource(project_dir=dbt_project, dbt_executable=str(elsewhere)))
    with pytest.raises(AssertionError, match="a process was started"):  # another dbt is still asked
        _ = other._cli_version
