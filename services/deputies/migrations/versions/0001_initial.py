"""The kit's tables and the deputies service's tables.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from kit.migrate import create_kit_tables, drop_kit_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    """Create the kit's tables (outbox, inbox, audit log, leases, keys) and the service's."""
    create_kit_tables(op)
    op.create_table('activities',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('township', sa.String(length=9), nullable=False),
    sa.Column('type', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('level_county', sa.Boolean(), nullable=False),
    sa.Column('level_township', sa.Boolean(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('duration_hours', sa.Float(), nullable=False),
    sa.Column('station_id', sa.String(length=36), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activities'))
    )
    op.create_index('ix_activities_township_held_on', 'activities', ['township', 'held_on'], unique=False)
    op.create_index('ix_activities_type', 'activities', ['type'], unique=False)
    op.create_table('announcements',
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('announced_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'key', name=op.f('pk_announcements'))
    )
    op.create_table('townships',
    sa.Column('code', sa.String(length=9), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('roster_verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('roster_verified_by', sa.String(length=120), nullable=True),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_townships'))
    )
    op.create_table('highlights',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('township', sa.String(length=9), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['township'], ['townships.code'], name=op.f('fk_highlights_township_townships')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_highlights'))
    )
    op.create_index('ix_highlights_township_year', 'highlights', ['township', 'year'], unique=False)
    op.create_table('manuscripts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('township', sa.String(length=9), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('author', sa.String(length=100), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('outlet', sa.String(length=200), nullable=True),
    sa.Column('outlet_level', sa.String(length=20), nullable=True),
    sa.Column('placement', sa.String(length=30), nullable=True),
    sa.Column('published_on', sa.Date(), nullable=True),
    sa.Column('evidence_url', sa.String(length=1000), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['township'], ['townships.code'], name=op.f('fk_manuscripts_township_townships')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manuscripts'))
    )
    op.create_index('ix_manuscripts_township_submitted_on', 'manuscripts', ['township', 'submitted_on'], unique=False)
    op.create_table('roster_verifications',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('township', sa.String(length=9), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('verified_by', sa.String(length=120), nullable=False),
    sa.Column('deputy_count', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['township'], ['townships.code'], name=op.f('fk_roster_verifications_township_townships')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_roster_verifications'))
    )
    op.create_index(op.f('ix_roster_verifications_township'), 'roster_verifications', ['township'], unique=False)
    op.create_table('stations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('township', sa.String(length=9), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('schedule', sa.String(length=300), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('content_updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['township'], ['townships.code'], name=op.f('fk_stations_township_townships')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stations'))
    )
    op.create_index(op.f('ix_stations_township'), 'stations', ['township'], unique=False)
    op.create_table('deputies',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('township', sa.String(length=9), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('gender', sa.String(length=10), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('ethnicity', sa.String(length=40), nullable=True),
    sa.Column('party', sa.String(length=60), nullable=True),
    sa.Column('occupation', sa.String(length=200), nullable=True),
    sa.Column('sector', sa.String(length=100), nullable=True),
    sa.Column('level_county', sa.Boolean(), nullable=False),
    sa.Column('level_township', sa.Boolean(), nullable=False),
    sa.Column('electoral_district', sa.String(length=100), nullable=True),
    sa.Column('deputy_group', sa.String(length=100), nullable=True),
    sa.Column('station_id', sa.String(length=36), nullable=True),
    sa.Column('term', sa.Integer(), nullable=False),
    sa.Column('elected_by', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_reason', sa.String(length=20), nullable=False),
    sa.Column('status_since', sa.Date(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('id_number', sa.String(length=18), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_deputies_station_id_stations')),
    sa.ForeignKeyConstraint(['township'], ['townships.code'], name=op.f('fk_deputies_township_townships')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deputies')),
    sa.UniqueConstraint('id_number', 'term', name='uq_deputies_id_number_term')
    )
    op.create_index('ix_deputies_deputy_group', 'deputies', ['deputy_group'], unique=False)
    op.create_index('ix_deputies_term', 'deputies', ['term'], unique=False)
    op.create_index('ix_deputies_township_name', 'deputies', ['township', 'name', 'id'], unique=False)
    op.create_index('ix_deputies_township_status', 'deputies', ['township', 'status'], unique=False)
    op.create_table('attendance',
    sa.Column('activity_id', sa.String(length=36), nullable=False),
    sa.Column('deputy_id', sa.String(length=36), nullable=False),
    sa.Column('mark', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_attendance_activity_id_activities')),
    sa.ForeignKeyConstraint(['deputy_id'], ['deputies.id'], name=op.f('fk_attendance_deputy_id_deputies')),
    sa.PrimaryKeyConstraint('activity_id', 'deputy_id', name=op.f('pk_attendance'))
    )
    op.create_index('ix_attendance_deputy_id', 'attendance', ['deputy_id'], unique=False)
    op.create_table('status_history',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('deputy_id', sa.String(length=36), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['deputy_id'], ['deputies.id'], name=op.f('fk_status_history_deputy_id_deputies')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_status_history'))
    )
    op.create_index(op.f('ix_status_history_deputy_id'), 'status_history', ['deputy_id'], unique=False)


def downgrade() -> None:
    """Drop them."""
    op.drop_table('status_history')
    op.drop_table('attendance')
    op.drop_table('deputies')
    op.drop_table('stations')
    op.drop_table('roster_verifications')
    op.drop_table('manuscripts')
    op.drop_table('highlights')
    op.drop_table('townships')
    op.drop_table('announcements')
    op.drop_table('activities')
    drop_kit_tables(op)
