"""Purging closed cases: contact details after months, the resident's words, transcript and files after years.

A purged case keeps its de-identified record (kind, status, disposition, category, language,
channel, its dates and status history, the officers staff identified), so the board report and
the open data still count it. A case on legal hold is never purged. Each case is purged in its
own transaction, audited there, so a run that is interrupted leaves every case whole or done.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Select, and_, delete, func, null, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from intake import audit
from intake.cases.transcript import UNFINISHED, case_messages
from intake.contact_removal import take_contact_out
from intake.crypto import Keyring
from intake.db import Database, utcnow
from intake.enums import Status
from intake.models import (
    Attachment,
    Case,
    CaseRevision,
    Contact,
    IdempotencyKey,
    Message,
    StaffNote,
    StatusChange,
    Translation,
    WebSession,
)
from intake.reports.board import completeness
from intake.retention.files import remove_stored
from intake.retention.policy import RetentionPolicy, months_before
from intake.retention.report import Removal, RetentionReport
from intake.storage import Storage

CLOSED_STATUSES = (Status.CLOSED, Status.WITHDRAWN)
ACTION = "retention.purged"


def _closed_before(
    marker: InstrumentedAttribute[dt.datetime | None], cutoff: dt.datetime, *, held: bool
) -> Select[tuple[int]]:
    """Select the ids of closed (or withdrawn) cases whose closing is older than ``cutoff`` and not yet purged."""
    closed = (
        select(StatusChange.case_id, func.max(StatusChange.created_at).label("closed_at"))
        .where(StatusChange.to_status.in_(CLOSED_STATUSES))
        .group_by(StatusChange.case_id)
        .subquery()
    )
    hold = Case.legal_hold_reason.is_not(None) if held else Case.legal_hold_reason.is_(None)
    return (
        select(Case.id)
        .join(closed, closed.c.case_id == Case.id)
        .where(Case.status.in_(CLOSED_STATUSES), closed.c.closed_at < cutoff, marker.is_(None), hold)
        .order_by(Case.id)
    )


def purge_cases(
    database: Database,
    *,
    storage: Storage,
    keyring: Keyring,
    policy: RetentionPolicy,
    as_of: dt.datetime,
    report: RetentionReport,
    actor: str,
) -> None:
    """Purge what the schedule says is due in closed cases, case by case."""
    rules: list[tuple[str, int | None, InstrumentedAttribute[dt.datetime | None], Purger]] = [
        ("HEARD_RETENTION_CONTACT_MONTHS", policy.contact_months, Case.contact_purged_at, _purge_contact),
        (
            "HEARD_RETENTION_CONTENT_YEARS",
            None if policy.content_years is None else policy.content_years * 12,
            Case.content_purged_at,
            _purge_content,
        ),
    ]
    held: set[int] = set()
    for name, months, marker, purger in rules:
        if months is None:
            continue
        cutoff = months_before(as_of, months)
        rule = policy.rule(name)
        with database.session() as session:
            due = list(session.scalars(_closed_before(marker, cutoff, held=False)))
            held |= set(session.scalars(_closed_before(marker, cutoff, held=True)))
        for case_id in due:
            with database.session() as session:
                removal = _purge_one(
                    session, case_id, marker, cutoff, purger, Stores(storage, keyring), rule, report.dry_run
                )
                if removal is None:
                    continue
                if report.dry_run:
                    session.rollback()
                else:
                    audit.record(
                        session,
                        actor=actor,
                        action=ACTION,
                        case_id=case_id,
                        summary={"class": removal.data_class, "rule": rule, "count": removal.count},
                    )
                    session.commit()
                report.add(removal)
    report.kept_on_hold = len(held)


@dataclass(frozen=True)
class Stores:
    """Where a purge removes files, and the keys it opens contact details with."""

    storage: Storage
    keyring: Keyring


Purger = Callable[[Session, Case, Stores, bool], tuple[str, int]]


def _purge_one(
    session: Session,
    case_id: int,
    marker: InstrumentedAttribute[dt.datetime | None],
    cutoff: dt.datetime,
    purger: Purger,
    stores: Stores,
    rule: str,
    dry_run: bool,
) -> Removal | None:
    # NOTE: checked again under the row's lock: a hold set, or a reopening, since the list was made wins.
    case = session.get(Case, case_id, with_for_update=True)
    if case is None or session.scalar(_closed_before(marker, cutoff, held=False).where(Case.id == case_id)) is None:
        return None
    data_class, count = purger(session, case, stores, dry_run)
    if not dry_run:
        setattr(case, marker.key, utcnow())
    return Removal(data_class=data_class, rule=rule, count=max(count, 1), case=case.tracking_number)


def _purge_contact(session: Session, case: Case, stores: Stores, dry_run: bool) -> tuple[str, int]:
    """Remove how to reach the filer: the contact row, the sealed PIN answer, the web form's draft.

    The details are first taken out of the transcript and the words (``intake.contact_removal``).
    """
    count = session.scalar(select(func.count()).select_from(Contact).where(Contact.case_id == case.id)) or 0
    if not dry_run:
        take_contact_out(session, case=case, keyring=stores.keyring)
        session.execute(delete(Contact).where(Contact.case_id == case.id))
        session.execute(update(IdempotencyKey).where(IdempotencyKey.case_id == case.id).values(response_token=None))
        session.execute(update(WebSession).where(WebSession.case_id == case.id).values(draft_token=None))
        session.expire(case, ["contact"])
    return "contact details", int(count)


def _purge_content(session: Session, case: Case, stores: Stores, dry_run: bool) -> tuple[str, int]:
    """Remove the resident's words, the transcript, translations, notes and files; keep the de-identified record."""
    # NOTE: a text still waiting for its turn or a reply still to go is never emptied.
    where_messages = and_(case_messages(session, case), or_(Message.state.is_(None), Message.state.not_in(UNFINISHED)))
    messages = session.scalar(select(func.count()).select_from(Message).where(where_messages)) or 0
    files = list(session.scalars(select(Attachment).where(Attachment.case_id == case.id, Attachment.storage_key != "")))
    count = 1 + int(messages) + len(files)
    if dry_run:
        return "narrative, transcript, translations, notes and files", count
    case.record_quality = dict(completeness(case).checks)
    case.narrative = ""
    for name in ("incident_time_text", "location", "officers", "injuries", "witnesses"):
        setattr(case, name, None)
    session.execute(update(Message).where(where_messages).values(body="", answer=None, meta=null()))
    # NOTE: a translation keeps its row (languages, engine) without its text, so the board still
    # counts the case as translated.
    session.execute(update(Translation).where(Translation.case_id == case.id).values(text=""))
    session.execute(update(StaffNote).where(StaffNote.case_id == case.id).values(body=""))
    session.execute(update(CaseRevision).where(CaseRevision.case_id == case.id).values(previous={}, reason=""))
    session.execute(update(StatusChange).where(StatusChange.case_id == case.id).values(reason=None))
    keys = {attachment.storage_key for attachment in files}
    session.execute(
        update(Attachment).where(Attachment.case_id == case.id).values(storage_key="", filename=None, meta=null())
    )
    remove_unreferenced(session, stores.storage, keys)
    return "narrative, transcript, translations, notes and files", count


def remove_unreferenced(session: Session, storage: Storage, keys: set[str]) -> None:
    """Delete the files among ``keys`` that no attachment still points at (the same bytes are stored once)."""
    for key in sorted(keys):
        still = session.scalar(select(func.count()).select_from(Attachment).where(Attachment.storage_key == key))
        if not still:
            # NOTE: removed before the transaction commits: if the commit fails, the next run finds
            # the case still due and finishes; a file is never left behind by a purge that counted it.
            remove_stored(storage, key)
