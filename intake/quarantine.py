"""The quarantine: texts whose Twilio signature failed, kept sealed and never processed until re-verified.

A wrong ``PUBLIC_BASE_URL`` behind a new proxy, or a rotated auth token, makes every
resident's text fail its signature; refusing them (403) with only a log line would lose them
all. So a text that carries a signature that does not hold (or arrives while no auth token is
configured) is kept here, encrypted with the keyring, and never processed. ``intake
quarantine release`` asks the worker to verify each kept request again against the
configuration it runs with now; only one whose signature then holds is processed, so nothing
forged gets through.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import asdict, dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.crypto import Keyring
from intake.db import utcnow
from intake.models import QuarantinedRequest

log = logging.getLogger(__name__)

# NOTE: forged requests must not fill the disk: past this many waiting, new ones are refused unkept.
MAX_KEPT = 1000
MAX_FIELDS_BYTES = 64 * 1024
RELEASED, STILL_FAILING = "released", None


@dataclass(frozen=True)
class KeptRequest:
    """What re-verifying and processing a webhook needs: its path, fields and signature headers."""

    path: str  # the path and raw query as received
    fields: list[tuple[str, str]]
    signature: str
    signature_settings: str | None = None

    def sealed(self, keyring: Keyring) -> str:
        token = keyring.encrypt(json.dumps(asdict(self)))
        assert token is not None
        return token

    @classmethod
    def opened(cls, keyring: Keyring, token: str) -> KeptRequest:
        data = json.loads(keyring.decrypt(token) or "{}")
        return cls(
            path=str(data["path"]),
            fields=[(str(k), str(v)) for k, v in data["fields"]],
            signature=str(data["signature"]),
            signature_settings=data.get("signature_settings"),
        )


@dataclass(frozen=True)
class QuarantineState:
    """How many requests wait, and since when."""

    waiting: int
    oldest: dt.datetime | None


def keep(session: Session, *, keyring: Keyring, request: KeptRequest, reason: str) -> bool:
    """Keep ``request`` sealed; return False when the quarantine is full or the request too big."""
    if sum(len(k) + len(v) for k, v in request.fields) > MAX_FIELDS_BYTES:
        log.error("a webhook whose signature failed was too big to keep in the quarantine")
        return False
    if state(session).waiting >= MAX_KEPT:
        log.error("the quarantine is full (%d waiting): a webhook whose signature failed was not kept", MAX_KEPT)
        return False
    path = request.path.split("?", 1)[0][:64]
    session.add(QuarantinedRequest(path=path, sealed=request.sealed(keyring), reason=reason[:32], attempts=0))
    log.error("a Twilio webhook's signature failed (%s); kept in the quarantine: `intake quarantine status`", reason)
    return True


def state(session: Session) -> QuarantineState:
    """Return how many requests wait and the oldest one's arrival."""
    waiting, oldest = session.execute(
        select(func.count(QuarantinedRequest.id), func.min(QuarantinedRequest.received_at)).where(
            QuarantinedRequest.outcome.is_(None)
        )
    ).one()
    return QuarantineState(waiting=int(waiting or 0), oldest=oldest)


def waiting(session: Session, *, limit: int = 200) -> list[QuarantinedRequest]:
    """Return the requests still waiting, oldest first."""
    query = select(QuarantinedRequest).where(QuarantinedRequest.outcome.is_(None))
    return list(session.scalars(query.order_by(QuarantinedRequest.id).limit(limit)))


def mark(row: QuarantinedRequest, *, released: bool) -> None:
    """Record one release attempt: processed, or still failing (it stays kept)."""
    row.attempts += 1
    if released:
        row.outcome = RELEASED
        row.released_at = utcnow()
