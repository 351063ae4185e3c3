"""Residents' sessions on the web: the chat widget's conversation and the no-JavaScript form's draft.

A session is known by a random token that lives only in the resident's browser; the
database keeps its keyed digest. The conversation id given to the dialogue is random
as well, never derived from anything about the resident. The caller owns the session
(SQLAlchemy's) and commits; these functions only flush.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from intake import evidence, inputs
from intake.conversations import inbound, messaging
from intake.crypto import Keyring
from intake.db import utcnow
from intake.enums import Channel, Direction, Language, MessageState
from intake.errors import ValidationError
from intake.evidence import StoredEvidence
from intake.models import Attachment, Message, WebSession
from intake.storage import Storage

# A session nobody has used for this long is over; the dialogue's draft is not lost with it
# (Rasa keeps it), but the browser can no longer resume it.
IDLE_LIMIT = dt.timedelta(days=30)
CHAT_MESSAGE_MAX_CHARS = 4_000
ENDED_FILED = "filed"
ENDED_ABANDONED = "abandoned"
_TOKEN_PURPOSE = "web-session"  # noqa: S105 - a digest purpose, not a secret


class SessionGone(Exception):
    """The token names no session, or one that has ended (filed, abandoned or idle too long)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TranscriptItem:
    """One line of a chat as the resident sees it again after a reload."""

    id: int
    speaker: str  # "heard" or "you"
    text: str
    language: str | None
    file: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        item: dict[str, Any] = {"id": self.id, "from": self.speaker, "text": self.text, "lang": self.language}
        if self.file is not None:
            item["file"] = self.file
        return item


def _digest(keyring: Keyring, token: str) -> str:
    return keyring.digest(_TOKEN_PURPOSE, token)


def new_token() -> str:
    """Return a fresh, unguessable session token."""
    return secrets.token_urlsafe(32)


def open_session(
    session: Session, *, keyring: Keyring, channel: Channel, language: str | None, token: str | None = None
) -> tuple[WebSession, str]:
    """Start a session; return it and its token, which is shown to the browser once."""
    token = token or new_token()
    prefix = "webchat-" if channel is Channel.WEB_CHAT else "webform-"
    web = WebSession(
        token_digest=_digest(keyring, token),
        channel=channel,
        conversation_id=prefix + secrets.token_hex(16),
        language=Language(language) if language in Language.values() else None,
    )
    session.add(web)
    session.flush()
    return web, token


def find_session(
    session: Session, *, keyring: Keyring, token: str, channel: Channel, ended: bool = False
) -> WebSession:
    """Return the live session the token names (or an ended one, when asked), else raise SessionGone."""
    if not token or len(token) > 128:
        raise SessionGone("unknown")
    web = session.scalars(
        select(WebSession).where(WebSession.token_digest == _digest(keyring, token), WebSession.channel == channel)
    ).one_or_none()
    if web is None:
        raise SessionGone("unknown")
    if web.ended_at is not None and not ended:
        raise SessionGone(web.end_reason or ENDED_ABANDONED)
    now = utcnow()
    if now - web.last_seen_at > IDLE_LIMIT:
        raise SessionGone("expired")
    web.last_seen_at = now
    return web


def rotate_token(web: WebSession, *, keyring: Keyring) -> str:
    """Give the session a fresh token and return it; the old token opens nothing any more."""
    token = new_token()
    web.token_digest = _digest(keyring, token)
    return token


def end_session(web: WebSession, *, reason: str, case_id: int | None = None) -> None:
    """End a session for good and drop any draft it held."""
    if web.ended_at is None:
        web.ended_at = utcnow()
        web.end_reason = reason
    if case_id is not None:
        web.case_id = case_id
    web.draft_token = None


def load_draft(web: WebSession, *, keyring: Keyring) -> dict[str, Any]:
    """Return the form's draft answers (empty when none yet)."""
    text = keyring.decrypt(web.draft_token) if web.draft_token else None
    data = json.loads(text) if text else {}
    return data if isinstance(data, dict) else {}


def save_draft(web: WebSession, *, keyring: Keyring, draft: dict[str, Any]) -> None:
    """Keep the form's draft answers, encrypted."""
    web.draft_token = keyring.encrypt(json.dumps(draft, ensure_ascii=False))


def clean_text(text: str) -> str:
    """Drop NUL and other control characters a database cannot store or a person cannot see.

    A lone surrogate (which no encoding can write) becomes U+FFFD, so the rest of the words are kept.
    """
    return "".join(c for c in inputs.storable(text) if c in "\n\t" or c >= " ").strip()


def receive_chat_message(
    session: Session, *, web: WebSession, keyring: Keyring, text: str, language: str, client_id: str | None
) -> tuple[Message, bool]:
    """Store what the resident wrote before anything else; return it and whether it is new.

    The browser names each message with an id of its own, so a retried request finds
    the stored message instead of adding a second one.
    """
    body = clean_text(text)
    if not body:
        raise ValidationError({"text": "is empty"})
    if len(body) > CHAT_MESSAGE_MAX_CHARS:
        raise ValidationError({"text": f"must be at most {CHAT_MESSAGE_MAX_CHARS} characters"})
    provider_id = None
    if client_id:
        existing = find_message(session, web=web, keyring=keyring, client_id=client_id)
        if existing is not None:
            return existing, False
        provider_id = "webchat:" + keyring.digest("webchat-message", f"{web.conversation_id}:{client_id}")[:48]
    message, new = inbound.store_inbound(
        session,
        message=Message(
            channel=Channel.WEB_CHAT,
            direction=Direction.INBOUND,
            provider_id=provider_id,
            conversation_id=web.conversation_id,
            language=Language(language),
            body=body,
            state=MessageState.RECEIVED,
        ),
    )
    if not new:
        return message, False
    web.language = Language(language)
    return message, True


def waiting_messages(session: Session, *, web: WebSession) -> list[Message]:
    """Return the resident's messages the dialogue has not answered yet, oldest first."""
    return list(
        session.scalars(
            select(Message)
            .where(
                Message.conversation_id == web.conversation_id,
                Message.direction == Direction.INBOUND,
                Message.state == MessageState.RECEIVED,
            )
            .order_by(Message.id)
        )
    )


def claim(session: Session, *, message_id: int) -> bool:
    """Take the turn of a waiting message; False when another request took it first."""
    taken = session.execute(
        update(Message)
        .where(Message.id == message_id, Message.state == MessageState.RECEIVED)
        .values(state=MessageState.PROCESSED)
    )
    return bool(taken.rowcount == 1)  # type: ignore[attr-defined]


def release(session: Session, *, message_id: int) -> None:
    """Give a message's turn back so that it is relayed again later (the dialogue did not answer)."""
    session.execute(update(Message).where(Message.id == message_id).values(state=MessageState.RECEIVED))


def record_chat_replies(
    session: Session,
    *,
    web: WebSession,
    keyring: Keyring,
    inbound: Message | None,
    texts: Sequence[str],
    language: str | None,
) -> list[Message]:
    """Record the dialogue's answers to a message (they reached the resident in the same response), or,
    without one, what it said between turns (the widget fetches it).

    A PIN is stored masked for staff to read, with the real text sealed beside it, so that a
    retried request can still give the resident their receipt.
    """
    case = messaging.latest_case_of_conversation(session, conversation_id=web.conversation_id)
    replies = []
    now = utcnow()
    for text in texts:
        masked = messaging.redact_pins(text)
        reply = Message(
            channel=Channel.WEB_CHAT,
            direction=Direction.OUTBOUND,
            conversation_id=web.conversation_id,
            case_id=case.id if case else None,
            reply_to_id=inbound.id if inbound is not None else None,
            language=Language(language) if language in Language.values() else None,
            body=masked,
            state=MessageState.SENT,
            sent_at=now,
            meta={"sealed_body": keyring.encrypt(text)} if masked != text else None,
        )
        session.add(reply)
        replies.append(reply)
    if language in Language.values():
        web.language = Language(language)
    session.flush()
    return replies


def record_dialogue_messages(
    session: Session, *, keyring: Keyring, conversation_id: str, texts: Sequence[str]
) -> list[Message] | None:
    """Keep what the dialogue said between the resident's turns for the widget to fetch.

    Returns the kept messages, or None when no open chat has that conversation.
    """
    web = session.scalars(
        select(WebSession).where(
            WebSession.conversation_id == conversation_id,
            WebSession.channel == Channel.WEB_CHAT,
            WebSession.ended_at.is_(None),
        )
    ).one_or_none()
    if web is None:
        return None
    language = web.language.value if web.language else None
    return record_chat_replies(session, web=web, keyring=keyring, inbound=None, texts=texts, language=language)


def said_between_turns(session: Session, *, web: WebSession, after: int) -> list[Message]:
    """Return what the dialogue said between the resident's turns, newer than message ``after``, oldest first."""
    return list(
        session.scalars(
            select(Message)
            .where(
                Message.conversation_id == web.conversation_id,
                Message.direction == Direction.OUTBOUND,
                Message.reply_to_id.is_(None),
                Message.id > after,
            )
            .order_by(Message.id)
        )
    )


def said_text(keyring: Keyring, reply: Message) -> str:
    """Return what the resident was actually told (a sealed reply holds a PIN)."""
    sealed = (reply.meta or {}).get("sealed_body")
    return (keyring.decrypt(sealed) or reply.body) if sealed else reply.body


def find_message(session: Session, *, web: WebSession, keyring: Keyring, client_id: str) -> Message | None:
    """Return the message the browser sent with ``client_id`` in this session, if stored."""
    provider_id = "webchat:" + keyring.digest("webchat-message", f"{web.conversation_id}:{client_id}")[:48]
    return inbound.find_by_provider_id(session, provider_id)


def settle_filing(session: Session, *, web: WebSession) -> bool:
    """End the session if its conversation has filed a case; return whether it did."""
    case = messaging.latest_case_of_conversation(session, conversation_id=web.conversation_id)
    if case is None:
        return False
    end_session(web, reason=ENDED_FILED, case_id=case.id)
    return True


def record_upload(
    session: Session, *, web: WebSession, stored: StoredEvidence, filename: str | None, declared_type: str
) -> Attachment:
    """Keep an uploaded file's record; it joins the case when the conversation files it."""
    attachment = Attachment(
        conversation_id=web.conversation_id,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        storage_key=stored.storage_key,
        filename=(filename or "")[:255] or None,
        meta={"provider": web.channel.value, "declared_type": declared_type[:128], "received_at": utcnow().isoformat()},
    )
    session.add(attachment)
    session.flush()
    return attachment


def upload_name(raw: str | None) -> str:
    """Return the name a browser gave a file, without its folders or control characters (at most 255)."""
    return clean_text(os.path.basename((raw or "").replace("\\", "/")))[:255]


def pending_uploads(session: Session, *, web: WebSession) -> list[Attachment]:
    """Return the files this session keeps for the case it has not filed yet, oldest first."""
    return list(
        session.scalars(
            select(Attachment)
            .where(Attachment.conversation_id == web.conversation_id, Attachment.case_id.is_(None))
            .order_by(Attachment.id)
        )
    )


def remove_upload(session: Session, *, web: WebSession, attachment_id: int, storage: Storage) -> bool:
    """Take back a file before the case is filed; False when the file is not this session's to take back.

    The encrypted copy is deleted too, unless another record holds the same bytes.
    """
    attachment = session.scalars(
        select(Attachment).where(
            Attachment.id == attachment_id,
            Attachment.conversation_id == web.conversation_id,
            Attachment.case_id.is_(None),
        )
    ).one_or_none()
    if attachment is None:
        return False
    storage_key = attachment.storage_key
    session.delete(attachment)
    session.flush()
    shared = session.scalar(select(Attachment.id).where(Attachment.storage_key == storage_key).limit(1))
    if shared is None:
        evidence.discard(storage, storage_key)
    return True


def transcript(session: Session, *, web: WebSession) -> list[TranscriptItem]:
    """Return the chat so far, messages and files in the order they came."""
    messages = session.scalars(
        select(Message).where(Message.conversation_id == web.conversation_id).order_by(Message.id)
    ).all()
    files = session.scalars(
        select(Attachment).where(Attachment.conversation_id == web.conversation_id).order_by(Attachment.id)
    ).all()
    timeline: list[tuple[dt.datetime, int, TranscriptItem]] = []
    for m in messages:
        speaker = "you" if m.direction is Direction.INBOUND else "heard"
        item = TranscriptItem(m.id, speaker, m.body, m.language.value if m.language else None)
        timeline.append((m.created_at, 0, item))
    for a in files:
        info = {"name": a.filename or "", "type": a.content_type, "size": a.size_bytes}
        timeline.append((a.created_at, 1, TranscriptItem(-a.id, "you", "", None, info)))
    timeline.sort(key=lambda entry: (entry[0], entry[1], abs(entry[2].id)))
    return [item for _, _, item in timeline]
