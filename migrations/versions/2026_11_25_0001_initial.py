"""Initial schema: inbox, pages, archive, accounts

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 15:12:11.413172
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
import app.core.db

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('author',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=True),
    sa.Column('first_seen_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_author')),
    sa.UniqueConstraint('platform_id', name=op.f('uq_author_platform_id'))
    )
    op.create_table('inbox_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('received_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('body_sha256', sa.String(length=64), nullable=False),
    sa.Column('headers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('processed_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_event')),
    sa.UniqueConstraint('body_sha256', name=op.f('uq_inbox_event_body_sha256'))
    )
    with op.batch_alter_table('inbox_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbox_event_status'), ['status', 'id'], unique=False)

    op.create_table('page',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('token_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('token_status', sa.String(length=16), nullable=False),
    sa.Column('token_error', sa.Text(), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('removed_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_page')),
    sa.UniqueConstraint('platform_id', name=op.f('uq_page_platform_id'))
    )
    with op.batch_alter_table('page', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_page_unit'), ['unit'], unique=False)

    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=True),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('disabled_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('username', name=op.f('uq_user_account_username'))
    )
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_api_token_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_sha256', name=op.f('uq_api_token_token_sha256'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.String(length=128), nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('platform_type', sa.String(length=32), nullable=False),
    sa.Column('post_platform_id', sa.String(length=128), nullable=True),
    sa.Column('parent_platform_id', sa.String(length=128), nullable=True),
    sa.Column('object_platform_id', sa.String(length=128), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('by_page', sa.Boolean(), nullable=False),
    sa.Column('created_time', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_seen_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('state_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('fetch_status', sa.String(length=16), nullable=False),
    sa.Column('fetch_attempts', sa.Integer(), nullable=False),
    sa.Column('fetch_next_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('fetch_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['author.id'], name=op.f('fk_item_author_id_author')),
    sa.ForeignKeyConstraint(['page_id'], ['page.id'], name=op.f('fk_item_page_id_page')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item')),
    sa.UniqueConstraint('platform_id', name=op.f('uq_item_platform_id'))
    )
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_fetch_status'), ['fetch_status', 'fetch_next_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_object_platform_id'), ['object_platform_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_page_id'), ['page_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_parent_platform_id'), ['parent_platform_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_post_platform_id'), ['post_platform_id'], unique=False)

    op.create_table('inbox_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inbox_event_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('change_key', sa.String(length=64), nullable=False),
    sa.Column('field', sa.String(length=32), nullable=False),
    sa.Column('page_platform_id', sa.String(length=128), nullable=False),
    sa.Column('entry_time', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('next_attempt_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('processed_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['inbox_event_id'], ['inbox_event.id'], name=op.f('fk_inbox_change_inbox_event_id_inbox_event')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_inbox_change_item_id_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_change')),
    sa.UniqueConstraint('change_key', name=op.f('uq_inbox_change_change_key'))
    )
    with op.batch_alter_table('inbox_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbox_change_inbox_event_id'), ['inbox_event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbox_change_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbox_change_page_platform_id'), ['page_platform_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbox_change_status'), ['status', 'next_attempt_at'], unique=False)

    op.create_table('item_state_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('verb', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=True),
    sa.Column('occurred_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_platform_id', sa.String(length=128), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('recorded_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('change_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['change_id'], ['inbox_change.id'], name=op.f('fk_item_state_event_change_id_inbox_change')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_item_state_event_item_id_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_state_event')),
    sa.UniqueConstraint('item_id', 'verb', 'occurred_at', name=op.f('uq_item_state_event_item_id_verb_occurred_at'))
    )
    with op.batch_alter_table('item_state_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_state_event_item_id'), ['item_id'], unique=False)

    op.create_table('item_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('media', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('observed_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('verb', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('change_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['change_id'], ['inbox_change.id'], name=op.f('fk_item_version_change_id_inbox_change')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_item_version_item_id_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_version')),
    sa.UniqueConstraint('item_id', 'seq', name=op.f('uq_item_version_item_id_seq'))
    )



def downgrade() -> None:

    op.drop_table('item_version')
    with op.batch_alter_table('item_state_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_state_event_item_id'))

    op.drop_table('item_state_event')
    with op.batch_alter_table('inbox_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbox_change_status'))
        batch_op.drop_index(batch_op.f('ix_inbox_change_page_platform_id'))
        batch_op.drop_index(batch_op.f('ix_inbox_change_item_id'))
        batch_op.drop_index(batch_op.f('ix_inbox_change_inbox_event_id'))

    op.drop_table('inbox_change')
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_post_platform_id'))
        batch_op.drop_index(batch_op.f('ix_item_parent_platform_id'))
        batch_op.drop_index(batch_op.f('ix_item_page_id'))
        batch_op.drop_index(batch_op.f('ix_item_object_platform_id'))
        batch_op.drop_index(batch_op.f('ix_item_fetch_status'))
        batch_op.drop_index(batch_op.f('ix_item_author_id'))

    op.drop_table('item')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    op.drop_table('user_account')
    with op.batch_alter_table('page', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_page_unit'))

    op.drop_table('page')
    with op.batch_alter_table('inbox_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbox_event_status'))

    op.drop_table('inbox_event')
    op.drop_table('author')

