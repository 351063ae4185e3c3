"""Reading what arrives from outside: whole numbers, times and text that a database can hold.

Every channel and page reads numbers, times and text through these, so a value no
database can store (a 23-digit id, a superscript digit, a year-one time east of UTC, a
lone surrogate) is refused as bad input, never carried to a query that fails.
"""

from __future__ import annotations

import datetime as dt
import re

# The largest id any table holds (PostgreSQL's integer).
MAX_ID = 2**31 - 1
_ASCII_WHOLE = re.compile(r"[0-9]{1,12}")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
# Times a database stores, compares and shows in every zone.
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.timezone.utc)
LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.timezone.utc)


def whole_number(text: object, *, high: int = MAX_ID) -> int | None:
    """Return ``text`` as a whole number from 0 to ``high`` written in ASCII digits, else None.

    NOTE: only 0-9: ``str.isdigit`` also takes "²" (which ``int`` refuses) and ``int`` takes
    Khmer or full-width digits, which no id, cursor or page number is written in.
    """
    if not isinstance(text, str) or not _ASCII_WHOLE.fullmatch(text):
        return None
    number = int(text)
    return number if number <= high else None


def storable(text: str) -> str:
    """Return ``text`` with lone surrogates (which no encoding can write) replaced by U+FFFD, nothing dropped."""
    return _SURROGATES.sub("\ufffd", text)


def in_range(moment: dt.datetime) -> bool:
    """Tell whether an aware time lies where databases and every time zone can hold it."""
    try:
        return EARLIEST <= moment.astimezone(dt.timezone.utc) <= LATEST
    except (OverflowError, ValueError):
        return False


# One mailbox as RFC 5321 carries it without SMTPUTF8: a dot-atom of printable ASCII before the @
# (no quotes, comments, angle brackets, commas, groups, spaces or control characters), at most 64 long.
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
EMAIL_MAX_CHARS = 254


def email_address(text: str) -> str | None:
    """Return ``text`` as one plain mailbox (an international domain in its ASCII form), or None.

    NOTE: the address goes into an email's To header and the relay's RCPT command, so it must be one
    mailbox and nothing else: no display name, second address, group, comment or control character.
    """
    local, at, domain = text.partition("@")
    if not at or len(local) > 64 or not _LOCAL_PART.fullmatch(local):
        return None
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        return None
    address = f"{local}@{ascii_domain}"
    return address if len(address) <= EMAIL_MAX_CHARS else None
