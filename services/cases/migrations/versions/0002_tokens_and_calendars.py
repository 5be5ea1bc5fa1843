"""Token vectors kept with each case (duplicate search); official calendar years loaded.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'


def upgrade() -> None:
    """Add the cases' token vectors and the table of loaded official calendar years."""
    op.add_column('cases', sa.Column('tokens', sa.JSON(), nullable=True))
    _backfill_tokens()
    op.create_table('calendar_years',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_years'))
    )


def _backfill_tokens() -> None:
    """Tokenise the cases filed before vectors were kept (once, here, not per request)."""
    from cases.domain.similarity import token_vector

    conn = op.get_bind()
    cases = sa.table(
        'cases', sa.column('case_id'), sa.column('title'), sa.column('doc', sa.JSON()),
        sa.column('tokens', sa.JSON()),
    )
    rows = conn.execute(sa.select(cases.c.case_id, cases.c.title, cases.c.doc)).all()
    for row in rows:
        vector = token_vector(f"{row.title} {(row.doc or {}).get('content', '')}")
        conn.execute(
            sa.update(cases).where(cases.c.case_id == row.case_id).values(tokens=vector)
        )


def downgrade() -> None:
    """Drop them again."""
    op.drop_table('calendar_years')
    op.drop_column('cases', 'tokens')
