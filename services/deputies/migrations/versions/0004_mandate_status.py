"""Status per mandate: which running mandates are suspended; history entries name their mandate.

Revision ID: 0004
Revises: 0002_announced
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002_announced"


def upgrade() -> None:
    """Add the suspended flags (a suspended deputy: every mandate); name single mandates."""
    with op.batch_alter_table("deputies") as batch:
        for level in ("county", "township"):
            batch.add_column(
                sa.Column(
                    f"suspended_{level}", sa.Boolean(), nullable=False, server_default=sa.false()
                )
            )
    op.execute(
        "UPDATE deputies SET suspended_county = level_county,"
        " suspended_township = level_township WHERE status = 'suspended'"
    )
    for level, other in (("county", "township"), ("township", "county")):
        op.execute(
            f"UPDATE status_history SET level = '{level}'"  # noqa: S608 - two constants
            " WHERE level IS NULL AND from_status IS NOT NULL AND deputy_id IN ("
            f"SELECT id FROM deputies WHERE level_{level} AND NOT level_{other})"
        )


def downgrade() -> None:
    """Drop the suspended flags."""
    with op.batch_alter_table("deputies") as batch:
        batch.drop_column("suspended_township")
        batch.drop_column("suspended_county")
