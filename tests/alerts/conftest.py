"""Real protocols on loopback for the alert tests: an SMTP server (aiosmtpd) and an HTTP server (stdlib).

Apprise sends to them exactly as it would to a mail provider, Slack-format webhooks (Mattermost's
incoming webhooks take Slack's payload: ``{"text": ...}``) and generic JSON webhooks; the servers keep
what they received so the tests assert the contents. Paths under ``/fail`` answer 500.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from keel import tenancy
from keel.settings import KeelSettings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox

    def url(self, to: str) -> str:
        # Plain SMTP on loopback (mode=insecure: no TLS); the same mailto:// URL an owner gives.
        return f"mailto://keel:secret-pass@{self.host}:{self.port}?to={to}&from=alerts@keel.example&mode=insecure"


SMTP_LOGIN = (b"keel", b"secret-pass")


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    """The mail server accepts Keel's login only (so a wrong password in a channel URL fails)."""
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == SMTP_LOGIN
    return AuthResult(success=ok)


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(
        mailbox, hostname="127.0.0.1", port=port, auth_require_tls=False, authenticator=_authenticator
    )
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, mailbox)
    finally:
        controller.stop()


@dataclass
class Post:
    path: str
    body: dict[str, Any]


@dataclass
class WebhookServer:
    port: int
    posts: list[Post]

    def posts_to(self, prefix: str) -> list[Post]:
        return [p for p in self.posts if p.path.startswith(prefix)]


@pytest.fixture(scope="session")
def webhook_server() -> Iterator[WebhookServer]:
    posts: list[Post] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path.startswith("/fail"):
                self.send_response(500)
                self.end_headers()
                self.wfile.write(b"internal error")
                return
            posts.append(Post(self.path, json.loads(raw or b"{}")))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield WebhookServer(int(server.server_address[1]), posts)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def new_tenant(settings: KeelSettings) -> Callable[..., tenancy.Tenant]:
    """A fresh tenant per call (its own inbox and channels), made with Keel's tenancy code."""

    def make(*, timezone: str = "UTC", currency: str = "USD") -> tenancy.Tenant:
        slug = f"alerts-{uuid.uuid4().hex[:10]}"
        return tenancy.create_tenant(
            slug, f"Alert Test {slug[-4:]}", industry="cafe", timezone=timezone, currency=currency
        )

    return make


def wait_for(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the loopback server")
        time.sleep(0.05)
