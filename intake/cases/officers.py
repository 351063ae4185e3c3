"""The officers and units staff identify on a case, as structured entries beside the resident's own words.

``Case.officers`` keeps what the resident said, untouched. Each entry here is staff's
reading of it (or of the evidence): name, badge number, unit, description, all optional
free text, kept in clear like the rest of a case's text. An edit adds a new entry that
supersedes the old; a removal only ends the old one; nothing is deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake import audit
from intake.db import utcnow
from intake.errors import NotFound, ValidationError
from intake.models import Case, CaseOfficer

LIMITS = {"name": 200, "badge_number": 40, "unit": 200, "description": 2000}


@dataclass(frozen=True)
class OfficerDetails:
    """What staff know of one officer or unit; None where nothing is known."""

    name: str | None = None
    badge_number: str | None = None
    unit: str | None = None
    description: str | None = None

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> OfficerDetails:
        """Read and check the four fields (trimmed, empty as None), or raise ValidationError."""
        errors: dict[str, str] = {name: "is not a field of an officer" for name in sorted(set(data) - set(LIMITS))}
        values: dict[str, str | None] = {}
        for name, limit in LIMITS.items():
            raw = data.get(name)
            # One line for the short fields; a description keeps its line breaks.
            text = "" if raw is None else str(raw).strip() if name == "description" else " ".join(str(raw).split())
            if not text:
                values[name] = None
            elif len(text) > limit:
                errors[name] = f"must be at most {limit} characters"
            else:
                values[name] = text
        if not errors and not any(values.values()):
            errors["officer"] = "give at least a name, a badge number, a unit or a description"
        if errors:
            raise ValidationError(errors)
        return cls(**values)

    @classmethod
    def of(cls, entry: CaseOfficer) -> OfficerDetails:
        return cls(entry.name, entry.badge_number, entry.unit, entry.description)

    def filled(self) -> list[str]:
        """Return the names of the fields that hold something (for the audit log, never their text)."""
        return [f.name for f in fields(self) if getattr(self, f.name)]

    def as_dict(self) -> dict[str, str | None]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def current(session: Session, *, case_id: int) -> list[CaseOfficer]:
    """Return a case's current officer entries, in the order they were first added."""
    return list(
        session.scalars(
            select(CaseOfficer)
            .where(CaseOfficer.case_id == case_id, CaseOfficer.ended_at.is_(None))
            .order_by(CaseOfficer.id)
        )
    )


def _current_entry(session: Session, *, case: Case, officer_id: int) -> CaseOfficer:
    entry = session.get(CaseOfficer, officer_id)
    if entry is None or entry.case_id != case.id:
        raise NotFound("no such officer on this case")
    if entry.ended_at is not None:
        raise ValidationError({"officer": "this entry was changed or removed meanwhile; reload the case"})
    return entry


def add(session: Session, *, case: Case, details: OfficerDetails, actor: str) -> CaseOfficer:
    """Add an officer to a case."""
    entry = CaseOfficer(case_id=case.id, created_by=actor, **details.as_dict())
    session.add(entry)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="case.officer_added",
        case_id=case.id,
        summary={"officer_id": entry.id, "fields": details.filled()},
        change=details.as_dict(),
    )
    return entry


def change(session: Session, *, case: Case, officer_id: int, details: OfficerDetails, actor: str) -> CaseOfficer:
    """Correct an officer entry: the new one supersedes the old, which is kept; no change, no new entry."""
    old = _current_entry(session, case=case, officer_id=officer_id)
    before = OfficerDetails.of(old)
    if before == details:
        return old
    now = utcnow()
    old.ended_at, old.ended_by = now, actor
    entry = CaseOfficer(case_id=case.id, created_by=actor, created_at=now, supersedes_id=old.id, **details.as_dict())
    session.add(entry)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="case.officer_changed",
        case_id=case.id,
        summary={
            "officer_id": entry.id,
            "supersedes": old.id,
            "fields": [name for name, value in details.as_dict().items() if getattr(before, name) != value],
        },
        change={"from": before.as_dict(), "to": details.as_dict()},
    )
    return entry


def remove(session: Session, *, case: Case, officer_id: int, actor: str) -> CaseOfficer:
    """Take an officer off a case; the entry is kept, ended."""
    entry = _current_entry(session, case=case, officer_id=officer_id)
    entry.ended_at, entry.ended_by = utcnow(), actor
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="case.officer_removed",
        case_id=case.id,
        summary={"officer_id": entry.id},
        change=OfficerDetails.of(entry).as_dict(),
    )
    return entry
