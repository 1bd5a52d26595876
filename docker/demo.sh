#!/usr/bin/env bash
# The pleo_connector demo without Docker: the fake Pleo (pleo_connector/tests/pleo_sandbox) and Odoo 19 with the
# addon, on this machine's loopback only.
#
#   ODOO_PYTHON=/path/to/odoo-venv/bin/python ODOO_PATH=/path/to/odoo19 docker/demo.sh [--book-and-exit] [extra Odoo options]
#
#   1. starts the sandbox in the background on 127.0.0.1:8765 (production) and :8766 (staging),
#      its receipt file host on :8767, with the demo company (the same id at every start), the
#      demo key (PLEO_DEMO_KEY, same default as docker/compose.yml) and a ready export job of
#      eight Danish expenses (the sandbox's demo scenario "danish-export");
#   2. writes an odoo.conf pointing pleo_api_url / pleo_api_url_staging at the sandbox, allowing
#      receipts from its file host, with a demo encryption key generated once and kept next to
#      it (in PLEO_DEMO_DIR);
#   3. creates the database pleo_demo and installs pleo_connector and l10n_dk (-i), or updates the
#      module (-u) when the database already has it; a database created this way logs in as
#      admin / admin; then makes its company the Danish company of the fake Pleo's demo company
#      (docker/demo_odoo.py, step "setup": DKK, Danish chart and taxes, the journal Pleo);
#   4. serves Odoo on http://127.0.0.1:8069, builds the asset bundles of the login page and the
#      backend (docker/warm_assets.py), then prints the demo key and what to do;
#   Ctrl-C (or SIGTERM) stops Odoo and the sandbox. The database stays: drop it with
#   `dropdb pleo_demo` (and `rm -rf "$PLEO_DEMO_DIR"`), or pass PLEO_DEMO_RESET=1 to start afresh.
#
#   --book-and-exit (or PLEO_DEMO_BOOK_AND_EXIT=1), instead of 4: connects the company with the
#   demo key and fetches the ready export, as the README's steps do (docker/demo_odoo.py, step
#   "book"), prints what was booked ("7 booked, 1 failed: ..."), stops the sandbox and exits 0
#   when at least one expense was booked (1 otherwise). With PLEO_DEMO_RESET=1: from a fresh
#   database in one command.
#
#   ODOO_PATH     an Odoo 19 source tree (holding odoo-bin); default: the `odoo` importable by ODOO_PYTHON
#   ODOO_PYTHON   the Python that runs Odoo and the sandbox (default: python3 on the PATH)
#   PGHOST PGPORT PGUSER PGPASSWORD   PostgreSQL (default 127.0.0.1:5432, current user), as tests/run.sh
#   PLEO_DEMO_DB (pleo_demo)  PLEO_DEMO_KEY  PLEO_DEMO_HTTP_PORT (8069)
#   PLEO_SANDBOX_PORT (8765)  PLEO_SANDBOX_STAGING_PORT (8766)  PLEO_SANDBOX_FILE_PORT (8767)
#   PLEO_DEMO_DIR (${TMPDIR:-/tmp}/pleo_connector-demo-$PLEO_DEMO_DB: odoo.conf, the demo encryption
#                 key, Odoo's data_dir and the sandbox log)
#   PLEO_WITH_DEMO_DATA=1   also install Odoo's demo data in a new database (off by default in Odoo 19)
# shellcheck disable=SC2317  # running, stop_process and cleanup run from traps
set -uo pipefail

book_and_exit=${PLEO_DEMO_BOOK_AND_EXIT:-0}
if [ "${1:-}" = --book-and-exit ]; then book_and_exit=1; shift; fi

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 2
PY=${ODOO_PYTHON:-python3}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-$(id -un)}
db=${PLEO_DEMO_DB:-pleo_demo}
# Demo only: the same public value as in docker/compose.yml. It works against the sandbox only.
key=${PLEO_DEMO_KEY:-pleo-demo-key-not-a-secret-0001}
http_port=${PLEO_DEMO_HTTP_PORT:-8069}
sandbox_port=${PLEO_SANDBOX_PORT:-8765}
staging_port=${PLEO_SANDBOX_STAGING_PORT:-8766}
file_port=${PLEO_SANDBOX_FILE_PORT:-8767}
dir=${PLEO_DEMO_DIR:-${TMPDIR:-/tmp}/pleo_connector-demo-$db}

say() { printf '==> pleo demo: %s\n' "$*"; }
die() { printf '==> pleo demo: %s\n' "$*" >&2; exit 2; }

# ------------------------------------------------------------------ Odoo and PostgreSQL
odoo_root=""
if [ -n "${ODOO_PATH:-}" ]; then
    [ -f "$ODOO_PATH/odoo/release.py" ] || die "ODOO_PATH=$ODOO_PATH holds no Odoo source tree (no odoo/release.py)"
    odoo_root=$(cd "$ODOO_PATH" && pwd)
    export PYTHONPATH="$odoo_root${PYTHONPATH:+:$PYTHONPATH}"
elif odoo_pkg=$("$PY" -c "import odoo.release, os; print(os.path.dirname(odoo.release.__file__))" 2>/dev/null); then
    odoo_root=$(dirname "$odoo_pkg")
else
    die "no Odoo: set ODOO_PATH to an Odoo 19 source tree, e.g. ODOO_PATH=/path/to/odoo19 $0"
fi
odoo_version=$("$PY" -c "import odoo.release as r; print(r.version)" 2>&1) || die "import odoo failed: $odoo_version"
# odoo.release imports nothing; Odoo itself needs its requirements (babel, lxml, psycopg2, ...).
if ! odoo_import=$("$PY" -c "import babel, lxml, psycopg2, werkzeug, odoo.tools" 2>&1); then
    die "$PY cannot run Odoo ($(tail -n 1 <<<"$odoo_import")). Set ODOO_PYTHON to the Python that has Odoo's requirements (pip install -r $odoo_root/requirements.txt), e.g. ODOO_PYTHON=/path/to/odoo-venv/bin/python ODOO_PATH=$odoo_root $0"
fi
[ "${odoo_version%%.*}" = 19 ] || die "found Odoo $odoo_version at $odoo_root, need 19.0"
if [ -f "$odoo_root/odoo-bin" ]; then odoo_cmd=("$PY" "$odoo_root/odoo-bin"); else odoo_cmd=("$PY" -m odoo); fi
addons="$repo"
for d in "$odoo_root/addons" "$odoo_root/odoo/addons"; do [ -d "$d" ] && addons="$addons,$d"; done
psql -d postgres -Atc "select 1" >/dev/null 2>&1 || die "PostgreSQL unreachable at $PGHOST:$PGPORT as $PGUSER (set PGHOST, PGPORT, PGUSER, PGPASSWORD)"

# ------------------------------------------------------------------ processes and clean-up
sandbox_pid=""
odoo_pid=""
running() {  # running PID: the process exists and is not a zombie waiting to be reaped
    kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" != Z ]
}
stop_process() {  # stop_process PID NAME: SIGTERM, wait up to 20 s, then SIGKILL
    local pid=$1 name=$2
    [ -n "$pid" ] || return 0
    if running "$pid"; then  # (a Ctrl-C in the terminal may have stopped it already)
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 40); do running "$pid" || break; sleep 0.5; done
        if running "$pid"; then say "$name did not stop, killing it"; kill -KILL "$pid" 2>/dev/null; fi
    fi
    wait "$pid" 2>/dev/null
    say "$name stopped"
}
cleanup() {
    trap - EXIT INT TERM
    stop_process "$odoo_pid" "Odoo"
    stop_process "$sandbox_pid" "sandbox"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "${PLEO_DEMO_RESET:-0}" = 1 ]; then
    say "PLEO_DEMO_RESET=1: dropping database $db and $dir"
    dropdb --if-exists "$db" || die "could not drop database $db"
    rm -rf "$dir"
fi
mkdir -p "$dir/data" || die "cannot create $dir"
chmod 700 "$dir"

# ------------------------------------------------------------------ 1. the sandbox
say "starting the Pleo sandbox on 127.0.0.1:$sandbox_port (production), :$staging_port (staging) and :$file_port (receipts)"
PYTHONPATH="$repo/pleo_connector/tests" "$PY" -m pleo_sandbox --host 127.0.0.1 --port "$sandbox_port" --staging-port "$staging_port" \
    --file-port "$file_port" --seed demo --demo-key "$key" --scenario danish-export >"$dir/sandbox.log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 1 100); do
    grep -q "Press Ctrl-C" "$dir/sandbox.log" 2>/dev/null && break
    kill -0 "$sandbox_pid" 2>/dev/null || break
    sleep 0.1
done
if ! grep -q "Press Ctrl-C" "$dir/sandbox.log" 2>/dev/null; then
    cat "$dir/sandbox.log" >&2
    die "the sandbox did not start (is port $sandbox_port, $staging_port or $file_port taken? set PLEO_SANDBOX_PORT / PLEO_SANDBOX_STAGING_PORT / PLEO_SANDBOX_FILE_PORT)"
fi

# ------------------------------------------------------------------ 2. odoo.conf and the encryption key
keyfile="$dir/encryption.key"
if [ ! -s "$keyfile" ]; then
    # A Fernet key (32 random bytes, URL-safe base64), made once per demo directory: the database's
    # stored Pleo keys are encrypted with it, so it is kept as long as the database.
    (umask 077 && "$PY" -c "import base64, secrets; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())" >"$keyfile") \
        || die "could not write $keyfile"
fi
conf="$dir/odoo.conf"
cat >"$conf" <<CONF
; written by docker/demo.sh: the pleo_connector demo (loopback only). DEMO ONLY.
[options]
db_host = $PGHOST
db_port = $PGPORT
db_user = $PGUSER
${PGPASSWORD:+db_password = $PGPASSWORD
}db_name = $db
dbfilter = ^$db\$
list_db = False
addons_path = $addons
data_dir = $dir/data
http_interface = 127.0.0.1
http_port = $http_port
log_level = info
; the fake Pleo started by this script, instead of https://external.pleo.io and its staging
pleo_api_url = http://127.0.0.1:$sandbox_port
pleo_api_url_staging = http://127.0.0.1:$staging_port
; the sandbox's receipt file host: plain http on loopback, for this demo only
pleo_receipts_allow_http = True
pleo_receipt_allowed_hosts = 127.0.0.1:$file_port
; demo encryption key generated for this demo only (also in $keyfile)
pleo_encryption_keys = $(cat "$keyfile")
CONF
chmod 600 "$conf"

# ------------------------------------------------------------------ 3. database and module
state=$(psql -d "$db" -Atc "select state from ir_module_module where name = 'pleo_connector'" 2>/dev/null || true)
if [ "$state" = installed ]; then
    say "database $db has pleo_connector: updating it (-u pleo_connector)"
    init=(-u pleo_connector)
else
    say "installing pleo_connector in database $db (-i pleo_connector,l10n_dk; a new database takes a minute or two)"
    init=(-i "pleo_connector,l10n_dk")
    if [ "${PLEO_WITH_DEMO_DATA:-0}" = 1 ]; then init+=(--with-demo); fi
fi
"${odoo_cmd[@]}" -c "$conf" -d "$db" "${init[@]}" --stop-after-init --no-http >"$dir/install.log" 2>&1 &
odoo_pid=$!
started=$SECONDS
while running "$odoo_pid"; do  # a line every 15 s, not a minute of silence (UX walk, item 2)
    sleep 1
    if (( (SECONDS - started) % 15 == 0 )); then
        module=$(grep -o 'loading [a-z_0-9]*/' "$dir/install.log" 2>/dev/null | tail -n 1)
        say "still installing: $((SECONDS - started)) s${module:+, now ${module%/}}"
    fi
done
wait "$odoo_pid"
install_rc=$?
odoo_pid=""
if [ $install_rc -ne 0 ] || [ "$(psql -d "$db" -Atc "select state from ir_module_module where name = 'pleo_connector'" 2>/dev/null)" != installed ]; then
    tail -n 40 "$dir/install.log" >&2
    die "installing pleo_connector failed (full log: $dir/install.log)"
fi
say "pleo_connector is installed in $db (log: $dir/install.log)"

demo_step() {  # demo_step STEP: docker/demo_odoo.py in `odoo shell` (its log in $dir/STEP.log)
    PLEO_DEMO_STEP=$1 PLEO_DEMO_KEY=$key "${odoo_cmd[@]}" shell -c "$conf" -d "$db" --no-http \
        <"$repo/docker/demo_odoo.py" 2>"$dir/$1.log" &
    odoo_pid=$!
    wait "$odoo_pid"
    local rc=$?
    odoo_pid=""
    return $rc
}
demo_step setup || { tail -n 40 "$dir/setup.log" >&2; die "setting up the Danish demo company failed (full log: $dir/setup.log)"; }

if [ "$book_and_exit" = 1 ]; then
    say "--book-and-exit: connecting with the demo key and fetching the ready export"
    demo_step book
    rc=$?
    if [ $rc -ne 0 ]; then tail -n 40 "$dir/book.log" >&2; say "nothing was booked (full log: $dir/book.log)"; fi
    exit $rc
fi

# ------------------------------------------------------------------ 4. serve
banner() {
    cat <<BANNER

================================================================================
 pleo_connector demo is ready (Odoo $odoo_version, database $db)
   1. open http://localhost:$http_port and log in as admin / admin
   2. go to Settings › Accounting › Pleo (the app is named "Invoicing" when
      only Odoo's invoicing is installed), paste the key below, press
      "Save & Test"
   3. press "Fetch exports now" there: a ready export of 8 Danish expenses
      is booked (README.md, "Try an export")
   demo key: $key
   (the key belongs to "Demo Pleo Company ApS" in the fake Pleo on
   http://127.0.0.1:$sandbox_port; its control API: /_sandbox/state)
 stop: Ctrl-C (stops Odoo and the sandbox; the database stays, see the
 top of docker/demo.sh)
================================================================================

BANNER
}
say "serving Odoo on http://127.0.0.1:$http_port"
"${odoo_cmd[@]}" -c "$conf" -d "$db" --db-filter="^$db\$" "$@" &
odoo_pid=$!
url="http://127.0.0.1:$http_port/web/login"
ready=0
for _ in $(seq 1 300); do
    kill -0 "$odoo_pid" 2>/dev/null || break
    if "$PY" -c "import sys, urllib.request; sys.exit(urllib.request.urlopen(sys.argv[1], timeout=5).status != 200)" "$url" 2>/dev/null; then
        ready=1
        break
    fi
    sleep 1
done
if [ $ready = 1 ]; then
    # Build the login page's and the backend's asset bundles now, so that the first login after
    # "ready" does not wait for them (docker/warm_assets.py; never fails the demo).
    say "building Odoo's asset bundles (login page and backend)"
    "$PY" "$repo/docker/warm_assets.py" "http://127.0.0.1:$http_port"
    banner
else
    say "Odoo did not answer on $url (see its log above)"
fi
wait "$odoo_pid"
rc=$?
odoo_pid=""
exit $rc
