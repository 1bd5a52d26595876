#!/usr/bin/env bash
# The one test command of pleo_connector: lint, the Odoo-free tests and, when an Odoo 19 is found,
# the install of the three addons on a fresh database plus the Odoo suite (pytest-odoo), in one pytest run,
# the end-to-end suite (tests/e2e: real odoo-bin servers with their scheduler, on copies of the
# freshly installed database, driven over JSON-RPC), then the Odoo suite again by Odoo's own runner
# (odoo-bin -i pleo_connector --test-enable) on a copy of the addon folders alone on the addons path,
# as Runbot, odoo.sh and OCA's CI run it. The glue addon pleo_connector_queue runs its own Odoo
# tests on a database of its own where OCA's queue_job (from PyPI, tests/queue_job_env.sh) and
# the glue are installed: the main suite's database never has them, so that it tests the crons.
#
#   ODOO_PATH     an Odoo 19 source tree (holding odoo-bin); default: the `odoo` importable by ODOO_PYTHON
#   ODOO_PYTHON   the Python that runs Odoo and the tests (default: python3 on the PATH)
#   PGHOST PGPORT PGUSER PGPASSWORD   PostgreSQL (default 127.0.0.1:5432, current user)
#   PLEO_KEEP_DB=1                    keep the test database afterwards (for debugging)
#   PLEO_REQUIRE_ODOO=1               fail instead of skipping the Odoo suite when no Odoo is found
#   PYTEST_ADDOPTS                    extra pytest options (e.g. -k rotate)
#
# Machine-wide defaults (for CI, which runs without your shell's variables): the file
# /etc/pleo_connector/odoo.env (or $PLEO_MACHINE_ENV) may set ODOO_PATH, ODOO_PYTHON and PG*
# as NAME=value lines; variables set in the environment win.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 2
machine_env=${PLEO_MACHINE_ENV:-/etc/pleo_connector/odoo.env}
if [ -f "$machine_env" ]; then
    while IFS='=' read -r name value; do
        case "$name" in
            ODOO_PATH|ODOO_PYTHON|PGHOST|PGPORT|PGUSER|PGPASSWORD)
                if [ -z "${!name:-}" ]; then export "$name=$value"; fi ;;
        esac
    done < <(grep -E '^[A-Z_]+=' "$machine_env")
    echo "machine-wide settings from $machine_env: ODOO_PATH=${ODOO_PATH:-} ODOO_PYTHON=${ODOO_PYTHON:-}"
fi
PY=${ODOO_PYTHON:-python3}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-$(id -un)}
work=$(mktemp -d "${TMPDIR:-/tmp}/pleo-tests.XXXXXX")
db="pleo_test_$(date +%s)_$$"
db_created=0
db_alone="${db}_alone"
db_e2e="${db}_e2e"  # the end-to-end suite's template: the addon installed, nothing else done
db_queue="${db}_queue"  # pleo_connector_queue's tests: queue_job and the glue installed
db_hook="${db}_hook"  # pleo_connector_webhook's tests: the real-time export installed

say() { printf '\n==> %s\n' "$*"; }
loud() { printf '\n%s\n%s\n%s\n' "$(printf '!%.0s' {1..78})" "$*" "$(printf '!%.0s' {1..78})"; }
cleanup() {
    if [ "$db_created" = 1 ] && [ "${PLEO_KEEP_DB:-0}" != 1 ]; then
        dropdb --if-exists "$db" >/dev/null 2>&1 && echo "dropped database $db"
        dropdb --if-exists "$db_alone" >/dev/null 2>&1 && echo "dropped database $db_alone"
        dropdb --if-exists "$db_e2e" >/dev/null 2>&1 && echo "dropped database $db_e2e"
        dropdb --if-exists "$db_queue" >/dev/null 2>&1 && echo "dropped database $db_queue"
        dropdb --if-exists "$db_hook" >/dev/null 2>&1 && echo "dropped database $db_hook"
    fi
    if [ "$db_created" = 1 ]; then
        # the end-to-end suite drops its copies itself; these are those of an interrupted run
        for copy in $(psql -d postgres -Atc "select datname from pg_database where datname like '${db_e2e}\_%'" 2>/dev/null); do
            dropdb --if-exists --force "$copy" >/dev/null 2>&1 && echo "dropped database $copy"
        done
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# An Odoo configuration file for PostgreSQL as set above:
#   write_odoo_conf FILE ADDONS_PATH DATA_DIR [OPTION_LINE...]
write_odoo_conf() {
    local file=$1 addons_path=$2 data_dir=$3
    shift 3
    {
        printf '[options]\ndb_host = %s\ndb_port = %s\ndb_user = %s\n' "$PGHOST" "$PGPORT" "$PGUSER"
        printf 'addons_path = %s\ndata_dir = %s\nhttp_interface = 127.0.0.1\n' "$addons_path" "$data_dir"
        if [ $# -gt 0 ]; then printf '%s\n' "$@"; fi
        if [ -n "${PGPASSWORD:-}" ]; then echo "db_password = $PGPASSWORD"; fi
    } > "$file"
}

# ----------------------------------------------------------------- 1. what the run needs
# The test tools run with TOOLS_PY: PY itself when it has them all, else a cached venv of their
# own that sees PY's packages (tests/tools_env.sh); nothing is ever pip-installed into PY.
say "Python: $("$PY" -c 'import sys; print(sys.executable, sys.version.split()[0])')"
# shellcheck source=tests/tools_env.sh
. "$repo/tests/tools_env.sh"
pleo_tools_python "$PY" || { loud "TEST TOOLS MISSING: see the message above. Nothing ran."; exit 2; }

# The three addons (the connection, the export, the setup sync): -i pleo_connector installs all
# three on a database with account (the other two are auto_install).
ADDONS="pleo_connector pleo_connector_export pleo_connector_setup_sync"

# ----------------------------------------------------------------- --quick PATTERN: the loop for one change
#   tests/run.sh --quick PATTERN [pytest options...]
# Lint of the files changed since PLEO_QUICK_BASE (default HEAD; untracked files count), the
# Odoo-free tests, and the one Odoo test module of the addons whose file name matches PATTERN
# (test_PATTERN.py first, else the one test_*PATTERN*.py), on a kept database: PLEO_QUICK_DB
# (default pleo_quick), created with pleo_connector and l10n_dk on the first run, updated
# (-u pleo_connector) only when a file of the addons outside tests/ changed since, then reused.
# Its data directory is ${XDG_CACHE_HOME:-~/.cache}/pleo_connector/quick. The full run stays
# `tests/run.sh` without --quick: it alone installs from scratch, runs e2e and uninstalls.
if [ "${1:-}" = "--quick" ]; then
    pattern=${2:-}
    [ -n "$pattern" ] || { echo "usage: tests/run.sh --quick PATTERN [pytest options...]"; exit 2; }
    shift 2
    quick_base=${PLEO_QUICK_BASE:-HEAD}
    say "quick: lint of the files changed since $quick_base"
    mapfile -t changed < <({ git diff --name-only --diff-filter=d "$quick_base" -- '*.py'
        git ls-files --others --exclude-standard -- '*.py'; } | sort -u)
    if [ ${#changed[@]} -eq 0 ]; then
        echo "no Python file changed"
    else
        printf '  %s\n' "${changed[@]}"
        "$TOOLS_PY" -m ruff check "${changed[@]}" || { echo "ruff found problems"; exit 1; }
        "$TOOLS_PY" -m ruff format --check "${changed[@]}" || { echo "ruff format: run 'ruff format' on them"; exit 1; }
        mapfile -t addon_files < <(printf '%s\n' "${changed[@]}" | grep -E '^pleo_connector[a-z_]*/' || true)
        if [ ${#addon_files[@]} -gt 0 ]; then
            "$TOOLS_PY" -m pylint --rcfile=setup.cfg "${addon_files[@]}" || { echo "pylint-odoo found problems"; exit 1; }
        fi
    fi

    mapfile -t modules < <(ls pleo_connector*/tests/test_"$pattern".py 2>/dev/null)
    [ ${#modules[@]} -eq 1 ] || mapfile -t modules < <(ls pleo_connector*/tests/test_*"$pattern"*.py 2>/dev/null)
    if [ ${#modules[@]} -ne 1 ]; then
        echo "quick: PATTERN '$pattern' must name exactly one Odoo test module; it matches ${#modules[@]}:"
        printf '  %s\n' "${modules[@]}"; exit 2
    fi

    say "quick: Odoo-free tests"
    "$TOOLS_PY" -m pytest -p no:odoo -p no:cacheprovider tests --ignore=tests/e2e -q
    quick_free_rc=$?  # the Odoo test module runs all the same: its result is the one awaited

    if [ -n "${ODOO_PATH:-}" ]; then quick_odoo="$ODOO_PATH"; export PYTHONPATH="$ODOO_PATH${PYTHONPATH:+:$PYTHONPATH}"
    else quick_odoo=$("$PY" -c "import odoo.release, os; print(os.path.dirname(os.path.dirname(odoo.release.__file__)))" 2>/dev/null) \
        || { loud "quick: no Odoo (set ODOO_PATH): the Odoo test module did not run"; exit 1; }
    fi
    if [ -f "$quick_odoo/odoo-bin" ]; then quick_bin=("$PY" "$quick_odoo/odoo-bin"); else quick_bin=("$PY" -m odoo); fi
    quick_dir=${XDG_CACHE_HOME:-$HOME/.cache}/pleo_connector/quick
    quick_db=${PLEO_QUICK_DB:-pleo_quick}
    mkdir -p "$quick_dir"
    quick_addons="$repo"
    for d in "$quick_odoo/addons" "$quick_odoo/odoo/addons"; do [ -d "$d" ] && quick_addons="$quick_addons,$d"; done
    quick_port=$("$PY" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
    quick_conf="$quick_dir/odoo.conf"
    write_odoo_conf "$quick_conf" "$quick_addons" "$quick_dir/data" "http_port = $quick_port"
    # what an update would change: every file of the addons outside their tests
    quick_stamp=$(find pleo_connector* -path '*/tests' -prune -o -type f ! -name '*.pyc' -print0 \
        | sort -z | xargs -0 sha1sum | sha1sum | cut -c1-40)
    quick_stamp_file="$quick_dir/$quick_db.stamp"
    quick_log="$quick_dir/$quick_db.log"
    if ! psql -d postgres -Atc "select 1 from pg_database where datname = '$quick_db'" | grep -q 1; then
        say "quick: creating the kept database $quick_db (pleo_connector, l10n_dk; once)"
        "${quick_bin[@]}" -c "$quick_conf" -d "$quick_db" -i pleo_connector,l10n_dk \
            --stop-after-init --no-http >"$quick_log" 2>&1 \
            || { tail -n 40 "$quick_log"; loud "quick: installing on $quick_db failed"; exit 1; }
        echo "$quick_stamp" > "$quick_stamp_file"
    elif [ "$(cat "$quick_stamp_file" 2>/dev/null)" != "$quick_stamp" ]; then
        say "quick: the addons changed outside tests/: updating $quick_db (-u pleo_connector)"
        "${quick_bin[@]}" -c "$quick_conf" -d "$quick_db" -u pleo_connector \
            --stop-after-init --no-http >"$quick_log" 2>&1 \
            || { tail -n 40 "$quick_log"; loud "quick: updating $quick_db failed"; exit 1; }
        echo "$quick_stamp" > "$quick_stamp_file"
    else
        echo "quick: reusing $quick_db (the addons are unchanged since its last update)"
    fi
    say "quick: ${modules[0]} on $quick_db"
    "$TOOLS_PY" -m pytest -p no:cacheprovider --odoo-config="$quick_conf" --odoo-database="$quick_db" \
        --odoo-http --odoo-log-level=warn "${modules[0]}" -q "$@"
    quick_rc=$?
    [ $quick_free_rc -eq 0 ] || loud "quick: the Odoo-free tests FAILED (above), ${modules[0]} $([ $quick_rc -eq 0 ] && echo passed || echo failed)"
    [ $quick_free_rc -eq 0 ] && exit $quick_rc
    exit 1
fi

# ----------------------------------------------------------------- 2. lint
say "lint: ruff"
"$TOOLS_PY" -m ruff check . || { echo "ruff found problems"; exit 1; }
"$TOOLS_PY" -m ruff format --check . || { echo "ruff format: run 'ruff format .'"; exit 1; }
say "lint: pylint-odoo (OCA checks)"
"$TOOLS_PY" -m pylint --rcfile=setup.cfg $ADDONS pleo_connector_queue pleo_connector_webhook || { echo "pylint-odoo found problems"; exit 1; }
# The checks of .pre-commit-config.yaml's OCA hooks (manifests, XML, CSV, translations), at its
# pinned version (tests/requirements.txt), on the addons' files but the generated ones.
say "lint: oca-checks-odoo-module, oca-checks-po (OCA's pre-commit hooks)"
tools_bin=$(dirname "$TOOLS_PY")
mapfile -t oca_files < <(find $ADDONS pleo_connector_queue pleo_connector_webhook -type f \
    \( -name '*.xml' -o -name '*.csv' -o -name '*.py' -o -name '*.po' -o -name '*.rst' -o -name '*.md' \) \
    ! -name README.rst ! -path '*/static/description/*' | sort)
"$tools_bin/oca-checks-odoo-module" "${oca_files[@]}" || { echo "oca-checks-odoo-module found problems"; exit 1; }
mapfile -t po_files < <(printf '%s\n' "${oca_files[@]}" | grep '\.po$')
"$tools_bin/oca-checks-po" --disable=po-pretty-format "${po_files[@]}" || { echo "oca-checks-po found problems"; exit 1; }

# ----------------------------------------------------------------- 3. find Odoo
odoo_root=""
if [ -n "${ODOO_PATH:-}" ]; then
    if [ -f "$ODOO_PATH/odoo/release.py" ]; then
        odoo_root=$(cd "$ODOO_PATH" && pwd)
        export PYTHONPATH="$odoo_root${PYTHONPATH:+:$PYTHONPATH}"
    else
        echo "ODOO_PATH=$ODOO_PATH holds no Odoo source tree (no odoo/release.py)"; exit 2
    fi
elif odoo_pkg=$("$PY" -c "import odoo.release, os; print(os.path.dirname(odoo.release.__file__))" 2>/dev/null); then
    odoo_root=$(dirname "$odoo_pkg")
fi
odoo_why=""
if [ -n "$odoo_root" ]; then
    odoo_version=$("$PY" -c "import odoo.release as r; print(r.version)" 2>&1) || odoo_why="import odoo failed: $odoo_version"
    if [ -z "$odoo_why" ] && [ "${odoo_version%%.*}" != 19 ]; then odoo_why="found Odoo $odoo_version at $odoo_root, need 19.0"; fi
    if [ -z "$odoo_why" ] && ! psql -d postgres -Atc "select 1" >/dev/null 2>&1; then
        odoo_why="PostgreSQL unreachable at $PGHOST:$PGPORT as $PGUSER"
    fi
else
    odoo_why="no Odoo: ODOO_PATH is unset and '$PY -c \"import odoo\"' fails"
fi

junit="$work/junit.xml"
if [ -n "$odoo_why" ]; then
    # ------------------------------------------------------------- 4a. no Odoo: Odoo-free tests only
    if [ "${PLEO_REQUIRE_ODOO:-0}" = 1 ]; then loud "ODOO SUITE NOT RUN: $odoo_why (PLEO_REQUIRE_ODOO=1)"; exit 1; fi
    say "Odoo-free tests (pytest)"
    "$TOOLS_PY" -m pytest -p no:odoo -p no:cacheprovider tests --ignore=tests/e2e --junitxml="$junit"
    rc=$?
    loud "ODOO SUITE, PLEO_CONNECTOR_QUEUE'S TESTS AND END-TO-END SUITE SKIPPED: $odoo_why.
Only the Odoo-free tests ran. Set ODOO_PATH to an Odoo 19 tree (see README.md) to run the Odoo suite,
the tests of pleo_connector_queue on queue_job and the end-to-end suite (tests/e2e)."
    "$TOOLS_PY" tests/junit_summary.py "$junit" --odoo-skipped
    exit $rc
fi

# ----------------------------------------------------------------- 4b. with Odoo
if [ -x "$odoo_root/odoo-bin" ] || [ -f "$odoo_root/odoo-bin" ]; then odoo_cmd=("$PY" "$odoo_root/odoo-bin"); else odoo_cmd=("$PY" -m odoo); fi
addons="$repo"
for d in "$odoo_root/addons" "$odoo_root/odoo/addons"; do [ -d "$d" ] && addons="$addons,$d"; done
conf="$work/odoo.conf"
write_odoo_conf "$conf" "$addons" "$work/data" "log_level = info"
say "Odoo $odoo_version from $odoo_root (python $PY)"
# A --workers server (the end-to-end suite's, the benchmarks') restarts Odoo's gevent process
# each time it dies: one that cannot start keeps a core busy per server (gevent_problem in
# tests/e2e/harness.py says why and how to mend it). The tests still pass, slower: say so.
warnings=()
if gevent_why=$(PYTHONPATH="$repo/tests" "$PY" -c 'import sys; from e2e.harness import gevent_problem; print(gevent_problem(sys.argv[1]) or "")' "$PY" 2>&1) && [ -n "$gevent_why" ]; then
    warnings+=(--warning "Odoo's gevent process cannot start with $PY ($gevent_why): every server with --workers restarts it in a loop and spends a core on it (tests/e2e/harness.py, gevent_problem)")
    loud "ODOO'S GEVENT PROCESS CANNOT START: $gevent_why
Servers with --workers restart it in a loop, a core each: see gevent_problem in tests/e2e/harness.py."
fi
say "installing pleo_connector on a fresh database $db (with l10n_dk: a localized chart for the setup-sync test)"
db_created=1
install_log="$work/install.log"
"${odoo_cmd[@]}" -c "$conf" -d "$db" -i pleo_connector,l10n_dk --stop-after-init --no-http >"$install_log" 2>&1
install_rc=$?
bad=$(grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (WARNING|ERROR|CRITICAL) ' "$install_log" \
      | grep -vE "odoo\.tools\.config|running as user 'root'|unknown option" || true)
if [ $install_rc -ne 0 ] || grep -q "pleo_connector" <<<"$bad" || ! grep -q "Modules loaded" "$install_log"; then
    tail -n 60 "$install_log"; loud "INSTALL FAILED: pleo_connector did not install cleanly on Odoo $odoo_version"; exit 1
fi
if [ -n "$bad" ]; then echo "warnings from Odoo itself during the install (not from pleo_connector):"; echo "$bad" | cut -c1-300; fi
echo "install: pleo_connector installed with no ERROR/WARNING from our code"
# The end-to-end suite's template, copied before any test touches $db (the suite copies the
# filestore of $db with it, a superset of the template's).
e2e_template=ok
createdb -T "$db" "$db_e2e" || { loud "createdb -T $db $db_e2e failed: the end-to-end suite cannot run"; e2e_template=failed; }

# The browser tour (pleo_connector/tests/test_tour.py) needs a headless Chromium, found by Odoo on
# the PATH, and websocket-client (in tests/requirements.txt) to drive it. Install a missing browser;
# if that fails, say so loudly and let the tour test fail (it does not skip).
if ! command -v chromium >/dev/null && ! command -v google-chrome >/dev/null \
    && ! command -v chromium-browser >/dev/null && ! command -v google-chrome-stable >/dev/null; then
    say "installing Debian's chromium for the browser tour (apt-get)"
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n"
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium; } \
        >"$work/apt-chromium.log" 2>&1
    if ! chromium --headless=new --no-sandbox --disable-gpu --dump-dom about:blank >/dev/null 2>&1; then
        tail -n 5 "$work/apt-chromium.log"
        loud "NO BROWSER: could not install a working 'chromium' (apt-get install chromium).
The browser tour (test_tour.py) will FAIL. Install Chromium or Google Chrome and run again."
    fi
fi

say "tests: Odoo suite (pytest-odoo on $db) and Odoo-free tests, one pytest run"
"$TOOLS_PY" -m pytest -p no:cacheprovider --odoo-config="$conf" --odoo-database="$db" --odoo-http \
    --odoo-log-level=warn $(printf '%s/tests ' $ADDONS) tests --ignore=tests/e2e --junitxml="$junit"
rc=$?

# ----------------------------------------------------------------- 5. the glue on queue_job
# OCA's queue_job from PyPI, in a directory of its own (tests/queue_job_env.sh), on the addons
# path of the glue's database and of the end-to-end servers; the glue's TransactionCase tests on
# a copy of the untouched template ($db_e2e) with pleo_connector_queue installed.
say "tests: pleo_connector_queue on OCA's queue_job, on a database of its own ($db_queue)"
# shellcheck source=tests/queue_job_env.sh
. "$repo/tests/queue_job_env.sh"
queue_check="failed"
queue_addons=""
if pleo_queue_job_dir "$TOOLS_PY"; then
    queue_addons="$QUEUE_JOB_DIR/odoo/addons"
    export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$QUEUE_JOB_DIR"  # openupgradelib
    conf_queue="$work/odoo-queue.conf"
    sed -e "s#^addons_path = .*#addons_path = $addons,$queue_addons#" "$conf" > "$conf_queue"
    queue_log="$work/install-queue.log"
    junit_queue="$work/junit-queue.xml"
    if [ "$e2e_template" = ok ] && createdb -T "$db_e2e" "$db_queue" \
        && { [ ! -d "$work/data/filestore/$db" ] || cp -r "$work/data/filestore/$db" "$work/data/filestore/$db_queue"; } \
        && "${odoo_cmd[@]}" -c "$conf_queue" -d "$db_queue" -i pleo_connector_queue --stop-after-init --no-http >"$queue_log" 2>&1 \
        && ! grep -E ' (ERROR|CRITICAL) ' "$queue_log" >/dev/null; then
        echo "install: queue_job and pleo_connector_queue installed on $db_queue"
        "$TOOLS_PY" -m pytest -p no:cacheprovider --odoo-config="$conf_queue" --odoo-database="$db_queue" \
            --odoo-http --odoo-log-level=warn pleo_connector_queue/tests --junitxml="$junit_queue"
        queue_rc=$?
        queue_count=$("$TOOLS_PY" -c '
import sys, xml.etree.ElementTree as ET
cases = {}  # test -> worst outcome of its reports (subtests report apart)
for case in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    name = case.get("classname", "") + "." + case.get("name", "")
    bad = "failed" if case.find("failure") is not None or case.find("error") is not None else None
    cases[name] = cases.get(name) or bad or ("skipped" if case.find("skipped") is not None else "ok")
n = [sum(1 for v in cases.values() if v == k) for k in ("failed", "skipped")]
print(f"{len(cases)} tests ran ({n[0]} failed, {n[1]} skipped)")
' "$junit_queue" 2>/dev/null || echo "no report")
        echo "pleo_connector_queue: $queue_count"
        if [ $queue_rc -eq 0 ] && ! grep -q "^0 tests" <<<"$queue_count"; then queue_check=ok; fi
        queue_check_name="pleo_connector_queue tests on queue_job, $queue_count"
    else
        tail -n 40 "$queue_log" 2>/dev/null
        loud "PLEO_CONNECTOR_QUEUE NOT TESTED: installing queue_job and pleo_connector_queue on $db_queue failed (log above)."
    fi
else
    loud "PLEO_CONNECTOR_QUEUE NOT TESTED: OCA's queue_job could not be installed from PyPI
(tests/requirements-queue.txt, see the message above); the glue's tests and its end-to-end test
do not run."
fi
queue_check_name=${queue_check_name:-"pleo_connector_queue tests on queue_job"}

# ----------------------------------------------------------------- 5b. the real-time export
# pleo_connector_webhook needs the standardwebhooks package, a test tool here: Odoo installs and
# tests it run by TOOLS_PY (which sees PY's packages), never with a package added to PY. The
# end-to-end suite's servers for it run the same way (tests/e2e/test_webhooks.py).
say "tests: pleo_connector_webhook on a database of its own ($db_hook), Odoo run by $TOOLS_PY"
hook_check=failed
hook_log="$work/install-hook.log"
if [ "$e2e_template" = ok ] && createdb -T "$db_e2e" "$db_hook" \
    && { [ ! -d "$work/data/filestore/$db" ] || cp -r "$work/data/filestore/$db" "$work/data/filestore/$db_hook"; } \
    && "$TOOLS_PY" "${odoo_cmd[@]:1}" -c "$conf" -d "$db_hook" -i pleo_connector_webhook --stop-after-init --no-http >"$hook_log" 2>&1 \
    && ! grep -E ' (ERROR|CRITICAL) ' "$hook_log" >/dev/null; then
    "$TOOLS_PY" -m pytest -p no:cacheprovider --odoo-config="$conf" --odoo-database="$db_hook" \
        --odoo-http --odoo-log-level=warn pleo_connector_webhook/tests --junitxml="$work/junit-hook.xml" \
        && hook_check=ok
else
    tail -n 40 "$hook_log" 2>/dev/null
    loud "PLEO_CONNECTOR_WEBHOOK NOT TESTED: installing it on $db_hook failed (log above)."
fi

say "tests: end-to-end suite (tests/e2e): odoo-bin servers with their scheduler, on copies of $db_e2e"
junit_e2e="$work/junit-e2e.xml"
if [ "$e2e_template" = ok ]; then
    if [ -f "$odoo_root/odoo-bin" ]; then e2e_bin="$odoo_root/odoo-bin"; else e2e_bin="-m odoo"; fi
    PLEO_E2E_ODOO_BIN="$e2e_bin" PLEO_E2E_PYTHON="$PY" PLEO_E2E_TEMPLATE_DB="$db_e2e" \
        PLEO_E2E_TEMPLATE_FILESTORE="$work/data/filestore/$db" PLEO_E2E_ADDONS_PATH="$addons${queue_addons:+,$queue_addons}" \
        PLEO_E2E_DB_PREFIX="$db_e2e" PLEO_E2E_WORKDIR="$work/e2e" \
        "$TOOLS_PY" -m pytest -p no:odoo -p no:cacheprovider tests/e2e --junitxml="$junit_e2e"
    [ $? -eq 0 ] || rc=1
else
    rc=1
fi

say "tests: Odoo suite by Odoo's own runner (odoo-bin --test-enable), the addons alone on the addons path"
alone="$work/addon-alone"
mkdir -p "$alone"
for addon in $ADDONS; do cp -r "$repo/$addon" "$alone/"; done
find "$alone" -name __pycache__ -type d -prune -exec rm -rf {} +
alone_port=$("$PY" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
conf_alone="$work/odoo-alone.conf"
sed -e "s#^addons_path = .*#addons_path = $alone${addons#"$repo"}#" -e "s#^data_dir = .*#data_dir = $work/data-alone#" \
    "$conf" > "$conf_alone"
runner_log="$work/odoo-test-enable.log"
# Odoo's runner drives the browser tours with websocket-client, a test tool that Odoo's own
# requirements do not list: it runs with the tools' Python (PY itself when it has them, else the
# venv of tests/tools_env.sh, which sees PY's packages), never with a package added to PY.
runner_cmd=("$TOOLS_PY" "${odoo_cmd[@]:1}")
"${runner_cmd[@]}" -c "$conf_alone" -d "$db_alone" -i pleo_connector --test-enable \
    --test-tags "$(printf '/%s,' $ADDONS | sed 's/,$//')" --stop-after-init --http-port "$alone_port" >"$runner_log" 2>&1
runner_rc=$?
runner_result=$(grep -oE '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests when loading database' "$runner_log" | tail -n 1)
echo "odoo-bin --test-enable: ${runner_result:-no result line} (exit $runner_rc)"
runner=ok
if [ $runner_rc -ne 0 ] || ! grep -qE '^0 failed, 0 error\(s\) of [1-9][0-9]* tests' <<<"$runner_result"; then
    grep -E ' (ERROR|CRITICAL) ' "$runner_log" | cut -c1-300 | tail -n 40
    runner="failed (${runner_result:-no result})"
fi

# ----------------------------------------------------------------- the addons as wheels (whool)
# Every addon directory built into a wheel by its pyproject.toml (OCA's whool), the wheels
# installed into a directory of their own, and Odoo's database installed once from that directory
# alone, as `pip install ./<addon>` gives them to an Odoo venv (tests/addon_wheels.sh).
say "wheels: every addon built by whool, Odoo's database installed from the wheels alone"
# shellcheck source=tests/addon_wheels.sh
. "$repo/tests/addon_wheels.sh"
if ! pleo_addons_from_wheels "$TOOLS_PY" "$conf" "${db}_wheels" "$work" "$queue_addons" -- "${odoo_cmd[@]}"; then
    loud "ADDONS FROM WHEELS FAILED (see above): whool's wheels of the addons do not build, or Odoo's
database does not install from them alone; 'pip install ./<addon>' would not give a working Odoo."
    rc=1
fi

say "uninstall: $ADDONS"
uninstall_log="$work/uninstall.log"
"${odoo_cmd[@]}" module uninstall -c "$conf" -d "$db" $ADDONS >"$uninstall_log" 2>&1
uninstall_rc=$?
uninstall=ok
if [ $uninstall_rc -ne 0 ] || grep -E ' (ERROR|CRITICAL) ' "$uninstall_log" >/dev/null; then
    tail -n 40 "$uninstall_log"; echo "uninstall: FAILED"; uninstall=failed
elif [ "$(psql -d "$db" -Atc "select count(*) from information_schema.tables where table_name like 'pleo\_%'")" != 0 ]; then
    echo "uninstall: FAILED, pleo_* tables remain"; uninstall=failed
else
    echo "uninstall: clean (no pleo_* table left)"
fi

"$TOOLS_PY" tests/junit_summary.py "$junit" --e2e "$junit_e2e" --odoo "$odoo_version at $odoo_root" \
    --check install=ok --check "odoo-bin --test-enable, addons alone=$runner" \
    --check "uninstall=$uninstall" --check "$queue_check_name=$queue_check" \
    --check "pleo_connector_webhook tests=$hook_check" "${warnings[@]}" || rc=1
exit $rc
