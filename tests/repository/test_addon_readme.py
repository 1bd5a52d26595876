"""Each addon's ``README.rst`` is the one ``.ci/gen_addon_readme.py`` writes from its ``readme/``.

A check of the repository, as ``test_translation_template.py`` is for the ``.pot``: the
generator converts the Markdown fragments with pandoc (``pypandoc-binary``, pinned in
``tests/requirements.txt``) and checks the result with docutils; a fragment or a manifest changed
without running it leaves a README.rst that no longer says what the fragments say.
"""

import importlib.util
import shutil
from pathlib import Path

import pytest

pytest.importorskip("pypandoc", reason="pypandoc-binary is one of tests/requirements.txt")
pytest.importorskip("docutils", reason="docutils is one of tests/requirements.txt")

REPO = Path(__file__).resolve().parents[2]
REGENERATE = "run: python3 .ci/gen_addon_readme.py"
# The fragments every addon has, as OCA's addons have them.
REQUIRED = ("DESCRIPTION.md", "CONTRIBUTORS.md", "HISTORY.md")


def load_generator():
    spec = importlib.util.spec_from_file_location(
        "gen_addon_readme", REPO / ".ci" / "gen_addon_readme.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = load_generator()
ADDONS = [path.parent for path in sorted(REPO.glob("*/__manifest__.py"))]


def test_every_addon_is_seen():
    names = {addon.name for addon in gen.addon_dirs()}
    assert {"pleo_connector", "pleo_connector_queue"} <= names
    assert names == {addon.name for addon in ADDONS}, "an addon without readme/DESCRIPTION.md"


@pytest.mark.parametrize("addon", ADDONS, ids=lambda path: path.name)
def test_addon_has_its_fragments(addon):
    missing = [name for name in REQUIRED if not (addon / "readme" / name).is_file()]
    assert not missing, f"{addon.name}/readme lacks {missing}"


@pytest.mark.parametrize("addon", ADDONS, ids=lambda path: path.name)
def test_readme_rst_is_generated_from_the_fragments(addon):
    readme = addon / "README.rst"
    assert readme.is_file(), f"{readme.relative_to(REPO)} is missing; {REGENERATE}"
    assert readme.read_text(encoding="utf-8") == gen.generate(addon), (
        f"{readme.relative_to(REPO)} is not what readme/ and the manifest give; {REGENERATE}"
    )


def test_the_readme_says_what_the_fragments_say():
    text = (REPO / "pleo_connector" / "README.rst").read_text(encoding="utf-8")
    for section in ("Configuration\n=====", "Usage\n=====", "Changelog\n=====", "Credits\n====="):
        assert section in text
    assert "**Save & Test**" in text  # from DESCRIPTION.md, Markdown turned into reStructuredText
    assert "19.0.1.1.0 (2026-12-03)\n-----" in text  # HISTORY.md's versions are its subsections


def test_a_changed_fragment_changes_the_readme(tmp_path):
    addon = tmp_path / "pleo_connector_queue"
    shutil.copytree(
        REPO / "pleo_connector_queue", addon, ignore=shutil.ignore_patterns("__pycache__")
    )
    before = gen.generate(addon)
    usage = addon / "readme" / "USAGE.md"
    usage.write_text(usage.read_text(encoding="utf-8") + "\nA new *paragraph*.\n", encoding="utf-8")
    after = gen.generate(addon)
    assert after != before
    assert "A new *paragraph*." in after
    assert gen.source_digest(addon) in after


def test_broken_restructuredtext_is_refused():
    with pytest.raises(gen.ReadmeError, match="not valid reStructuredText"):
        gen.check_rst("Title\n=====\n\n`unclosed link <https://example.com>\n", Path("README.rst"))


def test_manifest_keys_reach_the_readme(tmp_path):
    """``website``, ``maintainers`` and ``development_status`` of the manifest are shown, and the
    result still renders (the generator checks it with docutils)."""
    addon = tmp_path / "pleo_connector_queue"
    shutil.copytree(
        REPO / "pleo_connector_queue", addon, ignore=shutil.ignore_patterns("__pycache__")
    )
    manifest = addon / "__manifest__.py"
    text = manifest.read_text(encoding="utf-8").replace('"Beta"', '"Alpha"')
    text = text.replace(
        '"license": "LGPL-3",',
        '"license": "LGPL-3",\n    "website": "https://example.org/pleo",\n'
        '    "maintainers": ["alice", "bob"],',
    )
    manifest.write_text(text, encoding="utf-8")
    readme = gen.generate(addon)
    assert ":alt: Alpha" in readme and ".. IMPORTANT::" in readme
    assert "`the project <https://example.org/pleo>`_" in readme
    assert "|maintainer-alice| |maintainer-bob|" in readme
