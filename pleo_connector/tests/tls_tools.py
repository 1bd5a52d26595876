# Copyright 2026 The pleo_connector authors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Certificates and a TLS front for tests of https on loopback (no Odoo import).

* :func:`make_pki` writes a test CA and a server certificate it signed for ``127.0.0.1``,
  ``::1`` and ``localhost`` (PEM files, made with ``cryptography``), for the sandbox's file host
  (``PleoSandbox(file_tls=pki.server_pair)``) or a :class:`TlsFront`. A client trusts them only
  when given ``pki.ca_file`` (``REQUESTS_CA_BUNDLE``, ``SSL_CERT_FILE``, ``pleo_ca_bundle``...):
  so a test shows both the failure without it and the success with it.
* :class:`TlsFront` serves https on a loopback port and relays each connection's bytes, in
  clear, to a plain-http port (the sandbox's Pleo API): https in front of an http server, as a
  load balancer terminates TLS in front of Pleo.

The Odoo-free tests import this module as ``tls_tools`` and the Odoo tests as ``.tls_tools``.
"""

import contextlib
import datetime
import ipaddress
import select
import socket
import socketserver
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOOPBACK_NAMES = ("127.0.0.1", "::1", "localhost")
_CHUNK = 64 * 1024
_IDLE_SECONDS = 30


@dataclass(frozen=True)
class Pki:
    """PEM files of a test CA and of a server certificate it signed."""

    ca_file: str  # the CA's certificate: what a client must trust
    cert_file: str  # the server's certificate (for ``LOOPBACK_NAMES``)
    key_file: str  # the server's private key, unencrypted

    @property
    def server_pair(self):
        """``(cert_file, key_file)``: the ``file_tls``/``tls`` argument of a server."""
        return (self.cert_file, self.key_file)


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(path, key):
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def make_pki(directory, label="pleo-test", hosts=LOOPBACK_NAMES):
    """Write ``<label>-ca.pem``, ``<label>-server.pem`` and ``<label>-server-key.pem`` into
    ``directory`` and return them as a :class:`Pki` (each call makes a new CA)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(days=1), now + datetime.timedelta(days=30)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{label} test CA")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    names = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pki = Pki(
        ca_file=str(directory / f"{label}-ca.pem"),
        cert_file=str(directory / f"{label}-server.pem"),
        key_file=str(directory / f"{label}-server-key.pem"),
    )
    Path(pki.ca_file).write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    Path(pki.cert_file).write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    _write_key(Path(pki.key_file), server_key)
    return pki


class TlsFront:
    """https on a loopback port, relayed in clear to ``127.0.0.1:<target_port>``.

    ``tls`` is ``(certfile, keyfile)``; ``start()``/``stop()`` or ``with``; ``url`` is
    ``https://127.0.0.1:<port>``.
    """

    def __init__(self, target_port, tls, host="127.0.0.1"):
        self.target = ("127.0.0.1", target_port)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(*tls)
        self.stopping = threading.Event()
        self._server = _FrontServer((host, 0), self)
        self._thread = None

    def start(self):
        """Start serving; return self."""
        self.stopping.clear()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="pleo-tls-front",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self):
        """Stop serving and end every connection."""
        self.stopping.set()
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def url(self):
        """``https://127.0.0.1:<port>``."""
        return f"https://127.0.0.1:{self._server.server_address[1]}"


class _FrontServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, front):
        self.front = front
        self._connections = set()
        self._lock = threading.Lock()
        super().__init__(address, _FrontHandler)

    def track(self, sock, add=True):
        with self._lock:
            (self._connections.add if add else self._connections.discard)(sock)

    def close_connections(self):
        with self._lock:
            connections = list(self._connections)
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request, client_address):
        """Failed handshakes (a client that does not trust the CA) are what some tests want."""


class _FrontHandler(socketserver.BaseRequestHandler):
    def handle(self):
        front = self.server.front
        self.request.settimeout(10)
        secure = front.context.wrap_socket(self.request, server_side=True)
        self.server.track(secure)
        try:
            with socket.create_connection(front.target, timeout=10) as upstream:
                self.server.track(upstream)
                try:
                    _relay(secure, upstream, front.stopping)
                finally:
                    self.server.track(upstream, add=False)
        finally:
            self.server.track(secure, add=False)
            with contextlib.suppress(OSError):
                secure.close()


def _relay(one, other, stopping):
    """Copy bytes both ways until a side closes, both idle too long, or ``stopping`` is set."""
    ends, idle = [one, other], 0.0
    while not stopping.is_set() and idle < _IDLE_SECONDS:
        if isinstance(one, ssl.SSLSocket) and one.pending():
            readable = [one]  # bytes already decrypted wait in the TLS buffer, not the socket
        else:
            readable, _w, _x = select.select(ends, [], [], 0.2)
        if not readable:
            idle += 0.2
            continue
        idle = 0.0
        for end in readable:
            try:
                data = end.recv(_CHUNK)
                if not data:
                    return
                (other if end is one else one).sendall(data)
            except OSError:
                return
