"""What staff change on a case: category, assignee, status, notes, replies, callbacks, merges, officers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from intake import audit
from intake.access.permissions import (
    LIAISON_FIELDS,
    OPEN_STATUSES,
    Action,
    actor_of,
    deny,
    may_move,
    visible_case,
)
from intake.cases import duplicates, lifecycle, officers
from intake.cases import filing as complaints
from intake.cases.officers import OfficerDetails
from intake.conversations import mail, messaging, segments
from intake.db import utcnow
from intake.enums import Channel, Disposition, Language, Role, Status
from intake.errors import IllegalTransition, ValidationError
from intake.models import (
    Case,
    CaseOfficer,
    Contact,
    Message,
    StaffNote,
    StaffUser,
    StatusChange,
)
from intake.translation import cases as case_translation
from intake.translation.engine import NoTranslationPair, TranslationEngine
from intake.triage import sharing
from intake.triage.case_view import callback_pending, reply_refusal
from intake.triage.sharing import LiaisonCopy

REPLY_MAX_CHARS = segments.MAX_REPLY_CHARS
# Categories staff may give a case; "callback_request" is the dialogue's own.
CATEGORIES = (
    "use_of_force",
    "discourtesy",
    "bias_or_profiling",
    "improper_stop_search_arrest",
    "failure_to_act",
    "property",
    "other",
    "commendation",
    "callback_request",
)


def touch(case: Case) -> None:
    case.updated_at = utcnow()


def categorise(session: Session, *, viewer: StaffUser, case_id: int, category: str) -> Case:
    """Give a case one of the office's categories."""
    case = visible_case(session, viewer, case_id, Action.CATEGORISE)
    if category not in CATEGORIES:
        raise ValidationError({"category": f"must be one of: {', '.join(CATEGORIES)}"})
    previous = case.category
    if previous == category:
        return case
    case.category = category
    touch(case)
    audit.record(
        session,
        actor=actor_of(viewer),
        action="case.categorised",
        case_id=case.id,
        summary={"from": previous, "to": category},
    )
    session.flush()
    return case


def assign(session: Session, *, viewer: StaffUser, case_id: int, assignee_id: int) -> Case:
    """Assign an open case to a staff member; a new case is taken through triage on the way."""
    case = visible_case(session, viewer, case_id, Action.ASSIGN)
    assignee = session.get(StaffUser, assignee_id)
    if assignee is None or not assignee.active or assignee.role not in (Role.INTAKE, Role.SUPERVISOR):
        raise ValidationError({"assignee": "must be an active intake or supervisor account"})
    actor = actor_of(viewer)
    if case.status is Status.RECEIVED:
        lifecycle.change_status(session, case=case, to=Status.TRIAGE, actor=actor, reason="assigned")
    if case.status is Status.TRIAGE:
        lifecycle.change_status(session, case=case, to=Status.ASSIGNED, actor=actor, assignee=assignee)
        return case
    if case.status not in OPEN_STATUSES:
        raise IllegalTransition(f"a {case.status.value} case cannot be assigned; reopen it first")
    previous = case.assignee_id
    if previous == assignee.id:
        return case
    case.assignee_id = assignee.id
    touch(case)
    audit.record(
        session,
        actor=actor,
        action="case.reassigned",
        case_id=case.id,
        summary={"from": previous, "to": assignee.id},
    )
    session.flush()
    return case


def change_status(
    session: Session,
    *,
    viewer: StaffUser,
    case_id: int,
    to: Status,
    reason: str | None = None,
    disposition: Disposition | None = None,
) -> StatusChange:
    """Move a case through the lifecycle, as far as the viewer's role allows.

    Closing needs a reason and a disposition; closing, referring and reopening are
    a supervisor's. A referral records exactly which fields the liaison will see.
    """
    action = {Status.CLOSED: Action.CLOSE, Status.REFERRED: Action.REFER}.get(to, Action.CHANGE_STATUS)
    case = visible_case(session, viewer, case_id, action)
    if to is Status.ASSIGNED:
        raise ValidationError({"to": "assign the case to someone instead"})
    if not may_move(viewer, case.status, to):
        deny(session, viewer, f"move a {case.status.value} case to {to.value}", case.id)
    reason = (reason or "").strip() or None
    if to is Status.CLOSED and reason is None:
        raise ValidationError({"reason": "closing a case needs a reason"})
    change = lifecycle.change_status(
        session, case=case, to=to, actor=actor_of(viewer), reason=reason, disposition=disposition
    )
    if to is Status.REFERRED:
        shared = [name for name in LIAISON_FIELDS if getattr(case, name) not in (None, "")]
        files = list(case.attachments)
        shares = sharing.active_shares(session, [a.id for a in files])
        copies = {a.id: sharing.liaison_copy(a, shared=a.id in shares) for a in files}
        audit.record(
            session,
            actor=actor_of(viewer),
            action="case.referred",
            case_id=case.id,
            summary={
                "shared_fields": shared,
                "shared_attachments": [a.sha256 for a in files if copies[a.id] is not LiaisonCopy.NONE],
                "metadata_removed": [a.sha256 for a in files if copies[a.id] is LiaisonCopy.REDACTED],
                "withheld_attachments": [a.sha256 for a in files if copies[a.id] is LiaisonCopy.NONE],
                "contact_shared": False,
            },
        )
    return change


def add_note(session: Session, *, viewer: StaffUser, case_id: int, body: str) -> StaffNote:
    """Add an internal note to a case."""
    case = visible_case(session, viewer, case_id, Action.ADD_NOTE)
    note = complaints.add_note(session, case=case, author_id=viewer.id, body=body)
    touch(case)
    return note


@dataclass(frozen=True)
class ReplyPreview:
    """A staff reply and its machine translation into the resident's language, to check before sending."""

    original: str
    text: str
    language: Language
    models: tuple[str, ...]
    problem: str | None = None  # why it could not be translated; it would go in English


def preview_reply(
    session: Session, *, viewer: StaffUser, case_id: int, text: str, engine: TranslationEngine
) -> ReplyPreview:
    """Translate a reply into the resident's language for staff to read and edit before it is sent."""
    case = visible_case(session, viewer, case_id, Action.REPLY)
    body = (text or "").strip()
    if not body:
        raise ValidationError({"text": "a reply cannot be empty"})
    try:
        made = case_translation.translate_reply(engine, body, case.language.value)
    except NoTranslationPair:
        return ReplyPreview(
            body, body, Language.EN, (), problem="no machine translation into this language is installed"
        )
    if made is None:
        return ReplyPreview(body, body, case.language, ())
    return ReplyPreview(body, made.text, case.language, made.models)


def reply(
    session: Session,
    *,
    viewer: StaffUser,
    case_id: int,
    text: str,
    translated_from: str | None = None,
    models: tuple[str, ...] = (),
) -> list[Message]:
    """Send the resident a reply (text, WhatsApp or, when they chose it, email), and record it on the case.

    A machine-translated reply (``translated_from`` holds the staff's English) goes in the
    resident's language, marked as machine-translated when it is sent.
    """
    case = visible_case(session, viewer, case_id, Action.REPLY)
    body = (text or "").strip()
    if not body:
        raise ValidationError({"text": "a reply cannot be empty"})
    if len(body) > REPLY_MAX_CHARS:
        raise ValidationError({"text": f"must be at most {REPLY_MAX_CHARS} characters"})
    target, refusal = reply_refusal(session, case)
    if target is None:
        raise ValidationError({"text": refusal or "there is no one to reply to"})
    translated = bool(translated_from and translated_from.strip() and models)
    meta: dict[str, Any] = {"staff_id": viewer.id, "source": "console"}
    if translated:
        meta.update(machine_translated=True, source_text=(translated_from or "").strip(), models=list(models))
    language = case.language.value if translated else Language.EN.value
    if isinstance(target, Contact):
        # NOTE: the resident chose email: the worker sends it, with retries; refusals show on the case.
        sent = [mail.queue_email(session, case=case, text=body, language=language, meta=meta)]
        channel = Channel.EMAIL
    else:
        sent = messaging.queue_outbound(
            session, correspondent=target, texts=[body], language=language, case=case, meta=meta
        )
        channel = target.channel
    touch(case)
    audit.record(
        session,
        actor=actor_of(viewer),
        action="case.replied",
        case_id=case.id,
        summary={"channel": channel.value, "message_ids": [m.id for m in sent]},
        change={"text": body},
    )
    session.flush()
    return sent


def mark_callback_done(session: Session, *, viewer: StaffUser, case_id: int, note: str | None = None) -> None:
    """Record that the resident's request for a call back was answered."""
    case = visible_case(session, viewer, case_id, Action.CALLBACK_DONE)
    if not callback_pending(session, case):
        raise ValidationError({"callback": "no call back is waiting on this case"})
    touch(case)
    audit.record(
        session,
        actor=actor_of(viewer),
        action="case.callback_done",
        case_id=case.id,
        summary={"staff_id": viewer.id},
        change={"note": (note or "").strip()},
    )
    session.flush()


def merge_case(session: Session, *, viewer: StaffUser, case_id: int, into: str, reason: str) -> StatusChange:
    """Close a case as a duplicate of the case whose tracking number is ``into``, and link the two.

    The duplicate keeps its own records; the case it joins shows them.
    """
    case = visible_case(session, viewer, case_id, Action.MERGE)
    target = duplicates.find_target(session, tracking_text=into)
    return duplicates.merge(session, case=case, into=target, actor=actor_of(viewer), reason=reason)


def add_officer(session: Session, *, viewer: StaffUser, case_id: int, **details: str | None) -> CaseOfficer:
    """Record an officer or unit involved in a case.

    Args:
        details: ``name``, ``badge_number``, ``unit``, ``description``; each optional, at least one given.
    """
    case = visible_case(session, viewer, case_id, Action.EDIT_OFFICERS)
    entry = officers.add(session, case=case, details=OfficerDetails.parse(details), actor=actor_of(viewer))
    touch(case)
    return entry


def change_officer(
    session: Session, *, viewer: StaffUser, case_id: int, officer_id: int, **details: str | None
) -> CaseOfficer:
    """Correct what a case records of an officer (fields as for ``add_officer``); the previous entry is kept."""
    case = visible_case(session, viewer, case_id, Action.EDIT_OFFICERS)
    entry = officers.change(
        session, case=case, officer_id=officer_id, details=OfficerDetails.parse(details), actor=actor_of(viewer)
    )
    if entry.id != officer_id:
        touch(case)
    return entry


def remove_officer(session: Session, *, viewer: StaffUser, case_id: int, officer_id: int) -> None:
    """Take an officer off a case (the entry is kept, ended)."""
    case = visible_case(session, viewer, case_id, Action.EDIT_OFFICERS)
    officers.remove(session, case=case, officer_id=officer_id, actor=actor_of(viewer))
    touch(case)
