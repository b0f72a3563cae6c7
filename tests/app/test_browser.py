"""The console in a real headless Chromium: `streamlit run` on a free port, sign in, see the chart.

Debian's chromium is driven by Playwright (`playwright install` cannot download browsers here). When
/usr/bin/chromium is missing the test fails and says how to install it: CI installs it, so a skip would
hide a broken set-up.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from app.words import money
from tests.app.conftest import ConsoleTenants, MetricRow
from tests.app.test_console import CONSOLE

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_SECONDS = 45


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(
        f"streamlit did not answer on {url} within {SERVER_START_SECONDS} s:\n{log.read_text()[-3000:]}"
    )


@pytest.fixture
def chromium() -> Path:
    """Debian's chromium; its absence fails the test (before a server starts) with what to install."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install -y chromium`); "
            "CI installs it"
        )
    return CHROMIUM


@pytest.fixture
def console_url(console_tenants: ConsoleTenants, tmp_path: Path) -> Iterator[str]:
    """`streamlit run app/console.py` against the test warehouse (KEEL_HOME from the session fixture)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "streamlit.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", str(CONSOLE),
                "--server.headless", "true",
                "--server.address", "127.0.0.1",
                "--server.port", str(port),
                "--server.fileWatcherType", "none",
                "--browser.gatherUsageStats", "false",
            ],
            cwd=CONSOLE.parents[1],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_until_healthy(url, server, log)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


def last_30_days_revenue(rows: tuple[MetricRow, ...]) -> str:
    latest = max(r.metric_date for r in rows)
    return money(sum(r.revenue_net for r in rows if (latest - r.metric_date).days < 30), "USD")


def sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_role("textbox", name="E-mail").fill(email)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_owner_signs_in_and_sees_their_chart_in_chromium(
    chromium: Path, console_tenants: ConsoleTenants, console_url: str, tmp_path: Path
) -> None:
    a, b = console_tenants.a, console_tenants.b
    a_revenue, b_revenue = last_30_days_revenue(a.rows), last_30_days_revenue(b.rows)
    screenshot = tmp_path / "console-overview.png"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(console_url)
            sign_in(page, a.email, a.password)

            chart = page.locator('[data-testid="stVegaLiteChart"]')
            # Vega paints into a canvas (or an SVG) once its data arrived; the container alone is empty.
            expect(chart.locator("canvas, svg").first).to_be_visible(timeout=20_000)
            expect(page.get_by_role("heading", name=a.tenant.name)).to_be_visible()
            main_text = page.locator('[data-testid="stMain"]').inner_text()
            box = chart.bounding_box()
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()

    assert a_revenue in main_text
    assert b_revenue not in main_text
    assert b.tenant.name not in main_text
    assert "metrics.business_metrics_daily" not in main_text
    assert box is not None and box["width"] > 300 and box["height"] > 200
    assert screenshot.stat().st_size > 20_000
    print(f"screenshot: {screenshot}")
