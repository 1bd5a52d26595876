"""A small HTTP proxy on loopback, for tests of clients behind a company proxy (stdlib only).

:class:`ConnectProxy` does what a company proxy does for the connector:

* ``CONNECT host:port`` opens a tunnel (how https goes through a proxy): the proxy sees the target
  and its own headers, then relays encrypted bytes it cannot read;
* an absolute-form request (``GET http://host:port/path HTTP/1.1``, how plain http goes through a
  proxy) is forwarded to the target without the hop-by-hop and ``Proxy-*`` headers, and the
  answer is relayed back (the connection then closes).

``credentials=(user, password)`` makes it demand ``Proxy-Authorization: Basic`` (407 otherwise).
Targets are loopback addresses only (403 otherwise): tests never reach out through it.

Every request is recorded as :class:`ProxiedRequest` (``method``, ``target``, ``request_line``,
``headers`` as received, values included, the proxy's ``status``, and the bytes it carried each
way), so a test can prove what passed through: which hosts were tunnelled to, that a plain-http
request to the file host carried no ``Authorization`` header and no key, and that the receipt's
bytes came back. The record holds what went through, presigned signatures and credentials
included: it is a test tool, it logs nothing.

::

    with ConnectProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        ...
        assert proxy.connect_targets == [f"127.0.0.1:{file_port}"]
"""

from __future__ import annotations

import base64
import dataclasses
import http.client
import ipaddress
import logging
import select
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from .http_base import TrackingHTTPServer
from .models import SandboxError

_logger = logging.getLogger("pleo_sandbox")

_CHUNK = 64 * 1024
_IDLE_SECONDS = 30
_UPSTREAM_TIMEOUT = 30
#: Headers that concern one connection, not the request: never forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


@dataclass
class ProxiedRequest:
    """One request the proxy received, as it came (values included), and what it carried.

    ``target`` is ``host:port`` for a ``CONNECT``, the absolute URL for plain http. ``status`` is
    the proxy's answer (200 for an open tunnel, the target's status for plain http, 400, 403,
    407 or 502), ``None`` while pending. ``bytes_up``/``bytes_down``: bytes relayed from the
    client to the target and back (through the tunnel, or the request and answer bodies).
    """

    method: str
    target: str
    request_line: str
    headers: tuple[tuple[str, str], ...]
    status: int | None = None
    bytes_up: int = 0
    bytes_down: int = 0

    @property
    def host_port(self) -> str:
        """``host:port`` the request went to (port 80 for plain http without one)."""
        if self.method == "CONNECT":
            return self.target
        parts = urlsplit(self.target)
        return f"{parts.hostname}:{parts.port or 80}"

    def header(self, name: str) -> str | None:
        """The value of the header ``name`` (any case), or ``None``."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def text(self) -> str:
        """The request line and headers as one text (for ``assert key not in ...``)."""
        return "\n".join([self.request_line, *(f"{k}: {v}" for k, v in self.headers)])


class ConnectProxy:
    """An HTTP proxy on a loopback port: ``start()``/``stop()`` or ``with``; ``url``; records.

    ``credentials=(user, password)``: demand them (``Proxy-Authorization: Basic``, else 407).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        credentials: tuple[str, str] | None = None,
    ):
        self.host = host
        self._port = port
        self.credentials = credentials
        self._lock = threading.Lock()
        self._requests: list[ProxiedRequest] = []
        self._server: _ProxyServer | None = None
        self._thread: threading.Thread | None = None
        self.stopping = threading.Event()

    # ------------------------------------------------------------------ server
    def start(self) -> ConnectProxy:
        """Start serving; return self."""
        if self._server is not None:
            raise SandboxError("the proxy is running already")
        self.stopping.clear()
        self._server = _ProxyServer((self.host, self._port), self)
        self._thread = self._server.serve_in_thread("pleo-sandbox-proxy")
        return self

    def stop(self) -> None:
        """Stop serving and end every tunnel."""
        self.stopping.set()
        if self._server is not None:
            self._server.stop_serving(self._thread)
        self._server = self._thread = None

    def __enter__(self) -> ConnectProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port it listens on."""
        if self._server is None:
            raise SandboxError("the proxy is not running")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the value for ``HTTPS_PROXY``/``HTTP_PROXY``."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def url_with_credentials(self, user: str | None = None, password: str | None = None) -> str:
        """``http://user:password@127.0.0.1:<port>`` (its own ``credentials`` by default)."""
        if user is None or password is None:
            if self.credentials is None:
                raise SandboxError("the proxy has no credentials: pass user and password")
            user, password = self.credentials
        return self.url.replace("http://", f"http://{user}:{password}@", 1)

    # ------------------------------------------------------------------ records
    @property
    def requests(self) -> list[ProxiedRequest]:
        """The requests received, oldest first (copies)."""
        with self._lock:
            return [dataclasses.replace(r) for r in self._requests]

    @property
    def connect_targets(self) -> list[str]:
        """``host:port`` of every ``CONNECT``, oldest first."""
        return [r.target for r in self.requests if r.method == "CONNECT"]

    def reset_requests(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._requests.clear()

    def _record(self, request: ProxiedRequest) -> ProxiedRequest:
        with self._lock:
            self._requests.append(request)
        return request

    def _update(self, request: ProxiedRequest, **values: object) -> None:
        with self._lock:
            for name, value in values.items():
                setattr(request, name, value)

    def _authorized(self, header: str | None) -> bool:
        if self.credentials is None:
            return True
        expected = base64.b64encode(":".join(self.credentials).encode()).decode()
        return header is not None and header.strip() == f"Basic {expected}"


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


class _ProxyServer(TrackingHTTPServer):
    label = "proxy"

    def __init__(self, address: tuple[str, int], proxy: ConnectProxy):
        self.proxy = proxy
        super().__init__(address, _ProxyHandler)


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "PleoSandboxProxy/1.0"
    timeout = _IDLE_SECONDS
    server: _ProxyServer

    def version_string(self) -> str:
        """The ``Server`` header."""
        return self.server_version

    def log_message(self, format: str, *args: object) -> None:
        """No access log: request lines carry presigned signatures."""

    # ------------------------------------------------------------------ entry points
    def do_CONNECT(self) -> None:
        """Open a tunnel to ``host:port``."""
        record = self._begin()
        if record is None:
            return
        host, _sep, port_text = self.path.rpartition(":")
        host = host.strip("[]")
        if not port_text.isdigit() or not host:
            self._refuse(record, 400, "CONNECT needs host:port")
            return
        if not _loopback(host):
            self._refuse(record, 403, "this test proxy only reaches loopback addresses")
            return
        try:
            upstream = socket.create_connection((host, int(port_text)), timeout=10)
        except OSError:
            self._refuse(record, 502, "the target refused the connection")
            return
        with upstream:
            self.send_response(200, "Connection established")
            self.end_headers()
            self.server.proxy._update(record, status=200)
            self._tunnel(upstream, record)
        self.close_connection = True

    def do_GET(self) -> None:
        """Forward a plain-http request given in absolute form."""
        record = self._begin()
        if record is not None:
            self._forward(record)

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    # ------------------------------------------------------------------ helpers
    def _begin(self) -> ProxiedRequest | None:
        """Record the request; answer 407 (and return ``None``) without the right credentials."""
        proxy = self.server.proxy
        record = proxy._record(
            ProxiedRequest(
                method=self.command,
                target=self.path,
                request_line=self.requestline,
                headers=tuple(self.headers.items()),
            )
        )
        if proxy._authorized(self.headers.get("Proxy-Authorization")):
            return record
        proxy._update(record, status=407)
        self._drain_body()
        self.send_response(407, "Proxy Authentication Required")
        self.send_header("Proxy-Authenticate", 'Basic realm="pleo-sandbox-proxy"')
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        return None

    def _refuse(self, record: ProxiedRequest, status: int, text: str) -> None:
        self.server.proxy._update(record, status=status)
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def _drain_body(self) -> bytes:
        length = self.headers.get("Content-Length", "")
        return self.rfile.read(int(length)) if length.isdigit() and int(length) else b""

    def _tunnel(self, upstream: socket.socket, record: ProxiedRequest) -> None:
        """Relay bytes both ways until a side closes, the tunnel idles or the proxy stops."""
        client = self.connection
        proxy = self.server.proxy
        ends = [client, upstream]
        idle = 0.0
        while not proxy.stopping.is_set() and idle < _IDLE_SECONDS:
            try:
                readable, _w, _x = select.select(ends, [], [], 0.2)
            except (OSError, ValueError):
                return
            if not readable:
                idle += 0.2
                continue
            idle = 0.0
            for end in readable:
                try:
                    data = end.recv(_CHUNK)
                except OSError:
                    return
                if not data:
                    return
                other = upstream if end is client else client
                # Counted before it is passed on: once the far end has the bytes, the record
                # says so (a test reading it right after its download finished sees them all).
                with proxy._lock:
                    if end is client:
                        record.bytes_up += len(data)
                    else:
                        record.bytes_down += len(data)
                try:
                    other.sendall(data)
                except OSError:
                    return

    def _forward(self, record: ProxiedRequest) -> None:
        """Forward one plain-http request and relay its answer; the connection then closes."""
        proxy = self.server.proxy
        body = self._drain_body()
        parts = urlsplit(self.path)
        if parts.scheme != "http" or not parts.hostname:
            self._refuse(record, 400, "a proxied request needs an absolute http:// URL")
            return
        if not _loopback(parts.hostname):
            self._refuse(record, 403, "this test proxy only reaches loopback addresses")
            return
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        upstream = http.client.HTTPConnection(
            parts.hostname, parts.port or 80, timeout=_UPSTREAM_TIMEOUT
        )
        try:
            upstream.putrequest(self.command, target, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in HOP_BY_HOP:
                    upstream.putheader(name, value)
            upstream.putheader("Connection", "close")
            upstream.endheaders(body or None)
            answer = upstream.getresponse()
        except OSError:
            upstream.close()
            self._refuse(record, 502, "the target did not answer")
            return
        proxy._update(record, status=answer.status, bytes_up=len(body))
        try:
            self._relay_answer(answer, record)
        finally:
            upstream.close()
            self.close_connection = True

    def _relay_answer(self, answer: http.client.HTTPResponse, record: ProxiedRequest) -> None:
        self.send_response_only(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        proxy = self.server.proxy
        while True:
            try:
                chunk = answer.read1(_CHUNK)
            except (OSError, http.client.HTTPException):
                return  # cut off upstream: the client sees the connection close early
            if not chunk:
                return
            with proxy._lock:  # counted before the client has it (see _tunnel)
                record.bytes_down += len(chunk)
            try:
                self.wfile.write(chunk)
            except OSError:
                return
