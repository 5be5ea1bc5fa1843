"""The kit's tables and the scoring service's: rule sets, facts, ledger, reviews, parking, roster.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from kit.db import UtcDateTime
from kit.migrate import (
    create_announcements_made,
    create_kit_tables,
    drop_announcements_made,
    drop_kit_tables,
)

revision = "0001"
down_revision = None


def upgrade() -> None:
    """Create the kit's tables (announcements made included) and the service's."""
    create_kit_tables(op)
    create_announcements_made(op)
    op.create_table('activity_versions',
    sa.Column('subject', sa.String(length=80), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('subject', name=op.f('pk_activity_versions'))
    )
    op.create_table('activity_hours',
    sa.Column('activity_id', sa.String(length=64), nullable=False),
    sa.Column('hours', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.PrimaryKeyConstraint('activity_id', name=op.f('pk_activity_hours'))
    )
    op.create_table('case_signers',
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('lead', sa.String(length=64), nullable=False),
    sa.Column('co_signers', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_signers'))
    )
    op.create_table('deputies',
    sa.Column('deputy_id', sa.String(length=64), nullable=False),
    sa.Column('township', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('levels', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('deputy_id', name=op.f('pk_deputies'))
    )
    op.create_table('entries',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('entry_id', sa.String(length=36), nullable=False),
    sa.Column('county', sa.String(length=6), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('rule_set_version', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('deputy_id', sa.String(length=64), nullable=False),
    sa.Column('township', sa.String(length=12), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('rule_id', sa.String(length=80), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('points', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('capped_from', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('subject', sa.String(length=80), nullable=False),
    sa.Column('source_event_id', sa.String(length=36), nullable=False),
    sa.Column('source_event_type', sa.String(length=80), nullable=False),
    sa.Column('compensates', sa.String(length=36), nullable=True),
    sa.Column('recorded_at', UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_entries')),
    sa.UniqueConstraint('county', 'year', 'rule_set_version', 'rule_id', 'source_event_id', 'deputy_id', 'kind', name='uq_entries_rule_event_deputy'),
    sa.UniqueConstraint('entry_id', 'rule_set_version', name='uq_entries_version')
    )
    op.create_index('ix_entries_deputy', 'entries', ['county', 'year', 'rule_set_version', 'deputy_id'], unique=False)
    op.create_index('ix_entries_subject', 'entries', ['county', 'year', 'rule_set_version', 'subject'], unique=False)
    op.create_table('entry_reviews',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('entry_id', sa.String(length=36), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reviewer_id', sa.String(length=120), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('at', UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_entry_reviews'))
    )
    op.create_index(op.f('ix_entry_reviews_entry_id'), 'entry_reviews', ['entry_id'], unique=False)
    op.create_table('entry_status',
    sa.Column('entry_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_entry_status'))
    )
    op.create_table('facts',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=80), nullable=False),
    sa.Column('county', sa.String(length=6), nullable=False),
    sa.Column('township', sa.String(length=12), nullable=False),
    sa.Column('envelope', sa.JSON(), nullable=False),
    sa.Column('stored_at', UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_facts')),
    sa.UniqueConstraint('event_id', name=op.f('uq_facts_event_id'))
    )
    op.create_index('ix_facts_county', 'facts', ['county', 'seq'], unique=False)
    op.create_table('parked',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('envelope', sa.JSON(), nullable=False),
    sa.Column('parked_at', UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_parked')),
    sa.UniqueConstraint('event_id', name=op.f('uq_parked_event_id'))
    )
    op.create_table('parked_waits',
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('waits_for', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('event_id', 'waits_for', name=op.f('pk_parked_waits'))
    )
    op.create_index('ix_parked_waits_for', 'parked_waits', ['waits_for'], unique=False)
    op.create_table('rule_sets',
    sa.Column('county', sa.String(length=6), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('activated_by', sa.String(length=120), nullable=True),
    sa.Column('activated_at', UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('county', 'year', 'version', name=op.f('pk_rule_sets'))
    )
    op.create_table('townships',
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('county', sa.String(length=6), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_townships'))
    )


def downgrade() -> None:
    """Drop the service's tables, then the kit's."""
    op.drop_table('townships')
    op.drop_table('rule_sets')
    op.drop_index('ix_parked_waits_for', table_name='parked_waits')
    op.drop_table('parked_waits')
    op.drop_table('parked')
    op.drop_index('ix_facts_county', table_name='facts')
    op.drop_table('facts')
    op.drop_table('entry_status')
    op.drop_index(op.f('ix_entry_reviews_entry_id'), table_name='entry_reviews')
    op.drop_table('entry_reviews')
    op.drop_index('ix_entries_subject', table_name='entries')
    op.drop_index('ix_entries_deputy', table_name='entries')
    op.drop_table('entries')
    op.drop_table('deputies')
    op.drop_table('case_signers')
    op.drop_table('activity_versions')
    op.drop_table('activity_hours')
    drop_announcements_made(op)
    drop_kit_tables(op)
