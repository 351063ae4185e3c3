"""The intake queue's tables.

Nothing here is deleted by the queue's own work: a correction is a new revision, a
status change is a new row, a superseded note points to its successor. Only the
retention schedule (``intake.retention``) removes data, and it audits each removal.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.db import Base, UTCDateTime, utcnow
from intake.enums import (
    Channel,
    Direction,
    Disposition,
    JobState,
    Kind,
    Language,
    MessageState,
    PreferredContact,
    Role,
    Status,
    StrEnum,
)


def _trigram_indexes(table: str, *columns: str) -> tuple[Index, ...]:
    """Return the PostgreSQL trigram indexes that serve the queue's substring search on ``columns``.

    SQLite has no such index; there the search uses the FTS5 tables migration 0007 creates.
    """
    return tuple(
        Index(
            f"ix_{table}_{column}_trgm",
            column,
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
            info={"dialects": ("postgresql",)},
        ).ddl_if(dialect="postgresql")
        for column in columns
    )


def _enum(cls: type[StrEnum]) -> SAEnum:
    """Store an enum as its plain string value (portable, no native type to migrate)."""
    return SAEnum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Partner(Base):
    """A community organisation (or Heard's own channel) allowed to file through the API."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    token_prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_digest: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffUser(Base):
    """A member of the intake office (or an auditor, or the police liaison)."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    totp_secret_token: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffSession(Base):
    """A signed-in console session, kept on the server so that it can be ended: the cookie holds only its token.

    The database keeps the token's keyed digest. A session ends on sign-out, on "sign out
    everywhere", and when the member's password or role changes.
    """

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(32))


class SignInThrottle(Base):
    """Wrong passwords and codes for one account from one address, and how long that address must wait.

    Keyed by a keyed digest of the account and the address, so the table holds no address.
    """

    __tablename__ = "sign_in_throttles"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    wait_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Case(Base):
    """A complaint or commendation, with every answer kept in the resident's own words."""

    __tablename__ = "cases"
    # The console's queue: newest first within a status, and per-language counts and pages.
    __table_args__ = (
        Index("ix_cases_status_created_at", "status", "created_at"),
        Index("ix_cases_language_status_created_at", "language", "status", "created_at"),
        *_trigram_indexes("cases", "narrative", "location", "officers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_number: Mapped[str] = mapped_column(String(10), unique=True)
    pin_digest: Mapped[str] = mapped_column(String(64))
    # Wrong PINs (or phones) tried against this case, counted in the database so every process
    # shares the count; at the limit the PIN is locked until staff unlock it.
    pin_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pin_locked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    kind: Mapped[Kind] = mapped_column(_enum(Kind))
    status: Mapped[Status] = mapped_column(_enum(Status), default=Status.RECEIVED, index=True)
    disposition: Mapped[Disposition | None] = mapped_column(_enum(Disposition))
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    language: Mapped[Language] = mapped_column(_enum(Language))
    category: Mapped[str | None] = mapped_column(String(64))
    narrative: Mapped[str] = mapped_column(Text)
    incident_time_text: Mapped[str | None] = mapped_column(Text)
    incident_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    location: Mapped[str | None] = mapped_column(Text)
    officers: Mapped[str | None] = mapped_column(Text)
    injuries: Mapped[str | None] = mapped_column(Text)
    witnesses: Mapped[str | None] = mapped_column(Text)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_interpreter: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where the machine translation of the resident's words stands: pending, done, needs_interpreter, failed.
    translation_status: Mapped[str | None] = mapped_column(String(20), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # A duplicate is closed and points at the case it was merged into; its records stay its own.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A legal hold (set by a supervisor, with a reason): retention never purges a held case.
    legal_hold_reason: Mapped[str | None] = mapped_column(Text)
    legal_hold_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    legal_hold_by: Mapped[str | None] = mapped_column(String(120))
    # When retention removed the contact details, and the resident's words, files and transcript.
    contact_purged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    content_purged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The record's completeness as it was before its words were purged, so reports still score it.
    record_quality: Mapped[dict[str, bool] | None] = mapped_column(JSON)

    contact: Mapped[Contact | None] = relationship(back_populates="case", uselist=False)
    status_changes: Mapped[list[StatusChange]] = relationship(back_populates="case", order_by="StatusChange.id")
    revisions: Mapped[list[CaseRevision]] = relationship(order_by="CaseRevision.version")
    notes: Mapped[list[StaffNote]] = relationship(order_by="StaffNote.id")
    messages: Mapped[list[Message]] = relationship(order_by="Message.id")
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id")


class Contact(Base):
    """How to reach the filer; every field encrypted at rest (Fernet tokens)."""

    __tablename__ = "case_contacts"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    name_token: Mapped[str | None] = mapped_column(Text)
    phone_token: Mapped[str | None] = mapped_column(Text)
    email_token: Mapped[str | None] = mapped_column(Text)
    preferred: Mapped[PreferredContact] = mapped_column(_enum(PreferredContact), default=PreferredContact.NONE)
    # Keyed digest of the E.164 number, so a status look-up by phone needs no decryption.
    phone_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="contact")


class CaseRevision(Base):
    """A correction of a case's fields: what changed, from what, by whom and why."""

    __tablename__ = "case_revisions"
    __table_args__ = (UniqueConstraint("case_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    previous: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class StatusChange(Base):
    """One step of a case through its lifecycle."""

    __tablename__ = "status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    from_status: Mapped[Status | None] = mapped_column(_enum(Status))
    to_status: Mapped[Status] = mapped_column(_enum(Status))
    disposition: Mapped[Disposition | None] = mapped_column(_enum(Disposition))
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="status_changes")


class CaseOfficer(Base):
    """An officer or unit staff identified on a case; an edit is a new row, a removal only ends the old one.

    Every field is optional free text, kept like the case's other text. The resident's own
    words about the officers stay in ``Case.officers``, untouched.
    """

    __tablename__ = "case_officers"
    __table_args__ = _trigram_indexes("case_officers", "name", "badge_number", "unit")

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    name: Mapped[str | None] = mapped_column(Text)
    badge_number: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    # The entry this one corrects, if it is an edit.
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("case_officers.id"))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the entry was edited (a newer one supersedes it) or removed; current entries have none.
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(120))


class StaffNote(Base):
    """A staff member's note on a case; an edit is a new note that supersedes the old."""

    __tablename__ = "staff_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    body: Mapped[str] = mapped_column(Text)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("staff_notes.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Message(Base):
    """One message in or out, on any channel; the provider's id makes redelivery harmless."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    direction: Mapped[Direction] = mapped_column(_enum(Direction))
    provider_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    conversation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    language: Mapped[Language | None] = mapped_column(_enum(Language))
    body: Mapped[str] = mapped_column(Text, default="")
    delivery_status: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    correspondent_id: Mapped[int | None] = mapped_column(ForeignKey("correspondents.id"), index=True)
    state: Mapped[MessageState | None] = mapped_column(_enum(MessageState))
    # An outbound reply points at the inbound message it answers.
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    # Inbound: how its replies travel, decided once ("inline" in the answer, or "rest").
    reply_via: Mapped[str | None] = mapped_column(String(8))
    # Inbound: the exact answer given, so a redelivery gets the same one.
    answer: Mapped[str | None] = mapped_column(Text)
    segments: Mapped[int | None] = mapped_column(Integer)
    error_code: Mapped[str | None] = mapped_column(String(16))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # What the provider told us beyond the text (media types, counts, Twilio's ids), for investigators.
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Attachment(Base):
    """Evidence a resident sent: photo, video, audio or document, addressed by its SHA-256."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    content_type: Mapped[str] = mapped_column(String(128))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Evidence arrives before its case exists; the conversation ties them together.
    conversation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # Where it came from (provider, media id, original content type and URL path), for investigators.
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class EvidenceShare(Base):
    """A supervisor's explicit share of one original file with the police liaison, with the reason; revocable.

    Without one, a liaison gets only images re-encoded without their metadata, and never a
    call recording, a video, a sound file, a document or an image Heard cannot re-encode.
    """

    __tablename__ = "evidence_shares"

    id: Mapped[int] = mapped_column(primary_key=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id"), index=True)
    shared_by: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))


class IdempotencyKey(Base):
    """An idempotency key and the answer it got, so a repeat gets the same answer.

    ``scope`` keeps callers apart: ``partner:<id>`` for a partner, ``bot`` for the dialogue.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    request_digest: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    # The answer holds the PIN, so it is kept as a Fernet token, never in clear.
    response_token: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """One link of the hash-chained audit log; rows are only ever appended."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's last link, one row, locked by every append so appends never fork."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class Correspondent(Base):
    """A phone number Heard talks with by text or voice; the number itself is only kept encrypted."""

    __tablename__ = "correspondents"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_digest: Mapped[str] = mapped_column(String(64), unique=True)
    # None once the retention schedule removed the number; their next text sets it again.
    phone_token: Mapped[str | None] = mapped_column(Text)
    # The dialogue's sender id: a keyed hash, so Rasa never sees the number.
    conversation_id: Mapped[str] = mapped_column(String(64), unique=True)
    # The language the resident chose or clearly wrote in; None until one is known.
    language: Mapped[Language | None] = mapped_column(_enum(Language))
    # How they write: a text message, or WhatsApp (their address and ours are then ``whatsapp:+1…``).
    channel: Mapped[Channel] = mapped_column(_enum(Channel), default=Channel.SMS, server_default=Channel.SMS.value)
    # Heard's own number the resident last wrote to, replies go out from it.
    service_number: Mapped[str | None] = mapped_column(String(32))
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    # One worker at a time answers a resident, so their messages are answered in order.
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsentChange(Base):
    """A resident's STOP or START, kept as the record of their consent."""

    __tablename__ = "consent_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    correspondent_id: Mapped[int] = mapped_column(ForeignKey("correspondents.id"), index=True)
    opted_out: Mapped[bool] = mapped_column(Boolean)
    keyword: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Job(Base):
    """A unit of background work; survives restarts, retried with back-off, never silently dropped."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_ready", "state", "priority", "run_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The same work enqueued twice (a redelivery, a race) is one job.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    state: Mapped[JobState] = mapped_column(_enum(JobState), default=JobState.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=10)
    # Lower runs first: a resident's reply never waits behind a translation.
    priority: Mapped[int] = mapped_column(Integer, default=50)
    run_after: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class WorkerHeartbeat(Base):
    """The last round of one worker process: how ``/healthz`` knows the jobs are being run."""

    __tablename__ = "worker_heartbeats"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    beat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Translation(Base):
    """A machine translation of one resident-written text; an aid beside the original, never the record."""

    __tablename__ = "translations"
    __table_args__ = _trigram_indexes("translations", "text")

    id: Mapped[int] = mapped_column(primary_key=True)
    # One translation per text version: case, message (or none), field, target language and source digest.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    field: Mapped[str] = mapped_column(String(32))
    source_language: Mapped[Language] = mapped_column(_enum(Language))
    target_language: Mapped[Language] = mapped_column(_enum(Language))
    # SHA-256 of the original text it was made from: a correction makes it stale, not wrong.
    source_digest: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    engine: Mapped[str] = mapped_column(String(32))
    models: Mapped[list[str]] = mapped_column(JSON)
    pivot: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebSession(Base):
    """A resident's session on the web chat or the no-JavaScript form, known by a random token's digest.

    The token lives only in the resident's browser; the conversation id is random too, so
    nothing here identifies the resident. A form's draft is kept encrypted until it is filed.
    """

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    # The dialogue's sender id and the key that ties messages and evidence to the case.
    conversation_id: Mapped[str] = mapped_column(String(64), unique=True)
    language: Mapped[Language | None] = mapped_column(_enum(Language))
    draft_token: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set once: the case was filed, or the resident ended (abandoned) the session.
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(16))


class QuarantinedRequest(Base):
    """A Twilio webhook whose signature failed: never processed, kept sealed until it is re-verified.

    ``sealed`` is the request (path, fields, signature headers) encrypted with the keyring;
    ``outcome`` is None while it waits, "released" once re-verified and processed.
    """

    __tablename__ = "quarantined_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    path: Mapped[str] = mapped_column(String(64))
    sealed: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    outcome: Mapped[str | None] = mapped_column(String(32))


class DialogueScrub(Base):
    """When the dialogue's stored history of a conversation was last scrubbed by the sweep (issue 17).

    The sweep looks for conversations whose last message is older than the abandon window and not
    scrubbed since; the tracker store scrubs a filed or cancelled draft by itself, at once.
    """

    __tablename__ = "dialogue_scrubs"

    conversation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    scrubbed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "abandoned" (a draft was open: the resident was told), "idle" (nothing open) or "gone" (no history).
    outcome: Mapped[str] = mapped_column(String(16))


class ResumeCode(Base):
    """A one-time code that lets a resident finish on the web the report they began by text (issue 20).

    Only a keyed digest of the code is kept; the answers so far are sealed with the keyring. The
    code opens the draft once (``used_at``), until ``expires_at``; ``draft_id`` is the text
    dialogue's draft, whose filing key the web form then uses, so the draft files once.
    """

    __tablename__ = "resume_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
    draft_id: Mapped[str] = mapped_column(String(64), index=True)
    language: Mapped[str] = mapped_column(String(16))
    # None once the code opened them: the web draft holds them then.
    sealed_answers: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
