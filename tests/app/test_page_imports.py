"""No console page loads the forecasting, evidence or optimization stacks to draw stored results.

One fresh interpreter imports the page modules one after another and records which heavy libraries each
import brought in (a module a page needs only for a what-if or a chart would show up here first). The
Goals page is imported last: it reaches the goal planner through ``coach.goals`` and ``models_ml.goals``,
whose package imports the forecasting library at import time (``models_ml/goals/__init__.py``); the
assertion records that exception by name, so a fix there makes this test fail until the exception goes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("statsforecast", "mlforecast", "dowhy", "econml", "ortools", "lightgbm", "matplotlib", "dagster")
PAGES = (
    "overview",
    "forecasts",
    "evidence",
    "plans",
    "health",
    "your_data",
    "upload",
    "alerts",
    "coach_chat",
    "goals",
)
PROBE = """
import importlib, json, sys
heavy, pages = json.loads(sys.argv[1]), json.loads(sys.argv[2])
brought = {}
for page in pages:
    before = {h for h in heavy if h in sys.modules}
    importlib.import_module("app." + page)
    brought[page] = sorted(h for h in heavy if h in sys.modules and h not in before)
print(json.dumps(brought))
"""


def test_pages_draw_stored_results_without_the_model_stacks() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(HEAVY), json.dumps(PAGES)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=300,
        check=True,
    )
    brought: dict[str, list[str]] = json.loads(out.stdout.strip().splitlines()[-1])
    assert {page: libs for page, libs in brought.items() if libs} == {}
