"""A brand-new business in a real headless Chromium: the owner signs in, sees what to connect instead of
numbers, follows the link to Your data and finds themself there. The screenshots are the ones in
docs/connect-your-data.md: with KEEL_DOCS_SCREENSHOTS=1 the test also writes them to docs/images/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from keel import tenancy
from keel.settings import KeelSettings
from tests.app.test_browser import CHROMIUM_ARGS, chromium, console_url, sign_in  # noqa: F401 - fixtures

DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


def test_a_new_owner_is_led_from_the_empty_overview_to_your_data(
    settings: KeelSettings,
    chromium: Path,  # noqa: F811 - the fixture imported above
    console_url: str,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    tenant = tenancy.create_tenant("browser-new-business", "Browser New Business", industry="cafe")
    tenancy.create_user(tenant.tenant_id, "owner@browser-new.example", "first sign-in password")
    shots = {name: tmp_path / f"{name}.png" for name in ("connect-empty-overview", "connect-your-data")}

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 850})
            page.goto(console_url)
            # The first render waits for the console's imports: on a loaded 2-core machine up to a minute.
            expect(page.get_by_role("textbox", name="E-mail")).to_be_visible(timeout=120_000)
            sign_in(page, "owner@browser-new.example", "first sign-in password")
            main = page.locator('[data-testid="stMain"]')
            expect(main.get_by_text("Keel has no data of your business")).to_be_visible(timeout=60_000)
            overview_text = main.inner_text()
            page.screenshot(path=str(shots["connect-empty-overview"]), full_page=True)

            main.get_by_role("link", name="Go to Your data").click()
            expect(page.get_by_role("heading", name="Your data")).to_be_visible(timeout=30_000)
            expect(main.get_by_text("Nothing is connected yet")).to_be_visible()
            expect(main.get_by_text("People who sign in")).to_be_visible()
            # The form is the page's last element, and the people table paints after the text.
            expect(main.get_by_role("button", name="Add person")).to_be_visible(timeout=30_000)
            expect(main.locator('[data-testid="stDataFrame"] canvas').first).to_be_visible(timeout=30_000)
            your_data_text = main.inner_text()
            url = page.url
            page.screenshot(path=str(shots["connect-your-data"]), full_page=True)
        finally:
            browser.close()

    assert "Browser New Business" in overview_text and "Traceback" not in overview_text
    assert "keel demo" not in overview_text and "metrics." not in overview_text
    assert url.endswith("/your-data")
    assert "Traceback" not in your_data_text
    for shot in shots.values():
        assert shot.stat().st_size > 10_000
    if os.environ.get("KEEL_DOCS_SCREENSHOTS") == "1":
        DOCS_IMAGES.mkdir(exist_ok=True)
        for name, shot in shots.items():
            shutil.copyfile(shot, DOCS_IMAGES / f"{name}.png")
