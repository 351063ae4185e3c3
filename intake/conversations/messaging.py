"""Text messages with residents: who they are, their consent, what came in, what goes out.

Provider-neutral: the Twilio specifics (signatures, TwiML, the REST client) live in
``webhooks/twilio``. Every inbound message is stored before anything else happens,
keyed by the provider's id, so a redelivery finds the first copy and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake import jobs
from intake.conversations import whatsapp
from intake.conversations.inbound import find_by_provider_id, store_inbound
from intake.conversations.keywords import classify_keyword
from intake.conversations.segments import segment_count, split_reply
from intake.crypto import Keyring
from intake.db import utcnow
from intake.enums import Channel, Direction, Language, MessageState, Status
from intake.models import Attachment, Case, ConsentChange, Correspondent, Message

SEALED_PREFIX = "sealed:"


@dataclass(frozen=True)
class MediaRef:
    """One media item of an MMS, as the provider describes it."""

    url: str
    content_type: str


@dataclass(frozen=True)
class InboundText:
    """A text message as it arrived, before anything is done with it."""

    provider_id: str
    from_number: str
    to_number: str
    body: str
    media: tuple[MediaRef, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)


# A receipt's PIN: six digits standing alone (tracking numbers are written 482-193-7703).
_PIN = re.compile(r"(?<![\d-])\d{6}(?![\d-])")
PIN_MASK = "••••••"


def redact_pins(text: str) -> str:
    """Mask the PINs in a text kept for staff to read; the resident got the real one."""
    return _PIN.sub(PIN_MASK, text)


def mask_pin(text: str) -> str:
    """Hide a message the dialogue took as a PIN: every digit, since the PIN is all of them."""
    return "".join("•" if c.isdigit() else c for c in text)


def hide_pin(message: Message) -> None:
    """Keep a resident's message that held their PIN only masked (the PIN is a credential).

    NOTE: nothing keeps the real text, sealed or not: the dialogue has taken it, and a repeat
    of the turn is answered from what was said then, never by reading the message again.
    """
    message.body = mask_pin(message.body)


def seal_answer(keyring: Keyring, answer: str) -> str:
    """Keep a webhook's exact answer (it may hold a PIN) for redeliveries, encrypted."""
    token = keyring.encrypt(answer)
    assert token is not None
    return token


def open_answer(keyring: Keyring, stored: str) -> str:
    """Return a stored answer in clear."""
    return keyring.decrypt(stored) or ""


def outbound_text(keyring: Keyring, message: Message) -> str:
    """Return the text to send: the sealed original when the stored body had a PIN masked."""
    sealed = (message.meta or {}).get("sealed_body")
    return (keyring.decrypt(sealed) or message.body) if sealed else message.body


@dataclass(frozen=True)
class SealedPhone:
    """A phone number a channel sealed, and the channel that vouches for it (None: it vouches for nothing)."""

    phone: str
    channel: Channel | None


def seal_phone(keyring: Keyring, phone: str, *, channel: Channel | None = None) -> str:
    """Wrap a phone number for the dialogue's metadata, which Rasa keeps: only ciphertext goes there.

    ``channel`` is named only by a channel whose answers go to that very phone (SMS): such a seal
    may prove the filer for a status. A caller ID (voice, TTY) can be spoofed, so it is sealed
    without one and proves nothing.
    """
    plain = json.dumps({"phone": phone, "channel": channel.value}) if channel is not None else phone
    token = keyring.encrypt(plain)
    assert token is not None
    return SEALED_PREFIX + token


def open_sealed_phone(keyring: Keyring, value: str) -> SealedPhone | None:
    """Return what a sealed value holds, or None when ``value`` is not sealed (a plain number)."""
    if not value.startswith(SEALED_PREFIX):
        return None
    plain = keyring.decrypt(value[len(SEALED_PREFIX) :]) or ""
    if plain.startswith("{"):
        data = json.loads(plain)
        channel = data.get("channel")
        return SealedPhone(phone=str(data["phone"]), channel=Channel(channel) if channel in Channel.values() else None)
    return SealedPhone(phone=plain, channel=None)


def unseal_phone(keyring: Keyring, value: str | None) -> str | None:
    """Return the number a sealed value holds; a plain number is returned as it is."""
    if value:
        sealed = open_sealed_phone(keyring, value)
        return sealed.phone if sealed is not None else value
    return value


def conversation_id_for(keyring: Keyring, channel: Channel, key: str) -> str:
    """Return the dialogue's sender id for a phone number or call: a keyed hash, never the number."""
    return keyring.digest(f"conversation:{channel.value}", key)[:40]


# As long as the column that keeps it; an E.164 number is at most 16 characters.
SERVICE_NUMBER_MAX_CHARS = 32


def get_or_create_correspondent(
    session: Session, *, keyring: Keyring, phone: str, service_number: str | None
) -> Correspondent:
    """Return the resident behind ``phone``, creating them on their first message.

    A WhatsApp address (``whatsapp:+1…``) is a resident of its own, apart from texts from the same number.
    """
    if service_number is not None and len(service_number) > SERVICE_NUMBER_MAX_CHARS:
        service_number = None  # not a number of ours: the reply goes from the default number
    digest = keyring.digest("phone", phone)
    found = session.scalars(select(Correspondent).where(Correspondent.phone_digest == digest)).first()
    if found is None:
        found = Correspondent(
            phone_digest=digest,
            phone_token=keyring.encrypt(phone),
            conversation_id=conversation_id_for(keyring, Channel.SMS, phone),
            channel=whatsapp.channel_of(phone),
            service_number=service_number,
            opted_out=False,
        )
        try:
            with session.begin_nested():
                session.add(found)
        except IntegrityError:  # their other message, arriving at the same moment, created them
            found = session.scalars(select(Correspondent).where(Correspondent.phone_digest == digest)).one()
    if found.phone_token is None:  # the retention schedule removed the number; they wrote again
        found.phone_token = keyring.encrypt(phone)
        found.updated_at = utcnow()
    if service_number and found.service_number != service_number:
        found.service_number = service_number
        found.updated_at = utcnow()
    return found


def receive_text(session: Session, *, keyring: Keyring, inbound: InboundText) -> tuple[Message, bool]:
    """Store an inbound text and queue its turn; return the message and whether it is new.

    A message whose provider id is already stored is a redelivery: the stored one is
    returned and nothing is created.
    """
    existing = find_by_provider_id(session, inbound.provider_id)
    if existing is not None:
        return existing, False
    correspondent = get_or_create_correspondent(
        session, keyring=keyring, phone=inbound.from_number, service_number=inbound.to_number
    )
    meta = dict(inbound.meta)
    if inbound.media:
        meta["media"] = [{"url": m.url, "content_type": m.content_type} for m in inbound.media]
    message, new = store_inbound(
        session,
        message=Message(
            channel=correspondent.channel,
            direction=Direction.INBOUND,
            provider_id=inbound.provider_id,
            conversation_id=correspondent.conversation_id,
            correspondent_id=correspondent.id,
            body=inbound.body,
            state=MessageState.RECEIVED,
            meta=meta or None,
        ),
    )
    if not new:
        return message, False
    keyword = classify_keyword(inbound.body)
    if correspondent.channel is Channel.WHATSAPP and not (keyword is not None and keyword.action in ("stop", "start")):
        # NOTE: not on STOP or START: the turn releases them once the consent they change is recorded.
        whatsapp.release_held(session, correspondent_id=correspondent.id, inbound=message)
    jobs.enqueue(session, kind="sms.turn", payload={"message_id": message.id}, dedupe_key=f"sms.turn:{message.id}")
    if inbound.media:
        jobs.enqueue(
            session, kind="sms.media", payload={"message_id": message.id}, dedupe_key=f"sms.media:{message.id}"
        )
    return message, True


def pending_inbound(session: Session, *, correspondent_id: int) -> list[Message]:
    """Return a resident's stored messages that still wait for their turn, oldest first."""
    return list(
        session.scalars(
            select(Message)
            .where(
                Message.correspondent_id == correspondent_id,
                Message.direction == Direction.INBOUND,
                Message.state == MessageState.RECEIVED,
            )
            .order_by(Message.id)
        )
    )


def take_lease(session: Session, *, correspondent_id: int, owner: str, seconds: float) -> bool:
    """Take the right to answer a resident for ``seconds``; False while someone else holds it."""
    now = utcnow()
    taken = session.execute(
        update(Correspondent)
        .where(
            Correspondent.id == correspondent_id,
            or_(
                Correspondent.lease_until.is_(None),
                Correspondent.lease_until < now,
                Correspondent.lease_owner == owner,
            ),
        )
        .values(lease_owner=owner, lease_until=now + dt.timedelta(seconds=seconds))
    )
    return bool(taken.rowcount == 1)  # type: ignore[attr-defined]


def release_lease(session: Session, *, correspondent_id: int, owner: str) -> None:
    """Give the right to answer a resident back."""
    session.execute(
        update(Correspondent)
        .where(Correspondent.id == correspondent_id, Correspondent.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )


def record_consent(
    session: Session, *, correspondent: Correspondent, opted_out: bool, keyword: str, message: Message | None
) -> None:
    """Record a STOP or START: the resident's consent, as they gave it."""
    correspondent.opted_out = opted_out
    correspondent.updated_at = utcnow()
    session.add(
        ConsentChange(
            correspondent_id=correspondent.id,
            opted_out=opted_out,
            keyword=keyword[:64],
            message_id=message.id if message else None,
        )
    )


def record_replies(
    session: Session,
    *,
    keyring: Keyring,
    inbound: Message,
    texts: Sequence[str],
    language: str | None,
    meta: dict[str, Any] | None = None,
) -> list[Message]:
    """Record the replies to an inbound message, split to fit, waiting to be delivered.

    A part holding a PIN is stored masked, with the real text sealed beside it for sending.
    """
    replies: list[Message] = []
    for text in texts:
        for part in split_reply(text):
            masked = redact_pins(part)
            part_meta = dict(meta or {})
            if masked != part:
                part_meta["sealed_body"] = keyring.encrypt(part)
            reply = Message(
                channel=inbound.channel,
                direction=Direction.OUTBOUND,
                conversation_id=inbound.conversation_id,
                correspondent_id=inbound.correspondent_id,
                case_id=inbound.case_id,
                reply_to_id=inbound.id,
                language=Language(language) if language else None,
                body=masked,
                segments=segment_count(part),
                state=MessageState.PENDING,
                meta=part_meta or None,
            )
            session.add(reply)
            replies.append(reply)
    inbound.state = MessageState.PROCESSED
    if language and inbound.language is None:
        inbound.language = Language(language)
    session.flush()
    return replies


def last_reply_meta(session: Session, *, correspondent_id: int) -> dict[str, Any]:
    """Return what was noted on the last reply sent to a correspondent (empty when none)."""
    reply = session.scalars(
        select(Message)
        .where(Message.correspondent_id == correspondent_id, Message.direction == Direction.OUTBOUND)
        .order_by(Message.id.desc())
        .limit(1)
    ).first()
    return dict(reply.meta or {}) if reply is not None else {}


def replies_to(session: Session, *, message_id: int) -> list[Message]:
    """Return the replies recorded for an inbound message, in order."""
    return list(session.scalars(select(Message).where(Message.reply_to_id == message_id).order_by(Message.id)))


def decide_reply_via(session: Session, *, message_id: int, via: str) -> bool:
    """Settle, once, whether a message's replies travel in the webhook's answer or by REST."""
    result = session.execute(
        update(Message).where(Message.id == message_id, Message.reply_via.is_(None)).values(reply_via=via)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def queue_replies(session: Session, *, message_id: int) -> list[int]:
    """Queue a message's waiting replies for sending through the provider's REST API; return the jobs' ids."""
    queued = []
    for reply in replies_to(session, message_id=message_id):
        if reply.state != MessageState.PENDING:
            continue
        reply.state = MessageState.QUEUED
        job = jobs.enqueue(
            session, kind="sms.send", payload={"message_id": reply.id}, dedupe_key=f"sms.send:{reply.id}"
        )
        queued.append(job.id)
    return queued


def queue_outbound(
    session: Session,
    *,
    correspondent: Correspondent,
    texts: Iterable[str],
    language: str | None,
    case: Case | None = None,
    meta: dict[str, Any] | None = None,
) -> list[Message]:
    """Queue messages Heard starts (a status update, a staff reply) to a resident, on the channel they write on."""
    queued = []
    for text in texts:
        for part in split_reply(text):
            message = Message(
                channel=correspondent.channel,
                direction=Direction.OUTBOUND,
                conversation_id=correspondent.conversation_id,
                correspondent_id=correspondent.id,
                case_id=case.id if case else None,
                language=Language(language) if language else None,
                body=part,
                segments=segment_count(part),
                state=MessageState.QUEUED,
                meta=meta,
            )
            session.add(message)
            session.flush()
            jobs.enqueue(
                session, kind="sms.send", payload={"message_id": message.id}, dedupe_key=f"sms.send:{message.id}"
            )
            queued.append(message)
    return queued


def queue_dialogue_messages(session: Session, *, conversation_id: str, texts: Sequence[str]) -> list[Message] | None:
    """Queue what the dialogue said between a resident's turns (it moved on after a pause) to them.

    Returns the queued messages, or None when no one texts Heard in that conversation.
    """
    correspondent = session.scalars(
        select(Correspondent).where(Correspondent.conversation_id == conversation_id)
    ).first()
    if correspondent is None:
        return None
    language = correspondent.language.value if correspondent.language else None
    # NOTE: joined like the answers to a turn, so one question is one text message.
    return queue_outbound(session, correspondent=correspondent, texts=["\n\n".join(texts)], language=language)


# Delivery statuses in the order they happen; a late callback never moves a message back.
_STATUS_RANK = {
    "accepted": 1,
    "scheduled": 1,
    "queued": 2,
    "sending": 3,
    "sent": 4,
    "failed": 5,
    "undelivered": 5,
    "delivered": 5,
    "read": 6,
    "canceled": 5,
}


def record_delivery_status(
    session: Session, *, provider_id: str, status: str, error_code: str | None = None
) -> Message | None:
    """Apply a delivery-status callback; statuses only move forward, whatever order they arrive in."""
    message = find_by_provider_id(session, provider_id)
    if message is None:
        return None
    new_rank = _STATUS_RANK.get(status.lower(), 0)
    old_rank = _STATUS_RANK.get((message.delivery_status or "").lower(), 0)
    if new_rank > old_rank:
        message.delivery_status = status.lower()[:32]
        if error_code:
            message.error_code = error_code[:16]
        if error_code == whatsapp.OUTSIDE_WINDOW_ERROR:
            whatsapp.retry_outside_window(session, message=message)
    return message


def last_sent_at(session: Session, *, service_number: str) -> Any:
    """Return when Heard last sent from ``service_number`` (for pacing to the sender's rate)."""
    return session.scalar(
        select(func.max(Message.sent_at))
        .join(Correspondent, Correspondent.id == Message.correspondent_id)
        .where(Correspondent.service_number == service_number, Message.direction == Direction.OUTBOUND)
    )


def attach_conversation_evidence(session: Session, *, case: Case, conversation_id: str | None = None) -> int:
    """Give a newly filed case the evidence (and messages) a conversation gathered before filing.

    ``conversation_id`` defaults to the case's own; the web form names the text conversation a
    report began in (a WEB code), so the photos sent by text follow the report to the web.
    """
    conversation_id = conversation_id or case.conversation_id
    if not conversation_id:
        return 0
    result = session.execute(
        update(Attachment)
        .where(Attachment.conversation_id == conversation_id, Attachment.case_id.is_(None))
        .values(case_id=case.id)
    )
    session.execute(
        update(Message)
        .where(Message.conversation_id == conversation_id, Message.case_id.is_(None))
        .values(case_id=case.id)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# Evidence sent after filing joins the case only while that report is this fresh and still with intake.
JUST_FILED = dt.timedelta(hours=24)
TAKES_EVIDENCE = frozenset({Status.RECEIVED, Status.TRIAGE, Status.ASSIGNED, Status.INVESTIGATING})


@dataclass(frozen=True)
class EvidenceHome:
    """Where new evidence from a conversation goes: a case now, or held for the report being made."""

    case: Case | None
    # True when an earlier case exists that must not take it (referred, closed, or not this report).
    held: bool


def evidence_home(session: Session, *, conversation_id: str | None, received_at: dt.datetime) -> EvidenceHome:
    """Decide which case evidence received at ``received_at`` belongs to.

    NOTE: never an earlier case already referred or closed: the police may hold it
    already. Evidence with no case waits in its conversation and joins the next case
    filed from it (``attach_conversation_evidence``): the draft the resident is making.
    """
    case = latest_case_of_conversation(session, conversation_id=conversation_id) if conversation_id else None
    if case is None:
        return EvidenceHome(case=None, held=False)
    if case.status in TAKES_EVIDENCE and received_at - case.created_at < JUST_FILED:
        return EvidenceHome(case=case, held=False)
    return EvidenceHome(case=None, held=True)


def latest_case_of_conversation(session: Session, *, conversation_id: str) -> Case | None:
    """Return the case a conversation filed most recently, if any."""
    return session.scalars(
        select(Case).where(Case.conversation_id == conversation_id).order_by(Case.id.desc()).limit(1)
    ).first()
