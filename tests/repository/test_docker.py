"""Checks of docker/ (the Docker demo, the Docker test run and docker/demo.sh) without Docker.

docker/compose.yml is read as YAML and compared with docker/odoo.conf, docker/demo.sh and the
sandbox; ``docker compose config`` (or docker-compose v1) validates it when a compose client is
installed; ``bash -n`` (and shellcheck when installed) checks the two shell scripts.
"""

import ast
import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pleo_sandbox.models import check_key_value
from pleolib.keys import normalize_key

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "docker"
COMPOSE = DOCKER / "compose.yml"
SCRIPTS = ("demo.sh", "odoo-entrypoint.sh")
DEMO_KEY_DEFAULT = re.compile(r"^\$\{PLEO_DEMO_KEY:-([^}]+)\}$")
BASH = shutil.which("bash") or "/bin/bash"


@pytest.fixture(scope="module")
def compose():
    yaml = pytest.importorskip("yaml", reason="PyYAML is needed to read docker/compose.yml")
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


@pytest.fixture(scope="module")
def odoo_conf():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(DOCKER / "odoo.conf", encoding="utf-8")
    return parser["options"]


def _mounts(service):
    """``{container path: (host path resolved from docker/, options)}`` of a service's volumes."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target, *options = volume.split(":")
        host = (DOCKER / source).resolve() if source.startswith(".") else source
        mounts[target] = (host, options)
    return mounts


def _option(command, name):
    """The value following ``name`` in a command given as a list."""
    return command[command.index(name) + 1]


def _demo_key_default(value):
    match = DEMO_KEY_DEFAULT.match(value)
    assert match, f"{value!r} is not ${{PLEO_DEMO_KEY:-<default>}}"
    return match.group(1)


def _published(service):
    """``{container port: host address and port}`` of a service's short-syntax ports."""
    published = {}
    for port in service.get("ports", []):
        *host, container = str(port).split(":")
        published[int(container.split("/")[0])] = ":".join(host)
    return published


# ---------------------------------------------------------------------------------- compose.yml
def test_services_and_images(services):
    assert set(services) == {"db", "sandbox", "odoo", "tests"}
    assert services["db"]["image"] == "postgres:16"
    assert services["sandbox"]["image"] == "python:3.12-slim"
    assert services["odoo"]["image"] == "odoo:19.0"
    assert services["tests"]["image"] == "odoo:19.0"
    # `up` starts the demo only; the tests service runs on demand (`run --rm tests`)
    assert services["tests"]["profiles"] == ["test"]
    assert all("profiles" not in services[name] for name in ("db", "sandbox", "odoo"))


def test_db_service(services):
    env = services["db"]["environment"]
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("odoo", "odoo")
    assert "healthcheck" in services["db"]


def test_sandbox_service_runs_the_repository_sandbox(services):
    sandbox = services["sandbox"]
    assert sandbox["working_dir"] == "/mnt/repo/pleo_connector/tests"  # holds pleo_sandbox
    host, options = _mounts(sandbox)["/mnt/repo"]
    assert host == REPO
    assert options == ["ro"]
    command = sandbox["command"]
    assert command[:3] == ["python", "-m", "pleo_sandbox"]
    assert _option(command, "--host") == "0.0.0.0"
    assert _option(command, "--port") == "8765"
    assert _option(command, "--staging-port") == "8766"
    assert _option(command, "--seed") == "demo"
    key = _demo_key_default(_option(command, "--demo-key"))
    # the documented demo key is accepted by the sandbox and by the addon's key check
    assert check_key_value(key) == key
    assert normalize_key(key) == key
    assert "pip" not in str(sandbox)


def test_the_docker_demo_has_the_ready_export_and_its_receipts(services, odoo_conf):
    """The sandbox gives the demo company its Danish export (demo_scenario.py), its receipt
    links name the file host as the odoo service reaches it, and Odoo may download them."""
    command = services["sandbox"]["command"]
    assert _option(command, "--scenario") == "danish-export"
    public = urlsplit(_option(command, "--file-public-url"))
    assert (public.scheme, public.hostname, str(public.port)) == (
        "http",
        "sandbox",
        _option(command, "--file-port"),
    )
    assert odoo_conf["pleo_receipt_allowed_hosts"] == public.netloc
    assert odoo_conf.getboolean("pleo_receipts_allow_http")


def test_the_demos_share_the_odoo_side(services):
    """demo.sh and the odoo service run the same docker/demo_odoo.py (not a copy of it)."""
    mounts = _mounts(services["odoo"])
    mounted = next(path for path, (host, _) in mounts.items() if host == DOCKER / "demo_odoo.py")
    entrypoint = (DOCKER / "odoo-entrypoint.sh").read_text(encoding="utf-8")
    assert f'PLEO_DEMO_STEP=setup odoo shell -c "$conf" -d "$db" --no-http <{mounted}' in entrypoint
    demo = (DOCKER / "demo.sh").read_text(encoding="utf-8")
    assert '<"$repo/docker/demo_odoo.py"' in demo
    assert "demo_step setup" in demo and "demo_step book" in demo
    assert "--scenario danish-export" in demo
    assert "pleo_receipt_allowed_hosts = 127.0.0.1:$file_port" in demo
    assert "-i pleo_connector,l10n_dk" in demo and "-i pleo_connector,l10n_dk" in entrypoint


def test_sandbox_needs_only_the_standard_library():
    """The sandbox runs in python:3.12-slim without any pip install."""
    files = list((REPO / "pleo_connector" / "tests" / "pleo_sandbox").glob("*.py"))
    outside = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("__future__", "pleo_sandbox"):
                    outside.add(f"{path.relative_to(REPO)}: {name}")
    assert not outside, f"the sandbox imports outside the standard library: {sorted(outside)}"


def test_odoo_service(services):
    odoo = services["odoo"]
    mounts = _mounts(odoo)
    host, options = mounts["/mnt/extra-addons/pleo_connector"]
    assert host == REPO / "pleo_connector"
    assert options == ["ro"]
    assert mounts["/etc/odoo/odoo.conf"][0] == DOCKER / "odoo.conf"
    # the entry point script is mounted where the entrypoint runs it
    entrypoint_path = odoo["entrypoint"][-1]
    assert mounts[entrypoint_path][0] == DOCKER / "odoo-entrypoint.sh"
    assert _published(odoo)[8069].endswith("8069")
    assert set(odoo["depends_on"]) == {"db", "sandbox"}
    env = odoo["environment"]
    assert env["PLEO_DEMO_DB"] == "pleo_demo"
    sandbox_key = _option(services["sandbox"]["command"], "--demo-key")
    assert env["PLEO_DEMO_KEY"] == sandbox_key, "the banner must show the sandbox's demo key"


def test_odoo_conf_points_at_the_sandbox_and_db(services, odoo_conf):
    sandbox_command = services["sandbox"]["command"]
    production = urlsplit(odoo_conf["pleo_api_url"])
    staging = urlsplit(odoo_conf["pleo_api_url_staging"])
    assert (production.scheme, production.hostname) == ("http", "sandbox")
    assert (staging.scheme, staging.hostname) == ("http", "sandbox")
    assert str(production.port) == _option(sandbox_command, "--port")
    assert str(staging.port) == _option(sandbox_command, "--staging-port")
    assert odoo_conf["db_host"] == "db"
    db_env = services["db"]["environment"]
    assert odoo_conf["db_user"] == db_env["POSTGRES_USER"]
    assert odoo_conf["db_password"] == db_env["POSTGRES_PASSWORD"]
    assert odoo_conf["dbfilter"] == "^pleo_demo$"
    assert "/mnt/extra-addons" in odoo_conf["addons_path"].split(",")


def test_no_encryption_key_is_committed_and_the_generated_one_persists(odoo_conf, services):
    assert "pleo_encryption_keys" not in odoo_conf
    # The key file generated by the addon lives in Odoo's data_dir, on a named volume.
    volumes = services["odoo"]["volumes"]
    assert any(str(v).split(":")[1:2] == ["/var/lib/odoo"] for v in volumes), volumes


def test_tests_service_runs_the_test_command(services):
    tests = services["tests"]
    assert set(tests["depends_on"]) == {"db"}
    host, options = _mounts(tests)["/mnt/repo"]
    assert (host, options) == (REPO, ["ro"])
    env = tests["environment"]
    assert not env.get("ODOO_PATH"), "run.sh must find the image's Odoo itself"
    assert (env["PGHOST"], env["PGUSER"], env["PGPASSWORD"]) == ("db", "odoo", "odoo")
    script = " ".join(tests["entrypoint"]) + "\n" + "\n".join(tests["command"])
    assert "tests/run.sh" in script
    assert "--break-system-packages" in script
    assert "tests/requirements.txt" in script


def _compose_client():
    """The installed compose client as an argument list, or None."""
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, timeout=60
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    docker_compose = shutil.which("docker-compose")
    return [docker_compose] if docker_compose else None


def test_compose_config_is_valid():
    client = _compose_client()
    if client is None:
        pytest.skip("no compose client installed (neither `docker compose` nor `docker-compose`)")
    env = {k: v for k, v in os.environ.items() if k != "PLEO_DEMO_KEY"}
    result = subprocess.run(
        [*client, "-f", str(COMPOSE), "config"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=env,
    )
    name = " ".join([Path(client[0]).name, *client[1:]])
    assert result.returncode == 0, f"{name} config failed:\n{result.stderr}"
    assert "pleo-demo-key" in result.stdout  # the default demo key was interpolated


# ---------------------------------------------------------------------------------- scripts
@pytest.mark.parametrize("script", SCRIPTS)
def test_script_syntax(script):
    result = subprocess.run(
        [BASH, "-n", str(DOCKER / script)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_shellcheck(script):
    shellcheck = shutil.which("shellcheck")
    if not shellcheck:
        pytest.skip("shellcheck is not installed")
    result = subprocess.run(
        [shellcheck, str(DOCKER / script)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout


def test_demo_sh_matches_compose(services):
    text = (DOCKER / "demo.sh").read_text(encoding="utf-8")
    compose_key = _demo_key_default(_option(services["sandbox"]["command"], "--demo-key"))
    assert f"key=${{PLEO_DEMO_KEY:-{compose_key}}}" in text
    assert "--host 127.0.0.1" in text  # loopback only
    assert "http_interface = 127.0.0.1" in text
    assert "db=${PLEO_DEMO_DB:-pleo_demo}" in text
    assert "trap cleanup EXIT" in text


def test_demo_sh_refuses_a_wrong_odoo_path(tmp_path):
    env = {**os.environ, "ODOO_PATH": str(tmp_path), "PLEO_DEMO_DIR": str(tmp_path / "demo")}
    result = subprocess.run(
        [BASH, str(DOCKER / "demo.sh")], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 2
    assert "holds no Odoo source tree" in result.stderr
    assert not (tmp_path / "demo").exists()  # nothing started, nothing written


def test_entrypoint_matches_compose(odoo_conf):
    text = (DOCKER / "odoo-entrypoint.sh").read_text(encoding="utf-8")
    assert "db=${PLEO_DEMO_DB:-pleo_demo}" in text
    assert "-i pleo_connector" in text
    assert "http://localhost:8069" in text
    assert "admin / admin" in text
    assert odoo_conf["db_name"] == "pleo_demo"


def test_readme_has_the_commands():
    text = (DOCKER / "README.md").read_text(encoding="utf-8")
    for command in (
        "docker compose -f docker/compose.yml up",
        "docker compose -f docker/compose.yml run --rm tests",
        "docker compose -f docker/compose.yml down",
        "ODOO_PATH=/path/to/odoo19 docker/demo.sh",
    ):
        assert command in text


def test_scripts_the_readmes_name_are_executable():
    """Each script a README tells to run has its executable bit, on disk and in git."""
    named = set()
    for readme in (REPO / "README.md", DOCKER / "README.md"):
        named.update(
            re.findall(r"(?<![\w/.-])((?:docker|tests)/[\w-]+\.sh|\.ci/run)\b", readme.read_text())
        )
    assert "docker/demo.sh" in named and "tests/run.sh" in named
    git = shutil.which("git")
    if (REPO / ".git").exists() and git:
        listed = subprocess.run(
            [git, "-C", str(REPO), "ls-files", "-s", *sorted(named)],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.splitlines()
        modes = {line.split("\t")[1]: line.split()[0] for line in listed}
        assert {path: modes.get(path) for path in named} == dict.fromkeys(named, "100755")
    for path in named:
        assert os.access(REPO / path, os.X_OK), f"{path} is not executable"


def test_demo_sh_says_which_python_to_set(tmp_path):
    """A Python that finds Odoo's release file but cannot run Odoo: a clear message, no trace."""
    (tmp_path / "odoo").mkdir()
    (tmp_path / "odoo" / "__init__.py").write_text("")
    (tmp_path / "odoo" / "release.py").write_text('version = "19.0"\n')
    env = {**os.environ, "ODOO_PATH": str(tmp_path), "ODOO_PYTHON": sys.executable}
    env.pop("PYTHONPATH", None)
    result = subprocess.run(
        [BASH, str(DOCKER / "demo.sh")], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 2
    assert "Set ODOO_PYTHON" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
