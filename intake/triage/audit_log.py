"""The audit log as the console reads it: newest first, with the chain's verification."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake import audit
from intake.access.permissions import (
    Action,
    actor_of,
    require,
)
from intake.audit import ChainReport
from intake.models import (
    AuditEntry,
    StaffUser,
)
from intake.triage.queue import MAX_PAGE_SIZE, PAGE_SIZE


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
    require(session, viewer, Action.VIEW_AUDIT_LOG)
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
