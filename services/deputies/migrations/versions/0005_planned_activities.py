"""Planned activities, the deputies expected at them and the calendar feed tokens.

Revision ID: 0005_planned_activities
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op


revision = "0005_planned_activities"
down_revision = "0004"


def upgrade() -> None:
    """Add the three tables."""
    op.create_table(
        "planned_activities",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("township", sa.String(9), sa.ForeignKey("townships.code"), nullable=False),
        sa.Column("type", sa.String(30), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("level_county", sa.Boolean(), nullable=False),
        sa.Column("level_township", sa.Boolean(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("station_id", sa.String(36), sa.ForeignKey("stations.id"), nullable=True),
        sa.Column("address", sa.String(500), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_planned_activities_township_starts_at",
        "planned_activities",
        ["township", "starts_at"],
    )
    op.create_index("ix_planned_activities_station_id", "planned_activities", ["station_id"])
    op.create_table(
        "planned_participants",
        sa.Column(
            "plan_id", sa.String(36), sa.ForeignKey("planned_activities.id"), primary_key=True
        ),
        sa.Column("deputy_id", sa.String(36), sa.ForeignKey("deputies.id"), primary_key=True),
    )
    op.create_index(
        "ix_planned_participants_deputy_id", "planned_participants", ["deputy_id"]
    )
    op.create_table(
        "feed_tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("roles", sa.String(200), nullable=False),
        sa.Column("scope", sa.String(12), nullable=False),
        sa.Column("deputy_id", sa.String(36), nullable=True),
        sa.Column("feed_kind", sa.String(10), nullable=False),
        sa.Column("feed_key", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_feed_tokens_subject", "feed_tokens", ["subject"])


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_table("feed_tokens")
    op.drop_table("planned_participants")
    op.drop_table("planned_activities")
