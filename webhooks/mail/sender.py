"""The worker's email sender: each queued email goes through the SMTP relay, with retries; refusals are kept."""

from __future__ import annotations

import html
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from intake import inputs, jobs
from intake.cases import tracking, updates
from intake.conversations import mail
from intake.crypto import Keyring
from intake.db import Database, utcnow
from intake.enums import MessageState
from intake.models import Case, Message
from nlu.languages import CODES
from webhooks.i18n import t
from webhooks.mail.config import MailSettings
from webhooks.mail.texts import FOOTER, INTRO, SUBJECT
from webhooks.twilio.texts import MACHINE_TRANSLATED

log = logging.getLogger(__name__)
RTL: frozenset[str] = frozenset()  # none of Heard's languages is written right to left


class MailError(Exception):
    """The relay did not take an email; ``permanent`` when trying again cannot help (a bounce)."""

    def __init__(self, code: str, reason: str, *, permanent: bool) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.permanent = permanent


@dataclass(frozen=True)
class Letter:
    """An email ready to go: who it is for, and the message itself."""

    to: str
    message: EmailMessage


def _content_language(language: str) -> str:
    return language.replace("_", "-")


def compose(
    *,
    settings: MailSettings,
    to: str,
    language: str,
    tracking_number: str,
    text: str,
    machine_translated: bool,
    writing: str,
) -> EmailMessage:
    """Write the email: plain text and HTML, in the resident's language; only the catalog's words and ``text``."""
    lang = language if language in CODES else "en"
    intro = t(lang, INTRO, writing=writing, tracking_number=tracking_number)
    footer = t(lang, FOOTER, writing=writing, phone=settings.office_phone)
    note = t(lang, MACHINE_TRANSLATED, writing=writing) if machine_translated else ""
    subject = t(lang, SUBJECT, writing=writing)
    plain = "\n\n".join(part for part in (intro, text, note, "-- ", footer) if part)
    paragraphs = "".join(
        f"<p>{html.escape(paragraph).replace(chr(10), '<br>')}</p>\n" for paragraph in text.split("\n\n") if paragraph
    )
    body = (
        f'<!DOCTYPE html>\n<html lang="{_content_language(lang)}" dir="{"rtl" if lang in RTL else "ltr"}">\n'
        f'<head><meta charset="utf-8"><title>{html.escape(subject)}</title></head>\n<body>\n'
        f"<p>{html.escape(intro)}</p>\n<blockquote>\n{paragraphs}</blockquote>\n"
        + (f"<p><small>{html.escape(note)}</small></p>\n" if note else "")
        + f"<hr>\n<p><small>{html.escape(footer)}</small></p>\n</body>\n</html>\n"
    )
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.mail_from
    message["To"] = to
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=settings.envelope_from.rsplit("@", 1)[-1])
    message.set_content(plain)
    message.add_alternative(body, subtype="html")
    # NOTE: after the parts are made: making them moves every Content- header into the first part.
    message["Content-Language"] = _content_language(lang)
    return message


class MailSender:
    """Sends the emails the queue holds; built once by the composition root, run by the worker."""

    def __init__(self, *, database: Database, keyring: Keyring, settings: MailSettings) -> None:
        self.database = database
        self.keyring = keyring
        self.settings = settings

    def handlers(self) -> dict[str, jobs.Handler]:
        """The job kinds this sender runs."""
        return {mail.SEND_KIND: self.send}

    def send(self, payload: dict[str, Any]) -> None:
        """Send one queued email; a refusal is kept on the case, anything else is tried again later."""
        message_id = int(payload["message_id"])
        with self.database.session() as session:
            message = session.get(Message, message_id)
            if message is None or message.state != MessageState.QUEUED:
                return
            later = updates.not_before(session, message)
            if later is not None:
                session.rollback()
                raise jobs.RetryLater((later - utcnow()).total_seconds(), "outside the resident's safe contact times")
            attempt = mail.record_attempt(message)
            try:
                letter = self._letter(session, message)
                if not self.settings.configured:
                    raise MailError("not-configured", "HEARD_SMTP_URL and HEARD_MAIL_FROM are not set", permanent=False)
                session.commit()
                self.deliver(letter)
            except MailError as exc:
                final = exc.permanent or attempt >= mail.ATTEMPTS
                message = session.get(Message, message_id)
                assert message is not None
                mail.record_failure(message, code=exc.code, reason=exc.reason, final=final)
                session.commit()
                log.warning(
                    "email %s not sent (attempt %d%s): %s", message_id, attempt, ", final" if final else "", exc
                )
                if not final:
                    # NOTE: the worker's own back-off spans a minute; a relay may be down for hours.
                    raise jobs.RetryLater(mail.retry_delay(attempt), str(exc)) from exc
                return
            message = session.get(Message, message_id)
            assert message is not None
            mail.record_sent(message, message_id_header=str(letter.message["Message-ID"]), sent_at=utcnow())
            session.commit()

    def _letter(self, session: Any, message: Message) -> Letter:
        case = session.get(Case, message.case_id) if message.case_id else None
        contact = case.contact if case is not None else None
        to = self.keyring.decrypt(contact.email_token) if contact is not None else None
        if case is None or not to:
            raise MailError("no-address", "the case holds no email address", permanent=True)
        mailbox = inputs.email_address(to)
        if mailbox is None:
            # NOTE: kept by an earlier Heard that took more than one plain mailbox; never written into a header.
            raise MailError("bad-address", "the case's email address is not one plain mailbox", permanent=True)
        to = mailbox  # an international domain in its ASCII form
        meta = message.meta or {}
        composed = compose(
            settings=self.settings,
            to=to,
            language=case.language.value,
            tracking_number=tracking.format_tracking_number(case.tracking_number),
            text=message.body,
            machine_translated=bool(meta.get("machine_translated")),
            # NOTE: read only to tell Traditional from Simplified Chinese; never written into the email.
            writing=case.narrative[:200] if case.language.value == "zh" else "",
        )
        return Letter(to=to, message=composed)

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        assert settings.host is not None
        context = ssl.create_default_context(cafile=settings.ca_file)
        if settings.implicit_tls:
            return smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout_seconds, context=context)
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
        smtp.ehlo()
        if settings.starttls:
            if not smtp.has_extn("starttls"):
                smtp.close()
                raise MailError("no-starttls", "the relay does not offer STARTTLS", permanent=False)
            smtp.starttls(context=context)
            smtp.ehlo()
        return smtp

    def deliver(self, letter: Letter) -> None:
        """Hand one email to the relay; raise MailError, permanent for a 5xx refusal of it."""
        try:
            with self._connect() as smtp:
                if self.settings.username:
                    smtp.login(self.settings.username, self.settings.password or "")
                smtp.send_message(letter.message, from_addr=self.settings.envelope_from, to_addrs=[letter.to])
        except smtplib.SMTPRecipientsRefused as exc:
            code = min((int(c) for c, _ in exc.recipients.values()), default=550)
            raise _refusal(code, "the resident's address was refused") from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise _refusal(int(exc.smtp_code), "the relay refused the email") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(f"smtp-{exc.smtp_code}", "the relay refused Heard's credentials", permanent=False) from None
        except ssl.SSLError as exc:
            raise MailError("tls", f"TLS with the relay failed ({type(exc).__name__})", permanent=False) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(
                "unreachable", f"the relay could not be reached ({type(exc).__name__})", permanent=False
            ) from None


def _refusal(code: int, reason: str) -> MailError:
    """A 5xx answer is a bounce (never retried); a 4xx one is the relay asking to try later."""
    return MailError(f"smtp-{code}", f"{reason} ({code})", permanent=500 <= code < 600)
