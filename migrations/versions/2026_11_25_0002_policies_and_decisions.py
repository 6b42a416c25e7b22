"""Stored page policies (versioned) and decisions per item version

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 16:35:52.568723
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
import app.core.db

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('policy_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('body', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['page_id'], ['page.id'], name=op.f('fk_policy_version_page_id_page')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_version')),
    sa.UniqueConstraint('page_id', 'version', name=op.f('uq_policy_version_page_id_version'))
    )
    with op.batch_alter_table('policy_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_version_page_id'), ['page_id'], unique=False)

    op.create_table('item_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('item_version_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('register', sa.Boolean(), nullable=False),
    sa.Column('observe', sa.Boolean(), nullable=False),
    sa.Column('categories', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('explanation', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('engine_version', sa.String(length=32), nullable=False),
    sa.Column('policy_version', sa.String(length=64), nullable=False),
    sa.Column('decided_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_item_decision_item_id_item')),
    sa.ForeignKeyConstraint(['item_version_id'], ['item_version.id'], name=op.f('fk_item_decision_item_version_id_item_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_decision')),
    sa.UniqueConstraint('item_version_id', name=op.f('uq_item_decision_item_version_id'))
    )
    with op.batch_alter_table('item_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_decision_item_id'), ['item_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('item_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_decision_item_id'))

    op.drop_table('item_decision')
    with op.batch_alter_table('policy_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_version_page_id'))

    op.drop_table('policy_version')

