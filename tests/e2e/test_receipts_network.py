"""Receipts over https, behind a company proxy, with a CA only the server's environment trusts.

The sandbox's file host serves https with a certificate of a test CA; the server is told about
that CA by ``REQUESTS_CA_BUNDLE`` alone (no ``pleo_ca_bundle`` option) and reaches https hosts
through the CONNECT proxy of ``HTTPS_PROXY``, as a server behind a company proxy is. The Pleo API
stays plain http on loopback (the proxy is for https only), so every tunnel the proxy opens is a
receipt download: none may carry the API key.
"""

import pytest
from pleo_sandbox import PleoSandbox
from pleo_sandbox.proxy import ConnectProxy
from tls_tools import make_pki

from .company import Site
from .flows import (
    assert_booked_once_and_reported,
    export_by_the_scheduler,
)
from .harness import running_server, watch

pytestmark = pytest.mark.pleo_e2e

ITEMS = 8


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"), "files")


@pytest.fixture(scope="module")
def sandbox(pki):
    with PleoSandbox(file_tls=pki.server_pair) as running:
        yield running


@pytest.fixture(scope="module")
def proxy():
    with ConnectProxy() as running:
        yield running


@pytest.fixture(scope="module")
def site(settings, sandbox, proxy, pki):
    env = {"HTTPS_PROXY": proxy.url, "REQUESTS_CA_BUNDLE": pki.ca_file}
    options = {"pleo_receipts_allow_http": "False"}
    with running_server(settings, "network", sandbox, env=env, options=options) as server:
        yield Site(server, sandbox)


def test_receipts_over_https_through_the_proxy_never_carry_the_key(site, proxy, figures, request):
    watch(request, site.server)
    tenant = site.tenant("Behind A Proxy", manager=False)
    job = site.sandbox.add_export_job(
        tenant.pleo, n=ITEMS, wallet_currency="USD", types=("card_purchase", "out_of_pocket")
    )
    since_log = site.server.log_size()  # runs that end after this may have seen the job
    links = [f["url"] for item in site.sandbox.export_items(job) for f in item.get("files") or ()]
    assert links and all(url.startswith("https://127.0.0.1:") for url in links), links
    file_host = links[0].split("/")[2]
    site.sandbox.reset_file_requests()
    proxy.reset_requests()
    state, seconds, stall = export_by_the_scheduler(site, tenant.id, job, 90, since_log)
    figures("seconds_to_booked" if state.done else "seconds_waited_in_vain", round(seconds, 1))
    figures("receipts", len(links))
    figures("tunnels", len(proxy.connect_targets))
    assert state.done, f"{stall or f'not finished after {seconds:.0f} s'}: {state.describe()}"
    assert_booked_once_and_reported(site.db, site.sandbox, tenant.id, job, state)
    attached = site.db.value(
        "SELECT count(a.id) FROM account_move m JOIN ir_attachment a "
        "ON a.res_model = 'account.move' AND a.res_id = m.id "
        "WHERE m.company_id = %s AND m.pleo_entry_uuid IS NOT NULL",
        (tenant.id,),
    )
    assert attached == len(links), f"{attached} receipts attached of {len(links)}"
    # Every receipt came through a tunnel of the proxy to the file host, and nothing else did.
    assert proxy.connect_targets and set(proxy.connect_targets) == {file_host}, (
        proxy.connect_targets
    )
    files = site.sandbox.file_requests
    assert len([r for r in files if r.status == 200]) >= len(links), files
    assert not any(r.had_authorization or "cookie" in r.header_names for r in files), files
    assert not any(tenant.key in r.text() for r in proxy.requests), "the key went to the proxy"
