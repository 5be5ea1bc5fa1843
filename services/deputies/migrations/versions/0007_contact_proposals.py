"""Contact proposals: a deputy proposes a new phone or address, township staff decide.

Revision ID: 0007_contact_proposals
Revises: 0006_attachments
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_contact_proposals"
down_revision = "0006_attachments"


def upgrade() -> None:
    """Create the proposals table, its list indexes and one pending proposal per deputy."""
    op.create_table(
        "contact_proposals",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("deputy_id", sa.String(36), sa.ForeignKey("deputies.id"), nullable=False),
        sa.Column("township", sa.String(9), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("fields", sa.String(40), nullable=False),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("address", sa.String(300), nullable=True),
        sa.Column("was_phone", sa.String(20), nullable=True),
        sa.Column("was_address", sa.String(300), nullable=True),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("proposed_by", sa.String(120), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(120), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("deputy_version", sa.Integer(), nullable=True),
    )
    op.create_index(
        "ix_contact_proposals_township_state",
        "contact_proposals",
        ["township", "state", "proposed_at"],
    )
    op.create_index(
        "ix_contact_proposals_deputy", "contact_proposals", ["deputy_id", "proposed_at"]
    )
    op.create_index(
        "uq_contact_proposals_pending",
        "contact_proposals",
        ["deputy_id"],
        unique=True,
        postgresql_where=sa.text("state = 'pending'"),
        sqlite_where=sa.text("state = 'pending'"),
    )


def downgrade() -> None:
    """Drop the proposals."""
    op.drop_table("contact_proposals")
