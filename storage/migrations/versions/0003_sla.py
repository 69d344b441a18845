"""sla clocks, snoozes, the scheduler lease, retention

Revision ID: 0003_sla
Revises: 0002_sources

Conversations still waiting for a first response get a first-response clock from their stored
due time, so the sweep nudges them too (a breach, no warning: the warning moment is not known).
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = '0003_sla'
down_revision = '0002_sources'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lease',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('holder', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('expires_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('acquired_at', storage.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('slaclock',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('priority', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('started_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('warn_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('due_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('paused_at', storage.types.UTCDateTime(), nullable=True),
    sa.Column('stopped_at', storage.types.UTCDateTime(), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('last_nudge_at', storage.types.UTCDateTime(), nullable=True),
    sa.Column('next_nudge_at', storage.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agent.id'], ),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('conversation_id', 'kind', 'cycle', name='uq_slaclock_cycle')
    )
    with op.batch_alter_table('slaclock', schema=None) as batch_op:
        batch_op.create_index('ix_slaclock_next_nudge', ['next_nudge_at'], unique=False)
        batch_op.create_index('ix_slaclock_started', ['kind', 'started_at'], unique=False)

    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('response_due_at', storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('snoozed_until', storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('purged_at', storage.types.UTCDateTime(), nullable=True))
        batch_op.create_index('ix_conversation_opened', ['opened_at'], unique=False)
        batch_op.create_index('ix_conversation_snoozed', ['snoozed_until'], unique=False)
        batch_op.create_index('ix_conversation_unpurged', ['purged_at', 'resolved_at'], unique=False)

    op.execute(
        "INSERT INTO slaclock (conversation_id, kind, cycle, priority, started_at, warn_at, due_at, stage, next_nudge_at) "
        "SELECT id, 'first', 0, priority, opened_at, first_response_due_at, first_response_due_at, '', first_response_due_at "
        "FROM conversation WHERE status IN ('new', 'claimed') AND first_responded_at IS NULL "
        "AND first_response_due_at IS NOT NULL"
    )
    op.execute("UPDATE conversation SET response_due_at = first_response_due_at "
               "WHERE status IN ('new', 'claimed') AND first_responded_at IS NULL")



def downgrade() -> None:
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_index('ix_conversation_unpurged')
        batch_op.drop_index('ix_conversation_snoozed')
        batch_op.drop_index('ix_conversation_opened')
        batch_op.drop_column('purged_at')
        batch_op.drop_column('snoozed_until')
        batch_op.drop_column('response_due_at')

    with op.batch_alter_table('slaclock', schema=None) as batch_op:
        batch_op.drop_index('ix_slaclock_started')
        batch_op.drop_index('ix_slaclock_next_nudge')

    op.drop_table('slaclock')
    op.drop_table('lease')
