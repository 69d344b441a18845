"""incident merge: an incident merged into another points to it

Revision ID: 0016_incident_merge
Revises: 0015_stats_rollup
"""
import sqlalchemy as sa
from alembic import op

revision = '0016_incident_merge'
down_revision = '0015_stats_rollup'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_column('merged_into_id')
