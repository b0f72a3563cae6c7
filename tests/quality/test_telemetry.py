"""OpenTelemetry: spans with the tenant as an attribute land in KEEL_HOME/telemetry/spans.jsonl, personal
attributes never do, and the durations and row counts come out in Prometheus text format."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from ortools.sat.python import cp_model

from keel import telemetry
from keel.settings import get_settings
from models_ml.optimization._solvers import solve_cp
from models_ml.optimization.plan import SolverSettings

TENANT = "7d1f3a2e-0000-4000-8000-000000000001"


@pytest.fixture
def telemetry_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("KEEL_HOME", str(tmp_path))
    monkeypatch.setenv("KEEL_TELEMETRY_EXPORTER", "file")
    get_settings.cache_clear()
    telemetry.reset_for_tests()
    yield tmp_path / "telemetry"
    telemetry.reset_for_tests()
    monkeypatch.undo()
    get_settings.cache_clear()


def test_a_plan_with_a_solver_call_is_traced_with_its_tenant_and_no_personal_data(
    telemetry_home: Path,
) -> None:
    model = cp_model.CpModel()
    x = model.new_int_var(0, 10, "x")
    model.add(x >= 3)
    model.minimize(x)
    with telemetry.span("keel.plan", tenant_id=TENANT, plan_type="staffing", email="ann@example.com") as plan:
        telemetry.set_attributes(plan, first_name="Ann", owner_name="Ann Lee", note="call ann@example.com")
        _, outcome = solve_cp(model, SolverSettings())
    telemetry.count_rows("shopify", TENANT, loaded=120, rejected=3)
    telemetry.flush()
    assert outcome.status == "optimal"

    lines = (telemetry_home / "spans.jsonl").read_text().splitlines()
    spans = {span["name"]: span for span in map(json.loads, lines)}
    assert set(spans) == {"keel.plan", "keel.solver"}
    assert spans["keel.plan"]["attributes"] == {"keel.tenant_id": TENANT, "keel.plan_type": "staffing"}
    assert spans["keel.solver"]["attributes"]["keel.solver"] == "CP-SAT"
    assert spans["keel.solver"]["parent_id"] == spans["keel.plan"]["context"]["span_id"]
    text = "\n".join(lines)
    assert "Ann" not in text and "@" not in text

    (metrics,) = (telemetry_home / "metrics").glob("*.prom")
    prom = metrics.read_text()
    assert 'keel_rows_loaded_total{source="shopify",tenant_id="' + TENANT + '"} 120.0' in prom
    assert 'keel_rows_rejected_total{source="shopify",tenant_id="' + TENANT + '"} 3.0' in prom
    assert 'keel_operation_seconds_count{operation="keel.solver"} 1.0' in prom


def test_telemetry_can_be_switched_off(telemetry_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEEL_TELEMETRY_EXPORTER", "none")
    get_settings.cache_clear()
    telemetry.reset_for_tests()
    with telemetry.span("keel.load", tenant_id=TENANT):
        pass
    telemetry.flush()
    assert not telemetry_home.exists()
