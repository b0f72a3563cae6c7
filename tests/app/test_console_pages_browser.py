"""Every console page in a real headless Chromium, as three owners of the shared demo warehouse see it.

A café (bluebird-coffee), a subscription software company billing in Canadian dollars (formwise) and a B2B
accounting firm that bills on the 1st of each month (ledgerline-advisors) sign in, visit every page in one
browser session, and the test checks:

- each page's question and takeaway sentence, with the key numbers worked out here from SQL on the
  warehouse (not through the console's own code);
- the B2B firm's revenue is compared by calendar month, so the "-52.6%" of a rolling 30 days is gone;
- no raw identifier (a table, a column, a method name, a p-value, a timestamp) is in the owner's view;
- reloading the page keeps the owner signed in.

One console process and one browser serve the whole module. Screenshots go to the test's temporary folder,
and with KEEL_DOCS_SCREENSHOTS=1 also to docs/images/console/ (the ones docs/console.md shows).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from app import words
from ingestion.demo.profiles import TENANTS_BY_SLUG
from ingestion.demo_load import DEMO_PASSWORD, demo_owner_email
from keel import warehouse
from keel.settings import KeelSettings
from tests.app.test_browser import CHROMIUM, CHROMIUM_ARGS, sign_in, wait_until_healthy
from tests.app.test_console import CONSOLE
from tests.conftest import pointing_at

DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images" / "console"
#: The screenshots docs/console.md shows (the others stay in the test's folder).
DOCS_SHOTS = frozenset(
    {
        "bluebird-coffee-overview",
        "bluebird-coffee-forecasts",
        "bluebird-coffee-evidence",
        "bluebird-coffee-plans",
        "bluebird-coffee-health",
        "ledgerline-advisors-overview",
        "formwise-overview",
    }
)
#: First renders on a loaded 2-core machine: the brief allows up to a minute.
FIRST_RENDER_MS = 90_000
#: (navigation label, the page's title) in the order the sidebar lists them.
PAGES = (
    ("Forecasts", "What will happen?"),
    ("Evidence", "What worked?"),
    ("Plans", "What should I do?"),
    ("Goals", "Goals"),
    ("Health", "How do I compare?"),
    ("Your data", "Your data"),
    ("Upload data", "Upload data"),
    ("Alerts", "Alerts"),
    ("Coach", "Coach"),
)
#: What must never reach an owner's eyes: schema-qualified names, columns, model and method names,
#: raw p-values and timestamps.
RAW = re.compile(
    r"\b(?:app|ml|marts|metrics|benchmarks|coach|raw_[a-z]+)\.[a-z_]+"
    r"|metric_date|revenue_net|tenant_id|Ensemble|MASE|\bp = [0-9]"
    r"|its_seasonal_regression|synthetic_control|did_comparable_periods|propensity_score|naive_before_after"
    r"|econml|dowhy|granger_causality|causal_learn|shapley_decomposition|AutoARIMA|AutoETS|SeasonalNaive"
    r"|\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}|\+0\.0%"
)


@dataclass(frozen=True)
class Visit:
    label: str
    text: str
    seconds: float


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def demo_console(_demo_warehouse_built: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run app/console.py` on the shared demo warehouse, for the whole module."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install -y chromium`)")
    log = tmp_path_factory.mktemp("console") / "streamlit.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with pointing_at(_demo_warehouse_built), log.open("wb") as out:
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
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


def settle(page: Page) -> None:
    """Wait until Streamlit has finished running the script (its status widget is gone)."""
    page.wait_for_timeout(300)
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=FIRST_RENDER_MS)


def owner_text(page: Page) -> str:
    """The main area's text without the "For analysts" expanders (collapsed, and meant for analysts)."""
    # the page without its sidebar (the Coach page's chat input sits outside the main block)
    text = (
        page.locator("body").inner_text().replace(page.locator('[data-testid="stSidebar"]').inner_text(), "")
    )
    for expander in page.locator('[data-testid="stExpander"]').all():
        summary = expander.locator("summary").inner_text()
        if "For analysts" in summary:
            text = text.replace(expander.inner_text(), "")
    return text


def visit_every_page(page: Page, url: str, slug: str, shots: Path) -> list[Visit]:
    visits: list[Visit] = []
    page.goto(url)
    expect(page.get_by_role("textbox", name="E-mail")).to_be_visible(timeout=FIRST_RENDER_MS)
    started = time.monotonic()
    sign_in(page, demo_owner_email(slug), DEMO_PASSWORD)
    expect(page.locator('[data-testid="stMetric"]').first).to_be_visible(timeout=FIRST_RENDER_MS)
    first_tile = time.monotonic() - started
    settle(page)
    chart = page.locator('[data-testid="stVegaLiteChart"]')
    expect(chart.locator("canvas, svg").first).to_be_visible(timeout=FIRST_RENDER_MS)
    visits.append(Visit("Overview", owner_text(page), first_tile))
    page.screenshot(path=str(shots / f"{slug}-overview.png"), full_page=True)
    sidebar = page.locator('[data-testid="stSidebar"]')
    for label, title in PAGES:
        started = time.monotonic()
        sidebar.get_by_role("link", name=label, exact=True).click()
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible(timeout=FIRST_RENDER_MS)
        settle(page)
        visits.append(Visit(label, owner_text(page), time.monotonic() - started))
        page.screenshot(path=str(shots / f"{slug}-{label.lower().replace(' ', '-')}.png"), full_page=True)
    # A reload starts a new Streamlit session: the owner is still signed in, on the same page.
    page.reload()
    expect(page.get_by_role("heading", name="Coach", exact=True)).to_be_visible(timeout=FIRST_RENDER_MS)
    expect(page.get_by_role("textbox", name="E-mail")).to_have_count(0)
    return visits


def query(sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with warehouse.connect("admin") as conn:
        return conn.execute(sql, params).fetchall()


def revenue(tenant_id: Any, start: dt.date, end: dt.date) -> float:
    rows = query(
        "select coalesce(sum(revenue_net), 0)::float8 from metrics.business_metrics_daily "
        "where tenant_id = %s and metric_date between %s and %s",
        tenant_id,
        start,
        end,
    )
    return float(rows[0][0])


def latest_day(tenant_id: Any) -> dt.date:
    day = query(
        "select max(metric_date) from metrics.business_metrics_daily where tenant_id = %s", tenant_id
    )[0][0]
    assert isinstance(day, dt.date)
    return day


def exists(relation: str) -> bool:
    return bool(query("select to_regclass(%s) is not null", relation)[0][0])


def forecast_total(tenant_id: Any) -> float:
    rows = query(
        "select sum(point)::float8 from ml.forecasts "
        "where tenant_id = %s and metric = 'revenue_net' and is_chosen",
        tenant_id,
    )
    return float(rows[0][0])


def check_clean(visits: list[Visit]) -> None:
    raw = {v.label: sorted(set(RAW.findall(v.text))) for v in visits}
    assert {label: found for label, found in raw.items() if found} == {}, (
        "raw identifiers in the owner's view"
    )
    assert [v.label for v in visits if "Traceback" in v.text] == []


def keep(shots: Path) -> None:
    if os.environ.get("KEEL_DOCS_SCREENSHOTS") == "1":
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        for shot in shots.glob("*.png"):
            if shot.stem in DOCS_SHOTS:
                shutil.copyfile(shot, DOCS_IMAGES / shot.name)


def report(slug: str, visits: list[Visit]) -> None:
    print(f"{slug}: " + ", ".join(f"{v.label} {v.seconds:.1f} s" for v in visits))


def by_label(visits: list[Visit]) -> dict[str, str]:
    return {v.label: v.text for v in visits}


def test_a_cafe_owner_sees_every_page_in_their_words(
    demo_warehouse: KeelSettings, demo_console: str, browser: Browser, tmp_path: Path
) -> None:
    profile = TENANTS_BY_SLUG["bluebird-coffee"]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        visits = visit_every_page(page, demo_console, profile.slug, tmp_path)
    finally:
        page.close()
    report(profile.slug, visits)
    text = by_label(visits)
    locale = words.locale_for(profile.country)

    latest = latest_day(profile.tenant_id)
    start = latest - dt.timedelta(days=29)
    before = (start - dt.timedelta(days=30), start - dt.timedelta(days=1))
    now, then = revenue(profile.tenant_id, start, latest), revenue(profile.tenant_id, *before)
    expected = (
        f"Revenue from {words.period(start, latest)} was {words.money(now, profile.currency, locale)}, "
        f"{words.change_words(now, then)} on {words.period(*before)}"
    )
    assert expected in text["Overview"]
    assert f"Data up to {words.day(latest)}" in text["Overview"]
    total = forecast_total(profile.tenant_id)
    assert f"should come to about {words.money(total, profile.currency, locale)}" in text["Forecasts"]
    check_clean(visits)
    keep(tmp_path)


def test_a_b2b_firm_is_compared_by_calendar_month(
    demo_warehouse: KeelSettings, demo_console: str, browser: Browser, tmp_path: Path
) -> None:
    profile = TENANTS_BY_SLUG["ledgerline-advisors"]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        visits = visit_every_page(page, demo_console, profile.slug, tmp_path)
    finally:
        page.close()
    report(profile.slug, visits)
    text = by_label(visits)
    locale = words.locale_for(profile.country)

    latest = latest_day(profile.tenant_id)
    month_end = (
        latest if (latest + dt.timedelta(days=1)).day == 1 else latest.replace(day=1) - dt.timedelta(days=1)
    )
    month = (month_end.replace(day=1), month_end)
    previous_end = month[0] - dt.timedelta(days=1)
    previous = (previous_end.replace(day=1), previous_end)
    overview = text["Overview"]
    assert f"{words.month(month[0])} compared with {words.month(previous[0])}" in overview
    if exists("metrics.billing_metrics_monthly"):
        billed = query(
            "select sum(billed_revenue)::float8 from metrics.billing_metrics_monthly where tenant_id = %s "
            "and month::date in (%s, %s) group by month order by month",
            profile.tenant_id,
            previous[0],
            month[0],
        )
        then, now = billed[0][0], billed[1][0]
        assert (
            f"You billed {words.money(now, profile.currency, locale)} in {words.month(month[0])}, "
            f"{words.change_words(now, then)} on {words.month(previous[0])}"
        ) in overview
    else:
        now, then = revenue(profile.tenant_id, *month), revenue(profile.tenant_id, *previous)
        assert (
            f"Revenue in {words.month(month[0])} was {words.money(now, profile.currency, locale)}, "
            f"{words.change_words(now, then)} on {words.month(previous[0])}"
        ) in overview
    # The rolling-window comparison the issue found (-52.6%) would say:
    rolling = words.change_words(
        revenue(profile.tenant_id, latest - dt.timedelta(days=29), latest),
        revenue(profile.tenant_id, latest - dt.timedelta(days=59), latest - dt.timedelta(days=30)),
    )
    assert rolling not in overview or rolling == words.change_words(now, then)
    check_clean(visits)
    keep(tmp_path)


def test_a_subscription_company_sees_its_recurring_revenue(
    demo_warehouse: KeelSettings, demo_console: str, browser: Browser, tmp_path: Path
) -> None:
    profile = TENANTS_BY_SLUG["formwise"]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        visits = visit_every_page(page, demo_console, profile.slug, tmp_path)
    finally:
        page.close()
    report(profile.slug, visits)
    text = by_label(visits)
    locale = words.locale_for(profile.country)
    overview = text["Overview"]
    assert profile.currency == "CAD" and locale == "en_CA"
    if exists("metrics.subscription_metrics_monthly"):
        latest = latest_day(profile.tenant_id)
        month_end = (
            latest
            if (latest + dt.timedelta(days=1)).day == 1
            else latest.replace(day=1) - dt.timedelta(days=1)
        )
        mrr = query(
            "select mrr::float8 from metrics.subscription_metrics_monthly "
            "where tenant_id = %s and month::date = %s",
            profile.tenant_id,
            month_end.replace(day=1),
        )[0][0]
        assert (
            f"Monthly recurring revenue was {words.money(mrr, profile.currency, locale)} at the end of "
            f"{words.month(month_end)}"
        ) in overview
        assert "Average order value" not in overview and "Orders" not in overview
    assert "CA$" not in overview  # Canadian dollars in Canada are written "$"
    check_clean(visits)
    keep(tmp_path)
