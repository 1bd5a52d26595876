# Sourced by tests/run.sh (and by tests/repository/test_newcomer.py): picks the Python that runs the test
# tools (pytest, ruff, pylint-odoo, ...), without ever pip-installing into the Odoo Python.
#
#   pleo_tools_python PY    sets TOOLS_PY; returns non-zero (with a message on stderr) on failure
#
# If PY already has every distribution of the requirements file, TOOLS_PY=PY and nothing is
# installed or created. Otherwise the tools go into a virtual environment of their own, because a
# distribution's Python (Debian 12, Ubuntu 24.04) refuses pip installs (PEP 668,
# "externally-managed-environment") and a shared Odoo venv should not change under its users.
# The venv is kept in a stable cache directory named by a hash of the requirements file, PY's
# version and prefix, so later runs (and CI on the same machine) re-use it without installing.
# A .pth file in it adds PY's site directories after its own, so the tools see Odoo's packages
# (pytest-odoo runs Odoo in-process), even when PY is itself a venv.
#
#   PLEO_TOOLS_REQUIREMENTS  the requirements file (default: tests/requirements.txt)
#   PLEO_TOOLS_CACHE         where the venvs live (default: ${XDG_CACHE_HOME:-~/.cache}/pleo_connector)

_pleo_tools_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# _pleo_tools_present PY REQUIREMENTS: does PY have every distribution the file names (and, when
# `packaging` is importable, at a version the file accepts)?
_pleo_tools_present() {
    "$1" - "$2" <<'PY' 2>/dev/null
import re, sys
from importlib import metadata
try:
    from packaging.requirements import Requirement
except ImportError:
    Requirement = None
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name = re.match(r"[A-Za-z0-9._-]+", line).group(0)
    version = metadata.version(name)  # raises PackageNotFoundError when missing
    if Requirement and not Requirement(line).specifier.contains(version, prereleases=True):
        sys.exit(1)
PY
}

pleo_tools_python() {
    local py=$1
    local req=${PLEO_TOOLS_REQUIREMENTS:-$_pleo_tools_dir/requirements.txt}
    local cache=${PLEO_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pleo_connector}
    TOOLS_PY=""
    if _pleo_tools_present "$py" "$req"; then
        TOOLS_PY=$py
        echo "test tools: $py has them all ($req); nothing installed"
        return 0
    fi
    local key
    key=$("$py" - "$req" <<'PY'
import hashlib, sys
digest = hashlib.sha256(open(sys.argv[1], "rb").read())
digest.update(f"{sys.version}\0{sys.prefix}".encode())
print(digest.hexdigest()[:16])
PY
) || { echo "test tools: $py does not run" >&2; return 2; }
    local venv="$cache/tools-$key"
    mkdir -p "$cache" || return 2
    # One run at a time builds a given venv (two CI jobs may start together).
    if command -v flock >/dev/null; then exec {_pleo_lock}>"$cache/tools-$key.lock" && flock "$_pleo_lock"; fi
    if [ -f "$venv/.complete" ] && _pleo_tools_present "$venv/bin/python" "$req"; then
        TOOLS_PY=$venv/bin/python
        echo "test tools: re-using $venv"
        _pleo_tools_unlock
        return 0
    fi
    if ! "$py" -c "import venv, ensurepip" 2>/dev/null; then
        local v
        v=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
        printf '\n%s\nNO VENV: %s cannot make a virtual environment (no venv/ensurepip module), so the\ntest tools cannot be installed without touching that Python. Install it, e.g. on Debian or\nUbuntu: apt-get install python3-venv (or python%s-venv), then run again.\n%s\n' \
            "$(printf '!%.0s' {1..78})" "$py" "$v" "$(printf '!%.0s' {1..78})" >&2
        _pleo_tools_unlock
        return 2
    fi
    echo "test tools: $py lacks some of $req; installing them into $venv (once)"
    rm -rf "$venv"
    if ! "$py" -m venv "$venv"; then
        echo "test tools: '$py -m venv $venv' failed" >&2
        _pleo_tools_unlock
        return 2
    fi
    # PY's site directories, after the venv's own: site.addsitedir also runs their .pth files
    # (editable installs such as `pip install -e odoo`).
    "$py" -c '
import site, sys
dirs = site.getsitepackages() + ([site.getusersitepackages()] if site.ENABLE_USER_SITE else [])
print("import site; " + "; ".join("site.addsitedir(%r)" % d for d in dict.fromkeys(dirs)))
' >"$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/_pleo_odoo_python.pth"
    if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"; then
        echo "test tools: pip install -r $req into $venv failed" >&2
        _pleo_tools_unlock
        return 2
    fi
    touch "$venv/.complete"
    TOOLS_PY=$venv/bin/python
    _pleo_tools_unlock
}

_pleo_tools_unlock() {
    if [ -n "${_pleo_lock:-}" ]; then exec {_pleo_lock}>&-; _pleo_lock=""; fi
}
