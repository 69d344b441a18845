"""outbox lookup: "is an update of this conversation already waiting?" answered from an index of its own

Without it PostgreSQL, on a table never analysed, walked `ix_outbox_due` (every pending row) for each refresh of a
parent message, and the time per post grew with the backlog. It leads with `conversation_id`, so the index on
that column alone goes. The table is analysed too, so the planner sees it.

Revision ID: 0012_outbox_lookup
Revises: 0011_customer_account
"""
from alembic import op

revision = '0012_outbox_lookup'
down_revision = '0011_customer_account'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_outbox_conversation_kind', 'outboxentry', ['conversation_id', 'kind', 'status'], unique=False)
    op.drop_index('ix_outboxentry_conversation_id', table_name='outboxentry')  # the new index's first column
    op.execute('ANALYZE outboxentry')


def downgrade() -> None:
    op.create_index('ix_outboxentry_conversation_id', 'outboxentry', ['conversation_id'], unique=False)
    op.drop_index('ix_outbox_conversation_kind', table_name='outboxentry')
