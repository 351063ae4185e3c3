"""Machine translations of residents' words, and each case's translation status.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 01:19:23.439037
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('translations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('field', sa.String(length=32), nullable=False),
    sa.Column('source_language', sa.Enum('en', 'es', 'tl', 'vi', 'zh', 'km', 'hmn', 'lo', 'pa', name='language', native_enum=False, length=32), nullable=False),
    sa.Column('target_language', sa.Enum('en', 'es', 'tl', 'vi', 'zh', 'km', 'hmn', 'lo', 'pa', name='language', native_enum=False, length=32), nullable=False),
    sa.Column('source_digest', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('engine', sa.String(length=32), nullable=False),
    sa.Column('models', sa.JSON(), nullable=False),
    sa.Column('pivot', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('translations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_translations_case_id'), ['case_id'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translation_status', sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f('ix_cases_translation_status'), ['translation_status'], unique=False)




def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_translation_status'))
        batch_op.drop_column('translation_status')

    with op.batch_alter_table('translations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_translations_case_id'))

    op.drop_table('translations')
