"""The one way in: every message a resident sends, on any channel, is stored here before anything else.

Texts, voice steps, TTY lines and web chat messages all come through ``store_inbound``,
which owns idempotency: a message the provider (or the browser) already delivered is
found by its provider id and returned, also when two deliveries race each other.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake.conversations import pauses
from intake.enums import Direction
from intake.models import Correspondent, Message


def find_by_provider_id(session: Session, provider_id: str) -> Message | None:
    """Return the message the provider knows by ``provider_id``, if stored."""
    return session.scalars(select(Message).where(Message.provider_id == provider_id)).first()


def store_inbound(session: Session, *, message: Message) -> tuple[Message, bool]:
    """Store what a resident sent; return the stored message and whether it is new.

    A message whose provider id is already stored is a redelivery: the stored one is
    returned and nothing is added. The caller owns the session and commits.
    """
    if message.direction is not Direction.INBOUND:
        raise ValueError("store_inbound stores what residents send, not what Heard says")
    if message.provider_id:
        existing = find_by_provider_id(session, message.provider_id)
        if existing is not None:
            return existing, False
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:  # the same delivery, arriving at the same moment, won
        found = find_by_provider_id(session, message.provider_id) if message.provider_id else None
        if found is None:
            raise
        return found, False
    _cancel_pause(session, message)
    return message, True


def _cancel_pause(session: Session, message: Message) -> None:
    """The resident wrote: a pending narrative pause of their conversation is cancelled."""
    conversation_id = message.conversation_id
    if conversation_id is None and message.correspondent_id is not None:
        conversation_id = session.scalar(
            select(Correspondent.conversation_id).where(Correspondent.id == message.correspondent_id)
        )
    if conversation_id:
        pauses.cancel_pauses(session, conversation_id=conversation_id)
