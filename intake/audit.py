"""The keyed, hash-chained, append-only audit log.

Every entry's hash covers its own fields and the previous entry's hash, so
altering, removing or reordering any row breaks the chain from there on.
Appends lock the single ``audit_head`` row, so concurrent writers never fork it.

The hash is an HMAC with a key derived from the installation's HMAC key, which the
database does not hold: someone who can write to the database cannot recompute the
chain after changing it (migration 0009 re-keyed the chains written before). Cutting
the tail and rewriting the head is caught against an *anchor* kept outside the
database (``instance/audit-anchor.json``, a keyed copy of the head that only moves
forward), which the worker and ``intake audit verify`` advance.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.db import utcnow
from intake.errors import ConfigurationError
from intake.models import AuditEntry, AuditHead
from intake.private import make_private_dir

GENESIS_HASH = "0" * 64
HEAD_ID = 1
ANCHOR_FILE = "audit-anchor.json"
KEY_PURPOSE = "audit-chain"

_chain_key: bytes | None = None


def use_key(key: bytes) -> None:
    """Key the chain for this process (the composition root calls it with ``chain_key(keyring)``)."""
    global _chain_key
    _chain_key = key


def chain_key(hmac_key: bytes) -> bytes:
    """Derive the chain's key from the installation's HMAC key, apart from every other use of it."""
    return hmac.new(hmac_key, KEY_PURPOSE.encode("ascii"), hashlib.sha256).digest()


def loaded_key() -> bytes | None:
    """Return the chain's key if this process loaded it (the migration that keys old chains asks)."""
    return _chain_key


def _key() -> bytes:
    if _chain_key is None:
        raise ConfigurationError("the audit log's key is not loaded: set the secrets (`intake secrets init`)")
    return _chain_key


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
    key: bytes | None,
) -> str:
    """Return the HMAC that links an entry to ``prev_hash`` (plain SHA-256 when ``key`` is None: chains of old)."""
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
    message = prev_hash.encode("ascii") + b"\n" + body
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


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
    key = _key()
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
        key=key,
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


def verify_chain(session: Session, *, anchor_path: Path | None = None, batch_size: int = 1000) -> ChainReport:
    """Recompute the whole chain and name the first entry that does not fit.

    With ``anchor_path``, also check the chain against the anchor kept outside the database:
    a log cut short, or switched back to unkeyed hashes, no longer reaches it.
    """
    key = _key()
    anchor = read_anchor(anchor_path, key) if anchor_path is not None else None
    if isinstance(anchor, str):
        return ChainReport(0, None, anchor)
    query = select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch_size)
    entries = session.scalars(query)
    try:
        report = _check_entries(session, entries, key=key, anchor=anchor)
    finally:
        entries.close()  # releases PostgreSQL's server-side cursor when a bad entry ends the walk early
    return report


def _check_entries(
    session: Session, entries: Iterable[AuditEntry], *, key: bytes, anchor: Anchor | None
) -> ChainReport:
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
            key=key,
        )
        if not hmac.compare_digest(recomputed, entry.hash):
            return ChainReport(checked, entry.seq, f"entry {entry.seq} was altered")
        if anchor is not None and entry.seq == anchor.seq and entry.hash != anchor.hash:
            return ChainReport(checked, entry.seq, f"entry {entry.seq} is not the one the anchor records")
        prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    if anchor is not None and checked < anchor.seq:
        return ChainReport(
            checked,
            checked + 1,
            f"the log ends at entry {checked} but its anchor outside the database records entry {anchor.seq}: "
            "entries were cut",
        )
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


# -- the anchor outside the database ----------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """A keyed copy of the chain's head, kept where the database's users cannot write."""

    seq: int
    hash: str

    def mac(self, key: bytes) -> str:
        """Return the anchor's MAC, so a copy cannot be forged or edited without the key."""
        body = canonical_json({"seq": self.seq, "hash": self.hash})
        return hmac.new(key, b"anchor\n" + body, hashlib.sha256).hexdigest()

    def as_json(self, key: bytes) -> str:
        """Return the anchor as one line of JSON, with its MAC."""
        return json.dumps({"seq": self.seq, "hash": self.hash, "mac": self.mac(key)}, sort_keys=True)


def read_anchor(path: Path, key: bytes) -> Anchor | str | None:
    """Return the anchor at ``path`` (None when there is none yet), or a sentence saying why it is not to be trusted."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        anchor = Anchor(seq=int(data["seq"]), hash=str(data["hash"]))
        mac = str(data["mac"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return f"the anchor {path} cannot be read"
    if not hmac.compare_digest(anchor.mac(key), mac):
        return f"the anchor {path} was altered or made with another key"
    return anchor


def current_anchor(session: Session) -> Anchor:
    """Return the head of the chain as it stands in the database."""
    head = session.get(AuditHead, HEAD_ID)
    if head is None:
        raise ConfigurationError("the audit log's head row is missing")
    return Anchor(seq=head.seq, hash=head.hash)


def advance_anchor(session: Session, path: Path) -> Anchor:
    """Move the anchor outside the database forward to the chain's head (never backward); return it.

    NOTE: only call it on a chain that verified, or from the worker, which trusts its own writes:
    the anchor then records what the office saw, so a later cut is caught.
    """
    key = _key()
    head = current_anchor(session)
    make_private_dir(path.parent)
    with open(os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)) as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # writers on one machine take turns, so the anchor never goes back
        stored = read_anchor(path, key)
        if isinstance(stored, Anchor) and stored.seq >= head.seq:
            return stored
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as handle:
            handle.write(head.as_json(key) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    return head
