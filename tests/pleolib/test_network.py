"""The machine's network settings (pleolib.network): receipts and the Pleo API client honour the
same proxy and CA bundle, and a receipt download still refuses everything it refused before.

Against the sandbox on loopback: its receipt file host over https with a certificate of a test
CA (``tls_tools.make_pki``), the Pleo API behind a TLS front, and ``ConnectProxy``. Every test
starts from an environment without proxy or CA variables (this machine sets
``REQUESTS_CA_BUNDLE`` and friends to the system bundle) and with a ``~/.netrc`` that has
credentials for 127.0.0.1, so that a client reading it would show.
"""

import base64

import pytest
import requests
from pleo_sandbox import PleoSandbox
from pleo_sandbox.proxy import ConnectProxy
from pleolib import network
from pleolib.auth import PleoAuth
from pleolib.client import PleoClient
from pleolib.connection_api import ConnectionApi
from pleolib.errors import PleoUnavailableError
from pleolib.network import NetworkSettingsError
from pleolib.receipts import DOWNLOAD_FAILURE, Receipt, ReceiptError, download, download_all
from tls_tools import TlsFront, make_pki

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"  # 16 KiB and a little
NETRC_SECRET = "netrc-secret-password"
PROXY_SECRET = "proxy-secret-password"
SESSION_SECRET = "session-cookie-secret"
CERTIFICATE_REASON = "certificate could not be verified"
TIMEOUT = (2, 5)
_VARIABLES = (*network.CA_BUNDLE_VARIABLES, *network.PROXY_VARIABLES)


# --------------------------------------------------------------------------- fixtures
# the sandbox and its file host run on loopback, which downloads refuse unless allowed
LOOPBACK = "127.0.0.1"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """The test CA and the file host's certificate."""
    return make_pki(tmp_path_factory.mktemp("pki"), "files")


@pytest.fixture(scope="module")
def other_pki(tmp_path_factory):
    """Another CA: a bundle of it does not make the file host trusted."""
    return make_pki(tmp_path_factory.mktemp("other-pki"), "other")


@pytest.fixture(scope="module")
def sandbox(pki):
    """The sandbox, its receipt file host over https."""
    with PleoSandbox(file_tls=pki.server_pair) as running:
        yield running


@pytest.fixture
def plain_sandbox(running):
    """The sandbox as it is by default (tests/conftest.py's ``running``): everything plain http."""
    return running


@pytest.fixture(scope="module")
def running_proxy():
    with ConnectProxy() as proxy:
        yield proxy


@pytest.fixture
def proxy(running_proxy):
    running_proxy.reset_requests()
    return running_proxy


@pytest.fixture(autouse=True)
def environment(monkeypatch, tmp_path):
    """No proxy or CA variable, and a ~/.netrc with credentials for the file host's name."""
    for name in _VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    netrc = tmp_path / ".netrc"
    netrc.write_text(
        f"machine 127.0.0.1 login netrc-user password {NETRC_SECRET}\n"
        f"default login netrc-default password {NETRC_SECRET}\n"
    )
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(netrc))
    return monkeypatch


@pytest.fixture
def network_on(environment, proxy, pki):
    """Every setting on: both proxies, the CA bundle, the .netrc."""
    environment.setenv("HTTPS_PROXY", proxy.url)
    environment.setenv("HTTP_PROXY", proxy.url)
    environment.setenv("REQUESTS_CA_BUNDLE", pki.ca_file)
    return environment


@pytest.fixture
def receipt(sandbox):
    """A presigned https link to a PDF on the file host (its requests forgotten)."""
    sandbox.reset_file_requests()
    return sandbox.add_file(PDF, "application/pdf", "lunch.pdf")


def host_port(url):
    return url.split("/")[2]


def fetch(url, **kw):
    kw.setdefault("timeout", TIMEOUT)
    kw.setdefault("allowed_hosts", LOOPBACK)  # the sandbox's file host is on loopback
    return download(url, mimetype="application/pdf", **kw)


def refused(url, **kw):
    with pytest.raises(ReceiptError) as info:
        fetch(url, **kw)
    assert info.value.code == DOWNLOAD_FAILURE
    return info.value


def assert_clean(file_requests):
    """What reached the file host: no credentials of any kind, no cookie."""
    assert file_requests
    for request in file_requests:
        assert not request.had_authorization
        assert not {"authorization", "proxy-authorization", "cookie"} & set(request.header_names)


def hostile_session(key):
    """A session that would add the Pleo key, credentials and a cookie if it were used."""
    session = requests.Session()
    session.trust_env = True
    session.auth = PleoAuth(key)
    session.headers["Authorization"] = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    session.cookies.set("session", SESSION_SECRET)
    session.proxies = {"https": "http://127.0.0.1:9", "http": "http://127.0.0.1:9"}
    session.verify = False
    return session


# --------------------------------------------------------------------------- network.py


def test_ca_bundle_order(environment, pki, other_pki):
    """The option, then REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, SSL_CERT_FILE, then requests'."""
    assert network.ca_bundle(None) == (True, None)
    environment.setenv("SSL_CERT_FILE", "/from/ssl-cert-file")
    assert network.ca_bundle(None) == ("/from/ssl-cert-file", "SSL_CERT_FILE")
    environment.setenv("CURL_CA_BUNDLE", "/from/curl")
    assert network.ca_bundle(None) == ("/from/curl", "CURL_CA_BUNDLE")
    environment.setenv("REQUESTS_CA_BUNDLE", "")  # empty: not set
    assert network.ca_bundle("") == ("/from/curl", "CURL_CA_BUNDLE")
    environment.setenv("REQUESTS_CA_BUNDLE", "/from/requests")
    assert network.ca_bundle("  ") == ("/from/requests", "REQUESTS_CA_BUNDLE")
    assert network.ca_bundle(f" {pki.ca_file} ") == (pki.ca_file, "pleo_ca_bundle")
    environment.setenv("REQUESTS_CA_BUNDLE", other_pki.ca_file)
    way = network.route("https://127.0.0.1:1/x", pki.ca_file)
    assert (way.verify, way.ca_source) == (pki.ca_file, "pleo_ca_bundle")


def test_proxies_follow_the_environment_and_no_proxy(environment):
    url = "https://files.example.com/receipts/1?X-Signature=s"
    assert network.route(url).proxies == {} and network.route(url).proxy is None
    environment.setenv("HTTPS_PROXY", "http://user:pw@proxy.corp:3128")
    way = network.route(url)
    assert way.proxy == "http://user:pw@proxy.corp:3128"
    assert way.proxy_label == "http://proxy.corp:3128"  # never its credentials in a message
    assert network.route("http://files.example.com/x").proxy is None  # no HTTP_PROXY
    environment.setenv("https_proxy", "http://lower.corp:8080")  # lower case wins
    assert network.route(url).proxy == "http://lower.corp:8080"
    environment.setenv("ALL_PROXY", "http://all.corp:1")
    assert network.route("http://files.example.com/x").proxy == "http://all.corp:1"
    for no_proxy in ("files.example.com", ".example.com", "example.com", "*"):
        environment.setenv("NO_PROXY", no_proxy)
        assert network.route(url).proxies == {}, no_proxy
    environment.setenv("NO_PROXY", "127.0.0.0/8,localhost")
    assert network.route("https://127.0.0.1:8443/x").proxies == {}
    assert network.route(url).proxy == "http://lower.corp:8080"
    environment.setenv("no_proxy", "other.example.org")  # lower case wins here too
    assert network.route("https://127.0.0.1:8443/x").proxy == "http://lower.corp:8080"


def test_a_bundle_that_does_not_exist_is_named(environment, tmp_path):
    missing = str(tmp_path / "missing.pem")
    with pytest.raises(NetworkSettingsError) as info:
        network.route("https://files.example.com/x", missing)
    assert "pleo_ca_bundle" in info.value.message and missing in info.value.message
    environment.setenv("SSL_CERT_FILE", missing)
    with pytest.raises(NetworkSettingsError) as info:
        network.route("https://files.example.com/x")
    assert "SSL_CERT_FILE" in info.value.message
    assert network.route("http://files.example.com/x").verify == missing  # unused for http


# --------------------------------------------------------------------------- the CA bundle


def test_an_untrusted_file_host_fails_with_the_certificate_reason(sandbox, receipt, other_pki):
    error = refused(receipt)
    assert CERTIFICATE_REASON in error.message and "?" not in error.message
    assert not sandbox.file_requests  # the handshake failed: no request
    error = refused(receipt, ca_bundle=other_pki.ca_file)
    assert CERTIFICATE_REASON in error.message


@pytest.mark.parametrize("variable", network.CA_BUNDLE_VARIABLES)
def test_a_ca_bundle_from_the_environment_is_trusted(environment, sandbox, receipt, pki, variable):
    assert CERTIFICATE_REASON in refused(receipt).message
    environment.setenv(variable, pki.ca_file)
    got = fetch(receipt)
    assert got == Receipt("lunch.pdf", "application/pdf", PDF)
    assert_clean(sandbox.file_requests)


def test_the_option_comes_before_the_environment(environment, sandbox, receipt, pki, other_pki):
    environment.setenv("REQUESTS_CA_BUNDLE", other_pki.ca_file)
    assert CERTIFICATE_REASON in refused(receipt).message
    assert fetch(receipt, ca_bundle=pki.ca_file).content == PDF
    [result] = download_all(
        [sandbox.file_entry(receipt)], ca_bundle=pki.ca_file, allowed_hosts=LOOPBACK
    )
    assert isinstance(result, Receipt), result


def test_a_missing_option_bundle_is_a_clear_failure(sandbox, receipt, tmp_path):
    error = refused(receipt, ca_bundle=str(tmp_path / "nowhere.pem"))
    assert "pleo_ca_bundle" in error.message and "nowhere.pem" in error.message
    assert "?" not in error.message
    assert not sandbox.file_requests


# --------------------------------------------------------------------------- the proxy


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"])
def test_a_receipt_goes_through_the_proxy(environment, sandbox, receipt, pki, proxy, variable):
    environment.setenv(variable, proxy.url)
    environment.setenv("REQUESTS_CA_BUNDLE", pki.ca_file)
    assert fetch(receipt).content == PDF
    assert proxy.connect_targets == [host_port(receipt)]
    [tunnel] = proxy.requests
    assert tunnel.status == 200 and tunnel.bytes_down > len(PDF)  # the receipt came through it
    assert tunnel.header("Proxy-Authorization") is None
    assert_clean(sandbox.file_requests)


def test_no_proxy_bypasses_the_proxy(environment, sandbox, receipt, pki, proxy):
    environment.setenv("HTTPS_PROXY", proxy.url)
    environment.setenv("NO_PROXY", "localhost,127.0.0.1")
    assert fetch(receipt, ca_bundle=pki.ca_file).content == PDF
    assert proxy.requests == []
    assert len(sandbox.file_requests) == 1


def test_proxy_credentials_go_to_the_proxy_only(environment, sandbox, receipt, pki):
    with ConnectProxy(credentials=("proxy-user", PROXY_SECRET)) as proxy:
        environment.setenv("REQUESTS_CA_BUNDLE", pki.ca_file)
        environment.setenv("HTTPS_PROXY", proxy.url)  # without its credentials: 407
        error = refused(receipt)
        assert f"proxy {proxy.url}" in error.message and "HTTPS_PROXY" in error.message
        assert not sandbox.file_requests
        environment.setenv("HTTPS_PROXY", proxy.url_with_credentials())
        assert fetch(receipt).content == PDF
        sent = base64.b64encode(f"proxy-user:{PROXY_SECRET}".encode()).decode()
        tunnels = [r for r in proxy.requests if r.status == 200]
        assert tunnels and {r.header("Proxy-Authorization") for r in tunnels} == {f"Basic {sent}"}
        assert_clean(sandbox.file_requests)  # inside the tunnel: no Proxy-Authorization


def test_a_proxy_that_is_down_is_named(environment, receipt, pki):
    environment.setenv("HTTPS_PROXY", "http://someone:pw@127.0.0.1:9")
    error = refused(receipt, ca_bundle=pki.ca_file)
    assert "the proxy http://127.0.0.1:9 refused" in error.message
    assert "pw@" not in error.message


# --------------------------------------------------------------------------- still refused


def test_no_credentials_cookie_or_key_with_every_setting_on(network_on, sandbox, receipt, proxy):
    """The .netrc, a session's auth, headers, cookies, proxies and verify: none is used."""
    key = sandbox.mint_key()
    assert fetch(receipt).content == PDF
    assert fetch(receipt, session=hostile_session(key)).content == PDF
    assert all(
        isinstance(r, Receipt)
        for r in download_all([receipt, receipt], timeout=TIMEOUT, allowed_hosts=LOOPBACK)
    )
    assert len(sandbox.file_requests) == 4
    assert_clean(sandbox.file_requests)
    assert proxy.connect_targets == [host_port(receipt)] * 4  # not the session's proxy
    for tunnel in proxy.requests:
        assert key not in tunnel.text() and NETRC_SECRET not in tunnel.text()


def test_plain_http_through_the_proxy_carries_no_credentials(network_on, plain_sandbox, proxy):
    key = plain_sandbox.mint_key()
    url = plain_sandbox.add_file(PDF, "application/pdf", "taxi.pdf")
    assert fetch(url, allow_http=True, session=hostile_session(key)).content == PDF
    [forwarded] = proxy.requests
    assert forwarded.request_line.startswith(f"GET {url.split('?')[0]}")  # went via the proxy
    assert forwarded.status == 200 and forwarded.bytes_down == len(PDF)
    names = {name.lower() for name, _value in forwarded.headers}
    assert not {"authorization", "proxy-authorization", "cookie"} & names
    for secret in (key, NETRC_SECRET, SESSION_SECRET):
        assert secret not in forwarded.text()


def test_http_links_are_refused_unless_allowed(network_on, plain_sandbox, proxy):
    url = plain_sandbox.add_file(PDF, "application/pdf", "taxi.pdf")
    plain_sandbox.reset_file_requests()
    assert "does not use https" in refused(url).message
    assert proxy.requests == [] and plain_sandbox.file_requests == []


def test_links_with_a_user_name_are_refused(network_on, sandbox, receipt, proxy):
    for userinfo in ("user:pass@", "user@", ":pass@"):
        url = receipt.replace("https://", f"https://{userinfo}")
        assert "user name or password" in refused(url).message
    assert proxy.requests == [] and sandbox.file_requests == []


@pytest.mark.parametrize("where", ["same host", "other host"])
def test_redirects_are_not_followed(network_on, sandbox, plain_sandbox, proxy, where):
    elsewhere = plain_sandbox.add_file(PDF, "application/pdf", "elsewhere.pdf")
    plain_sandbox.reset_file_requests()
    location = None if where == "same host" else elsewhere
    url = sandbox.add_file(PDF, "application/pdf", "moved.pdf", fault="redirect", location=location)
    sandbox.reset_file_requests()
    error = refused(url)
    assert "redirect (HTTP 302)" in error.message
    assert [r.status for r in sandbox.file_requests] == [302]  # asked once, not followed
    assert plain_sandbox.file_requests == []
    assert proxy.connect_targets == [host_port(url)]


# --------------------------------------------------------------------------- the Pleo API client


@pytest.fixture
def pleo_https(sandbox, pki):
    """The sandbox's Pleo API behind https with the test CA's certificate."""
    port = int(sandbox.url().rsplit(":", 1)[1])
    with TlsFront(port, pki.server_pair) as front:
        yield front


def test_the_client_uses_the_same_ca_bundle(environment, sandbox, pleo_https, pki, other_pki):
    key = sandbox.mint_key()
    with pytest.raises(PleoUnavailableError) as info:
        ConnectionApi(PleoClient(key, pleo_https.url, max_retries=0)).introspect()
    assert CERTIFICATE_REASON in info.value.message and key not in info.value.message
    # Its own code, so that Odoo does not word it "Pleo is unavailable, try later".
    assert (info.value.code, info.value.retryable) == ("unavailable_certificate", False)
    for variable in network.CA_BUNDLE_VARIABLES:  # SSL_CERT_FILE too, which requests ignores
        environment.setenv(variable, pki.ca_file)
        assert ConnectionApi(PleoClient(key, pleo_https.url)).introspect().scopes
        environment.delenv(variable)
    environment.setenv("REQUESTS_CA_BUNDLE", other_pki.ca_file)
    assert ConnectionApi(PleoClient(key, pleo_https.url, ca_bundle=pki.ca_file)).introspect().scopes
    with pytest.raises(PleoUnavailableError) as info:
        ConnectionApi(
            PleoClient(key, pleo_https.url, max_retries=0, ca_bundle="/no/such/bundle.pem")
        ).introspect()
    assert "pleo_ca_bundle" in info.value.message


def test_the_client_goes_through_the_same_proxy(environment, sandbox, pleo_https, pki, proxy):
    key = sandbox.mint_key()
    environment.setenv("HTTPS_PROXY", proxy.url)
    environment.setenv("SSL_CERT_FILE", pki.ca_file)
    with PleoClient(key, pleo_https.url) as client:
        assert ConnectionApi(client).introspect().scopes
    assert proxy.connect_targets == [host_port(pleo_https.url)]
    assert key not in proxy.requests[0].text()  # the key went inside the tunnel only
    proxy.reset_requests()
    environment.setenv("NO_PROXY", "127.0.0.1")
    assert ConnectionApi(PleoClient(key, pleo_https.url)).introspect().scopes
    assert proxy.requests == []


def test_the_client_names_a_proxy_that_refuses(environment, sandbox, pleo_https, pki):
    key = sandbox.mint_key()
    environment.setenv("REQUESTS_CA_BUNDLE", pki.ca_file)
    with ConnectProxy(credentials=("proxy-user", PROXY_SECRET)) as proxy:
        environment.setenv("HTTPS_PROXY", proxy.url)
        with pytest.raises(PleoUnavailableError) as info:
            ConnectionApi(PleoClient(key, pleo_https.url, max_retries=0)).introspect()
        assert f"through the proxy {proxy.url} failed" in info.value.message
        assert (info.value.code, info.value.data) == ("unavailable_proxy", {"proxy": proxy.url})
        environment.setenv("HTTPS_PROXY", proxy.url_with_credentials())
        assert ConnectionApi(PleoClient(key, pleo_https.url)).introspect().scopes
        assert PROXY_SECRET not in info.value.message


def test_the_key_goes_to_pleo_and_the_receipt_comes_back_through_one_proxy(
    network_on, plain_sandbox, proxy
):
    """Plain http, so the proxy sees every header: the key only on the call to Pleo."""
    key = plain_sandbox.mint_key()
    url = plain_sandbox.add_file(PDF, "application/pdf", "hotel.pdf")
    with PleoClient(key, plain_sandbox.url()) as client:
        assert ConnectionApi(client).introspect().scopes
        assert fetch(url, allow_http=True, session=hostile_session(key)).content == PDF
    to_pleo, to_files = proxy.requests
    assert host_port(to_pleo.target) == host_port(plain_sandbox.url())
    assert to_pleo.header("Authorization") == (
        "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    )
    assert host_port(to_files.target) == host_port(url)
    assert to_files.header("Authorization") is None and key not in to_files.text()
    assert to_files.status == 200 and to_files.bytes_down == len(PDF)
