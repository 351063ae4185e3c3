"""Outbound texts: each queued reply goes out through Twilio's REST API, paced per number; spooled texts are drained."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from intake import jobs
from intake.cases import updates
from intake.conversations import messaging, whatsapp
from intake.db import utcnow
from intake.enums import Channel, Language, MessageState
from intake.models import Case, Correspondent, Message
from webhooks.i18n import t
from webhooks.twilio.gateway import PermanentError
from webhooks.twilio.state import ChannelState
from webhooks.twilio.texts import MACHINE_TRANSLATED, WHATSAPP_NEW_MESSAGE

log = logging.getLogger(__name__)


class OutboundSender(ChannelState):
    """Sends queued texts through Twilio, paced; drains the spool of texts that could not be stored."""

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
            later = updates.not_before(session, message)
            if later is not None:
                session.rollback()
                raise jobs.RetryLater((later - utcnow()).total_seconds(), "outside the resident's safe contact times")
            if not (self.settings.account_sid and self.settings.auth_token and correspondent.service_number):
                raise RuntimeError("Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)")
            template = (message.meta or {}).get("content_sid")
            if (
                correspondent.channel is Channel.WHATSAPP
                and not template
                and (
                    (message.meta or {}).get("outside_window")
                    or not whatsapp.window_open(session, correspondent_id=correspondent.id)
                )
            ):
                self._hold_for_window(session, message, correspondent)
                session.commit()
                return
            wait = self._pace(session, correspondent.service_number)
            if wait > 0:
                session.rollback()
                raise jobs.RetryLater(wait, "pacing to the sender's rate")
            # NOTE: the slot is reserved before the call, so parallel senders keep the pace; only while
            # the text is still queued (a newer update may have withdrawn it since it was read).
            reserved = session.execute(
                update(Message)
                .where(Message.id == message_id, Message.state == MessageState.QUEUED)
                .values(sent_at=utcnow())
                .execution_options(synchronize_session="fetch")
            )
            session.commit()
            if not reserved.rowcount:  # type: ignore[attr-defined]
                log.info("message %s not sent: withdrawn before it went", message_id)
                return
            to = self.keyring.decrypt(correspondent.phone_token)
            from_ = correspondent.service_number
            body = messaging.outbound_text(self.keyring, message)
            if (message.meta or {}).get("machine_translated"):
                language = message.language.value if message.language else "en"
                body = f"{body}\n\n{t(language, MACHINE_TRANSLATED)}"
        assert to is not None
        callback = f"{self.settings.public_base_url}/twilio/status" if self.settings.public_base_url else None
        try:
            if template:
                sent = self.gateway.send_template(
                    to=to, from_=from_, content_sid=template, variables={"1": body}, status_callback=callback
                )
            else:
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

    def _hold_for_window(self, session: Session, message: Message, correspondent: Correspondent) -> None:
        """Hold a WhatsApp text outside the 24-hour window; tell the resident once, by template, that it waits."""
        # NOTE: told once since the resident last wrote, even if the text that caused it was withdrawn since.
        told = whatsapp.told_by_template(session, correspondent_id=correspondent.id)
        language = (correspondent.language or message.language or Language.EN).value
        content_sid = self.settings.whatsapp_template(language)
        template_id = None
        if not told and content_sid:
            (notice,) = messaging.queue_outbound(
                session,
                correspondent=correspondent,
                texts=[t(language, WHATSAPP_NEW_MESSAGE)],
                language=language,
                case=session.get(Case, message.case_id) if message.case_id else None,
                meta={"content_sid": content_sid, "for_message_id": message.id},
            )
            template_id = notice.id
        elif not told:
            # NOTE: held all the same, and visible on the case as held; it goes when the resident writes.
            log.warning("message %s held: no WhatsApp template is configured (HEARD_WHATSAPP_TEMPLATE_EN)", message.id)
        whatsapp.hold(message, template_message_id=template_id)
        log.info("message %s held until the resident writes again (WhatsApp's 24-hour window)", message.id)

    def _pace(self, session: Session, service_number: str) -> float:
        last = messaging.last_sent_at(session, service_number=service_number)
        if last is None:
            return 0.0
        gap = 1.0 / self.settings.send_rate_per_second
        elapsed = (utcnow() - last).total_seconds()
        return float(max(0.0, gap - elapsed))

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
