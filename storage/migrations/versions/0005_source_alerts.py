"""source alerts: when a source's current failure episode began

Revision ID: 0005_source_alerts
Revises: 0004_llm
"""
import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0005_source_alerts'
down_revision = '0004_llm'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sourcecursor', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failing_since', storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sourcecursor', schema=None) as batch_op:
        batch_op.drop_column('failing_since')
