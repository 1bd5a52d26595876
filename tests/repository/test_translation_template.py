"""The committed translation template ``pleo_connector/i18n/pleo_connector.pot`` is current.

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

MODULE = "pleo_connector"
POT = Path(__file__).resolve().parents[2] / MODULE / "i18n" / f"{MODULE}.pot"
REGENERATE = (
    f"regenerate it: odoo-bin i18n export -c <odoo.conf> -d <db with {MODULE} installed> {MODULE}"
)


@pytest.fixture(scope="module")
def fresh_terms():
    """The terms a fresh export of the module would hold: ``{msgid: {occurrence}}``."""
    from odoo.modules.registry import Registry  # noqa: PLC0415 (Odoo is optional here)
    from odoo.tools.translate import TranslationModuleReader  # noqa: PLC0415

    databases = odoo.tools.config["db_name"]
    if not databases:
        pytest.skip("no Odoo database: run through tests/run.sh (pytest-odoo --odoo-database)")
    terms = {}
    with Registry(databases[0]).cursor() as cr:
        for module, ttype, name, res_id, source, _value, _comments in TranslationModuleReader(
            cr, modules=[MODULE]
        ):
            assert module == MODULE
            terms.setdefault(source, set()).add(f"{ttype}:{name}:{res_id}")
        cr.rollback()  # read only
    return terms


def committed_terms():
    return {entry.msgid for entry in polib.pofile(str(POT)) if not entry.obsolete}


def test_pot_exists_and_is_a_template():
    assert POT.is_file(), f"{POT} is missing; {REGENERATE}"
    pot = polib.pofile(str(POT))
    assert not [e.msgid for e in pot if e.msgstr], "a .pot has no translations"


def test_every_term_of_a_fresh_export_is_in_the_pot(fresh_terms):
    # The reader sees the module's terms (the comparison below is not vacuous).
    for term in ("Save & Test", "Rotate Key", "Disconnect", "Not connected", "Pleo Manager"):
        assert term in fresh_terms
    assert any("Pleo rejected the API key" in term for term in fresh_terms)
    missing = sorted(set(fresh_terms) - committed_terms())
    assert not missing, (
        f"{len(missing)} term(s) missing from {POT.name}: {missing[:10]}; {REGENERATE}"
    )


def test_the_pot_holds_no_stale_term(fresh_terms):
    stale = sorted(committed_terms() - set(fresh_terms))
    assert not stale, (
        f"{len(stale)} term(s) of {POT.name} no longer exist: {stale[:10]}; {REGENERATE}"
    )
