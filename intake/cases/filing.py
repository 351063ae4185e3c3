"""Filing cases, looking up their status, correcting them: the queue's core services.

The caller owns the session and commits; these functions only flush.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake import audit
from intake.cases import tracking
from intake.cases.submission import (
    DEFAULT_PHONE_REGION,
    EMAIL_MAX_CHARS,
    FIELD_MAX_CHARS,
    NAME_MAX_CHARS,
    NARRATIVE_MAX_CHARS,
    ContactInput,
    Submission,
    _text,
    normalize_phone,
    parse_submission,
)
from intake.conversations import messaging
from intake.conversations.inbound import store_inbound
from intake.crypto import Keyring
from intake.db import utcnow
from intake.enums import Channel, Direction, Kind, Status
from intake.errors import IdempotencyConflict, NotFound, PinLocked, ValidationError
from intake.models import Case, CaseRevision, Contact, IdempotencyKey, Message, StaffNote, StatusChange
from intake.translation import cases as case_translation

# The submission's parts are part of filing's interface: every channel files through this module.
__all__ = [
    "DEFAULT_PHONE_REGION",
    "EMAIL_MAX_CHARS",
    "FIELD_MAX_CHARS",
    "NAME_MAX_CHARS",
    "NARRATIVE_MAX_CHARS",
    "ContactInput",
    "Submission",
    "normalize_phone",
    "parse_submission",
]

# The category a case gets when the resident asked a person to call them back.
CALLBACK_REQUEST = "callback_request"


@dataclass(frozen=True)
class Receipt:
    """What the filer gets back: the only time the PIN is ever shown."""

    tracking_number: str
    pin: str
    status: Status

    def as_dict(self) -> dict[str, str]:
        return {
            "tracking_number": tracking.format_tracking_number(self.tracking_number),
            "pin": self.pin,
            "status": self.status.value,
        }


@dataclass(frozen=True)
class StatusView:
    """What a status look-up may reveal: no words, no names.

    ``merged`` says the report was closed as a duplicate and is handled in another case;
    which case is not said, for it may be another resident's.
    """

    tracking_number: str
    kind: Kind
    status: Status
    filed_at: dt.datetime
    last_update: dt.datetime
    merged: bool = False

    def as_dict(self) -> dict[str, str | bool]:
        return {
            "tracking_number": tracking.format_tracking_number(self.tracking_number),
            "kind": self.kind.value,
            "status": self.status.value,
            "filed_at": self.filed_at.isoformat(),
            "last_update": self.last_update.isoformat(),
            "merged": self.merged,
        }


def _pin_digest(keyring: Keyring, number: str, pin: str) -> str:
    return keyring.digest("case-pin", f"{number}:{pin}")


def _new_unique_tracking_number(session: Session) -> str:
    while True:
        number = tracking.new_tracking_number()
        if not session.scalar(select(exists().where(Case.tracking_number == number))):
            return number


def file_case(
    session: Session,
    *,
    keyring: Keyring,
    submission: Submission,
    actor: str,
    partner_id: int | None = None,
    conversation_id: str | None = None,
) -> tuple[Case, Receipt]:
    """Put a new case in the queue, with its contact details encrypted; return it and its receipt."""
    number = _new_unique_tracking_number(session)
    pin = tracking.new_pin()
    now = utcnow()
    case = Case(
        tracking_number=number,
        pin_digest=_pin_digest(keyring, number, pin),
        kind=submission.kind,
        status=Status.RECEIVED,
        channel=submission.channel,
        language=submission.language,
        narrative=submission.narrative,
        incident_time_text=submission.incident_time_text,
        incident_at=submission.incident_at,
        location=submission.location,
        officers=submission.officers,
        injuries=submission.injuries,
        witnesses=submission.witnesses,
        anonymous=submission.anonymous,
        partner_id=partner_id,
        conversation_id=conversation_id,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    if submission.contact is not None:
        given = submission.contact
        session.add(
            Contact(
                case_id=case.id,
                name_token=keyring.encrypt(given.name),
                phone_token=keyring.encrypt(given.phone),
                email_token=keyring.encrypt(given.email),
                preferred=given.preferred,
                phone_digest=keyring.digest("phone", given.phone) if given.phone else None,
                updated_at=now,
            )
        )
    session.add(StatusChange(case_id=case.id, from_status=None, to_status=Status.RECEIVED, actor=actor, created_at=now))
    evidence = messaging.attach_conversation_evidence(session, case=case)
    case_translation.queue_case_translation(session, case=case)
    audit.record(
        session,
        actor=actor,
        action="case.filed",
        case_id=case.id,
        summary={
            "kind": case.kind.value,
            "channel": case.channel.value,
            "language": case.language.value,
            "attachments": evidence,
        },
        change={"fingerprint": submission.fingerprint()},
    )
    session.flush()
    return case, Receipt(tracking_number=number, pin=pin, status=Status.RECEIVED)


def join_text_evidence(session: Session, *, case: Case, conversation_id: str) -> int:
    """Give a case filed on the web the photos and messages of the text conversation it began in (WEB).

    Audited with how many files joined; safe to call again (only what has no case yet moves).
    """
    texts = session.scalar(
        select(func.count())
        .select_from(Message)
        .where(Message.conversation_id == conversation_id, Message.case_id.is_(None))
    )
    joined = messaging.attach_conversation_evidence(session, case=case, conversation_id=conversation_id)
    if joined or texts:
        audit.record(
            session,
            actor="system",
            action="case.evidence_joined",
            case_id=case.id,
            summary={"attachments": joined, "messages": texts, "from": "the text conversation the report began in"},
        )
    return joined


def file_case_idempotently(
    session: Session,
    *,
    keyring: Keyring,
    scope: str,
    key: str,
    submission: Submission,
    actor: str,
    partner_id: int | None = None,
    conversation_id: str | None = None,
) -> tuple[Receipt, bool]:
    """File a case once per (scope, key); return the receipt and whether it is a replay.

    A concurrent request with the same key waits on the key's unique index and
    then reads the first request's answer, so exactly one case is made.
    """
    fingerprint = submission.fingerprint()
    stored = _stored_key(session, scope, key)
    if stored is None:
        try:
            with session.begin_nested():
                row = IdempotencyKey(scope=scope, key=key, request_digest=fingerprint)
                session.add(row)
                session.flush()
        except IntegrityError:
            stored = _stored_key(session, scope, key)
            if stored is None:  # pragma: no cover - the unique index said it exists
                raise
        else:
            case, receipt = file_case(
                session,
                keyring=keyring,
                submission=submission,
                actor=actor,
                partner_id=partner_id,
                conversation_id=conversation_id,
            )
            row.case_id = case.id
            row.response_token = keyring.encrypt(json.dumps(asdict(receipt)))
            session.flush()
            return receipt, False
    if not hmac.compare_digest(stored.request_digest, fingerprint):
        raise IdempotencyConflict("this Idempotency-Key was already used for a different request")
    if stored.response_token is None:  # pragma: no cover - written in the same transaction as the key
        raise IdempotencyConflict("the first request with this Idempotency-Key did not finish")
    saved = json.loads(keyring.decrypt(stored.response_token) or "{}")
    return Receipt(tracking_number=saved["tracking_number"], pin=saved["pin"], status=Status(saved["status"])), True


def _stored_key(session: Session, scope: str, key: str) -> IdempotencyKey | None:
    return session.scalars(
        select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
    ).one_or_none()


# A fixed digest to compare against when the number is unknown, so both paths do the same work.
_DUMMY_DIGEST = "0" * 64


PIN_LOCK_AFTER = 10


def prove_case(
    session: Session,
    *,
    keyring: Keyring,
    tracking_text: str,
    pin: str | None = None,
    phone: str | None = None,
) -> Case:
    """Return the case whose filer is proven by the PIN or the filing phone.

    Raises NotFound alike for an unknown number, a wrong PIN or a wrong phone,
    after the same keyed-digest work on every path; PinLocked once the case's PIN is locked.
    A wrong try is counted in ``session``: the caller commits it even when this raises.

    NOTE: the try is counted *before* the PIN is compared (and given back when it was right),
    in one UPDATE that every process shares, so parallel guesses cannot slip past the limit.
    """
    number = tracking.parse_tracking_number(tracking_text) or ""
    case = session.scalars(select(Case).where(Case.tracking_number == number)).one_or_none() if number else None
    if case is not None and not _take_a_try(session, case):
        raise PinLocked("this case's PIN is locked after too many wrong tries")
    proven = False
    if pin is not None:
        pin_digits = tracking.normalize_digits(pin) or ""
        candidate = _pin_digest(keyring, number, pin_digits)
        proven = hmac.compare_digest(candidate, case.pin_digest if case else _DUMMY_DIGEST)
    elif phone is not None:
        e164 = normalize_phone(phone) or ""
        candidate = keyring.digest("phone", e164)
        stored = case.contact.phone_digest if case and case.contact and case.contact.phone_digest else _DUMMY_DIGEST
        proven = hmac.compare_digest(candidate, stored)
    if case is None or not proven:
        if case is not None and case.pin_failures >= PIN_LOCK_AFTER:
            case.pin_locked_at = utcnow()
            audit.record(
                session, actor="system", action="case.pin_locked", case_id=case.id, summary={"tries": PIN_LOCK_AFTER}
            )
            session.flush()
        raise NotFound("no case matches that tracking number and PIN")
    session.execute(update(Case).where(Case.id == case.id).values(pin_failures=Case.pin_failures - 1))
    return case


def _take_a_try(session: Session, case: Case) -> bool:
    """Count one try against the case's PIN; tell whether it was still open."""
    taken = session.execute(
        update(Case)
        .where(Case.id == case.id, Case.pin_locked_at.is_(None), Case.pin_failures < PIN_LOCK_AFTER)
        .values(pin_failures=Case.pin_failures + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(case, ["pin_failures", "pin_locked_at"])
    return bool(taken.rowcount)  # type: ignore[attr-defined]


def unlock_pin(session: Session, *, case: Case, actor: str) -> None:
    """Open a locked PIN again (the filer proved who they are to the office), and start counting afresh."""
    case.pin_failures = 0
    case.pin_locked_at = None
    audit.record(session, actor=actor, action="case.pin_unlocked", case_id=case.id, summary={})
    session.flush()


def look_up_status(
    session: Session,
    *,
    keyring: Keyring,
    tracking_text: str,
    pin: str | None = None,
    phone: str | None = None,
) -> StatusView:
    """Return a case's status for its filer, who proves it with the PIN or the filing phone."""
    case = prove_case(session, keyring=keyring, tracking_text=tracking_text, pin=pin, phone=phone)
    return StatusView(
        tracking_number=case.tracking_number,
        kind=case.kind,
        status=case.status,
        filed_at=case.created_at,
        last_update=case.updated_at,
        merged=case.merged_into_id is not None,
    )


def add_information(
    session: Session,
    *,
    case: Case,
    text: str,
    channel: Channel,
    actor: str,
    conversation_id: str | None = None,
    provider_id: str | None = None,
    action: str = "case.information_added",
) -> Message:
    """Add the filer's further words to a case, as an inbound message kept beside the original.

    ``action`` names the audit entry, e.g. ``case.callback_requested``.
    """
    errors: dict[str, str] = {}
    body = _text(text, "text", errors, limit=NARRATIVE_MAX_CHARS, required=True)
    if errors or body is None:
        raise ValidationError(errors)
    message, new = store_inbound(
        session,
        message=Message(
            case_id=case.id,
            channel=channel,
            direction=Direction.INBOUND,
            provider_id=provider_id,
            conversation_id=conversation_id,
            language=case.language,
            body=body,
        ),
    )
    if not new:  # a redelivery of words already added
        return message
    case.updated_at = utcnow()
    if case.merged_into_id is not None:
        # The words land on the duplicate, where they belong; the case it joined shows them and moves up.
        merged_into = session.get(Case, case.merged_into_id)
        if merged_into is not None:
            merged_into.updated_at = case.updated_at
    session.flush()
    case_translation.queue_message_translation(session, case=case, message=message)
    audit.record(
        session,
        actor=actor,
        action=action,
        case_id=case.id,
        summary={"channel": channel.value, "message_id": message.id},
        change={"text": body},
    )
    return message


def mark_callback_request(session: Session, *, case: Case, actor: str) -> None:
    """Categorise a case as a resident's request to be called back, audited like any categorisation."""
    previous = case.category
    if previous == CALLBACK_REQUEST:
        return
    case.category = CALLBACK_REQUEST
    audit.record(
        session,
        actor=actor,
        action="case.categorised",
        case_id=case.id,
        summary={"from": previous, "to": CALLBACK_REQUEST},
    )


def get_case(session: Session, *, tracking_number: str) -> Case:
    """Return the case with this tracking number (in any typed form), or raise NotFound."""
    number = tracking.parse_tracking_number(tracking_number)
    case = session.scalars(select(Case).where(Case.tracking_number == number)).one_or_none() if number else None
    if case is None:
        raise NotFound(f"no case {tracking_number}")
    return case


CORRECTABLE_FIELDS = frozenset(
    {"narrative", "incident_time_text", "incident_at", "location", "officers", "injuries", "witnesses", "category"}
)


def correct_case(session: Session, *, case: Case, changes: Mapping[str, Any], actor: str, reason: str) -> CaseRevision:
    """Apply a correction as a new version; the previous values are kept in the revision."""
    unknown = sorted(set(changes) - CORRECTABLE_FIELDS)
    if unknown:
        raise ValidationError({field: "cannot be corrected" for field in unknown})
    if not reason.strip():
        raise ValidationError({"reason": "a correction needs a reason"})
    previous = {field: _jsonable(getattr(case, field)) for field in changes}
    for field, value in changes.items():
        setattr(case, field, value)
    case.version += 1
    case.updated_at = utcnow()
    revision = CaseRevision(case_id=case.id, version=case.version, previous=previous, reason=reason, actor=actor)
    session.add(revision)
    audit.record(
        session,
        actor=actor,
        action="case.corrected",
        case_id=case.id,
        summary={"fields": sorted(changes), "version": case.version},
        change={"previous": previous, "new": {k: _jsonable(v) for k, v in changes.items()}, "reason": reason},
    )
    if set(changes) & set(case_translation.RESIDENT_FIELDS):
        case_translation.queue_case_translation(session, case=case)  # the corrected words need their own
    return revision


def add_note(session: Session, *, case: Case, author_id: int, body: str, supersedes_id: int | None = None) -> StaffNote:
    """Add a staff note; an edit is a new note that names the one it supersedes."""
    if not body.strip():
        raise ValidationError({"body": "a note cannot be empty"})
    note = StaffNote(case_id=case.id, author_id=author_id, body=body, supersedes_id=supersedes_id)
    session.add(note)
    session.flush()
    audit.record(
        session,
        actor=f"staff:{author_id}",
        action="note.added",
        case_id=case.id,
        summary={"note_id": note.id, "supersedes": supersedes_id},
        change={"body": body},
    )
    return note


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value
