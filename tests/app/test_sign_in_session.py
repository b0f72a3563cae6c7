"""The console re-checks its session on every page load (AppTest), and a refresh keeps the owner signed
in while sign-out does not (a real Chromium, the pattern of test_browser.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from app.session import USER_KEY
from keel import warehouse
from keel.settings import KeelSettings, get_settings
from tests.app.conftest import ConsoleTenants
from tests.app.test_browser import CHROMIUM_ARGS, chromium, console_url, sign_in  # noqa: F401
from tests.app.test_console import signed_in

SESSION_ENDED = "Your session has ended. Sign in again."


@pytest.fixture(autouse=True)
def _reactivate(settings: KeelSettings) -> Iterator[None]:
    yield
    with warehouse.connect("admin") as conn:
        conn.execute("update app.users set is_active = true where email like 'owner@console-%'")
        conn.execute("update app.tenants set is_active = true where slug like 'console-%'")


def admin(sql: str, *params: object) -> None:
    with warehouse.connect("admin") as conn:
        conn.execute(sql, params)


def is_sign_in_page(at: object) -> bool:
    return [t.label for t in at.text_input] == ["E-mail", "Password"] and len(at.metric) == 0  # type: ignore[attr-defined]


def test_signing_in_opens_a_session_that_each_page_load_sees(console_tenants: ConsoleTenants) -> None:
    at = signed_in(console_tenants.a)
    user = at.session_state[USER_KEY]
    assert user.session_id is not None
    with warehouse.connect("admin") as conn:
        before = conn.execute(
            "select last_seen_at from app.user_sessions where session_id = %s", (user.session_id,)
        ).fetchone()
    at.run()
    with warehouse.connect("admin") as conn:
        after = conn.execute(
            "select last_seen_at, ended_at from app.user_sessions where session_id = %s", (user.session_id,)
        ).fetchone()
    assert before is not None and after is not None
    assert after[0] > before[0] and after[1] is None
    assert len(at.metric) == 6  # a shop's six tiles


@pytest.mark.parametrize(
    "change",
    [
        "update app.users set is_active = false where email = %s",
        "update app.tenants set is_active = false "
        "where tenant_id = (select tenant_id from app.users where email = %s)",
        "update app.user_sessions set last_seen_at = now() - interval '1 day' "
        "where user_id = (select user_id from app.users where email = %s)",
    ],
    ids=["user deactivated", "tenant deactivated", "idle too long"],
)
def test_the_next_page_load_signs_out_a_session_that_ended(
    console_tenants: ConsoleTenants, change: str
) -> None:
    a = console_tenants.a
    at = signed_in(a)
    assert len(at.metric) == 6  # a shop's six tiles
    admin(change, a.email)
    at.run()
    assert is_sign_in_page(at)
    assert at.session_state.get(USER_KEY) is None
    assert [i.value for i in at.info] == [SESSION_ENDED]
    assert a.tenant.name not in [t.value for t in at.title]


def test_a_refresh_keeps_the_owner_signed_in_and_sign_out_does_not(
    chromium: Path,  # noqa: F811
    console_tenants: ConsoleTenants,
    console_url: str,  # noqa: F811
) -> None:
    a = console_tenants.a
    cookie_name = get_settings().session_cookie_name
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            page = context.new_page()
            page.goto(console_url)
            sign_in(page, a.email, a.password)
            heading = page.get_by_role("heading", name=a.tenant.name)
            expect(heading).to_be_visible(timeout=60_000)
            page.wait_for_function(f"document.cookie.includes('{cookie_name}=')", timeout=20_000)
            cookie = next(c for c in context.cookies() if c["name"] == cookie_name)

            page.reload()
            expect(page.get_by_role("heading", name=a.tenant.name)).to_be_visible(timeout=60_000)
            assert page.get_by_role("textbox", name="Password").count() == 0

            page.get_by_role("button", name="Sign out").click()
            expect(page.get_by_role("textbox", name="Password")).to_be_visible(timeout=30_000)
            page.wait_for_function(f"!document.cookie.includes('{cookie_name}=')", timeout=20_000)
            page.reload()
            expect(page.get_by_role("textbox", name="Password")).to_be_visible(timeout=60_000)

            # The old cookie, put back by hand, opens nothing: the session ended in the database.
            context.add_cookies([cookie])
            page.reload()
            expect(page.get_by_role("textbox", name="Password")).to_be_visible(timeout=60_000)
            expect(page.get_by_text(SESSION_ENDED)).to_be_visible(timeout=20_000)
            main_text = page.locator('[data-testid="stMain"]').inner_text()
        finally:
            browser.close()
    assert a.tenant.name not in main_text
    assert cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert cookie["expires"] > 0  # expires with the session's absolute limit, not a forever cookie
