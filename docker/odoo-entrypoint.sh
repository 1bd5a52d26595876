#!/usr/bin/env bash
# Entry point of the `odoo` service of docker/compose.yml (runs inside the official odoo:19.0 image).
#
#   1. waits for PostgreSQL (the `db` service);
#   2. on the first start, creates the database pleo_demo and installs pleo_connector and l10n_dk
#      in it (`odoo -i pleo_connector,l10n_dk`; admin/admin is the login of a database created
#      that way); later starts find the module installed and skip this step (PLEO_DEMO_UPDATE=1
#      updates it); then makes the company the Danish company of the sandbox's demo company
#      (demo_odoo.py, step "setup", shared with docker/demo.sh; nothing to do after the first
#      start);
#   3. with PLEO_DEMO_BOOK_AND_EXIT=1: connects the company with the demo key, fetches the ready
#      export of the sandbox, prints what was booked and exits (demo_odoo.py, step "book");
#      otherwise serves Odoo on port 8069; once the login page answers, builds the asset bundles of the login
#      page and the backend (warm_assets.py, mounted by compose.yml), then prints where to go and
#      the demo key of the `sandbox` service (the fake Pleo).
#
# Environment: PLEO_DEMO_KEY (the sandbox's demo key, shown in the banner), PLEO_DEMO_DB (default
# pleo_demo), PLEO_DEMO_BOOK_AND_EXIT=1 (step 3), PLEO_WITH_DEMO_DATA=1 (install Odoo's demo data too: off by default, as in Odoo 19),
# PGHOST/PGPORT/PGUSER/PGPASSWORD (default: the db service, odoo/odoo). Extra arguments go to Odoo.
set -euo pipefail

conf=${ODOO_RC:-/etc/odoo/odoo.conf}
db=${PLEO_DEMO_DB:-pleo_demo}
key=${PLEO_DEMO_KEY:-}
export PGHOST=${PGHOST:-db} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-odoo} PGPASSWORD=${PGPASSWORD:-odoo}

say() { printf '==> pleo demo: %s\n' "$*"; }

# ------------------------------------------------------------------ 1. PostgreSQL
say "waiting for PostgreSQL at $PGHOST:$PGPORT"
for _ in $(seq 1 60); do
    if psql -d postgres -Atc 'select 1' >/dev/null 2>&1; then break; fi
    sleep 1
done
psql -d postgres -Atc 'select 1' >/dev/null || { say "PostgreSQL is unreachable"; exit 1; }

# ------------------------------------------------------------------ 2. database and module
state=$(psql -d "$db" -Atc "select state from ir_module_module where name = 'pleo_connector'" \
        2>/dev/null || true)
init=()
if [ "$state" != installed ]; then
    say "first start: creating database $db and installing pleo_connector (takes a minute or two)"
    init=(-i "pleo_connector,l10n_dk")
    if [ "${PLEO_WITH_DEMO_DATA:-0}" = 1 ]; then init+=(--with-demo); fi
elif [ "${PLEO_DEMO_UPDATE:-0}" = 1 ]; then
    say "updating pleo_connector in database $db"
    init=(-u pleo_connector)
fi
if [ ${#init[@]} -gt 0 ]; then
    odoo -c "$conf" -d "$db" "${init[@]}" --stop-after-init --no-http
fi
PLEO_DEMO_STEP=setup odoo shell -c "$conf" -d "$db" --no-http </usr/local/lib/pleo-demo/demo_odoo.py
if [ "${PLEO_DEMO_BOOK_AND_EXIT:-0}" = 1 ]; then
    say "PLEO_DEMO_BOOK_AND_EXIT=1: connecting with the demo key and fetching the ready export"
    PLEO_DEMO_STEP=book PLEO_DEMO_KEY=$key exec odoo shell -c "$conf" -d "$db" --no-http \
        </usr/local/lib/pleo-demo/demo_odoo.py
fi

# ------------------------------------------------------------------ 3. serve
banner() {
    local url="http://127.0.0.1:8069/web/login"
    for _ in $(seq 1 300); do
        if [ "$(curl -s -o /dev/null -w '%{http_code}' "$url" || true)" = 200 ]; then
            # Build the login page's and the backend's asset bundles before "ready", so that the
            # first login does not wait for them (never fails the demo).
            say "building Odoo's asset bundles (login page and backend)"
            python3 /usr/local/lib/pleo-demo/warm_assets.py http://127.0.0.1:8069
            cat <<BANNER

================================================================================
 pleo_connector demo is ready
   1. open http://localhost:8069 and log in as admin / admin
   2. go to Settings › Accounting › Pleo (the app is named "Invoicing" when
      only Odoo's invoicing is installed), paste the key below, press
      "Save & Test"
   3. press "Fetch exports now" there: a ready export of 8 Danish expenses
      is booked (README.md, "Try an export")
   demo key: ${key:-(see the log of the sandbox service)}
   (the key belongs to "Demo Pleo Company ApS" in the fake Pleo of the
   sandbox service; every key and URL here is for this demo only)
 stop: Ctrl-C, or docker compose -f docker/compose.yml down (-v: also delete
 the demo database)
================================================================================

BANNER
            return 0
        fi
        sleep 2
    done
    say "Odoo did not answer on $url within 10 minutes; see the log above"
}
banner &

say "serving database $db on port 8069"
exec odoo -c "$conf" -d "$db" --db-filter="^${db}\$" "$@"
