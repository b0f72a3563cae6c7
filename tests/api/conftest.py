"""The API served by uvicorn on 127.0.0.1 in this process, and tokens of demo owners to call it with.

The server is the real application (``api.main.create_app``) behind a real HTTP socket; the tests call it
with httpx. Tokens are made with Keel's own token code for the owners of two businesses of the shared
demo warehouse (a cafe and a subscription company); an expired one is moved into the past as the
administrator. Every token row is deleted again after the module.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn

from api.limiting import reset_limits
from api.main import create_app
from ingestion.demo_load import demo_owner_email
from keel import api_tokens, tenancy, warehouse
from keel.settings import KeelSettings

CAFE = "bluebird-coffee"
OTHER = "formwise"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def api_url() -> Iterator[str]:
    """The API on 127.0.0.1 (uvicorn in a thread of this process), until the session ends."""
    port = free_port()
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning", workers=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "the API did not start within 60 s"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@dataclass(frozen=True)
class Tokens:
    cafe_id: uuid.UUID
    other_id: uuid.UUID
    cafe_email: str
    read_write: str
    read_only: str
    revoked: str
    expired: str
    other_tenant: str


def _create(slug: str, name: str, scopes: tuple[str, ...]) -> tuple[api_tokens.ApiToken, str]:
    tenant = tenancy.require_tenant(slug)
    return api_tokens.create_token(tenant.tenant_id, demo_owner_email(slug), f"test-api {name}", scopes)


@pytest.fixture
def tokens(demo_warehouse: KeelSettings) -> Iterator[Tokens]:
    """Tokens of the cafe's owner (read+write, read, revoked, expired) and of another business's owner."""
    reset_limits()
    cafe = tenancy.require_tenant(CAFE)
    other = tenancy.require_tenant(OTHER)
    _, read_write = _create(CAFE, "read-write", ("read", "write"))
    _, read_only = _create(CAFE, "read-only", ("read",))
    revoked_token, revoked = _create(CAFE, "revoked", ("read", "write"))
    assert api_tokens.revoke_token(cafe.tenant_id, revoked_token.token_id, actor="test")
    expired_token, expired = _create(CAFE, "expired", ("read", "write"))
    with warehouse.connect("admin") as conn:
        conn.execute(
            "update app.api_tokens set created_at = now() - interval '2 days', "
            "expires_at = now() - interval '1 day' where token_id = %s",
            (expired_token.token_id,),
        )
    _, other_tenant = _create(OTHER, "other", ("read", "write"))
    try:
        yield Tokens(
            cafe.tenant_id,
            other.tenant_id,
            demo_owner_email(CAFE),
            read_write,
            read_only,
            revoked,
            expired,
            other_tenant,
        )
    finally:
        with warehouse.connect("admin") as conn:
            conn.execute("delete from app.api_tokens where name like 'test-api %'")
        reset_limits()


def client(url: str, token: str | None = None, **headers: str) -> httpx.Client:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=url, headers=headers, timeout=60)
