"""stats slot versions: the five-minute slots of the current hour kept as they end, so /stats counts from the clocks
only the current slot (and what is stale) rather than the whole current hour

`statsslotversion` holds a version per slot of the hour not counted yet, moved on by every write that changes what
its clocks count (storage/hours.py, with its hour's), and the version its StatsSlot rows were counted at. The rollup
job (bot/reports/rollup.py) counts the current hour's ended slots every minute; nothing to fill on upgrade.

Revision ID: 0018_stats_slot_versions
Revises: 0017_stats_slots
"""
import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0018_stats_slot_versions'
down_revision = '0017_stats_slots'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'statsslotversion',
        sa.Column('slot', storage.types.UTCDateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('counted_version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('slot'),
    )


def downgrade() -> None:
    op.drop_table('statsslotversion')
