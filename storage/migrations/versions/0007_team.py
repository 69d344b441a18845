"""team desk: linked customers and muting, conversation tags, escalations, composing, approvals, App Home

Revision ID: 0007_team
Revises: 0006_chat_events
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = '0007_team'
down_revision = '0006_chat_events'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('conversationtag',
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('tag', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], ),
    sa.PrimaryKeyConstraint('conversation_id', 'tag')
    )
    with op.batch_alter_table('conversationtag', schema=None) as batch_op:
        batch_op.create_index('ix_conversationtag_tag', ['tag'], unique=False)

    op.create_table('escalation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('group', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('by_agent_id', sa.Integer(), nullable=False),
    sa.Column('priority_before', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('chat_platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('chat_channel', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('chat_thread_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('escalated_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('ended_at', storage.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['by_agent_id'], ['agent.id'], ),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escalation_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index('ix_escalation_thread', ['chat_platform', 'chat_thread_id'], unique=False)

    with op.batch_alter_table('agent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('home_opened_at', storage.types.UTCDateTime(), nullable=True))

    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('composing_agent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('composing_since', storage.types.UTCDateTime(), nullable=True))

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('muted_until', storage.types.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_customer_person_id'), ['person_id'], unique=False)

    with op.batch_alter_table('reply', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approval_reason', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch_op.add_column(sa.Column('reviewed_by_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('reply', schema=None) as batch_op:
        batch_op.drop_column('reviewed_by_id')
        batch_op.drop_column('approval_reason')

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_person_id'))
        batch_op.drop_column('muted_until')
        batch_op.drop_column('person_id')

    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_column('composing_since')
        batch_op.drop_column('composing_agent_id')

    with op.batch_alter_table('agent', schema=None) as batch_op:
        batch_op.drop_column('home_opened_at')

    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.drop_index('ix_escalation_thread')
        batch_op.drop_index(batch_op.f('ix_escalation_conversation_id'))

    op.drop_table('escalation')
    with op.batch_alter_table('conversationtag', schema=None) as batch_op:
        batch_op.drop_index('ix_conversationtag_tag')

    op.drop_table('conversationtag')
