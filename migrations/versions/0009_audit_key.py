"""Key the audit chain: re-hash the entries written before with the chain's key (HMAC).

The key is derived from the installation's HMAC key and is never in the database, so this
migration needs the secrets (``intake db upgrade`` loads them). A chain that no longer
verifies with its old, unkeyed hashes is left alone and the upgrade stops: keying it would
bless whatever was changed. No schema change.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from intake import audit
from intake.db import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_log = sa.table(
    "audit_log",
    sa.column("seq", sa.Integer()),
    sa.column("occurred_at", UTCDateTime()),
    sa.column("actor", sa.String()),
    sa.column("action", sa.String()),
    sa.column("case_id", sa.Integer()),
    sa.column("summary", sa.JSON()),
    sa.column("digest", sa.String()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)
_head = sa.table("audit_head", sa.column("id", sa.Integer()), sa.column("seq", sa.Integer()), sa.column("hash", sa.String()))


def _rehash(old_key: bytes | None, new_key: bytes | None) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(_log).order_by(_log.c.seq)).mappings().all()
    if not rows:
        return
    if new_key is None and old_key is None:
        raise RuntimeError("the audit log's key is not loaded: run `intake db upgrade` with the installation's secrets")
    prev_old, prev_new, rewritten = audit.GENESIS_HASH, audit.GENESIS_HASH, []
    for row in rows:
        fields = {k: row[k] for k in ("seq", "occurred_at", "actor", "action", "case_id", "summary", "digest")}
        if row["prev_hash"] != prev_old or audit.entry_hash(prev_hash=prev_old, key=old_key, **fields) != row["hash"]:
            raise RuntimeError(
                f"the audit chain is broken at entry {row['seq']} (`intake audit verify` names it); "
                "it is not re-keyed, which would hide the change"
            )
        prev_old = row["hash"]
        new_hash = audit.entry_hash(prev_hash=prev_new, key=new_key, **fields)
        rewritten.append({"s": row["seq"], "p": prev_new, "h": new_hash})
        prev_new = new_hash
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
    update = sa.text("UPDATE audit_log SET prev_hash = :p, hash = :h WHERE seq = :s")
    for values in rewritten:
        bind.execute(update, values)
    bind.execute(sa.update(_head).where(_head.c.id == audit.HEAD_ID).values(hash=prev_new))
    if postgres:
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
    else:
        op.execute(
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )


def upgrade() -> None:
    _rehash(None, audit.loaded_key())


def downgrade() -> None:
    _rehash(audit.loaded_key(), None)
