"""A console page run by Streamlit's AppTest as a signed-in user, the way the console's navigation runs it."""

from __future__ import annotations

import uuid

from streamlit.testing.v1 import AppTest

from app.session import USER_KEY
from keel.tenancy import SignedInUser


def signed_in_page(page: str, tenant_id: uuid.UUID, *, timeout: float = 60) -> AppTest:
    """Run ``app.<page>.render()`` with a user of ``tenant_id`` signed in, and return the finished run."""
    at = AppTest.from_string(f"from app import {page}\n\n{page}.render()\n", default_timeout=timeout)
    at.session_state[USER_KEY] = SignedInUser(uuid.uuid4(), tenant_id, "owner@example.com")
    return at.run()
