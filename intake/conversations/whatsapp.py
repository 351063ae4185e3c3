"""WhatsApp's rule for business messages: free-form text only within 24 hours of the resident's last message.

Outside that window only a template approved by WhatsApp may go out. Heard then holds
its text, sends the template ("You have a new message about your report; reply to read
it") once, and sends every held text as soon as the resident writes again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake import jobs
from intake.db import utcnow
from intake.enums import Channel, Direction, MessageState
from intake.models import Message

PREFIX = "whatsapp:"
# Twilio's error when a free-form WhatsApp message went outside the 24-hour window after all.
OUTSIDE_WINDOW_ERROR = "63016"
# WhatsApp's customer-service window, counted from the resident's last message.
WINDOW = dt.timedelta(hours=24)


def channel_of(address: str) -> Channel:
    """Return the channel a Twilio Messaging address belongs to (``whatsapp:+1…`` or a plain number)."""
    return Channel.WHATSAPP if address.lower().startswith(PREFIX) else Channel.SMS


def plain_number(address: str) -> str:
    """Return the phone number inside a WhatsApp address (a plain number is returned as it is)."""
    return address[len(PREFIX) :] if address.lower().startswith(PREFIX) else address


def last_inbound_at(session: Session, *, correspondent_id: int) -> dt.datetime | None:
    """Return when the resident last wrote to Heard."""
    found: dt.datetime | None = session.scalar(
        select(func.max(Message.created_at)).where(
            Message.correspondent_id == correspondent_id, Message.direction == Direction.INBOUND
        )
    )
    if found is not None and found.tzinfo is None:  # SQLite hands back naive values of aware columns
        found = found.replace(tzinfo=dt.UTC)
    return found


def window_open(session: Session, *, correspondent_id: int, now: dt.datetime | None = None) -> bool:
    """Tell whether a free-form WhatsApp message may go to the resident now."""
    last = last_inbound_at(session, correspondent_id=correspondent_id)
    return last is not None and (now or utcnow()) - last < WINDOW


def held(session: Session, *, correspondent_id: int) -> list[Message]:
    """Return the texts held for a resident until they write again, oldest first."""
    return list(
        session.scalars(
            select(Message)
            .where(Message.correspondent_id == correspondent_id, Message.state == MessageState.HELD)
            .order_by(Message.id)
        )
    )


def told_by_template(session: Session, *, correspondent_id: int) -> bool:
    """Tell whether a template already told the resident, since they last wrote, that a text waits for them."""
    last = last_inbound_at(session, correspondent_id=correspondent_id)
    since = [Message.created_at > last] if last is not None else []
    for message in session.scalars(
        select(Message).where(
            Message.correspondent_id == correspondent_id,
            Message.direction == Direction.OUTBOUND,
            Message.state != MessageState.HELD,
            *since,
        )
    ):
        meta = message.meta or {}
        if meta.get("content_sid") and meta.get("for_message_id"):
            return True
    return any((m.meta or {}).get("template_message_id") for m in held(session, correspondent_id=correspondent_id))


def hold(message: Message, *, template_message_id: int | None) -> None:
    """Keep a text until the resident writes again; note the template that told them it waits."""
    message.state = MessageState.HELD
    message.sent_at = None
    meta = dict(message.meta or {})
    meta["held_at"] = utcnow().isoformat()
    if template_message_id is not None:
        meta["template_message_id"] = template_message_id
    message.meta = meta


def release_held(session: Session, *, correspondent_id: int, inbound: Message) -> list[int]:
    """Queue the texts held for a resident who has just written (their window is open); return the jobs' ids."""
    released = []
    for message in held(session, correspondent_id=correspondent_id):
        message.state = MessageState.QUEUED
        meta = {**(message.meta or {}), "released_by": inbound.id}
        if meta.pop("outside_window", None):
            # The refused try's report and its 63016; this try goes inside the window and reports afresh.
            message.error_code = None
            message.delivery_status = None
        message.meta = meta
        # NOTE: a fresh key: the text's first send job is done, and a done job is never run again.
        job = jobs.enqueue(
            session,
            kind="sms.send",
            payload={"message_id": message.id},
            dedupe_key=f"sms.send:{message.id}:after:{inbound.id}",
        )
        released.append(job.id)
    return released


def retry_outside_window(session: Session, *, message: Message) -> bool:
    """Hold a free-form text WhatsApp refused as outside the window (63016), so the template goes instead.

    NOTE: Heard counts the window from when it stored the resident's message; WhatsApp may count
    a little earlier. Returns True when the text is queued again, to be held and announced.
    """
    meta = dict(message.meta or {})
    if message.channel is not Channel.WHATSAPP or meta.get("content_sid") or meta.get("outside_window"):
        return False
    meta["outside_window"] = True
    message.meta = meta
    message.state = MessageState.QUEUED
    message.delivery_status = None  # the next try's reports start afresh
    jobs.enqueue(
        session,
        kind="sms.send",
        payload={"message_id": message.id},
        dedupe_key=f"sms.send:{message.id}:{OUTSIDE_WINDOW_ERROR}",
    )
    return True
