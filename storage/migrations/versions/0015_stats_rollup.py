"""stats rollup: the figures of whole past hours kept, so /stats over a week reads hours instead of every clock

`statshour` says which hours' rows are current (`version` moves on with every write that changes an hour's clocks),
`statsrollup` holds the figures per hour, kind and group, `statscutoff` when running clocks were last counted as
missed. The rows are made by the rollup job (bot/reports/rollup.py), which fills the hours before the upgrade on
its first run. An index for the running clocks falling due.

Revision ID: 0015_stats_rollup
Revises: 0014_clock_response_time
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = '0015_stats_rollup'
down_revision = '0014_clock_response_time'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'statshour',
        sa.Column('hour', storage.types.UTCDateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('rolled_version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('hour'),
    )
    op.create_table(
        'statsrollup',
        sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('grouping', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('hour', storage.types.UTCDateTime(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('grp', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('clocks', sa.Integer(), nullable=False),
        sa.Column('spam', sa.Integer(), nullable=False),
        sa.Column('responded', sa.Integer(), nullable=False),
        sa.Column('responded_counted', sa.Integer(), nullable=False),
        sa.Column('met', sa.Integer(), nullable=False),
        sa.Column('missed', sa.Integer(), nullable=False),
        sa.Column('times', sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint('scope', 'grouping', 'hour', 'kind', 'grp'),
    )
    op.create_index('ix_statsrollup_hour', 'statsrollup', ['hour'], unique=False)
    op.create_table(
        'statscutoff',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_slaclock_running', 'slaclock', ['stopped_at', 'due_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_slaclock_running', table_name='slaclock')
    op.drop_table('statscutoff')
    op.drop_index('ix_statsrollup_hour', table_name='statsrollup')
    op.drop_table('statsrollup')
    op.drop_table('statshour')
