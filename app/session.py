"""Sign-in, sign-out and the console session: who is signed in, for how long, and across a refresh.

The password is checked by :func:`keel.tenancy.authenticate` as the ``keel_auth`` role: throttled per
account and per client address, with a temporary lock after repeated failures, and the same answer (and
the same argon2 work) for an unknown e-mail and a wrong password. A successful sign-in opens a session
in ``app.user_sessions``; its id travels in a cookie signed and time-stamped with itsdangerous (the key
comes from KEEL_SECRET_KEY or KEEL_HOME/secret.key), so a browser refresh, which starts a new Streamlit
session, finds the owner still signed in. On every page load :func:`current_user` asks the database
whether the session is still valid (not signed out, not idle too long, not too old, user and tenant
still active); if not, the visitor is back at the sign-in page. Nothing the visitor types or puts in
the URL chooses the tenant: it comes from the session row.
"""

from __future__ import annotations

import json
import uuid

import streamlit as st
from itsdangerous import BadSignature, URLSafeTimedSerializer

from keel.errors import AuthenticationFailed, KeelError
from keel.secrets import signing_keys
from keel.settings import get_settings
from keel.tenancy import SignedInUser, authenticate, end_session, resume_session, start_session

USER_KEY = "keel_signed_in_user"
#: A cookie to write (the token) or to clear ("") on the next run of the page.
COOKIE_PENDING_KEY = "keel_session_cookie_pending"
NOTICE_KEY = "keel_sign_in_notice"
STALE_COOKIE_KEY = "keel_stale_session_cookie"
_SALT = "keel.console.session"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_keys(), salt=_SALT)


def session_token(session_id: uuid.UUID) -> str:
    """The cookie value: the session id, signed and time-stamped."""
    return _serializer().dumps(str(session_id))


def session_from_token(token: str) -> uuid.UUID | None:
    """The session id a cookie carries, if its signature is good and it is younger than the session limit."""
    try:
        value = _serializer().loads(token, max_age=get_settings().session_max_hours * 3600)
        return uuid.UUID(str(value))
    except (BadSignature, ValueError, TypeError):
        return None


def client_address() -> str | None:
    """The visitor's address as Streamlit sees it (None outside a browser session, e.g. AppTest)."""
    try:
        address = st.context.ip_address
    except Exception:
        return None
    return address if isinstance(address, str) and address else None  # (AppTest hands out mocks)


def _cookie() -> str | None:
    value = st.context.cookies.get(get_settings().session_cookie_name)
    return value if isinstance(value, str) and value else None  # (AppTest hands out mocks)


def signed_in_user() -> SignedInUser | None:
    user = st.session_state.get(USER_KEY)
    return user if isinstance(user, SignedInUser) else None


def current_user() -> SignedInUser | None:
    """The signed-in user of this page load, re-checked in the database; None means sign in.

    A user in this Streamlit session is re-checked; without one, a valid session cookie (a browser
    refresh) signs the owner back in. An ended session signs out and clears the cookie.
    """
    user = signed_in_user()
    if user is not None:
        if user.session_id is None:
            return user  # set by code that opened no session (page tests); nothing to re-check
        resumed = resume_session(user.session_id)
        if resumed is None:
            _forget("Your session has ended. Sign in again.")
            return None
        return resumed
    token = _cookie()
    if not token or token == st.session_state.get(STALE_COOKIE_KEY):
        return None
    session_id = session_from_token(token)
    resumed = resume_session(session_id) if session_id is not None else None
    if resumed is None:
        _forget("Your session has ended. Sign in again.")
        return None
    st.session_state[USER_KEY] = resumed
    return resumed


def require_user() -> SignedInUser:
    """The signed-in user; a page that somehow runs without one stops before it reads anything."""
    user = signed_in_user()
    if user is None:
        st.warning("Sign in to see your business.")
        st.stop()
    assert user is not None  # st.stop() raises; this tells the type checker
    return user


def _forget(notice: str | None = None) -> None:
    # Everything in the session belongs to the user who leaves, not only the sign-in record.
    st.session_state.clear()
    st.session_state[COOKIE_PENDING_KEY] = ""
    # Streamlit keeps the cookies it saw when the browser connected: that token is dead from now on.
    st.session_state[STALE_COOKIE_KEY] = _cookie()
    if notice:
        st.session_state[NOTICE_KEY] = notice


def sign_out() -> None:
    user = signed_in_user()
    if user is not None and user.session_id is not None:
        end_session(user.session_id, "signed_out")
    _forget()


def write_pending_cookie() -> None:
    """Set (after sign-in) or clear (after sign-out or expiry) the session cookie in the browser.

    Streamlit reads cookies but has no call to set one, so a one-line script in the page sets it:
    SameSite=Strict, path /, Secure over https, expiring with the session's absolute limit.
    """
    pending = st.session_state.pop(COOKIE_PENDING_KEY, None)
    if pending is None:
        return
    settings = get_settings()
    max_age = settings.session_max_hours * 3600 if pending else 0
    cookie = json.dumps(
        f"{settings.session_cookie_name}={pending}; Path=/; Max-Age={max_age}; SameSite=Strict"
    )
    st.html(
        f"<script>document.cookie = {cookie} + (location.protocol === 'https:' ? '; Secure' : '');</script>",
        unsafe_allow_javascript=True,
    )


def render_sign_in() -> None:
    """The sign-in page: e-mail and password, checked against app.users."""
    st.title("Keel")
    st.caption("Sign in to see your business.")
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(notice)
    with st.form("sign_in", clear_on_submit=True):
        email = st.text_input("E-mail", key="sign_in_email", autocomplete="username")
        password = st.text_input(
            "Password", type="password", key="sign_in_password", autocomplete="current-password"
        )
        submitted = st.form_submit_button("Sign in", type="primary")
    if not submitted:
        return
    if not email.strip() or not password:
        st.error("Enter your e-mail and your password.")
        return
    address = client_address()
    try:
        user = start_session(authenticate(email, password, client_address=address), client_address=address)
    except AuthenticationFailed as exc:
        st.error(f"Sign-in failed: {exc.what}. {exc.todo}.")
        return
    except KeelError as exc:
        st.error(f"Sign-in is unavailable: {exc}")
        return
    assert user.session_id is not None
    st.session_state[USER_KEY] = user
    st.session_state[COOKIE_PENDING_KEY] = session_token(user.session_id)
    st.rerun()
