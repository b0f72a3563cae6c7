"""Loopback language-model servers: real HTTP on 127.0.0.1 speaking the OpenAI chat-completions and the
Anthropic messages protocols, tool calls included, scripted per test.

A script is a list of steps, one per request the client makes: a :class:`Reply` (text, tool calls, or
both) or a function of the :class:`Exchange` (the request as received) that returns one. The server keeps
every exchange so a test can assert what the client sent (headers, tool results, quoted data).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Protocol = Literal["openai", "anthropic"]


@dataclass
class Call:
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass
class Reply:
    text: str | None = None
    calls: list[Call] = field(default_factory=list)


@dataclass
class Exchange:
    """One request as the fake received it, in both protocols' terms."""

    protocol: Protocol
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def tool_results(self) -> list[str]:
        """The contents of the tool results the client sent back, oldest first."""
        found: list[str] = []
        for message in self.body.get("messages", []):
            content = message.get("content")
            if self.protocol == "openai" and message.get("role") == "tool":
                found.append(_text(content))
            elif self.protocol == "anthropic" and isinstance(content, list):
                found.extend(_text(b.get("content")) for b in content if b.get("type") == "tool_result")
        return found

    @property
    def tool_names(self) -> list[str]:
        tools = self.body.get("tools", [])
        if self.protocol == "openai":
            return [t["function"]["name"] for t in tools]
        return [t["name"] for t in tools]

    def last_data(self) -> dict[str, Any]:
        """The JSON payload of the latest quoted data (a tool result, or data quoted in a user message)."""
        texts = [*self.tool_results, *(_text(m.get("content")) for m in self.body.get("messages", []))]
        for text in reversed(texts):
            lines = text.splitlines()
            for index, line in enumerate(lines[:-1]):
                if line.startswith("DATA from"):
                    return dict(json.loads(lines[index + 1]))
        raise AssertionError("no quoted data in the request")


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


Step = Reply | Callable[[Exchange], Reply]


class FakeLLM:
    """The running server: ``url`` to point a client at, ``exchanges`` it received."""

    def __init__(self, protocol: Protocol, script: Sequence[Step], api_key: str) -> None:
        self.protocol = protocol
        self.script = list(script)
        self.api_key = api_key
        self.exchanges: list[Exchange] = []
        self.errors: list[str] = []
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        root = f"http://{host!s}:{port}"
        return root + "/v1" if self.protocol == "openai" else root

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, payload = fake.respond(self.path, headers, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def respond(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        expected = "/v1/chat/completions" if self.protocol == "openai" else "/v1/messages"
        if path.split("?")[0] != expected:
            self.errors.append(f"unexpected path {path}")
            return 404, {"error": {"type": "not_found", "message": f"no route {path}"}}
        if self.protocol == "openai":
            if headers.get("authorization") != f"Bearer {self.api_key}":
                return 401, {"error": {"type": "invalid_api_key", "message": "wrong key"}}
        else:
            if headers.get("x-api-key") != self.api_key or not headers.get("anthropic-version"):
                return 401, {"type": "error", "error": {"type": "authentication_error", "message": "no"}}
        if body.get("stream"):
            self.errors.append("the client asked for a stream")
            return 400, {"error": {"type": "invalid_request", "message": "this fake does not stream"}}
        exchange = Exchange(self.protocol, path, headers, body)
        self.exchanges.append(exchange)
        if not self.script:
            self.errors.append("the script ran out")
            return 500, {"error": {"type": "server_error", "message": "script ran out"}}
        step = self.script.pop(0)
        try:
            reply = step(exchange) if callable(step) else step
        except Exception as exc:  # a scripted check failed: say so instead of dropping the connection
            self.errors.append(f"step {len(self.exchanges)} failed: {exc!r}")
            return 500, {"error": {"type": "server_error", "message": repr(exc)}}
        return 200, self._openai(reply, body) if self.protocol == "openai" else self._anthropic(reply, body)

    def _openai(self, reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.text}
        if reply.calls:
            message["tool_calls"] = [
                {
                    "id": f"call_{next(self._ids)}",
                    "type": "function",
                    "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
                }
                for c in reply.calls
            ]
        return {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion",
            "created": 1_765_000_000,
            "model": body.get("model", "fake"),
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if reply.calls else "stop",
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }

    def _anthropic(self, reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if reply.text:
            content.append({"type": "text", "text": reply.text})
        content.extend(
            {"type": "tool_use", "id": f"toolu_{next(self._ids)}", "name": c.name, "input": c.arguments}
            for c in reply.calls
        )
        return {
            "id": f"msg_{next(self._ids)}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "fake"),
            "content": content,
            "stop_reason": "tool_use" if reply.calls else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 10},
        }


@contextmanager
def fake_llm(protocol: Protocol, script: Sequence[Step], api_key: str = "sk-test-key") -> Iterator[FakeLLM]:
    server = FakeLLM(protocol, script, api_key)
    server._thread.start()
    try:
        yield server
    finally:
        server._server.shutdown()
        server._server.server_close()
