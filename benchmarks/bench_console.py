"""Benchmark of the console's speed in a real browser: sign-in to first tile, first visits, cached revisits.

Run from the repository root, against a warehouse that holds the demo (``KEEL_HOME`` or ``DATABASE_URL``
as for every keel command), after a small ``keel demo`` of the three owners:

    export KEEL_HOME=/tmp/keel-bench
    KEEL_DEMO_TENANTS='["bluebird-coffee","formwise","ledgerline-advisors"]' KEEL_DEMO_START=2026-04-01 \
        .venv/bin/keel demo
    .venv/bin/python benchmarks/bench_console.py --visits 20

It starts ``streamlit run app/console.py`` once per ``--cold`` round, drives Debian's chromium with
Playwright (headless) and measures, with wall-clock time from the click to the page's title (and, on the
Overview, its first tile) and Streamlit's run finishing:

- cold: a fresh console process; sign-in to the first tile, then each page's first visit (module imports
  and empty caches): one sample per page per round;
- first visit in a new session: a new browser session on a warm console (the owner's second day), each page
  once, ``--visits`` sessions;
- cached revisit: the same session going back to a page it has shown, ``--visits`` times per page.

Prints p50 and p95 of each, and the load average (the machine is shared; say so beside the figures).
docs/benchmarks.md ("## Console") records them.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingestion.demo_load import DEMO_PASSWORD, demo_owner_email  # noqa: E402 - after the path insert above

CONSOLE = ROOT / "app" / "console.py"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
OWNERS = ("bluebird-coffee", "formwise", "ledgerline-advisors")
PAGES = (
    ("Forecasts", "What will happen?"),
    ("Evidence", "What worked?"),
    ("Plans", "What should I do?"),
    ("Goals", "Goals"),
    ("Health", "How do I compare?"),
    ("Your data", "Your data"),
    ("Alerts", "Alerts"),
    ("Coach", "Coach"),
    ("Overview", None),
)
TIMEOUT_MS = 120_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_console(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(  # noqa: S603 - streamlit from this environment, with arguments built here
        [
            sys.executable, "-m", "streamlit", "run", str(CONSOLE), "--server.headless", "true",
            "--server.address", "127.0.0.1", "--server.port", str(port), "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false",
        ],
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):  # noqa: S310 - http on loopback
                return server, url
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"the console did not start: {log.read_text()[-2000:]}")


def settled(page: Page) -> None:
    page.wait_for_timeout(50)
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=TIMEOUT_MS)


def sign_in(page: Page, url: str, slug: str) -> float:
    page.goto(url)
    expect(page.get_by_role("textbox", name="E-mail")).to_be_visible(timeout=TIMEOUT_MS)
    page.get_by_role("textbox", name="E-mail").fill(demo_owner_email(slug))
    page.get_by_role("textbox", name="Password").fill(DEMO_PASSWORD)
    started = time.perf_counter()
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator('[data-testid="stMetric"]').first).to_be_visible(timeout=TIMEOUT_MS)
    seconds = time.perf_counter() - started
    settled(page)
    return seconds


def visit(page: Page, label: str, title: str | None) -> float:
    started = time.perf_counter()
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name=label, exact=True).click()
    if title is None:
        expect(page.locator('[data-testid="stMetric"]').first).to_be_visible(timeout=TIMEOUT_MS)
    else:
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    settled(page)
    return time.perf_counter() - started


def quantiles(samples: list[float]) -> str:
    if not samples:
        return "-"
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):5.2f} s  p95 {p95:5.2f} s  (n={len(ordered)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=20, help="sessions and revisits per page")
    parser.add_argument("--cold", type=int, default=1, help="console processes started afresh")
    parser.add_argument("--json", type=Path, help="also write the samples here")
    args = parser.parse_args()

    cold: dict[str, list[float]] = defaultdict(list)
    fresh: dict[str, list[float]] = defaultdict(list)
    revisit: dict[str, list[float]] = defaultdict(list)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for round_ in range(args.cold):
            server, url = start_console(Path(tmp) / f"console-{round_}.log")
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                cold["sign-in to first tile"].append(sign_in(page, url, OWNERS[round_ % len(OWNERS)]))
                for label, title in PAGES:
                    cold[label].append(visit(page, label, title))
                page.context.close()
                for i in range(args.visits):
                    page = browser.new_page(viewport={"width": 1400, "height": 1000})
                    fresh["sign-in to first tile"].append(sign_in(page, url, OWNERS[i % len(OWNERS)]))
                    for label, title in PAGES:
                        fresh[label].append(visit(page, label, title))
                    for label, title in PAGES:
                        revisit[label].append(visit(page, label, title))
                    page.context.close()
                    if args.json:  # as it goes: a long run stopped early keeps its samples
                        args.json.write_text(json.dumps({"cold": cold, "fresh": fresh, "revisit": revisit}))
            finally:
                server.terminate()
                server.wait(timeout=20)
        browser.close()
    load_after = os.getloadavg()
    for name, samples in (
        ("cold console", cold),
        ("first visit, new session", fresh),
        ("cached revisit", revisit),
    ):
        print(f"\n{name}:")
        for label, values in samples.items():
            print(f"  {label:24s} {quantiles(values)}")
    print(f"\nload average (1, 5, 15 min): before {load_before}, after {load_after}; {os.cpu_count()} cores")
    if args.json:
        args.json.write_text(json.dumps({"cold": cold, "fresh": fresh, "revisit": revisit}, indent=1))


if __name__ == "__main__":
    main()
