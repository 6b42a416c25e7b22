"""Scheduled duties: job leases and runs, alerts, reconciliation per page, retention rules,
legal holds and the culling record, service questions, the oversight digest, half-yearly
snapshots and yearly reports; inbox_event.source and item.culled_at

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 01:55:31.039328
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.core.db

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('digest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('content', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('recipients', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('sent_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('send_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest')),
    sa.UniqueConstraint('unit', 'day', name=op.f('uq_digest_unit_day'))
    )
    op.create_table('digest_recipient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=300), nullable=False),
    sa.Column('added_by', sa.String(length=100), nullable=False),
    sa.Column('added_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_recipient')),
    sa.UniqueConstraint('unit', 'email', name=op.f('uq_digest_recipient_unit_email'))
    )
    op.create_table('job_lease',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=True),
    sa.Column('expires_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_started_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_lease'))
    )
    op.create_table('job_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=64), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=False),
    sa.Column('started_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('summary', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_run'))
    )
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.create_index('ix_job_run_job_started', ['job', 'started_at'], unique=False)

    op.create_table('yearly_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('pdf_path', sa.String(length=300), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf_bytes', sa.Integer(), nullable=False),
    sa.Column('csv_path', sa.String(length=300), nullable=False),
    sa.Column('csv_sha256', sa.String(length=64), nullable=False),
    sa.Column('csv_bytes', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_yearly_report'))
    )
    with op.batch_alter_table('yearly_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_yearly_report_year'), ['year'], unique=False)

    op.create_table('alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('raised_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('resolved_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['page_id'], ['page.id'], name=op.f('fk_alert_page_id_page')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert'))
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index('ix_alert_open', ['resolved_at', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_page_id'), ['page_id'], unique=False)

    op.create_table('page_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.Column('pdf_path', sa.String(length=300), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf_bytes', sa.Integer(), nullable=False),
    sa.Column('pdfa', sa.Boolean(), nullable=False),
    sa.Column('html_path', sa.String(length=300), nullable=False),
    sa.Column('html_sha256', sa.String(length=64), nullable=False),
    sa.Column('html_bytes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['page_id'], ['page.id'], name=op.f('fk_page_snapshot_page_id_page')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_page_snapshot'))
    )
    with op.batch_alter_table('page_snapshot', schema=None) as batch_op:
        batch_op.create_index('ix_page_snapshot_page_period', ['page_id', 'period_start'], unique=False)

    op.create_table('page_watch',
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('polled_until', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_poll_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_poll_found', sa.Integer(), nullable=False),
    sa.Column('last_poll_error', sa.Text(), nullable=True),
    sa.Column('next_poll_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('subscription_status', sa.String(length=16), nullable=False),
    sa.Column('subscription_checked_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('subscription_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['page_id'], ['page.id'], name=op.f('fk_page_watch_page_id_page')),
    sa.PrimaryKeyConstraint('page_id', name=op.f('pk_page_watch'))
    )
    op.create_table('retention_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('keep_days', sa.Integer(), nullable=False),
    sa.Column('decision_ref', sa.String(length=200), nullable=False),
    sa.Column('decision_date', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('retired_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('retired_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['page_id'], ['page.id'], name=op.f('fk_retention_rule_page_id_page')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_rule'))
    )
    with op.batch_alter_table('retention_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retention_rule_page_id'), ['page_id'], unique=False)

    op.create_table('culling_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('item_platform_id', sa.String(length=128), nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('created_time', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('decision_ref', sa.String(length=200), nullable=False),
    sa.Column('versions', sa.Integer(), nullable=False),
    sa.Column('media_files', sa.Integer(), nullable=False),
    sa.Column('culled_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('culled_by', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_culling_record_item_id_item')),
    sa.ForeignKeyConstraint(['page_id'], ['page.id'], name=op.f('fk_culling_record_page_id_page')),
    sa.ForeignKeyConstraint(['rule_id'], ['retention_rule.id'], name=op.f('fk_culling_record_rule_id_retention_rule')),
    sa.ForeignKeyConstraint(['run_id'], ['job_run.id'], name=op.f('fk_culling_record_run_id_job_run')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_culling_record'))
    )
    with op.batch_alter_table('culling_record', schema=None) as batch_op:
        batch_op.create_index('ix_culling_record_culled_at', ['culled_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_culling_record_item_id'), ['item_id'], unique=False)

    op.create_table('legal_hold',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('placed_by', sa.String(length=100), nullable=False),
    sa.Column('placed_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('released_by', sa.String(length=100), nullable=True),
    sa.Column('released_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_legal_hold_item_id_item')),
    sa.ForeignKeyConstraint(['page_id'], ['page.id'], name=op.f('fk_legal_hold_page_id_page')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_hold'))
    )
    with op.batch_alter_table('legal_hold', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_hold_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_legal_hold_page_id'), ['page_id'], unique=False)

    op.create_table('service_question',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('asked_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('answered_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answer_item_id', sa.Integer(), nullable=True),
    sa.Column('closed_by', sa.String(length=100), nullable=True),
    sa.Column('closed_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_reason', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['answer_item_id'], ['item.id'], name=op.f('fk_service_question_answer_item_id_item')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_service_question_item_id_item')),
    sa.ForeignKeyConstraint(['page_id'], ['page.id'], name=op.f('fk_service_question_page_id_page')),
    sa.PrimaryKeyConstraint('item_id', name=op.f('pk_service_question'))
    )
    with op.batch_alter_table('service_question', schema=None) as batch_op:
        batch_op.create_index('ix_service_question_open', ['status', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_question_page_id'), ['page_id'], unique=False)

    with op.batch_alter_table('inbox_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=16), nullable=False,
                                      server_default='webhook'))

    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('culled_at', app.core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+ too): a batch copy of item or inbox_event
    # would drop a table other tables' foreign keys refer to.
    op.drop_column('item', 'culled_at')
    op.drop_column('inbox_event', 'source')

    with op.batch_alter_table('service_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_question_page_id'))
        batch_op.drop_index('ix_service_question_open')

    op.drop_table('service_question')
    with op.batch_alter_table('legal_hold', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legal_hold_page_id'))
        batch_op.drop_index(batch_op.f('ix_legal_hold_item_id'))

    op.drop_table('legal_hold')
    with op.batch_alter_table('culling_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_culling_record_item_id'))
        batch_op.drop_index('ix_culling_record_culled_at')

    op.drop_table('culling_record')
    with op.batch_alter_table('retention_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_retention_rule_page_id'))

    op.drop_table('retention_rule')
    op.drop_table('page_watch')
    with op.batch_alter_table('page_snapshot', schema=None) as batch_op:
        batch_op.drop_index('ix_page_snapshot_page_period')

    op.drop_table('page_snapshot')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_page_id'))
        batch_op.drop_index('ix_alert_open')

    op.drop_table('alert')
    with op.batch_alter_table('yearly_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_yearly_report_year'))

    op.drop_table('yearly_report')
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.drop_index('ix_job_run_job_started')

    op.drop_table('job_run')
    op.drop_table('job_lease')
    op.drop_table('digest_recipient')
    op.drop_table('digest')

