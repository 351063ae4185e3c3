"""Filing cases, looking up their status, correcting them: the queue's core services.

The caller owns the session and commits; these functions only flush.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import phonenumbers
from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake import audit, inputs
from intake.audit import canonical_json
from intake.cases import tracking
from intake.conversations import messaging
from intake.conversations.inbound import store_inbound
from intake.crypto import Keyring
from intake.db import utcnow
from intake.enums import Channel, Direction, Kind, Language, PreferredContact, Status
from intake.errors import ErrorCode, FieldError, IdempotencyConflict, NotFound, PinLocked, ValidationError
from intake.models import Case, CaseRevision, Contact, IdempotencyKey, Message, StaffNote, StatusChange
from intake.translation import cases as case_translation

NARRATIVE_MAX_CHARS = 20_000
FIELD_MAX_CHARS = 4_000
NAME_MAX_CHARS = 200
EMAIL_MAX_CHARS = 254
DEFAULT_PHONE_REGION = "US"

_TEXT_FIELDS = ("incident_time_text", "location", "officers", "injuries", "witnesses")
_ALLOWED_FIELDS = {
    "kind",
    "channel",
    "language",
    "narrative",
    "incident_time",
    "anonymous",
    "contact",
    *_TEXT_FIELDS,
}
_CONTACT_FIELDS = {"name", "phone", "email", "preferred"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The category a case gets when the resident asked a person to call them back.
CALLBACK_REQUEST = "callback_request"


@dataclass(frozen=True)
class ContactInput:
    """Contact details as given; the phone already in E.164."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    preferred: PreferredContact = PreferredContact.NONE


@dataclass(frozen=True)
class Submission:
    """A validated complaint or commendation, still in the resident's own words."""

    kind: Kind
    channel: Channel
    language: Language
    narrative: str
    incident_time_text: str | None = None
    incident_at: dt.datetime | None = None
    location: str | None = None
    officers: str | None = None
    injuries: str | None = None
    witnesses: str | None = None
    anonymous: bool = False
    contact: ContactInput | None = None

    def fingerprint(self) -> str:
        """Return a digest of the submission, to recognise a repeated request."""
        return hashlib.sha256(canonical_json(asdict(self))).hexdigest()


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


def _text(value: Any, field: str, errors: dict[str, str], *, limit: int, required: bool = False) -> str | None:
    """Check one free-text field; record a message in ``errors`` when it is unusable."""
    if value is None:
        if required:
            errors[field] = FieldError("is required", ErrorCode.REQUIRED)
        return None
    if not isinstance(value, str):
        errors[field] = FieldError("must be a string", ErrorCode.NOT_TEXT)
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        errors[field] = FieldError("is not valid Unicode text", ErrorCode.NOT_TEXT)
        return None
    if "\x00" in value:
        errors[field] = FieldError("must not contain NUL characters", ErrorCode.NOT_TEXT)
        return None
    stripped: str = value.strip()
    if not stripped:
        if required:
            errors[field] = FieldError("must not be empty", ErrorCode.EMPTY)
        return None
    if len(stripped) > limit:
        errors[field] = FieldError(f"must be at most {limit} characters (got {len(stripped)})", ErrorCode.TOO_LONG)
        return None
    return stripped


def _choice(value: Any, field: str, cls: Any, errors: dict[str, str], default: Any = None) -> Any:
    if value is None:
        if default is None:
            errors[field] = FieldError(f"is required; one of: {', '.join(cls.values())}", ErrorCode.REQUIRED)
        return default
    if not isinstance(value, str) or value not in cls.values():
        errors[field] = FieldError(f"must be one of: {', '.join(cls.values())}", ErrorCode.CHOICE)
        return None
    return cls(value)


def _contact(value: Any, anonymous: bool, errors: dict[str, str]) -> ContactInput | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        errors["contact"] = FieldError("must be an object", ErrorCode.INVALID)
        return None
    for unknown in sorted(set(value) - _CONTACT_FIELDS):
        errors[f"contact.{unknown}"] = FieldError("is not a known field", ErrorCode.UNKNOWN_FIELD)
    name = _text(value.get("name"), "contact.name", errors, limit=NAME_MAX_CHARS)
    email = _text(value.get("email"), "contact.email", errors, limit=EMAIL_MAX_CHARS)
    raw_phone = _text(value.get("phone"), "contact.phone", errors, limit=40)
    phone = None
    if raw_phone is not None:
        phone = normalize_phone(raw_phone)
        if phone is None:
            errors["contact.phone"] = FieldError("is not a phone number we can call or text", ErrorCode.PHONE)
    if email is not None and not _EMAIL.match(email):
        errors["contact.email"] = FieldError("is not an email address", ErrorCode.EMAIL)
    if anonymous and name is not None:
        errors["contact.name"] = FieldError("must be left out of an anonymous report", ErrorCode.INVALID)
    fallback = PreferredContact.SMS if phone else PreferredContact.EMAIL if email else PreferredContact.NONE
    preferred = _choice(value.get("preferred"), "contact.preferred", PreferredContact, errors, fallback)
    if preferred in (PreferredContact.SMS, PreferredContact.PHONE) and phone is None and "contact.phone" not in errors:
        errors["contact.preferred"] = FieldError(
            "asks for a phone contact but no phone was given", ErrorCode.NEEDS_PHONE
        )
    if preferred is PreferredContact.EMAIL and email is None and "contact.email" not in errors:
        errors["contact.preferred"] = FieldError("asks for email but no email was given", ErrorCode.NEEDS_EMAIL)
    if name is None and phone is None and email is None:
        return None
    return ContactInput(name=name, phone=phone, email=email, preferred=preferred or fallback)


def normalize_phone(text: str, region: str = DEFAULT_PHONE_REGION) -> str | None:
    """Return ``text`` as an E.164 number, or None when it is not a valid number."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_submission(data: Any, *, default_channel: Channel | None = None) -> Submission:
    """Validate a submission's fields, or raise ValidationError naming each bad one."""
    if not isinstance(data, dict):
        raise ValidationError({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    for unknown in sorted(set(data) - _ALLOWED_FIELDS):
        errors[unknown] = FieldError("is not a known field", ErrorCode.UNKNOWN_FIELD)
    kind = _choice(data.get("kind"), "kind", Kind, errors)
    channel = _choice(data.get("channel"), "channel", Channel, errors, default_channel)
    language = _choice(data.get("language"), "language", Language, errors)
    narrative = _text(data.get("narrative"), "narrative", errors, limit=NARRATIVE_MAX_CHARS, required=True)
    texts = {field: _text(data.get(field), field, errors, limit=FIELD_MAX_CHARS) for field in _TEXT_FIELDS}
    anonymous = data.get("anonymous", False)
    if anonymous is None:
        anonymous = False
    if not isinstance(anonymous, bool):
        errors["anonymous"] = FieldError("must be true or false", ErrorCode.CHOICE)
        anonymous = False
    incident_at = None
    raw_time = data.get("incident_time")
    if raw_time is not None:
        incident_at = _parse_instant(raw_time, errors)
    contact = _contact(data.get("contact"), anonymous, errors)
    if errors:
        raise ValidationError(errors)
    assert narrative is not None
    return Submission(
        kind=kind,
        channel=channel,
        language=language,
        narrative=narrative,
        incident_at=incident_at,
        anonymous=anonymous,
        contact=contact,
        **texts,
    )


def _parse_instant(value: Any, errors: dict[str, str]) -> dt.datetime | None:
    if not isinstance(value, str):
        errors["incident_time"] = FieldError("must be an ISO 8601 date-time string", ErrorCode.TIME)
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        errors["incident_time"] = FieldError("must be an ISO 8601 date-time with a UTC offset", ErrorCode.TIME)
        return None
    if parsed.tzinfo is None:
        errors["incident_time"] = FieldError(
            "must include a UTC offset, e.g. 2026-11-02T21:30:00-08:00", ErrorCode.TIME
        )
        return None
    if not inputs.in_range(parsed):
        errors["incident_time"] = "is not a date this office can record"
        return None
    if parsed > utcnow() + dt.timedelta(days=1):
        errors["incident_time"] = FieldError("is in the future", ErrorCode.FUTURE)
        return None
    return parsed.astimezone(dt.timezone.utc)


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
