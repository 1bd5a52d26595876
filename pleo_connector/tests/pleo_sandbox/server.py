"""The HTTP side of the sandbox: one loopback server per environment over a shared state.

The handler applies latency and faults, records requests on Pleo paths, and hands the request to
``pleo_api.dispatch`` or ``control_api.handle``.
"""

from __future__ import annotations

import logging
import math
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, unquote, urlsplit

from . import control_api, pleo_api
from .http_base import TrackingHTTPServer, send
from .models import (
    ENVIRONMENTS,
    HTML_CONTENT_TYPE,
    JSON_CONTENT_TYPE,
    REDIRECT_TARGET,
    Fault,
    RecordedRequest,
    Response,
    SandboxError,
    error_response,
)
from .scripted import Script
from .state import SandboxState

_logger = logging.getLogger("pleo_sandbox")

_HTML_ERROR_PAGE = (
    "<!DOCTYPE html><html><head><title>{status} Error</title></head>"
    "<body><h1>{status} Error</h1><p>The server encountered a temporary error.</p></body></html>"
)


def fault_response(fault: Fault, target: str) -> Response | None:
    """Return the answer a fault replaces the real one with, or None if it keeps the real one."""
    headers = (
        {} if fault.retry_after is None else {"Retry-After": str(math.ceil(fault.retry_after))}
    )
    if fault.kind == "status":
        return error_response(fault.status, headers=headers)
    if fault.kind == "rate_limit":
        return error_response(429, "TOO_MANY_REQUESTS", "rate limit exceeded", headers)
    if fault.kind == "garbage":
        return Response(fault.status, b"<<this is not JSON>> \x00\x01", JSON_CONTENT_TYPE)
    if fault.kind == "html":
        page = _HTML_ERROR_PAGE.format(status=fault.status).encode()
        return Response(fault.status, page, HTML_CONTENT_TYPE)
    if fault.kind == "redirect":
        return Response(fault.status, headers={"Location": REDIRECT_TARGET + target})
    return None  # truncated, slow and drop act on the real answer


class _Server(TrackingHTTPServer):
    """A threading HTTP server bound to one environment of one sandbox."""

    def __init__(self, address: tuple[str, int], sandbox: PleoSandbox, environment: str):
        self.sandbox = sandbox
        self.environment = environment
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    """Answers requests; never logs the Authorization header."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once (no 40 ms delayed-ACK stall)
    server_version = "PleoSandbox/1.0"
    timeout = 30  # seconds an idle keep-alive connection is kept
    server: _Server

    def do_GET(self) -> None:
        """Answer GET."""
        self._answer()

    do_POST = do_PUT = do_DELETE = do_GET

    def version_string(self) -> str:
        """The ``Server`` header."""
        return self.server_version

    def log_message(self, format: str, *args: object) -> None:
        """Send the access log (request line and status: no headers) to the sandbox logger."""
        _logger.debug("%s %s", self.server.environment, format % args)

    def _answer(self) -> None:
        sandbox = self.server.sandbox
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        if path == "/_sandbox" or path.startswith("/_sandbox/"):
            self._send(control_api.handle(sandbox, self.command, path, body))
            return
        if sandbox.script is not None and sandbox.script.answer(self, path):
            return  # a scripted answer (scripted.py) replaces everything below
        query = parse_qs(parts.query, keep_blank_values=True)
        auth = sandbox.authenticate(self.headers.get("Authorization"), self.server.environment)
        record = sandbox.record(
            RecordedRequest(
                method=self.command,
                path=path,
                query={name: values[0] for name, values in query.items()},
                environment=self.server.environment,
                auth_valid=auth.key is not None,
                status=None,
            )
        )
        fault = sandbox.take_fault(self.command, path)
        delay = sandbox.latency + (fault.latency if fault else 0.0)
        if delay:
            sandbox.sleep(delay)
        if fault and fault.kind == "drop":  # close the connection without a word
            self.close_connection = True
            return
        response = fault_response(fault, self.path) if fault else None
        if response is None:
            response = pleo_api.dispatch(sandbox, self.command, path, query, auth, body)
            if fault and fault.kind == "truncated":
                response.body = response.body[: len(response.body) // 2]
        sandbox.answered(record, response.status)
        self._send(response)

    def _send(self, response: Response) -> None:
        send(self, response.status, response.body, response.content_type, response.headers)


class PleoSandbox(SandboxState):
    """A fake Pleo External API on loopback, one port per environment, with shared state.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. ``port``/``staging_port``
    0 pick free ports; ``host`` may be ``0.0.0.0`` for Docker. The file host (receipts) listens
    on ``file_port`` (0: a free port) of the same host; its links start with
    ``file_public_url`` if given (e.g. ``http://sandbox:8767`` in Docker). ``file_tls`` is
    ``(certfile, keyfile)`` to serve the receipts over https (links ``https://127.0.0.1:<port>``).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        staging_port: int = 0,
        file_port: int = 0,
        file_public_url: str | None = None,
        file_tls: tuple[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.host = host
        self.file_host.host, self.file_host._port = host, file_port
        self.file_host.public_url = file_public_url
        self.file_host.tls = file_tls
        self._ports = {"production": port, "staging": staging_port}
        self._servers: dict[str, _Server] = {}
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        #: Scripted answers in front of the sandbox's own (``with Script(sandbox):``).
        self.script: Script | None = None

    def start(self) -> PleoSandbox:
        """Start serving both environments; return self."""
        if self._servers:
            raise SandboxError("the sandbox is running already")
        self._stopping.clear()
        try:
            for environment in ENVIRONMENTS:
                server = _Server((self.host, self._ports[environment]), self, environment)
                self._servers[environment] = server
                self._threads.append(server.serve_in_thread(f"pleo-sandbox-{environment}"))
            self.file_host.start()
        except OSError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop serving; waiting answers (``slow`` faults, latency) are cut short."""
        self._stopping.set()
        if self.file_host.running:
            self.file_host.stop()
        for server in self._servers.values():
            server.stop_serving()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> PleoSandbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def url(self, environment: str = "production") -> str:
        """Base URL of an environment, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        server = self._servers.get(environment)
        if server is None:
            raise SandboxError(f"no running server for environment {environment!r}")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{server.server_address[1]}"

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or less if the sandbox is being stopped."""
        self._stopping.wait(seconds)
