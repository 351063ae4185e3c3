"""Media: photos and files residents send by MMS, and call recordings, fetched into evidence and deleted from Twilio."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from intake import evidence, jobs
from intake.conversations import messaging
from intake.db import utcnow
from intake.models import Attachment, Correspondent, Message
from webhooks.i18n import t
from webhooks.twilio.state import ChannelState
from webhooks.twilio.texts import MEDIA_FAILED, MEDIA_SIZE_REJECTED, MEDIA_TYPE_REJECTED

log = logging.getLogger(__name__)

RECENT_CASE = dt.timedelta(days=7)


class MediaFetcher(ChannelState):
    """Fetches MMS media and call recordings into evidence; deletes them from Twilio afterwards."""

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
