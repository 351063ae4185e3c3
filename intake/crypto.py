"""Secrets, encryption of contact details at rest, and keyed digests.

Keys come from the environment (``HEARD_FERNET_KEYS``, ``HEARD_HMAC_KEY``,
``SECRET_KEY``) or from ``instance/secrets.json``, made on first run with
``intake secrets init``. The first Fernet key encrypts; every listed key
decrypts, so a key can be rotated in and the old one retired after
``intake keys rotate`` has re-encrypted every row.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from intake.errors import ConfigurationError
from intake.private import make_private_dir

SECRETS_FILE = "secrets.json"


@dataclass(frozen=True)
class Keyring:
    """The keys of one Heard installation."""

    fernet_keys: tuple[str, ...]
    hmac_key: bytes
    secret_key: str
    internal_token: str = ""

    def __post_init__(self) -> None:
        if not self.fernet_keys:
            raise ConfigurationError("no Fernet key configured (HEARD_FERNET_KEYS or instance/secrets.json)")
        if len(self.hmac_key) < 32:
            raise ConfigurationError("the HMAC key must be at least 32 bytes")

    @property
    def _fernet(self) -> MultiFernet:
        return MultiFernet([Fernet(key) for key in self.fernet_keys])

    def encrypt(self, text: str | None) -> str | None:
        """Encrypt ``text`` with the primary key; None stays None."""
        if text is None:
            return None
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str | None) -> str | None:
        """Decrypt a token made with any configured key."""
        if token is None:
            return None
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise ConfigurationError("a stored value cannot be decrypted with the configured keys") from exc

    def encrypt_bytes(self, data: bytes) -> bytes:
        """Encrypt a file's bytes with the primary key."""
        return self._fernet.encrypt(data)

    def decrypt_bytes(self, token: bytes) -> bytes:
        """Decrypt a file encrypted with any configured key."""
        try:
            return self._fernet.decrypt(token)
        except InvalidToken as exc:
            raise ConfigurationError("a stored file cannot be decrypted with the configured keys") from exc

    def rotate(self, token: str | None) -> str | None:
        """Re-encrypt a token under the primary key."""
        if token is None:
            return None
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken as exc:
            raise ConfigurationError("a stored value cannot be decrypted with the configured keys") from exc

    def rotate_bytes(self, token: bytes) -> bytes:
        """Re-encrypt a file's token under the primary key."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken as exc:
            raise ConfigurationError("a stored file cannot be decrypted with the configured keys") from exc

    def is_current(self, token: str | bytes) -> bool:
        """Tell whether ``token`` opens with the primary key alone (no older key is needed for it)."""
        raw = token.encode("ascii") if isinstance(token, str) else token
        try:
            Fernet(self.fernet_keys[0]).decrypt(raw)
        except (InvalidToken, UnicodeEncodeError):
            return False
        return True

    def opens(self, token: str | bytes) -> bool:
        """Tell whether any configured key opens ``token``."""
        raw = token.encode("ascii") if isinstance(token, str) else token
        try:
            self._fernet.decrypt(raw)
        except (InvalidToken, UnicodeEncodeError):
            return False
        return True

    def digest(self, purpose: str, value: str) -> str:
        """Return a keyed SHA-256 digest of ``value``; ``purpose`` keeps uses apart."""
        message = purpose.encode("utf-8") + b"\x00" + value.encode("utf-8")
        return hmac.new(self.hmac_key, message, hashlib.sha256).hexdigest()


def new_secrets() -> dict[str, object]:
    """Return a fresh set of secrets for a new installation."""
    return {
        "fernet_keys": [Fernet.generate_key().decode("ascii")],
        "hmac_key": base64.b64encode(secrets.token_bytes(32)).decode("ascii"),
        "secret_key": secrets.token_hex(32),
        "internal_token": secrets.token_urlsafe(32),
    }


def init_secrets(instance_dir: Path) -> bool:
    """Write ``secrets.json`` into ``instance_dir`` unless it exists; tell whether it was made.

    An existing file keeps its keys and only gains the kinds of secret it lacks.
    """
    make_private_dir(instance_dir)
    path = instance_dir / SECRETS_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        data = json.loads(path.read_text(encoding="utf-8"))
        missing = {k: v for k, v in new_secrets().items() if k not in data}
        if missing:
            _write_private(path, {**data, **missing})
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(new_secrets(), handle, indent=2)
    return True


def _write_private(path: Path, data: dict[str, object]) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
    os.replace(tmp, path)


def add_fernet_key(instance_dir: Path) -> None:
    """Put a new primary Fernet key in front of the existing ones in ``secrets.json``."""
    path = instance_dir / SECRETS_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    data["fernet_keys"] = [Fernet.generate_key().decode("ascii"), *data["fernet_keys"]]
    _write_private(path, data)


ROTATION_MARK = "rotation_started_at"


def begin_rotation(instance_dir: Path, *, now: str) -> bool:
    """Add a new primary key unless a rotation is already under way; tell whether a key was added.

    The mark in ``secrets.json`` makes an interrupted rotation resume with the key it began
    with instead of stacking another one in front of it.
    """
    path = instance_dir / SECRETS_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get(ROTATION_MARK):
        return False
    data["fernet_keys"] = [Fernet.generate_key().decode("ascii"), *data["fernet_keys"]]
    data[ROTATION_MARK] = now
    _write_private(path, data)
    return True


def rotation_started_at(instance_dir: Path) -> str | None:
    """Return when the rotation under way began, or None."""
    path = instance_dir / SECRETS_FILE
    if not path.exists():
        return None
    value = json.loads(path.read_text(encoding="utf-8")).get(ROTATION_MARK)
    return str(value) if value else None


def retire_old_keys(instance_dir: Path) -> int:
    """Keep only the primary Fernet key in ``secrets.json`` and end the rotation; return how many were dropped."""
    path = instance_dir / SECRETS_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    dropped = len(data["fernet_keys"]) - 1
    data["fernet_keys"] = data["fernet_keys"][:1]
    data.pop(ROTATION_MARK, None)
    _write_private(path, data)
    return dropped


def load_keyring(instance_dir: Path, environ: Mapping[str, str] | None = None) -> Keyring:
    """Load the keys from the environment, falling back to ``instance_dir/secrets.json``."""
    env = os.environ if environ is None else environ
    stored: dict[str, object] = {}
    path = instance_dir / SECRETS_FILE
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
    elif not env.get("HEARD_FERNET_KEYS"):
        raise ConfigurationError(
            f"no secrets found: set HEARD_FERNET_KEYS, HEARD_HMAC_KEY and SECRET_KEY, "
            f"or run `intake secrets init` to create {path}"
        )
    fernet_keys = (
        [k.strip() for k in env["HEARD_FERNET_KEYS"].split(",") if k.strip()]
        if env.get("HEARD_FERNET_KEYS")
        else list(stored.get("fernet_keys", []))  # type: ignore[call-overload]
    )
    hmac_b64 = env.get("HEARD_HMAC_KEY") or str(stored.get("hmac_key", ""))
    secret_key = env.get("SECRET_KEY") or str(stored.get("secret_key", ""))
    if not secret_key:
        raise ConfigurationError("SECRET_KEY is not set and instance/secrets.json has none")
    try:
        hmac_key = base64.b64decode(hmac_b64, validate=True)
    except ValueError as exc:
        raise ConfigurationError("HEARD_HMAC_KEY must be base64") from exc
    internal_token = env.get("HEARD_INTERNAL_TOKEN") or str(stored.get("internal_token", ""))
    return Keyring(
        fernet_keys=tuple(fernet_keys), hmac_key=hmac_key, secret_key=secret_key, internal_token=internal_token
    )
