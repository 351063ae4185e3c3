"""Media: photos and files residents send by MMS, and call recordings, fetched into evidence and deleted from Twilio."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake import evidence, jobs
from intake.conversations import messaging
from intake.db import utcnow
from intake.models import Attachment, Correspondent, Message
from webhooks.i18n import t
from webhooks.twilio.gateway import PermanentError
from webhooks.twilio.state import ChannelState
from webhooks.twilio.texts import MEDIA_FAILED, MEDIA_HELD, MEDIA_ITEM_FAILED, MEDIA_SIZE_REJECTED, MEDIA_TYPE_REJECTED

log = logging.getLogger(__name__)

# A download that fails this many times (a network error, Twilio's 5xx) is given up and the resident told.
FETCH_TRIES = 3


class MediaNotFetched(Exception):
    """Some items of an MMS could not be fetched yet; the others are kept, and the job tries these again."""


class MediaFetcher(ChannelState):
    """Fetches MMS media and call recordings into evidence; deletes them from Twilio afterwards."""

    def fetch_media(self, payload: dict[str, Any]) -> None:
        """Download each of an MMS's media on its own, check and keep it, then delete it at Twilio.

        NOTE: one item failing never stops the others; an item is retried with the job
        until ``FETCH_TRIES``, then the resident is told which one did not arrive.
        """
        message_id = int(payload["message_id"])
        with self.database.session() as session:
            message = session.get(Message, message_id)
            if message is None:
                return
            media = list((message.meta or {}).get("media") or [])
            conversation_id = message.conversation_id
            received_at = message.created_at
            kept = {
                (a.meta or {}).get("index")
                for a in session.scalars(select(Attachment).where(Attachment.message_id == message_id))
            }
            rejected = {r.get("index") for r in (message.meta or {}).get("media_rejected") or []}
            session.rollback()
        failing = []
        for index, item in enumerate(media):
            if index in kept or index in rejected:
                continue
            try:
                self._keep_item(message_id, index, item, conversation_id=conversation_id, received_at=received_at)
            except PermanentError as exc:  # Twilio no longer has it: asking again will not help
                log.warning("media %d of message %s: %s", index, message_id, exc)
                self._reject_media(message_id, index, "fetch", str(exc), count=len(media))
            except Exception as exc:  # a network error or Twilio's 5xx: this item only, tried again later
                log.warning("media %d of message %s not fetched: %s", index, message_id, exc)
                if self._count_failure(message_id, index) >= FETCH_TRIES:
                    self._reject_media(message_id, index, "fetch", f"{type(exc).__name__}: {exc}", count=len(media))
                else:
                    failing.append(index)
        if failing:
            raise MediaNotFetched(f"media {failing} of message {message_id} not fetched yet")

    def _keep_item(
        self,
        message_id: int,
        index: int,
        item: dict[str, Any],
        *,
        conversation_id: str | None,
        received_at: dt.datetime,
    ) -> None:
        data, served_type = self.gateway.download_media(item["url"], max_bytes=self.settings.media_max_bytes)
        declared = item.get("content_type") or served_type
        try:
            real_type = evidence.check(data, declared, max_bytes=self.settings.media_max_bytes)
        except evidence.EvidenceRejected as exc:
            self._reject_media(message_id, index, exc.reason, str(exc))
            return
        stored = evidence.store(self.storage, self.keyring, data, real_type)
        with self.database.session() as session:
            home = messaging.evidence_home(session, conversation_id=conversation_id, received_at=received_at)
            session.add(
                Attachment(
                    case_id=home.case.id if home.case else None,
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
                        **(
                            {"held": "an earlier case of this conversation is referred, closed or not recent"}
                            if home.held
                            else {}
                        ),
                    },
                )
            )
            if home.held:
                self._tell_held_once(session, message_id)
            jobs.enqueue(
                session,
                kind="twilio.media.delete",
                payload={"url": item["url"]},
                dedupe_key=f"twilio.media.delete:{urlsplit(item['url']).path}"[:200],
            )
            session.commit()

    def _count_failure(self, message_id: int, index: int) -> int:
        """Count one more failed download of an item; return how many it has had."""
        with self.database.session() as session:
            message = session.get(Message, message_id, with_for_update=True)
            assert message is not None
            failures = dict((message.meta or {}).get("media_failures") or {})
            tries = int(failures.get(str(index), 0)) + 1
            failures[str(index)] = tries
            message.meta = {**(message.meta or {}), "media_failures": failures}
            session.commit()
            return tries

    def _tell_held_once(self, session: Session, message_id: int) -> None:
        """Tell the resident, once per message, that their media wait for the report they are making."""
        message = session.get(Message, message_id)
        assert message is not None
        if (message.meta or {}).get("media_held_told"):
            return
        message.meta = {**(message.meta or {}), "media_held_told": True}
        correspondent = session.get(Correspondent, message.correspondent_id)
        if correspondent is None or correspondent.opted_out:
            return
        language = correspondent.language.value if correspondent.language else "en"
        text = t(language, MEDIA_HELD, phone=self.settings.office_phone)
        messaging.queue_outbound(session, correspondent=correspondent, texts=[text], language=language)

    def _reject_media(self, message_id: int, index: int, reason: str, detail: str, *, count: int = 1) -> None:
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
            elif count > 1:
                text = t(language, MEDIA_ITEM_FAILED, number=index + 1, count=count)
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
        stored = evidence.store(self.storage, self.keyring, data, real_type)
        with self.database.session() as session:
            home = messaging.evidence_home(session, conversation_id=conversation_id, received_at=utcnow())
            session.add(
                Attachment(
                    case_id=home.case.id if home.case else None,
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
