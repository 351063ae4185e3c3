"""One-time codes that let a resident finish on the web the report they began by text (issue 20 item 4).

The dialogue asks for a code with the answers given so far; Heard keeps a keyed digest of the code
and the answers sealed with the keyring, never the code itself, and never logs it. The code opens
the draft once, for ``CODE_LIFETIME``; the web form then files under the text draft's own filing key,
so whichever channel finishes first files the one case and the other cannot file it again.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from intake import audit
from intake.crypto import Keyring
from intake.db import utcnow
from intake.errors import ValidationError
from intake.models import IdempotencyKey, ResumeCode

CODE_LIFETIME = dt.timedelta(minutes=30)
# At most this many codes per conversation in ``ISSUE_WINDOW`` (each new one ends the ones before).
CODES_PER_WINDOW = 3
ISSUE_WINDOW = dt.timedelta(hours=1)
# No 0/O, 1/I/L: a code read on a small screen and typed on another is not mistyped.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
_PURPOSE = "resume-code"
# The web form's answers a text draft can carry, each at most this long.
FIELDS = frozenset(
    {
        "kind",
        "narrative",
        "when_text",
        "location",
        "officers",
        "injuries",
        "witnesses",
        "anonymous",
        "name",
        "phone",
        "email",
        "preferred",
        "times",
    }
)
FIELD_MAX_CHARS = 20_000
# The text dialogue files under this idempotency scope (webhooks/internal.py).
BOT_SCOPE = "bot"


class ResumeRefused(Exception):
    """A code that opens nothing; ``reason`` is "wrong", "expired", "used" or "too_many"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Resumed:
    """What an accepted code opens: the answers so far, their language and the text draft's id."""

    draft_id: str
    language: str
    answers: dict[str, str]
    # The text conversation the report began in: its photos and messages join the case filed on the web.
    conversation_id: str = ""


def normalize_code(text: str) -> str:
    """Read a code as typed: any case, spaces and dashes ignored."""
    return "".join(c for c in text.upper() if c.isalnum())[: CODE_LENGTH * 2]


def format_code(code: str) -> str:
    """Write a code in two groups of four, the way it is texted."""
    return f"{code[:4]}-{code[4:]}"


def _digest(keyring: Keyring, code: str) -> str:
    return keyring.digest(_PURPOSE, normalize_code(code))


def clean_answers(answers: Any) -> dict[str, str]:
    """Keep only the form's known fields, as text; refuse anything else."""
    if not isinstance(answers, dict):
        raise ValidationError({"answers": "must be an object"})
    cleaned: dict[str, str] = {}
    for key, value in answers.items():
        if key not in FIELDS or value is None:
            continue
        if not isinstance(value, str) or len(value) > FIELD_MAX_CHARS:
            raise ValidationError({f"answers.{key}": f"must be text of at most {FIELD_MAX_CHARS} characters"})
        cleaned[key] = value
    return cleaned


def issue_code(
    session: Session,
    *,
    keyring: Keyring,
    conversation_id: str,
    draft_id: str,
    language: str,
    answers: dict[str, str],
    now: dt.datetime | None = None,
) -> tuple[str, dt.datetime]:
    """Make a code for the draft and return it (shown once) with when it expires; earlier codes end.

    Raises ResumeRefused("too_many") past ``CODES_PER_WINDOW`` codes an hour for the conversation.
    """
    now = now or utcnow()
    recent = session.scalar(
        select(func.count())
        .select_from(ResumeCode)
        .where(ResumeCode.conversation_id == conversation_id, ResumeCode.created_at > now - ISSUE_WINDOW)
    )
    if (recent or 0) >= CODES_PER_WINDOW:
        raise ResumeRefused("too_many")
    session.execute(
        update(ResumeCode)
        .where(
            ResumeCode.conversation_id == conversation_id,
            ResumeCode.used_at.is_(None),
            ResumeCode.expires_at > now,
        )
        .values(expires_at=now)
    )
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    expires = now + CODE_LIFETIME
    row = ResumeCode(
        code_digest=_digest(keyring, code),
        conversation_id=conversation_id,
        draft_id=draft_id,
        language=language,
        sealed_answers=keyring.encrypt(json.dumps(answers, ensure_ascii=False)),
        created_at=now,
        expires_at=expires,
    )
    session.add(row)
    session.flush()
    _audit(session, row, "resume.code_issued", expires_at=expires.isoformat(), answers=len(answers))
    return code, expires


def _audit(session: Session, row: ResumeCode, action: str, **summary: Any) -> None:
    """Record a code's life in the audit chain: by its row, never the code or the answers."""
    audit.record(
        session,
        actor="resident:text",
        action=action,
        summary={"resume_code_id": row.id, "language": row.language, **summary},
    )


def redeem_code(session: Session, *, keyring: Keyring, code: str, now: dt.datetime | None = None) -> Resumed:
    """Open the draft a code names, once; raise ResumeRefused for a wrong, expired or used code.

    A draft that was already filed by text counts as used: it cannot be filed again.
    """
    now = now or utcnow()
    cleaned = normalize_code(code)
    if len(cleaned) != CODE_LENGTH:
        raise ResumeRefused("wrong")
    row = session.scalars(select(ResumeCode).where(ResumeCode.code_digest == _digest(keyring, cleaned))).one_or_none()
    if row is None:
        raise ResumeRefused("wrong")
    if row.used_at is not None or draft_filed(session, draft_id=row.draft_id):
        _audit(session, row, "resume.code_refused", reason="used")
        raise ResumeRefused("used")
    if now >= row.expires_at:
        _audit(session, row, "resume.code_refused", reason="expired")
        raise ResumeRefused("expired")
    answers = json.loads(keyring.decrypt(row.sealed_answers) or "{}")
    # NOTE: taken by a conditional update, so two requests racing with one code open one draft:
    # the second finds it used. The web draft holds the answers now, sealed in its own session.
    taken = session.execute(
        update(ResumeCode)
        .where(ResumeCode.id == row.id, ResumeCode.used_at.is_(None))
        .values(used_at=now, sealed_answers=None)
        .execution_options(synchronize_session="fetch")
    )
    if not taken.rowcount:  # type: ignore[attr-defined]
        _audit(session, row, "resume.code_refused", reason="used")
        raise ResumeRefused("used")
    _audit(session, row, "resume.code_used")
    session.flush()
    return Resumed(
        draft_id=row.draft_id,
        language=row.language,
        answers=clean_answers(answers),
        conversation_id=row.conversation_id,
    )


def draft_filed(session: Session, *, draft_id: str) -> bool:
    """Tell whether a text draft was filed already (by text, or on the web under its key)."""
    return (
        session.scalar(
            select(IdempotencyKey.id).where(IdempotencyKey.scope == BOT_SCOPE, IdempotencyKey.key == draft_id)
        )
        is not None
    )


def moved_to_web(session: Session, *, draft_id: str) -> bool:
    """Tell whether a code for this text draft was used on the web."""
    return (
        session.scalar(
            select(ResumeCode.id).where(ResumeCode.draft_id == draft_id, ResumeCode.used_at.is_not(None)).limit(1)
        )
        is not None
    )
