"""customer account: customers keyed by the network's stable account id (the handle is a label that can change);
the installation's id, so what two installs publish under derived keys never collides

Revision ID: 0011_customer_account
Revises: 0010_quarantine
"""
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = '0011_customer_account'
down_revision = '0010_quarantine'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch_op.create_index('uq_customer_account', ['network', 'account_id'], unique=True)
    installation = op.create_table('installation',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.bulk_insert(installation, [{"id": uuid.uuid4().hex, "created_at": datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_table('installation')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index('uq_customer_account')
        batch_op.drop_column('account_id')
