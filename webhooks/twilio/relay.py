"""The relay of turns: each stored text goes to the dialogue in order, its answer back inline or later."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from intake import jobs
from intake.conversations import keywords, messaging, whatsapp
from intake.db import utcnow
from intake.enums import Channel, Direction, MessageState
from intake.models import Correspondent, Job, Message
from nlu.detect import detect_language
from webhooks.i18n import t
from webhooks.rasa_client import FREE_TEXT, MESSAGE_ID, DialogueAnswer, DialogueUnavailable
from webhooks.twilio import twiml
from webhooks.twilio.state import ChannelState
from webhooks.twilio.texts import (
    CONFIRM_STOP,
    HELP,
    HOLDING,
    MEDIA_RECEIVED,
    NO_ANSWER,
    STARTED,
    STOPPED,
    confident_language,
)

log = logging.getLogger(__name__)

TURN_LEASE_SECONDS = 120
# A webhook that has not settled how its replies travel by then has died; the worker settles it.
ORPHAN_AFTER = dt.timedelta(seconds=45)


@dataclass(frozen=True)
class _Turn:
    message_id: int
    body: str
    media_count: int
    conversation_id: str
    phone: str
    language: str | None
    opted_out: bool
    last_reply: dict[str, Any] = field(default_factory=dict)
    channel: Channel = Channel.SMS
    received_at: dt.datetime | None = None


def _answering(turn: _Turn) -> bool:
    """Tell whether the resident is answering a free-text question and has not been asked about stopping."""
    return turn.last_reply.get("awaiting") == FREE_TEXT and not turn.last_reply.get("opt_out_asked")


class TurnRelay(ChannelState):
    """Answers each stored message in order through the dialogue; settles turns whose webhook died."""

    def _left(self, received_at: float | None) -> float:
        """Seconds left of the inline window, counted from when the request arrived."""
        window = self.settings.inline_reply_seconds
        return window if received_at is None else window - (time.time() - received_at)

    def answer_inline(self, message_id: int, *, received_at: float | None = None) -> str:
        """Give the dialogue what is left of a few seconds since the request arrived, then answer.

        The answer is the dialogue's replies, or an honest holding message with the replies
        sent by REST. NOTE: the window counts from arrival (``received_at``, epoch seconds),
        not from now: a request that waited in a queue may have been given up by Twilio, and
        a reply written into its answer would never reach the resident.
        """
        left = self._left(received_at)
        if left > 0:
            future = self.executor.submit(self._drive, message_id, time.monotonic() + left)
            # NOTE: waiting on the future, not polling the database: on SQLite every poll would take the write lock.
            with contextlib.suppress(FutureTimeout):
                future.result(timeout=left)
        else:  # arrived too long ago to answer inline: run the turn now, its replies go by REST
            log.warning("message %s: its request waited %.1f s before reaching Heard", message_id, -left)
            self.executor.submit(self._drive, message_id, time.monotonic() + self.settings.inline_reply_seconds)
        sends: list[int] = []
        with self.database.session() as session:
            # NOTE: the row lock orders this decision against the turn's own write (see _answer).
            message = session.get(Message, message_id, with_for_update=True)
            assert message is not None
            correspondent = session.get(Correspondent, message.correspondent_id)
            assert correspondent is not None
            in_time = self._left(received_at) > 0
            if (
                in_time
                and message.state == MessageState.PROCESSED
                and messaging.decide_reply_via(session, message_id=message_id, via="inline")
            ):
                replies = messaging.replies_to(session, message_id=message_id)
                now = utcnow()
                for reply in replies:
                    reply.state = MessageState.INLINE
                    reply.sent_at = now
                answer = twiml.messages([messaging.outbound_text(self.keyring, r) for r in replies])
            else:
                messaging.decide_reply_via(session, message_id=message_id, via="rest")
                if message.state == MessageState.PROCESSED:
                    sends = messaging.queue_replies(session, message_id=message_id)
                if correspondent.opted_out:
                    answer = twiml.messages([])
                else:
                    language = correspondent.language or detect_language(message.body) or "en"
                    answer = twiml.messages([t(language, HOLDING, writing=message.body)])
            message.answer = messaging.seal_answer(self.keyring, answer)
            session.commit()
        self.send_soon(sends)
        return answer

    def send_soon(self, job_ids: list[int]) -> None:
        """Send queued replies from this process now, rather than at the worker's next round."""
        for job_id in job_ids:
            self.executor.submit(jobs.run_now, self.database, job_id, self.handlers())

    def replay_answer(self, message_id: int, *, received_at: float | None = None) -> str:
        """Answer a redelivered message exactly as its first delivery was answered."""
        found: list[str] = []

        def answered() -> bool:
            with self.database.session() as session:
                answer = session.scalar(select(Message.answer).where(Message.id == message_id))
                session.rollback()
            if answer is not None:
                found.append(answer)
            return answer is not None

        # NOTE: the first delivery settles its answer within the window; wait no longer than this request has left.
        if jobs.wait_for(answered, timeout=max(0.0, self._left(received_at) + 3), interval=0.1):
            return messaging.open_answer(self.keyring, found[-1])
        with self.database.session() as session:
            message = session.get(Message, message_id)
            language = detect_language(message.body) if message else None
        return twiml.messages([t(language or "en", HOLDING, writing=message.body if message else "")])

    def holding_answer(self, body: str) -> str:
        """The answer when nothing could be stored in the database: the message waits in the spool."""
        return twiml.messages([t(detect_language(body) or "en", HOLDING, writing=body)])

    def _is_processed(self, message_id: int) -> bool:
        with self.database.session() as session:
            state = session.scalar(select(Message.state).where(Message.id == message_id))
            session.rollback()
        return state == MessageState.PROCESSED

    def _drive(self, message_id: int, deadline: float) -> None:
        """Run this message's turn now if possible; wait briefly while another turn of theirs runs."""
        with self.database.session() as session:
            job_id = session.scalar(select(Job.id).where(Job.dedupe_key == f"sms.turn:{message_id}"))
            session.rollback()
        if job_id is None:
            return
        while True:  # NOTE: tried at least once, however little of the window is left
            outcome = jobs.run_now(self.database, job_id, self.handlers())
            if outcome in ("done", "retrying", "failed") or self._is_processed(message_id):
                return
            if time.monotonic() >= deadline:
                return
            time.sleep(0.2)  # another worker holds this resident's turn, or the job is not ready

    def run_turns(self, payload: dict[str, Any]) -> None:
        """Answer a resident's waiting messages in the order they were sent."""
        message_id = int(payload["message_id"])
        with self.database.session() as session:
            message = session.get(Message, message_id)
            if message is None or message.state != MessageState.RECEIVED or message.correspondent_id is None:
                return
            correspondent_id = message.correspondent_id
            owner = jobs.worker_name()
            taken = messaging.take_lease(
                session, correspondent_id=correspondent_id, owner=owner, seconds=TURN_LEASE_SECONDS
            )
            session.commit()
        if not taken:
            raise jobs.RetryLater(0.5, "another turn of this resident is running")
        try:
            while True:
                with self.database.session() as session:
                    waiting = [m.id for m in messaging.pending_inbound(session, correspondent_id=correspondent_id)]
                    session.rollback()
                if not waiting:
                    return
                self._answer(waiting[0])
        finally:
            with self.database.session() as session:
                messaging.release_lease(session, correspondent_id=correspondent_id, owner=owner)
                session.commit()

    def _read_turn(self, message_id: int) -> _Turn | None:
        with self.database.session() as session:
            message = session.get(Message, message_id)
            if message is None or message.state != MessageState.RECEIVED:
                return None
            correspondent = session.get(Correspondent, message.correspondent_id)
            assert correspondent is not None
            phone = self.keyring.decrypt(correspondent.phone_token)
            assert phone is not None
            language = correspondent.language.value if correspondent.language else None
            if language is None:
                language = confident_language(message.body)
                if language is not None:
                    correspondent.language = language  # type: ignore[assignment]
                    session.commit()
            return _Turn(
                message_id=message.id,
                body=message.body,
                media_count=len((message.meta or {}).get("media") or []),
                conversation_id=correspondent.conversation_id,
                phone=phone,
                language=language,
                opted_out=correspondent.opted_out,
                last_reply=messaging.last_reply_meta(session, correspondent_id=correspondent.id),
                channel=correspondent.channel,
                received_at=message.created_at,
            )

    def _answer(self, message_id: int) -> None:
        """Answer one message: a keyword, or a turn of the dialogue; record the replies."""
        turn = self._read_turn(message_id)
        if turn is None:
            return
        keyword = keywords.classify_keyword(turn.body) if turn.media_count == 0 else None
        confirm_stop = False
        if keyword is not None and keyword.action == "stop" and keyword.language and _answering(turn):
            # NOTE: a localized word may be the answer (the name Dũng, "alto" for an officer); the
            # dialogue takes it and the resident is asked. English STOP is the carrier's, never asked.
            keyword, confirm_stop = None, True
        texts: list[str] = []
        language = turn.language
        reply_meta: dict[str, Any] | None = None
        switched: str | None = None  # the language the resident chose from the dialogue's menu
        redact = False  # the dialogue took the message as the resident's PIN
        if keyword is not None:
            language = keyword.language or language or "en"
            texts, reply_meta = self._keyword_texts(turn, keyword, language)
        elif turn.opted_out:
            texts = []  # kept for the record, never answered: they asked for no messages
        else:
            guess = language or detect_language(turn.body) or "en"
            if turn.body.strip():
                answer = self._ask_dialogue(message_id, turn)
                if answer.language:
                    language = switched = answer.language
                redact = answer.redact
                if answer.awaiting == FREE_TEXT:
                    reply_meta = {"awaiting": FREE_TEXT}
                texts = ["\n\n".join(answer.texts)] if answer.texts else []
                if not texts:
                    # NOTE: never silence: a turn the dialogue answers with no words is owned up to.
                    log.warning("the dialogue said nothing to message %s", message_id)
                    texts = [t(language or guess, NO_ANSWER, writing=turn.body)]
            if confirm_stop:
                texts.append(t(language or guess, CONFIRM_STOP, writing=turn.body))
                reply_meta = {**(reply_meta or {}), "opt_out_asked": True}
            if turn.media_count:
                texts.insert(0, t(language or guess, MEDIA_RECEIVED, writing=turn.body, count=turn.media_count))
            language = language or guess
        with self.database.session() as session:
            message = session.get(Message, message_id, with_for_update=True)
            assert message is not None
            if message.state != MessageState.RECEIVED:
                session.rollback()
                return  # answered meanwhile by someone else: keep their answer
            correspondent = session.get(Correspondent, message.correspondent_id)
            assert correspondent is not None
            if keyword is not None and keyword.action in ("stop", "start"):
                messaging.record_consent(
                    session,
                    correspondent=correspondent,
                    opted_out=keyword.action == "stop",
                    keyword=keyword.word,
                    message=message,
                )
            if switched:
                correspondent.language = switched  # type: ignore[assignment]
            if redact:
                messaging.hide_pin(message)
            if turn.opted_out and keyword is None:
                message.meta = {**(message.meta or {}), "received_while_opted_out": True}
            messaging.record_replies(
                session, keyring=self.keyring, inbound=message, texts=texts, language=language, meta=reply_meta
            )
            sends = messaging.queue_replies(session, message_id=message_id) if message.reply_via == "rest" else []
            if correspondent.channel is Channel.WHATSAPP and not correspondent.opted_out:
                sends += whatsapp.release_held(session, correspondent_id=correspondent.id, inbound=message)
            session.commit()
        self.send_soon(sends)

    def _keyword_texts(
        self, turn: _Turn, keyword: keywords.Keyword, language: str
    ) -> tuple[list[str], dict[str, Any] | None]:
        """Return what Heard answers to STOP, START or HELP (in any of their languages), and the replies' meta."""
        if keyword.action == "stop":
            # NOTE: Twilio confirms its own English keywords by text; Heard confirms the other languages', and
            # every STOP on WhatsApp, which has no carrier opt-out: Heard's own handling is the only one there.
            confirm = bool(keyword.language) or turn.channel is Channel.WHATSAPP
            return ([t(language, STOPPED, writing=turn.body)] if confirm else []), {"consent_confirmation": True}
        if keyword.action == "start":
            return [t(language, STARTED, writing=turn.body)], None
        return [t(language, HELP, writing=turn.body, phone=self.settings.office_phone)], None

    def _ask_dialogue(self, message_id: int, turn: _Turn) -> DialogueAnswer:
        """Send the resident's words to the dialogue; a dialogue that is down leaves the message to wait."""
        if turn.channel is Channel.WHATSAPP:
            # NOTE: the number without its ``whatsapp:``, sealed vouching for nothing: a status asked on
            # WhatsApp needs the PIN (only a text message's answer is known to reach that very phone).
            phone = messaging.seal_phone(self.keyring, whatsapp.plain_number(turn.phone))
        else:
            phone = messaging.seal_phone(self.keyring, turn.phone, channel=Channel.SMS)
        metadata: dict[str, Any] = {
            "channel": turn.channel.value,
            "phone": phone,
            "phone_last_digits": turn.phone[-4:],
            MESSAGE_ID: f"sms:{message_id}",
        }
        if turn.language:
            metadata["language"] = turn.language
        if turn.received_at is not None:
            # NOTE: "yesterday" counts from when the text arrived, not from when a retried turn runs.
            received = turn.received_at
            received = received if received.tzinfo else received.replace(tzinfo=dt.timezone.utc)
            metadata["received_at"] = received.isoformat()
        if self.settings.narrative_pause_seconds is not None:
            metadata["narrative_pause_seconds"] = self.settings.narrative_pause_seconds
        try:
            return self.rasa.send(sender=turn.conversation_id, text=turn.body, metadata=metadata)
        except DialogueUnavailable:
            log.warning("dialogue unavailable for message %s; it waits and is retried", message_id)
            raise

    def settle_orphans(self) -> int:
        """Send by REST the replies of messages whose webhook died before it answered."""
        cutoff = utcnow() - ORPHAN_AFTER
        settled = 0
        with self.database.session() as session:
            orphans = session.scalars(
                select(Message.id).where(
                    Message.direction == Direction.INBOUND,
                    Message.channel.in_((Channel.SMS, Channel.WHATSAPP)),
                    Message.reply_via.is_(None),
                    Message.created_at < cutoff,
                )
            ).all()
            for message_id in orphans:
                if messaging.decide_reply_via(session, message_id=message_id, via="rest"):
                    messaging.queue_replies(session, message_id=message_id)
                    settled += 1
            session.commit()
        return settled
