"""OAuth 2.0 authorization-code flow for a local CLI or console, and token refresh (RFC 6749).

Services such as QuickBooks Online and Salesforce let an owner grant Keel access to their account in the
browser; Keel never sees the owner's password. The flow:

1. :func:`authorization_url` builds the consent URL: client id, scopes, an unguessable ``state`` and the
   redirect ``http://127.0.0.1:<port>/callback`` registered with the service's app;
2. :class:`CallbackServer` listens on that loopback address, receives the browser's redirect, checks
   ``state`` and returns the ``code`` with every other query parameter (QuickBooks adds ``realmId``);
3. :func:`exchange_code` trades the code for tokens, :func:`refresh_tokens` a refresh token for new ones.
   Client authentication is HTTP basic (``client_secret_basic``, which Intuit requires) or in the body
   (``client_secret_post``), per :class:`OAuthProvider`. Some services (QuickBooks) return a new refresh
   token on every refresh and the old one stops working: the caller must store the returned
   :class:`Tokens` at once.

Errors are exceptions with words: a refused refresh (``invalid_grant``: revoked, expired or already
rotated) is :class:`~ingestion.sources.connector.ConnectorAuthError` (the owner must reconnect); anything
else the token endpoint refuses is :class:`OAuthError`; a callback that is missing, denied or carries the
wrong ``state`` is :class:`OAuthCallbackError`. No token, code or secret appears in a message.

Plain ``requests`` over HTTPS; the ``state`` comes from :mod:`secrets`. No crypto of our own.
"""

from __future__ import annotations

import html
import logging
import secrets
import threading
import time
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final, Literal
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from ingestion.sources.connector import Connector, ConnectorAuthError, ConnectorConfigError

log = logging.getLogger(__name__)

#: Seconds before an access token's expiry at which it counts as expired (clock skew, a slow request).
EXPIRY_MARGIN: Final = timedelta(seconds=120)
#: How long :func:`authorize` waits for the owner to finish in the browser.
CALLBACK_TIMEOUT: Final = 300.0
LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost"})


class OAuthError(RuntimeError):
    """The service's authorization server refused a request, or answered something that is not a token."""


class OAuthCallbackError(OAuthError):
    """The browser's redirect brought no usable code: access denied, wrong state, or no answer in time."""


@dataclass(frozen=True)
class OAuthProvider:
    """A service's authorization server: where to send the owner, where to get tokens, how to log in there."""

    title: str  # what an owner calls the service ("QuickBooks")
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    #: ``basic``: client id and secret in an HTTP basic Authorization header (Intuit requires it);
    #: ``body``: as ``client_id`` and ``client_secret`` form fields.
    client_auth: Literal["basic", "body"] = "basic"
    revoke_url: str | None = None
    #: how the revocation request carries the token: ``json`` (``{"token": ...}`` with HTTP basic client
    #: authentication, as Intuit wants) or ``form`` (``token=...`` form-encoded, RFC 7009, as Salesforce)
    revoke_format: Literal["json", "form"] = "json"
    #: extra parameters of the consent URL (``prompt=consent``, ``access_type=offline``...)
    authorize_params: Mapping[str, str] = field(default_factory=dict)
    scope_separator: str = " "


@dataclass(frozen=True)
class OAuthClient:
    """The app registered with the service (client id and secret); one per Keel installation."""

    client_id: str
    client_secret: str = field(repr=False)


@dataclass(frozen=True)
class Tokens:
    """What the token endpoint granted. Never logged: ``repr`` hides the tokens."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None  # when the access token stops working (UTC)
    refresh_expires_at: datetime | None = None  # when the refresh token does (QuickBooks says so)
    token_type: str = "bearer"  # noqa: S105 (the kind of token, not a secret)
    scope: str | None = None
    #: the token answer's other fields (Salesforce's ``instance_url``, ``id``...), never the tokens
    extra: Mapping[str, str] = field(default_factory=dict)

    def expired(self, now: datetime | None = None, margin: timedelta = EXPIRY_MARGIN) -> bool:
        """True when the access token is past (or within ``margin`` of) its expiry; unknown expiry: False."""
        if self.expires_at is None:
            return False
        return (now or datetime.now(UTC)) >= self.expires_at - margin

    def as_secrets(self) -> dict[str, str]:
        """The tokens as a connector's secrets (strings only, stored encrypted)."""
        out = {"access_token": self.access_token}
        if self.refresh_token:
            out["refresh_token"] = self.refresh_token
        if self.expires_at is not None:
            out["access_token_expires_at"] = self.expires_at.isoformat()
        if self.refresh_expires_at is not None:
            out["refresh_token_expires_at"] = self.refresh_expires_at.isoformat()
        return out

    @classmethod
    def from_secrets(cls, stored: Mapping[str, str]) -> Tokens:
        """The tokens a connector stored with :meth:`as_secrets` (an unreadable expiry counts as expired)."""

        def moment(key: str) -> datetime | None:
            value = stored.get(key)
            if not value:
                return None
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                return datetime.min.replace(tzinfo=UTC)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

        return cls(
            access_token=stored.get("access_token", ""),
            refresh_token=stored.get("refresh_token") or None,
            expires_at=moment("access_token_expires_at"),
            refresh_expires_at=moment("refresh_token_expires_at"),
        )


@dataclass(frozen=True)
class Authorization:
    """What the browser's redirect brought: the code, and every other parameter (``realmId``...)."""

    code: str = field(repr=False)
    state: str
    params: Mapping[str, str] = field(default_factory=dict)


def new_state() -> str:
    """An unguessable ``state`` for one consent (binds the callback to this request; CSRF protection)."""
    return secrets.token_urlsafe(32)


def loopback_redirect_uri(port: int, path: str = "/callback", host: str = "127.0.0.1") -> str:
    """``http://127.0.0.1:<port>/callback``."""
    return f"http://{host}:{port}{path}"


def check_loopback(redirect_uri: str, *, any_port: bool = False) -> tuple[str, int, str]:
    """(host, port, path) of a loopback redirect URI; :class:`ValueError` in words for anything else.

    ``any_port``: port 0 (or none) is accepted and means a free port."""
    parts = urlsplit(redirect_uri)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError(
            f"{redirect_uri!r} is not a loopback redirect: Keel receives the consent on this machine, at "
            "http://127.0.0.1:<port>/<path> (or http://localhost:<port>/<path>)"
        )
    try:
        port = parts.port
    except ValueError:
        port = None
    if any_port and not port:
        return parts.hostname, 0, parts.path or "/"
    if port is None or not 0 < port < 65536:
        raise ValueError(f"{redirect_uri!r} has no port: the redirect must name one, e.g. :8765")
    return parts.hostname, port, parts.path or "/"


def authorization_url(
    provider: OAuthProvider,
    client: OAuthClient,
    redirect_uri: str,
    state: str,
    scopes: tuple[str, ...] | None = None,
    **extra: str,
) -> str:
    """The consent URL to open in the owner's browser."""
    params = {
        "client_id": client.client_id,
        "response_type": "code",
        "scope": provider.scope_separator.join(scopes or provider.scopes),
        "redirect_uri": redirect_uri,
        "state": state,
        **provider.authorize_params,
        **extra,
    }
    separator = "&" if urlsplit(provider.authorize_url).query else "?"
    return f"{provider.authorize_url}{separator}{urlencode(params)}"


class CallbackServer:
    """A one-shot HTTP listener on a loopback address that receives the consent's redirect.

    ``with CallbackServer("http://127.0.0.1:8765/callback") as server: ... server.wait(state)``. Port 0
    picks a free port (:attr:`redirect_uri` then names it); a service that checks the redirect against
    the one registered needs the registered port.
    """

    def __init__(self, redirect_uri: str = "http://127.0.0.1:0/callback") -> None:
        self._host, port, self._path = check_loopback(redirect_uri, any_port=True)
        self._received: dict[str, str] | None = None
        self._arrived = threading.Event()
        try:
            self._server = ThreadingHTTPServer((self._host, port), self._handler())
        except OSError as exc:
            raise OAuthCallbackError(
                f"cannot listen for the consent at {redirect_uri}: {exc.strerror or exc}. Another program "
                "uses that port; stop it, or register another redirect port with the service's app"
            ) from None
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="oauth-callback", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def redirect_uri(self) -> str:
        return loopback_redirect_uri(self.port, self._path, self._host)

    def __enter__(self) -> CallbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def wait(self, state: str, timeout: float = CALLBACK_TIMEOUT) -> Authorization:
        """The code of the redirect that carries ``state``; :class:`OAuthCallbackError` otherwise."""
        if not self._arrived.wait(timeout):
            raise OAuthCallbackError(
                f"no answer from the browser within {timeout:.0f} s: open the consent link again and "
                "approve Keel's access"
            )
        received = dict(self._received or {})
        error = received.pop("error", None)
        if error is not None:
            why = received.get("error_description") or error
            raise OAuthCallbackError(f"the service did not grant access: {why}")
        if not secrets.compare_digest(received.get("state", ""), state):
            raise OAuthCallbackError(
                "the consent answer does not belong to this request (its state differs); start again"
            )
        code = received.pop("code", "")
        if not code:
            raise OAuthCallbackError("the consent answer carries no authorization code; start again")
        return Authorization(code=code, state=received.pop("state"), params=received)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != server._path or server._arrived.is_set():
                    self._reply(404, "Nothing here.")
                    return
                server._received = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                server._arrived.set()
                if "error" in server._received:
                    self._reply(200, "Access was not granted. You can close this tab and try again.")
                else:
                    self._reply(200, "Keel received your approval. You can close this tab.")

            def _reply(self, status: int, text: str) -> None:
                body = f"<!doctype html><title>Keel</title><p>{html.escape(text)}</p>".encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the query string holds the code: never log it

        return Handler


def _token_request(
    provider: OAuthProvider,
    client: OAuthClient,
    form: dict[str, str],
    *,
    session: requests.Session | None,
    timeout: float,
) -> tuple[int, dict[str, Any]]:
    auth = None
    if provider.client_auth == "basic":
        auth = requests.auth.HTTPBasicAuth(client.client_id, client.client_secret)
    else:
        form = {**form, "client_id": client.client_id, "client_secret": client.client_secret}
    http = session or requests.Session()
    try:
        response = http.post(
            provider.token_url,
            data=form,
            auth=auth,
            headers={"Accept": "application/json"},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise OAuthError(
            f"{provider.title}'s sign-in service cannot be reached ({type(exc).__name__}); try again later"
        ) from None
    try:
        document = response.json()
    except ValueError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    return response.status_code, document


def _tokens(provider: OAuthProvider, document: dict[str, Any], now: datetime | None) -> Tokens:
    access = document.get("access_token")
    if not isinstance(access, str) or not access:
        raise OAuthError(f"{provider.title}'s sign-in service answered without an access token")
    moment = now or datetime.now(UTC)

    def after(key: str) -> datetime | None:
        seconds = document.get(key)
        try:
            return moment + timedelta(seconds=float(seconds)) if seconds is not None else None
        except (TypeError, ValueError):
            return None

    refresh = document.get("refresh_token")
    hidden = {"access_token", "refresh_token", "id_token", "expires_in", "x_refresh_token_expires_in"}
    return Tokens(
        access_token=access,
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        expires_at=after("expires_in"),
        refresh_expires_at=after("x_refresh_token_expires_in") or after("refresh_token_expires_in"),
        token_type=str(document.get("token_type") or "bearer"),
        scope=str(document["scope"]) if document.get("scope") else None,
        extra={k: str(v) for k, v in document.items() if k not in hidden and v is not None},
    )


def _refusal(document: dict[str, Any], status: int) -> str:
    error = document.get("error") or f"HTTP {status}"
    description = document.get("error_description")
    return f"{error}: {description}" if description else str(error)


def exchange_code(
    provider: OAuthProvider,
    client: OAuthClient,
    code: str,
    redirect_uri: str,
    *,
    session: requests.Session | None = None,
    timeout: float = 30.0,
    now: datetime | None = None,
) -> Tokens:
    """Trade an authorization code for tokens (the code works once, for a few minutes)."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    status, document = _token_request(provider, client, form, session=session, timeout=timeout)
    if status != 200:
        raise OAuthError(
            f"{provider.title} did not accept the approval ({_refusal(document, status)}); start the "
            "connection again (an approval can be used once, within minutes)"
        )
    return _tokens(provider, document, now)


def refresh_tokens(
    provider: OAuthProvider,
    client: OAuthClient,
    refresh_token: str | None,
    *,
    session: requests.Session | None = None,
    timeout: float = 30.0,
    now: datetime | None = None,
) -> Tokens:
    """New tokens for a refresh token. When the answer carries no new refresh token, the old one stays.

    ``invalid_grant`` (revoked, expired or already rotated) and a refused client raise
    :class:`ConnectorAuthError`: the owner must connect the service again.
    """
    if not refresh_token:
        raise ConnectorAuthError(
            f"Keel holds no {provider.title} refresh token; connect {provider.title} again"
        )
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    status, document = _token_request(provider, client, form, session=session, timeout=timeout)
    if status != 200:
        error = document.get("error")
        if error in ("invalid_grant", "invalid_client", "unauthorized_client") or status == 401:
            raise ConnectorAuthError(
                f"{provider.title} no longer accepts Keel's authorization ({_refusal(document, status)}): "
                f"it was revoked or has expired. Connect {provider.title} again."
            )
        raise OAuthError(f"{provider.title} refused to refresh the access ({_refusal(document, status)})")
    tokens = _tokens(provider, document, now)
    if tokens.refresh_token is None:
        tokens = Tokens(
            tokens.access_token,
            refresh_token,
            tokens.expires_at,
            tokens.refresh_expires_at,
            tokens.token_type,
            tokens.scope,
            tokens.extra,
        )
    return tokens


def revoke(
    provider: OAuthProvider,
    client: OAuthClient,
    token: str,
    *,
    session: requests.Session | None = None,
    timeout: float = 30.0,
) -> bool:
    """Ask the service to revoke a token (RFC 7009); True when it said yes. No revoke URL: False."""
    if not provider.revoke_url:
        return False
    http = session or requests.Session()
    try:
        if provider.revoke_format == "form":
            response = http.post(provider.revoke_url, data={"token": token}, timeout=timeout)
        else:
            response = http.post(
                provider.revoke_url,
                json={"token": token},
                auth=requests.auth.HTTPBasicAuth(client.client_id, client.client_secret),
                headers={"Accept": "application/json"},
                timeout=timeout,
            )
    except requests.RequestException:
        return False
    return response.status_code == 200


def open_in_browser(url: str) -> bool:
    """Open ``url`` in the owner's browser when there is one; False when none could be started."""
    try:
        return webbrowser.open(url, new=2)
    except webbrowser.Error:
        return False


def authorize(
    provider: OAuthProvider,
    client: OAuthClient,
    redirect_uri: str,
    *,
    show_url: Callable[[str], None],
    open_browser: Callable[[str], bool] | None = open_in_browser,
    timeout: float = CALLBACK_TIMEOUT,
    session: requests.Session | None = None,
    scopes: tuple[str, ...] | None = None,
) -> tuple[Tokens, Authorization]:
    """The whole consent: listen on ``redirect_uri``, show (and open) the consent URL, wait for the
    redirect, exchange its code. Returns the tokens and the redirect's other parameters."""
    state = new_state()
    with CallbackServer(redirect_uri) as server:
        url = authorization_url(provider, client, server.redirect_uri, state, scopes)
        show_url(url)
        if open_browser is not None:
            open_browser(url)
        started = time.monotonic()
        granted = server.wait(state, timeout)
        log.info("%s consent received after %.0f s", provider.title, time.monotonic() - started)
        tokens = exchange_code(provider, client, granted.code, server.redirect_uri, session=session)
    return tokens, granted


class PendingConsent:
    """A consent started from the console: the loopback listener runs in a thread while the owner approves
    in another tab; when the browser comes back, the code is exchanged and ``on_granted`` hears the tokens
    and the redirect's parameters (it stores them). :attr:`state` says how it went.

    The listener is on the console's machine: this works where the owner's browser runs on that machine
    too (a local install). Elsewhere, ``keel source add`` on the owner's machine does the same.
    """

    def __init__(
        self,
        provider: OAuthProvider,
        client: OAuthClient,
        redirect_uri: str,
        on_granted: Callable[[Tokens, Authorization], None],
        *,
        timeout: float = CALLBACK_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        self._state = new_state()
        self._server = CallbackServer(redirect_uri).__enter__()  # listening before the link is shown
        self.url = authorization_url(provider, client, self._server.redirect_uri, self._state)
        self.error: str | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(
            target=self._run,
            args=(provider, client, on_granted, timeout, session),
            name="oauth-consent",
            daemon=True,
        )
        self._thread.start()

    @property
    def state(self) -> Literal["waiting", "connected", "failed"]:
        if not self._done.is_set():
            return "waiting"
        return "failed" if self.error is not None else "connected"

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the consent is over (True) or ``timeout`` passed (False)."""
        return self._done.wait(timeout)

    def cancel(self) -> None:
        """Stop listening (the owner gave up, or started again)."""
        if not self._done.is_set():
            self.error = "cancelled"
        self._server.close()

    def _run(
        self,
        provider: OAuthProvider,
        client: OAuthClient,
        on_granted: Callable[[Tokens, Authorization], None],
        timeout: float,
        session: requests.Session | None,
    ) -> None:
        try:
            granted = self._server.wait(self._state, timeout)
            tokens = exchange_code(provider, client, granted.code, self._server.redirect_uri, session=session)
            on_granted(tokens, granted)
        except Exception as exc:  # told to the owner on the page, in words
            self.error = str(exc) or type(exc).__name__
            log.warning("%s consent failed: %s", provider.title, self.error)
        finally:
            self._server.close()
            self._done.set()


# -- A connector's consent, the same for the command line and the console ---------------------------------


def _consent_of(connector: Connector) -> Any:
    if connector.consent is None:
        raise ConnectorConfigError(f"{connector.title} is not connected by approving Keel in the browser")
    return connector.consent


def connect_in_browser(
    connector: Connector,
    given: Mapping[str, Any],
    typed: Mapping[str, str],
    *,
    show_url: Callable[[str], None],
    open_browser: Callable[[str], bool] | None = open_in_browser,
    timeout: float = CALLBACK_TIMEOUT,
) -> tuple[Any, dict[str, str]]:
    """Run ``connector``'s consent for an owner at this machine (``keel source add``): listen on the app's
    loopback address, show (and open) the consent page, wait for the approval, exchange it. Returns the
    validated settings (``given`` with what the consent brought) and the secrets to store encrypted."""
    app = _consent_of(connector).app(given, typed)
    tokens, granted = authorize(
        app.provider,
        app.client,
        app.redirect_uri,
        show_url=show_url,
        open_browser=open_browser,
        timeout=timeout,
        session=app.session,
    )
    return connector.from_consent(given, typed, tokens, granted.params)


def start_consent(
    connector: Connector,
    given: Mapping[str, Any],
    typed: Mapping[str, str],
    on_connected: Callable[[Any, dict[str, str]], None],
    *,
    timeout: float = CALLBACK_TIMEOUT,
) -> PendingConsent:
    """The same consent started from the console: listening at once, the link in
    :attr:`PendingConsent.url`; once approved, ``on_connected`` hears the validated settings and the secrets
    (it stores them). :class:`ConnectorConfigError` when the app's keys or the owner's settings are not
    usable, before anything listens."""
    app = _consent_of(connector).app(given, typed)
    kept_given, kept_typed = dict(given), dict(typed)  # held by the listener thread only, not the page

    def granted(tokens: Tokens, authorization: Authorization) -> None:
        on_connected(*connector.from_consent(kept_given, kept_typed, tokens, authorization.params))

    return PendingConsent(
        app.provider, app.client, app.redirect_uri, granted, timeout=timeout, session=app.session
    )
