"""Scripted answers: what the sandbox cannot say by itself (raw bodies, endless streams).

A :class:`Script` attached to a running sandbox (``with Script(sandbox) as script:``) answers the
paths it holds with a :class:`RawAnswer` (or a function of the request handler returning one)
before the sandbox does anything else; every other request goes on to the sandbox as usual.
It records every request on a Pleo path, headers included (:class:`Received`), while attached.

A :class:`ScriptedServer` is a second loopback server that answers from its own script only
(404 otherwise) and records what reaches it: a place for a redirect to point to.
"""

from __future__ import annotations

import threading
from base64 import b64decode
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from .http_base import send
from .models import JSON_CONTENT_TYPE, SandboxError


@dataclass
class RawAnswer:
    """A status, a body and headers, sent as they are; ``stream`` more bytes of spaces follow
    the body without a ``Content-Length`` (an endless answer, cut when the client hangs up)."""

    status: int = 200
    body: bytes = b"{}"
    content_type: str | None = JSON_CONTENT_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    stream: int = 0


@dataclass(frozen=True)
class Received:
    """One request as it arrived: method, path (no query) and every header."""

    method: str
    path: str
    headers: dict[str, str]

    @property
    def basic_user(self) -> str:
        """The user name (the API key) of its Basic ``Authorization`` header, or ``""``."""
        return basic_auth_user(self.headers)


def basic_auth_user(headers: Any) -> str:
    """The user name (the API key) of a Basic ``Authorization`` header in ``headers``, or ``""``."""
    scheme, _, encoded = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        return b64decode(encoded).decode().partition(":")[0]
    except ValueError:
        return ""


Answerer = RawAnswer | Callable[[BaseHTTPRequestHandler], RawAnswer]


class Script:
    """Answers by path, or by ``(method, path)``, in :attr:`answers`; records :attr:`received`."""

    def __init__(self, sandbox: Any = None, answers: dict[Any, Answerer] | None = None) -> None:
        self.sandbox = sandbox
        self.answers: dict[Any, Answerer] = dict(answers or {})
        self.received: list[Received] = []

    def __enter__(self) -> Script:
        self.sandbox.script = self
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.sandbox.script = None

    def answer(self, handler: BaseHTTPRequestHandler, path: str) -> bool:
        """Record the request; send its scripted answer and return True if there is one."""
        self.received.append(Received(handler.command, path, dict(handler.headers.items())))
        answer = self.answers.get((handler.command, path), self.answers.get(path))
        if callable(answer):
            answer = answer(handler)
        if answer is None:
            return False
        send(
            handler, answer.status, answer.body, answer.content_type, answer.headers, answer.stream
        )
        return True


class _ScriptedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        """Answer from the server's script, else 404."""
        length = int(self.headers.get("Content-Length") or 0)
        if length > 0:
            self.rfile.read(length)
        script = self.server.script  # type: ignore[attr-defined]
        if not script.answer(self, unquote(urlsplit(self.path).path)):
            send(self, 404, b"{}", JSON_CONTENT_TYPE)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the script keeps what arrived."""


class ScriptedServer:
    """A loopback server answering from :attr:`script` only (404 otherwise)."""

    def __init__(self, answers: dict[Any, Answerer] | None = None) -> None:
        self.script = Script(answers=answers)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def received(self) -> list[Received]:
        """Every request that reached this server."""
        return self.script.received

    def start(self) -> ScriptedServer:
        """Start serving on a free port of 127.0.0.1; return self."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _ScriptedHandler)
        self._server.daemon_threads = True
        self._server.script = self.script  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            if self._thread:
                self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321``."""
        if self._server is None:
            raise SandboxError("the scripted server is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}"
