"""When the sweep last scrubbed a conversation's history in the dialogue's tracker store (issue 17).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dialogue_scrubs",
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("scrubbed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id"),
    )


def downgrade() -> None:
    op.drop_table("dialogue_scrubs")
