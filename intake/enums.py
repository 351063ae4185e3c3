"""Closed vocabularies of the intake queue."""

from __future__ import annotations

import enum


class StrEnum(enum.StrEnum):
    """The standard library's string enum, with ``values()``."""

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def values(cls) -> list[str]:
        """Return every member's value, in declaration order."""
        return [member.value for member in cls]


class Kind(StrEnum):
    COMPLAINT = "complaint"
    COMMENDATION = "commendation"


class Status(StrEnum):
    RECEIVED = "received"
    TRIAGE = "triage"
    ASSIGNED = "assigned"
    INVESTIGATING = "investigating"
    REFERRED = "referred"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class Disposition(StrEnum):
    SUSTAINED = "sustained"
    NOT_SUSTAINED = "not_sustained"
    EXONERATED = "exonerated"
    UNFOUNDED = "unfounded"
    POLICY_FAILURE = "policy_failure"
    MEDIATED = "mediated"
    NO_JURISDICTION = "no_jurisdiction"
    DUPLICATE = "duplicate"
    ACKNOWLEDGED = "acknowledged"  # a commendation passed on to the officer and command


class Channel(StrEnum):
    SMS = "sms"
    VOICE = "voice"
    TTY = "tty"
    RELAY = "relay"
    WEB_CHAT = "web_chat"
    WEB_FORM = "web_form"
    PARTNER = "partner"
    IN_PERSON = "in_person"
    MAIL = "mail"
    WHATSAPP = "whatsapp"  # WhatsApp through Twilio: addresses ``whatsapp:+1…`` on the Messaging webhook
    EMAIL = "email"  # Heard's emails to residents who chose email (Heard receives none)


class Language(StrEnum):
    EN = "en"
    ES = "es"
    TL = "tl"
    VI = "vi"
    ZH = "zh"
    KM = "km"
    HMN = "hmn"
    LO = "lo"
    PA = "pa"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Role(StrEnum):
    INTAKE = "intake"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    LIAISON = "liaison"


class PreferredContact(StrEnum):
    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    NONE = "none"


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"  # parked after its last attempt (or its last worker died); `intake jobs retry-dead`


class MessageState(StrEnum):
    """Where a message is in its own life, apart from the provider's delivery status."""

    RECEIVED = "received"  # inbound, stored, not yet answered
    PROCESSED = "processed"  # inbound, its turn is done and its replies recorded
    PENDING = "pending"  # outbound reply waiting: inline in the webhook's answer, or sent by REST
    INLINE = "inline"  # outbound, delivered in the webhook's own answer (TwiML)
    QUEUED = "queued"  # outbound, to be sent through the provider's REST API
    SENT = "sent"  # outbound, accepted by the provider
    SUPPRESSED = "suppressed"  # outbound, never sent: the resident opted out
    HELD = "held"  # outbound WhatsApp text outside the 24-hour window: sent when the resident next writes
    FAILED = "failed"
