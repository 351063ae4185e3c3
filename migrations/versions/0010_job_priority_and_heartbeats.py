"""Jobs for several workers: a priority per job, dead jobs by name, and each worker's heartbeat.

Replies and sends (``sms.turn``, ``sms.send``) get priority 0, translations 100, the rest 50,
as ``intake.jobs.priority_of`` gives new jobs. Jobs that gave up (``failed``) become ``dead``.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 00:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="50"))
    op.execute(
        "UPDATE jobs SET priority = CASE WHEN kind IN ('sms.turn', 'sms.send') THEN 0"
        " WHEN kind LIKE 'translate.%' THEN 100 ELSE 50 END"
    )
    op.execute("UPDATE jobs SET state = 'dead' WHERE state = 'failed'")
    op.drop_index("ix_jobs_ready", table_name="jobs")
    op.create_index("ix_jobs_ready", "jobs", ["state", "priority", "run_after"])
    op.create_table(
        "worker_heartbeats",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("worker_heartbeats")
    op.drop_index("ix_jobs_ready", table_name="jobs")
    op.create_index("ix_jobs_ready", "jobs", ["state", "run_after"])
    op.execute("UPDATE jobs SET state = 'failed' WHERE state = 'dead'")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("priority")
