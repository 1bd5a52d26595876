"""What the benchmarks share (not a test): the import path, Odoo's configuration for a
throw-away database, and :func:`odoo_env`, which creates that database with pleo_connector
installed, starts the sandbox and points Odoo at it.

Import it before anything that puts ``pleo_connector/tests`` on the path (which holds another
``common.py``): a benchmark started as ``python3 tests/benchmarks/bench_x.py`` finds this one
first.
"""

import contextlib
import getpass
import logging
import os
import sys
import tempfile
from pathlib import Path
from unittest.mock import patch

REPO = Path(__file__).resolve().parents[2]
for _path in (str(REPO), str(REPO / "pleo_connector" / "tests")):  # pleolib, pleo_sandbox
    if _path not in sys.path:
        sys.path.insert(0, _path)
if os.environ.get("ODOO_PATH"):
    sys.path.insert(0, os.environ["ODOO_PATH"])


def _odoo_config(database, data_dir):
    """Configure Odoo (found on the path) for ``database``; return ``(version, Odoo's root)``."""
    import odoo.release
    from odoo.tools import config

    odoo_root = Path(odoo.release.__file__).resolve().parents[1]
    addons = [str(REPO)] + [
        str(path) for path in (odoo_root / "addons", odoo_root / "odoo" / "addons") if path.is_dir()
    ]
    config.parse_config(
        [
            f"--database={database}",
            f"--db_host={os.environ.get('PGHOST', '127.0.0.1')}",
            f"--db_port={os.environ.get('PGPORT', '5432')}",
            f"--db_user={os.environ.get('PGUSER', getpass.getuser())}",
            f"--addons-path={','.join(addons)}",
            f"--data-dir={data_dir}",
            "--log-level=warn",
        ]
    )
    if os.environ.get("PGPASSWORD"):
        config["db_password"] = os.environ["PGPASSWORD"]
    return odoo.release.version, odoo_root


@contextlib.contextmanager
def odoo_env(database, options=None, keep=False):
    """Yield ``(registry, sandbox)``: a new database ``database`` with pleo_connector installed,
    a running sandbox, and Odoo's ``config.options`` patched with the sandbox's URL, a fresh
    encryption key and ``options``. The database is dropped afterwards unless ``keep``."""
    from cryptography.fernet import Fernet
    from pleo_sandbox import PleoSandbox

    logging.getLogger("pleo_sandbox").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="pleo-bench-") as data_dir:
        version, odoo_root = _odoo_config(database, data_dir)
        from odoo.modules.registry import Registry
        from odoo.service import db as db_service
        from odoo.tools import config

        print(f"Odoo {version} from {odoo_root}; database {database}", flush=True)
        print("creating the database and installing pleo_connector ...", flush=True)
        db_service._create_empty_database(database)  # pylint: disable=protected-access
        registry = Registry.new(database, update_module=True, install_modules=["pleo_connector"])
        try:
            with PleoSandbox() as sandbox:
                patched = {
                    "pleo_api_url": sandbox.url("production"),
                    "pleo_encryption_keys": Fernet.generate_key().decode(),
                    **(options or {}),
                }
                with patch.dict(config.options, patched):
                    yield registry, sandbox
        finally:
            if not keep:
                Registry.delete(database)
                db_service.exp_drop(database)


def connect(company, sandbox, scopes=(), **values):
    """Connect ``company`` to a new Pleo company of the sandbox as Save & Test leaves it: a key
    minted (with ``scopes`` beyond the default ones) and stored encrypted, the installation
    activated; ``values`` are written with it. Return ``(connection, Pleo company id)``."""
    pleo_company = sandbox.add_company(f"Pleo {company.name}")
    key = sandbox.mint_key(company_id=pleo_company)
    if scopes:
        sandbox.set_scopes(key, [*sandbox.key_info(key)["scopes"], *scopes])
    installation = sandbox.set_installation_status(key, "ACTIVATED")
    connection = company.pleo_connection_ids.sudo()
    connection.write(
        {
            "state": "connected",
            "pleo_company_uuid": pleo_company,
            "installation_uuid": installation["id"],
            "installation_status": "ACTIVATED",
            "key_token": connection._vault().encrypt(key),
            **values,
        }
    )
    return connection, pleo_company
