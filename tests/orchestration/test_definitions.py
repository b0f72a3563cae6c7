"""The Dagster code location loads, and its warehouse resource hands assets a scoped connection."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import dagster as dg

from keel.settings import KeelSettings
from orchestration.defs.warehouse.resources import WarehouseResource

ROOT = Path(__file__).resolve().parents[2]


def test_definitions_load() -> None:
    from orchestration.definitions import defs

    repo = defs.get_repository_def()
    assert "warehouse" in repo.get_top_level_resources()
    # The alert sensor (orchestration/defs/alerts) runs without anyone switching it on.
    assert repo.get_sensor_def("keel_alerts").default_status == dg.DefaultSensorStatus.RUNNING
    # so does the one that evaluates an owner's new or changed goal (goals are otherwise evaluated daily)
    assert repo.get_sensor_def("goal_changes").default_status == dg.DefaultSensorStatus.RUNNING


def test_one_lineage_graph_from_tenants_to_metrics() -> None:
    """Every upstream of every asset is itself an asset of Keel: no disconnected source nodes."""
    from orchestration.definitions import defs

    graph = defs.get_repository_def().asset_graph
    keys = graph.get_all_asset_keys()
    external = sorted(k.to_user_string() for k in keys if not graph.get(k).is_materializable)
    assert external == []
    upstream = graph.get(dg.AssetKey("business_metrics_daily")).parent_keys
    ancestors: set[dg.AssetKey] = set()
    frontier = set(upstream)
    while frontier:
        key = frontier.pop()
        ancestors.add(key)
        frontier |= set(graph.get(key).parent_keys) - ancestors
    assert dg.AssetKey("dlt_shopify_orders") in ancestors
    assert dg.AssetKey("app_tenants") in ancestors
    checks = defs.get_repository_def().asset_checks_defs_by_key
    assert len(checks) >= 5


def test_ml_assets_depend_on_the_dbt_features_they_read() -> None:
    """Marts -> ml_features -> ml.*: each feature view the ML assets read is a dbt model they depend on."""
    from orchestration.definitions import defs
    from orchestration.defs.ml.keys import EVIDENCE_FEATURES, ML_EVIDENCE_EDGES, ML_PLANS, PLAN_FEATURES

    read = set(re.findall(r"ml_features\.(ml_\w+)", (ROOT / "orchestration/defs/ml/reads.py").read_text()))
    assert read == {key.path[-1] for key in (*EVIDENCE_FEATURES, *PLAN_FEATURES)}
    graph = defs.get_repository_def().asset_graph
    assert set(EVIDENCE_FEATURES) <= graph.get(ML_EVIDENCE_EDGES).parent_keys
    assert set(PLAN_FEATURES) <= graph.get(ML_PLANS).parent_keys
    for key in (*EVIDENCE_FEATURES, *PLAN_FEATURES):
        node = graph.get(key)
        assert node.is_materializable and node.group_name == "ml_features", key
        assert any(graph.get(parent).group_name == "marts" for parent in _ancestors(graph, key)), key


def _ancestors(graph: dg.AssetGraph | Any, key: dg.AssetKey) -> set[dg.AssetKey]:
    found: set[dg.AssetKey] = set()
    frontier = set(graph.get(key).parent_keys)
    while frontier:
        parent = frontier.pop()
        found.add(parent)
        frontier |= set(graph.get(parent).parent_keys) - found
    return found


def test_dagster_validates_the_workspace(tmp_path: Path, settings: KeelSettings) -> None:
    dagster = Path(sys.executable).with_name("dagster")
    out = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "All code locations passed validation" in out.stderr + out.stdout


def test_an_asset_gets_a_connection_as_its_role(settings: KeelSettings) -> None:
    seen: dict[str, object] = {}

    @dg.asset
    def who_am_i(warehouse: WarehouseResource) -> None:
        with warehouse.connect() as conn:
            seen["user"] = conn.execute("select current_user").fetchone()
            seen["tenant"] = conn.execute("select app.current_tenant_id()").fetchone()

    result = dg.materialize([who_am_i], resources={"warehouse": WarehouseResource(role="keel_app")})
    assert result.success
    assert seen == {"user": ("keel_app",), "tenant": (None,)}
