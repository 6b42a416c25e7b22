"""Registration records: what OSL 5 kap. 2 § asks, on the registration case

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 18:20:21.801284
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('registration_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=16), nullable=False, server_default='rules'))
        batch_op.add_column(sa.Column('secret', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('requested_by', sa.String(length=100), nullable=False, server_default='system'))
        batch_op.add_column(sa.Column('received_at', app.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('diarienummer', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('description', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('sender', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('secrecy_provision', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('withhold_sender', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('withhold_description', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('decided_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('decided_at', app.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('not_required_reason', sa.String(length=500), nullable=True))
        batch_op.create_index(batch_op.f('ix_registration_case_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_registration_case_decided_at'), ['decided_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_registration_case_diarienummer'), ['diarienummer'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('registration_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_case_diarienummer'))
        batch_op.drop_index(batch_op.f('ix_registration_case_decided_at'))
        batch_op.drop_index(batch_op.f('ix_registration_case_created_at'))
        batch_op.drop_column('not_required_reason')
        batch_op.drop_column('decided_at')
        batch_op.drop_column('decided_by')
        batch_op.drop_column('withhold_description')
        batch_op.drop_column('withhold_sender')
        batch_op.drop_column('secrecy_provision')
        batch_op.drop_column('sender')
        batch_op.drop_column('description')
        batch_op.drop_column('diarienummer')
        batch_op.drop_column('received_at')
        batch_op.drop_column('requested_by')
        batch_op.drop_column('secret')
        batch_op.drop_column('source')

