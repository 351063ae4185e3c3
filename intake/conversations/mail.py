"""Emails to residents who chose to be reached by email: queued here, sent by the worker (``webhooks/mail``).

Heard receives no email: a resident answers by phone, by text or on the status page.
Never the narrative and never a PIN: an email holds only what staff wrote (any PIN in it masked)
and the catalog's own words around it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from intake import jobs
from intake.conversations.messaging import redact_pins
from intake.enums import Channel, Direction, Language, MessageState
from intake.models import Case, Message

SEND_KIND = "mail.send"
# How long to wait after each failed try: a relay that is down for hours still gets the email.
RETRY_DELAYS_SECONDS = (60.0, 5 * 60.0, 15 * 60.0, 60 * 60.0, 4 * 60 * 60.0)
# Tries before an email is marked failed on the case.
ATTEMPTS = len(RETRY_DELAYS_SECONDS) + 1


def retry_delay(attempt: int) -> float:
    """Return how long to wait after the ``attempt``-th failed try."""
    return RETRY_DELAYS_SECONDS[min(attempt, len(RETRY_DELAYS_SECONDS)) - 1]


def queue_email(
    session: Session, *, case: Case, text: str, language: str | None, meta: dict[str, Any] | None = None
) -> Message:
    """Record an email to the case's resident and queue it for the worker."""
    message = Message(
        channel=Channel.EMAIL,
        direction=Direction.OUTBOUND,
        case_id=case.id,
        language=Language(language) if language else None,
        body=redact_pins(text),
        state=MessageState.QUEUED,
        meta=meta or None,
    )
    session.add(message)
    session.flush()
    jobs.enqueue(
        session,
        kind=SEND_KIND,
        payload={"message_id": message.id},
        dedupe_key=f"{SEND_KIND}:{message.id}",
        max_attempts=ATTEMPTS + 2,
    )
    return message


def record_attempt(message: Message) -> int:
    """Count one more try at sending an email; return how many there have been."""
    meta = dict(message.meta or {})
    meta["attempts"] = int(meta.get("attempts") or 0) + 1
    message.meta = meta
    return int(meta["attempts"])


def record_failure(message: Message, *, code: str, reason: str, final: bool) -> None:
    """Note why an email did not go (visible on the case); a final failure is not tried again."""
    message.error_code = code[:16]
    message.meta = {**(message.meta or {}), "error": reason}
    if final:
        message.state = MessageState.FAILED


def record_sent(message: Message, *, message_id_header: str, sent_at: Any) -> None:
    """Note that the relay accepted an email."""
    message.state = MessageState.SENT
    message.provider_id = message_id_header[:128]
    message.sent_at = sent_at
    message.delivery_status = "accepted"
    message.error_code = None
    meta = dict(message.meta or {})
    meta.pop("error", None)
    message.meta = meta
