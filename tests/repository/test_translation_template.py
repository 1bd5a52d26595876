"""The committed translation templates ``<addon>/i18n/<addon>.pot`` of the three addons are current.

A check of the repository, not of the shipped addon: Odoo's exporter (``odoo-bin i18n export``)
reads the terms from the module's code (every ``self.env._(...)``), its views, fields,
selections, menus, actions and groups; this test runs the same reader in memory, on the database
of the pytest-odoo run of tests/run.sh, and compares its terms with the committed file. It needs
Odoo and that database, so it is skipped where there is none (tests/run.sh then says loudly that
the Odoo suite was skipped).
"""

from pathlib import Path

import pytest

polib = pytest.importorskip("polib", reason="polib comes with Odoo's requirements")
odoo = pytest.importorskip("odoo", reason="the .pot is compared with what Odoo's exporter reads")

REPO = Path(__file__).resolve().parents[2]
MODULES = ("pleo_connector", "pleo_connector_export", "pleo_connector_setup_sync")
#: Terms of each addon a fresh export must see (the comparison is not vacuous).
KNOWN_TERMS = {
    "pleo_connector": ("Save & Test", "Rotate Key", "Disconnect", "Not connected", "Pleo Manager"),
    "pleo_connector_export": ("Fetch exports now", "Export Items", "Pleo drafts"),
    "pleo_connector_setup_sync": ("Sync setup to Pleo", "Last setup sync"),
}


def pot_of(module):
    return REPO / module / "i18n" / f"{module}.pot"


def regenerate(module):
    return (
        f"regenerate it: odoo-bin i18n export -c <odoo.conf> -d <db with {module} installed> "
        f"{module}"
    )


@pytest.fixture(scope="module", params=MODULES)
def module(request):
    return request.param


@pytest.fixture(scope="module")
def fresh_terms(module):
    """The terms a fresh export of the module would hold: ``{msgid: {occurrence}}``."""
    from odoo.modules.registry import Registry  # noqa: PLC0415 (Odoo is optional here)
    from odoo.tools.translate import TranslationModuleReader  # noqa: PLC0415

    databases = odoo.tools.config["db_name"]
    if not databases:
        pytest.skip("no Odoo database: run through tests/run.sh (pytest-odoo --odoo-database)")
    terms = {}
    with Registry(databases[0]).cursor() as cr:
        for term_module, ttype, name, res_id, source, _value, _comments in TranslationModuleReader(
            cr, modules=[module]
        ):
            assert term_module == module
            terms.setdefault(source, set()).add(f"{ttype}:{name}:{res_id}")
        cr.rollback()  # read only
    return terms


def committed_terms(module):
    return {entry.msgid for entry in polib.pofile(str(pot_of(module))) if not entry.obsolete}


@pytest.mark.parametrize("name", MODULES)
def test_pot_exists_and_is_a_template(name):
    pot_path = pot_of(name)
    assert pot_path.is_file(), f"{pot_path} is missing; {regenerate(name)}"
    pot = polib.pofile(str(pot_path))
    assert not [e.msgid for e in pot if e.msgstr], "a .pot has no translations"


def test_every_term_of_a_fresh_export_is_in_the_pot(module, fresh_terms):
    # The reader sees the module's terms (the comparison below is not vacuous).
    for term in KNOWN_TERMS[module]:
        assert term in fresh_terms
    if module == "pleo_connector":
        assert any("Pleo rejected the API key" in term for term in fresh_terms)
    missing = sorted(set(fresh_terms) - committed_terms(module))
    assert not missing, (
        f"{len(missing)} term(s) missing from {module}.pot: {missing[:10]}; {regenerate(module)}"
    )


def test_the_pot_holds_no_stale_term(module, fresh_terms):
    stale = sorted(committed_terms(module) - set(fresh_terms))
    assert not stale, (
        f"{len(stale)} term(s) of {module}.pot no longer exist: {stale[:10]}; {regenerate(module)}"
    )
