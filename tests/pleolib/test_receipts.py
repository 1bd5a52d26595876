"""Receipt downloads (pleolib.receipts) against a small file host on 127.0.0.1 started here."""

import contextlib
import http.server
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests
from pleolib.items import FileRef
from pleolib.receipts import (
    CONVERSION_FAILURE,
    DOWNLOAD_FAILURE,
    SIZE_LIMIT_EXCEEDED,
    Receipt,
    ReceiptError,
    content_disposition_filename,
    download,
    download_all,
    safe_filename,
)

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
SERVER_LIFETIME = 120  # seconds: the host stops by itself if a test hangs
# the test file hosts run on loopback, which downloads refuse unless allowed
LOOPBACK = "127.0.0.1"


class FileHost(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen = []  # (path with query, {header: value})
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    @property
    def base(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def paths(self):
        with self.lock:
            return [path for path, _headers in self.seen]


class Handler(http.server.BaseHTTPRequestHandler):
    timeout = 10  # no connection outlives a broken test

    def log_message(self, format, *args):
        pass

    def send(self, status, body=b"", content_type="application/pdf", headers=(), length=True):
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        if length:
            self.send_header("Content-Length", str(len(body)) if length is True else length)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_GET(self):
        host = self.server
        with host.lock:
            host.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.route(urlsplit(self.path).path)

    def route(self, path):
        """The answer of ``path``: a plain one of :data:`_ROUTES` (``send``'s arguments), or a
        file host's odd behaviour."""
        if path in _ROUTES:
            args, kwargs = _ROUTES[path]
            self.send(*args, **kwargs)
        elif path == "/slow":
            time.sleep(1.0)
            self.send(200, PDF)
        elif path.startswith("/concurrent/"):
            host = self.server
            with host.lock:  # counted before the answer, so a worker cannot overlap itself
                host.in_flight += 1
                host.max_in_flight = max(host.max_in_flight, host.in_flight)
            time.sleep(0.3)
            with host.lock:
                host.in_flight -= 1
            self.send(200, PDF + path.encode())
        else:
            self.send(404, b"", "text/plain")


_NASTY_NAME = 'attachment; filename="..\\\\x\x01y\u202e' + "z" * 300 + '.pdf"'
#: path -> (args, kwargs) of ``Handler.send``
_ROUTES = {
    "/files/receipt.pdf": ((200, PDF), {}),
    "/files/charset.csv": ((200, b"a;b\n1;2\n", "text/csv; charset=utf-8"), {}),
    "/files/plain-for-csv": ((200, b"a;b\n1;2\n", "text/plain; charset=utf-8"), {}),
    "/redirect": (
        (302,),
        {"headers": [("Location", "/files/receipt.pdf")], "content_type": None},
    ),
    "/missing": ((404, b"no", "text/plain"), {}),
    "/forbidden": ((403, b"<Error>expired</Error>", "application/xml"), {}),
    "/broken": ((503, b"busy", "text/plain"), {}),
    "/truncated": ((200, PDF[:100]), {"length": str(len(PDF))}),
    "/declared-big": ((200, b"%PDF-"), {"length": "10000000"}),
    # HTTP/1.0: the body ends when the socket closes
    "/streamed-big": ((200, PDF * 4), {"length": False}),
    "/html": ((200, b"<html>login</html>", "text/html; charset=utf-8"), {}),
    "/octet/scan.png": ((200, PNG, "application/octet-stream"), {}),
    "/octet/download": ((200, PDF, "application/octet-stream"), {}),
    "/octet/unknown": ((200, b"just some bytes", "application/octet-stream"), {}),
    "/empty": ((200, b""), {}),
    "/cd-star": (
        (200, PDF),
        {
            "headers": [
                (
                    "Content-Disposition",
                    "attachment; filename=\"fallback.pdf\"; filename*=UTF-8''Re%C3%A7u%20"
                    "%2F..%2F..%2Fetc%2Fevil.pdf",
                )
            ]
        },
    ),
    "/cd-plain": (
        (200, PDF),
        {"headers": [("Content-Disposition", 'inline; filename="my \\"best\\" receipt.PDF"')]},
    ),
    "/cd-nasty": (
        (200, PDF),
        {"headers": [("Content-Disposition", _NASTY_NAME.encode().decode("latin-1"))]},
    ),
}


@pytest.fixture(scope="module")
def host():
    server = FileHost()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    watchdog = threading.Timer(SERVER_LIFETIME, server.shutdown)
    watchdog.daemon = True
    watchdog.start()
    try:
        yield server
    finally:
        watchdog.cancel()
        server.shutdown()
        server.server_close()
        thread.join(5)


def get(host, path, **kw):
    kw.setdefault("allow_http", True)
    kw.setdefault("allowed_hosts", LOOPBACK)  # the test's file host is on loopback
    kw.setdefault("timeout", (2, 5))
    return download(host.base + path, **kw)


def fail(host, path, **kw):
    with pytest.raises(ReceiptError) as info:
        get(host, path, **kw)
    return info.value


def headers_of(host, path):
    with host.lock:
        return [headers for seen, headers in host.seen if seen == path]


# --------------------------------------------------------------------------- downloads


def test_bytes_are_right(host):
    receipt = get(host, "/files/receipt.pdf", mimetype="application/pdf")
    assert isinstance(receipt, Receipt)
    assert receipt.content == PDF
    assert receipt.mimetype == "application/pdf"
    assert receipt.name == "receipt.pdf"
    assert "bytes" in repr(receipt) and "%PDF" not in repr(receipt)


def test_no_authorization_header_ever(host, tmp_path, monkeypatch):
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login leaked password credential\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HOME", str(tmp_path))
    session = requests.Session()
    session.auth = ("user", "password")
    session.headers["Authorization"] = "Basic c2VjcmV0Og=="
    session.cookies.set("session", "cookie-secret")
    get(host, "/files/receipt.pdf?probe=netrc")
    get(host, "/files/receipt.pdf?probe=session", session=session)
    download_all(
        [host.base + "/files/receipt.pdf?probe=all"], allow_http=True, allowed_hosts=LOOPBACK
    )
    with host.lock:
        seen = [headers for _path, headers in host.seen]
    assert seen
    for headers in seen:
        assert "authorization" not in headers
        assert "cookie" not in headers
        assert "proxy-authorization" not in headers


def test_link_with_user_info_is_refused(host):
    url = host.base.replace("http://", "http://user:pass@") + "/files/receipt.pdf?probe=userinfo"
    with pytest.raises(ReceiptError) as info:
        download(url, allow_http=True, allowed_hosts=LOOPBACK)
    assert info.value.code == DOWNLOAD_FAILURE
    assert "pass" not in info.value.message.replace("password", "")
    assert not any("probe=userinfo" in path for path in host.paths())


def test_https_only_unless_allowed(host):
    error = fail(host, "/files/receipt.pdf?probe=https-only", allow_http=False)
    assert error.code == DOWNLOAD_FAILURE and "https" in error.message
    assert not any("probe=https-only" in path for path in host.paths())
    for url in ("ftp://127.0.0.1/x.pdf", "file:///etc/passwd", "", None, "https://"):
        with pytest.raises(ReceiptError):
            download(url, allow_http=True, allowed_hosts=LOOPBACK)


def test_redirect_is_refused(host):
    before = host.paths().count("/files/receipt.pdf")
    error = fail(host, "/redirect")
    assert error.code == DOWNLOAD_FAILURE and "302" in error.message
    assert host.paths().count("/files/receipt.pdf") == before  # not followed


@pytest.mark.parametrize(
    "path, status, words",
    [("/missing", 404, "404"), ("/forbidden", 403, "expired"), ("/broken", 503, "503")],
)
def test_http_errors(host, path, status, words):
    error = fail(host, path + "?X-Amz-Signature=topsecret&X-Amz-Credential=AKIA")
    assert error.code == DOWNLOAD_FAILURE
    assert words in error.message and error.data["status"] == status
    assert "topsecret" not in error.message and "AKIA" not in error.message
    assert "?" not in error.message and "topsecret" not in repr(error.data)
    assert error.data["url"] == host.base + path


def test_slow_host_times_out(host):
    started = time.monotonic()
    error = fail(host, "/slow?sig=topsecret", timeout=(1, 0.2))
    assert time.monotonic() - started < 0.9
    assert error.code == DOWNLOAD_FAILURE and "0.2 seconds" in error.message
    assert "topsecret" not in error.message


def test_connection_refused():
    with socket_closed_port() as port, pytest.raises(ReceiptError) as info:
        download(
            f"http://127.0.0.1:{port}/x.pdf",
            allow_http=True,
            allowed_hosts=LOOPBACK,
            timeout=(1, 1),
        )
    assert info.value.code == DOWNLOAD_FAILURE and "connection" in info.value.message


@contextlib.contextmanager
def socket_closed_port():
    """A local port with nothing listening."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def test_truncated_download(host):
    error = fail(host, "/truncated")
    assert error.code == DOWNLOAD_FAILURE and "cut off" in error.message


def test_empty_file(host):
    assert fail(host, "/empty").code == DOWNLOAD_FAILURE


def test_declared_too_big_is_refused_before_reading(host):
    error = fail(host, "/declared-big", max_bytes=1000)
    assert error.code == SIZE_LIMIT_EXCEEDED and "1000 bytes" in error.message


def test_declared_size_in_pleo_is_refused_without_a_request(host):
    error = fail(host, "/files/receipt.pdf?probe=pleo-size", max_bytes=1000, size=5000)
    assert error.code == SIZE_LIMIT_EXCEEDED
    assert not any("probe=pleo-size" in path for path in host.paths())


def test_streamed_too_big_stops_reading(host):
    error = fail(host, "/streamed-big", max_bytes=1000)
    assert error.code == SIZE_LIMIT_EXCEEDED
    assert get(host, "/streamed-big", max_bytes=len(PDF) * 4).content == PDF * 4


def test_wrong_type(host):
    error = fail(host, "/html")
    assert error.code == CONVERSION_FAILURE and "text/html" in error.message
    error = fail(host, "/files/receipt.pdf", mimetype="image/png")
    assert error.code == CONVERSION_FAILURE
    error = fail(host, "/files/receipt.pdf?probe=svg", mimetype="image/svg+xml")
    assert error.code == CONVERSION_FAILURE
    assert not any("probe=svg" in path for path in host.paths())  # refused before asking
    assert fail(host, "/octet/unknown").code == CONVERSION_FAILURE
    assert fail(host, "/octet/scan.png", mimetype="application/pdf").code == CONVERSION_FAILURE


def test_tolerated_types(host):
    receipt = get(host, "/files/charset.csv", mimetype="text/csv")
    assert receipt.mimetype == "text/csv" and receipt.name == "charset.csv"
    receipt = get(host, "/files/plain-for-csv", mimetype="text/csv")
    assert receipt.mimetype == "text/csv" and receipt.name == "plain-for-csv.csv"
    receipt = get(host, "/octet/scan.png", mimetype="image/png")
    assert receipt.mimetype == "image/png" and receipt.name == "scan.png" and receipt.content == PNG
    receipt = get(host, "/octet/scan.png")  # no declared type: the extension decides
    assert receipt.mimetype == "image/png"
    receipt = get(host, "/octet/download", mimetype="application/pdf")  # the content decides
    assert receipt.mimetype == "application/pdf" and receipt.name == "download.pdf"
    receipt = get(host, "/files/receipt.pdf", mimetype="application/pdf; charset=binary")
    assert receipt.mimetype == "application/pdf"
    assert get(host, "/files/receipt.pdf", mimetype="application/octet-stream").content == PDF


def test_file_names(host):
    name = get(host, "/cd-star").name
    assert name == "evil.pdf"  # filename* wins, its directories are dropped
    assert get(host, "/cd-plain").name == "my _best_ receipt.PDF"
    nasty = get(host, "/cd-nasty").name
    assert len(nasty) <= 128 and nasty.endswith(".pdf")
    assert "/" not in nasty and "\\" not in nasty and "\x01" not in nasty and "\u202e" not in nasty
    assert not nasty.startswith(".")


def test_filename_helpers():
    assert content_disposition_filename("attachment; filename=plain.pdf") == "plain.pdf"
    assert content_disposition_filename("attachment; filename*=UTF-8''%E2%82%AC.pdf") == "€.pdf"
    assert content_disposition_filename("attachment; filename*=UTF-8''%FF.pdf; filename=a.pdf") == (
        "a.pdf"
    )
    assert content_disposition_filename("inline") is None
    assert content_disposition_filename(None) is None
    assert safe_filename("", "image/jpeg") == "receipt.jpg"
    assert safe_filename("../..", "application/pdf") == "receipt.pdf"
    assert safe_filename("scan", "image/tiff") == "scan.tiff"
    assert safe_filename("photo.JPEG", "image/jpeg") == "photo.JPEG"
    assert (
        safe_filename(
            "a/b\\c.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        == "c.xlsx"
    )
    long = safe_filename("x" * 500 + ".docx", "application/msword")
    assert len(long) == 128 and long.endswith(".doc")


# --------------------------------------------------------------------------- download_all


def test_download_all_keeps_order_returns_errors_and_runs_in_parallel(host):
    refs = [
        FileRef(url=host.base + f"/concurrent/{index}", mimetype="application/pdf", size=100)
        for index in range(8)
    ]
    refs.insert(3, FileRef(url=host.base + "/missing", mimetype="application/pdf", size=1))
    refs.insert(5, {"url": host.base + "/html", "type": "text/html", "size": 1})
    refs.append(host.base + "/files/receipt.pdf")
    refs.append(
        FileRef(url="https://example.invalid/x.pdf", mimetype="application/pdf", size=10**9)
    )
    with host.lock:
        host.max_in_flight = 0
    started = time.monotonic()
    results = download_all(refs, workers=4, allow_http=True, allowed_hosts=LOOPBACK, timeout=(2, 5))
    elapsed = time.monotonic() - started
    assert len(results) == len(refs)
    for ref, result in zip(refs, results, strict=True):
        url = ref if isinstance(ref, str) else ref["url"] if isinstance(ref, dict) else ref.url
        if "/concurrent/" in url:
            assert isinstance(result, Receipt) and result.content.endswith(
                urlsplit(url).path.encode()
            )
    assert isinstance(results[3], ReceiptError) and results[3].code == DOWNLOAD_FAILURE
    assert isinstance(results[5], ReceiptError) and results[5].code == CONVERSION_FAILURE
    assert isinstance(results[-2], Receipt)
    assert isinstance(results[-1], ReceiptError) and results[-1].code == SIZE_LIMIT_EXCEEDED
    assert 2 <= host.max_in_flight <= 4
    assert elapsed < 8 * 0.3  # faster than one at a time


def test_download_all_edge_cases():
    assert download_all([]) == []
    results = download_all([None, 42, {"url": None}], workers=0)
    assert all(isinstance(result, ReceiptError) for result in results)
