"""A resident's own data: what Heard holds from them, their contact details deleted on request,
and a supervisor's export or erasure of one resident's data (issue 17, item 3).

The resident proves the case with its tracking number and PIN (``cases.filing.prove_case``);
staff go through the permission table (``EXPORT_RESIDENT_DATA`` and ``ERASE_RESIDENT_DATA``,
supervisors only). Every export and deletion is written to the audit log; the reason is kept
in the entry's summary, the exported or erased data never is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import and_, null, or_, select, update
from sqlalchemy.orm import Session

from intake import audit
from intake.access.permissions import Action, actor_of, visible_case
from intake.cases import tracking, updates
from intake.cases.transcript import ERASED, UNFINISHED, case_messages
from intake.contact_removal import take_contact_out
from intake.crypto import Keyring
from intake.db import utcnow
from intake.enums import Direction, PreferredContact, Status
from intake.errors import OnLegalHold, ValidationError
from intake.models import Attachment, Case, CaseRevision, Contact, Message, StaffUser, Translation
from intake.reports.board import completeness
from intake.retention.cases import remove_unreferenced
from intake.storage import Storage

# The fields that hold the resident's own words, in the order the report asks for them.
WORD_FIELDS = ("narrative", "incident_time_text", "location", "officers", "injuries", "witnesses")
REASON_MAX_CHARS = 500
RESIDENT_ACTOR = "resident"


@dataclass(frozen=True)
class HeldMessage:
    at: dt.datetime
    from_resident: bool
    text: str


@dataclass(frozen=True)
class HeldFile:
    name: str | None
    content_type: str
    size_bytes: int
    received_at: dt.datetime


@dataclass(frozen=True)
class HeldStep:
    at: dt.datetime
    status: Status


@dataclass(frozen=True)
class ResidentData:
    """Everything Heard holds from one resident about one report, as they may see it."""

    tracking_number: str
    words: dict[str, str]
    transcript: list[HeldMessage]
    history: list[HeldStep]
    files: list[HeldFile]
    contact_held: list[str]  # "name", "phone", "email": what is held, never the values


def _conversation(session: Session, case: Case) -> list[Message]:
    """The case's messages, and its conversation's messages not tied to another case (as staff see them)."""
    mine = Message.case_id == case.id
    if case.conversation_id:
        mine = or_(mine, and_(Message.conversation_id == case.conversation_id, Message.case_id.is_(None)))
    return list(session.scalars(select(Message).where(mine).order_by(Message.created_at, Message.id)))


def _contact_held(contact: Contact | None) -> list[str]:
    if contact is None:
        return []
    held = {"name": contact.name_token, "phone": contact.phone_token, "email": contact.email_token}
    return [field for field, token in held.items() if token]


def held_for_resident(session: Session, *, case: Case) -> ResidentData:
    """Return what Heard holds from the resident who proved ``case``: their words, messages, steps, files."""
    words = {field: str(getattr(case, field)) for field in WORD_FIELDS if getattr(case, field)}
    transcript = [
        HeldMessage(at=m.created_at, from_resident=m.direction is Direction.INBOUND, text=m.body or "")
        for m in _conversation(session, case)
        if m.body
    ]
    return ResidentData(
        tracking_number=tracking.format_tracking_number(case.tracking_number),
        words=words,
        transcript=transcript,
        history=[HeldStep(at=s.created_at, status=s.to_status) for s in case.status_changes],
        files=[
            HeldFile(name=a.filename, content_type=a.content_type, size_bytes=a.size_bytes, received_at=a.created_at)
            for a in case.attachments
            if a.storage_key  # a file purged or erased is no longer held
        ],
        contact_held=_contact_held(case.contact),
    )


def _clear_contact(contact: Contact | None) -> list[str]:
    removed = _contact_held(contact)
    if contact is not None:
        contact.name_token = contact.phone_token = contact.email_token = None
        contact.phone_digest = None
        contact.preferred = PreferredContact.NONE
        contact.updated_at = utcnow()
    return removed


def _not_held(case: Case) -> None:
    if case.legal_hold_reason is not None:
        raise OnLegalHold(f"case {case.id} is on legal hold")


def forget_contact(session: Session, *, case: Case, keyring: Keyring) -> list[str]:
    """Delete the contact details of a case at its proven filer's request; return what was removed (audited).

    They are taken out of the transcript and the words first (``intake.contact_removal``). A case
    on legal hold keeps them (``OnLegalHold``): the hold preserves the record as it is.
    """
    _not_held(case)
    if not _contact_held(case.contact):
        return []  # asked again: nothing is held, nothing to write to the audit log
    take_contact_out(session, case=case, keyring=keyring)
    removed = _clear_contact(case.contact)
    audit.record(
        session,
        actor=RESIDENT_ACTOR,
        action="case.contact_erased",
        case_id=case.id,
        summary={"requested_by": "resident", "fields": removed},
    )
    return removed


def _reason(reason: str) -> str:
    cleaned = " ".join((reason or "").split())
    if not cleaned:
        raise ValidationError({"reason": "A reason is required."})
    if len(cleaned) > REASON_MAX_CHARS:
        raise ValidationError({"reason": f"The reason can be at most {REASON_MAX_CHARS} characters."})
    return cleaned


def _stamp(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _stamp(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stamp(v) for v in value]
    return value.value if isinstance(value, Status) else value


def export_for(session: Session, *, keyring: Keyring, viewer: StaffUser, case_id: int, reason: str) -> dict[str, Any]:
    """Return one resident's data as JSON-ready values, for a supervisor with a reason (audited)."""
    case = visible_case(session, viewer, case_id, Action.EXPORT_RESIDENT_DATA)  # NOTE: first: a refusal is audited
    cleaned = _reason(reason)
    held = held_for_resident(session, case=case)
    contact = case.contact
    data = {
        **_stamp(asdict(held)),
        "kind": case.kind.value,
        "language": case.language.value,
        "channel": case.channel.value,
        "filed_at": case.created_at.isoformat(),
        "status": case.status.value,
        "anonymous": case.anonymous,
        "contact": {
            "name": keyring.decrypt(contact.name_token) if contact else None,
            "phone": keyring.decrypt(contact.phone_token) if contact else None,
            "email": keyring.decrypt(contact.email_token) if contact else None,
            "preferred": contact.preferred.value if contact else None,
        },
    }
    audit.record(
        session,
        actor=actor_of(viewer),
        action="case.resident_data_exported",
        case_id=case.id,
        summary={"reason": cleaned, "files": len(held.files), "messages": len(held.transcript)},
    )
    return data


@dataclass(frozen=True)
class Erasure:
    """What an erasure removed (as audited), and the stored files to delete once it is committed."""

    summary: dict[str, int | list[str]]
    stored_keys: frozenset[str]


def erase_for(session: Session, *, viewer: StaffUser, case_id: int, reason: str) -> Erasure:
    """Erase one resident's data from a case, for a supervisor with a reason (audited); return what went.

    What remains is the de-identified record: kind, dates, status and disposition, category,
    language and channel, the status history, the files' types, sizes and SHA-256 receipts, the
    completeness score the words had, and the audit log. A case on legal hold is refused
    (``OnLegalHold``): lift the hold, with its reason, first.
    NOTE: staff notes are staff's words and stay; a supervisor erases a note that quotes the
    resident by correcting it. The texting resident's number (``correspondents``) stays while
    they text Heard, because STOP must keep working. The stored files go only after the commit
    (``remove_erased_files``), and only those no other case's attachment points at.
    """
    case = visible_case(session, viewer, case_id, Action.ERASE_RESIDENT_DATA)  # NOTE: first: a refusal is audited
    cleaned = _reason(reason)
    _not_held(case)
    updates.withdraw_unsent(session, case=case, why=updates.CONTACT_REMOVED)  # never an "[erased…]" text
    contact_fields = _clear_contact(case.contact)
    words = [field for field in WORD_FIELDS if getattr(case, field) and getattr(case, field) != ERASED]
    if case.record_quality is None:
        case.record_quality = dict(completeness(case).checks)
    case.narrative = ERASED
    for field in WORD_FIELDS[1:]:
        setattr(case, field, None)
    # NOTE: a text still waiting for its turn, or a reply still to go, is left as it is.
    finished = or_(Message.state.is_(None), Message.state.not_in(UNFINISHED))
    messages = list(session.scalars(select(Message).where(case_messages(session, case), finished)))
    still_held = [m for m in messages if m.body and m.body != ERASED]
    for message in messages:
        message.body = ERASED if message.body else ""
        message.answer = None
        message.meta = None
    files = [a for a in case.attachments if a.storage_key]
    keys = frozenset(a.storage_key for a in files)
    session.execute(
        update(Attachment).where(Attachment.case_id == case.id).values(storage_key="", filename=None, meta=null())
    )
    # NOTE: a translation keeps its row (languages, engine) without its text, so the board still counts it.
    session.execute(update(Translation).where(Translation.case_id == case.id).values(text=""))
    for revision in session.scalars(select(CaseRevision).where(CaseRevision.case_id == case.id)):
        revision.previous = {}
    case.updated_at = utcnow()
    session.expire(case, ["attachments"])
    erased: dict[str, int | list[str]] = {
        "contact": contact_fields,
        "words": words,
        "messages": len(still_held),
        "files": len(files),
    }
    if not any(erased.values()):
        return Erasure(summary=erased, stored_keys=keys)  # erased before: nothing to audit again
    audit.record(
        session,
        actor=actor_of(viewer),
        action="case.resident_data_erased",
        case_id=case.id,
        summary={"reason": cleaned, **erased},
    )
    return Erasure(summary=erased, stored_keys=keys)


def remove_erased_files(session: Session, storage: Storage, keys: frozenset[str]) -> None:
    """After an erasure is committed: delete its stored files that no attachment points at any more."""
    remove_unreferenced(session, storage, set(keys))


def check_may_erase(session: Session, *, viewer: StaffUser, case_id: int) -> None:
    """Raise ``PermissionDenied`` (audited) unless ``viewer`` may erase this case's resident data."""
    visible_case(session, viewer, case_id, Action.ERASE_RESIDENT_DATA)
