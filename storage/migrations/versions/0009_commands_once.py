"""commands once: a slash command or button recorded before its ack keeps its payload until it has run; an
outbox entry knows since when it has been failing (delivery paused)

Revision ID: 0009_commands_once
Revises: 0008_incidents
"""
import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0009_commands_once'
down_revision = '0008_incidents'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('chatevent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('started_at', storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('done_at', storage.types.UTCDateTime(), nullable=True))
    with op.batch_alter_table('outboxentry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failing_since', storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outboxentry', schema=None) as batch_op:
        batch_op.drop_column('failing_since')
    with op.batch_alter_table('chatevent', schema=None) as batch_op:
        batch_op.drop_column('done_at')
        batch_op.drop_column('started_at')
        batch_op.drop_column('payload')
