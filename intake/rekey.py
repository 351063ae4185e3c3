"""Re-encryption of every stored secret under the newest key, and the survey that says when an old key is free.

What Heard encrypts with the Fernet keys, and where:

- database columns: contacts (name, phone, email), correspondents' phone numbers, web
  drafts, idempotency answers (they hold PINs), TOTP secrets, the exact answers kept for
  redeliveries (``messages.answer``) and the sealed originals of masked texts
  (``messages.meta["sealed_body"]``);
- objects in storage (files under the instance folder, or a bucket): evidence
  (``evidence/**.bin``) and the SMS spool (``spool/**.msg``).

Every pass works in small committed batches and skips what the primary key already
opens, so an interrupted rotation is finished by running it again.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from intake import audit
from intake.crypto import Keyring
from intake.db import Database
from intake.models import (
    Contact,
    Correspondent,
    IdempotencyKey,
    Message,
    QuarantinedRequest,
    ResumeCode,
    StaffUser,
    WebSession,
)
from intake.storage import NotStored, Storage

log = logging.getLogger(__name__)

BATCH = 200

# (kind shown to the operator, model, primary key, encrypted columns)
_COLUMNS: tuple[tuple[str, type[Any], InstrumentedAttribute[int], tuple[str, ...]], ...] = (
    ("contacts", Contact, Contact.case_id, ("name_token", "phone_token", "email_token")),
    ("correspondent phones", Correspondent, Correspondent.id, ("phone_token",)),
    ("web drafts", WebSession, WebSession.id, ("draft_token",)),
    ("idempotency answers", IdempotencyKey, IdempotencyKey.id, ("response_token",)),
    ("TOTP secrets", StaffUser, StaffUser.id, ("totp_secret_token",)),
    ("sealed answers", Message, Message.id, ("answer",)),
    ("quarantined webhooks", QuarantinedRequest, QuarantinedRequest.id, ("sealed",)),
    ("resume answers", ResumeCode, ResumeCode.id, ("sealed_answers",)),
)
# Objects in storage (``intake.storage``), by folder and ending.
_FILES: tuple[tuple[str, str, str], ...] = (
    ("evidence files", "evidence/", ".bin"),
    ("spooled messages", "spool/", ".msg"),
)
_SEALED_BODY = "sealed_body"


@dataclass
class Survey:
    """What still needs an older key, what no key opens, and what was rewritten, by kind."""

    rewritten: Counter[str] = field(default_factory=Counter)
    stale: Counter[str] = field(default_factory=Counter)
    unreadable: Counter[str] = field(default_factory=Counter)

    @property
    def needs_old_keys(self) -> bool:
        """Tell whether anything stored opens only with a key other than the primary."""
        return sum(self.stale.values()) > 0


def _batches(session: Session, model: type[Any], pk: InstrumentedAttribute[int]) -> Iterator[list[Any]]:
    last = 0
    while True:
        rows = list(session.scalars(select(model).where(pk > last).order_by(pk).limit(BATCH)))
        if not rows:
            return
        yield rows
        last = getattr(rows[-1], pk.key)


def _visit(keyring: Keyring, survey: Survey, kind: str, token: str, rewrite: bool) -> str | None:
    """Return the token re-encrypted under the primary key (None when it needs nothing or cannot be)."""
    if keyring.is_current(token):
        return None
    if not keyring.opens(token):
        survey.unreadable[kind] += 1
        return None
    if not rewrite:
        survey.stale[kind] += 1
        return None
    survey.rewritten[kind] += 1
    return keyring.rotate(token)


def _database_pass(database: Database, keyring: Keyring, survey: Survey, *, rewrite: bool) -> None:
    for kind, model, pk, columns in _COLUMNS:
        with database.session() as session:
            for rows in _batches(session, model, pk):
                for row in rows:
                    for column in columns:
                        token = getattr(row, column)
                        if token and (new := _visit(keyring, survey, kind, token, rewrite)):
                            setattr(row, column, new)
                session.commit()  # NOTE: each batch is kept, so a rotation cut short resumes where it stopped
    with database.session() as session:
        for rows in _batches(session, Message, Message.id):
            for message in rows:
                sealed = (message.meta or {}).get(_SEALED_BODY)
                if sealed and (new := _visit(keyring, survey, "sealed texts", sealed, rewrite)):
                    message.meta = {**(message.meta or {}), _SEALED_BODY: new}
            session.commit()


def _rewrite(storage: Storage, key: str, token: bytes, rotate: Callable[[bytes], bytes]) -> None:
    # NOTE: ``put`` is atomic: an object is under the old key or the new one, never half-written.
    storage.put(key, rotate(token))


def _files_pass(storage: Storage, keyring: Keyring, survey: Survey, *, rewrite: bool) -> None:
    for kind, prefix, suffix in _FILES:
        for stored in storage.list(prefix):
            if not stored.key.endswith(suffix):
                continue
            try:
                token = storage.open(stored.key)
            except NotStored:  # taken by the worker meanwhile (a drained spool message)
                continue
            if keyring.is_current(token):
                continue
            if not keyring.opens(token):
                survey.unreadable[kind] += 1
            elif not rewrite:
                survey.stale[kind] += 1
            else:
                try:
                    _rewrite(storage, stored.key, token, keyring.rotate_bytes)
                except OSError as exc:  # left as it was, still under the old key, and counted so
                    log.error("%s %s cannot be rewritten: %s", kind, stored.key, exc)
                    survey.stale[kind] += 1
                    continue
                survey.rewritten[kind] += 1


def survey(database: Database, storage: Storage, keyring: Keyring) -> Survey:
    """Count, without changing anything, what still needs an older key."""
    found = Survey()
    _database_pass(database, keyring, found, rewrite=False)
    _files_pass(storage, keyring, found, rewrite=False)
    return found


def reencrypt_everything(database: Database, storage: Storage, *, keyring: Keyring, actor: str) -> Survey:
    """Rewrite every encrypted value and file under the primary key, then survey what is left."""
    done = Survey()
    _database_pass(database, keyring, done, rewrite=True)
    _files_pass(storage, keyring, done, rewrite=True)
    left = survey(database, storage, keyring)  # written meanwhile by a process still on the old key
    left.rewritten = done.rewritten
    left.unreadable = done.unreadable
    with database.session() as session:
        audit.record(
            session,
            actor=actor,
            action="keys.rotated",
            summary={"values": sum(done.rewritten.values()), "still_old": sum(left.stale.values())},
        )
        session.commit()
    return left
