"""The directory's version: one counter every write of the directory or preferences moves.

Revision ID: 0003_directory_version
Revises: 0002_subjects
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_directory_version"
down_revision = "0002_subjects"


def upgrade() -> None:
    """Create the one-row table at version 0."""
    table = op.create_table(
        "directory_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_version")),
    )
    op.bulk_insert(table, [{"id": 1, "version": 0}])


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("directory_version")
