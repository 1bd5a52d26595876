"""An item's failure reason is worded in one place per language: pleolib's English templates
(``pleolib.reasons``) and the addon's translatable table hold the same sentences, every reason
pleolib raises has a template, and a template never fails to render."""

import ast
import re
from pathlib import Path

import pytest
from pleolib import reasons
from pleolib.items import ItemError, Reader
from pleolib.receipts import ReceiptError, address_problem, address_problem_key

ADDON = Path(__file__).resolve().parents[2] / "pleo_connector"
PLEOLIB = ADDON / "pleolib"
#: where the addon's code -> message table lives (``exceptions.py`` once at the addon root)
TABLES = ("exceptions.py", "models/messages.py")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _addon_tables():
    """``{table name: {key: msgid}}`` of the addon's ``ITEM_*`` tables, read without Odoo."""
    path = next(ADDON / name for name in TABLES if (ADDON / name).exists())
    tables = {}
    for node in ast.parse(path.read_text()).body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)):
            continue
        name = node.targets[0].id
        if name.startswith("ITEM_"):
            tables[name] = {
                key.value: ast.literal_eval(value.args[0])
                for key, value in zip(node.value.keys, node.value.values, strict=True)
            }
    return tables


def test_the_addon_words_every_reason_with_pleolib_s_very_sentence():
    tables = _addon_tables()
    assert tables["ITEM_WHERE"] == reasons.WHERE
    assert tables["ITEM_MESSAGES"] == reasons.REASONS
    assert tables["ITEM_PHRASES"] == reasons.PHRASES


def test_every_reason_is_raised_somewhere_and_every_raised_reason_has_a_template():
    source = "\n".join(
        (PLEOLIB / name).read_text() for name in ("items.py", "posting.py", "receipts.py")
    )
    quoted = set(re.findall(r'"([a-z][a-z_]+)"', source))
    assert set(reasons.REASONS) <= quoted, set(reasons.REASONS) - quoted
    raised = set(re.findall(r'(?:fail|reason=)\(?\s*"([a-z][a-z_]+)"', source))
    raised |= set(re.findall(r'_fail\(\s*\w+,\s*"([a-z][a-z_]+)"', source))
    assert raised and raised <= set(reasons.REASONS), raised - set(reasons.REASONS)


@pytest.mark.parametrize("reason", sorted(reasons.REASONS))
def test_a_template_renders_without_its_data(reason):
    text = reasons.render(reason, {})
    assert "%(" not in text and text.strip()


@pytest.mark.parametrize("reason", sorted(reasons.REASONS))
def test_a_template_renders_every_placeholder_it_names(reason):
    names = set(PLACEHOLDER.findall(reasons.REASONS[reason])) - {"where"}
    data = {name: f"<{name}>" for name in names}
    text = reasons.render(reason, data)
    for name in names - set(reasons.PHRASE_FIELDS):
        assert f"<{name}>" in text


def test_where_names_the_line_or_the_entry():
    on_line = ItemError("validation_failure", data={"entry": "E", "line": 2}, reason="not_balanced")
    assert reasons.values(on_line.data, reasons.WHERE, {})["where"] == "Pleo line 2 of entry E"
    assert reasons.values({"entry": "E"}, reasons.WHERE, {})["where"] == "Pleo entry E"


def test_a_field_is_worded_with_its_index():
    with pytest.raises(ItemError) as caught:
        Reader("E").text(3, ("tag_group_code", 2), 1)
    error = caught.value
    assert error.reason == "field_not_text"
    assert error.data == {"entry": "E", "line": 1, "field": "tag_group_code", "index": 2}
    assert error.message == "Pleo line 1 of entry E: tag 2 group code is not a text."


def test_an_error_worded_by_the_odoo_layer_keeps_its_message():
    error = ItemError("invalid_configuration", "Already worded.", {"pleo_code": "X"})
    assert (error.reason, error.message, str(error)) == (None, "Already worded.", "Already worded.")


def test_a_refused_address_is_a_phrase_key_and_its_words():
    assert address_problem_key("127.0.0.1") == "address_loopback"
    assert address_problem("127.0.0.1") == "a loopback address"
    assert address_problem_key("8.8.8.8") is None
    error = ReceiptError(
        "receipt_download_failure",
        data={
            "url": "https://h/x",
            "host": "h",
            "address": "10.0.0.1",
            "problem": "address_private",
        },
        reason="receipt_host_resolves_refused",
    )
    assert "resolves to 10.0.0.1, a private network address." in error.message
    assert error.data["problem"] == "address_private"
