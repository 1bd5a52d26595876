"""Pleo's item types and sub-types are listed in three places, each on purpose, and all three
are Pleo's: the addon's posting rules (``pleolib.posting``), the export item's selection (Odoo
labels, read by the translation exporter) and the sandbox, which plays Pleo and so keeps its own
list instead of sharing the addon's reading of the spec. This proves each equals the spec's enum.
"""

import ast
from pathlib import Path

import pytest
import yaml
from pleo_sandbox import generator
from pleolib import posting

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "tests" / "sandbox" / "pleo-openapi" / "pleo-export-openapi.yml"  # vendored
ITEM_MODEL = REPO / "pleo_connector_export" / "models" / "pleo_export_item.py"


@pytest.fixture(scope="module")
def schemas():
    return yaml.safe_load(SPEC.read_text(encoding="utf-8"))["components"]["schemas"]


def model_selection(name="ITEM_TYPES"):
    """The keys of the selection ``name`` in the export's models/pleo_export_item.py, read
    without importing Odoo."""
    for node in ast.parse(ITEM_MODEL.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets] == [name]:
            return [key for key, _label in ast.literal_eval(node.value)]
    raise AssertionError(f"no {name} in {ITEM_MODEL}")


def test_item_types_are_the_specs(schemas):
    spec = schemas["ExportItemTypeV3"]["enum"]
    assert sorted(posting.ITEM_TYPES) == sorted(spec)
    assert model_selection() == spec  # the selection keeps the spec's order
    assert list(generator.ITEM_TYPES) == spec


def test_failure_types_are_the_specs(schemas):
    """An item's failure type is reported to Pleo as it is stored: only Pleo's values, all of
    them labelled for the bookkeeper, in the spec's order."""
    spec = schemas["ExportJobItemFailureReasonType"]["enum"]
    assert model_selection("FAILURE_TYPES") == spec


def test_sub_types_are_the_specs(schemas):
    spec = schemas["ExportItemSubTypeV3"]["enum"]
    assert sorted(posting.SUB_TYPES) == sorted(spec)
    assert sorted(generator.SUB_TYPES) == sorted(spec)


def test_reversal_types_agree():
    """The sandbox's reversal types are those whose values Pleo may send negative (money back);
    the posting's those whose contra is debited. They differ on wallet transfers only: the
    contra is the wallet, debited on a top-up (never negative) and credited on an unload."""
    assert set(generator.REVERSAL_TYPES) ^ posting.REVERSAL_TYPES == posting.WALLET_TYPES
    assert "wallet_topup" in posting.REVERSAL_TYPES
