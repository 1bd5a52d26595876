"""What the sandbox's HTTP servers share: a server that knows its open connections (the API
server, the receipt file host, the CONNECT proxy), and writing one answer on a handler (the API
server and the scripted servers)."""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_logger = logging.getLogger(__name__)
_FILLER = b" " * 65536


class TrackingHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that tracks its connections, so that :meth:`close_connections`
    can end them all (idle keep-alives and tunnels included): a stopped server answers none."""

    daemon_threads = True
    #: How :meth:`handle_error` names the server in the debug log.
    label = "sandbox"

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]):
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def forget(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def process_request(self, request: socket.socket, client_address: tuple[str, int]) -> None:
        """Track the connection, so that :meth:`close_connections` can end it."""
        self.track(request)
        return super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:
        """Forget a connection the server is done with."""
        self.forget(request)
        return super().shutdown_request(request)

    def close_connections(self) -> None:
        """End every open connection."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def serve_in_thread(self, name: str) -> threading.Thread:
        """Serve in a daemon thread ``name`` (polling for shutdown every 50 ms); return it."""
        thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
        )
        thread.start()
        return thread

    def stop_serving(self, thread: threading.Thread | None = None) -> None:
        """Stop serving, end every open connection, close the socket; wait for ``thread``."""
        self.shutdown()
        self.close_connections()
        self.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        """Log handler errors quietly: clients hanging up early is routine in fault tests."""
        _logger.debug(
            "%s: error while answering %s: %r", self.label, client_address, sys.exc_info()[1]
        )


def send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    content_type: str | None = None,
    headers: Mapping[str, str] | None = None,
    stream: int = 0,
) -> None:
    """Write one answer on ``handler``; ``stream`` more bytes of spaces follow the body without a
    ``Content-Length`` (an endless answer). A client that stops reading ends the answer."""
    try:
        handler.send_response(status)
        if content_type:
            handler.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        if stream:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        else:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        for _sent in range(0, stream, len(_FILLER)):
            handler.wfile.write(_FILLER)
    except (BrokenPipeError, ConnectionResetError):  # the client gave up (e.g. timed out)
        handler.close_connection = True
