"""stats slots and days: the figures of five-minute slots kept with their hour's, so a window's partial first and
last hours are read from them and at most five minutes at each end are counted from the clocks; and of whole days,
the hours' added up, so a week reads 7 days' rows rather than 168 hours'

`statsslot` holds the slots' (every clock, no tag scope); `statshour.slotted_version` is the version they were counted
at. `statsdayrollup` holds the days', `statsday` the sum of the hours' versions they were added up at. The rollup job
(bot/reports/rollup.py) counts every hour again on its first run after the upgrade, slots and all, then the days.

Revision ID: 0017_stats_slots
Revises: 0016_incident_merge
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = '0017_stats_slots'
down_revision = '0016_incident_merge'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'statsslot',
        sa.Column('slot', storage.types.UTCDateTime(), nullable=False),
        sa.Column('grouping', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('grp', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('clocks', sa.Integer(), nullable=False),
        sa.Column('spam', sa.Integer(), nullable=False),
        sa.Column('responded', sa.Integer(), nullable=False),
        sa.Column('responded_counted', sa.Integer(), nullable=False),
        sa.Column('met', sa.Integer(), nullable=False),
        sa.Column('missed', sa.Integer(), nullable=False),
        sa.Column('times', sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint('slot', 'grouping', 'kind', 'grp'),
    )
    with op.batch_alter_table('statshour', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slotted_version', sa.Integer(), server_default='-1', nullable=False))
    op.create_table(
        'statsday',
        sa.Column('day', storage.types.UTCDateTime(), nullable=False),
        sa.Column('versions', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day'),
    )
    op.create_table(
        'statsdayrollup',
        sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('grouping', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('day', storage.types.UTCDateTime(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('grp', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('clocks', sa.Integer(), nullable=False),
        sa.Column('spam', sa.Integer(), nullable=False),
        sa.Column('responded', sa.Integer(), nullable=False),
        sa.Column('responded_counted', sa.Integer(), nullable=False),
        sa.Column('met', sa.Integer(), nullable=False),
        sa.Column('missed', sa.Integer(), nullable=False),
        sa.Column('times', sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint('scope', 'grouping', 'day', 'kind', 'grp'),
    )


def downgrade() -> None:
    op.drop_table('statsdayrollup')
    op.drop_table('statsday')
    with op.batch_alter_table('statshour', schema=None) as batch_op:
        batch_op.drop_column('slotted_version')
    op.drop_table('statsslot')
