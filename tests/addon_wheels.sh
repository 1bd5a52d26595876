# shellcheck shell=bash
# Sourced by tests/run.sh: the addons as OCA ships them. Every addon directory of the repository
# (a __manifest__.py at its root) has a pyproject.toml whose build backend is OCA's `whool`, so
# that `pip install ./pleo_connector ./pleo_connector_export ...` into an Odoo venv makes them
# installable. This builds each addon's wheel, installs the wheels into a target directory (with
# --no-deps and --target: never into a Python; their `odoo==19.0.*` requirement is met by an Odoo
# source tree that pip does not know), and installs Odoo's database once from that directory alone
# (addons path = the target's odoo/addons, then Odoo's own and the extra paths given): a file the
# wheels leave out, or a module that only loads from the repository, fails here.
#
#   pleo_addons_from_wheels TOOLS_PY CONF DB WORKDIR EXTRA_ADDONS_PATH -- ODOO_CMD...
#
# CONF is an Odoo configuration file whose addons_path starts with the repository (it is
# replaced); EXTRA_ADDONS_PATH (comma-separated, may be empty) holds the addons some of ours
# depend on (queue_job). An addon that depends on a module found nowhere is left out, with a
# line that says so. Returns non-zero, with the log's tail, when a build, the wheels' install or
# the database's install fails; DB is dropped afterwards unless PLEO_KEEP_DB=1.

pleo_addons_from_wheels() {
    local tools_py=$1 conf=$2 db=$3 work=$4 extra=$5
    shift 5
    [ "$1" = "--" ] && shift
    local odoo_cmd=("$@")
    local repo
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    local wheels="$work/wheels" target="$work/wheels-target" log="$work/wheels.log"
    rm -rf "$wheels" "$target"
    mkdir -p "$wheels" "$target"
    local addons=() manifest
    for manifest in "$repo"/*/__manifest__.py; do addons+=("$repo/$(basename "$(dirname "$manifest")")"); done
    if [ ${#addons[@]} -eq 0 ]; then echo "wheels: no addon directory found in $repo"; return 1; fi
    echo "wheels: building ${#addons[@]} addons with whool: ${addons[*]##*/}"
    if ! "$tools_py" -m pip wheel --quiet --disable-pip-version-check --no-deps -w "$wheels" "${addons[@]}" >"$log" 2>&1; then
        tail -n 30 "$log"; echo "wheels: 'pip wheel' of the addons failed"; return 1
    fi
    local built=("$wheels"/*.whl)
    echo "wheels: built ${built[*]##*/}"
    if ! "$tools_py" -m pip install --quiet --disable-pip-version-check --no-deps --target "$target" "$wheels"/*.whl >>"$log" 2>&1; then
        tail -n 30 "$log"; echo "wheels: 'pip install --target' of the wheels failed"; return 1
    fi
    local core
    core=$(sed -n 's#^addons_path = [^,]*##p' "$conf")  # Odoo's own paths, after the repository
    local path="$target/odoo/addons$core${extra:+,$extra}"
    # The modules to install: every wheel's addon whose dependencies are found on that path.
    local modules
    modules=$("$tools_py" - "$target/odoo/addons" "$path" <<'PY'
import ast, sys
from pathlib import Path
ours = sorted(p.parent for p in Path(sys.argv[1]).glob("*/__manifest__.py"))
found = {p.parent.name for d in sys.argv[2].split(",") if d for p in Path(d).glob("*/__manifest__.py")}
keep = []
for addon in ours:
    missing = sorted(set(ast.literal_eval((addon / "__manifest__.py").read_text()).get("depends", [])) - found)
    if missing:
        print(f"wheels: {addon.name} left out: it depends on {', '.join(missing)}, found nowhere", file=sys.stderr)
    else:
        keep.append(addon.name)
print(",".join(keep))
PY
) || return 1
    [ -n "$modules" ] || { echo "wheels: no module to install"; return 1; }
    local conf_wheels="$work/odoo-wheels.conf"
    sed -e "s#^addons_path = .*#addons_path = $path#" -e "s#^data_dir = .*#data_dir = $work/data-wheels#" \
        "$conf" > "$conf_wheels"
    echo "wheels: installing $modules on $db, addons path $path"
    local install_log="$work/install-wheels.log" rc
    "${odoo_cmd[@]}" -c "$conf_wheels" -d "$db" -i "$modules" --stop-after-init --no-http >"$install_log" 2>&1
    rc=$?
    local installed
    installed=$(psql -d "$db" -Atc "select string_agg(name, ',' order by name) from ir_module_module
        where state = 'installed' and name = any(string_to_array('$modules', ','))" 2>/dev/null)
    local expected
    expected=$(tr ',' '\n' <<<"$modules" | sort | paste -sd, -)
    if [ "${PLEO_KEEP_DB:-0}" != 1 ]; then dropdb --if-exists "$db" >/dev/null 2>&1; fi
    if [ $rc -ne 0 ] || grep -qE ' (ERROR|CRITICAL) ' "$install_log" || [ "$installed" != "$expected" ]; then
        grep -E ' (ERROR|CRITICAL) ' "$install_log" | cut -c1-300 | tail -n 20
        tail -n 20 "$install_log"
        echo "wheels: the install from the wheels failed (exit $rc; installed: ${installed:-none} of $expected)"
        return 1
    fi
    echo "wheels: $installed installed from the wheels alone (no ERROR in the log)"
}
