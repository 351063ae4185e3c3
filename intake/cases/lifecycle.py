"""The case lifecycle as an explicit state machine, enforced here and nowhere else.

received → triage → assigned → investigating → referred → closed (with a
disposition), and withdrawn by the resident from any open state. A closed case
can be reopened into triage, with a reason; nothing is ever deleted. Reopening a
case merged as a duplicate also undoes the merge (see ``intake.cases.duplicates``).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from intake import audit
from intake.cases import updates
from intake.db import utcnow
from intake.enums import Disposition, Kind, Status
from intake.errors import IllegalTransition
from intake.models import Case, StaffUser, StatusChange

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.TRIAGE, Status.WITHDRAWN}),
    Status.TRIAGE: frozenset({Status.ASSIGNED, Status.CLOSED, Status.WITHDRAWN}),
    Status.ASSIGNED: frozenset({Status.INVESTIGATING, Status.TRIAGE, Status.CLOSED, Status.WITHDRAWN}),
    Status.INVESTIGATING: frozenset({Status.REFERRED, Status.CLOSED, Status.WITHDRAWN}),
    Status.REFERRED: frozenset({Status.INVESTIGATING, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.TRIAGE}),
    Status.WITHDRAWN: frozenset(),
}

COMMENDATION_DISPOSITIONS = frozenset({Disposition.ACKNOWLEDGED, Disposition.DUPLICATE})


def allowed_transitions(status: Status) -> frozenset[Status]:
    """Return the statuses a case in ``status`` may move to."""
    return TRANSITIONS[status]


def change_status(
    session: Session,
    *,
    case: Case,
    to: Status,
    actor: str,
    reason: str | None = None,
    disposition: Disposition | None = None,
    assignee: StaffUser | None = None,
) -> StatusChange:
    """Move ``case`` to ``to``, or raise IllegalTransition saying why not."""
    current = case.status
    if to not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "nothing (it is final)"
        raise IllegalTransition(f"a {current.value} case cannot become {to.value}; it can become: {allowed}")
    if to is Status.CLOSED:
        _check_disposition(case, disposition)
    elif disposition is not None:
        raise IllegalTransition("a disposition is given only when a case is closed")
    if to is Status.ASSIGNED and (assignee is None or not assignee.active):
        raise IllegalTransition("an assigned case needs an active staff member to assign it to")
    if current is Status.CLOSED and not (reason and reason.strip()):
        raise IllegalTransition("reopening a closed case needs a reason")
    if to is Status.WITHDRAWN and not (reason and reason.strip()):
        raise IllegalTransition("a withdrawal needs a reason (e.g. 'resident asked by SMS')")

    now = utcnow()
    change = StatusChange(
        case_id=case.id,
        from_status=current,
        to_status=to,
        disposition=disposition,
        reason=reason,
        actor=actor,
        created_at=now,
    )
    session.add(change)
    case.status = to
    case.disposition = disposition if to is Status.CLOSED else None
    unmerged_from = case.merged_into_id if current is Status.CLOSED else None
    if unmerged_from is not None:
        case.merged_into_id = None  # a reopened duplicate is a case of its own again
    if to is Status.ASSIGNED and assignee is not None:
        case.assignee_id = assignee.id
    case.updated_at = now
    audit.record(
        session,
        actor=actor,
        action="case.status_changed",
        case_id=case.id,
        summary={
            "from": current.value,
            "to": to.value,
            "disposition": disposition.value if disposition else None,
            "assignee_id": assignee.id if assignee else None,
        },
        change={"reason": reason},
    )
    if unmerged_from is not None:
        for case_id, summary in ((case.id, {"merged_into": unmerged_from}), (unmerged_from, {"duplicate": case.id})):
            audit.record(session, actor=actor, action="case.unmerged", case_id=case_id, summary=summary)
    session.flush()
    # NOTE: planned in the same transaction, so a rolled-back change tells the resident nothing.
    updates.plan(session, case=case, change=change)
    return change


def _check_disposition(case: Case, disposition: Disposition | None) -> None:
    if disposition is None:
        raise IllegalTransition("closing a case needs a disposition")
    if case.kind is Kind.COMMENDATION and disposition not in COMMENDATION_DISPOSITIONS:
        raise IllegalTransition(f"a commendation is closed as acknowledged or duplicate, not {disposition.value}")
    if case.kind is Kind.COMPLAINT and disposition is Disposition.ACKNOWLEDGED:
        raise IllegalTransition("'acknowledged' closes commendations, not complaints")
