"""A console page run by Streamlit's AppTest as a signed-in user, the way the console's navigation runs it."""

from __future__ import annotations

import uuid

from streamlit.testing.v1 import AppTest

from app.session import USER_KEY
from keel import warehouse
from keel.tenancy import SignedInUser

#: Session key naming the page :func:`signed_in_pages` runs next (the console's navigation, in one script).
PAGE_KEY = "test_page"


def signed_in_page(page: str, tenant_id: uuid.UUID, *, timeout: float = 60) -> AppTest:
    """Run ``app.<page>.render()`` with a user of ``tenant_id`` signed in, and return the finished run."""
    at = AppTest.from_string(f"from app import {page}\n\n{page}.render()\n", default_timeout=timeout)
    return _signed_in(at, tenant_id)


def signed_in_pages(pages: tuple[str, ...], tenant_id: uuid.UUID, *, timeout: float = 60) -> AppTest:
    """Several pages in one session, as the navigation switches between them: the first runs now; set
    ``at.session_state[PAGE_KEY]`` to another page's name and ``run()`` to switch (a page's widgets are
    forgotten when another page runs, as in the console)."""
    imports = "".join(f"from app import {page}\n" for page in pages)
    table = ", ".join(f"{page!r}: {page}.render" for page in pages)
    script = f"import streamlit as st\n{imports}\n{{{table}}}[st.session_state[{PAGE_KEY!r}]]()\n"
    at = AppTest.from_string(script, default_timeout=timeout)
    at.session_state[PAGE_KEY] = pages[0]
    return _signed_in(at, tenant_id)


def _signed_in(at: AppTest, tenant_id: uuid.UUID) -> AppTest:
    with warehouse.connect("admin") as conn:  # the business's own owner when it has one (the demo's do)
        row = conn.execute(
            "select user_id, email from app.users where tenant_id = %s order by created_at limit 1",
            (tenant_id,),
        ).fetchone()
    user_id, email = row if row is not None else (uuid.uuid4(), "owner@example.com")
    at.session_state[USER_KEY] = SignedInUser(user_id, tenant_id, email)
    return at.run()
