"""Duplicate cases: one is closed as a duplicate and linked to the case that carries on.

Nothing moves: the duplicate keeps its messages, evidence, contact details, tracking
number and PIN; the console shows them from the case it was merged into, and the
resident's status look-up says it was merged. Reopening a duplicate undoes the link
(see ``lifecycle.change_status``), so a merged case is always a closed one; and since a
case is merged only into an open one, the links can never form a cycle.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake import audit
from intake.cases import lifecycle, tracking
from intake.enums import Disposition, Status
from intake.errors import IllegalTransition, ValidationError
from intake.models import Case, StatusChange

# Statuses a case may be merged from, or into.
MERGEABLE = frozenset({Status.RECEIVED, Status.TRIAGE, Status.ASSIGNED, Status.INVESTIGATING, Status.REFERRED})


@dataclass(frozen=True)
class Merge:
    """One duplicate and how it was merged: when, by whom and why (from its closing status change)."""

    case: Case
    into_id: int
    merged_at: dt.datetime | None
    actor: str | None
    reason: str | None


def find_target(session: Session, *, tracking_text: str) -> Case:
    """Return the case a tracking number (as typed) names, or raise ValidationError."""
    number = tracking.parse_tracking_number(tracking_text or "")
    found = session.scalars(select(Case).where(Case.tracking_number == number)).one_or_none() if number else None
    if found is None:
        raise ValidationError({"into": "no case has that tracking number"})
    return found


def merge(session: Session, *, case: Case, into: Case, actor: str, reason: str) -> StatusChange:
    """Close ``case`` as a duplicate of ``into`` and link it there; raise if the merge makes no sense.

    Both rows are locked first (in id order, so two merges of the same pair cannot deadlock
    or cross), then checked: merging into itself, into a case that is not open (a merged
    one is closed), from a case that is not open, or across kinds is refused. Refusing a
    target that is not open is also what keeps merges from ever forming a cycle.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "merging a case needs a reason"})
    if case.id == into.id:
        raise ValidationError({"into": "a case cannot be merged into itself"})
    session.scalars(
        select(Case)
        .where(Case.id.in_([case.id, into.id]))
        .order_by(Case.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    if case.status not in MERGEABLE or case.merged_into_id is not None:
        raise IllegalTransition(f"only an open case can be merged as a duplicate; this one is {case.status.value}")
    if into.status not in MERGEABLE or into.merged_into_id is not None:
        number = tracking.format_tracking_number(into.tracking_number)
        raise ValidationError({"into": f"case {number} is {into.status.value}; merge into an open case"})
    if into.kind is not case.kind:
        raise ValidationError({"into": f"a {case.kind.value} can only be merged into another {case.kind.value}"})
    if case.status is Status.RECEIVED:
        lifecycle.change_status(session, case=case, to=Status.TRIAGE, actor=actor, reason="merging as a duplicate")
    change = lifecycle.change_status(
        session, case=case, to=Status.CLOSED, actor=actor, reason=reason, disposition=Disposition.DUPLICATE
    )
    case.merged_into_id = into.id
    into.updated_at = change.created_at
    audit.record(
        session,
        actor=actor,
        action="case.merged",
        case_id=case.id,
        summary={"into": into.id, "status_change_id": change.id},
        change={"reason": reason},
    )
    audit.record(session, actor=actor, action="case.merged_in", case_id=into.id, summary={"from": case.id})
    session.flush()
    return change


def merged_into(session: Session, *, case: Case) -> list[Merge]:
    """Return every case merged into ``case``, directly or through another duplicate, oldest merge first."""
    found: list[Case] = []
    frontier, seen = [case.id], {case.id}
    while frontier:  # `seen` ends it even if bad data held a loop
        children = [
            child
            for child in session.scalars(select(Case).where(Case.merged_into_id.in_(frontier)).order_by(Case.id))
            if child.id not in seen
        ]
        seen.update(child.id for child in children)
        found.extend(children)
        frontier = [child.id for child in children]
    return [merge_of(session, case=child) for child in found]


def merge_of(session: Session, *, case: Case) -> Merge:
    """Return how ``case`` was merged (it must be merged)."""
    assert case.merged_into_id is not None
    closing = session.scalars(
        select(StatusChange)
        .where(
            StatusChange.case_id == case.id,
            StatusChange.to_status == Status.CLOSED,
            StatusChange.disposition == Disposition.DUPLICATE,
        )
        .order_by(StatusChange.id.desc())
        .limit(1)
    ).first()
    return Merge(
        case=case,
        into_id=case.merged_into_id,
        merged_at=closing.created_at if closing else None,
        actor=closing.actor if closing else None,
        reason=closing.reason if closing else None,
    )
