import base64
import json
import stat

import pytest
from cryptography.fernet import Fernet

from intake import crypto
from intake.errors import ConfigurationError


def test_init_secrets_is_private_and_made_once(tmp_path):
    assert crypto.init_secrets(tmp_path) is True
    path = tmp_path / crypto.SECRETS_FILE
    first = path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert crypto.init_secrets(tmp_path) is False
    assert path.read_text() == first


def test_keyring_round_trips_any_text(tmp_path):
    crypto.init_secrets(tmp_path)
    keyring = crypto.load_keyring(tmp_path, environ={})
    for text in ["María López", "Nguyễn Thị Hoa", "សុខ ចាន់", "ਸਿੰਘ 🙏", ""]:
        token = keyring.encrypt(text)
        assert token is not None and (not text or text not in token)
        assert keyring.decrypt(token) == text
    assert keyring.encrypt(None) is None


def test_rotation_keeps_old_tokens_readable_then_rewrites_them(tmp_path):
    crypto.init_secrets(tmp_path)
    old = crypto.load_keyring(tmp_path, environ={})
    token = old.encrypt("+12095550142")
    crypto.add_fernet_key(tmp_path)
    rotated = crypto.load_keyring(tmp_path, environ={})
    assert len(rotated.fernet_keys) == 2 and rotated.fernet_keys[1] == old.fernet_keys[0]
    assert rotated.decrypt(token) == "+12095550142"
    new_token = rotated.rotate(token)
    only_new = crypto.Keyring(fernet_keys=rotated.fernet_keys[:1], hmac_key=rotated.hmac_key, secret_key="x")
    assert only_new.decrypt(new_token) == "+12095550142"
    with pytest.raises(ConfigurationError):
        only_new.decrypt(token)


def test_environment_overrides_the_file(tmp_path):
    key = Fernet.generate_key().decode()
    env = {
        "HEARD_FERNET_KEYS": key,
        "HEARD_HMAC_KEY": base64.b64encode(b"k" * 32).decode(),
        "SECRET_KEY": "s" * 40,
    }
    keyring = crypto.load_keyring(tmp_path, environ=env)
    assert keyring.fernet_keys == (key,)
    assert keyring.hmac_key == b"k" * 32


def test_missing_secrets_say_how_to_fix_it(tmp_path):
    with pytest.raises(ConfigurationError, match="intake secrets init"):
        crypto.load_keyring(tmp_path, environ={})


def test_digests_are_keyed_and_separated_by_purpose(tmp_path):
    crypto.init_secrets(tmp_path)
    keyring = crypto.load_keyring(tmp_path, environ={})
    other = json.loads((tmp_path / crypto.SECRETS_FILE).read_text())
    other_keyring = crypto.Keyring(fernet_keys=tuple(other["fernet_keys"]), hmac_key=b"z" * 32, secret_key="x")
    assert keyring.digest("phone", "+12095550142") != keyring.digest("pin", "+12095550142")
    assert keyring.digest("phone", "+12095550142") != other_keyring.digest("phone", "+12095550142")
    assert keyring.digest("phone", "+12095550142") == keyring.digest("phone", "+12095550142")
