"""chat events: inbound chat events claimed once across replicas, and Discord's held replies

Revision ID: 0006_chat_events
Revises: 0005_source_alerts
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = '0006_chat_events'
down_revision = '0005_source_alerts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('chatevent',
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('claimed_at', storage.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('platform', 'event_id')
    )
    with op.batch_alter_table('chatevent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chatevent_claimed_at'), ['claimed_at'], unique=False)

    op.create_table('heldreply',
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('args', sa.Text(), nullable=False),
    sa.Column('held_at', storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], ),
    sa.PrimaryKeyConstraint('token')
    )
    with op.batch_alter_table('heldreply', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_heldreply_held_at'), ['held_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('heldreply', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_heldreply_held_at'))

    op.drop_table('heldreply')
    with op.batch_alter_table('chatevent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chatevent_claimed_at'))

    op.drop_table('chatevent')
