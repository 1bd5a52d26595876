"""Pleo's OpenAPI files vendored in ``tests/sandbox/pleo-openapi/`` may be redistributed: each says
so in its ``info.license`` (Apache 2.0, whose text ships beside them), and the folder's README
names every file with the version it holds, so that a refresh that forgets either fails here."""

import re
from pathlib import Path

import yaml

SPECS = Path(__file__).resolve().parents[1] / "sandbox" / "pleo-openapi"


def _infos():
    return {
        path.name: yaml.safe_load(path.read_text(encoding="utf-8"))["info"]
        for path in sorted(SPECS.glob("*.yml"))
    }


def test_every_vendored_spec_is_apache_2_with_its_licence_beside_it():
    infos = _infos()
    assert len(infos) >= 8  # the sandbox's conformance tests read eight of them
    for name, info in infos.items():
        assert info.get("license", {}).get("name") == "Apache 2.0", name
    assert "Apache License" in (SPECS / "LICENSE").read_text(encoding="utf-8")
    assert "Version 2.0" in (SPECS / "LICENSE").read_text(encoding="utf-8")


def test_the_readme_lists_each_file_with_its_version():
    table = dict(
        re.findall(
            r"^\| `([^`]+\.yml)` \| [^|]+ \| (\S+) \|$",
            (SPECS / "README.md").read_text(encoding="utf-8"),
            re.MULTILINE,
        )
    )
    assert table == {name: str(info["version"]) for name, info in _infos().items()}
