"""What staff may see and do with the queue: the triage console's services.

Every function takes the viewer (the signed-in staff member) and checks their role
here, so no page, form or guessed URL can do more than the role allows. Every view
and every change is written to the audit log. The caller owns the session and
commits; a refused request has written only its own ``access.denied`` entry.

Who sees what (``PERMISSIONS`` below is the whole rule):

- ``intake`` triages and handles cases: reads everything but the full audit log,
  categorises, records the officers involved, moves cases along (not to assigned,
  referred or closed), notes, replies to the resident, marks callbacks done.
- ``supervisor`` does all of that, and assigns, refers, closes, reopens and merges duplicates.
- ``auditor`` reads every case and the whole audit log, but never contact details,
  and changes nothing.
- ``liaison`` (the police department's) sees only cases in status ``referred``, and
  of those only what a referral shares (``LIAISON_FIELDS`` and the evidence); never
  the complainant's contact details, the transcript, notes or the audit trail; nor the
  officers staff identified, nor cases merged into the one referred.

NOTE: merging is a supervisor's alone: it closes a resident's case, and closing is a
supervisor's. Intake staff who spot a duplicate say so in a note.

NOTE: Heard records no consent to share contact details with the department yet,
so a liaison is treated as if no complainant consented; ``contact_shared`` is
always False in a referral's record until such a consent is collected.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, column, func, literal_column, or_, select, table, union_all
from sqlalchemy.orm import Session

from intake import audit, case_translation, complaints, duplicates, evidence, lifecycle, messaging, officers, tracking
from intake.audit import ChainReport
from intake.crypto import Keyring
from intake.db import utcnow
from intake.duplicates import Merge
from intake.enums import Channel, Disposition, Kind, Language, Role, Status, StrEnum
from intake.errors import ConfigurationError, IllegalTransition, NotFound, PermissionDenied, ValidationError
from intake.models import (
    Attachment,
    AuditEntry,
    Case,
    CaseOfficer,
    Correspondent,
    Message,
    StaffNote,
    StaffUser,
    StatusChange,
    Translation,
)
from intake.officers import OfficerDetails
from intake.translation import NoTranslationPair, TranslationEngine

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
SEARCH_MAX_CHARS = 200
REPLY_MAX_CHARS = messaging.MAX_REPLY_CHARS
# What a referral shows the police department's liaison, and records as shared.
LIAISON_FIELDS = (
    "tracking_number",
    "kind",
    "category",
    "language",
    "narrative",
    "incident_time_text",
    "incident_at",
    "location",
    "officers",
    "injuries",
    "witnesses",
)
# Categories staff may give a case; "callback_request" is the dialogue's own.
CATEGORIES = (
    "use_of_force",
    "discourtesy",
    "bias_or_profiling",
    "improper_stop_search_arrest",
    "failure_to_act",
    "property",
    "other",
    "commendation",
    "callback_request",
)


class Action(StrEnum):
    """Everything the console lets someone see or do."""

    VIEW_QUEUE = "view_queue"
    VIEW_CASE = "view_case"
    VIEW_CONTACT = "view_contact"
    VIEW_TRANSCRIPT = "view_transcript"
    VIEW_NOTES = "view_notes"
    VIEW_HISTORY = "view_history"  # status history and the case's audit trail
    DOWNLOAD_EVIDENCE = "download_evidence"
    CATEGORISE = "categorise"
    ASSIGN = "assign"
    CHANGE_STATUS = "change_status"
    CLOSE = "close"
    REFER = "refer"
    ADD_NOTE = "add_note"
    REPLY = "reply"
    CALLBACK_DONE = "callback_done"
    EDIT_OFFICERS = "edit_officers"
    MERGE = "merge"
    VIEW_AUDIT_LOG = "view_audit_log"


_READ = frozenset(
    {
        Action.VIEW_QUEUE,
        Action.VIEW_CASE,
        Action.VIEW_TRANSCRIPT,
        Action.VIEW_NOTES,
        Action.VIEW_HISTORY,
        Action.DOWNLOAD_EVIDENCE,
    }
)
_HANDLE = frozenset(
    {
        Action.VIEW_CONTACT,
        Action.CATEGORISE,
        Action.CHANGE_STATUS,
        Action.ADD_NOTE,
        Action.REPLY,
        Action.CALLBACK_DONE,
        Action.EDIT_OFFICERS,
    }
)
PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.INTAKE: _READ | _HANDLE,
    Role.SUPERVISOR: _READ | _HANDLE | {Action.ASSIGN, Action.CLOSE, Action.REFER, Action.MERGE, Action.VIEW_AUDIT_LOG},
    Role.AUDITOR: _READ | {Action.VIEW_AUDIT_LOG},
    Role.LIAISON: frozenset({Action.VIEW_QUEUE, Action.VIEW_CASE, Action.DOWNLOAD_EVIDENCE}),
}
# Moves only a supervisor makes: into these statuses, or out of these.
_SUPERVISOR_TARGETS = frozenset({Status.ASSIGNED, Status.REFERRED, Status.CLOSED})
_SUPERVISOR_SOURCES = frozenset({Status.REFERRED, Status.CLOSED})
_OPEN = frozenset({Status.RECEIVED, Status.TRIAGE, Status.ASSIGNED, Status.INVESTIGATING, Status.REFERRED})


def can(viewer: StaffUser, action: Action) -> bool:
    """Tell whether the viewer's role allows ``action`` at all."""
    return viewer.active and action in PERMISSIONS.get(viewer.role, frozenset())


def actor_of(viewer: StaffUser) -> str:
    """Return how the audit log names the viewer."""
    return f"staff:{viewer.id}"


def _deny(session: Session, viewer: StaffUser, action: str, case_id: int | None, *, conceal: bool = False) -> None:
    """Record a refused request in the audit log, then refuse it."""
    audit.record(
        session,
        actor=actor_of(viewer),
        action="access.denied",
        case_id=case_id,
        summary={"attempted": action, "role": viewer.role.value},
    )
    raise PermissionDenied(f"a {viewer.role.value} may not {action.replace('_', ' ')}", conceal=conceal)


def _require(session: Session, viewer: StaffUser, action: Action, case_id: int | None = None) -> None:
    if not can(viewer, action):
        _deny(session, viewer, action.value, case_id)


def _visible_case(session: Session, viewer: StaffUser, case_id: int, action: Action) -> Case:
    """Return a case the viewer may act on with ``action``, or refuse.

    A liaison asking for a case that is not referred is refused as if it did not exist.
    """
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("no such case")
    if viewer.role is Role.LIAISON and case.status is not Status.REFERRED:
        _deny(session, viewer, action.value, case.id, conceal=True)
    _require(session, viewer, action, case.id)
    return case


# ---------------------------------------------------------------- service targets


@dataclass(frozen=True)
class ServiceTargets:
    """The office's promises: acknowledge a case within so many working days, in its time zone.

    Working days are Monday to Friday; public holidays are not known yet.
    A case is acknowledged once it leaves ``received``.
    """

    acknowledge_working_days: int = 3
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if self.acknowledge_working_days < 0:
            raise ConfigurationError("HEARD_ACK_WORKING_DAYS must be zero or more")
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigurationError(f"HEARD_OFFICE_TIMEZONE {self.timezone!r} is not a known time zone") from exc

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def acknowledge_by(self, filed_at: dt.datetime) -> dt.datetime:
        """Return when a case filed at ``filed_at`` must be acknowledged (aware UTC)."""
        local = filed_at.astimezone(self.zone)
        while local.weekday() >= 5:  # filed at the weekend: the clock starts on Monday morning
            local = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), self.zone)
        for _ in range(self.acknowledge_working_days):
            local += dt.timedelta(days=1)
            while local.weekday() >= 5:
                local += dt.timedelta(days=1)
        return local.astimezone(dt.timezone.utc)

    def overdue_cutoff(self, now: dt.datetime) -> dt.datetime:
        """Return the filing time before which an unacknowledged case is overdue at ``now``."""
        local = now.astimezone(self.zone)
        if local.weekday() >= 5:  # at the weekend no deadline falls later than Friday's end
            friday = local.date() - dt.timedelta(days=local.weekday() - 4)
            local = dt.datetime.combine(friday, dt.time.max, self.zone)
        for _ in range(self.acknowledge_working_days):
            local -= dt.timedelta(days=1)
            while local.weekday() >= 5:
                local -= dt.timedelta(days=1)
        return local.astimezone(dt.timezone.utc)


@dataclass(frozen=True)
class Clock:
    """How long a case has waited, and whether it missed the acknowledgement target."""

    filed_at: dt.datetime
    updated_at: dt.datetime
    since_filed: dt.timedelta
    since_update: dt.timedelta
    acknowledge_by: dt.datetime | None  # None once acknowledged
    overdue: bool


def clock_of(case: Case, *, targets: ServiceTargets, now: dt.datetime) -> Clock:
    """Return a case's clock at ``now``."""
    waiting = case.status is Status.RECEIVED
    return Clock(
        filed_at=case.created_at,
        updated_at=case.updated_at,
        since_filed=now - case.created_at,
        since_update=now - case.updated_at,
        acknowledge_by=targets.acknowledge_by(case.created_at) if waiting else None,
        overdue=waiting and case.created_at < targets.overdue_cutoff(now),
    )


# ---------------------------------------------------------------- the queue


class Sort(StrEnum):
    NEWEST = "newest"
    OLDEST = "oldest"
    RECENTLY_UPDATED = "updated"
    LEAST_RECENTLY_UPDATED = "stale"


_SORT_COLUMN = {
    Sort.NEWEST: (Case.created_at, True),
    Sort.OLDEST: (Case.created_at, False),
    Sort.RECENTLY_UPDATED: (Case.updated_at, True),
    Sort.LEAST_RECENTLY_UPDATED: (Case.updated_at, False),
}
UNASSIGNED = 0  # the assignee filter's value for "nobody"


@dataclass(frozen=True)
class CaseFilters:
    """What the queue is narrowed to; None means "any"."""

    status: Status | None = None
    kind: Kind | None = None
    category: str | None = None
    language: Language | None = None
    channel: Channel | None = None
    assignee_id: int | None = None  # UNASSIGNED for cases nobody has
    needs_interpreter: bool | None = None
    injury_reported: bool | None = None
    overdue: bool | None = None
    filed_from: dt.date | None = None  # inclusive, in the office's time zone
    filed_to: dt.date | None = None  # inclusive, in the office's time zone
    text: str | None = None

    def summary(self) -> dict[str, Any]:
        """Describe the filters for the audit log, leaving out the search words."""
        described: dict[str, Any] = {}
        for name, value in self.__dict__.items():
            if value is None or name == "text":
                continue
            described[name] = value.isoformat() if isinstance(value, dt.date) else str(value)
        if self.text:
            described["text_search"] = True
        return described


@dataclass(frozen=True)
class QueueRow:
    """One line of the queue."""

    id: int
    tracking_number: str
    kind: Kind
    status: Status
    category: str | None
    language: Language
    channel: Channel
    assignee: str | None
    needs_interpreter: bool
    injury_reported: bool
    excerpt: str
    clock: Clock


@dataclass(frozen=True)
class QueuePage:
    """A page of the queue, the cursor of the next page, and how many cases are in each status."""

    rows: list[QueueRow]
    next_cursor: str | None
    counts: dict[Status, int]
    total: int


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(
    filters: CaseFilters,
    *,
    viewer: StaffUser,
    targets: ServiceTargets,
    now: dt.datetime,
    with_status: bool,
    dialect: str,
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if viewer.role is Role.LIAISON:
        where.append(Case.status == Status.REFERRED)
    if with_status and filters.status is not None:
        where.append(Case.status == filters.status)
    if filters.kind is not None:
        where.append(Case.kind == filters.kind)
    if filters.category is not None:
        where.append(Case.category == filters.category)
    if filters.language is not None:
        where.append(Case.language == filters.language)
    if filters.channel is not None:
        where.append(Case.channel == filters.channel)
    if filters.assignee_id == UNASSIGNED:
        where.append(Case.assignee_id.is_(None))
    elif filters.assignee_id is not None:
        where.append(Case.assignee_id == filters.assignee_id)
    if filters.needs_interpreter is not None:
        where.append(Case.needs_interpreter.is_(filters.needs_interpreter))
    if filters.injury_reported is not None:
        injured = and_(Case.injuries.is_not(None), func.trim(Case.injuries) != "")
        where.append(injured if filters.injury_reported else ~injured)
    if filters.overdue is not None:
        overdue = and_(Case.status == Status.RECEIVED, Case.created_at < targets.overdue_cutoff(now))
        where.append(overdue if filters.overdue else ~overdue)
    if filters.filed_from is not None:
        start = dt.datetime.combine(filters.filed_from, dt.time(0), targets.zone)
        where.append(Case.created_at >= start.astimezone(dt.timezone.utc))
    if filters.filed_to is not None:
        end = dt.datetime.combine(filters.filed_to + dt.timedelta(days=1), dt.time(0), targets.zone)
        where.append(Case.created_at < end.astimezone(dt.timezone.utc))
    if filters.text:
        where.append(_text_search(filters.text, viewer=viewer, dialect=dialect))
    return where


def _text_search(text: str, *, viewer: StaffUser, dialect: str, indexed: bool = True) -> ColumnElement[bool]:
    """Match the words in the resident's text, its English translations, the officers named, or a tracking number.

    Each table is searched once, and the case ids found are gathered in one uncorrelated
    ``IN (… UNION ALL …)``: the queue keeps one row per case (no join to multiply it), its
    keyset order and its status counts, and each part can use its table's search index.

    NOTE: substring LIKE on both databases, so both find the same cases; SQLite folds case
    for ASCII only. A stale translation (of words since corrected) still finds its case.
    """
    pattern = f"%{_escape_like(text)}%"
    if dialect != "sqlite":
        return _text_search_or(pattern, text, viewer=viewer)
    phrase = _fts_phrase(text) if indexed else None

    def like(column: Any) -> ColumnElement[bool]:
        if dialect == "sqlite":
            # NOTE: SQLite's LIKE already folds ASCII case, as its lower() does: the same match
            # as ILIKE's ``lower(x) LIKE lower(y)``, at half the cost.
            return column.like(pattern, escape="\\")  # type: ignore[no-any-return]
        return column.ilike(pattern, escape="\\")  # type: ignore[no-any-return]

    def searched(query: Select[Any], id_column: Any) -> Select[Any]:
        # On SQLite the FTS5 table narrows the rows to those holding the words' trigrams;
        # the LIKE above still decides, so the index changes the speed, never the answer.
        if phrase is None:
            return query
        fts = table(f"{id_column.table.name}_search", column("rowid"))
        candidates = select(fts.c.rowid).where(literal_column(fts.name).op("MATCH")(phrase))
        return query.where(id_column.in_(candidates))

    found: list[Select[Any]] = [
        searched(select(Case.id).where(or_(like(Case.narrative), like(Case.location), like(Case.officers))), Case.id)
    ]
    translated = select(Translation.case_id).where(like(Translation.text))
    if viewer.role is Role.LIAISON:
        # Only the translations of what a referral shares: not the transcript's messages.
        translated = translated.where(Translation.message_id.is_(None), Translation.field.in_(LIAISON_FIELDS))
    else:
        named = select(CaseOfficer.case_id).where(
            CaseOfficer.ended_at.is_(None),
            or_(like(CaseOfficer.name), like(CaseOfficer.badge_number), like(CaseOfficer.unit)),
        )
        found.append(searched(named, CaseOfficer.id))
    found.append(searched(translated, Translation.id))
    number = tracking.parse_tracking_number(text)
    if number:
        found.append(select(Case.id).where(Case.tracking_number == number))
    return Case.id.in_(union_all(*found))


def _text_search_or(pattern: str, text: str, *, viewer: StaffUser) -> ColumnElement[bool]:
    """PostgreSQL's search: one OR of ILIKEs on the case and uncorrelated ``IN`` subqueries.

    NOTE: measured side by side on 100,000 cases (bench/console.py), this shape was twice as
    fast on PostgreSQL as the ``IN (… UNION ALL …)`` that suits SQLite's FTS5 tables: the
    planner runs each subquery once as a hashed subplan and filters the cases in one pass.
    """

    def like(column: Any) -> ColumnElement[bool]:
        return column.ilike(pattern, escape="\\")  # type: ignore[no-any-return]

    translated = select(Translation.case_id).where(like(Translation.text))
    matches: list[ColumnElement[bool]] = [like(Case.narrative), like(Case.location), like(Case.officers)]
    if viewer.role is Role.LIAISON:
        translated = translated.where(Translation.message_id.is_(None), Translation.field.in_(LIAISON_FIELDS))
    else:
        named = select(CaseOfficer.case_id).where(
            CaseOfficer.ended_at.is_(None),
            or_(like(CaseOfficer.name), like(CaseOfficer.badge_number), like(CaseOfficer.unit)),
        )
        matches.append(Case.id.in_(named))
    matches.append(Case.id.in_(translated))
    number = tracking.parse_tracking_number(text)
    if number:
        matches.append(Case.tracking_number == number)
    return or_(*matches)


def _fts_phrase(text: str) -> str | None:
    """Return ``text`` as an FTS5 phrase for a trigram table, or None when it is too short to have a trigram.

    The trigram tokenizer folds case for all of Unicode, more widely than SQLite's LIKE, so the
    phrase finds every row the LIKE would, and the LIKE then drops the extra ones.
    """
    if len(text) < 3:
        return None
    return '"' + text.replace('"', '""') + '"'


def _encode_cursor(sort: Sort, value: dt.datetime, case_id: int) -> str:
    raw = json.dumps([sort.value, value.isoformat(), case_id]).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str, sort: Sort) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        sort_value, when, case_id = json.loads(raw)
        value = dt.datetime.fromisoformat(when)
        if sort_value != sort.value or not isinstance(case_id, int) or value.tzinfo is None:
            raise ValueError("cursor of another sort")
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationError({"cursor": "is not a page of this queue; start again from the first page"}) from exc
    return value, case_id


def _keyset(sort: Sort, cursor: str | None) -> tuple[list[ColumnElement[bool]], list[Any]]:
    column, descending = _SORT_COLUMN[sort]
    order = [column.desc(), Case.id.desc()] if descending else [column.asc(), Case.id.asc()]
    if cursor is None:
        return [], order
    value, case_id = _decode_cursor(cursor, sort)
    if descending:
        after = or_(column < value, and_(column == value, Case.id < case_id))
    else:
        after = or_(column > value, and_(column == value, Case.id > case_id))
    return [after], order


def list_cases(
    session: Session,
    *,
    viewer: StaffUser,
    filters: CaseFilters,
    targets: ServiceTargets,
    sort: Sort = Sort.NEWEST,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
    now: dt.datetime | None = None,
) -> QueuePage:
    """Return a page of the queue the viewer may see, newest first unless ``sort`` says otherwise."""
    _require(session, viewer, Action.VIEW_QUEUE)
    now = now or utcnow()
    if filters.text is not None and len(filters.text) > SEARCH_MAX_CHARS:
        raise ValidationError({"q": f"must be at most {SEARCH_MAX_CHARS} characters"})
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    dialect = session.get_bind().dialect.name
    where = _conditions(filters, viewer=viewer, targets=targets, now=now, with_status=True, dialect=dialect)
    after, order = _keyset(sort, cursor)
    query = (
        select(Case, StaffUser.email)
        .outerjoin(StaffUser, StaffUser.id == Case.assignee_id)
        .where(*where, *after)
        .order_by(*order)
        .limit(limit + 1)
    )
    found = session.execute(query).all()
    counted = session.execute(
        select(Case.status, func.count())
        .where(*_conditions(filters, viewer=viewer, targets=targets, now=now, with_status=False, dialect=dialect))
        .group_by(Case.status)
    ).all()
    rows = [_row(case, assignee, targets=targets, now=now) for case, assignee in found[:limit]]
    next_cursor = None
    if len(found) > limit:
        last = found[limit - 1][0]
        column, _ = _SORT_COLUMN[sort]
        next_cursor = _encode_cursor(sort, getattr(last, column.key), last.id)
    counts = {status: 0 for status in Status}
    counts.update({Status(status): int(n) for status, n in counted})
    if viewer.role is Role.LIAISON:
        counts = {Status.REFERRED: counts[Status.REFERRED]}
    total = counts[filters.status] if filters.status in counts else sum(counts.values())
    audit.record(
        session,
        actor=actor_of(viewer),
        action="queue.viewed",
        summary={"filters": filters.summary(), "sort": sort.value, "page": bool(cursor), "shown": len(rows)},
        change={"text": filters.text},
    )
    return QueuePage(rows=rows, next_cursor=next_cursor, counts=counts, total=total)


def _row(case: Case, assignee: str | None, *, targets: ServiceTargets, now: dt.datetime) -> QueueRow:
    excerpt = " ".join(case.narrative.split())
    return QueueRow(
        id=case.id,
        tracking_number=case.tracking_number,
        kind=case.kind,
        status=case.status,
        category=case.category,
        language=case.language,
        channel=case.channel,
        assignee=assignee,
        needs_interpreter=case.needs_interpreter,
        injury_reported=bool(case.injuries and case.injuries.strip()),
        excerpt=excerpt if len(excerpt) <= 140 else excerpt[:139] + "…",
        clock=clock_of(case, targets=targets, now=now),
    )


# ---------------------------------------------------------------- one case


@dataclass(frozen=True)
class ContactView:
    """A complainant's contact details, decrypted for someone allowed to see them."""

    name: str | None
    phone: str | None
    email: str | None
    preferred: str


@dataclass(frozen=True)
class CaseView:
    """Everything about one case that the viewer may see; what they may not is left empty."""

    case: Case
    clock: Clock
    contact: ContactView | None
    contact_withheld: bool
    transcript: list[Message]
    notes: list[StaffNote]
    status_history: list[StatusChange]
    attachments: list[Attachment]
    audit_trail: list[AuditEntry]
    staff_names: dict[int, str]
    moves: list[Status]
    assignable: list[StaffUser]
    can_reply: bool
    reply_refusal: str | None
    callback_pending: bool
    allowed: frozenset[Action] = field(default_factory=frozenset)
    # The current machine translation of each field ("narrative", "location", …), when one exists.
    translations: dict[str, Translation] = field(default_factory=dict)
    # The officers and units staff identified (the resident's own words stay in ``case.officers``).
    officers: list[CaseOfficer] = field(default_factory=list)
    # The case this one was merged into, and how; the duplicates merged into this one.
    merged_into: Case | None = None
    merge: Merge | None = None
    merged_cases: list[Merge] = field(default_factory=list)
    # The duplicate each message of the transcript came from, when it is not this case's own.
    message_origin: dict[int, Case] = field(default_factory=dict)
    can_merge: bool = False

    def origin(self, case_id: int | None) -> Case | None:
        """Return the merged duplicate a record with ``case_id`` belongs to; None for this case's own."""
        for merged in self.merged_cases:
            if merged.case.id == case_id:
                return merged.case
        return None

    def translation(self, name: str) -> Translation | None:
        """Return the translation of the field's current text, if it exists and the viewer may see the field."""
        return self.translations.get(name) if self.shows(name) or name == "narrative" else None

    def shows(self, name: str) -> bool:
        """Tell whether the viewer may see the case field ``name``."""
        return name in LIAISON_FIELDS or Action.VIEW_TRANSCRIPT in self.allowed


def _may_move(viewer: StaffUser, current: Status, to: Status) -> bool:
    if viewer.role is Role.SUPERVISOR:
        return True
    if viewer.role is not Role.INTAKE:
        return False
    if to in _SUPERVISOR_TARGETS or current in _SUPERVISOR_SOURCES:
        return False
    return not (current is Status.ASSIGNED and to is Status.TRIAGE)  # unassigning is the supervisor's


def moves_for(viewer: StaffUser, case: Case) -> list[Status]:
    """Return the statuses the viewer may move ``case`` to (assignment has its own form)."""
    if not can(viewer, Action.CHANGE_STATUS):
        return []
    return [
        to
        for to in Status
        if to in lifecycle.allowed_transitions(case.status)
        and to is not Status.ASSIGNED
        and _may_move(viewer, case.status, to)
    ]


def _transcript(session: Session, case: Case) -> list[Message]:
    """Return the case's messages and its conversation's messages not tied to another case."""
    mine = Message.case_id == case.id
    if case.conversation_id:
        mine = or_(mine, and_(Message.conversation_id == case.conversation_id, Message.case_id.is_(None)))
    return list(session.scalars(select(Message).where(mine).order_by(Message.created_at, Message.id)))


def _correspondent(session: Session, case: Case) -> Correspondent | None:
    """Return the texting resident behind a case, through its messages or its conversation."""
    found = session.scalars(
        select(Correspondent)
        .join(Message, Message.correspondent_id == Correspondent.id)
        .where(Message.case_id == case.id)
        .order_by(Message.id.desc())
        .limit(1)
    ).first()
    if found is None and case.conversation_id:
        found = session.scalars(
            select(Correspondent).where(Correspondent.conversation_id == case.conversation_id)
        ).first()
    return found


def _reply_refusal(session: Session, case: Case) -> tuple[Correspondent | None, str | None]:
    correspondent = _correspondent(session, case)
    if correspondent is None:
        return None, "This case has no text-message conversation to reply to; reach the resident another way."
    if correspondent.opted_out:
        return None, "The resident texted STOP; Heard sends them nothing until they text START."
    return correspondent, None


def _callback_pending(session: Session, case: Case) -> bool:
    """Tell whether the resident asked for a call back that nobody has marked done since."""

    def last(action: str) -> int:
        found = session.scalar(
            select(func.max(AuditEntry.seq)).where(AuditEntry.case_id == case.id, AuditEntry.action == action)
        )
        return int(found or 0)

    asked = last("case.callback_requested")
    if case.category == "callback_request":
        asked = max(asked, last("case.filed"))
    return asked > last("case.callback_done")


def staff_names(session: Session) -> dict[int, str]:
    """Return every staff member's display name (or email), by id."""
    return {user.id: user.display_name or user.email for user in session.scalars(select(StaffUser))}


def get_case_for(
    session: Session,
    *,
    viewer: StaffUser,
    case_id: int,
    keyring: Keyring,
    targets: ServiceTargets,
    now: dt.datetime | None = None,
) -> CaseView:
    """Return what the viewer may see of a case, and record that they saw it."""
    case = _visible_case(session, viewer, case_id, Action.VIEW_CASE)
    now = now or utcnow()
    allowed = PERMISSIONS[viewer.role]
    contact = None
    if Action.VIEW_CONTACT in allowed and case.contact is not None:
        given = case.contact
        contact = ContactView(
            name=keyring.decrypt(given.name_token),
            phone=keyring.decrypt(given.phone_token),
            email=keyring.decrypt(given.email_token),
            preferred=given.preferred.value,
        )
    full = Action.VIEW_TRANSCRIPT in allowed
    correspondent, refusal = _reply_refusal(session, case) if Action.REPLY in allowed else (None, None)
    # NOTE: merged duplicates are shown to the office's staff only; a referral shares this case alone.
    merged_cases = duplicates.merged_into(session, case=case) if full else []
    merged_into = session.get(Case, case.merged_into_id) if full and case.merged_into_id else None
    transcript = _transcript(session, case) if full else []
    attachments = list(case.attachments)
    message_origin: dict[int, Case] = {}
    for merged in merged_cases:
        mine = {message.id for message in transcript}
        theirs = [message for message in _transcript(session, merged.case) if message.id not in mine]
        message_origin.update({message.id: merged.case for message in theirs})
        transcript.extend(theirs)
        attachments.extend(merged.case.attachments)
    transcript.sort(key=lambda message: (message.created_at, message.id))
    view = CaseView(
        case=case,
        clock=clock_of(case, targets=targets, now=now),
        contact=contact,
        contact_withheld=contact is None and case.contact is not None,
        transcript=transcript,
        notes=list(case.notes) if Action.VIEW_NOTES in allowed else [],
        status_history=list(case.status_changes) if Action.VIEW_HISTORY in allowed else [],
        attachments=attachments,
        audit_trail=list(
            session.scalars(select(AuditEntry).where(AuditEntry.case_id == case.id).order_by(AuditEntry.seq))
        )
        if Action.VIEW_HISTORY in allowed
        else [],
        staff_names=staff_names(session) if full else {},
        moves=moves_for(viewer, case),
        assignable=assignable_staff(session) if Action.ASSIGN in allowed and case.status in _OPEN else [],
        can_reply=correspondent is not None,
        reply_refusal=refusal,
        callback_pending=_callback_pending(session, case) if Action.CALLBACK_DONE in allowed else False,
        allowed=allowed,
        translations=_current_translations(session, case),
        officers=officers.current(session, case_id=case.id) if full else [],
        merged_into=merged_into,
        merge=duplicates.merge_of(session, case=case) if merged_into else None,
        merged_cases=merged_cases,
        message_origin=message_origin,
        can_merge=Action.MERGE in allowed and case.status in duplicates.MERGEABLE,
    )
    summary: dict[str, Any] = {"role": viewer.role.value, "contact_shown": contact is not None, "full": full}
    if merged_cases:
        summary["merged_cases"] = [merged.case.id for merged in merged_cases]
    audit.record(session, actor=actor_of(viewer), action="case.viewed", case_id=case.id, summary=summary)
    for merged in merged_cases:
        # Their words, messages and evidence were on this page: each duplicate's trail says so.
        audit.record(
            session,
            actor=actor_of(viewer),
            action="case.viewed",
            case_id=merged.case.id,
            summary={"role": viewer.role.value, "contact_shown": False, "full": True, "via": case.id},
        )
    return view


def _current_translations(session: Session, case: Case) -> dict[str, Translation]:
    """Return the translation of each field's current text (a correction makes older ones stale)."""
    current: dict[str, Translation] = {}
    for made in case_translation.translations_of(session, case_id=case.id):
        text = getattr(case, made.field, None) if made.message_id is None else None
        if text and made.source_digest == case_translation.digest(str(text)):
            current[made.field] = made
    return current


def assignable_staff(session: Session) -> list[StaffUser]:
    """Return the active staff a case can be assigned to."""
    return list(
        session.scalars(
            select(StaffUser)
            .where(StaffUser.active.is_(True), StaffUser.role.in_([Role.INTAKE, Role.SUPERVISOR]))
            .order_by(StaffUser.email)
        )
    )


@dataclass(frozen=True)
class Evidence:
    """An attachment the viewer may download (or see inline, when it is an image)."""

    attachment: Attachment
    filename: str


def previewable(attachment: Attachment) -> bool:
    """Tell whether the case page shows an attachment inline (the preview checks its bytes again)."""
    return attachment.content_type in evidence.INLINE_IMAGE_TYPES


def get_attachment_for(
    session: Session, *, viewer: StaffUser, case_id: int, attachment_id: int, preview: bool = False
) -> Evidence:
    """Return an attachment of a case for download, or for an inline preview, and record it.

    Only images of the types in ``evidence.INLINE_IMAGE_TYPES`` have a preview; the caller
    must still check that the bytes are such an image (``evidence.inline_image_type``).
    """
    case = _visible_case(session, viewer, case_id, Action.DOWNLOAD_EVIDENCE)
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.case_id != case.id:
        raise NotFound("no such attachment on this case")
    if preview and not previewable(attachment):
        raise NotFound("this attachment has no preview; download it")
    audit.record(
        session,
        actor=actor_of(viewer),
        action="attachment.previewed" if preview else "attachment.downloaded",
        case_id=case.id,
        summary={"attachment_id": attachment.id, "sha256": attachment.sha256},
    )
    extension = {
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "image/gif": ".gif",
        "image/webp": ".webp",
        "application/pdf": ".pdf",
    }.get(attachment.content_type, ".bin")
    # NOTE: never the resident's file name: it is theirs to choose and may say anything.
    filename = f"case-{tracking.format_tracking_number(case.tracking_number)}-{attachment.sha256[:12]}{extension}"
    return Evidence(attachment=attachment, filename=filename)


def verify_evidence(attachment: Attachment, data: bytes) -> None:
    """Refuse to hand out a file whose bytes are not the ones recorded."""
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        raise ConfigurationError(f"attachment {attachment.id} does not match its recorded SHA-256")


# ---------------------------------------------------------------- changes


def _touch(case: Case) -> None:
    case.updated_at = utcnow()


def categorise(session: Session, *, viewer: StaffUser, case_id: int, category: str) -> Case:
    """Give a case one of the office's categories."""
    case = _visible_case(session, viewer, case_id, Action.CATEGORISE)
    if category not in CATEGORIES:
        raise ValidationError({"category": f"must be one of: {', '.join(CATEGORIES)}"})
    previous = case.category
    if previous == category:
        return case
    case.category = category
    _touch(case)
    audit.record(
        session,
        actor=actor_of(viewer),
        action="case.categorised",
        case_id=case.id,
        summary={"from": previous, "to": category},
    )
    session.flush()
    return case


def assign(session: Session, *, viewer: StaffUser, case_id: int, assignee_id: int) -> Case:
    """Assign an open case to a staff member; a new case is taken through triage on the way."""
    case = _visible_case(session, viewer, case_id, Action.ASSIGN)
    assignee = session.get(StaffUser, assignee_id)
    if assignee is None or not assignee.active or assignee.role not in (Role.INTAKE, Role.SUPERVISOR):
        raise ValidationError({"assignee": "must be an active intake or supervisor account"})
    actor = actor_of(viewer)
    if case.status is Status.RECEIVED:
        lifecycle.change_status(session, case=case, to=Status.TRIAGE, actor=actor, reason="assigned")
    if case.status is Status.TRIAGE:
        lifecycle.change_status(session, case=case, to=Status.ASSIGNED, actor=actor, assignee=assignee)
        return case
    if case.status not in _OPEN:
        raise IllegalTransition(f"a {case.status.value} case cannot be assigned; reopen it first")
    previous = case.assignee_id
    if previous == assignee.id:
        return case
    case.assignee_id = assignee.id
    _touch(case)
    audit.record(
        session,
        actor=actor,
        action="case.reassigned",
        case_id=case.id,
        summary={"from": previous, "to": assignee.id},
    )
    session.flush()
    return case


def change_status(
    session: Session,
    *,
    viewer: StaffUser,
    case_id: int,
    to: Status,
    reason: str | None = None,
    disposition: Disposition | None = None,
) -> StatusChange:
    """Move a case through the lifecycle, as far as the viewer's role allows.

    Closing needs a reason and a disposition; closing, referring and reopening are
    a supervisor's. A referral records exactly which fields the liaison will see.
    """
    action = {Status.CLOSED: Action.CLOSE, Status.REFERRED: Action.REFER}.get(to, Action.CHANGE_STATUS)
    case = _visible_case(session, viewer, case_id, action)
    if to is Status.ASSIGNED:
        raise ValidationError({"to": "assign the case to someone instead"})
    if not _may_move(viewer, case.status, to):
        _deny(session, viewer, f"move a {case.status.value} case to {to.value}", case.id)
    reason = (reason or "").strip() or None
    if to is Status.CLOSED and reason is None:
        raise ValidationError({"reason": "closing a case needs a reason"})
    change = lifecycle.change_status(
        session, case=case, to=to, actor=actor_of(viewer), reason=reason, disposition=disposition
    )
    if to is Status.REFERRED:
        shared = [name for name in LIAISON_FIELDS if getattr(case, name) not in (None, "")]
        audit.record(
            session,
            actor=actor_of(viewer),
            action="case.referred",
            case_id=case.id,
            summary={
                "shared_fields": shared,
                "shared_attachments": [a.sha256 for a in case.attachments],
                "contact_shared": False,
            },
        )
    return change


def add_note(session: Session, *, viewer: StaffUser, case_id: int, body: str) -> StaffNote:
    """Add an internal note to a case."""
    case = _visible_case(session, viewer, case_id, Action.ADD_NOTE)
    note = complaints.add_note(session, case=case, author_id=viewer.id, body=body)
    _touch(case)
    return note


@dataclass(frozen=True)
class ReplyPreview:
    """A staff reply and its machine translation into the resident's language, to check before sending."""

    original: str
    text: str
    language: Language
    models: tuple[str, ...]
    problem: str | None = None  # why it could not be translated; it would go in English


def preview_reply(
    session: Session, *, viewer: StaffUser, case_id: int, text: str, engine: TranslationEngine
) -> ReplyPreview:
    """Translate a reply into the resident's language for staff to read and edit before it is sent."""
    case = _visible_case(session, viewer, case_id, Action.REPLY)
    body = (text or "").strip()
    if not body:
        raise ValidationError({"text": "a reply cannot be empty"})
    try:
        made = case_translation.translate_reply(engine, body, case.language.value)
    except NoTranslationPair:
        return ReplyPreview(
            body, body, Language.EN, (), problem="no machine translation into this language is installed"
        )
    if made is None:
        return ReplyPreview(body, body, case.language, ())
    return ReplyPreview(body, made.text, case.language, made.models)


def reply(
    session: Session,
    *,
    viewer: StaffUser,
    case_id: int,
    text: str,
    translated_from: str | None = None,
    models: tuple[str, ...] = (),
) -> list[Message]:
    """Send the resident a text message on the case's conversation, and record it on the case.

    A machine-translated reply (``translated_from`` holds the staff's English) goes in the
    resident's language, marked as machine-translated when it is sent.
    """
    case = _visible_case(session, viewer, case_id, Action.REPLY)
    body = (text or "").strip()
    if not body:
        raise ValidationError({"text": "a reply cannot be empty"})
    if len(body) > REPLY_MAX_CHARS:
        raise ValidationError({"text": f"must be at most {REPLY_MAX_CHARS} characters"})
    correspondent, refusal = _reply_refusal(session, case)
    if correspondent is None:
        raise ValidationError({"text": refusal or "there is no one to reply to"})
    translated = bool(translated_from and translated_from.strip() and models)
    meta: dict[str, Any] = {"staff_id": viewer.id, "source": "console"}
    if translated:
        meta.update(machine_translated=True, source_text=(translated_from or "").strip(), models=list(models))
    sent = messaging.queue_outbound(
        session,
        correspondent=correspondent,
        texts=[body],
        language=case.language.value if translated else Language.EN.value,
        case=case,
        meta=meta,
    )
    _touch(case)
    audit.record(
        session,
        actor=actor_of(viewer),
        action="case.replied",
        case_id=case.id,
        summary={"channel": Channel.SMS.value, "message_ids": [m.id for m in sent]},
        change={"text": body},
    )
    session.flush()
    return sent


def mark_callback_done(session: Session, *, viewer: StaffUser, case_id: int, note: str | None = None) -> None:
    """Record that the resident's request for a call back was answered."""
    case = _visible_case(session, viewer, case_id, Action.CALLBACK_DONE)
    if not _callback_pending(session, case):
        raise ValidationError({"callback": "no call back is waiting on this case"})
    _touch(case)
    audit.record(
        session,
        actor=actor_of(viewer),
        action="case.callback_done",
        case_id=case.id,
        summary={"staff_id": viewer.id},
        change={"note": (note or "").strip()},
    )
    session.flush()


def merge_case(session: Session, *, viewer: StaffUser, case_id: int, into: str, reason: str) -> StatusChange:
    """Close a case as a duplicate of the case whose tracking number is ``into``, and link the two.

    The duplicate keeps its own records; the case it joins shows them.
    """
    case = _visible_case(session, viewer, case_id, Action.MERGE)
    target = duplicates.find_target(session, tracking_text=into)
    return duplicates.merge(session, case=case, into=target, actor=actor_of(viewer), reason=reason)


def add_officer(session: Session, *, viewer: StaffUser, case_id: int, **details: str | None) -> CaseOfficer:
    """Record an officer or unit involved in a case.

    Args:
        details: ``name``, ``badge_number``, ``unit``, ``description``; each optional, at least one given.
    """
    case = _visible_case(session, viewer, case_id, Action.EDIT_OFFICERS)
    entry = officers.add(session, case=case, details=OfficerDetails.parse(details), actor=actor_of(viewer))
    _touch(case)
    return entry


def change_officer(
    session: Session, *, viewer: StaffUser, case_id: int, officer_id: int, **details: str | None
) -> CaseOfficer:
    """Correct what a case records of an officer (fields as for ``add_officer``); the previous entry is kept."""
    case = _visible_case(session, viewer, case_id, Action.EDIT_OFFICERS)
    entry = officers.change(
        session, case=case, officer_id=officer_id, details=OfficerDetails.parse(details), actor=actor_of(viewer)
    )
    if entry.id != officer_id:
        _touch(case)
    return entry


def remove_officer(session: Session, *, viewer: StaffUser, case_id: int, officer_id: int) -> None:
    """Take an officer off a case (the entry is kept, ended)."""
    case = _visible_case(session, viewer, case_id, Action.EDIT_OFFICERS)
    officers.remove(session, case=case, officer_id=officer_id, actor=actor_of(viewer))
    _touch(case)


# ---------------------------------------------------------------- the audit log


@dataclass(frozen=True)
class AuditPage:
    """A page of the audit log, newest first, and whether the whole chain verifies."""

    entries: list[AuditEntry]
    next_before: int | None
    chain: ChainReport


def read_audit_log(
    session: Session,
    *,
    viewer: StaffUser,
    before: int | None = None,
    case_id: int | None = None,
    limit: int = PAGE_SIZE,
) -> AuditPage:
    """Return audit entries (newest first, before sequence ``before``) and the chain's verification."""
    _require(session, viewer, Action.VIEW_AUDIT_LOG)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    # NOTE: the whole chain is recomputed on every visit; fine at tens of thousands of entries,
    # a checkpointed verification is the answer beyond that.
    chain = audit.verify_chain(session)
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit + 1)
    if before is not None:
        query = query.where(AuditEntry.seq < before)
    if case_id is not None:
        query = query.where(AuditEntry.case_id == case_id)
    entries = list(session.scalars(query))
    next_before = entries[limit - 1].seq if len(entries) > limit else None
    audit.record(
        session,
        actor=actor_of(viewer),
        action="audit.viewed",
        # NOTE: the case asked for goes in the summary, not the foreign key: it may not exist.
        summary={"before": before, "case_id": case_id, "chain_ok": chain.ok},
    )
    return AuditPage(entries=entries[:limit], next_before=next_before, chain=chain)
