#!/usr/bin/env python3
"""Build Odoo's asset bundles of the login page and of the backend before the demo says "ready".

Odoo builds a bundle (CSS and JS of web.assets_frontend, web.assets_web, ...) on the first
request for it, so without this the newcomer's first login waits for that build. This does what
a browser does, once: it opens /web/login and fetches the bundles the page links, logs in (admin /
admin, the demo's login) and does the same for /odoo, the backend. Standard library only (it runs
with the demo's Python and in the odoo:19.0 image). It never fails the demo: on any problem it
says so in one line and exits 0, and Odoo then builds the bundles on the first visit as usual.

    python3 docker/warm_assets.py http://127.0.0.1:8069 [--login admin --password admin]
"""

import argparse
import http.cookiejar
import re
import sys
import time
import urllib.parse
import urllib.request

ASSET = re.compile(r'(?:href|src)="(/web/assets/[^"]+)"')
CSRF = re.compile(r'name="csrf_token"\s+value="([^"]+)"')


def warm(base, login, password, timeout=600):
    """Fetch the bundles of the login page and of /odoo; the number of bundles fetched."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )

    def page(path, data=None):
        with opener.open(base + path, data=data, timeout=timeout) as response:
            html = response.read().decode("utf-8", "replace")
        bundles = ASSET.findall(html)
        for bundle in bundles:
            with opener.open(base + bundle, timeout=timeout) as response:
                response.read()
        return html, len(bundles)

    html, fetched = page("/web/login")
    token = CSRF.search(html)
    if token:  # the backend's bundles need a session
        form = {"login": login, "password": password, "csrf_token": token.group(1)}
        page("/web/login", urllib.parse.urlencode(form).encode())
        _html, more = page("/odoo")
        fetched += more
    return fetched


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="Odoo's URL, e.g. http://127.0.0.1:8069")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    args = parser.parse_args(argv)
    start = time.monotonic()
    try:
        fetched = warm(args.base.rstrip("/"), args.login, args.password)
    except Exception as error:  # a warm-up must never stop the demo
        sys.stdout.write(f"==> pleo demo: asset warm-up skipped ({error})\n")
        return 0
    took = time.monotonic() - start
    sys.stdout.write(f"==> pleo demo: asset bundles built ({fetched} fetched in {took:.1f} s)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
