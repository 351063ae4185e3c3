"""Media stream URLs bound to their call, so a captured handshake opens no stream for another call.

Twilio signs a stream's handshake over its ``wss://`` URL only, and a Stream URL may carry no
query string; so the URL Heard gives Twilio ends in a token that names the call it was made
for: ``/twilio/tty/<kind>/<expires>.<mac>``, the mac a keyed digest of the kind, the CallSid
and the expiry. The stream server checks the signature and the expiry at the handshake, and
that the ``start`` frame's CallSid is the one the token was made for.
"""

from __future__ import annotations

import hmac
import re
import time
from typing import Any

from sqlalchemy.exc import IntegrityError

from intake.conversations import messaging
from intake.errors import ConfigurationError
from intake.models import IdempotencyKey

KINDS = ("stream", "listen")
# NOTE: Twilio opens the stream as soon as it runs the TwiML; five minutes covers a retried webhook.
TOKEN_SECONDS = 300
TOKEN = re.compile(r"([0-9]{1,12})\.([0-9a-f]{32})")


def _mac(keyring: Any, kind: str, call_sid: str, expires: int) -> str:
    return str(keyring.digest("tty-stream", f"{kind}\n{call_sid}\n{expires}"))[:32]


def stream_path(keyring: Any, kind: str, call_sid: str, *, now: float | None = None) -> str:
    """Return the path of a ``kind`` stream ("stream" or "listen") for the call ``call_sid``."""
    if kind not in KINDS:
        raise ValueError(kind)
    expires = int(time.time() if now is None else now) + TOKEN_SECONDS
    return f"/twilio/tty/{kind}/{expires}.{_mac(keyring, kind, call_sid, expires)}"


def token_expiry(token: str) -> int | None:
    """Return when a well-formed token expires (epoch seconds), or None for anything else."""
    found = TOKEN.fullmatch(token)
    return int(found.group(1)) if found else None


def token_is_live(token: str, *, now: float | None = None) -> bool:
    """Tell whether ``token`` is well formed and not yet expired."""
    expires = token_expiry(token)
    return expires is not None and (time.time() if now is None else now) <= expires


def token_binds(keyring: Any, kind: str, token: str, call_sid: str) -> bool:
    """Tell whether ``token`` was made for a ``kind`` stream of the call ``call_sid``."""
    found = TOKEN.fullmatch(token)
    if found is None or not call_sid:
        return False
    expected = _mac(keyring, kind, call_sid, int(found.group(1)))
    return hmac.compare_digest(expected.encode("utf-8"), found.group(2).encode("ascii"))


def sealed_caller(keyring: Any, value: object) -> str | None:
    """Return the caller a stream's ``caller`` parameter seals; None for anything else (never a plain number)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        sealed = messaging.open_sealed_phone(keyring, value)
    except (ConfigurationError, ValueError, KeyError, TypeError, AttributeError):
        return None  # whatever a forged parameter holds, it names no caller
    return sealed.phone if sealed is not None else None


# The idempotency scope under which used stream tokens are kept, for every stream process to see.
SPENT_STREAMS_SCOPE = "tty-stream-used"


def claim_token(database: Any, keyring: Any, token: str) -> bool:
    """Record a stream token as used in the database every stream process shares; False if it was used already.

    NOTE: the token's keyed digest is kept, never the token; one row per answered TTY call.
    """
    key = keyring.digest(SPENT_STREAMS_SCOPE, token)
    with database.session() as session:
        session.add(IdempotencyKey(scope=SPENT_STREAMS_SCOPE, key=key, request_digest=key[:64]))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return False
    return True
