"""Taking a resident's contact details out of what they and staff wrote, before the details themselves go.

Deleting the contact row alone is not enough: the resident typed their name, number and address
into the chat or a text, staff wrote "Dear Ana" in a reply, and the web form keeps the safe times
in the witnesses field. And the auditors' view withholds names by matching them against the stored
details, which would then be gone. So whenever contact details are removed (at the resident's
request, by a supervisor's erasure, or by the retention schedule) this runs first, in the same
transaction: every occurrence in the case's transcript, its words and their translations is
replaced by ``CONTACT_DELETED``.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.cases import updates
from intake.cases.contact_times import CONTACT_TIMES_PREFIX
from intake.cases.transcript import UNFINISHED, case_messages
from intake.crypto import Keyring
from intake.models import Case, Message, Translation
from intake.triage.case_view import unaccented

CONTACT_DELETED = "[contact details deleted]"
WORD_FIELDS = ("narrative", "incident_time_text", "location", "officers", "injuries", "witnesses")
_SEPARATORS = r"[\s().\-/]*"


def _phone_pattern(phone: str) -> re.Pattern[str] | None:
    """Match the number however it was typed: spaces, dots, dashes, brackets, a ``+`` country code."""
    digits = re.sub(r"[^0-9]", "", phone)[-10:]
    if len(digits) < 7:
        return None
    national = r"\(?" + _SEPARATORS.join(digits)
    # NOTE: a country code only after "+": "Room 12 209 555 0199" keeps its "12".
    return re.compile(r"(?<![0-9])(?:\+[0-9]{1,3}" + _SEPARATORS + r")?" + national + r"(?![0-9])")


def _cleaner(keyring: Keyring, case: Case) -> re.Pattern[str] | None:
    """The stored details as typed: the whole name (any case), each part of it as written, the email, the number.

    NOTE: a part of the name only with its capitals ("Rose", never "rose"; "Park", never "the park"):
    this changes the record itself, unlike the auditors' view, which only hides words on screen.
    """
    contact = case.contact
    if contact is None:
        return None
    name = (keyring.decrypt(contact.name_token) or "").strip() if contact.name_token else ""
    email = (keyring.decrypt(contact.email_token) or "").strip() if contact.email_token else ""
    phone = (keyring.decrypt(contact.phone_token) or "").strip() if contact.phone_token else ""
    parts: list[str] = []
    number = _phone_pattern(phone) if phone else None
    if number is not None:
        parts.append(number.pattern)
    whole = sorted({w for w in (name, unaccented(name), email) if len(w) >= 3}, key=len, reverse=True)
    parts += [r"(?i:(?<!\w)" + re.escape(w) + r"(?!\w))" for w in whole]
    words = {w for w in re.split(r"\W+", name) if len(w) >= 3 and w[:1].isupper()}
    words |= {unaccented(w) for w in words}
    parts += [r"(?<!\w)" + re.escape(w) + r"(?!\w)" for w in sorted(words, key=len, reverse=True)]
    return re.compile("|".join(parts)) if parts else None


def _messages(session: Session, case: Case) -> list[Message]:
    return list(session.scalars(select(Message).where(case_messages(session, case))))


def _without_times(witnesses: str | None) -> str | None:
    if witnesses is None:
        return None
    kept = [line for line in witnesses.splitlines() if not line.startswith(CONTACT_TIMES_PREFIX)]
    return "\n".join(kept) or None


def take_contact_out(session: Session, *, case: Case, keyring: Keyring) -> int:
    """Replace the case's contact details wherever they were written; return how many texts changed.

    Updates not sent yet are withdrawn first: the resident asked not to be reached.
    """
    updates.withdraw_unsent(session, case=case, why=updates.CONTACT_REMOVED)
    case.witnesses = _without_times(case.witnesses)
    pattern = _cleaner(keyring, case)
    if pattern is None:
        return 0
    changed = 0
    for message in _messages(session, case):
        if message.body and pattern.search(message.body):
            message.body = pattern.sub(CONTACT_DELETED, message.body)
            changed += 1
        message.answer = None  # NOTE: the sealed exact replies kept for redeliveries read the details back
        if message.meta and "sealed_body" in message.meta and message.state not in UNFINISHED:
            # The sealed original of a sent receipt (its PIN): sent, and no longer needed.
            message.meta = {key: value for key, value in message.meta.items() if key != "sealed_body"}
    for field in WORD_FIELDS:
        value = getattr(case, field)
        if value and pattern.search(value):
            setattr(case, field, pattern.sub(CONTACT_DELETED, value))
            changed += 1
    for translation in session.scalars(select(Translation).where(Translation.case_id == case.id)):
        if translation.text and pattern.search(translation.text):
            translation.text = pattern.sub(CONTACT_DELETED, translation.text)
            changed += 1
    return changed
