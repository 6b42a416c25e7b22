"""Web UI: sessions, login attempts, notes, false positives, oversight sign-offs, the
account register, and users signing in with OpenID Connect

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 20:00:15.505408
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('login_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt'))
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempt_ip_at', ['ip', 'at'], unique=False)
        batch_op.create_index('ix_login_attempt_username_at', ['username', 'at'], unique=False)

    op.create_table('oversight_signoff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('signed_by', sa.String(length=100), nullable=False),
    sa.Column('signed_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.ForeignKeyConstraint(['page_id'], ['page.id'], name=op.f('fk_oversight_signoff_page_id_page')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_signoff')),
    sa.UniqueConstraint('page_id', 'day', 'signed_by', name=op.f('uq_oversight_signoff_page_id_day_signed_by'))
    )
    with op.batch_alter_table('oversight_signoff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oversight_signoff_page_id'), ['page_id'], unique=False)

    op.create_table('page_register',
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('assignment', sa.String(length=500), nullable=True),
    sa.Column('responsible_name', sa.String(length=200), nullable=True),
    sa.Column('responsible_contact', sa.String(length=300), nullable=True),
    sa.Column('substitute_name', sa.String(length=200), nullable=True),
    sa.Column('substitute_contact', sa.String(length=300), nullable=True),
    sa.Column('account_contact', sa.String(length=300), nullable=True),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('reported_on', sa.Date(), nullable=True),
    sa.Column('introduction', sa.Text(), nullable=True),
    sa.Column('purpose', sa.Text(), nullable=True),
    sa.Column('goals', sa.Text(), nullable=True),
    sa.Column('target_group', sa.String(length=500), nullable=True),
    sa.Column('use', sa.Text(), nullable=True),
    sa.Column('update_frequency', sa.String(length=200), nullable=True),
    sa.Column('roles', sa.Text(), nullable=True),
    sa.Column('resources', sa.Text(), nullable=True),
    sa.Column('oversight_hours', sa.String(length=300), nullable=True),
    sa.Column('development', sa.Text(), nullable=True),
    sa.Column('follow_up', sa.Text(), nullable=True),
    sa.Column('updated_by', sa.String(length=100), nullable=True),
    sa.Column('updated_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['page_id'], ['page.id'], name=op.f('fk_page_register_page_id_page')),
    sa.PrimaryKeyConstraint('page_id', name=op.f('pk_page_register'))
    )
    op.create_table('ui_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=300), nullable=True),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_ui_session_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ui_session')),
    sa.UniqueConstraint('token_sha256', name=op.f('uq_ui_session_token_sha256'))
    )
    with op.batch_alter_table('ui_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ui_session_user_id'), ['user_id'], unique=False)

    op.create_table('item_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_item_note_item_id_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_note'))
    )
    with op.batch_alter_table('item_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_note_item_id'), ['item_id'], unique=False)

    op.create_table('false_positive',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('item_decision_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('rule', sa.String(length=200), nullable=False),
    sa.Column('term', sa.String(length=300), nullable=False),
    sa.Column('marked_by', sa.String(length=100), nullable=False),
    sa.Column('marked_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_decision_id'], ['item_decision.id'], name=op.f('fk_false_positive_item_decision_id_item_decision')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_false_positive_item_id_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_false_positive'))
    )
    with op.batch_alter_table('false_positive', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_false_positive_item_decision_id'), ['item_decision_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_false_positive_item_id'), ['item_id'], unique=False)
        batch_op.create_index('ix_false_positive_rule', ['source', 'rule', 'term'], unique=False)

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('display_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('oidc_issuer', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('oidc_subject', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_user_account_oidc_issuer_oidc_subject'), ['oidc_issuer', 'oidc_subject'])



def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_user_account_oidc_issuer_oidc_subject'), type_='unique')
        batch_op.drop_column('oidc_subject')
        batch_op.drop_column('oidc_issuer')
        batch_op.drop_column('display_name')

    with op.batch_alter_table('false_positive', schema=None) as batch_op:
        batch_op.drop_index('ix_false_positive_rule')
        batch_op.drop_index(batch_op.f('ix_false_positive_item_id'))
        batch_op.drop_index(batch_op.f('ix_false_positive_item_decision_id'))

    op.drop_table('false_positive')
    with op.batch_alter_table('item_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_note_item_id'))

    op.drop_table('item_note')
    with op.batch_alter_table('ui_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ui_session_user_id'))

    op.drop_table('ui_session')
    op.drop_table('page_register')
    with op.batch_alter_table('oversight_signoff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oversight_signoff_page_id'))

    op.drop_table('oversight_signoff')
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempt_username_at')
        batch_op.drop_index('ix_login_attempt_ip_at')

    op.drop_table('login_attempt')
