"""Count wrong PINs per case in the database, and lock a case's PIN at the limit.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NOTE: plain ADD COLUMN, no batch copy on SQLite: the search triggers on ``cases`` stay (see 0007).
    op.add_column("cases", sa.Column("pin_failures", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("cases", sa.Column("pin_locked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # NOTE: native DROP COLUMN (SQLite 3.35+), not a batch copy that would lose the search triggers.
    op.execute("ALTER TABLE cases DROP COLUMN pin_locked_at")
    op.execute("ALTER TABLE cases DROP COLUMN pin_failures")
