"""``pleolib``'s package says what it holds: every public module and every name it re-exports is
in ``__all__``, and nothing in ``__all__`` is missing; and no module imports Odoo."""

import ast
from pathlib import Path

import pleolib

PACKAGE = Path(pleolib.__file__).parent


def test_all_lists_every_public_module_and_every_name_imported():
    modules = {path.stem for path in PACKAGE.glob("*.py") if not path.stem.startswith("_")}
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    imported = {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert modules <= set(pleolib.__all__)
    assert set(pleolib.__all__) == imported
    assert all(hasattr(pleolib, name) for name in pleolib.__all__)


def test_the_markers_are_explained_where_the_package_starts():
    for marker in ("[spec]", "[docs]", "[unknown]"):
        assert f"``{marker}``" in pleolib.__doc__


def test_no_module_imports_odoo():
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not any(name.split(".")[0] == "odoo" for name in names), path.name
