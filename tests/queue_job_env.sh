# Sourced by tests/run.sh: OCA's queue_job (tests/requirements-queue.txt) for the tests of
# pleo_connector_queue, installed without touching any Python.
#
#   pleo_queue_job_dir TOOLS_PY    sets QUEUE_JOB_DIR; non-zero (with a message) on failure
#
# The wheel of odoo-addon-queue-job holds odoo/addons/queue_job and requires the distribution
# "odoo", which an Odoo source tree is not, so it is installed with --no-deps into a directory
# of its own (pip install --target), once per requirements file: an Odoo that has
# $QUEUE_JOB_DIR/odoo/addons on its addons path and $QUEUE_JOB_DIR on its PYTHONPATH (for
# openupgradelib) loads it. Neither the Odoo Python nor the tools' venv changes.
#
#   PLEO_TOOLS_CACHE   where it lives (default: ${XDG_CACHE_HOME:-~/.cache}/pleo_connector)

_pleo_queue_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

pleo_queue_job_dir() {
    local py=$1
    local req=$_pleo_queue_dir/requirements-queue.txt
    local cache=${PLEO_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pleo_connector}
    local key
    key=$("$py" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()[:16])' "$req") || return 2
    QUEUE_JOB_DIR=$cache/queue_job-$key
    if [ -f "$QUEUE_JOB_DIR/.complete" ] && [ -f "$QUEUE_JOB_DIR/odoo/addons/queue_job/__manifest__.py" ]; then
        echo "queue_job: re-using $QUEUE_JOB_DIR"
        return 0
    fi
    mkdir -p "$cache" || return 2
    rm -rf "$QUEUE_JOB_DIR"
    echo "queue_job: installing $(grep -E '^[a-z]' "$req" | cut -d' ' -f1 | tr '\n' ' ')into $QUEUE_JOB_DIR (once)"
    if ! "$py" -m pip install --quiet --disable-pip-version-check --no-deps --target "$QUEUE_JOB_DIR" -r "$req"; then
        echo "queue_job: pip install --target $QUEUE_JOB_DIR -r $req failed" >&2
        rm -rf "$QUEUE_JOB_DIR"
        return 2
    fi
    touch "$QUEUE_JOB_DIR/.complete"
}
