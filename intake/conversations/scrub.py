"""Which conversations the dialogue may still remember, and the record of scrubbing them (issue 17).

Rasa's tracker store (``bot/tracker_store.py``) scrubs a conversation by itself when a draft is
filed or cancelled. A draft the resident walked away from is found here: a conversation whose
last message is older than ``HEARD_DRAFT_ABANDON_HOURS`` (default 72) and that was not scrubbed
since. The sweep (``webhooks/dialogue_sweep.py``, a worker chore) asks Rasa to scrub it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.db import utcnow
from intake.enums import Channel, Direction
from intake.errors import ConfigurationError
from intake.models import DialogueScrub, Message

DEFAULT_ABANDON_HOURS = 72.0
# The channels whose turns go through the dialogue (the no-JavaScript form keeps its own draft).
DIALOGUE_CHANNELS = (Channel.SMS, Channel.VOICE, Channel.TTY, Channel.WEB_CHAT)


def abandon_hours(env: Mapping[str, str]) -> float:
    """Return ``HEARD_DRAFT_ABANDON_HOURS``: how long a silent draft is kept (default 72, more than 0)."""
    raw = (env.get("HEARD_DRAFT_ABANDON_HOURS") or "").strip()
    try:
        hours = float(raw) if raw else DEFAULT_ABANDON_HOURS
    except ValueError as exc:
        raise ConfigurationError(f"HEARD_DRAFT_ABANDON_HOURS must be a number of hours, not {raw!r}") from exc
    if not hours > 0:
        raise ConfigurationError("HEARD_DRAFT_ABANDON_HOURS must be more than 0")
    return hours


@dataclass(frozen=True)
class IdleConversation:
    conversation_id: str
    channel: Channel
    last_message_at: dt.datetime


def idle_conversations(session: Session, *, idle_since: dt.datetime, limit: int = 50) -> list[IdleConversation]:
    """Return conversations silent since ``idle_since`` and not scrubbed after their last message."""
    last = (
        select(
            Message.conversation_id.label("conversation_id"),
            func.max(Message.created_at).label("last_at"),
            func.min(Message.channel).label("channel"),
        )
        .where(
            Message.conversation_id.is_not(None),
            Message.direction == Direction.INBOUND,
            Message.channel.in_(DIALOGUE_CHANNELS),
        )
        .group_by(Message.conversation_id)
        .subquery()
    )
    rows = session.execute(
        select(last.c.conversation_id, last.c.channel, last.c.last_at)
        .outerjoin(DialogueScrub, DialogueScrub.conversation_id == last.c.conversation_id)
        .where(
            last.c.last_at < idle_since,
            (DialogueScrub.conversation_id.is_(None)) | (DialogueScrub.scrubbed_at < last.c.last_at),
        )
        .order_by(last.c.last_at)
        .limit(limit)
    ).all()
    return [IdleConversation(str(r[0]), Channel(r[1]), r[2]) for r in rows]


def record_scrub(session: Session, *, conversation_id: str, outcome: str, at: dt.datetime | None = None) -> None:
    """Note that the conversation's history was scrubbed (or had none); the caller commits."""
    row = session.get(DialogueScrub, conversation_id)
    if row is None:
        row = DialogueScrub(conversation_id=conversation_id)
        session.add(row)
    row.scrubbed_at = at or utcnow()
    row.outcome = outcome
