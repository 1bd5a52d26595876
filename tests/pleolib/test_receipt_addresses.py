"""Receipt downloads reach public addresses only (pleolib.receipts), except the allowed hosts.

A small file host on 127.0.0.1 counts what reaches it. DNS answers are injected by patching
``socket.getaddrinfo`` (the one resolver both the check and urllib3's connect use): fault
injection of DNS, including a name that answers a public address first and loopback next.
"""

import http.server
import socket
import threading

import pytest
from pleolib import receipts
from pleolib.receipts import (
    DOWNLOAD_FAILURE,
    ReceiptError,
    address_problem,
    download,
    parse_allowed_hosts,
)

PDF = b"%PDF-1.4\n" + b"x" * 64 + b"\n%%EOF\n"
SECRET = "X-Amz-Signature=topsecret"
REAL_GETADDRINFO = socket.getaddrinfo


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Content-Length", str(len(PDF)))
        self.end_headers()
        self.wfile.write(PDF)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def host():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.hits = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def fetch(url, **kw):
    kw.setdefault("allow_http", True)
    kw.setdefault("timeout", (2, 5))
    return download(url, mimetype="application/pdf", **kw)


def refused(url, **kw):
    with pytest.raises(ReceiptError) as info:
        fetch(url, **kw)
    error = info.value
    assert error.code == DOWNLOAD_FAILURE
    assert "topsecret" not in error.message and "topsecret" not in str(error.data)
    assert "pleo_receipt_allowed_hosts" in error.message
    return error


def fake_dns(monkeypatch, answers):
    """Resolve the names of ``answers`` (name → list of addresses, one list per lookup, the last
    one repeated); every other name as usual. Returns the lookups made."""
    lookups = []

    def getaddrinfo(name, port, *args, **kw):
        if name not in answers:
            return REAL_GETADDRINFO(name, port, *args, **kw)
        lookups.append(name)
        rounds = answers[name]
        address = rounds[min(len(lookups) - 1, len(rounds) - 1)]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sockaddr = (address, port or 0) + ((0, 0) if family == socket.AF_INET6 else ())
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


@pytest.mark.parametrize(
    "address, words",
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not public"),
    ],
)
def test_address_classes_are_refused(address, words):
    assert words in address_problem(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2a00:1450:4001:81c::200e"])
def test_public_addresses_pass(address):
    assert address_problem(address) is None


@pytest.mark.parametrize(
    "netloc, words",
    [
        ("127.0.0.1:{port}", "loopback"),
        ("169.254.169.254", "link-local"),
        ("[::1]:{port}", "loopback"),
        ("10.1.2.3", "private"),
        ("0.0.0.0:{port}", "unspecified"),
        ("224.0.0.1", "multicast"),
    ],
)
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_literal_addresses_refused_before_any_request(host, netloc, words, scheme):
    netloc = netloc.format(port=host.server_address[1])
    before = len(host.hits)
    error = refused(f"{scheme}://{netloc}/latest/meta-data/?{SECRET}")
    address = netloc.rsplit(":", 1)[0] if "]" not in netloc else "::1"
    address = address.strip("[]")
    assert f"its host {address} is " in error.message and words in error.message
    assert error.data["host"].strip("[]") == address
    assert len(host.hits) == before


def test_name_resolving_to_private_address_is_refused(host, monkeypatch):
    lookups = fake_dns(monkeypatch, {"files.evil.test": ["192.168.7.7"]})
    error = refused(f"https://files.evil.test/receipt.pdf?{SECRET}")
    assert "files.evil.test resolves to 192.168.7.7, a private network address" in error.message
    assert lookups == ["files.evil.test"]


def test_rebinding_is_caught_at_the_connection(host, monkeypatch):
    """A name that answers a public address to the check and loopback to the connection."""
    port = host.server_address[1]
    lookups = fake_dns(monkeypatch, {"rebind.evil.test": ["93.184.216.34", "127.0.0.1"]})
    before = len(host.hits)
    error = refused(f"http://rebind.evil.test:{port}/receipt.pdf?{SECRET}")
    assert len(lookups) == 2  # checked once, then resolved again by the connection
    assert "rebind.evil.test resolves to 127.0.0.1, a loopback address" in error.message
    assert len(host.hits) == before  # the socket connected, the request never went


def test_allow_list_lets_exactly_the_listed_host_and_port(host):
    port = host.server_address[1]
    url = f"http://127.0.0.1:{port}/receipt.pdf?probe=allowed"
    assert fetch(url, allowed_hosts=f"127.0.0.1:{port}").content == PDF
    assert fetch(url, allowed_hosts=f"files.example, 127.0.0.1:{port}").content == PDF
    assert fetch(url, allowed_hosts="127.0.0.1").content == PDF  # a host alone: any port
    assert fetch(url, allowed_hosts=["127.0.0.1"]).content == PDF
    hits = len(host.hits)
    for other in (f"127.0.0.1:{port + 1}", "localhost", f"localhost:{port}", "127.0.0.2", ""):
        assert "loopback" in refused(url, allowed_hosts=other).message
    assert len(host.hits) == hits


def test_allowed_name_resolving_to_loopback(host, monkeypatch):
    port = host.server_address[1]
    fake_dns(monkeypatch, {"files.sandbox.test": ["127.0.0.1"]})
    url = f"http://files.sandbox.test:{port}/receipt.pdf"
    assert fetch(url, allowed_hosts="FILES.sandbox.test").content == PDF
    assert "loopback" in refused(url + f"?{SECRET}", allowed_hosts="127.0.0.1").message


def test_parse_allowed_hosts():
    assert parse_allowed_hosts(" Files.Example , 127.0.0.1:8069,[::1]:80, [fe80::1],, ") == {
        ("files.example", None),
        ("127.0.0.1", 8069),
        ("::1", 80),
        ("fe80::1", None),
    }
    assert parse_allowed_hosts("") == frozenset() == parse_allowed_hosts(None)


def test_behind_a_proxy_the_target_is_checked_before_sending(host, monkeypatch):
    """The proxy connects, not this server: the link's host is resolved and checked first."""
    for name in ("https_proxy", "http_proxy", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    proxy_port = host.server_address[1]  # a proxy would be asked here: nothing must arrive
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy_port}")
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy_port}")
    fake_dns(monkeypatch, {"internal.corp.test": ["10.20.30.40"]})
    before = len(host.hits)
    error = refused(f"https://internal.corp.test/x.pdf?{SECRET}")
    assert "internal.corp.test resolves to 10.20.30.40" in error.message
    error = refused(f"http://169.254.169.254/latest/meta-data/?{SECRET}")
    assert "link-local" in error.message
    assert len(host.hits) == before
    assert receipts.ALLOWED_HOSTS_OPTION == "pleo_receipt_allowed_hosts"
