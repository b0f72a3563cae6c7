"""The Alerts page: the inbox (unread first, mark as read), the channels alerts are sent to, quiet hours.

Reads and writes go through the alerts library (:mod:`coach.alerts`) as ``keel_app`` scoped to the
signed-in user's tenant. Channel addresses are apprise URLs; they are stored encrypted and only their
masked form is ever shown (the URL field is a password field). How alerts work: docs/alerts.md.
"""

from __future__ import annotations

import datetime as dt
import uuid

import streamlit as st

from app.session import require_user
from coach.alerts import channels, delivery, inbox
from coach.alerts.errors import AlertError

SEVERITY_ICONS = {"critical": ":material/error:", "warning": ":material/warning:", "info": ":material/info:"}
NO_ALERTS = (
    "No alerts: nothing needs your attention. Keel checks your goals, forecasts and data every few minutes."
)
URL_HELP = (
    "An apprise address, for example mailtos://user:app-password@smtp.example.com?to=you@example.com, "
    "slack://TokenA/TokenB/TokenC/#channel, workflow://... for Microsoft Teams, or json://hooks.example.com/path"
)


def render() -> None:
    user = require_user()
    st.title("Alerts")
    try:
        alerts = inbox.list_alerts(user.tenant_id)
    except AlertError as exc:
        st.error(str(exc))
        return
    unread = [a for a in alerts if a.is_unread]
    st.caption(f"{len(unread)} unread of {len(alerts)}")
    if not alerts:
        st.info(NO_ALERTS)
    for alert in alerts:
        with st.container(border=True):
            icon = SEVERITY_ICONS.get(alert.severity, "")
            prefix = "**New:** " if alert.is_unread else ""
            st.markdown(f"{icon} {prefix}**{alert.title}**")
            st.caption(f"{alert.created_at:%d %B %Y, %H:%M} UTC · {alert.deliveries}")
            st.markdown(f"**What happened:** {alert.what_happened}")
            st.markdown(f"**Why it matters:** {alert.why_it_matters}")
            st.markdown(f"**What to do:** {alert.what_to_do}")
            st.markdown(f"[Open the page]({alert.link})")
            if alert.is_unread:
                if st.button("Mark as read", key=f"ack_{alert.alert_id}"):
                    inbox.acknowledge(user.tenant_id, alert.alert_id, by=user.email)
                    st.rerun()
            else:
                reader = alert.acknowledged_by or "someone"
                st.caption(f"Read by {reader} on {alert.acknowledged_at:%d %B %Y}")
    st.divider()
    _channels(user.tenant_id, user.email)
    st.divider()
    _quiet_hours(user.tenant_id)


def _channels(tenant_id: uuid.UUID, email: str) -> None:
    st.subheader("Where alerts are sent")
    for channel in channels.list_channels(tenant_id):
        label, test, remove = st.columns([4, 1, 1])
        state = "" if channel.is_enabled else " (paused)"
        label.markdown(f"**{channel.name}**{state} · {channel.service} · `{channel.url_masked}`")
        if test.button("Send a test", key=f"test_{channel.channel_id}"):
            error = delivery.send_test(tenant_id, channel.channel_id)
            if error is None:
                st.success(f"Test message sent to {channel.name}.")
            else:
                st.error(f"{channel.name} did not take the test message: {error}")
        if remove.button("Remove", key=f"remove_{channel.channel_id}"):
            channels.remove_channel(tenant_id, channel.channel_id)
            st.rerun()
    with st.form("add_channel", clear_on_submit=True):
        name = st.text_input("Name", placeholder="Owner e-mail")
        url = st.text_input("Address", type="password", help=URL_HELP)
        if st.form_submit_button("Add channel"):
            try:
                added = channels.add_channel(tenant_id, name, url, created_by=email)
            except AlertError as exc:
                st.error(str(exc))
            else:
                st.success(f"Added {added.name} ({added.service}): {added.url_masked}")
                st.rerun()


def _quiet_hours(tenant_id: uuid.UUID) -> None:
    prefs = delivery.preferences(tenant_id)
    st.subheader("Quiet hours")
    st.caption(
        f"Nothing is sent during quiet hours ({prefs.timezone} time); alerts wait in this inbox and go out "
        "when they end."
    )
    with st.form("quiet_hours"):
        enabled = st.checkbox("Use quiet hours", value=prefs.quiet_start is not None)
        start = st.time_input("From", value=prefs.quiet_start or dt.time(21), step=1800)
        end = st.time_input("Until", value=prefs.quiet_end or dt.time(7), step=1800)
        drop = st.number_input(
            "Alert when the health score falls by at least (points)", 1.0, 50.0, prefs.health_drop_points
        )
        hours = st.number_input(
            "Alert when a source has not loaded for (hours)", 1, 24 * 14, prefs.source_freshness_hours
        )
        if st.form_submit_button("Save"):
            try:
                delivery.set_preferences(
                    tenant_id,
                    quiet_start=start if enabled else None,
                    quiet_end=end if enabled else None,
                    health_drop_points=float(drop),
                    source_freshness_hours=int(hours),
                )
            except AlertError as exc:
                st.error(str(exc))
            else:
                st.success("Saved.")
