"""Tests of pleolib.vault: encrypting stored API keys with keys kept out of the database."""

import logging
import stat
import threading

import pytest
from cryptography.fernet import Fernet
from pleolib import EncryptionConfigError, KeyVault, UndecryptableKeyError, generate_key
from pleolib.vault import ENV_VAR, key_file_path

API_KEY = "pk_test_0123456789abcdef"
UNDECRYPTABLE = (
    "The stored Pleo API key cannot be decrypted with this server's encryption keys: re-enter it."
)


@pytest.fixture
def key_a():
    return generate_key()


@pytest.fixture
def key_b():
    return generate_key()


def test_round_trip(key_a):
    vault = KeyVault([key_a])
    token = vault.encrypt(API_KEY)
    assert isinstance(token, str)
    assert API_KEY not in token
    assert vault.decrypt(token) == API_KEY
    assert KeyVault([key_a]).decrypt(token) == API_KEY


def test_round_trip_of_non_ascii_text(key_a):
    vault = KeyVault([key_a])
    assert vault.decrypt(vault.encrypt("clé ✓")) == "clé ✓"


def test_generate_key_is_a_fernet_key():
    key = generate_key()
    assert isinstance(key, str)
    assert len(key) == 44
    Fernet(key)
    assert generate_key() != key


def test_rotation_from_a_to_b(key_a, key_b):
    token_a = KeyVault([key_a]).encrypt(API_KEY)
    both = KeyVault([key_b, key_a])
    assert both.decrypt(token_a) == API_KEY
    token_b = both.rotate(token_a)
    assert token_b != token_a
    assert KeyVault([key_b]).decrypt(token_b) == API_KEY
    with pytest.raises(UndecryptableKeyError):
        KeyVault([key_a]).decrypt(token_b)


def test_first_key_encrypts_all_keys_decrypt(key_a, key_b):
    token = KeyVault([key_b, key_a]).encrypt(API_KEY)
    assert KeyVault([key_b]).decrypt(token) == API_KEY
    with pytest.raises(UndecryptableKeyError):
        KeyVault([key_a]).decrypt(token)


def test_dropping_the_old_key_after_rotate_still_decrypts(key_a, key_b):
    token = KeyVault([key_a]).encrypt(API_KEY)
    rotated = KeyVault([key_b, key_a]).rotate(token)
    assert KeyVault([key_b]).decrypt(rotated) == API_KEY


@pytest.mark.parametrize("method", ["decrypt", "rotate"])
def test_token_of_another_key_is_undecryptable(key_a, key_b, method):
    token = KeyVault([key_a]).encrypt(API_KEY)
    with pytest.raises(UndecryptableKeyError) as caught:
        getattr(KeyVault([key_b]), method)(token)
    assert caught.value.message == UNDECRYPTABLE
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


@pytest.mark.parametrize("token", ["", "not-a-token", "gAAAAA", "clé", None, 42])
def test_garbage_tokens_are_undecryptable(key_a, token):
    with pytest.raises(UndecryptableKeyError):
        KeyVault([key_a]).decrypt(token)


def test_repr_shows_no_key(key_a):
    vault = KeyVault([key_a], origin="the test")
    assert key_a not in repr(vault)
    assert "1 key(s) from the test" in repr(vault)


# --------------------------------------------------------------------------- sources


def test_option_takes_precedence(tmp_path, key_a, key_b):
    vault, source = KeyVault.from_sources(f" {key_a} , {key_b} ,", {ENV_VAR: key_b}, tmp_path)
    assert source == "config"
    assert vault.key_count == 2
    assert KeyVault([key_a]).decrypt(vault.encrypt(API_KEY)) == API_KEY
    assert not key_file_path(tmp_path).exists()


@pytest.mark.parametrize("option", [None, False, "", " , "])
def test_environment_variable_when_option_unset(tmp_path, key_b, option):
    vault, source = KeyVault.from_sources(option, {ENV_VAR: key_b}, tmp_path)
    assert source == "environment"
    assert KeyVault([key_b]).decrypt(vault.encrypt(API_KEY)) == API_KEY
    assert not key_file_path(tmp_path).exists()


def test_environment_defaults_to_os_environ(tmp_path, key_b, monkeypatch):
    monkeypatch.setenv(ENV_VAR, key_b)
    assert KeyVault.from_sources(None, data_dir=tmp_path)[1] == "environment"


def test_key_file_is_generated_once_with_mode_0600(tmp_path):
    vault, source = KeyVault.from_sources(None, {}, tmp_path)
    assert source == "file"
    path = tmp_path / "pleo_connector" / "encryption.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    content = path.read_text()
    Fernet(content.strip())
    token = vault.encrypt(API_KEY)

    again, source = KeyVault.from_sources("", {ENV_VAR: ""}, str(tmp_path))
    assert source == "file"
    assert path.read_text() == content
    assert again.decrypt(token) == API_KEY
    assert sorted(p.name for p in path.parent.iterdir()) == ["encryption.key"]


def test_concurrent_first_use_agrees_on_one_key(tmp_path):
    barrier = threading.Barrier(8)
    vaults = []

    def open_vault():
        barrier.wait()
        vaults.append(KeyVault.from_sources(None, {}, tmp_path)[0])

    threads = [threading.Thread(target=open_vault) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tokens = [vault.encrypt(API_KEY) for vault in vaults]
    assert all(vault.decrypt(token) == API_KEY for vault in vaults for token in tokens)
    assert [p.name for p in (tmp_path / "pleo_connector").iterdir()] == ["encryption.key"]


def test_key_file_readable_by_others_is_warned_about(tmp_path, caplog):
    KeyVault.from_sources(None, {}, tmp_path)
    key_file_path(tmp_path).chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="pleolib.vault"):
        KeyVault.from_sources(None, {}, tmp_path)
    assert "is readable by other users" in caplog.text
    assert key_file_path(tmp_path).read_text().strip() not in caplog.text


def test_no_source_at_all():
    with pytest.raises(
        EncryptionConfigError, match=r"set the odoo\.conf option pleo_encryption_keys"
    ):
        KeyVault.from_sources(None, {}, None)


@pytest.mark.parametrize(
    ("option", "environ", "named", "number"),
    [
        ("not-a-fernet-key", {}, "the odoo.conf option pleo_encryption_keys", 1),
        ("{good},c2hvcnQ=", {}, "the odoo.conf option pleo_encryption_keys", 2),
        (None, {ENV_VAR: "not-a-fernet-key"}, "the environment variable PLEO_ENCRYPTION_KEYS", 1),
    ],
)
def test_malformed_configured_key_names_its_origin(tmp_path, key_a, option, environ, named, number):
    option = option and option.format(good=key_a)
    with pytest.raises(EncryptionConfigError) as caught:
        KeyVault.from_sources(option, environ, tmp_path)
    message = caught.value.message
    assert f"Key #{number} in {named} is not a valid encryption key" in message
    assert "not-a-fernet-key" not in message
    assert "c2hvcnQ=" not in message
    assert key_a not in message
    assert caught.value.__cause__ is None


def test_malformed_key_file_names_the_file(tmp_path):
    path = key_file_path(tmp_path)
    path.parent.mkdir()
    path.write_text("garbage\n")
    path.chmod(0o600)
    with pytest.raises(EncryptionConfigError) as caught:
        KeyVault.from_sources(None, {}, tmp_path)
    assert f"the key file {path}" in caught.value.message
    assert "garbage" not in caught.value.message


def test_empty_key_list():
    with pytest.raises(EncryptionConfigError, match="contains no encryption key"):
        KeyVault([])
