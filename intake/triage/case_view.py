"""One case as a viewer may see it: its fields, clock, transcript, evidence and the moves open to them."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from intake import audit, evidence
from intake.access.permissions import (
    LIAISON_FIELDS,
    OPEN_STATUSES,
    PERMISSIONS,
    Action,
    actor_of,
    can,
    deny,
    may_move,
    visible_case,
)
from intake.cases import duplicates, lifecycle, officers, tracking, updates
from intake.cases.duplicates import Merge
from intake.crypto import Keyring
from intake.db import utcnow
from intake.enums import Channel, PreferredContact, Role, Status
from intake.errors import ConfigurationError, NotFound
from intake.models import (
    Attachment,
    AuditEntry,
    Case,
    CaseOfficer,
    Contact,
    Correspondent,
    EvidenceShare,
    Message,
    StaffNote,
    StaffUser,
    StatusChange,
    Translation,
)
from intake.translation import cases as case_translation
from intake.triage import sharing
from intake.triage.clocks import Clock, ServiceTargets, clock_of
from intake.triage.sharing import LiaisonCopy


@dataclass(frozen=True)
class ContactView:
    """A complainant's contact details, decrypted for someone allowed to see them."""

    name: str | None
    phone: str | None
    email: str | None
    preferred: str


# What a transcript shows in place of contact details to a role that may not see them.
WITHHELD = "[contact details withheld]"
_EMAIL = re.compile(r"[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+")
# Seven or more digits, in any script, with the usual separators: a phone number however typed.
_PHONE = re.compile(r"\+?\d(?:[\s().\-/]*\d){6,}")


WORD_FIELDS = ("narrative", "incident_time_text", "location", "officers", "injuries", "witnesses")


class RedactedTranslation:
    """A translation whose text has the contact details taken out; a wrapper, never flushed back."""

    def __init__(self, translation: Translation, text: str) -> None:
        self._translation = translation
        self.text = text

    def __getattr__(self, name: str) -> Any:
        return getattr(self._translation, name)


class RedactedMessage:
    """A transcript message whose body has the contact details taken out; everything else as stored.

    NOTE: a wrapper, never the ORM object changed in place, so nothing redacted can be flushed back.
    """

    def __init__(self, message: Message, body: str) -> None:
        self._message = message
        self.body = body

    def __getattr__(self, name: str) -> Any:
        return getattr(self._message, name)


def contact_words(keyring: Keyring, cases: list[Case]) -> list[str]:
    """The contact details the residents of these cases gave, and each word of their names, longest first."""
    words: set[str] = set()
    for case in cases:
        given = case.contact
        if given is None:
            continue
        for token in (given.name_token, given.phone_token, given.email_token):
            value = (keyring.decrypt(token) or "").strip() if token else ""
            if len(value) >= 3:
                words.add(value)
        name = (keyring.decrypt(given.name_token) or "") if given.name_token else ""
        words.update(part for part in re.split(r"\W+", name) if len(part) >= 3)
    # "maria" typed for "María": the same words without their accents.
    words.update(unaccented(word) for word in list(words))
    return sorted(words, key=len, reverse=True)


def unaccented(text: str) -> str:
    """The text without its accents: "maria" for "María"."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def redact_contact(text: str, words: list[str]) -> str:
    """Take the given contact details, and anything shaped like an email address or phone number, out of text."""
    for word in words:
        text = re.sub(r"(?<!\w)" + re.escape(word) + r"(?!\w)", WITHHELD, text, flags=re.IGNORECASE)
    text = _EMAIL.sub(WITHHELD, text)
    return _PHONE.sub(WITHHELD, text)


def _redacted(keyring: Keyring, cases: list[Case], transcript: list[Message]) -> list[Message]:
    words = contact_words(keyring, cases)
    return [RedactedMessage(m, redact_contact(m.body or "", words)) for m in transcript]  # type: ignore[misc]


@dataclass(frozen=True)
class CaseView:
    """Everything about one case that the viewer may see; what they may not is left empty."""

    case: Case
    clock: Clock
    contact: ContactView | None
    contact_withheld: bool
    transcript: list[Message]
    notes: list[StaffNote]
    status_history: list[StatusChange]
    attachments: list[Attachment]
    audit_trail: list[AuditEntry]
    staff_names: dict[int, str]
    moves: list[Status]
    assignable: list[StaffUser]
    can_reply: bool
    reply_refusal: str | None
    callback_pending: bool
    allowed: frozenset[Action] = field(default_factory=frozenset)
    # The current machine translation of each field ("narrative", "location", …), when one exists.
    translations: dict[str, Translation] = field(default_factory=dict)
    # The officers and units staff identified (the resident's own words stay in ``case.officers``).
    officers: list[CaseOfficer] = field(default_factory=list)
    # The case this one was merged into, and how; the duplicates merged into this one.
    merged_into: Case | None = None
    merge: Merge | None = None
    merged_cases: list[Merge] = field(default_factory=list)
    # The duplicate each message of the transcript came from, when it is not this case's own.
    message_origin: dict[int, Case] = field(default_factory=dict)
    can_merge: bool = False
    # How a staff reply reaches the resident (a text, WhatsApp or email); None when it cannot.
    reply_channel: Channel | None = None
    # The explicit shares with the police liaison in force, by attachment id (supervisors see and revoke them).
    shares: dict[int, EvidenceShare] = field(default_factory=dict)
    # What a liaison gets of each file: shown to supervisors before they share, to a liaison as a note.
    liaison_copies: dict[int, LiaisonCopy] = field(default_factory=dict)
    # Status updates to the resident, sent or waiting for a safe time (in their language and English).
    updates: list[Message] = field(default_factory=list)
    # Updates decided on but not yet written by the worker (their kinds).
    updates_planned: list[str] = field(default_factory=list)

    # The resident's words as this viewer may read them (contact details withheld); empty: as stored.
    shown_words: dict[str, str] = field(default_factory=dict)

    def text(self, name: str) -> str:
        """Return a field of the resident's words as the viewer may read it."""
        return self.shown_words.get(name, getattr(self.case, name) or "")

    def origin(self, case_id: int | None) -> Case | None:
        """Return the merged duplicate a record with ``case_id`` belongs to; None for this case's own."""
        for merged in self.merged_cases:
            if merged.case.id == case_id:
                return merged.case
        return None

    def translation(self, name: str) -> Translation | None:
        """Return the translation of the field's current text, if it exists and the viewer may see the field."""
        return self.translations.get(name) if self.shows(name) or name == "narrative" else None

    def shows(self, name: str) -> bool:
        """Tell whether the viewer may see the case field ``name``."""
        return name in LIAISON_FIELDS or Action.VIEW_TRANSCRIPT in self.allowed


def moves_for(viewer: StaffUser, case: Case) -> list[Status]:
    """Return the statuses the viewer may move ``case`` to (assignment has its own form)."""
    if not can(viewer, Action.CHANGE_STATUS):
        return []
    return [
        to
        for to in Status
        if to in lifecycle.allowed_transitions(case.status)
        and to is not Status.ASSIGNED
        and may_move(viewer, case.status, to)
    ]


def _transcript(session: Session, case: Case) -> list[Message]:
    """Return the case's messages and its conversation's messages not tied to another case."""
    mine = Message.case_id == case.id
    if case.conversation_id:
        mine = or_(mine, and_(Message.conversation_id == case.conversation_id, Message.case_id.is_(None)))
    return list(session.scalars(select(Message).where(mine).order_by(Message.created_at, Message.id)))


def email_reply(case: Case) -> Contact | None:
    """Return the contact to email when the resident chose to be reached by email and gave an address."""
    contact = case.contact
    if contact is not None and contact.preferred is PreferredContact.EMAIL and contact.email_token:
        return contact
    return None


def reply_refusal(session: Session, case: Case) -> tuple[Correspondent | Contact | None, str | None]:
    """Return whom a staff reply goes to (a texting resident, or the email contact), or why there is no one."""
    contact = email_reply(case)
    if contact is not None:
        return contact, None
    correspondent = updates.correspondent_of(session, case=case)
    if correspondent is None:
        return None, "This case has no text-message conversation to reply to; reach the resident another way."
    if correspondent.opted_out:
        return None, "The resident texted STOP; Heard sends them nothing until they text START."
    return correspondent, None


def callback_pending(session: Session, case: Case) -> bool:
    """Tell whether the resident asked for a call back that nobody has marked done since."""

    def last(action: str) -> int:
        found = session.scalar(
            select(func.max(AuditEntry.seq)).where(AuditEntry.case_id == case.id, AuditEntry.action == action)
        )
        return int(found or 0)

    asked = last("case.callback_requested")
    if case.category == "callback_request":
        asked = max(asked, last("case.filed"))
    return asked > last("case.callback_done")


def staff_names(session: Session) -> dict[int, str]:
    """Return every staff member's display name (or email), by id."""
    return {user.id: user.display_name or user.email for user in session.scalars(select(StaffUser))}


def get_case_for(
    session: Session,
    *,
    viewer: StaffUser,
    case_id: int,
    keyring: Keyring,
    targets: ServiceTargets,
    now: dt.datetime | None = None,
) -> CaseView:
    """Return what the viewer may see of a case, and record that they saw it."""
    case = visible_case(session, viewer, case_id, Action.VIEW_CASE)
    now = now or utcnow()
    allowed = PERMISSIONS[viewer.role]
    contact = None
    if Action.VIEW_CONTACT in allowed and case.contact is not None:
        given = case.contact
        contact = ContactView(
            name=keyring.decrypt(given.name_token),
            phone=keyring.decrypt(given.phone_token),
            email=keyring.decrypt(given.email_token),
            preferred=given.preferred.value,
        )
    full = Action.VIEW_TRANSCRIPT in allowed
    correspondent, refusal = reply_refusal(session, case) if Action.REPLY in allowed else (None, None)
    # NOTE: merged duplicates are shown to the office's staff only; a referral shares this case alone.
    merged_cases = duplicates.merged_into(session, case=case) if full else []
    merged_into = session.get(Case, case.merged_into_id) if full and case.merged_into_id else None
    transcript = _transcript(session, case) if full else []
    # NOTE: a file the retention schedule removed keeps only its receipt (no key): nothing to download.
    attachments = [attachment for attachment in case.attachments if attachment.storage_key]
    message_origin: dict[int, Case] = {}
    for merged in merged_cases:
        mine = {message.id for message in transcript}
        theirs = [message for message in _transcript(session, merged.case) if message.id not in mine]
        message_origin.update({message.id: merged.case for message in theirs})
        transcript.extend(theirs)
        attachments.extend(attachment for attachment in merged.case.attachments if attachment.storage_key)
    transcript.sort(key=lambda message: (message.created_at, message.id))
    shares = sharing.active_shares(session, [attachment.id for attachment in attachments])
    copies = {a.id: sharing.liaison_copy(a, shared=a.id in shares) for a in attachments}
    if viewer.role is Role.LIAISON:
        # NOTE: a liaison is not told what else the resident sent: a withheld file is not listed.
        attachments = [a for a in attachments if copies[a.id] is not LiaisonCopy.NONE]
    translations = _current_translations(session, case)
    if full and Action.VIEW_CONTACT not in allowed:
        # NOTE: residents type their name, phone and email into the chat; whoever may not see the
        # contact details must not read them there either.
        transcript = _redacted(keyring, [case, *(merged.case for merged in merged_cases)], transcript)
        # ...nor in their own words: "call me at 209…" in the narrative, or its translation.
        withheld = contact_words(keyring, [case])
        shown_words = {name: redact_contact(getattr(case, name) or "", withheld) for name in WORD_FIELDS}
        translations = {
            name: RedactedTranslation(made, redact_contact(made.text or "", withheld))  # type: ignore[misc]
            for name, made in translations.items()
        }
    else:
        shown_words = {}
    view = CaseView(
        case=case,
        clock=clock_of(case, targets=targets, now=now),
        contact=contact,
        contact_withheld=contact is None and case.contact is not None,
        transcript=transcript,
        notes=list(case.notes) if Action.VIEW_NOTES in allowed else [],
        status_history=list(case.status_changes) if Action.VIEW_HISTORY in allowed else [],
        attachments=attachments,
        audit_trail=list(
            session.scalars(select(AuditEntry).where(AuditEntry.case_id == case.id).order_by(AuditEntry.seq))
        )
        if Action.VIEW_HISTORY in allowed
        else [],
        staff_names=staff_names(session) if full else {},
        moves=moves_for(viewer, case),
        assignable=assignable_staff(session) if Action.ASSIGN in allowed and case.status in OPEN_STATUSES else [],
        can_reply=correspondent is not None,
        reply_refusal=refusal,
        reply_channel=(
            Channel.EMAIL
            if isinstance(correspondent, Contact)
            else correspondent.channel
            if correspondent is not None
            else None
        ),
        callback_pending=callback_pending(session, case) if Action.CALLBACK_DONE in allowed else False,
        allowed=allowed,
        translations=translations,
        shown_words=shown_words,
        officers=officers.current(session, case_id=case.id) if full else [],
        merged_into=merged_into,
        merge=duplicates.merge_of(session, case=case) if merged_into else None,
        merged_cases=merged_cases,
        message_origin=message_origin,
        can_merge=Action.MERGE in allowed and case.status in duplicates.MERGEABLE,
        shares=shares if Action.SHARE_EVIDENCE in allowed else {},
        liaison_copies=copies if viewer.role in (Role.LIAISON, Role.SUPERVISOR) else {},
        updates=updates.updates_of(transcript) if full else [],
        updates_planned=updates.planned_kinds(session, case_id=case.id) if full else [],
    )
    summary: dict[str, Any] = {"role": viewer.role.value, "contact_shown": contact is not None, "full": full}
    if merged_cases:
        summary["merged_cases"] = [merged.case.id for merged in merged_cases]
    audit.record(session, actor=actor_of(viewer), action="case.viewed", case_id=case.id, summary=summary)
    for merged in merged_cases:
        # Their words, messages and evidence were on this page: each duplicate's trail says so.
        audit.record(
            session,
            actor=actor_of(viewer),
            action="case.viewed",
            case_id=merged.case.id,
            summary={"role": viewer.role.value, "contact_shown": False, "full": True, "via": case.id},
        )
    return view


def _current_translations(session: Session, case: Case) -> dict[str, Translation]:
    """Return the translation of each field's current text (a correction makes older ones stale)."""
    current: dict[str, Translation] = {}
    for made in case_translation.translations_of(session, case_id=case.id):
        text = getattr(case, made.field, None) if made.message_id is None else None
        if text and made.source_digest == case_translation.digest(str(text)):
            current[made.field] = made
    return current


def assignable_staff(session: Session) -> list[StaffUser]:
    """Return the active staff a case can be assigned to."""
    return list(
        session.scalars(
            select(StaffUser)
            .where(StaffUser.active.is_(True), StaffUser.role.in_([Role.INTAKE, Role.SUPERVISOR]))
            .order_by(StaffUser.email)
        )
    )


@dataclass(frozen=True)
class Evidence:
    """An attachment the viewer may download (or see inline, when it is an image)."""

    attachment: Attachment
    filename: str
    # A liaison's copy of an image is re-encoded without metadata; everyone else gets the original bytes.
    redact: bool = False


def previewable(attachment: Attachment) -> bool:
    """Tell whether the case page shows an attachment inline (the preview checks its bytes again)."""
    return attachment.content_type in evidence.INLINE_IMAGE_TYPES


def get_attachment_for(
    session: Session, *, viewer: StaffUser, case_id: int, attachment_id: int, preview: bool = False
) -> Evidence:
    """Return an attachment of a case for download, or for an inline preview, and record it.

    Only images of the types in ``evidence.INLINE_IMAGE_TYPES`` have a preview; the caller
    must still check that the bytes are such an image (``evidence.inline_image_type``).
    """
    case = visible_case(session, viewer, case_id, Action.DOWNLOAD_EVIDENCE)
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.case_id != case.id:
        raise NotFound("no such attachment on this case")
    if preview and not previewable(attachment):
        raise NotFound("this attachment has no preview; download it")
    redacted = False
    if viewer.role is Role.LIAISON:
        shared = attachment.id in sharing.active_shares(session, [attachment.id])
        copy = sharing.liaison_copy(attachment, shared=shared)
        if copy is LiaisonCopy.NONE:
            deny(session, viewer, Action.DOWNLOAD_EVIDENCE.value, case.id, conceal=True)
        redacted = copy is LiaisonCopy.REDACTED
    summary: dict[str, Any] = {"attachment_id": attachment.id, "sha256": attachment.sha256}
    if redacted:
        summary["copy"] = "metadata removed"
    audit.record(
        session,
        actor=actor_of(viewer),
        action="attachment.previewed" if preview else "attachment.downloaded",
        case_id=case.id,
        summary=summary,
    )
    extension = {
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "image/gif": ".gif",
        "image/webp": ".webp",
        "application/pdf": ".pdf",
    }.get(attachment.content_type, ".bin")
    # NOTE: never the resident's file name: it is theirs to choose and may say anything.
    filename = f"case-{tracking.format_tracking_number(case.tracking_number)}-{attachment.sha256[:12]}{extension}"
    return Evidence(attachment=attachment, filename=filename, redact=redacted)


def verify_evidence(attachment: Attachment, data: bytes) -> None:
    """Refuse to hand out a file whose bytes are not the ones recorded."""
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        raise ConfigurationError(f"attachment {attachment.id} does not match its recorded SHA-256")
