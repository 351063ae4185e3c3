"""Web sessions: the chat widget's and the no-JavaScript form's sessions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 01:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.Enum('sms', 'voice', 'tty', 'relay', 'web_chat', 'web_form', 'partner', 'in_person', 'mail', name='channel', native_enum=False, length=32), nullable=False),
    sa.Column('conversation_id', sa.String(length=64), nullable=False),
    sa.Column('language', sa.Enum('en', 'es', 'tl', 'vi', 'zh', 'km', 'hmn', 'lo', 'pa', name='language', native_enum=False, length=32), nullable=True),
    sa.Column('draft_token', sa.Text(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('conversation_id'),
    sa.UniqueConstraint('token_digest')
    )


def downgrade() -> None:
    op.drop_table('web_sessions')
