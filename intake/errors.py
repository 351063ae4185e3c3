"""Errors the services raise; callers turn them into answers."""

from __future__ import annotations


class IntakeError(Exception):
    """Base of every error a service raises on purpose."""


class ValidationError(IntakeError):
    """Input that cannot be accepted, with a message for each field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class IllegalTransition(IntakeError):
    """A status change the lifecycle does not allow."""


class NotFound(IntakeError):
    """Nothing matches; deliberately says no more than that."""


class IdempotencyConflict(IntakeError):
    """An idempotency key reused with a different request."""


class ConfigurationError(IntakeError):
    """Configuration that is missing or wrong; the message says how to fix it."""
