"""source health: next poll and rate-limit quota per source; the conversation chat index

Revision ID: 0002_sources
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0002_sources'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.create_index('ix_conversation_chat', ['chat_channel', 'chat_thread_id'], unique=False)

    with op.batch_alter_table('sourcecursor', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_poll_at', storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('quota', sa.JSON(), server_default='[]', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('sourcecursor', schema=None) as batch_op:
        batch_op.drop_column('quota')
        batch_op.drop_column('next_poll_at')

    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_index('ix_conversation_chat')
