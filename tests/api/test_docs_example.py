"""The Python client example of docs/api.md runs as written against the running API."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.api.conftest import Tokens

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_the_documented_client_runs(api_url: str, tokens: Tokens) -> None:
    (example,) = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL)
    env = {**os.environ, "KEEL_API_URL": api_url, "KEEL_API_TOKEN": tokens.read_only}
    out = subprocess.run(
        [sys.executable, "-c", example], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "business: Bluebird Coffee (USD)"
    assert re.fullmatch(r"revenue over the last 30 days: [\d,]+\.\d\d USD", lines[1]), lines[1]
    assert len([line for line in lines if "(80% between" in line]) == 7
    assert re.fullmatch(r"weekly orders as CSV: \d+ rows", lines[-1]), lines[-1]
