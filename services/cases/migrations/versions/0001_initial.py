"""The kit's tables and the cases service's tables.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from kit.migrate import create_kit_tables, drop_kit_tables

revision = '0001'
down_revision = None


def upgrade() -> None:
    """Create the kit's tables (outbox, inbox, audit log, leases, keys) and the service's."""
    create_kit_tables(op)
    op.create_table('case_announcements',
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('announced_on', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('case_id', 'key', name=op.f('pk_case_announcements'))
    )
    op.create_table('case_deputies',
    sa.Column('deputy_id', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('deputy_id', 'case_id', name=op.f('pk_case_deputies'))
    )
    op.create_index('ix_case_deputies_case', 'case_deputies', ['case_id'], unique=False)
    op.create_table('case_timeline',
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('before', sa.String(length=20), nullable=True),
    sa.Column('after', sa.String(length=20), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('case_id', 'seq', name=op.f('pk_case_timeline'))
    )
    op.create_table('case_units',
    sa.Column('unit_id', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.PrimaryKeyConstraint('unit_id', 'case_id', name=op.f('pk_case_units'))
    )
    op.create_index('ix_case_units_case', 'case_units', ['case_id'], unique=False)
    op.create_table('cases',
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('township', sa.String(length=9), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('submitter', sa.String(length=64), nullable=False),
    sa.Column('lead_unit_id', sa.String(length=64), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('chase_on', sa.Date(), nullable=True),
    sa.Column('key_chase', sa.Boolean(), nullable=False),
    sa.Column('solved', sa.Boolean(), nullable=False),
    sa.Column('replied_on', sa.Date(), nullable=True),
    sa.Column('reply_class', sa.String(length=1), nullable=True),
    sa.Column('on_time', sa.Boolean(), nullable=True),
    sa.Column('result', sa.String(length=30), nullable=True),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_cases'))
    )
    op.create_index('ix_cases_chase_on', 'cases', ['chase_on'], unique=False, postgresql_where=sa.text('chase_on IS NOT NULL'), sqlite_where=sa.text('chase_on IS NOT NULL'))
    op.create_index('ix_cases_lead_unit', 'cases', ['lead_unit_id'], unique=False)
    op.create_index('ix_cases_state_township_due', 'cases', ['state', 'township', 'due_on'], unique=False)
    op.create_index('ix_cases_township_received', 'cases', ['township', 'received_on'], unique=False)
    op.create_table('constituents',
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_constituents'))
    )
    op.create_table('digests',
    sa.Column('digest_id', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.String(length=12), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('case_count', sa.Integer(), nullable=False),
    sa.Column('markdown', sa.Text(), nullable=False),
    sa.Column('docx', sa.LargeBinary(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('digest_id', name=op.f('pk_digests'))
    )
    op.create_index('ix_digests_scope', 'digests', ['scope', 'period_end'], unique=False)
    op.create_table('instructions',
    sa.Column('instruction_id', sa.String(length=64), nullable=False),
    sa.Column('digest_id', sa.String(length=64), nullable=False),
    sa.Column('leader', sa.String(length=100), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=True),
    sa.Column('follow_up_case_id', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('given_on', sa.Date(), nullable=False),
    sa.Column('recorded_by', sa.String(length=120), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('instruction_id', name=op.f('pk_instructions'))
    )
    op.create_index(op.f('ix_instructions_digest_id'), 'instructions', ['digest_id'], unique=False)
    op.create_table('townships',
    sa.Column('code', sa.String(length=9), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_townships'))
    )
    op.create_table('deputies',
    sa.Column('deputy_id', sa.String(length=64), nullable=False),
    sa.Column('township', sa.String(length=9), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('deputy_id', name=op.f('pk_deputies'))
    )
    op.create_table('topics',
    sa.Column('topic_id', sa.String(length=64), nullable=False),
    sa.Column('township', sa.String(length=9), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('topic_id', name=op.f('pk_topics'))
    )
    op.create_index('ix_topics_township_year', 'topics', ['township', 'year'], unique=False)
    op.create_table('township_clocks',
    sa.Column('township', sa.String(length=9), nullable=False),
    sa.Column('opinion_days', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('township', name=op.f('pk_township_clocks'))
    )
    op.create_table('units',
    sa.Column('unit_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('scope', sa.String(length=12), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('unit_id', name=op.f('pk_units'))
    )


def downgrade() -> None:
    """Drop everything."""
    op.drop_table('units')
    op.drop_table('township_clocks')
    op.drop_index('ix_topics_township_year', table_name='topics')
    op.drop_table('topics')
    op.drop_index(op.f('ix_instructions_digest_id'), table_name='instructions')
    op.drop_table('instructions')
    op.drop_index('ix_digests_scope', table_name='digests')
    op.drop_table('digests')
    op.drop_table('constituents')
    op.drop_index('ix_cases_township_received', table_name='cases')
    op.drop_index('ix_cases_state_township_due', table_name='cases')
    op.drop_index('ix_cases_lead_unit', table_name='cases')
    op.drop_index('ix_cases_chase_on', table_name='cases', postgresql_where=sa.text('chase_on IS NOT NULL'), sqlite_where=sa.text('chase_on IS NOT NULL'))
    op.drop_table('cases')
    op.drop_index('ix_case_units_case', table_name='case_units')
    op.drop_table('case_units')
    op.drop_table('case_timeline')
    op.drop_index('ix_case_deputies_case', table_name='case_deputies')
    op.drop_table('case_deputies')
    op.drop_table('case_announcements')
    op.drop_table('deputies')
    op.drop_table('townships')
    drop_kit_tables(op)
