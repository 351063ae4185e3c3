"""Errors the services raise; callers turn them into answers."""

from __future__ import annotations

from intake.enums import StrEnum


class ErrorCode(StrEnum):
    """What is wrong with a field, for callers that word it themselves (the resident pages, in nine languages)."""

    REQUIRED = "required"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    NOT_TEXT = "not_text"
    CHOICE = "choice"  # not one of the allowed values
    PHONE = "phone"  # not a phone number Heard can call or text
    EMAIL = "email"  # not an email address
    NEEDS_PHONE = "needs_phone"  # the way to be reached needs a phone number
    NEEDS_EMAIL = "needs_email"  # the way to be reached needs an email address
    FUTURE = "future"
    TIME = "time"  # not a date-time Heard can read
    UNKNOWN_FIELD = "unknown_field"
    INVALID = "invalid"


class FieldError(str):
    """A field's error message (English, for programs and logs) that also carries its machine-readable code."""

    code: ErrorCode

    def __new__(cls, message: str, code: ErrorCode) -> FieldError:
        error = super().__new__(cls, message)
        error.code = code
        return error


def code_of(message: str) -> ErrorCode:
    """Return a field error's code; a plain message is ``invalid``."""
    return message.code if isinstance(message, FieldError) else ErrorCode.INVALID


class IntakeError(Exception):
    """Base of every error a service raises on purpose."""


class ValidationError(IntakeError):
    """Input that cannot be accepted, with a message for each field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class IllegalTransition(IntakeError):
    """A status change the lifecycle does not allow."""


class OnLegalHold(IntakeError):
    """The case is on legal hold: nothing of it may be erased until a supervisor lifts the hold."""


class NotFound(IntakeError):
    """Nothing matches; deliberately says no more than that."""


class PinLocked(IntakeError):
    """Too many wrong PINs were tried against a case: its PIN opens nothing until staff unlock it."""


class IdempotencyConflict(IntakeError):
    """An idempotency key reused with a different request."""


class ConfigurationError(IntakeError):
    """Configuration that is missing or wrong; the message says how to fix it."""


class PermissionDenied(IntakeError):
    """The viewer's role does not allow this.

    ``conceal`` asks the caller to answer as if nothing were there (a liaison
    asking for a case that was never referred must not learn that it exists).
    """

    def __init__(self, message: str, *, conceal: bool = False) -> None:
        super().__init__(message)
        self.conceal = conceal


class SignInRefused(IntakeError):
    """A sign-in that did not succeed; deliberately the same words for every reason."""
