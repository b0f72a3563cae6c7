"""OAuth2/OIDC bearer tokens: a JWT signed by the configured identity provider (a locally generated key whose
JWKS is served on 127.0.0.1) acts for the Keel user its e-mail claim names; anything else is refused.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from keel.settings import get_settings
from tests.api.conftest import Tokens, client

ISSUER = "https://id.example.test/"
AUDIENCE = "keel-api"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def identity_provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[rsa.RSAPrivateKey]:
    """A JWKS document on 127.0.0.1 and the API configured to trust it; yields the signing key."""
    key = new_key()
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    document = json.dumps({"keys": [{**jwk, "kid": "test-key", "use": "sig", "alg": "RS256"}]}).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("KEEL_API_OIDC_ISSUER", ISSUER)
    monkeypatch.setenv("KEEL_API_OIDC_AUDIENCE", AUDIENCE)
    monkeypatch.setenv("KEEL_API_OIDC_JWKS_URL", f"http://127.0.0.1:{server.server_address[1]}/jwks.json")
    get_settings.cache_clear()
    yield key
    server.shutdown()
    server.server_close()
    monkeypatch.undo()
    get_settings.cache_clear()


def bearer(key: rsa.RSAPrivateKey, email: str, scope: str = "keel:read", **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u-1", "email": email, "scope": scope}
    payload |= {"iat": now, "exp": now + 300} | claims
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": "test-key"})


def test_identity_provider_tokens(api_url: str, tokens: Tokens, identity_provider: rsa.RSAPrivateKey) -> None:
    key = identity_provider
    with client(api_url, bearer(key, tokens.cafe_email)) as api:
        me = api.get("/v1/tenant")
        assert me.status_code == 200, me.text
        assert me.json()["tenant_id"] == str(tokens.cafe_id) and me.json()["scopes"] == ["read"]
        assert api.post("/v1/interventions", json={}).status_code == 403  # read scope only

    refused = {
        "wrong audience": bearer(key, tokens.cafe_email, aud="someone-else"),
        "wrong issuer": bearer(key, tokens.cafe_email, iss="https://evil.example.test/"),
        "expired": bearer(key, tokens.cafe_email, exp=int(time.time()) - 60),
        "another key": bearer(new_key(), tokens.cafe_email),
        "unknown user": bearer(key, "nobody@example.com"),
        "no e-mail": bearer(key, ""),
        "not a jwt": "abc.def.ghi",
    }
    for why, token in refused.items():
        with client(api_url, token) as api:
            response = api.get("/v1/tenant")
        assert response.status_code == 401, (why, response.text)


def test_identity_provider_is_off_unless_configured(api_url: str, tokens: Tokens) -> None:
    key = new_key()
    with client(api_url, bearer(key, tokens.cafe_email)) as api:
        response = api.get("/v1/tenant")
    assert response.status_code == 401 and "not a Keel access token" in response.json()["detail"]
