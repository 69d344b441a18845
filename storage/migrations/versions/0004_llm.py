"""llm: suggested replies per request, and the tokens and cost of each model call

Revision ID: 0004_llm
Revises: 0003_sla
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = '0004_llm'
down_revision = '0003_sla'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('suggestionset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('offline_reason', sa.Text(), nullable=True),
    sa.Column('analysis', sa.JSON(), nullable=False),
    sa.Column('suggestions', sa.JSON(), nullable=False),
    sa.Column('dropped', sa.JSON(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], ),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('suggestionset', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suggestionset_conversation_id'), ['conversation_id'], unique=False)

    op.create_table('llmusage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('input_tokens', sa.Integer(), nullable=False),
    sa.Column('output_tokens', sa.Integer(), nullable=False),
    sa.Column('cost', sa.Float(), nullable=False),
    sa.Column('at', storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], ),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('llmusage', schema=None) as batch_op:
        batch_op.create_index('ix_llmusage_at', ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_llmusage_conversation_id'), ['conversation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('llmusage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_llmusage_conversation_id'))
        batch_op.drop_index('ix_llmusage_at')

    op.drop_table('llmusage')
    with op.batch_alter_table('suggestionset', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suggestionset_conversation_id'))

    op.drop_table('suggestionset')
