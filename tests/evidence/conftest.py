"""Shared fixtures of the evidence tests: simulated businesses and one full run, computed once.

The expensive part (DoWhy refuters over six interventions) runs once per session and is shared
by the validity, edge and driver tests. Benchmark-marked tests are skipped unless ``-m benchmark``
asks for them, as the marker's description in pyproject.toml promises.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from models_ml.evidence import (
    EvidenceSettings,
    InterventionEffect,
    estimate_intervention_effects,
    run_evidence,
)
from models_ml.evidence.run import EvidenceRun
from models_ml.evidence.synthetic import SyntheticBusiness, simulate_business

#: Fixed seeds of the two simulated businesses behind the default validity test.
SEED_A = 0
SEED_B = 1

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "benchmark" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="benchmark: run with -m benchmark")
    for item in items:
        if item.get_closest_marker("benchmark") and _HERE in Path(str(item.fspath)).parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def evidence_settings() -> EvidenceSettings:
    return EvidenceSettings()


@pytest.fixture(scope="session")
def business_a() -> SyntheticBusiness:
    return simulate_business(SEED_A)


@pytest.fixture(scope="session")
def business_b() -> SyntheticBusiness:
    return simulate_business(SEED_B)


@pytest.fixture(scope="session")
def run_a(business_a: SyntheticBusiness, evidence_settings: EvidenceSettings) -> EvidenceRun:
    return run_evidence(
        business_a.tenant_id,
        business_a.panel,
        business_a.interventions,
        peers=business_a.peers,
        product_sales=business_a.product_sales,
        settings=evidence_settings,
    )


@pytest.fixture(scope="session")
def effects_b(business_b: SyntheticBusiness, evidence_settings: EvidenceSettings) -> list[InterventionEffect]:
    return estimate_intervention_effects(
        business_b.panel, business_b.interventions, peers=business_b.peers, settings=evidence_settings
    )
