"""Logging that never writes a phone number, nor the values a failed SQL statement carried."""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

# Runs of 7+ digits, allowing the separators people type; catches E.164 and local forms.
_PHONE = re.compile(r"(?<![\w])\+?\d(?:[\s().\-]*\d){6,}(?![\w])")
# SQLAlchemy's "[parameters: (...)]" in a DBAPIError's text: names, narratives, numbers.
_SQL_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\n|$|\s*\(Background on this error)", re.DOTALL)
REDACTED = "[number redacted]"
PARAMETERS_REDACTED = "[parameters: redacted]"
# Every attribute a LogRecord has of itself; anything else came in through ``extra``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def redact(text: str) -> str:
    """Replace SQL parameters and anything that looks like a phone number in ``text``."""
    return _PHONE.sub(REDACTED, _SQL_PARAMETERS.sub(PARAMETERS_REDACTED, text))


def redact_record(record: logging.LogRecord) -> None:
    """Redact every part of a record a formatter may write: message, exception, stack and extras.

    NOTE: the exception is rendered here, redacted, and the live one dropped, so no formatter
    or handler downstream can render it again from ``exc_info`` with the number in it.
    """
    try:
        message = record.getMessage()
    except Exception:  # a bad format string; logging reports it, redacted below as best it can
        message = str(record.msg)
    record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[0] is not None:
        rendered = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_text = redact(rendered)
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    for name, value in list(vars(record).items()):
        if name not in _STANDARD and isinstance(value, str):
            setattr(record, name, redact(value))


_installed = False


def install_redaction() -> None:
    """Redact every log record, whichever logger or handler writes it."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
    # NOTE: ``extra`` is set on the record after the factory made it, so Logger.makeRecord is wrapped too.
    make_record = logging.Logger.makeRecord

    def make_redacted_record(self: logging.Logger, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(self, *args, **kwargs)
        redact_record(record)
        return record

    logging.Logger.makeRecord = make_redacted_record  # type: ignore[method-assign]
    _installed = True
