"""Time-based one-time passwords (RFC 6238, HMAC-SHA1, 30-second steps, 6 digits), as authenticator apps use."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote

STEP_SECONDS = 30
DIGITS = 6


def new_secret() -> str:
    """Return a new random secret, base32 without padding (160 bits, as RFC 4226 recommends)."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def _key(secret: str) -> bytes:
    cleaned = secret.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def hotp(key: bytes, counter: int, digits: int = DIGITS) -> str:
    """Return the RFC 4226 one-time password for ``counter``."""
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return f"{code:0{digits}d}"


def code_at(secret: str, unix_time: float) -> str:
    """Return the code an authenticator shows for ``secret`` at ``unix_time``."""
    return hotp(_key(secret), int(unix_time) // STEP_SECONDS)


def verify(secret: str, code: str, unix_time: float, *, window: int = 1) -> bool:
    """Tell whether ``code`` is valid at ``unix_time``, allowing ``window`` steps of clock drift either way."""
    typed = "".join(c for c in code if not c.isspace())
    if len(typed) != DIGITS or not typed.isdigit():
        return False
    key = _key(secret)
    counter = int(unix_time) // STEP_SECONDS
    # NOTE: compare every candidate, so the time taken does not say which step matched.
    matches = [hmac.compare_digest(hotp(key, counter + drift), typed) for drift in range(-window, window + 1)]
    return any(matches)


def provisioning_uri(secret: str, *, account: str, issuer: str = "Heard") -> str:
    """Return the ``otpauth://`` URI an authenticator app reads (as a QR code or typed in)."""
    label = quote(f"{issuer}:{account}")
    query = f"secret={secret}&issuer={quote(issuer)}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}"
    return f"otpauth://totp/{label}?{query}"
