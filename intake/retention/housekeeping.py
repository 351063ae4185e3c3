"""Purging what never became a case, or is done with: unfiled drafts, sessions, finished jobs, the drained spool.

Each class is removed in one transaction with its audit entry, so a run that is interrupted
leaves it whole or done, and the next run finishes it.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import ColumnElement, and_, delete, exists, func, null, or_, select, update
from sqlalchemy.orm import Session

from intake import audit
from intake.crypto import Keyring
from intake.db import Database
from intake.enums import JobState, MessageState
from intake.errors import ConfigurationError
from intake.models import (
    Attachment,
    Case,
    Correspondent,
    Job,
    Message,
    QuarantinedRequest,
    ResumeCode,
    SignInThrottle,
    StaffSession,
    WebSession,
)
from intake.retention.cases import remove_unreferenced
from intake.retention.files import STORED_ROOTS, read_stored, remove_stored, stored_files
from intake.retention.policy import RetentionPolicy, months_before
from intake.retention.report import Removal, RetentionReport
from intake.storage import FolderStorage, Storage

ACTION = "retention.pruned"
# A write takes milliseconds; a hidden partial file a day old is what a crash left.
PARTIAL_WRITE_AGE = dt.timedelta(days=1)
# An inbound message still waiting for its turn, or a reply still to go, is never emptied.
UNFINISHED = (MessageState.RECEIVED, MessageState.PENDING, MessageState.QUEUED)


def by_the_clock(as_of: dt.datetime) -> dt.datetime:
    """Live state (a draft being written, a session in use, a lockout running) counts by the clock.

    ``--as-of`` a far date applies the case rules as on that day; it must not take a resident's
    draft of this morning, sign out staff at work, or lift a sign-in lockout.
    """
    return min(as_of, dt.datetime.now(dt.UTC))


def _commit(session: Session, report: RetentionReport, removal: Removal, actor: str) -> None:
    if report.dry_run or not removal.count:
        session.rollback()
        report.add(removal)
        return
    audit.record(
        session,
        actor=actor,
        action=ACTION,
        summary={"class": removal.data_class, "rule": removal.rule, "count": removal.count},
    )
    session.commit()
    report.add(removal)


def _count(session: Session, model: type, where: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(where)) or 0)


def purge_drafts(
    database: Database,
    *,
    storage: Storage,
    policy: RetentionPolicy,
    as_of: dt.datetime,
    report: RetentionReport,
    actor: str,
) -> None:
    """Remove what residents sent but never filed: texts outside any case, draft files, web form drafts."""
    if policy.draft_days is None:
        return
    cutoff = by_the_clock(as_of) - dt.timedelta(days=policy.draft_days)
    rule = policy.rule("HEARD_RETENTION_DRAFT_DAYS")
    # NOTE: a text sent after its conversation filed a report is that report's: the case rules
    # take it, with the case's hold, never this one.
    filed = exists().where(Case.conversation_id == Message.conversation_id, Case.created_at <= Message.created_at)
    unfiled_texts = and_(
        Message.case_id.is_(None),
        ~filed,
        Message.created_at < cutoff,
        or_(Message.body != "", Message.answer.is_not(None), Message.meta.is_not(None)),
        or_(Message.state.is_(None), Message.state.not_in(UNFINISHED)),
    )
    with database.session() as session:
        count = _count(session, Message, unfiled_texts)
        if not report.dry_run:
            session.execute(update(Message).where(unfiled_texts).values(body="", answer=None, meta=null()))
        _commit(session, report, Removal("unfiled texts", rule, count), actor)
    draft_files = and_(Attachment.case_id.is_(None), Attachment.created_at < cutoff)
    with database.session() as session:
        files = list(session.scalars(select(Attachment).where(draft_files)))
        if not report.dry_run:
            keys = {attachment.storage_key for attachment in files if attachment.storage_key}
            session.execute(delete(Attachment).where(Attachment.id.in_([a.id for a in files])))
            remove_unreferenced(session, storage, keys)
        _commit(session, report, Removal("unfiled files", rule, len(files)), actor)
    drafts = and_(WebSession.case_id.is_(None), WebSession.draft_token.is_not(None), WebSession.last_seen_at < cutoff)
    with database.session() as session:
        count = _count(session, WebSession, drafts)
        if not report.dry_run:
            session.execute(update(WebSession).where(drafts).values(draft_token=None))
        _commit(session, report, Removal("unfiled web form drafts", rule, count), actor)
    # A resume code's sealed answers (what the resident had said by text) once it was used or expired.
    spent = and_(
        ResumeCode.sealed_answers.is_not(None),
        or_(ResumeCode.used_at < cutoff, ResumeCode.expires_at < cutoff),
    )
    with database.session() as session:
        count = _count(session, ResumeCode, spent)
        if not report.dry_run:
            session.execute(update(ResumeCode).where(spent).values(sealed_answers=None))
        _commit(session, report, Removal("spent resume codes' answers", rule, count), actor)
    # A quarantined text once it was released (processed as a resident's text): the sealed request is done with.
    released = QuarantinedRequest.released_at < cutoff
    with database.session() as session:
        count = _count(session, QuarantinedRequest, released)
        if not report.dry_run:
            session.execute(delete(QuarantinedRequest).where(released))
        _commit(session, report, Removal("released quarantined texts", rule, count), actor)


def purge_sessions(
    database: Database, *, policy: RetentionPolicy, as_of: dt.datetime, report: RetentionReport, actor: str
) -> None:
    """Remove residents' web sessions and staff sessions idle or ended that long ago, and old sign-in throttles."""
    if policy.session_days is None:
        return
    as_of = by_the_clock(as_of)
    cutoff = as_of - dt.timedelta(days=policy.session_days)
    rule = policy.rule("HEARD_RETENTION_SESSION_DAYS")
    classes: list[tuple[str, type, ColumnElement[bool]]] = [
        ("web sessions", WebSession, WebSession.last_seen_at < cutoff),
        ("staff sessions", StaffSession, func.coalesce(StaffSession.ended_at, StaffSession.last_seen_at) < cutoff),
        (
            "sign-in throttles",
            SignInThrottle,
            and_(
                SignInThrottle.last_failure_at < cutoff,
                or_(SignInThrottle.wait_until.is_(None), SignInThrottle.wait_until < as_of),
            ),
        ),
    ]
    for name, model, where in classes:
        with database.session() as session:
            count = _count(session, model, where)
            if not report.dry_run:
                session.execute(delete(model).where(where))
            _commit(session, report, Removal(name, rule, count), actor)


def purge_jobs(
    database: Database, *, policy: RetentionPolicy, as_of: dt.datetime, report: RetentionReport, actor: str
) -> None:
    """Remove finished jobs; dead jobs stay until someone looks at them (`intake jobs status`)."""
    if policy.job_days is None:
        return
    cutoff = as_of - dt.timedelta(days=policy.job_days)
    finished = and_(Job.state == JobState.DONE, Job.updated_at < cutoff)
    with database.session() as session:
        count = _count(session, Job, finished)
        if not report.dry_run:
            session.execute(delete(Job).where(finished))
        _commit(session, report, Removal("finished jobs", policy.rule("HEARD_RETENTION_JOB_DAYS"), count), actor)


def purge_spool(
    database: Database,
    *,
    storage: Storage,
    keyring: Keyring,
    policy: RetentionPolicy,
    as_of: dt.datetime,
    report: RetentionReport,
    actor: str,
) -> None:
    """Remove spooled texts the database already holds, and half-written spool objects left by a crash.

    NOTE: a spooled text the database does not hold yet is never removed, however old: it is a
    resident's message still waiting. One that no key opens is kept too, and named.
    """
    if policy.spool_days is None:
        return
    cutoff = as_of - dt.timedelta(days=policy.spool_days)
    rule = policy.rule("HEARD_RETENTION_SPOOL_DAYS")
    gone: list[str] = []
    with database.session() as session:
        for stored in stored_files(storage, "spool/"):
            if stored.modified >= cutoff:
                continue
            if not stored.key.endswith(".msg"):
                gone.append(stored.key)  # not a spooled text: a write that never finished (answered with an error)
                continue
            provider_id = _spooled_provider_id(storage, keyring, stored.key)
            if provider_id is None:
                report.notes.append(f"kept spooled file {stored.key}: no configured key opens it")
            elif session.scalar(select(Message.id).where(Message.provider_id == provider_id)) is not None:
                gone.append(stored.key)
        if not report.dry_run:
            for key in gone:
                remove_stored(storage, key)
        _commit(session, report, Removal("drained spool files", rule, len(gone)), actor)


def _spooled_provider_id(storage: Storage, keyring: Keyring, key: str) -> str | None:
    data = read_stored(storage, key)
    if data is None:
        return None
    try:
        record = json.loads(keyring.decrypt(data.decode("ascii")) or "{}")
    except (ConfigurationError, ValueError):
        return None
    provider_id = record.get("provider_id") if isinstance(record, dict) else None
    return str(provider_id) if provider_id else None


def purge_phone_numbers(
    database: Database, *, policy: RetentionPolicy, as_of: dt.datetime, report: RetentionReport, actor: str
) -> None:
    """Remove the sealed number of a texting resident silent that long, whose cases' contact details are gone.

    Their STOP/START record stays (it is kept by the number's keyed digest), and a later text
    from them sets the number again. A case still holding contact details (open, recently
    closed, on legal hold) keeps its resident's number too.
    """
    if policy.contact_months is None:
        return
    cutoff = months_before(as_of, policy.contact_months)
    latest = select(func.max(Message.created_at)).where(Message.correspondent_id == Correspondent.id).scalar_subquery()
    case_kept = exists().where(
        Message.correspondent_id == Correspondent.id,
        Message.case_id == Case.id,
        Case.contact_purged_at.is_(None),
    )
    silent = and_(
        Correspondent.phone_token.is_not(None),
        Correspondent.updated_at < cutoff,
        or_(latest.is_(None), latest < cutoff),
        ~case_kept,
    )
    with database.session() as session:
        ids = list(session.scalars(select(Correspondent.id).where(silent)))
        if not report.dry_run and ids:
            session.execute(update(Correspondent).where(Correspondent.id.in_(ids)).values(phone_token=None))
        removal = Removal(
            "phone numbers of residents who texted", policy.rule("HEARD_RETENTION_CONTACT_MONTHS"), len(ids)
        )
        _commit(session, report, removal, actor)


def purge_unfinished_writes(
    database: Database, *, storage: Storage, report: RetentionReport, actor: str, now: dt.datetime | None = None
) -> None:
    """Remove the half-written files a crash left in the folder store (S3 keeps whole objects or nothing).

    NOTE: counted by the clock, never by ``--as-of``: a run "as of" a far date must not take a
    file being written at this moment.
    """
    if not isinstance(storage, FolderStorage):
        return
    cutoff = (now or dt.datetime.now(dt.UTC)) - PARTIAL_WRITE_AGE
    partial = [path for root in STORED_ROOTS for path in storage.unfinished_writes(root, cutoff)]
    if not report.dry_run:
        for path in partial:
            path.unlink(missing_ok=True)
    with database.session() as session:
        removal = Removal("unfinished file writes", "a write a crash left, after 1 day", len(partial))
        _commit(session, report, removal, actor)
