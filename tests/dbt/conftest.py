"""The dbt tests' marker: they load a small demo and run `dbt build` twice (about a minute)."""

from __future__ import annotations

import pytest

# The synthetic peer groups of the benchmark and health score tests, built once per session.
from .peer_world import peer_world  # noqa: F401


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "dbt_build: loads a small demo into the test warehouse and runs the dbt project on it "
        "(deselect with -m 'not dbt_build')",
    )
