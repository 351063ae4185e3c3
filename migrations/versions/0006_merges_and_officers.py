"""Merged duplicates (a case points at the case it was merged into) and the officers staff identify on a case.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # NOTE: a plain ADD COLUMN, not a batch copy: SQLite adds a nullable REFERENCES column in place,
        # while copying `cases` would trip the foreign keys of every table that points at it.
        op.execute("ALTER TABLE cases ADD COLUMN merged_into_id INTEGER REFERENCES cases (id)")
    else:
        op.add_column("cases", sa.Column("merged_into_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=True))
    op.create_index("ix_cases_merged_into_id", "cases", ["merged_into_id"])
    op.create_table(
        "case_officers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("badge_number", sa.Text(), nullable=True),
        sa.Column("unit", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["supersedes_id"], ["case_officers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_officers_case_id", "case_officers", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_officers_case_id", table_name="case_officers")
    op.drop_table("case_officers")
    # NOTE: like 0003's, this copies `cases` on SQLite (a REFERENCES column cannot be dropped in place).
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_index("ix_cases_merged_into_id")
        batch_op.drop_column("merged_into_id")
