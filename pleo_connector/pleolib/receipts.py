"""Download of receipt files from the presigned links of a Pleo export item.

A file link is not a Pleo API call: it points to a file host and carries its own credential in
its query string, valid 24 hours [spec]. So a download

* never sends an ``Authorization`` header: the request is prepared by itself, never merged with a
  session's auth, headers or cookies; ``trust_env`` is off (no ``.netrc`` credentials) and a link
  with ``user:password@`` is refused;
* goes through the machine's proxy and verifies with its CA bundle, exactly as the Pleo API
  client does (:mod:`.network`: ``HTTPS_PROXY``, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE``... or the
  ``ca_bundle`` the caller passes); a proxy's own credentials go to the proxy only;
* never follows a redirect (it could lead anywhere) and, unless ``allow_http`` (the sandbox's
  file host is plain http on loopback), only uses ``https://``;
* is streamed and refused beyond ``max_bytes``: on a declared ``Content-Length`` before reading,
  else as soon as more arrives;
* only accepts the types Odoo can keep as a receipt, checked against the type Pleo declared;
* never shows the link's query string in an error: messages name ``scheme://host/path`` only;
* only reaches public addresses: a link whose host is, or resolves to, a loopback, link-local
  (``169.254.169.254``, cloud metadata), private, shared (CGNAT), multicast, unspecified,
  reserved or any other non-global address is refused, whatever its scheme, unless its ``host`` or
  ``host:port`` is in ``allowed_hosts`` (the Odoo server option ``pleo_receipt_allowed_hosts``,
  empty by default; the sandbox's loopback file host for tests and demos).

How the address is checked (against DNS rebinding). Checking a name's resolution and then letting
the HTTP library resolve it again leaves a window: a hostile DNS answers a public address to the
check and ``127.0.0.1`` to the connection. So the link's host is resolved and checked first (a
refused address gets no packet at all), and then a direct download goes through
:class:`CheckedAdapter`, whose connections check the address the socket **actually connected
to** (``getpeername()`` right after ``connect``, before TLS and before a byte of the request):
whatever DNS said, no request reaches a refused address, on every new connection of the pool.
The host name is kept as is, so the ``Host`` header, TLS's SNI and certificate check are the
normal ones.
Behind a proxy (:mod:`.network`) the socket goes to the proxy, which resolves and connects
itself; then the link's host is resolved here before sending and refused if any address it
resolves to is refused (a literal address is checked as it is). That covers links naming or
resolving (for this server) to an internal address; it cannot see a different answer the proxy's
own DNS may give, nor a name this server cannot resolve at all (which is then left to the proxy
and its egress rules).
"""

import ipaddress
import re
import socket
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ReadTimeoutError

from .items import ItemError, safe_url
from .network import NetworkSettingsError, route
from .reasons import PHRASES

#: The Odoo server option that lets hosts through the address check (named in messages).
ALLOWED_HOSTS_OPTION = "pleo_receipt_allowed_hosts"

MAX_BYTES = 30 * 1024 * 1024
CHUNK_BYTES = 64 * 1024
MAX_NAME = 128
MAX_WORKERS = 32
USER_AGENT = "pleo-connector-odoo/19.0.1.0.0"

DOWNLOAD_FAILURE = "receipt_download_failure"
SIZE_LIMIT_EXCEEDED = "receipt_file_size_limit_exceeded"
CONVERSION_FAILURE = "receipt_conversion_failure"

# accepted mime type -> the extension its files get
MIMETYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/heic": "heic",
    "image/webp": "webp",
    "image/tiff": "tiff",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "text/plain": "txt",
    "text/csv": "csv",
}
# other names seen for the same types
_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/heif": "image/heic",
    "image/x-png": "image/png",
    "image/tif": "image/tiff",
    "application/x-pdf": "application/pdf",
    "text/comma-separated-values": "text/csv",
    "application/csv": "text/csv",
}
EXTENSIONS = {
    **{ext: mimetype for mimetype, ext in MIMETYPES.items()},
    "jpeg": "image/jpeg",
    "jpe": "image/jpeg",
    "heif": "image/heic",
    "tif": "image/tiff",
    "text": "text/plain",
}
_UNTYPED = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/binary"})
# types a file host may send for a file Pleo declared otherwise, without it being another file
_COMPATIBLE = {
    "text/csv": frozenset({"text/plain"}),
    "text/plain": frozenset({"text/csv"}),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": frozenset(
        {"application/zip"}
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": frozenset(
        {"application/zip"}
    ),
}
_HEADERS = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": "identity"}
_PARAM = re.compile(r';\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
_QUOTED_PAIR = re.compile(r"\\(.)")


class ReceiptError(ItemError):
    """One receipt could not be fetched, so its item fails; ``code`` is a Pleo item failure type.

    ``receipt_download_failure`` (HTTP error, timeout, connection, cut off, refused link),
    ``receipt_file_size_limit_exceeded`` or ``receipt_conversion_failure`` (a type Odoo does not
    accept). ``message`` never holds the link's query string; ``data`` the values it names.
    """


@dataclass(frozen=True)
class Receipt:
    """A downloaded receipt: a safe file name, its (normalised) mime type and its bytes."""

    name: str
    mimetype: str
    content: bytes

    def __repr__(self):
        return f"Receipt(name={self.name!r}, mimetype={self.mimetype!r}, {len(self.content)} bytes)"


def normalise_mimetype(value):
    """``'Image/JPG; charset=x'`` → ``'image/jpeg'``; ``''`` for nothing."""
    if not isinstance(value, str):
        return ""
    mimetype = value.split(";", 1)[0].strip().lower()
    return _ALIASES.get(mimetype, mimetype)


def _extension_type(name):
    """The accepted mime type a file name's extension stands for, or ``None``."""
    if not name or "." not in name:
        return None
    return EXTENSIONS.get(name.rsplit(".", 1)[1].lower())


def content_disposition_filename(value):
    """The file name of a ``Content-Disposition`` header (RFC 6266), ``filename*`` first."""
    if not isinstance(value, str):
        return None
    params = {}
    for key, raw in _PARAM.findall(value):
        raw = raw.strip()
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            raw = _QUOTED_PAIR.sub(r"\1", raw[1:-1])
        params.setdefault(key.lower(), raw)
    extended = params.get("filename*")
    if extended and extended.count("'") >= 2:
        charset, _language, encoded = extended.split("'", 2)
        if charset.lower() in ("utf-8", "iso-8859-1"):
            decoded = unquote(encoded, encoding=charset.lower(), errors="replace")
            if "\ufffd" not in decoded:
                return decoded
    return params.get("filename") or None


def safe_filename(name, mimetype):
    """A file name safe to store: no path, no control characters, at most 128 characters.

    The name gets the extension of ``mimetype`` when its own does not stand for that type, so
    that Odoo (and whoever downloads it from Odoo) opens it with the right program.
    """
    ext = MIMETYPES.get(mimetype, "bin")
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # no directories
    name = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in name)
    name = re.sub(r"\s+", " ", name).strip(" .")  # no hidden files, no "..", no trailing dots
    for char in '<>:"|?*':  # characters that no Windows file system accepts
        name = name.replace(char, "_")
    if not name:
        return f"receipt.{ext}"
    if _extension_type(name) != mimetype:
        name = f"{name}.{ext}"
    if len(name) > MAX_NAME:
        stem, suffix = name.rsplit(".", 1)
        name = stem[: MAX_NAME - len(suffix) - 1].rstrip(" .") + "." + suffix
    return name


def _fail(code, reason, **data):
    """The :class:`ReceiptError` of ``reason`` (a key of :data:`.reasons.REASONS`)."""
    return ReceiptError(code, data=data, reason=reason)


def _check_url(url, allow_http):
    if not isinstance(url, str) or not url:
        raise _fail(DOWNLOAD_FAILURE, "receipt_no_link")
    where = safe_url(url)
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _port = parts.port
    except ValueError:
        raise _fail(DOWNLOAD_FAILURE, "receipt_link_invalid") from None
    scheme = parts.scheme.lower()
    if scheme != "https" and not (allow_http and scheme == "http"):
        raise _fail(DOWNLOAD_FAILURE, "receipt_not_https", url=where)
    if not host:
        raise _fail(DOWNLOAD_FAILURE, "receipt_link_no_host", url=where)
    if parts.username is not None or parts.password is not None:
        raise _fail(DOWNLOAD_FAILURE, "receipt_link_credentials", url=where)
    return where


def _resolve_type(declared, received, name, head):
    """The accepted mime type of the file, or :class:`ReceiptError` ``receipt_conversion_failure``.

    ``declared`` is Pleo's ``type``, ``received`` the response's ``Content-Type``. A generic
    ``application/octet-stream`` from the host is tolerated when the file name's extension (or,
    failing that, the file's first bytes) shows an accepted type that agrees with Pleo's.
    """
    declared = _declared_type(declared)
    received = normalise_mimetype(received)
    if received not in _UNTYPED:
        if received not in MIMETYPES and received not in _COMPATIBLE.get(declared, ()):
            raise _fail(CONVERSION_FAILURE, "receipt_host_type_refused", mimetype=received)
        if declared is None or received == declared:
            return received
        if received in _COMPATIBLE.get(declared, ()):
            return declared
        raise _fail(
            CONVERSION_FAILURE,
            "receipt_host_type_mismatch",
            declared=declared,
            mimetype=received,
        )
    found = _extension_type(name) or _sniff(head)
    if found is None:
        raise _fail(CONVERSION_FAILURE, "receipt_type_unknown", declared=declared)
    if declared is not None and found != declared and found not in _COMPATIBLE.get(declared, ()):
        raise _fail(
            CONVERSION_FAILURE,
            "receipt_file_type_mismatch",
            declared=declared,
            mimetype=found,
        )
    return declared or found


def _declared_type(declared):
    """Pleo's declared type, normalised; ``None`` if generic; refused if not accepted."""
    declared = normalise_mimetype(declared)
    if declared in _UNTYPED:
        return None
    if declared not in MIMETYPES:
        raise _fail(CONVERSION_FAILURE, "receipt_type_refused", mimetype=declared)
    return declared


def _sniff(head):
    """The mime type the file's first bytes show, for the binary types with a signature."""
    signatures = (
        (b"%PDF-", "application/pdf"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"II*\x00", "image/tiff"),
        (b"MM\x00*", "image/tiff"),
    )
    for signature, mimetype in signatures:
        if head.startswith(signature):
            return mimetype
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"heif", b"msf1"):
        return "image/heic"
    return None


# --------------------------------------------------------------------------- addresses


def parse_allowed_hosts(value):
    """``"files.local, 127.0.0.1:8069, [::1]:80"`` → ``{("files.local", None), ...}``.

    Each entry is a ``host`` (any port) or ``host:port`` (that port only), case-insensitive; an
    IPv6 address is written in brackets. ``value`` may be a string (comma-separated) or an
    iterable of entries; empty entries are ignored.
    """
    if not value:
        return frozenset()
    entries = value.split(",") if isinstance(value, str) else list(value)
    found = set()
    for entry in entries:
        entry = str(entry).strip().lower()
        if not entry:
            continue
        port = None
        if entry.startswith("["):
            host, _sep, rest = entry[1:].partition("]")
            if rest.startswith(":") and rest[1:].isdigit():
                port = int(rest[1:])
        else:
            host, sep, rest = entry.rpartition(":")
            if sep and rest.isdigit() and ":" not in host:
                port = int(rest)
            else:
                host = entry
        host = host.strip().rstrip(".")
        if host:
            found.add((host, port))
    return frozenset(found)


def host_allowed(host, port, allowed):
    """Whether ``host`` (on ``port``) is in the parsed ``allowed`` hosts."""
    host = (host or "").strip("[]").lower().rstrip(".")
    return (host, None) in allowed or (host, port) in allowed


def address_problem(address):
    """Why a download may not go to ``address`` (an IP address string), or ``None`` if public.

    The reason is a phrase such as ``"a loopback address"`` (the words of
    :func:`address_problem_key`).
    """
    key = address_problem_key(address)
    return None if key is None else PHRASES[key]


def address_problem_key(address):
    """Why a download may not go to ``address``, as a key of :data:`.reasons.PHRASES`
    (``address_loopback``...), or ``None`` if it is public.

    An IPv4 address mapped into IPv6 (``::ffff:127.0.0.1``) is judged as the IPv4 address it
    stands for.
    """
    try:
        ip = ipaddress.ip_address(str(address).split("%", 1)[0])
    except ValueError:
        return "address_invalid"
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    for test in (
        "is_unspecified",
        "is_loopback",
        "is_link_local",
        "is_multicast",
        "is_reserved",
        "is_private",
    ):
        if getattr(ip, test):
            return "address_" + test[3:]
    if not ip.is_global:
        return "address_not_public"
    return None


class AddressRefused(Exception):
    """A connection or link went to a refused address; ``host``, ``address`` and ``problem`` (a
    key of :data:`.reasons.PHRASES`)."""

    def __init__(self, host, address, problem):
        super().__init__(f"{host} is {address}, {PHRASES.get(problem, problem)}")
        self.host = host
        self.address = address
        self.problem = problem


def _check_peer(connection, sock):
    """The check of :class:`CheckedAdapter`'s connections, right after ``connect``."""
    if getattr(connection, "proxy", None) is not None:
        return  # the socket goes to a proxy: the link's host was checked before sending
    if host_allowed(connection.host, connection.port, connection.pleo_allowed):
        return
    try:
        address = sock.getpeername()[0]
    except OSError:
        address = "?"
    problem = address_problem_key(address)
    if problem:
        sock.close()
        raise AddressRefused(connection.host, address, problem)


class _CheckedHTTPConnection(HTTPConnection):
    pleo_allowed = frozenset()

    def _new_conn(self):
        sock = super()._new_conn()
        _check_peer(self, sock)
        return sock


class _CheckedHTTPSConnection(HTTPSConnection):
    pleo_allowed = frozenset()

    def _new_conn(self):
        sock = super()._new_conn()  # before TLS: nothing is sent to a refused address
        _check_peer(self, sock)
        return sock


class CheckedAdapter(HTTPAdapter):
    """A requests transport whose every new connection checks the address it connected to.

    ``allowed`` (from :func:`parse_allowed_hosts`) lists the hosts let through as they are.
    """

    def __init__(self, allowed=frozenset(), **kw):
        self.pleo_allowed = frozenset(allowed)
        super().__init__(**kw)

    def init_poolmanager(self, *args, **kw):
        result = super().init_poolmanager(*args, **kw)
        allowed = self.pleo_allowed
        http_conn = type("CheckedHTTP", (_CheckedHTTPConnection,), {"pleo_allowed": allowed})
        https_conn = type("CheckedHTTPS", (_CheckedHTTPSConnection,), {"pleo_allowed": allowed})
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("CheckedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
            "https": type(
                "CheckedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}
            ),
        }
        return result

    def __getstate__(self):  # requests' adapters are picklable; keep the allowed hosts
        state = super().__getstate__()
        state["pleo_allowed"] = self.pleo_allowed
        return state


def _check_resolution(url, allowed):
    """Before any request: refuse a link whose host is or resolves to a refused address (see the
    module). A name this server cannot resolve is left to the connection (direct: it fails;
    behind a proxy: the proxy resolves it)."""
    parts = urlsplit(url)
    host = parts.hostname
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    if host_allowed(host, port, allowed):
        return
    try:
        addresses = [ipaddress.ip_address(host.split("%", 1)[0])]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            return
        addresses = [info[4][0] for info in infos]
    for address in addresses:
        problem = address_problem_key(address)
        if problem:
            raise AddressRefused(host, str(address), problem)


def _refused(error, where):
    host = error.host.strip("[]")
    return _fail(
        DOWNLOAD_FAILURE,
        "receipt_host_refused" if host == error.address else "receipt_host_resolves_refused",
        url=where,
        host=host,
        address=error.address,
        problem=error.problem,
        option=ALLOWED_HOSTS_OPTION,
    )


def _new_session():
    session = requests.Session()
    session.trust_env = False  # no .netrc credentials; proxies and CA bundle: see network.py
    session.auth = None
    session.headers.clear()
    return session


def download(
    url,
    *,
    max_bytes=MAX_BYTES,
    allow_http=False,
    timeout=(5, 30),
    session=None,
    mimetype=None,
    size=None,
    ca_bundle=None,
    allowed_hosts=None,
):
    """Download one receipt and return a :class:`Receipt`; raise :class:`ReceiptError`.

    ``mimetype`` and ``size`` are what Pleo declared for the file (``ExportItemFile.type`` and
    ``size``): a declared size over ``max_bytes`` is refused without a request. ``ca_bundle`` is
    the CA bundle to verify with before the environment's (see :mod:`.network`). ``session`` may
    be given to reuse its connection pool; it gets a :class:`CheckedAdapter` mounted (its own
    transport would not check the address) and nothing else of it is used (never its auth,
    headers, cookies, proxies, CA bundle or environment), so it cannot add credentials either.
    ``allowed_hosts`` (a comma-separated string or entries, see :func:`parse_allowed_hosts`) lets
    hosts through the address check.
    """
    where = _check_url(url, allow_http)
    _declared_type(mimetype)  # a refused type needs no download
    if isinstance(size, int) and not isinstance(size, bool) and size > max_bytes:
        raise _too_big(where, max_bytes)
    try:
        way = route(url, ca_bundle)
    except NetworkSettingsError as error:
        detail = error.message[:1].lower() + error.message[1:]
        raise _fail(
            DOWNLOAD_FAILURE, "receipt_network_settings", url=where, detail=detail
        ) from None
    allowed = parse_allowed_hosts(allowed_hosts)
    try:  # before any packet; the connection checks again (below), a proxy cannot
        _check_resolution(url, allowed)
    except AddressRefused as error:
        raise _refused(error, where) from None
    own = session is None
    session = _new_session() if own else session
    adapter = CheckedAdapter(allowed)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    request = requests.Request("GET", url, headers=dict(_HEADERS)).prepare()
    request.headers.pop("Authorization", None)  # belt and braces: prepare() sets none here
    try:
        response = session.send(
            request,
            stream=True,
            timeout=timeout,
            allow_redirects=False,
            proxies=way.proxies,
            verify=way.verify,
        )
        with response:
            return _read(response, where, max_bytes, mimetype, url)
    except ReceiptError:
        raise
    except AddressRefused as error:
        raise _refused(error, where) from None
    except requests.RequestException as exc:
        raise _transport_error(exc, where, timeout, way.proxy_label) from None
    except Exception as exc:  # anything else from the stack may quote the link
        raise _fail(
            DOWNLOAD_FAILURE, "receipt_unexpected", url=where, error=type(exc).__name__
        ) from None
    finally:
        if own:
            session.close()


def _read(response, where, max_bytes, declared, url):
    status = response.status_code
    if status != 200:
        raise _status_error(status, where)
    headers = response.headers
    length = headers.get("Content-Length", "").strip()
    if length.isdigit() and int(length) > max_bytes:
        raise _too_big(where, max_bytes)
    name = content_disposition_filename(headers.get("Content-Disposition"))
    if not name:
        name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    received = headers.get("Content-Type", "")
    # a declared type that is refused needs no download
    if normalise_mimetype(received) not in _UNTYPED:
        _resolve_type(declared, received, name, b"")
    chunks, total = [], 0
    for chunk in response.iter_content(CHUNK_BYTES):
        total += len(chunk)
        if total > max_bytes:
            raise _too_big(where, max_bytes)
        chunks.append(chunk)
    content = b"".join(chunks)
    identity = headers.get("Content-Encoding", "identity").strip().lower() in ("", "identity")
    if length.isdigit() and identity and len(content) != int(length):
        raise _fail(
            DOWNLOAD_FAILURE, "receipt_cut_off", url=where, received=len(content), length=length
        )
    if not content:
        raise _fail(DOWNLOAD_FAILURE, "receipt_empty", url=where)
    mimetype = _resolve_type(declared, received, name, content[:16])
    return Receipt(name=safe_filename(name, mimetype), mimetype=mimetype, content=content)


def _too_big(where, max_bytes):
    megabytes = max_bytes / (1024 * 1024)  # only for the message, not money
    limit = f"{megabytes:g} MB" if max_bytes >= 1024 * 1024 else f"{max_bytes} bytes"
    return _fail(
        SIZE_LIMIT_EXCEEDED, "receipt_too_big", url=where, max_bytes=max_bytes, limit=limit
    )


def _status_error(status, where):
    if 300 <= status < 400:
        reason = "receipt_http_redirect"
    elif status in (401, 403):
        reason = "receipt_http_refused"
    elif status in (404, 410):
        reason = "receipt_http_missing"
    elif status >= 500:
        reason = "receipt_http_failed"
    else:
        reason = "receipt_http_other"
    return _fail(DOWNLOAD_FAILURE, reason, url=where, status=status)


def _transport_error(exc, where, timeout, proxy=None):
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    data = {}
    if isinstance(exc, requests.exceptions.ProxyError):
        reason, data = "receipt_proxy", {"proxy": proxy or "(unnamed)"}
    elif isinstance(exc, requests.exceptions.SSLError):
        reason = "receipt_certificate"
    elif isinstance(exc, requests.exceptions.ConnectTimeout):
        reason, data = "receipt_connect_timeout", {"seconds": f"{connect:g}"}
    elif isinstance(exc, requests.exceptions.Timeout) or (
        exc.args and isinstance(exc.args[0], ReadTimeoutError)
    ):
        reason, data = "receipt_read_timeout", {"seconds": f"{read:g}"}
    elif isinstance(exc, requests.exceptions.ChunkedEncodingError):
        reason = "receipt_transfer_cut_off"
    elif isinstance(exc, requests.exceptions.ContentDecodingError):
        reason = "receipt_decoding"
    elif isinstance(exc, requests.ConnectionError):
        reason = "receipt_connection"
    else:
        reason, data = "receipt_request_failed", {"error": type(exc).__name__}
    return _fail(DOWNLOAD_FAILURE, reason, url=where, **data)


def download_all(refs, workers=8, **kw):
    """Download every receipt of ``refs`` (``FileRef``, ``{url, type, size}`` or a link).

    Returns one :class:`Receipt` or :class:`ReceiptError` per ref, in the order of ``refs``; an
    error is returned, never raised. At most ``workers`` downloads run at once.
    """
    refs = list(refs)
    if not refs:
        return []
    workers = max(1, min(int(workers), MAX_WORKERS, len(refs)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pleo-receipt") as pool:
        return list(pool.map(lambda ref: _download_one(ref, kw), refs))


def _download_one(ref, kw):
    try:
        if isinstance(ref, str):
            return download(ref, **kw)
        if isinstance(ref, dict):
            url, mimetype, size = ref.get("url"), ref.get("type"), ref.get("size")
        else:
            url = getattr(ref, "url", None)
            mimetype, size = getattr(ref, "mimetype", None), getattr(ref, "size", None)
        options = {"mimetype": mimetype, "size": size, **kw}
        return download(url, **options)
    except ReceiptError as error:
        return error
    except Exception as exc:
        return _fail(DOWNLOAD_FAILURE, "receipt_failed", error=type(exc).__name__)
