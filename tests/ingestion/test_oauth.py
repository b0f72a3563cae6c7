"""Keel's OAuth 2.0 authorization-code flow (ingestion/sources/oauth.py) against a token endpoint on
127.0.0.1 that speaks RFC 6749 as Intuit does: the consent URL carries client id, scopes, state and the
loopback redirect; the loopback listener returns the code and the extra parameters (realmId) and refuses a
foreign state or a denial; the code is exchanged with HTTP basic client authentication (or in the form);
a refresh rotates the refresh token; a revoked refresh token asks the owner to reconnect."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from ingestion.sources import oauth
from ingestion.sources.connector import ConnectorAuthError

CLIENT = oauth.OAuthClient("client-abc", "secret-xyz")


class TokenEndpoint:
    """A token endpoint: one valid code, refresh tokens that rotate (each works once)."""

    def __init__(self) -> None:
        self.code = "code-1"
        self.refresh = {"refresh-0"}
        self.issued = 0
        self.seen: list[dict[str, Any]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                status, body = endpoint.answer(form, self.headers.get("Authorization"))
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/oauth2/v1/tokens/bearer"

    def answer(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict[str, Any]]:
        self.seen.append({"form": form, "authorization": authorization})
        basic = "Basic " + base64.b64encode(b"client-abc:secret-xyz").decode()
        in_form = form.get("client_id") == "client-abc" and form.get("client_secret") == "secret-xyz"
        if authorization != basic and not in_form:
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") == "authorization_code":
            if form.get("code") != self.code or not form.get("redirect_uri", "").startswith("http://127."):
                return 400, {"error": "invalid_grant"}
            self.code = ""  # a code works once
        elif form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in self.refresh:
                return 400, {"error": "invalid_grant", "error_description": "Token invalid"}
            self.refresh.discard(form["refresh_token"])
        else:
            return 400, {"error": "unsupported_grant_type"}
        self.issued += 1
        self.refresh.add(f"refresh-{self.issued}")
        return 200, {
            "token_type": "bearer",
            "access_token": f"access-{self.issued}",
            "refresh_token": f"refresh-{self.issued}",
            "expires_in": 3600,
            "x_refresh_token_expires_in": 8_726_400,
        }


@pytest.fixture
def endpoint() -> Iterator[TokenEndpoint]:
    made = TokenEndpoint()
    yield made
    made.server.shutdown()
    made.server.server_close()


def provider(endpoint: TokenEndpoint, client_auth: str = "basic") -> oauth.OAuthProvider:
    return oauth.OAuthProvider(
        "QuickBooks",
        "https://appcenter.intuit.com/connect/oauth2",
        endpoint.url,
        ("com.intuit.quickbooks.accounting",),
        client_auth=client_auth,  # type: ignore[arg-type]
    )


def test_consent_url_and_loopback_callback(endpoint: TokenEndpoint) -> None:
    with oauth.CallbackServer("http://127.0.0.1:0/callback") as server:
        state = oauth.new_state()
        url = oauth.authorization_url(provider(endpoint), CLIENT, server.redirect_uri, state)
        query = {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
        assert url.startswith("https://appcenter.intuit.com/connect/oauth2?")
        assert query == {
            "client_id": "client-abc",
            "response_type": "code",
            "scope": "com.intuit.quickbooks.accounting",
            "redirect_uri": server.redirect_uri,
            "state": state,
        }
        # someone else's redirect (another state) is refused; nothing else is taken after it
        answer = requests.get(server.redirect_uri, params={"code": "x", "state": "forged"}, timeout=5)
        assert answer.status_code == 200
        with pytest.raises(oauth.OAuthCallbackError, match="state differs"):
            server.wait(state, timeout=5)

    with oauth.CallbackServer("http://127.0.0.1:0/callback") as server:
        requests.get(f"{server.redirect_uri}?code=code-1&state={state}&realmId=9130", timeout=5)
        granted = server.wait(state, timeout=5)
        assert granted.code == "code-1" and granted.params == {"realmId": "9130"}
        assert "code-1" not in repr(granted)

    with oauth.CallbackServer("http://127.0.0.1:0/callback") as server:
        requests.get(server.redirect_uri, params={"error": "access_denied", "state": state}, timeout=5)
        with pytest.raises(oauth.OAuthCallbackError, match="did not grant access: access_denied"):
            server.wait(state, timeout=5)

    with (
        oauth.CallbackServer("http://127.0.0.1:0/callback") as server,
        pytest.raises(oauth.OAuthCallbackError, match="no answer from the browser"),
    ):
        server.wait(state, timeout=0.2)

    with pytest.raises(ValueError, match="not a loopback redirect"):
        oauth.CallbackServer("https://keel.example.com/callback")


def test_exchange_and_rotating_refresh(endpoint: TokenEndpoint) -> None:
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    tokens = oauth.exchange_code(
        provider(endpoint), CLIENT, "code-1", "http://127.0.0.1:8765/callback", now=now
    )
    assert tokens.access_token == "access-1" and tokens.refresh_token == "refresh-1"
    assert tokens.expires_at == now + timedelta(hours=1)
    assert tokens.refresh_expires_at == now + timedelta(days=101)
    assert endpoint.seen[-1]["authorization"].startswith("Basic ")  # Intuit: client_secret_basic
    assert "client_secret" not in endpoint.seen[-1]["form"]
    assert "access-1" not in repr(tokens) and "refresh-1" not in repr(tokens)
    assert oauth.Tokens.from_secrets(tokens.as_secrets()) == oauth.Tokens(
        "access-1", "refresh-1", tokens.expires_at, tokens.refresh_expires_at
    )
    assert not tokens.expired(now) and tokens.expired(now + timedelta(minutes=59))

    # the code works once
    with pytest.raises(oauth.OAuthError, match="did not accept the approval"):
        oauth.exchange_code(provider(endpoint), CLIENT, "code-1", "http://127.0.0.1:8765/callback")

    rotated = oauth.refresh_tokens(provider(endpoint), CLIENT, tokens.refresh_token)
    assert rotated.access_token == "access-2" and rotated.refresh_token == "refresh-2"
    # the old refresh token no longer works: the owner must reconnect, told in words
    with pytest.raises(ConnectorAuthError, match="Connect QuickBooks again") as refused:
        oauth.refresh_tokens(provider(endpoint), CLIENT, tokens.refresh_token)
    assert "invalid_grant" in str(refused.value) and "refresh-1" not in str(refused.value)

    # client credentials in the form body, for services that want them there
    again = oauth.refresh_tokens(provider(endpoint, "body"), CLIENT, rotated.refresh_token)
    assert again.refresh_token == "refresh-3" and endpoint.seen[-1]["authorization"] is None
    with pytest.raises(ConnectorAuthError, match="invalid_client"):
        oauth.refresh_tokens(provider(endpoint), oauth.OAuthClient("client-abc", "wrong"), "refresh-3")


def test_authorize_runs_the_whole_consent(endpoint: TokenEndpoint) -> None:
    shown: list[str] = []

    def browser(url: str) -> bool:  # the owner approves in the browser: the service redirects back
        query = {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
        redirect = f"{query['redirect_uri']}?code=code-1&state={query['state']}&realmId=4620816365"
        threading.Thread(target=requests.get, args=(redirect,), kwargs={"timeout": 5}, daemon=True).start()
        return True

    tokens, granted = oauth.authorize(
        provider(endpoint), CLIENT, "http://127.0.0.1:0/callback", show_url=shown.append, open_browser=browser
    )
    assert len(shown) == 1 and "state=" in shown[0]
    assert tokens.refresh_token == "refresh-1" and granted.params["realmId"] == "4620816365"
