"""clock response time: a stopped response clock keeps the time it counted, so /stats takes medians in SQL

The clocks stopped before it get theirs from the hourly job (`count_response_times` in bot/sla/clocks.py): business
hours are configuration, which a migration does not see.

Revision ID: 0014_clock_response_time
Revises: 0013_feed_health
"""
import sqlalchemy as sa
from alembic import op

revision = '0014_clock_response_time'
down_revision = '0013_feed_health'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('slaclock', schema=None) as batch_op:
        batch_op.add_column(sa.Column('response_seconds', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('slaclock', schema=None) as batch_op:
        batch_op.drop_column('response_seconds')
