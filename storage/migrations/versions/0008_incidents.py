"""incidents: a surge's conversations folded into one chat message

Revision ID: 0008_incidents
Revises: 0007_team
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = '0008_incidents'
down_revision = '0007_team'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('incident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('chat_platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('chat_channel', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('message_channel', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('chat_thread_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('phrasings', sa.JSON(), nullable=False),
    sa.Column('opened_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('resolved_at', storage.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index('ix_incident_open', ['status', 'chat_channel', 'updated_at'], unique=False)

    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('incident_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_conversation_incident', ['incident_id', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_index('ix_conversation_incident')
        batch_op.drop_column('incident_id')

    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_open')

    op.drop_table('incident')
