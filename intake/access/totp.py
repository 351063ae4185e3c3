"""Time-based one-time passwords (RFC 6238, HMAC-SHA1, 30-second steps, 6 digits), as authenticator apps use.

The arithmetic is pyotp's; what Heard adds is reading what a person types: spaces are
ignored and digits from any script (Khmer, Lao, Gurmukhi, full-width...) count as the
digits they are, so no keyboard turns a right code into an error.
"""

from __future__ import annotations

import base64
import unicodedata
from urllib.parse import quote

import pyotp

STEP_SECONDS = 30
DIGITS = 6


def new_secret() -> str:
    """Return a new random secret, base32 without padding (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32(length=32)


def _normalized(secret: str) -> str:
    cleaned = secret.replace(" ", "").upper()
    return cleaned + "=" * (-len(cleaned) % 8)


def hotp(key: bytes, counter: int, digits: int = DIGITS) -> str:
    """Return the RFC 4226 one-time password for ``counter``."""
    return pyotp.HOTP(base64.b32encode(key).decode("ascii"), digits=digits).at(counter)


def code_at(secret: str, unix_time: float) -> str:
    """Return the code an authenticator shows for ``secret`` at ``unix_time``."""
    return pyotp.TOTP(_normalized(secret), digits=DIGITS, interval=STEP_SECONDS).at(int(unix_time))


def typed_digits(code: str) -> str | None:
    """Return what was typed as ASCII digits (any script's digits count; spaces are ignored), or None."""
    digits = []
    for char in code:
        if char.isspace():
            continue
        value = unicodedata.decimal(char, None)
        if value is None:
            return None
        digits.append(str(value))
    return "".join(digits)


def verify(secret: str, code: str, unix_time: float, *, window: int = 1) -> bool:
    """Tell whether ``code`` is valid at ``unix_time``, allowing ``window`` steps of clock drift either way."""
    typed = typed_digits(code)
    if typed is None or len(typed) != DIGITS:
        return False
    # NOTE: pyotp compares in constant time; every step in the window is checked.
    totp = pyotp.TOTP(_normalized(secret), digits=DIGITS, interval=STEP_SECONDS)
    return totp.verify(typed, for_time=int(unix_time), valid_window=window)


def provisioning_uri(secret: str, *, account: str, issuer: str = "Heard") -> str:
    """Return the ``otpauth://`` URI an authenticator app reads (as a QR code or typed in)."""
    label = quote(f"{issuer}:{account}")
    query = f"secret={secret}&issuer={quote(issuer)}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}"
    return f"otpauth://totp/{label}?{query}"
