"""The hash-chained, append-only audit log.

Every entry's hash covers its own fields and the previous entry's hash, so
altering, removing or reordering any row breaks the chain from there on.
Appends lock the single ``audit_head`` row, so concurrent writers never fork it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.db import utcnow
from intake.models import AuditEntry, AuditHead

GENESIS_HASH = "0" * 64
HEAD_ID = 1


def canonical_json(value: Any) -> bytes:
    """Serialise ``value`` the one way every hash in Heard is computed over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def change_digest(change: Mapping[str, Any]) -> str:
    """Return the SHA-256 of a change, so the log proves it without storing it."""
    return hashlib.sha256(canonical_json(change)).hexdigest()


def entry_hash(
    *,
    prev_hash: str,
    seq: int,
    occurred_at: dt.datetime,
    actor: str,
    action: str,
    case_id: int | None,
    summary: Mapping[str, Any],
    digest: str,
) -> str:
    """Return the hash that links an entry to ``prev_hash``."""
    body = canonical_json(
        {
            "seq": seq,
            "occurred_at": occurred_at.astimezone(dt.timezone.utc).isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "case_id": case_id,
            "summary": summary,
            "digest": digest,
        }
    )
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + body).hexdigest()


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    case_id: int | None = None,
    summary: Mapping[str, Any] | None = None,
    change: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the chain inside the caller's transaction.

    Args:
        actor: who acted, e.g. ``staff:3``, ``partner:1``, ``cli:root``, ``system``.
        action: what happened, dotted, e.g. ``case.filed``, ``case.read``.
        case_id: the case concerned, if any.
        summary: a small description kept in clear; never contact details.
        change: the full change; only its digest is kept.
    """
    head = session.execute(select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()).scalar_one()
    summary = dict(summary or {})
    occurred_at = utcnow()
    seq = head.seq + 1
    digest = change_digest(change or {})
    new_hash = entry_hash(
        prev_hash=head.hash,
        seq=seq,
        occurred_at=occurred_at,
        actor=actor,
        action=action,
        case_id=case_id,
        summary=summary,
        digest=digest,
    )
    entry = AuditEntry(
        seq=seq,
        occurred_at=occurred_at,
        actor=actor,
        action=action,
        case_id=case_id,
        summary=summary,
        digest=digest,
        prev_hash=head.hash,
        hash=new_hash,
    )
    session.add(entry)
    head.seq, head.hash = seq, new_hash
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    """What ``verify_chain`` found."""

    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_chain(session: Session, *, batch_size: int = 1000) -> ChainReport:
    """Recompute the whole chain and name the first entry that does not fit."""
    query = select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch_size)
    entries = session.scalars(query)
    try:
        return _check_entries(session, entries)
    finally:
        entries.close()  # releases PostgreSQL's server-side cursor when a bad entry ends the walk early


def _check_entries(session: Session, entries: Iterable[AuditEntry]) -> ChainReport:
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    for entry in entries:
        if entry.seq != expected_seq:
            return ChainReport(checked, expected_seq, f"entry {expected_seq} is missing (next is {entry.seq})")
        if entry.prev_hash != prev_hash:
            return ChainReport(checked, entry.seq, f"entry {entry.seq} does not follow entry {entry.seq - 1}")
        recomputed = entry_hash(
            prev_hash=entry.prev_hash,
            seq=entry.seq,
            occurred_at=entry.occurred_at,
            actor=entry.actor,
            action=entry.action,
            case_id=entry.case_id,
            summary=entry.summary,
            digest=entry.digest,
        )
        if recomputed != entry.hash:
            return ChainReport(checked, entry.seq, f"entry {entry.seq} was altered")
        prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    head = session.get(AuditHead, HEAD_ID)
    if head is None:
        return ChainReport(checked, None, "the chain's head row is missing")
    if head.seq != checked or head.hash != prev_hash:
        return ChainReport(
            checked,
            checked + 1 if head.seq > checked else head.seq,
            f"the log ends at entry {checked} but its head records entry {head.seq}",
        )
    return ChainReport(checked)
