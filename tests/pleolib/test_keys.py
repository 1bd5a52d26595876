"""Tests of pleolib.keys: checking pasted API keys and masking them for display."""

import pytest
from pleolib import KeyFormatError, PleoError, key_hint, normalize_key
from pleolib.keys import MAX_KEY_LENGTH


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("pk_live_abc123", "pk_live_abc123"),
        ("  pk_live_abc123\n", "pk_live_abc123"),
        ("\tpk_live_abc123\r\n", "pk_live_abc123"),
        ("\u00a0pk_live_abc123\u2003", "pk_live_abc123"),
        ("a" * MAX_KEY_LENGTH, "a" * MAX_KEY_LENGTH),
        (
            "K3y-with_symbols!$%&'()*+,./;<=>?@[]^`{|}~",
            "K3y-with_symbols!$%&'()*+,./;<=>?@[]^`{|}~",
        ),
    ],
)
def test_normalize_key_accepts_and_strips(raw, expected):
    assert normalize_key(raw) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (None, "No API key was entered"),
        (False, "No API key was entered"),
        ("", "No API key was entered"),
        (" \n\t ", "No API key was entered"),
        ("secretpart other", "contains spaces or line breaks; copy it again from Pleo."),
        ("secretpart\nother", "contains spaces or line breaks"),
        ("secretpart\tother", "contains spaces or line breaks"),
        ("secretpart\u2028other", "contains spaces or line breaks"),
        ("a" * (MAX_KEY_LENGTH + 1), "too long (513 characters, at most 512)"),
        ("https://external.pleo.io/v1/introspect", "looks like a web address"),
        ("http://secretpart", "looks like a web address"),
        ("www.pleo.io", "looks like a web address"),
        ("Bearer secretpart", "Authorization header value"),
        ("basic c2VjcmV0cGFydDo=", "Authorization header value"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl", "OAuth access token (JWT)"),
        ("\u201csecretpart\u201d", "(U+201C at position 1"),
        ("secretpart\u200b", "(U+200B at position 11"),
        ("secret\x00part", "(U+0000 at position 7"),
        ("secretpart\x7f", "(U+007F at position 11"),
        ("secretpärt", "(U+00E4 at position 8"),
        ("secretpart:", "contains ':'"),
        ("secret:part", "contains ':'"),
    ],
)
def test_normalize_key_rejects_with_actionable_message(raw, fragment):
    with pytest.raises(KeyFormatError) as caught:
        normalize_key(raw)
    error = caught.value
    assert fragment in error.message
    assert str(error) == error.message
    assert "secretpart" not in error.message
    assert "secretpart" not in repr(error)
    assert isinstance(error, PleoError)
    assert error.status is None
    assert error.retryable is False


def test_normalize_key_is_idempotent():
    key = normalize_key("  abc.DEF-123_xyz  ")
    assert normalize_key(key) == key


@pytest.mark.parametrize(
    ("key", "hint"),
    [
        ("pk_live_abcd1234", "••••1234"),
        ("12345678", "••••5678"),
        ("1234567", "••••"),
        ("ab", "••••"),
        ("", ""),
        (None, ""),
    ],
)
def test_key_hint_shows_at_most_the_last_four_characters(key, hint):
    assert key_hint(key) == hint
