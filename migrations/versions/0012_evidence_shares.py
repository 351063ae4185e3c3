"""Evidence a supervisor shares explicitly (originals, recordings) with the police liaison, with a reason; revocable.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 02:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("shared_by", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["attachment_id"], ["attachments.id"]),
        sa.ForeignKeyConstraint(["shared_by"], ["staff_users.id"]),
        sa.ForeignKeyConstraint(["revoked_by"], ["staff_users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_evidence_shares_attachment_id", "evidence_shares", ["attachment_id"])


def downgrade() -> None:
    op.drop_index("ix_evidence_shares_attachment_id", table_name="evidence_shares")
    op.drop_table("evidence_shares")
