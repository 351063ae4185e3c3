"""Retention: a legal hold a supervisor sets on a case, and when each class of a case's data was purged;
a texting resident's sealed number may be removed (their consent record stays, by its keyed digest).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 02:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("legal_hold_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("legal_hold_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("legal_hold_by", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("contact_purged_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("content_purged_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("record_quality", sa.JSON(), nullable=True))
    with op.batch_alter_table("correspondents") as batch:
        batch.alter_column("phone_token", existing_type=sa.Text(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("correspondents") as batch:
        batch.alter_column("phone_token", existing_type=sa.Text(), nullable=False)
    with op.batch_alter_table("cases") as batch:
        for column in (
            "record_quality",
            "content_purged_at",
            "contact_purged_at",
            "legal_hold_by",
            "legal_hold_at",
            "legal_hold_reason",
        ):
            batch.drop_column(column)
