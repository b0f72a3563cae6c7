"""Who a request acts for: a Keel personal access token, or an identity provider's bearer token (OIDC).

``Authorization: Bearer keel_pat_...`` is looked up by its SHA-256 (:func:`keel.api_tokens.token_user`).
Any other bearer token is taken for a JWT from the configured identity provider (``KEEL_API_OIDC_ISSUER``,
``..._AUDIENCE``, ``..._JWKS_URL``): its signature is checked against the provider's published keys, its
issuer, audience and expiry are required, and its e-mail claim names the Keel user
(:func:`keel.api_tokens.identity_user`). Its ``scope`` (or ``scp``) claim grants ``read`` / ``write``
(also spelled ``keel:read`` / ``keel:write``).

Every principal is also rate limited (per token, or per identity-provider user); see :mod:`api.limiting`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request, status

from api.limiting import limit_principal
from keel.api_tokens import PAT_MARK, TokenUser, identity_user, token_user
from keel.errors import AuthenticationFailed
from keel.settings import KeelSettings, get_settings

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="keel"'}
_jwks_clients: dict[str, jwt.PyJWKClient] = {}
_jwks_lock = threading.Lock()


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers=CHALLENGE)


def _jwks_client(url: str) -> jwt.PyJWKClient:
    with _jwks_lock:
        client = _jwks_clients.get(url)
        if client is None:
            client = _jwks_clients[url] = jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=10)
        return client


def _scopes_of(claims: dict[str, Any]) -> set[str]:
    raw = claims.get("scope", claims.get("scp", ""))
    words = raw.split() if isinstance(raw, str) else [str(w) for w in raw] if isinstance(raw, list) else []
    return {w.removeprefix("keel:") for w in words}


def identity_provider_user(token: str, settings: KeelSettings) -> TokenUser:
    """The Keel user of a JWT from the configured identity provider; 401 for anything wrong with it."""
    if not (settings.api_oidc_issuer and settings.api_oidc_audience and settings.api_oidc_jwks_url):
        raise _unauthorized("this is not a Keel access token (create one with `keel token create`)")
    try:
        key = _jwks_client(settings.api_oidc_jwks_url).get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            key.key,
            algorithms=["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"],
            audience=settings.api_oidc_audience,
            issuer=settings.api_oidc_issuer,
            options={"require": ["exp", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise _unauthorized("the identity provider's token has expired") from None
    except jwt.PyJWKClientConnectionError:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "the identity provider's keys cannot be fetched right now"
        ) from None
    except jwt.PyJWTError as exc:
        raise _unauthorized(f"the bearer token is not valid: {exc}") from None
    email = claims.get(settings.api_oidc_email_claim)
    if not isinstance(email, str) or not email:
        raise _unauthorized(f"the identity provider's token has no {settings.api_oidc_email_claim} claim")
    try:
        return identity_user(email, _scopes_of(claims))
    except AuthenticationFailed as exc:
        raise _unauthorized(str(exc)) from None


def principal(request: Request) -> TokenUser:
    """The user the request acts for (401 without a valid credential); rate limited per credential."""
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise _unauthorized("sign in: send Authorization: Bearer <your Keel access token>")
    if credential.startswith(PAT_MARK):
        try:
            user = token_user(credential)
        except AuthenticationFailed as exc:
            raise _unauthorized(str(exc)) from None
    else:
        user = identity_provider_user(credential, get_settings())
    limit_principal(user)
    request.state.principal = user
    return user


def needs(scope: str) -> Callable[..., TokenUser]:
    """A dependency: the request's user, refused with 403 when the credential lacks ``scope``."""

    def check(user: Annotated[TokenUser, Depends(principal)]) -> TokenUser:
        if scope not in user.scopes:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"this token may not {'change anything' if scope == 'write' else 'read'}: "
                f"it needs the {scope} scope",
            )
        return user

    return check
