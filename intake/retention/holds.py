"""Legal holds: a supervisor keeps a case out of the retention schedule, with a reason, audited."""

from __future__ import annotations

from sqlalchemy.orm import Session

from intake import audit
from intake.access.permissions import Action, actor_of, visible_case
from intake.db import utcnow
from intake.errors import ValidationError as InvalidInput
from intake.models import Case, StaffUser

REASON_MAX_CHARS = 500


def set_hold(session: Session, *, viewer: StaffUser, case_id: int, reason: str) -> Case:
    """Put a case on legal hold: nothing of it is purged until the hold is cleared."""
    case = visible_case(session, viewer, case_id, Action.LEGAL_HOLD)
    reason = _reason(reason)
    if case.legal_hold_reason is not None:
        # NOTE: a second hold would replace the first one's reason and date; the first stands.
        raise InvalidInput({"reason": "This case is already on legal hold. Lift the hold first to change its reason."})
    case.legal_hold_reason, case.legal_hold_at, case.legal_hold_by = reason, utcnow(), actor_of(viewer)
    audit.record(session, actor=actor_of(viewer), action="case.hold_set", case_id=case.id, summary={"reason": reason})
    return case


def clear_hold(session: Session, *, viewer: StaffUser, case_id: int, reason: str) -> Case:
    """Lift a case's legal hold; the schedule applies to it again from the next run."""
    case = visible_case(session, viewer, case_id, Action.LEGAL_HOLD)
    reason = _reason(reason)
    if case.legal_hold_reason is None:
        raise InvalidInput({"reason": "This case is not on legal hold."})
    audit.record(
        session,
        actor=actor_of(viewer),
        action="case.hold_cleared",
        case_id=case.id,
        summary={"reason": reason, "held_since": case.legal_hold_at.isoformat() if case.legal_hold_at else None},
    )
    case.legal_hold_reason, case.legal_hold_at, case.legal_hold_by = None, None, None
    return case


def _reason(reason: str) -> str:
    cleaned = " ".join((reason or "").split())
    if not cleaned:
        raise InvalidInput({"reason": "A legal hold needs a reason."})
    if len(cleaned) > REASON_MAX_CHARS:
        raise InvalidInput({"reason": f"Keep the reason under {REASON_MAX_CHARS} characters."})
    return cleaned
