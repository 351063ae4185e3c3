"""WhatsApp: each correspondent records the channel they write on (a text message or WhatsApp).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 02:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("correspondents") as batch:
        batch.add_column(
            sa.Column(
                "channel",
                sa.Enum(
                    "sms",
                    "voice",
                    "tty",
                    "relay",
                    "web_chat",
                    "web_form",
                    "partner",
                    "in_person",
                    "mail",
                    "whatsapp",
                    "email",
                    name="channel",
                    native_enum=False,
                    length=32,
                ),
                nullable=False,
                server_default="sms",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("correspondents") as batch:
        batch.drop_column("channel")
