"""Property tests (hypothesis) of pleolib's key checks, answer parsers and log masking."""

import contextlib
import email.utils
import logging

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pleolib import KeyFormatError, PleoError, normalize_key, redaction
from pleolib.client import MAX_RETRY_AFTER_SECONDS, decode_json, parse_retry_after
from pleolib.connection_api import (
    parse_company,
    parse_installation,
    parse_introspection,
    parse_urn,
)

PRINTABLE_ASCII = "".join(chr(code) for code in range(0x21, 0x7F))
FIELD_NAMES = (
    "data",
    "authMethod",
    "clientId",
    "scope",
    "applicationName",
    "subjectURN",
    "id",
    "name",
    "organizationId",
    "registrationNumber",
    "applicationId",
    "resource",
    "status",
    "metadata",
    "errorCode",
    "createdAt",
    "updatedAt",
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(["urn:pleo:company:x", "urn:pleo:organisation:y", "API_KEY", ""])
)
json_keys = st.sampled_from(FIELD_NAMES) | st.text(max_size=10)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(json_keys, children, max_size=len(FIELD_NAMES))
    ),
    max_leaves=30,
)
pleo_like = st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=len(FIELD_NAMES))
answers = json_values | pleo_like | st.builds(lambda data: {"data": data}, pleo_like)
key_like = st.text(alphabet=PRINTABLE_ASCII + " \t\n\u00a0\u200b\u201c:", max_size=80)

PARSERS = (parse_introspection, parse_installation, parse_company)


@given(st.one_of(st.text(), key_like, st.none(), st.integers()))
def test_normalize_key_returns_a_clean_idempotent_key_or_raises_key_format_error(raw):
    try:
        key = normalize_key(raw)
    except KeyFormatError as error:
        assert error.message
        return
    assert key
    assert all("!" <= char <= "~" for char in key)
    assert not any(char.isspace() for char in key)
    assert ":" not in key
    assert normalize_key(key) == key
    assert normalize_key(f" \n{key}\t ") == key


@given(answers)
def test_parsers_raise_only_pleo_errors(payload):
    for parser in PARSERS:
        with contextlib.suppress(PleoError):
            parser(payload)


@given(st.binary(max_size=200), st.sampled_from(["application/json", "text/html", None, "x"]))
def test_decode_json_raises_only_pleo_errors(body, content_type):
    with contextlib.suppress(PleoError):
        decode_json(body, content_type)


http_dates = st.datetimes().map(email.utils.format_datetime)


@given(st.text(max_size=60) | st.none() | http_dates | st.from_regex(r"\A\d{1,400}\Z"))
def test_parse_retry_after_never_raises(value):
    seconds = parse_retry_after(value)
    assert seconds is None or 0 <= seconds <= MAX_RETRY_AFTER_SECONDS


@given(st.text(max_size=60) | st.none() | st.integers())
def test_parse_urn_never_raises(urn):
    kind, subject_id = parse_urn(urn)
    assert (kind is None) == (subject_id is None)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    secret=st.text(alphabet=PRINTABLE_ASCII.replace("*", ""), min_size=1, max_size=30),
    before=st.text(max_size=20),
    after=st.text(max_size=20),
)
def test_registered_secret_never_survives_masking(secret, before, after):
    record = logging.LogRecord("pleolib.x", logging.INFO, __file__, 1, "%s%s%s", None, None)
    record.args = (before, secret, after)
    with redaction.secret(secret):
        assert secret not in redaction.mask(before + secret + after)
        redaction.FILTER.filter(record)
        assert secret not in record.getMessage()
