"""The kit's tables and the notify service's: deliveries, inbox, directory, preferences.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from kit.migrate import (
    create_announcements_made,
    create_kit_tables,
    drop_announcements_made,
    drop_kit_tables,
)

revision = "0001"
down_revision = None


def upgrade() -> None:
    """Create the kit's tables and the service's."""
    create_kit_tables(op)
    create_announcements_made(op)

    op.create_table('contacts',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('recipient_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'recipient_id', 'channel', name=op.f('pk_contacts'))
    )
    op.create_table('deliveries',
    sa.Column('delivery_id', sa.String(length=36), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('recipient_kind', sa.String(length=20), nullable=False),
    sa.Column('recipient_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('township', sa.String(length=12), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('event_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('template', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('held', sa.Boolean(), nullable=False),
    sa.Column('next_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('digest_day', sa.Date(), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('segments', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error_kind', sa.String(length=20), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('provider_id', sa.String(length=120), nullable=True),
    sa.Column('claimed_by', sa.String(length=120), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('delivery_id', name=op.f('pk_deliveries')),
    sa.UniqueConstraint('event_id', 'recipient_kind', 'recipient_id', 'channel', name=op.f('uq_deliveries_event_id'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_due', ['status', 'next_at'], unique=False)
        batch_op.create_index('ix_deliveries_recipient', ['recipient_kind', 'recipient_id', 'created_at'], unique=False)
        batch_op.create_index('ix_deliveries_subject', ['subject'], unique=False)

    op.create_table('inbox_items',
    sa.Column('item_id', sa.String(length=36), nullable=False),
    sa.Column('recipient_kind', sa.String(length=20), nullable=False),
    sa.Column('recipient_id', sa.String(length=64), nullable=False),
    sa.Column('township', sa.String(length=12), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('item_id', name=op.f('pk_inbox_items'))
    )
    with op.batch_alter_table('inbox_items', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_items_recipient', ['recipient_kind', 'recipient_id', 'created_at'], unique=False)

    op.create_table('office_holders',
    sa.Column('office', sa.String(length=30), nullable=False),
    sa.Column('scope', sa.String(length=12), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('recipient_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('office', 'scope', 'kind', 'recipient_id', name=op.f('pk_office_holders'))
    )
    op.create_table('preferences',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('recipient_id', sa.String(length=64), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'recipient_id', name=op.f('pk_preferences'))
    )
    op.create_table('recipients',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('recipient_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('township', sa.String(length=12), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'recipient_id', name=op.f('pk_recipients'))
    )
    op.create_table('reminders',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('recipient_id', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'recipient_id', 'key', name=op.f('pk_reminders'))
    )
    op.create_table('townships',
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('county', sa.String(length=6), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_townships'))
    )


def downgrade() -> None:
    """Drop the service's tables and the kit's."""

    op.drop_table('townships')
    op.drop_table('reminders')
    op.drop_table('recipients')
    op.drop_table('preferences')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_unpublished', postgresql_where=sa.text('published_at IS NULL'), sqlite_where=sa.text('published_at IS NULL'))
        batch_op.drop_index('ix_outbox_published_at')

    op.drop_table('office_holders')
    op.drop_table('inbox_items')
    op.drop_table('deliveries')
    op.drop_table('contacts')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_resource')
        batch_op.drop_index('ix_audit_log_at')
    drop_announcements_made(op)
    drop_kit_tables(op)
