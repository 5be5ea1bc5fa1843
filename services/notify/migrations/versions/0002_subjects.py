"""The case projection: a case's or topic's title, township, lead unit and deputies; measures.

Revision ID: 0002_subjects
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_subjects"
down_revision = "0001"


def upgrade() -> None:
    """Create the subjects table."""
    op.create_table(
        "subjects",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("township", sa.String(length=12), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("lead_unit_id", sa.String(length=64), nullable=True),
        sa.Column("deputy_ids", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "subject_id", name=op.f("pk_subjects")),
    )


def downgrade() -> None:
    """Drop the subjects table."""
    op.drop_table("subjects")
