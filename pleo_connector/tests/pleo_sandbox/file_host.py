"""The sandbox's file host: receipts behind presigned-style URLs, on a loopback port of its own.

Pleo's export items point at their receipts with short-lived presigned links to another host
(``files[].url``, valid 24 h from fetching the item [spec]); a client must download them
**without** its Pleo ``Authorization`` header. This host serves files the same way:

* ``/receipts/<file id>/<name>?X-Sandbox-Expires=<unix time>&X-Sandbox-Signature=<token>``: the
  signature is an HMAC over the file id and the expiry with a random secret of the host, so a URL
  cannot be guessed or extended; a wrong signature or an expired URL answers 403 with an S3-like
  XML error.
* Every request is recorded as :class:`FileRequest` ``(method, path, had_authorization, status,
  header_names)``: *whether* an ``Authorization`` header came and the names of the headers that
  came, never a value (nor the query string).
* ``tls=(certfile, keyfile)`` serves https with that certificate (PEM files; the key
  unencrypted), so links are ``https://127.0.0.1:<port>/...``: a client then has to trust the
  certificate's CA (``REQUESTS_CA_BUNDLE``, the ``pleo_ca_bundle`` option...). The TLS handshake
  runs in the connection's own thread, so a client that never finishes it blocks nobody.
* Faults per file (``fault=``): ``not_found`` (404), ``slow`` (waits ``latency`` seconds before
  answering), ``truncated`` (``Content-Length`` of the whole file, half the body, then the
  connection closes), ``too_big`` (streams ``size`` bytes, 31 MiB by default, generated on the
  fly and never held in memory; ``declare_size=False`` sends no ``Content-Length``, so the client
  only learns the size by counting), ``wrong_type`` (served as ``served_type``, ``text/html``
  by default, whatever the file is) and ``redirect`` (302 to ``location``, by default a fresh
  link to the same file on this host: a client that follows it shows up as a second request).

The clock is the sandbox's (``advance_time`` expires URLs too).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import hmac
import logging
import re
import secrets
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, quote, unquote, urlsplit

from .http_base import TrackingHTTPServer
from .models import SandboxError, UnknownEntityError

_logger = logging.getLogger("pleo_sandbox")

FILE_FAULTS = ("not_found", "slow", "truncated", "too_big", "wrong_type", "redirect")
#: How long a presigned URL is valid, as Pleo documents for ``files[].url``: 24 hours.
URL_LIFETIME_SECONDS = 24 * 3600
TOO_BIG_DEFAULT_SIZE = 31 * 1024 * 1024  # over Pleo's 30 MB per file [docs]
_CHUNK = 64 * 1024
_EXPIRES = "X-Sandbox-Expires"
_SIGNATURE = "X-Sandbox-Signature"
_PATH = re.compile(r"/receipts/(?P<file_id>[0-9a-f]{32})/(?P<name>[^/]+)")
_XML_TYPE = "application/xml"
_HANDSHAKE_SECONDS = 10


@dataclass
class StoredFile:
    """A file the host serves, with the fault it misbehaves with (if any)."""

    id: str
    name: str
    mimetype: str
    content: bytes = dataclasses.field(repr=False)
    fault: str | None = None
    latency: float = 0.0
    size: int | None = None  # too_big: bytes streamed (else len(content))
    served_type: str | None = None  # wrong_type: the Content-Type sent
    declare_size: bool = True  # too_big: whether Content-Length is sent
    location: str | None = None  # redirect: where to (None: this file again, on this host)

    @property
    def total_size(self) -> int:
        """The number of bytes a complete download has."""
        return self.size if self.fault == "too_big" and self.size else len(self.content)

    def chunks(self) -> Iterator[bytes]:
        """The body in chunks; a ``too_big`` file is generated on the fly."""
        if self.fault != "too_big":
            yield self.content
            return
        head = self.content[: self.total_size]
        yield head
        remaining = self.total_size - len(head)
        filler = b"0" * _CHUNK
        while remaining > 0:
            piece = filler[: min(_CHUNK, remaining)]
            remaining -= len(piece)
            yield piece


@dataclass
class FileRequest:
    """One request the file host received: never a header's value, never the query string.

    ``header_names`` are the names of the headers that came, in lower case (``cookie``,
    ``proxy-authorization``... show that a client sent them, and nothing of what they held).
    """

    method: str
    path: str
    had_authorization: bool
    status: int | None
    header_names: tuple[str, ...] = ()


def _check_fault(fault: str | None, latency: float, size: int | None) -> None:
    if fault is not None and fault not in FILE_FAULTS:
        raise SandboxError(f"fault must be one of {FILE_FAULTS} or None, not {fault!r}")
    if isinstance(latency, bool) or not isinstance(latency, int | float) or latency < 0:
        raise SandboxError("latency is a number of seconds >= 0")
    if fault == "slow" and not latency:
        raise SandboxError("a slow file needs latency > 0")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
        raise SandboxError("size is a positive number of bytes")


class FileHost:
    """Stored files, presigned URLs and the HTTP server serving them (thread-safe).

    ``clock`` returns the current Unix time (the sandbox's controllable clock); ``tls`` is
    ``(certfile, keyfile)`` to serve https (assign :attr:`tls` before :meth:`start` works too).
    """

    def __init__(
        self,
        clock: Callable[[], float],
        host: str = "127.0.0.1",
        port: int = 0,
        tls: tuple[str, str] | None = None,
    ):
        self._clock = clock
        self.host = host
        self._port = port
        #: ``(certfile, keyfile)``: serve https with them (read when the host starts).
        self.tls = tls
        self._lock = threading.RLock()
        self._secret = secrets.token_bytes(32)
        self._files: dict[str, StoredFile] = {}
        self._requests: list[FileRequest] = []
        self._server: _FileServer | None = None
        self._thread: threading.Thread | None = None
        self.stopping = threading.Event()
        #: Base URL put in file links instead of ``http://127.0.0.1:<port>`` (e.g. for Docker).
        self.public_url: str | None = None

    # ------------------------------------------------------------------ server
    def start(self) -> None:
        """Start serving on a loopback port (``port`` 0: a free one)."""
        if self._server is not None:
            raise SandboxError("the file host is running already")
        context = None
        if self.tls is not None:
            certfile, keyfile = self.tls
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(certfile, keyfile)
        self.stopping.clear()
        self._server = _FileServer((self.host, self._port), self, context)
        self._thread = self._server.serve_in_thread("pleo-sandbox-files")

    def stop(self) -> None:
        """Stop serving; slow answers are cut short."""
        self.stopping.set()
        if self._server is not None:
            self._server.stop_serving(self._thread)
        self._server = self._thread = None

    @property
    def running(self) -> bool:
        """Whether the server is up (URLs can only be made then: they name its port)."""
        return self._server is not None

    @property
    def scheme(self) -> str:
        """``https`` when the host serves TLS, else ``http``."""
        return "http" if self.tls is None else "https"

    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (``https://`` with TLS) of the running host."""
        if self._server is None:
            raise SandboxError("the file host is not running: start the sandbox first")
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"{self.scheme}://{host}:{self._server.server_address[1]}"

    # ------------------------------------------------------------------ files
    def reset(self) -> None:
        """Forget every file and recorded request (URLs given out before answer 404)."""
        with self._lock:
            self._files.clear()
            self._requests.clear()

    def add_file(
        self,
        content: bytes,
        mimetype: str = "application/pdf",
        name: str = "receipt.pdf",
        *,
        fault: str | None = None,
        latency: float = 0.0,
        size: int | None = None,
        served_type: str | None = None,
        declare_size: bool = True,
        location: str | None = None,
        expires_in: float = URL_LIFETIME_SECONDS,
    ) -> str:
        """Store a file and return a presigned URL to it, valid ``expires_in`` seconds."""
        if not isinstance(content, bytes | bytearray):
            raise SandboxError("content must be bytes")
        if not isinstance(mimetype, str) or "/" not in mimetype:
            raise SandboxError("mimetype must be a media type such as application/pdf")
        if not isinstance(name, str) or not name or "/" in name:
            raise SandboxError("name must be a file name without '/'")
        _check_fault(fault, latency, size)
        stored = StoredFile(
            id=secrets.token_hex(16),
            name=name,
            mimetype=mimetype,
            content=bytes(content),
            fault=fault,
            latency=float(latency),
            size=(size or TOO_BIG_DEFAULT_SIZE) if fault == "too_big" else size,
            served_type=served_type,
            declare_size=bool(declare_size),
            location=location,
        )
        base = self.base_url()
        with self._lock:
            self._files[stored.id] = stored
        return self._presign(base, stored, expires_in)

    def set_file_fault(
        self,
        url: str,
        fault: str | None,
        *,
        latency: float = 0.0,
        size: int | None = None,
        served_type: str | None = None,
        declare_size: bool = True,
        location: str | None = None,
    ) -> None:
        """Change the fault of the file ``url`` points at (``None``: behave)."""
        _check_fault(fault, latency, size)
        with self._lock:
            stored = self._file_of(url)
            stored.fault, stored.latency, stored.served_type = fault, float(latency), served_type
            stored.size = (size or TOO_BIG_DEFAULT_SIZE) if fault == "too_big" else size
            stored.declare_size = bool(declare_size)
            stored.location = location

    def file_info(self, url: str) -> dict:
        """``{url, type, size}`` as an export item's ``files[]`` entry lists the file."""
        with self._lock:
            stored = self._file_of(url)
            return {"url": url, "type": stored.mimetype, "size": stored.total_size}

    def presign(self, url: str, expires_in: float = URL_LIFETIME_SECONDS) -> str:
        """A fresh URL for the file ``url`` points at, valid ``expires_in`` seconds from now."""
        with self._lock:
            stored = self._file_of(url)
        return self._presign(self.base_url(), stored, expires_in)

    def refresh(self, url: str) -> str:
        """A fresh 24 h URL if ``url`` is one of this host's files, else ``url`` unchanged."""
        with self._lock:
            stored = self._files.get(_file_id(url) or "")
        if stored is None or not self.running:
            return url
        return self._presign(self.base_url(), stored, URL_LIFETIME_SECONDS)

    def _file_of(self, url: str) -> StoredFile:
        stored = self._files.get(_file_id(url) or "")
        if stored is None:
            raise UnknownEntityError("unknown file")
        return stored

    def _signature(self, file_id: str, expires: int) -> str:
        return hmac.new(self._secret, f"{file_id}:{expires}".encode(), hashlib.sha256).hexdigest()

    def _presign(self, base: str, stored: StoredFile, expires_in: float) -> str:
        if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
            raise SandboxError("expires_in is a number of seconds")
        expires = int(self._clock() + expires_in)
        return (
            f"{base}/receipts/{stored.id}/{quote(stored.name)}"
            f"?{_EXPIRES}={expires}&{_SIGNATURE}={self._signature(stored.id, expires)}"
        )

    # ------------------------------------------------------------------ requests
    @property
    def requests(self) -> list[FileRequest]:
        """The requests received, oldest first (copies)."""
        with self._lock:
            return [dataclasses.replace(r) for r in self._requests]

    def reset_requests(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._requests.clear()

    def _record(self, request: FileRequest) -> FileRequest:
        with self._lock:
            self._requests.append(request)
        return request

    def _answered(self, request: FileRequest, status: int) -> None:
        with self._lock:
            request.status = status

    def _resolve(self, path: str, query: str) -> tuple[StoredFile | None, int, str]:
        """Return (file or None, status, error code) for a request."""
        match = _PATH.fullmatch(path)
        with self._lock:
            stored = self._files.get(match["file_id"]) if match else None
        if stored is None:
            return None, 404, "NoSuchKey"
        params = parse_qs(query)
        expires_text = (params.get(_EXPIRES) or [""])[0]
        signature = (params.get(_SIGNATURE) or [""])[0]
        if not expires_text.isdigit() or not hmac.compare_digest(
            signature, self._signature(stored.id, int(expires_text))
        ):
            return None, 403, "SignatureDoesNotMatch"
        if int(expires_text) <= self._clock():
            return None, 403, "AccessDenied"
        if stored.fault == "not_found":
            return None, 404, "NoSuchKey"
        return stored, 200, ""


def _file_id(url: str) -> str | None:
    match = _PATH.fullmatch(unquote(urlsplit(url).path)) if isinstance(url, str) else None
    return match["file_id"] if match else None


_ERROR_MESSAGES = {
    "NoSuchKey": "The specified key does not exist.",
    "SignatureDoesNotMatch": "The request signature we calculated does not match.",
    "AccessDenied": "Request has expired",
}


class _FileServer(TrackingHTTPServer):
    label = "file host"

    def __init__(self, address: tuple[str, int], host: FileHost, tls: ssl.SSLContext | None = None):
        self.file_host = host
        self.tls = tls
        super().__init__(address, _FileHandler)

    def finish_request(self, request: socket.socket, client_address: tuple[str, int]) -> None:
        """Serve one connection (in its own thread): with TLS, the handshake comes first."""
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(_HANDSHAKE_SECONDS)
        self.forget(request)  # wrapping moves its descriptor to the TLS socket
        secure = self.tls.wrap_socket(request, server_side=True)  # a failed handshake raises
        self.track(secure)
        try:
            super().finish_request(secure, client_address)
        finally:
            self.forget(secure)
            with contextlib.suppress(OSError):
                secure.shutdown(socket.SHUT_RDWR)
            secure.close()


class _FileHandler(BaseHTTPRequestHandler):
    """Serves files; looks at whether an Authorization header came, never at its value."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "PleoSandboxFiles/1.0"
    timeout = 30
    server: _FileServer

    def version_string(self) -> str:
        """The ``Server`` header."""
        return self.server_version

    def log_message(self, format: str, *args: object) -> None:
        """No access log: the request line carries the presigned signature."""

    def do_GET(self) -> None:
        """Answer GET."""
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        """Answer HEAD (the headers of GET)."""
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        host = self.server.file_host
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        record = host._record(
            FileRequest(
                method=self.command,
                path=path,
                had_authorization=self.headers.get("Authorization") is not None,
                status=None,
                header_names=tuple(name.lower() for name in self.headers),
            )
        )
        stored, status, code = host._resolve(path, parts.query)
        if stored is not None and stored.fault == "slow":
            host.stopping.wait(stored.latency)
        if stored is not None and stored.fault == "redirect":
            status = 302
        host._answered(record, status)
        try:
            if stored is None:
                self._send_error(status, code, send_body)
            elif stored.fault == "redirect":
                location = stored.location or host._presign(
                    host.base_url(), stored, URL_LIFETIME_SECONDS
                )
                self._send_redirect(location, send_body)
            else:
                self._send_file(stored, send_body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _send_error(self, status: int, code: str, send_body: bool) -> None:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f"<Error><Code>{code}</Code><Message>{_ERROR_MESSAGES[code]}</Message></Error>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", _XML_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _send_redirect(self, location: str, send_body: bool) -> None:
        body = b"<html><body>Moved</body></html>"
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _send_file(self, stored: StoredFile, send_body: bool) -> None:
        self.send_response(200)
        content_type = stored.mimetype
        if stored.fault == "wrong_type":
            content_type = stored.served_type or "text/html; charset=utf-8"
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Disposition", f'attachment; filename="{stored.name}"')
        if stored.fault == "too_big" and not stored.declare_size:
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(stored.total_size))
        self.end_headers()
        if not send_body:
            return
        if stored.fault == "truncated":
            self.wfile.write(stored.content[: len(stored.content) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        for chunk in stored.chunks():
            if self.server.file_host.stopping.is_set():
                self.close_connection = True
                return
            self.wfile.write(chunk)
