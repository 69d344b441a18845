"""quarantine: posts a source read but socialdesk could not parse or store, set aside with the reason; an index
for a page's customers' open conversations

Revision ID: 0010_quarantine
Revises: 0009_commands_once
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = '0010_quarantine'
down_revision = '0009_commands_once'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'quarantinedpost',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source_name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('post', sa.Text(), nullable=True),
        sa.Column('quarantined_at', storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_quarantinedpost_source', 'quarantinedpost', ['source_name', 'quarantined_at'], unique=False)
    op.create_index('ix_conversation_customer', 'conversation', ['customer_id', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_conversation_customer', table_name='conversation')
    op.drop_index('ix_quarantinedpost_source', table_name='quarantinedpost')
    op.drop_table('quarantinedpost')
