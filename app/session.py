"""Sign-in and sign-out for the console: who is signed in lives in ``st.session_state`` and nowhere else.

The password is checked by :func:`keel.tenancy.authenticate` (argon2, same answer for an unknown e-mail
and a wrong password). The resulting :class:`~keel.tenancy.SignedInUser` carries the tenant id that every
query in :mod:`app.data` is scoped to; nothing the visitor types or puts in the URL can change it.
"""

from __future__ import annotations

import streamlit as st

from keel.errors import AuthenticationFailed, KeelError
from keel.tenancy import SignedInUser, authenticate

USER_KEY = "keel_signed_in_user"


def signed_in_user() -> SignedInUser | None:
    user = st.session_state.get(USER_KEY)
    return user if isinstance(user, SignedInUser) else None


def require_user() -> SignedInUser:
    """The signed-in user; a page that somehow runs without one stops before it reads anything."""
    user = signed_in_user()
    if user is None:
        st.warning("Sign in to see your business.")
        st.stop()
    assert user is not None  # st.stop() raises; this tells the type checker
    return user


def sign_out() -> None:
    # Everything in the session belongs to the user who leaves, not only the sign-in record.
    st.session_state.clear()


def render_sign_in() -> None:
    """The sign-in page: e-mail and password, checked against app.users."""
    st.title("Keel")
    st.caption("Sign in to see your business.")
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
    try:
        user = authenticate(email, password)
    except AuthenticationFailed as exc:
        st.error(f"Sign-in failed: {exc.what}. {exc.todo}.")
        return
    except KeelError as exc:
        st.error(f"Sign-in is unavailable: {exc}")
        return
    st.session_state[USER_KEY] = user
    st.rerun()
