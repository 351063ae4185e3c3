"""Logging that never writes a phone number."""

from __future__ import annotations

import logging
import re

# Runs of 7+ digits, allowing the separators people type; catches E.164 and local forms.
_PHONE = re.compile(r"(?<![\w])\+?\d(?:[\s().\-]*\d){6,}(?![\w])")
REDACTED = "[number redacted]"


def redact(text: str) -> str:
    """Replace anything that looks like a phone number in ``text``."""
    return _PHONE.sub(REDACTED, text)


_installed = False


def install_redaction() -> None:
    """Redact every log record's message, whichever logger or handler writes it."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string; leave it for logging to report
            return record
        record.msg, record.args = redact(message), None
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
