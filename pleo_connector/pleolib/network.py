"""The machine's network settings for a request: its proxy and the CA bundle (no Odoo import).

The Pleo API client (:mod:`.client`) and the receipt download (:mod:`.receipts`) both ask
:func:`route` how to reach a URL, so they always agree; behind a company proxy, or a proxy that
inspects TLS with a CA of its own, Save & Test and the receipts work or fail together.

* **Proxies** come from the environment, read with requests' own helpers so they mean what they
  mean to any Python program: ``HTTPS_PROXY`` for https URLs, ``HTTP_PROXY`` for http ones,
  ``ALL_PROXY`` for both (each also in lower case, which wins), and ``NO_PROXY`` lists the hosts
  (names, domains, addresses, networks) reached directly. A proxy URL may carry its own user name
  and password (``http://user:pw@proxy:3128``): they are the proxy's business and go to the proxy
  only (``Proxy-Authorization`` of its ``CONNECT``), never to Pleo or to a file host.
* The **CA bundle** a certificate is verified with, first found of: the value the caller passes
  (the Odoo server option ``pleo_ca_bundle``), ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``,
  ``SSL_CERT_FILE``; else requests' own bundle (certifi). A bundle replaces the default list: it
  must hold every CA to trust (for a TLS-inspecting proxy, the proxy's CA).

Nothing else of the environment is used: callers send with ``trust_env`` off (no ``.netrc``
credentials) and pass :attr:`Route.proxies` and :attr:`Route.verify` explicitly.

Through a proxy, the proxy resolves and connects, so this server cannot see the address a request
reaches. The receipt download (:mod:`.receipts`) therefore resolves the link's host itself before
sending and refuses it when any address is not public: that covers links naming, or resolving
(for this server) to, an internal address; a different answer of the proxy's own DNS, or a name
only the proxy can resolve, is left to the proxy's egress rules. Without a proxy, the address
each connection actually reached is checked too.
"""

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from requests.utils import get_environ_proxies, select_proxy

#: Environment variables naming a CA bundle, in the order they are looked at.
CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")
#: Environment variables naming proxies (each also in lower case).
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")
#: What messages call the caller's explicit CA bundle.
OPTION_NAME = "pleo_ca_bundle"


class NetworkSettingsError(ValueError):
    """A network setting cannot be used (e.g. a CA bundle that does not exist); ``message``
    says which and what to do."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Route:
    """How to reach one URL: ``proxies`` and ``verify`` for requests' ``send``.

    ``proxies`` maps a scheme to a proxy URL (empty: direct, e.g. a host in ``NO_PROXY``);
    ``verify`` is a CA bundle path or ``True`` (requests' default); ``ca_source`` names where the
    bundle came from (``pleo_ca_bundle`` or an environment variable), ``None`` for the default.
    """

    url: str
    proxies: dict = field(default_factory=dict)
    verify: object = True
    ca_source: object = None

    @property
    def proxy(self):
        """The proxy URL the request goes through, or ``None`` (direct)."""
        return select_proxy(self.url, self.proxies) if self.proxies else None

    @property
    def proxy_label(self):
        """The proxy as ``scheme://host:port``, without its user name or password, or ``None``."""
        return proxy_label(self.proxy)


def proxy_label(proxy):
    """``http://user:pw@proxy:3128`` → ``http://proxy:3128`` (for messages); ``None`` for none."""
    if not proxy:
        return None
    text = proxy if "://" in proxy else f"http://{proxy}"
    try:
        parts = urlsplit(text)
        host, port = parts.hostname or "?", parts.port
    except ValueError:
        return "(an unreadable proxy address)"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def ca_bundle(option=None):
    """Return ``(verify, source)``: the CA bundle to verify with and where it came from.

    ``option`` is the caller's explicit bundle (a path; empty or ``None``: none). Then the
    environment, as the module says; ``(True, None)`` is requests' default bundle.
    """
    if isinstance(option, str) and option.strip():
        return os.path.expanduser(option.strip()), OPTION_NAME
    for name in CA_BUNDLE_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return value, name
    return True, None


def proxies_for(url):
    """The environment's proxies for ``url`` (scheme → proxy URL); ``{}`` if it is reached
    directly (no proxy set, or its host matches ``NO_PROXY``)."""
    found = get_environ_proxies(url)
    return {scheme: proxy for scheme, proxy in found.items() if scheme != "no" and proxy}


def route(url, ca_bundle_option=None):
    """How to reach ``url``: a :class:`Route`; raise :class:`NetworkSettingsError` if the CA
    bundle chosen for an https URL does not exist."""
    verify, source = ca_bundle(ca_bundle_option)
    if (
        verify is not True
        and urlsplit(url).scheme.lower() == "https"
        and not (os.path.isfile(verify) or os.path.isdir(verify))
    ):
        where = (
            f"the server option {OPTION_NAME}"
            if source == OPTION_NAME
            else f"the environment variable {source}"
        )
        raise NetworkSettingsError(
            f"The CA bundle {verify} named by {where} does not exist or cannot be read; "
            "correct or remove the setting."
        )
    return Route(url=url, proxies=proxies_for(url), verify=verify, ca_source=source)
