"""The newcomer's first command: what a reader of the README runs first works on a fresh machine.

- the test command's tool step (tests/tools_env.sh) never installs into the Odoo Python, which on
  Debian 12 or Ubuntu 24.04 is "externally managed" (PEP 668) and refuses pip;
- the scripts the READMEs name are executable and start with a shebang;
- demo.sh run with a Python that cannot run Odoo says which variable to set.
"""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOLS_ENV = REPO / "tests" / "tools_env.sh"
BASH = shutil.which("bash") or "/bin/bash"
ODOO_PATH = Path(os.environ.get("ODOO_PATH") or "/opt/odoo19")


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_BREAK", "PYTHON"))}
    env.update(extra)
    return env


def _tools_step(python, requirements, cache):
    """Source tests/tools_env.sh, run its tool step for ``python``; (result, TOOLS_PY)."""
    script = f'. "{TOOLS_ENV}" && pleo_tools_python "$1" && echo "TOOLS_PY=$TOOLS_PY"'
    result = subprocess.run(
        [BASH, "-c", script, "tools", str(python)],
        capture_output=True,
        text=True,
        timeout=600,
        env=_env(PLEO_TOOLS_REQUIREMENTS=str(requirements), PLEO_TOOLS_CACHE=str(cache)),
    )
    found = re.findall(r"^TOOLS_PY=(.*)$", result.stdout, re.M)
    return result, (found[-1] if found else None)


def _site_packages(python):
    return subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def _tree(path):
    return sorted(str(p.relative_to(path)) for p in Path(path).rglob("*"))


# prints whether the Python is its own prefix (not a venv), and where pip would install
_PROBE = (
    "import sys, sysconfig; "
    "print(sys.prefix == sys.base_prefix == sys.argv[1], sysconfig.get_path('purelib'))"
)


@pytest.fixture
def system_python(tmp_path):
    """A Python that behaves like Debian's: not a venv, pip present, and an EXTERNALLY-MANAGED file.

    A venv cannot play that part: pip ignores the marker inside a venv, and a venv's sysconfig
    'stdlib' dir is its base Python's, which the test must not write to. So this builds its own
    prefix: a copy of the interpreter, the standard library linked in file by file, an empty
    site-packages of its own, pip (from ensurepip, or linked), then the marker in its stdlib dir.
    """
    if sys.platform == "win32":
        pytest.skip("POSIX layout only")
    if importlib.util.find_spec("ensurepip") is None:
        pytest.skip("this Python has no ensurepip (Debian: python3-venv)")
    base = Path(sys.base_prefix)
    stdlib = Path(sysconfig.get_paths(vars={"installed_base": sys.base_prefix})["stdlib"])
    prefix = tmp_path / "system-python"
    lib = prefix / "lib" / stdlib.name
    (prefix / "bin").mkdir(parents=True)
    lib.mkdir(parents=True)
    python = prefix / "bin" / "python3"
    shutil.copy2(os.path.realpath(sys._base_executable), python)
    for libpython in (base / "lib").glob("libpython*"):  # a --enable-shared build finds it here
        (prefix / "lib" / libpython.name).symlink_to(libpython)
    for entry in stdlib.iterdir():
        if entry.name not in ("site-packages", "dist-packages", "EXTERNALLY-MANAGED"):
            (lib / entry.name).symlink_to(entry)
    probe = subprocess.run(
        [str(python), "-c", _PROBE, str(prefix)], capture_output=True, text=True, env=_env()
    )
    if not probe.stdout.startswith("True "):
        pytest.skip(f"could not build a stand-alone Python prefix: {probe.stdout}{probe.stderr}")
    site_packages = Path(probe.stdout.split(None, 1)[1].strip())  # Debian: .../dist-packages
    site_packages.mkdir(parents=True)
    # pip, as a distribution ships it; Debian's ensurepip refuses outside a venv, so link ours then
    if subprocess.run([str(python), "-m", "ensurepip"], capture_output=True, env=_env()).returncode:
        pip = importlib.util.find_spec("pip")
        if pip is None:
            pytest.skip("no pip to give the stand-in system Python")
        (site_packages / "pip").symlink_to(Path(pip.origin).parent)
    # a package of "Odoo's" that the tools must see
    (site_packages / "odoo_stand_in.py").write_text("WHO = 'the Odoo Python'\n")
    (lib / "EXTERNALLY-MANAGED").write_text(
        "[externally-managed]\nError=This Python is managed by the test's fake distribution.\n"
    )
    return python


def test_the_fixture_refuses_pip_like_debian(system_python, tmp_path):
    """The stand-in reproduces the newcomer's failure: pip install exits 1, externally managed."""
    result = subprocess.run(
        [str(system_python), "-m", "pip", "install", "--dry-run", "iniconfig"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
    )
    assert result.returncode != 0
    assert "externally-managed-environment" in result.stdout + result.stderr


def test_tools_go_to_a_cached_venv_and_leave_the_system_python_untouched(system_python, tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("iniconfig  # tiny, not in the system Python\n")
    cache = tmp_path / "cache"
    site_packages = _site_packages(system_python)
    before = _tree(site_packages)

    result, tools_py = _tools_step(system_python, requirements, cache)
    assert result.returncode == 0, result.stdout + result.stderr
    assert tools_py and tools_py != str(system_python)
    assert Path(tools_py).is_relative_to(cache)
    assert _tree(site_packages) == before, "the tool step installed into the system Python"
    # the tools Python has the tools and still sees the system Python's packages
    check = subprocess.run(
        [tools_py, "-c", "import iniconfig, odoo_stand_in; print(odoo_stand_in.WHO)"],
        capture_output=True,
        text=True,
        env=_env(),
    )
    assert check.stdout.strip() == "the Odoo Python", check.stderr

    # a second run re-uses the venv: no install
    again, tools_py_again = _tools_step(system_python, requirements, cache)
    assert again.returncode == 0, again.stderr
    assert tools_py_again == tools_py
    assert "re-using" in again.stdout
    assert "installing" not in again.stdout


def test_a_python_with_the_tools_is_used_as_is(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("pytest>=1  # this very Python has it\n")
    cache = tmp_path / "cache"
    result, tools_py = _tools_step(sys.executable, requirements, cache)
    assert result.returncode == 0, result.stderr
    assert tools_py == sys.executable
    assert not cache.exists(), "nothing must be created when the Python has the tools"


def test_no_venv_module_is_said_loudly(tmp_path):
    """Debian without python3-venv: a clear message naming the package, and a non-zero exit."""
    fake = tmp_path / "python3"
    # a Python whose `import venv, ensurepip` fails, as on Debian without python3-venv
    fake.write_text(
        f'#!{BASH}\ncase "$*" in *ensurepip*) exit 1 ;; esac\nexec "{sys.executable}" "$@"\n'
    )
    fake.chmod(0o755)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("no-such-tool-pleo-test\n")
    result, tools_py = _tools_step(fake, requirements, tmp_path / "cache")
    assert result.returncode != 0
    assert tools_py is None
    assert "NO VENV" in result.stderr and "python3-venv" in result.stderr


def test_run_sh_uses_the_tool_step_and_never_pip_installs_into_its_python():
    text = (REPO / "tests" / "run.sh").read_text(encoding="utf-8")
    assert "tests/tools_env.sh" in text and 'pleo_tools_python "$PY"' in text
    assert not re.search(r'"\$PY" -m pip', text)
    for tool in ("ruff", "pylint", "pytest"):
        assert f'"$TOOLS_PY" -m {tool}' in text
        assert f'"$PY" -m {tool}' not in text
    requirements = (REPO / "tests" / "requirements.txt").read_text(encoding="utf-8")
    assert re.search(r"^websocket-client\b", requirements, re.M)


# ---------------------------------------------------------------------------------- scripts
READMES = (REPO / "README.md", REPO / "docker" / "README.md")
# run by CI (.ci/run) and by the odoo service of docker/compose.yml, whatever the READMEs say
ALWAYS_RUN = {".ci/run", "docker/odoo-entrypoint.sh"}
ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=\S*$")


def _scripts_the_readmes_run():
    """Repository files a README tells the reader to run as commands.

    Every ``*.sh`` path the text names, and the command word of each line of a ``sh`` code block
    (after leading ``NAME=value`` assignments) when it is a file of the repository.
    """
    named = set(ALWAYS_RUN)
    for readme in READMES:
        text = readme.read_text(encoding="utf-8")
        named.update(re.findall(r"(?<![\w/.-])((?:[\w.-]+/)+[\w.-]+\.sh)\b", text))
        for block in re.findall(r"^```sh\n(.*?)^```", text, re.M | re.S):
            for line in block.replace("\\\n", " ").splitlines():  # join continued lines
                words = [w for w in line.split() if not ASSIGNMENT.match(w)]
                if words and "/" in words[0] and (REPO / words[0]).is_file():
                    named.add(words[0].removeprefix("./"))
    return sorted(named)


def test_the_readmes_name_the_first_commands():
    named = _scripts_the_readmes_run()
    assert {"docker/demo.sh", "tests/run.sh"} <= set(named), named


@pytest.mark.parametrize("path", _scripts_the_readmes_run())
def test_scripts_the_readmes_run_are_executable_with_a_shebang(path):
    """A fresh clone runs them as written: mode 100755 in git's index and a #! first line."""
    assert (REPO / path).is_file(), f"a README names {path}, which does not exist"
    assert (REPO / path).read_bytes().startswith(b"#!"), f"{path} has no shebang"
    git = shutil.which("git")
    if not git or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(
        [git, "-C", str(REPO), "ls-files", "-s", "--", path],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.split()
    assert listed, f"{path} is not tracked by git"
    assert listed[0] == "100755", f"{path} has mode {listed[0]} in git: git update-index --chmod=+x"


@pytest.mark.skipif(
    not (ODOO_PATH / "odoo" / "release.py").is_file(), reason=f"no Odoo tree at {ODOO_PATH}"
)
def test_demo_sh_with_a_python_lacking_odoos_requirements(tmp_path):
    """A real Odoo tree and a bare venv (no babel): one line naming ODOO_PYTHON, exit 2."""
    venv.create(tmp_path / "bare", with_pip=False)
    python = tmp_path / "bare" / "bin" / "python"
    assert subprocess.run([str(python), "-c", "import babel"], capture_output=True).returncode
    result = subprocess.run(
        [BASH, str(REPO / "docker" / "demo.sh")],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(
            ODOO_PATH=str(ODOO_PATH),
            ODOO_PYTHON=str(python),
            PLEO_DEMO_DIR=str(tmp_path / "demo"),
            PLEO_DEMO_DB="pleo_demo_never_created",
        ),
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "Set ODOO_PYTHON" in lines[0] and "babel" in lines[0]
    assert not (tmp_path / "demo").exists()  # nothing started, nothing written


# ---------------------------------------------------------------------------------- the READMEs
def _try_it():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return text[text.index("## Try it") : text.index("\n## ", text.index("## Try it") + 1)]


@pytest.mark.parametrize("where", ["README.md, Try it", "docker/README.md"])
def test_the_readmes_say_which_compose_and_that_unknown_option_lines_are_expected(where):
    text = _try_it() if where.startswith("README") else (REPO / "docker" / "README.md").read_text()
    flat = " ".join(text.split())
    assert "Compose v2" in flat and "Compose v1" in flat
    assert "docker-compose -f docker/compose.yml" in flat
    assert "unknown option 'pleo_api_url'" in flat and "stored as-is" in flat
    assert "expected" in flat


# ---------------------------------------------------------------------------------- first login
@pytest.mark.parametrize(
    ("script", "warm_up", "prints_banner"),
    [
        # demo.sh calls its banner() function once Odoo answers
        ("docker/demo.sh", '"$PY" "$repo/docker/warm_assets.py"', r"^\s*banner$"),
        # the entrypoint's banner is a heredoc in its waiting loop
        (
            "docker/odoo-entrypoint.sh",
            "python3 /usr/local/lib/pleo-demo/warm_assets.py",
            "cat <<BANNER",
        ),
    ],
)
def test_the_asset_bundles_are_built_before_the_banner(script, warm_up, prints_banner):
    """The banner says "ready" only once the login page's and the backend's bundles exist."""
    text = (REPO / script).read_text(encoding="utf-8")
    assert warm_up in text, f"{script} does not build the asset bundles"
    printed = re.search(prints_banner, text, re.M)
    assert printed, f"{script}: where the banner is printed was not found"
    assert text.index(warm_up) < printed.start(), f"{script} prints the banner before the assets"


def test_compose_mounts_the_warm_up_where_the_entrypoint_runs_it():
    text = (REPO / "docker" / "compose.yml").read_text(encoding="utf-8")
    assert "./warm_assets.py:/usr/local/lib/pleo-demo/warm_assets.py:ro" in text
    assert (REPO / "docker" / "warm_assets.py").read_text().startswith("#!")
