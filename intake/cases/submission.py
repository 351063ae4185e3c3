"""What a report is made of, and how any channel's input is checked before it is filed: fields, limits,
contact details, the incident's time."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict, dataclass
from typing import Any

import phonenumbers

from intake import inputs
from intake.audit import canonical_json
from intake.db import utcnow
from intake.enums import Channel, Kind, Language, PreferredContact
from intake.errors import ErrorCode, FieldError, ValidationError

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
    if email is not None:
        mailbox = inputs.email_address(email)
        if mailbox is None:
            errors["contact.email"] = FieldError("is not an email address", ErrorCode.EMAIL)
        email = mailbox or email
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
