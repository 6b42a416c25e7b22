"""Review outcomes: a person's verdict on an item in the review queue;
the audit log indexed by subject, for the item page; items by state and decisions by
decision, for the queue

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 20:11:20.930878
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('review_outcome',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('item_decision_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('handled_by', sa.String(length=100), nullable=False),
    sa.Column('handled_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_decision_id'], ['item_decision.id'], name=op.f('fk_review_outcome_item_decision_id_item_decision')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_review_outcome_item_id_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_outcome'))
    )
    with op.batch_alter_table('review_outcome', schema=None) as batch_op:
        batch_op.create_index('ix_review_outcome_item_decision', ['item_id', 'item_decision_id'], unique=False)

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_subject', ['subject_type', 'subject_id'], unique=False)

    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.create_index('ix_item_state', ['state'], unique=False)

    with op.batch_alter_table('item_decision', schema=None) as batch_op:
        batch_op.create_index('ix_item_decision_decision', ['decision', 'item_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('item_decision', schema=None) as batch_op:
        batch_op.drop_index('ix_item_decision_decision')

    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_index('ix_item_state')

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_subject')

    with op.batch_alter_table('review_outcome', schema=None) as batch_op:
        batch_op.drop_index('ix_review_outcome_item_decision')

    op.drop_table('review_outcome')
