"""Tests of pleolib.redaction: API keys never reach log output."""

import base64
import io
import logging
import threading

import pytest
from pleolib import redaction
from pleolib.redaction import FILTER, LOGGER_NAMES, MASK

SECRET = "pk_test_Sup3rSecret-key"
BASIC = base64.b64encode(f"{SECRET}:".encode()).decode()


@pytest.fixture
def registered():
    with redaction.secret(SECRET):
        yield SECRET


@pytest.fixture
def output():
    """A logger ``pleolib.test_redaction`` whose handler (with the filter) writes to a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(FILTER)
    logger = logging.getLogger("pleolib.test_redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield logger, stream
    logger.removeHandler(handler)


def test_mask_registered_secret_and_its_basic_auth_form(registered):
    text = f"key={SECRET} header=Basic {BASIC} raw={BASIC}"
    masked = redaction.mask(text)
    assert SECRET not in masked
    assert BASIC not in masked
    assert masked == f"key={MASK} header=Basic {MASK} raw={MASK}"


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Basic dW5rbm93bjo=",
        "{'Authorization': 'Basic dW5rbm93bjo='}",
        '{"authorization": "basic dW5rbm93bjo="}',
        "AUTHORIZATION=Bearer eyJhbGciOi.eyJzdWIi.c2ln",
    ],
)
def test_mask_authorization_header_values_even_when_not_registered(text):
    masked = redaction.mask(text)
    assert "dW5rbm93bjo" not in masked
    assert "eyJ" not in masked
    assert MASK in masked


def test_mask_leaves_other_text_alone():
    assert redaction.mask("GET /v1/introspect -> 200 in 12 ms") == (
        "GET /v1/introspect -> 200 in 12 ms"
    )


def test_secret_is_masked_only_while_registered():
    with redaction.secret(SECRET):
        assert redaction.mask(SECRET) == MASK
    assert redaction.mask(SECRET) == SECRET


def test_registration_is_reference_counted():
    redaction.register_secret(SECRET)
    with redaction.secret(SECRET):
        pass
    assert redaction.mask(SECRET) == MASK
    redaction.unregister_secret(SECRET)
    assert redaction.mask(SECRET) == SECRET
    redaction.unregister_secret(SECRET)
    assert redaction.mask(SECRET) == SECRET


def test_empty_secret_is_ignored():
    with redaction.secret(""):
        assert redaction.mask("text") == "text"


def test_registry_is_thread_safe():
    def churn(number):
        for round_ in range(200):
            with redaction.secret(f"secret-{number}-{round_ % 3}"):
                assert f"secret-{number}-{round_ % 3}" not in redaction.mask(
                    f"x secret-{number}-{round_ % 3} y"
                )

    with redaction.secret(SECRET):
        threads = [threading.Thread(target=churn, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert redaction.mask(SECRET) == MASK
    assert redaction.mask("secret-1-1 " + SECRET) == "secret-1-1 " + SECRET


def test_filter_masks_formatted_arguments(registered, output):
    logger, stream = output
    logger.debug("calling with key %s and header %r", SECRET, {"Authorization": f"Basic {BASIC}"})
    text = stream.getvalue()
    assert SECRET not in text
    assert BASIC not in text
    assert f"calling with key {MASK} and header" in text


def test_filter_keeps_records_without_secrets_untouched(registered):
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "value %s", ("plain",), None)
    assert FILTER.filter(record) is True
    assert record.msg == "value %s"
    assert record.args == ("plain",)


def test_filter_masks_a_record_whose_arguments_do_not_fit(registered, output):
    logger, stream = output
    logger.warning("two %s %s", SECRET)  # noqa: PLE1206 - deliberately broken record
    text = stream.getvalue()
    assert SECRET not in text
    assert MASK in text


def test_filter_masks_exception_text(registered, output):
    logger, stream = output
    try:
        raise ValueError(f"bad key {SECRET} / {BASIC}")
    except ValueError:
        logger.exception("call failed")
    text = stream.getvalue()
    assert "call failed" in text
    assert "ValueError: bad key" in text
    assert SECRET not in text
    assert BASIC not in text


def test_exception_holding_a_secret_is_replaced_by_its_masked_text(registered):
    try:
        raise ValueError(SECRET)
    except ValueError as error:
        with_secret = logging.LogRecord("x", 40, __file__, 1, "m", None, (ValueError, error, None))
        without = logging.LogRecord("x", 40, __file__, 1, "m", None, (KeyError, KeyError(), None))
    FILTER.filter(with_secret)
    FILTER.filter(without)
    assert with_secret.exc_info is None
    assert with_secret.exc_text == f"ValueError: {MASK}"
    assert without.exc_info is not None
    assert without.exc_text == "KeyError"


def test_filter_masks_stack_info(registered):
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "msg", None, None)
    record.stack_info = f"Stack (most recent call last):\n  call({SECRET!r})"
    FILTER.filter(record)
    assert SECRET not in record.stack_info


def test_install_is_idempotent_and_covers_root_handlers(caplog):
    redaction.install()
    redaction.install()
    for name in LOGGER_NAMES:
        assert logging.getLogger(name).filters.count(FILTER) == 1
    assert caplog.handler.filters.count(FILTER) == 1


def test_records_of_child_loggers_are_masked_by_the_root_handlers(registered, caplog):
    redaction.install()
    # Explicit levels: under the Odoo suite, Odoo's --log-level has raised "odoo" and "urllib3".
    with (
        caplog.at_level(logging.DEBUG),
        caplog.at_level(logging.DEBUG, logger="odoo"),
        caplog.at_level(logging.DEBUG, logger="urllib3"),
    ):
        logging.getLogger("urllib3.connectionpool").debug("header %s", f"Basic {BASIC}")
        logging.getLogger("odoo.addons.pleo_connector.models.x").info("key %s", SECRET)
    assert SECRET not in caplog.text
    assert BASIC not in caplog.text
    assert caplog.text.count(MASK) == 2


#: The fields in which the addon's users type keys (the addon installs them; its own suite checks
#: that it does, with the logger of Odoo's RPC calls).
KEY_FIELDS = ("api_key", "new_api_key", "pleo_api_key")


@pytest.mark.parametrize("field", KEY_FIELDS)
def test_typed_key_fields_are_masked_in_logged_rpc_calls(field):
    redaction.install(key_fields=KEY_FIELDS)
    assert field in redaction.key_fields()
    typed = "a-key-nobody-registered-yet"
    logged = f"call pleo.connection(1,).web_save({{'{field}': '{typed}', 'name': 'x'}}, {{}})"
    masked = redaction.mask(logged)
    assert typed not in masked
    assert f"'{field}': '{MASK}'" in masked
    assert "'name': 'x'" in masked
    assert redaction.mask(f'{{"{field}": "{typed}"}}') == f'{{"{field}": "{MASK}"}}'
    assert redaction.mask(f"{{'{field}': False}}") == f"{{'{field}': False}}"


def test_installed_logger_names_are_filtered():
    redaction.install(logger_names=("odoo.service.model",))
    assert "odoo.service.model" in redaction.logger_names()
    assert logging.getLogger("odoo.service.model").filters.count(FILTER) == 1
    assert set(LOGGER_NAMES) <= set(redaction.logger_names())
