"""feed health: each feed's last success, last error and next try, per source

Revision ID: 0013_feed_health
Revises: 0012_outbox_lookup
"""
import sqlalchemy as sa
from alembic import op

revision = '0013_feed_health'
down_revision = '0012_outbox_lookup'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sourcecursor', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feeds', sa.JSON(), server_default='[]', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('sourcecursor', schema=None) as batch_op:
        batch_op.drop_column('feeds')
