"""What staff may see and do with the queue: the triage console's services.

Every function takes the viewer (the signed-in staff member) and checks their role
here, so no page, form or guessed URL can do more than the role allows. Every view
and every change is written to the audit log. The caller owns the session and
commits; a refused request has written only its own ``access.denied`` entry.

Who sees what (``PERMISSIONS`` below is the whole rule):

- ``intake`` triages and handles cases: reads everything but the full audit log,
  categorises, records the officers involved, moves cases along (not to assigned,
  referred or closed), notes, replies to the resident, marks callbacks done.
- ``supervisor`` does all of that, and assigns, refers, closes, reopens and merges duplicates,
  and sets or clears a legal hold (which keeps a case out of the retention schedule).
- ``auditor`` reads every case and the whole audit log, but never contact details,
  and changes nothing.
- ``liaison`` (the police department's) sees only cases in status ``referred``, and
  of those only what a referral shares (``LIAISON_FIELDS`` and the evidence); never
  the complainant's contact details, the transcript, notes or the audit trail; nor the
  officers staff identified, nor cases merged into the one referred. Of the evidence, a
  liaison gets images re-encoded without their metadata (``intake.redact``); an original,
  a call recording or any other file only when a supervisor shares that one file, with
  a reason (``intake.triage.sharing``), until the share is revoked.

NOTE: merging is a supervisor's alone: it closes a resident's case, and closing is a
supervisor's. Intake staff who spot a duplicate say so in a note.

NOTE: Heard records no consent to share contact details with the department yet,
so a liaison is treated as if no complainant consented; ``contact_shared`` is
always False in a referral's record until such a consent is collected.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from intake import audit
from intake.enums import Role, Status, StrEnum
from intake.errors import NotFound, PermissionDenied
from intake.models import (
    Case,
    StaffUser,
)

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


class Action(StrEnum):
    """Everything the console lets someone see or do."""

    VIEW_QUEUE = "view_queue"
    VIEW_CASE = "view_case"
    VIEW_CONTACT = "view_contact"
    VIEW_TRANSCRIPT = "view_transcript"
    VIEW_NOTES = "view_notes"
    VIEW_HISTORY = "view_history"  # status history and the case's audit trail
    DOWNLOAD_EVIDENCE = "download_evidence"
    SHARE_EVIDENCE = "share_evidence"  # an original file or recording, with the police liaison
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
    VIEW_REPORTS = "view_reports"  # the board report in the console
    VIEW_EARLY_WARNING = "view_early_warning"  # early-warning flags about officers
    MANAGE_JOBS = "manage_jobs"  # the background queue's health, its dead jobs, and retrying them
    LEGAL_HOLD = "legal_hold"  # set or clear a legal hold, which keeps a case out of the retention schedule
    EXPORT_RESIDENT_DATA = "export_resident_data"  # one resident's data, on their request (intake/privacy.py)
    ERASE_RESIDENT_DATA = "erase_resident_data"


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
    Role.SUPERVISOR: _READ
    | _HANDLE
    | {
        Action.ASSIGN,
        Action.CLOSE,
        Action.REFER,
        Action.MERGE,
        Action.SHARE_EVIDENCE,
        Action.VIEW_AUDIT_LOG,
        Action.VIEW_REPORTS,
        Action.VIEW_EARLY_WARNING,
        Action.MANAGE_JOBS,
        Action.LEGAL_HOLD,
        Action.EXPORT_RESIDENT_DATA,
        Action.ERASE_RESIDENT_DATA,
    },
    Role.AUDITOR: _READ | {Action.VIEW_AUDIT_LOG, Action.VIEW_REPORTS},
    Role.LIAISON: frozenset({Action.VIEW_QUEUE, Action.VIEW_CASE, Action.DOWNLOAD_EVIDENCE}),
}
# Moves only a supervisor makes: into these statuses, or out of these.
SUPERVISOR_TARGETS = frozenset({Status.ASSIGNED, Status.REFERRED, Status.CLOSED})
SUPERVISOR_SOURCES = frozenset({Status.REFERRED, Status.CLOSED})
OPEN_STATUSES = frozenset({Status.RECEIVED, Status.TRIAGE, Status.ASSIGNED, Status.INVESTIGATING, Status.REFERRED})


def can(viewer: StaffUser, action: Action) -> bool:
    """Tell whether the viewer's role allows ``action`` at all."""
    return viewer.active and action in PERMISSIONS.get(viewer.role, frozenset())


def actor_of(viewer: StaffUser) -> str:
    """Return how the audit log names the viewer."""
    return f"staff:{viewer.id}"


def deny(session: Session, viewer: StaffUser, action: str, case_id: int | None, *, conceal: bool = False) -> None:
    """Record a refused request in the audit log, then refuse it."""
    audit.record(
        session,
        actor=actor_of(viewer),
        action="access.denied",
        case_id=case_id,
        summary={"attempted": action, "role": viewer.role.value},
    )
    raise PermissionDenied(f"a {viewer.role.value} may not {action.replace('_', ' ')}", conceal=conceal)


def require(session: Session, viewer: StaffUser, action: Action, case_id: int | None = None) -> None:
    if not can(viewer, action):
        deny(session, viewer, action.value, case_id)


def visible_case(session: Session, viewer: StaffUser, case_id: int, action: Action) -> Case:
    """Return a case the viewer may act on with ``action``, or refuse.

    A liaison asking for a case that is not referred is refused as if it did not exist.
    """
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("no such case")
    if viewer.role is Role.LIAISON and case.status is not Status.REFERRED:
        deny(session, viewer, action.value, case.id, conceal=True)
    require(session, viewer, action, case.id)
    return case


def may_move(viewer: StaffUser, current: Status, to: Status) -> bool:
    if viewer.role is Role.SUPERVISOR:
        return True
    if viewer.role is not Role.INTAKE:
        return False
    if to in SUPERVISOR_TARGETS or current in SUPERVISOR_SOURCES:
        return False
    return not (current is Status.ASSIGNED and to is Status.TRIAGE)  # unassigning is the supervisor's


def may_view_reports(viewer: StaffUser) -> bool:
    """Tell whether the viewer may read the board report in the console."""
    return can(viewer, Action.VIEW_REPORTS)


def may_view_early_warning(viewer: StaffUser) -> bool:
    """Tell whether the viewer may see early-warning flags (supervisors only)."""
    return can(viewer, Action.VIEW_EARLY_WARNING)
