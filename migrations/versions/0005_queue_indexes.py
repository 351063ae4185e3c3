"""Indexes for the console's queue: a status's newest cases, and per-language counts and pages.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 02:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_status_created_at", "cases", ["status", "created_at"])
    op.create_index("ix_cases_language_status_created_at", "cases", ["language", "status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_cases_language_status_created_at", table_name="cases")
    op.drop_index("ix_cases_status_created_at", table_name="cases")
