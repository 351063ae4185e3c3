"""One-time codes to finish a texted report on the web (issue 20 item 4).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 04:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resume_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("draft_id", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("sealed_answers", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_digest"),
    )
    op.create_index("ix_resume_codes_conversation_id", "resume_codes", ["conversation_id"])
    op.create_index("ix_resume_codes_draft_id", "resume_codes", ["draft_id"])


def downgrade() -> None:
    op.drop_index("ix_resume_codes_draft_id", table_name="resume_codes")
    op.drop_index("ix_resume_codes_conversation_id", table_name="resume_codes")
    op.drop_table("resume_codes")
