"""Streamlit entry point of the Keel console: ``streamlit run app/console.py --server.headless true``.

Before sign-in the navigation holds the sign-in page only, so no page that reads data can run (app/session.py:
throttled sign-in, a session re-checked on every page load, a signed cookie that survives a refresh); after
sign-in it holds the console's pages and the sidebar shows who is signed in and a sign-out button.
The warehouse is the one in the environment's settings (``KEEL_HOME`` or ``DATABASE_URL``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import streamlit as st

from app import session, your_data
from keel import telemetry


def lazy(module: str) -> Callable[[], None]:
    """A page's render function that imports the page's module on its first visit, not at sign-in.

    Signing in then costs only the Overview's imports; a page whose libraries are heavier (the coach, the
    goal planner) loads them when the owner opens it.
    """

    def render() -> None:
        importlib.import_module(f"app.{module}").render()

    render.__name__ = module
    return render


st.set_page_config(page_title="Keel", page_icon=":material/sailing:", layout="wide")

# Every page load re-checks the session in the database (idle and absolute expiry, user and tenant
# still active); a refreshed browser comes back signed in through the session cookie.
user = session.current_user()
session.write_pending_cookie()
if user is None:
    pages = [st.Page(session.render_sign_in, title="Sign in", url_path="sign-in", default=True)]
    current_page = st.navigation(pages, position="hidden")
else:
    with st.sidebar:
        st.caption(f"Signed in as `{user.email}`")
        st.button("Sign out", on_click=session.sign_out)
    current_page = st.navigation(
        [
            st.Page(
                lazy("overview"),
                title="Overview",
                icon=":material/monitoring:",
                url_path="overview",
                default=True,
            ),
            st.Page(
                lazy("forecasts"), title="Forecasts", icon=":material/trending_up:", url_path="forecasts"
            ),
            st.Page(lazy("evidence"), title="Evidence", icon=":material/science:", url_path="evidence"),
            st.Page(lazy("plans"), title="Plans", icon=":material/checklist:", url_path="plans"),
            st.Page(lazy("goals"), title="Goals", icon=":material/flag:", url_path="goals"),
            st.Page(lazy("health"), title="Health", icon=":material/health_and_safety:", url_path="health"),
            your_data.page(),
            st.Page(lazy("upload"), title="Upload data", icon=":material/upload_file:", url_path="upload"),
            st.Page(lazy("alerts"), title="Alerts", icon=":material/notifications:", url_path="alerts"),
            st.Page(lazy("coach_chat"), title="Coach", icon=":material/forum:", url_path="coach"),
        ]
    )
with telemetry.span(
    "keel.console.page",
    page_name=current_page.url_path or "sign-in",
    tenant_id=user.tenant_id if user else None,
):
    current_page.run()
