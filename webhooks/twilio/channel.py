"""The SMS channel's work: answer each stored message in order, send replies, keep evidence.

The webhook stores a message and gives this service a few seconds to answer it inline;
whatever is not done by then is finished here in the background (in the web process
first, by the ``worker`` process when that one is gone), and the reply goes out
through Twilio's REST API. Every step is keyed by ids already stored, so running a
step twice changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake import evidence, jobs
from intake.conversations import messaging
from intake.crypto import Keyring
from intake.db import Database, utcnow
from intake.enums import Channel, Direction, MessageState
from intake.models import Attachment, Correspondent, Job, Message
from nlu.detect import detect_language, script_language
from webhooks.i18n import _, t
from webhooks.rasa_client import MESSAGE_ID, DialogueUnavailable, RasaClient
from webhooks.twilio import twiml
from webhooks.twilio.config import ChannelSettings
from webhooks.twilio.gateway import PermanentError, TwilioGateway
from webhooks.twilio.spool import Spool

log = logging.getLogger(__name__)

# A resident's first message with this many letters tells their language well enough to keep.
CONFIDENT_LETTERS = 20
TURN_LEASE_SECONDS = 120
# A webhook that has not settled how its replies travel by then has died; the worker settles it.
ORPHAN_AFTER = dt.timedelta(seconds=45)
RECENT_CASE = dt.timedelta(days=7)

HOLDING = _(
    "Thank you, we received your message. It is taking us a little longer than usual to answer; "
    "we will text you back shortly."
)
NO_ANSWER = _(
    "We received your message, but our assistant could not answer it. Please send it again in a moment, or reply HELP."
)
HELP = _(
    "Heard takes reports about police conduct, and thanks for good police work, for the city's independent "
    "police review office. Text us in your own language to start. If you are in danger now, call 911. "
    "To stop messages, reply STOP. To talk with a person, call {phone}."
)
STOPPED = _("You will not get any more messages from Heard. Reply START if you want to receive messages again.")
STARTED = _("Welcome back. You will get messages from Heard again. Text us to make a report, or reply HELP.")
MEDIA_RECEIVED = _("We received the photos or files you sent ({count}). They will be kept with your report.")
MEDIA_TYPE_REJECTED = _(
    "We could not accept a file you sent, because it is not a photo, video, audio recording or PDF document."
)
MEDIA_SIZE_REJECTED = _("We could not accept a file you sent, because it is larger than {size} MB.")
MEDIA_FAILED = _("We could not receive a file you sent. Please try sending it again.")
MACHINE_TRANSLATED = _("(This message was translated from English by a machine. Reply if anything is unclear.)")


def letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


def confident_language(text: str) -> str | None:
    """Return the language ``text`` is clearly written in, or None when it is too short to tell."""
    by_script = script_language(text)
    if by_script:
        return by_script
    if letters(text) >= CONFIDENT_LETTERS:
        return detect_language(text)
    return None


@dataclass(frozen=True)
class _Turn:
    message_id: int
    body: str
    media_count: int
    conversation_id: str
    phone: str
    language: str | None
    opted_out: bool


class SmsChannel:
    """Answers residents who text Heard; built once by the composition root."""

    def __init__(
        self,
        *,
        database: Database,
        keyring: Keyring,
        settings: ChannelSettings,
        instance_dir: Path,
        rasa: RasaClient | None = None,
        gateway: TwilioGateway | None = None,
    ) -> None:
        self.database = database
        self.keyring = keyring
        self.settings = settings
        self.instance_dir = instance_dir
        self.rasa = rasa or RasaClient(settings.rasa_url)
        self.gateway = gateway or TwilioGateway(settings)
        self.spool = Spool(instance_dir / "spool" / "sms", keyring)
        self._executor: ThreadPoolExecutor | None = None

    # -- wiring ---------------------------------------------------------------------------

    def handlers(self) -> dict[str, jobs.Handler]:
        """The job kinds this channel runs."""
        return {
            "sms.turn": self.run_turns,
            "sms.send": self.send,
            "sms.media": self.fetch_media,
            "twilio.media.delete": self.delete_media,
            "voice.recording": self.fetch_recording,
        }

    def chores(self) -> list[Any]:
        """What the worker does on every round besides jobs."""
        return [self.drain_spool, self.settle_orphans]

    @property
    def executor(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="sms-turn")
        return self._executor

    # -- the webhook's side -----------------------------------------------------------------

    def answer_inline(self, message_id: int) -> str:
        """Give the dialogue a few seconds, then answer: its replies, or an honest holding message."""
        deadline = time.monotonic() + self.settings.inline_reply_seconds
        future = self.executor.submit(self._drive, message_id, deadline)
        sends: list[int] = []
        # NOTE: waiting on the future, not polling the database: on SQLite every poll would take the write lock.
        with contextlib.suppress(FutureTimeout):
            future.result(timeout=self.settings.inline_reply_seconds)
        with self.database.session() as session:
            # NOTE: the row lock orders this decision against the turn's own write (see _answer).
            message = session.get(Message, message_id, with_for_update=True)
            assert message is not None
            correspondent = session.get(Correspondent, message.correspondent_id)
            assert correspondent is not None
            if message.state == MessageState.PROCESSED and messaging.decide_reply_via(
                session, message_id=message_id, via="inline"
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

    def replay_answer(self, message_id: int) -> str:
        """Answer a redelivered message exactly as its first delivery was answered."""
        found: list[str] = []

        def answered() -> bool:
            with self.database.session() as session:
                answer = session.scalar(select(Message.answer).where(Message.id == message_id))
                session.rollback()
            if answer is not None:
                found.append(answer)
            return answer is not None

        if jobs.wait_for(answered, timeout=self.settings.inline_reply_seconds + 3, interval=0.1):
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
        while time.monotonic() < deadline:
            outcome = jobs.run_now(self.database, job_id, self.handlers())
            if outcome in ("done", "retrying", "failed") or self._is_processed(message_id):
                return
            time.sleep(0.2)  # another worker holds this resident's turn, or the job is not ready

    # -- turns ------------------------------------------------------------------------------

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
            )

    def _answer(self, message_id: int) -> None:
        """Answer one message: a keyword, or a turn of the dialogue; record the replies."""
        turn = self._read_turn(message_id)
        if turn is None:
            return
        keyword = messaging.classify_keyword(turn.body) if turn.media_count == 0 else None
        texts: list[str] = []
        language = turn.language
        reply_meta: dict[str, Any] | None = None
        switched: str | None = None  # the language the resident chose from the dialogue's menu
        redact = False  # the dialogue took the message as the resident's PIN
        if keyword is not None:
            language = keyword.language or language or "en"
            if keyword.action == "stop":
                # NOTE: Twilio confirms its own English keywords; Heard confirms the other languages'.
                texts = [t(language, STOPPED, writing=turn.body)] if keyword.language else []
                reply_meta = {"consent_confirmation": True}
            elif keyword.action == "start":
                texts = [t(language, STARTED, writing=turn.body)]
            else:
                texts = [t(language, HELP, writing=turn.body, phone=self.settings.office_phone)]
        elif turn.opted_out:
            texts = []  # kept for the record, never answered: they asked for no messages
        else:
            guess = language or detect_language(turn.body) or "en"
            if turn.body.strip():
                metadata: dict[str, Any] = {
                    "channel": Channel.SMS.value,
                    "phone": messaging.seal_phone(self.keyring, turn.phone, channel=Channel.SMS),
                    "phone_last_digits": turn.phone[-4:],
                    MESSAGE_ID: f"sms:{message_id}",
                }
                if language:
                    metadata["language"] = language
                if self.settings.narrative_pause_seconds is not None:
                    metadata["narrative_pause_seconds"] = self.settings.narrative_pause_seconds
                try:
                    answer = self.rasa.send(sender=turn.conversation_id, text=turn.body, metadata=metadata)
                except DialogueUnavailable:
                    log.warning("dialogue unavailable for message %s; it waits and is retried", message_id)
                    raise
                if answer.language:
                    language = switched = answer.language
                redact = answer.redact
                texts = ["\n\n".join(answer.texts)] if answer.texts else []
                if not texts:
                    # NOTE: never silence: a turn the dialogue answers with no words is owned up to.
                    log.warning("the dialogue said nothing to message %s", message_id)
                    texts = [t(language or guess, NO_ANSWER, writing=turn.body)]
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
            session.commit()
        self.send_soon(sends)

    # -- sending ----------------------------------------------------------------------------

    def send(self, payload: dict[str, Any]) -> None:
        """Send one queued text through Twilio, at the sender's pace, never to an opted-out number."""
        message_id = int(payload["message_id"])
        with self.database.session() as session:
            message = session.get(Message, message_id)
            if message is None or message.state != MessageState.QUEUED:
                return
            correspondent = session.get(Correspondent, message.correspondent_id)
            assert correspondent is not None
            confirmation = bool((message.meta or {}).get("consent_confirmation"))
            if correspondent.opted_out and not confirmation:
                message.state = MessageState.SUPPRESSED
                session.commit()
                log.info("message %s not sent: the resident opted out", message_id)
                return
            if not (self.settings.account_sid and self.settings.auth_token and correspondent.service_number):
                raise RuntimeError("Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)")
            wait = self._pace(session, correspondent.service_number)
            if wait > 0:
                session.rollback()
                raise jobs.RetryLater(wait, "pacing to the sender's rate")
            # NOTE: the slot is reserved before the call, so parallel senders keep the pace.
            message.sent_at = utcnow()
            session.commit()
            to = self.keyring.decrypt(correspondent.phone_token)
            from_ = correspondent.service_number
            body = messaging.outbound_text(self.keyring, message)
            if (message.meta or {}).get("machine_translated"):
                language = message.language.value if message.language else "en"
                body = f"{body}\n\n{t(language, MACHINE_TRANSLATED)}"
        assert to is not None
        callback = f"{self.settings.public_base_url}/twilio/status" if self.settings.public_base_url else None
        try:
            sent = self.gateway.send_sms(to=to, from_=from_, body=body, status_callback=callback)
        except PermanentError as exc:
            with self.database.session() as session:
                message = session.get(Message, message_id)
                assert message is not None
                message.state = MessageState.FAILED
                message.error_code = exc.code[:16]
                session.commit()
            log.error("message %s refused by Twilio: %s", message_id, exc)
            return
        with self.database.session() as session:
            message = session.get(Message, message_id)
            assert message is not None
            message.provider_id = sent.sid
            message.state = MessageState.SENT
            message.sent_at = utcnow()
            message.segments = sent.segments or message.segments
            if message.delivery_status is None:
                message.delivery_status = sent.status
            session.commit()

    def _pace(self, session: Session, service_number: str) -> float:
        last = messaging.last_sent_at(session, service_number=service_number)
        if last is None:
            return 0.0
        gap = 1.0 / self.settings.send_rate_per_second
        elapsed = (utcnow() - last).total_seconds()
        return float(max(0.0, gap - elapsed))

    # -- evidence ---------------------------------------------------------------------------

    def fetch_media(self, payload: dict[str, Any]) -> None:
        """Download an MMS's media with Heard's credentials, check and keep it, then delete it at Twilio."""
        message_id = int(payload["message_id"])
        with self.database.session() as session:
            message = session.get(Message, message_id)
            if message is None:
                return
            media = list((message.meta or {}).get("media") or [])
            conversation_id = message.conversation_id
            kept = {
                (a.meta or {}).get("index")
                for a in session.scalars(select(Attachment).where(Attachment.message_id == message_id))
            }
            rejected = {r.get("index") for r in (message.meta or {}).get("media_rejected") or []}
            session.rollback()
        for index, item in enumerate(media):
            if index in kept or index in rejected:
                continue
            data, served_type = self.gateway.download_media(item["url"], max_bytes=self.settings.media_max_bytes)
            declared = item.get("content_type") or served_type
            try:
                real_type = evidence.check(data, declared, max_bytes=self.settings.media_max_bytes)
            except evidence.EvidenceRejected as exc:
                self._reject_media(message_id, index, exc.reason, str(exc))
                continue
            stored = evidence.store(self.instance_dir, self.keyring, data, real_type)
            with self.database.session() as session:
                case = (
                    messaging.latest_case_of_conversation(session, conversation_id=conversation_id)
                    if conversation_id
                    else None
                )
                recent = case is not None and utcnow() - case.created_at < RECENT_CASE
                session.add(
                    Attachment(
                        case_id=case.id if recent and case else None,
                        message_id=message_id,
                        conversation_id=conversation_id,
                        content_type=stored.content_type,
                        size_bytes=stored.size_bytes,
                        sha256=stored.sha256,
                        storage_key=stored.storage_key,
                        meta={
                            "provider": "twilio",
                            "index": index,
                            "declared_type": declared,
                            "media_path": urlsplit(item["url"]).path,
                            "received_at": utcnow().isoformat(),
                        },
                    )
                )
                jobs.enqueue(
                    session,
                    kind="twilio.media.delete",
                    payload={"url": item["url"]},
                    dedupe_key=f"twilio.media.delete:{urlsplit(item['url']).path}"[:200],
                )
                session.commit()

    def _reject_media(self, message_id: int, index: int, reason: str, detail: str) -> None:
        with self.database.session() as session:
            message = session.get(Message, message_id)
            assert message is not None
            correspondent = session.get(Correspondent, message.correspondent_id)
            assert correspondent is not None
            rejected = list((message.meta or {}).get("media_rejected") or [])
            rejected.append({"index": index, "reason": reason, "detail": detail})
            message.meta = {**(message.meta or {}), "media_rejected": rejected}
            language = correspondent.language.value if correspondent.language else "en"
            if reason == "type":
                text = t(language, MEDIA_TYPE_REJECTED)
            elif reason == "size":
                text = t(language, MEDIA_SIZE_REJECTED, size=self.settings.media_max_bytes // (1024 * 1024))
            else:
                text = t(language, MEDIA_FAILED)
            if not correspondent.opted_out:
                messaging.queue_outbound(session, correspondent=correspondent, texts=[text], language=language)
            session.commit()
        log.info("media %d of message %s rejected: %s", index, message_id, reason)

    def fetch_recording(self, payload: dict[str, Any]) -> None:
        """Keep a call's recording (the caller's own words) as evidence, then delete it at Twilio."""
        url = str(payload["url"])
        conversation_id = payload.get("conversation_id")
        message_id = payload.get("message_id")
        if message_id is not None and conversation_id is None:
            with self.database.session() as session:
                conversation_id = session.scalar(select(Message.conversation_id).where(Message.id == message_id))
                session.rollback()
        with self.database.session() as session:
            found = session.scalars(select(Attachment).where(Attachment.storage_key.is_not(None))).all()
            if any((a.meta or {}).get("media_path") == urlsplit(url).path for a in found):
                session.rollback()
                return
            session.rollback()
        data, served_type = self.gateway.download_media(url, max_bytes=self.settings.media_max_bytes * 20)
        real_type = evidence.check(data, served_type or "audio/wav", max_bytes=self.settings.media_max_bytes * 20)
        stored = evidence.store(self.instance_dir, self.keyring, data, real_type)
        with self.database.session() as session:
            case = (
                messaging.latest_case_of_conversation(session, conversation_id=conversation_id)
                if conversation_id
                else None
            )
            session.add(
                Attachment(
                    case_id=case.id if case else None,
                    message_id=message_id,
                    conversation_id=conversation_id,
                    content_type=stored.content_type,
                    size_bytes=stored.size_bytes,
                    sha256=stored.sha256,
                    storage_key=stored.storage_key,
                    filename="call-recording.wav",
                    meta={
                        "provider": "twilio",
                        "kind": "call recording",
                        "media_path": urlsplit(url).path,
                        "duration_seconds": payload.get("duration"),
                        "received_at": utcnow().isoformat(),
                    },
                )
            )
            jobs.enqueue(
                session,
                kind="twilio.media.delete",
                payload={"url": url},
                dedupe_key=f"twilio.media.delete:{urlsplit(url).path}"[:200],
            )
            session.commit()

    def delete_media(self, payload: dict[str, Any]) -> None:
        """Delete a media item at Twilio now that Heard holds its own encrypted copy."""
        self.gateway.delete_media(str(payload["url"]))

    # -- recovery ---------------------------------------------------------------------------

    def drain_spool(self) -> int:
        """Store the messages that arrived while the database was down; return how many."""
        stored = 0
        for path, inbound in self.spool.items():
            with self.database.session() as session:
                message, created = messaging.receive_text(session, keyring=self.keyring, inbound=inbound)
                if created:
                    # The webhook already answered with a holding message: replies go by REST.
                    message.reply_via = "rest"
                    message.answer = messaging.seal_answer(self.keyring, self.holding_answer(inbound.body))
                session.commit()
            self.spool.remove(path)
            stored += 1
        if stored:
            log.info("stored %d spooled message(s)", stored)
        return stored

    def settle_orphans(self) -> int:
        """Send by REST the replies of messages whose webhook died before it answered."""
        cutoff = utcnow() - ORPHAN_AFTER
        settled = 0
        with self.database.session() as session:
            orphans = session.scalars(
                select(Message.id).where(
                    Message.direction == Direction.INBOUND,
                    Message.channel == Channel.SMS,
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
