"""The "Your data" page: where the business's numbers come from, how the last loads went, who signs in.

- Connected services in plain words ("Shopify (main shop): last loaded 2 hours ago: 1,204 orders new or
  changed; 3 records set aside"), from ``app.source_loads`` through :mod:`app.data`. A service that refused
  its stored credentials says so and asks for new ones.
- A form to connect a service: its fields come from the connector's settings model, its secrets are
  password inputs, and everything is saved by :func:`keel.tenancy.save_data_source` (secrets encrypted),
  the same function ``keel source add`` uses. Only owners connect services and add people.
- The people who sign in, and a form to add one with a one-time password shown once.
- The signed-in user's API tokens (:mod:`app.api_tokens`): create one (shown once), see, revoke.

Every other page, when it has nothing to show yet, says so with :func:`show_empty` and links here.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import streamlit as st
from babel.dates import format_timedelta

from app import api_tokens
from app.data import cached
from app.session import require_user
from keel import tenancy
from keel.errors import KeelError
from keel.tenancy import SignedInUser

TITLE = "Your data"
CONNECT_HINT = "connect your shop or payment account, or upload a spreadsheet, on the Your data page"
#: Set when a connection is saved or a user added: shown once on the next run, then forgotten.
NOTICE_KEY = "keel_your_data_notice"


def page() -> Any:
    """The page for ``st.navigation`` and ``st.page_link`` (made in each script run, as Streamlit wants)."""
    return st.Page(render, title=TITLE, icon=":material/database:", url_path="your-data")


def show_empty(subject: str, user: SignedInUser, when_loaded: str | None = None) -> None:
    """A page with nothing to show yet: what is missing, in plain words, and the way to Your data.

    ``when_loaded``: what the page still waits for once the business's data is in (default: the build).
    """
    try:
        loaded = cached.has_loaded_data(user)
    except KeelError:
        loaded = False
    if loaded:
        st.info(
            f"No {subject} yet. Your data is in Keel; "
            + (when_loaded or f"the {subject} appear after its next nightly build.")
        )
    else:
        st.info(f"No {subject} yet: Keel has no data of your business. To start, {CONNECT_HINT}.")
    st.page_link(page(), label="Go to Your data", icon=":material/database:")


def ago(moment: datetime, now: datetime | None = None) -> str:
    return format_timedelta(moment - (now or datetime.now(UTC)), add_direction=True, locale="en")


def _plain_error(error: str | None) -> str:
    """``ConnectorAuthError: 401 ...`` -> ``401 ...``: the service's words, not a class name."""
    text = (error or "unknown error").strip()
    head, sep, rest = text.partition(": ")
    return rest if sep and head.isidentifier() else text


def _titles() -> dict[str, str]:
    from ingestion.sources import connectors

    try:
        return {source: c.title for source, c in connectors().items()}
    except Exception:  # a broken connector package must not take the page down
        return {}


def _consent_sources() -> frozenset[str]:
    """Sources whose owner reconnects by approving Keel again at the service (OAuth), not with a form."""
    from ingestion.sources import connectors

    try:
        return frozenset(source for source, c in connectors().items() if c.consent is not None)
    except Exception:  # a broken connector package must not take the page down
        return frozenset()


def _other_ways(data_sources: list[Any]) -> dict[tuple[str, str], str]:
    """Connections of a consent source that sign in without the browser (a Salesforce server-to-server
    connection), by (source, connection name): what the page calls that way."""
    from ingestion.sources import connectors

    try:
        available = connectors()
    except Exception:  # a broken connector package must not take the page down
        return {}
    ways: dict[tuple[str, str], str] = {}
    for connection in data_sources:
        consent = getattr(available.get(connection.source_type), "consent", None)
        if consent is not None and consent.other_way is not None and not consent.applies(connection.config):
            ways[(connection.source_type, connection.name)] = consent.other_way[0]
    return ways


def source_sentences(
    statuses: list[Any],
    titles: dict[str, str],
    now: datetime | None = None,
    consent_sources: frozenset[str] = frozenset(),
    other_ways: Mapping[tuple[str, str], str] | None = None,
) -> list[tuple[str, str]]:
    """One (kind, sentence) per source: kind is ``ok``, ``failed`` or ``reconnect``. ``consent_sources``:
    sources reconnected by approving Keel again at the service (QuickBooks) rather than in the form;
    ``other_ways``: their connections that sign in another way (:func:`_other_ways`), which are
    reconnected in that way's form."""
    other_ways = other_ways or {}
    groups: dict[tuple[str, str | None, str], list[Any]] = defaultdict(list)
    for status in statuses:
        groups[(status.source, status.source_name, status.provider)].append(status)
    sentences = []
    for (source, name, provider), loads in sorted(
        groups.items(), key=lambda g: (g[0][0], g[0][2] != "connector", g[0][1] or "")
    ):
        title = titles.get(source, source.replace("_", " ").title())
        label = f"{title} ({name})" if name and name != source else title
        if provider == "demo":
            label = f"Demo data from {title}"
        elif provider == "file":
            label = f"{title} from uploaded files"
        latest = max(load.finished_at for load in loads)
        if any(load.needs_reconnect for load in loads):
            other_way = other_ways.get((source, name or source))
            if other_way is not None:
                what_to_do = f"Choose {title} below, then “{other_way}”, and enter new ones."
            elif source in consent_sources:
                what_to_do = f"Choose {title} below and approve Keel again with Connect {title}."
            else:
                what_to_do = "Enter new ones in the form below."
            sentences.append(
                (
                    "reconnect",
                    f"{label} needs reconnecting: {title} refused the saved credentials "
                    f"({_plain_error(next(x.error for x in loads if x.needs_reconnect))}). {what_to_do}",
                )
            )
            continue
        failed = [load for load in loads if load.error]
        if failed:
            sentences.append(
                (
                    "failed",
                    f"{label}: the last load {ago(latest, now)} failed: {_plain_error(failed[0].error)}. "
                    "Keel tries again with its next load.",
                )
            )
            continue
        counts = [
            f"{load.rows:,} {load.resource.replace('_', ' ')}"
            for load in sorted(loads, key=lambda x: -x.rows)
            if load.rows
        ]
        rejected = sum(load.rejected for load in loads)
        what = ", ".join(counts) + " new or changed" if counts else "nothing new"
        aside = f"; {rejected:,} records set aside" if rejected else ""
        sentences.append(("ok", f"{label}: last loaded {ago(latest, now)}: {what}{aside}."))
    return sentences


def render() -> None:
    user = require_user()
    st.title(TITLE)
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.success(notice)
    try:
        sources = cached.data_sources(user)
        statuses = cached.source_statuses(user)
        people = cached.users(user)
    except KeelError as exc:
        st.error(f"Your data cannot be shown right now: {exc.what}.")
        return
    me = next((person for person in people if person.user_id == user.user_id), None)
    is_owner = me is not None and me.role == "owner"
    titles = _titles()

    st.subheader("Where your numbers come from")
    sentences = source_sentences(
        statuses, titles, consent_sources=_consent_sources(), other_ways=_other_ways(sources)
    )
    loaded_sources = {s.source_name for s in statuses}
    for source in sources:
        if source.name not in loaded_sources:
            title = titles.get(source.source_type, source.source_type.title())
            sentences.append(("ok", f"{title} ({source.name}): connected, not loaded yet."))
    if not sentences:
        st.info(
            "Nothing is connected yet. Connect your shop (Shopify) or your payments (Stripe) below, or "
            "upload a spreadsheet of your sales, and Keel builds your numbers from it."
        )
    for kind, sentence in sentences:
        if kind == "reconnect":
            st.error(sentence)
        elif kind == "failed":
            st.warning(sentence)
        else:
            st.markdown(sentence)
    try:
        problems = cached.data_quality(user)
    except KeelError:
        problems = []
    for problem in problems:  # the latest data-quality checks (ingestion.quality), in words
        st.warning(f"{problem[0].upper()}{problem[1:]}.")

    if is_owner and sources:
        _disconnect_form(user, sources, titles)

    st.subheader("Connect a service")
    if is_owner:
        _connect_form(user, titles)
    else:
        st.caption("The business's owner connects services.")

    st.subheader("Files (CSV and Excel)")
    st.markdown(
        "Keep your numbers in a spreadsheet? Upload orders, customers, products, expenses, invoices, "
        "payments, staff hours or marketing spend as CSV or Excel on **Upload data**."
    )
    st.page_link(_upload_page(), label="Upload data", icon=":material/upload_file:")

    st.subheader("People who sign in")
    st.dataframe(
        [
            {
                "E-mail": person.email,
                "Role": person.role,
                "Last signed in": ago(person.last_login_at) if person.last_login_at else "never",
            }
            for person in people
        ],
        hide_index=True,
    )
    if is_owner:
        _add_user_form(user)

    api_tokens.render_section(user)


def _connect_form(user: SignedInUser, titles: dict[str, str]) -> None:
    from ingestion.sources import connectors

    try:
        available = connectors()
    except Exception:
        available = {}
    if not available:
        st.caption("No service connectors are installed in this Keel yet.")
        return
    source = st.selectbox(
        "Service", sorted(available), format_func=lambda s: titles.get(s, s), key="connect_source"
    )
    connector = available[source]
    consent = connector.consent
    fixed: dict[str, str] = {}  # settings the chosen way sets (Salesforce's server-to-server flow)
    secret_fields = connector.secret_fields
    if consent is not None:
        ways = [f"Approve Keel at {connector.title}"]
        if consent.other_way is not None:
            ways.append(consent.other_way[0])
        way = st.radio("How Keel signs in", ways, key=f"connect_{source}_way") if len(ways) > 1 else ways[0]
        if way == ways[0]:
            _consent_connect(user, connector)
            return
        assert consent.other_way is not None
        fixed = dict(consent.other_way[1])
        # the other way needs none of the secrets the consent would grant or its app's secret
        secret_fields = tuple(
            f for f in connector.secret_fields if f not in (*consent.grants, *consent.asked_secrets)
        )
    with st.form(f"connect_{source}", clear_on_submit=True):
        name = st.text_input("Name for this connection", value=source, key=f"connect_{source}_name")
        config = _settings_inputs(
            connector, [f for f in connector.config_model.model_fields if f not in fixed]
        )
        secret_values: dict[str, str] = {}
        for field in secret_fields:
            secret_values[field] = st.text_input(
                field.replace("_", " ").capitalize(), type="password", key=f"connect_{source}_secret_{field}"
            )
        submitted = st.form_submit_button(f"Connect {connector.title}", type="primary")
    if not submitted:
        return
    try:
        settings = connector.parse_config({**{k: v for k, v in config.items() if v.strip()}, **fixed})
    except ValueError as exc:
        st.error(str(exc))
        return
    # a connector whose sign-in flows differ (Salesforce) needs only the secrets of the chosen flow
    needed = connector.secrets_for(settings)
    missing = [f.replace("_", " ") for f in needed if not secret_values.get(f, "").strip()]
    if missing:
        st.error(f"{connector.title} needs your {', '.join(missing)}.")
        return
    secret_values = {k: v for k, v in secret_values.items() if v.strip()}
    try:
        tenancy.save_data_source(
            user.tenant_id, source, name.strip() or source, settings.model_dump(mode="json"), secret_values
        )
    except (ValueError, KeelError) as exc:
        st.error(str(exc))
        return
    # The typed secret must not live on in the session: forget the form's values.
    for key in [k for k in st.session_state if str(k).startswith(f"connect_{source}_")]:
        del st.session_state[key]
    st.session_state[NOTICE_KEY] = f"{connector.title} is connected. Its data comes in with Keel's next load."
    st.rerun()


def _settings_inputs(connector: Any, names: list[str]) -> dict[str, str]:
    """Text inputs for the connector's settings ``names``: what the owner must fill in first; settings
    with a default (API version, timeouts, a test server's address) stay folded away."""
    source = connector.source
    fields = connector.config_model.model_fields
    config: dict[str, str] = {}
    required = [f for f in names if fields[f].is_required()]
    optional = [f for f in names if not fields[f].is_required()]
    for field in required:
        info = fields[field]
        label = info.title or field.replace("_", " ").capitalize()
        config[field] = st.text_input(label, help=info.description, key=f"connect_{source}_{field}")
    if optional:
        with st.expander("More settings (optional)"):
            for field in optional:
                info = fields[field]
                label = info.title or field.replace("_", " ").capitalize()
                config[field] = st.text_input(label, help=info.description, key=f"connect_{source}_{field}")
    return config


#: The consent in progress per (tenant, source), kept across reruns of the page.
CONSENT_KEY = "keel_your_data_consent"


def _consent_connect(user: SignedInUser, connector: Any) -> None:
    """Connect a service whose owner approves Keel in the browser (OAuth 2.0, the connector's ``Consent``:
    QuickBooks, Salesforce): the settings and secrets the consent asks for (none for QuickBooks; the
    connected app's consumer key and secret for Salesforce), then a button that starts a listener for the
    service's answer on this machine and shows the link to the service's consent page; when the owner has
    approved, the settings and tokens are stored, encrypted (:func:`keel.tenancy.save_data_source`)."""
    from ingestion.sources import oauth
    from ingestion.sources.connector import ConnectorConfigError

    title = connector.title
    consent = connector.consent
    source = connector.source
    key = f"{CONSENT_KEY}_{source}"
    pending: oauth.PendingConsent | None = st.session_state.get(key)
    st.markdown(
        f"Keel asks {title} for read access to your data: you sign in at {title} and approve, and "
        f"{title} sends you back here. Keel never sees your {title} password."
    )
    if pending is not None and pending.state == "connected":
        del st.session_state[key]
        st.session_state[NOTICE_KEY] = f"{title} is connected. Its data comes in with Keel's next load."
        st.rerun()
    if pending is not None and pending.state == "failed":
        del st.session_state[key]
        st.error(f"{title} was not connected: {pending.error}.")
        pending = None
    if pending is not None:
        st.link_button(f"Open {title} to approve Keel", pending.url, type="primary")
        st.caption(f"Waiting for {title}'s answer. Once you have approved, check again below.")
        col_check, col_cancel = st.columns(2)
        if col_check.button("Check the connection", key=f"{key}_check"):
            pending.wait(2.0)
            st.rerun()
        if col_cancel.button("Cancel", key=f"{key}_cancel"):
            pending.cancel()
            del st.session_state[key]
            st.rerun()
        return
    if consent.asked_config or consent.asked_secrets:
        with st.form(f"connect_{source}_consent", clear_on_submit=True):
            config = _settings_inputs(connector, list(consent.asked_config))
            typed = {
                field: st.text_input(
                    field.replace("_", " ").capitalize(),
                    type="password",
                    key=f"connect_{source}_secret_{field}",
                )
                for field in consent.asked_secrets
            }
            started = st.form_submit_button(f"Connect {title}", type="primary")
    else:
        config, typed = {}, {}
        started = st.button(f"Connect {title}", type="primary", key=f"{key}_start")
    if not started:
        return
    given = {k: v.strip() for k, v in config.items() if v.strip()}
    typed = {k: v.strip() for k, v in typed.items() if v.strip()}
    missing = [f.replace("_", " ") for f in consent.asked_secrets if f not in typed]
    if missing:
        st.error(f"{title} needs your {', '.join(missing)}.")
        return
    tenant_id = user.tenant_id

    def store(settings: Any, secrets: dict[str, str]) -> None:
        tenancy.save_data_source(tenant_id, source, source, settings.model_dump(mode="json"), secrets)

    try:
        st.session_state[key] = oauth.start_consent(connector, given, typed, store)
    except (ConnectorConfigError, oauth.OAuthError) as exc:
        st.error(f"{title} cannot be connected from here yet: {exc}.")
        return
    # the typed secret must not live on in the session: the listener thread holds it until the approval
    for field in [k for k in st.session_state if str(k).startswith(f"connect_{source}_secret_")]:
        del st.session_state[field]
    st.rerun()


def _add_user_form(user: SignedInUser) -> None:
    with st.form("add_user", clear_on_submit=True):
        email = st.text_input("E-mail of the person to add", key="add_user_email")
        role = st.selectbox("Role", tenancy.USER_ROLES, index=1, key="add_user_role")
        submitted = st.form_submit_button("Add person")
    if not submitted:
        return
    password = secrets.token_urlsafe(12)
    try:
        tenancy.create_user(user.tenant_id, email, password, role=role)
    except KeelError as exc:
        st.error(str(exc))
        return
    st.session_state[NOTICE_KEY] = (
        f"{email.strip().lower()} can sign in now with this one-time password, shown only once: {password}"
    )
    st.rerun()


def _upload_page() -> Any:
    from app import upload

    return st.Page(upload.render, title="Upload data", icon=":material/upload_file:", url_path="upload")


def _disconnect_form(user: SignedInUser, sources: Any, titles: dict[str, str]) -> None:
    """Disconnect a service: Keel forgets its settings and credentials; what it loaded stays."""
    with st.expander("Disconnect a service"):
        labels = {f"{titles.get(s.source_type, s.source_type.title())} ({s.name})": s for s in sources}
        choice = st.selectbox("Service", sorted(labels), key="disconnect_choice")
        st.caption(
            "Keel forgets the connection's settings and credentials; the numbers it already loaded stay. "
            "Revoke the key or app on the service's side too."
        )
        if st.button("Disconnect", key="disconnect_button"):
            source = labels[choice]
            tenancy.remove_data_source(user.tenant_id, source.source_type, source.name)
            st.session_state[NOTICE_KEY] = f"{choice} is disconnected."
            st.rerun()
