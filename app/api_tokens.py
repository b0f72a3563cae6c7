"""The "API tokens" section of Your data: a signed-in user's personal access tokens for Keel's HTTP API.

A user creates a token for a spreadsheet, an automation or their accountant's tool, with the read scope (and
the write scope to record goals, check-ins, interventions and data sources), and an expiry. The token is
shown once, right after it is made; Keel keeps only a fingerprint (:mod:`keel.api_tokens`, the same code as
``keel token create``). Each user sees and revokes their own tokens.
"""

from __future__ import annotations

import streamlit as st

from keel import api_tokens
from keel.errors import KeelError
from keel.settings import get_settings
from keel.tenancy import SignedInUser

#: The token just created, shown once on the next run, then forgotten.
JUST_CREATED_STATE = "keel_new_api_token"


def render_section(user: SignedInUser) -> None:
    st.subheader("API tokens")
    st.caption(
        "A token lets another program (a spreadsheet, an automation, your accountant's tool) read your "
        "numbers through Keel's API as you. Treat it like a password."
    )
    new = st.session_state.pop(JUST_CREATED_STATE, None)
    if new:
        st.success("Your new token, shown only this once. Copy it now:")
        st.code(new, language=None)
    try:
        tokens = api_tokens.list_tokens(user.tenant_id, email=user.email)
    except KeelError as exc:
        st.error(f"Your tokens cannot be shown right now: {exc.what}.")
        return
    if tokens:
        st.dataframe(
            [
                {
                    "Name": t.name,
                    "Starts with": t.token_prefix + "…",
                    "Can": " and ".join("change" if s == "write" else "read" for s in t.scopes),
                    "Expires": f"{t.expires_at:%d %b %Y}",
                    "Last used": f"{t.last_used_at:%d %b %Y}" if t.last_used_at else "never",
                    "State": "revoked" if t.revoked_at else "active" if t.is_active else "expired",
                }
                for t in tokens
            ],
            hide_index=True,
        )
    _create_form(user)
    active = [t for t in tokens if t.is_active]
    if active:
        with st.expander("Revoke a token"):
            labels = {f"{t.name} ({t.token_prefix}…)": t for t in active}
            choice = st.selectbox("Token", sorted(labels), key="revoke_token_choice")
            if st.button("Revoke", key="revoke_token_button"):
                api_tokens.revoke_token(user.tenant_id, labels[choice].token_id, actor=user.email)
                st.rerun()


def _create_form(user: SignedInUser) -> None:
    settings = get_settings()
    with st.form("create_api_token", clear_on_submit=True):
        name = st.text_input("What will use it?", placeholder="accounting spreadsheet", key="api_token_name")
        can_change = st.checkbox(
            "Also let it record goals, check-ins and changes you made", key="api_token_write"
        )
        days = st.number_input(
            "Days until it stops working",
            min_value=1,
            max_value=settings.api_token_max_days,
            value=settings.api_token_default_days,
            key="api_token_days",
        )
        submitted = st.form_submit_button("Create token")
    if not submitted:
        return
    try:
        _, token = api_tokens.create_token(
            user.tenant_id,
            user.email,
            name,
            ("read", "write") if can_change else ("read",),
            days=int(days),
            actor=user.email,
        )
    except KeelError as exc:
        st.error(str(exc))
        return
    st.session_state[JUST_CREATED_STATE] = token
    st.rerun()
