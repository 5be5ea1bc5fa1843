"""Joint activities' townships, termination flags, highlight rules, dated and corrected statuses.

Revision ID: 0002
Revises: 0001
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    """Add the participating townships, flags and rules; election dates; history states."""
    op.create_table(
        "activity_townships",
        sa.Column("activity_id", sa.String(length=36), nullable=False),
        sa.Column("township", sa.String(length=9), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_activity_townships_activity_id_activities"),
        ),
        sa.PrimaryKeyConstraint("activity_id", "township", name=op.f("pk_activity_townships")),
    )
    op.create_index("ix_activity_townships_township", "activity_townships", ["township"])
    op.create_table(
        "termination_flags",
        sa.Column("deputy_id", sa.String(length=36), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("term", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("session_ids", sa.Text(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deputy_id"], ["deputies.id"], name=op.f("fk_termination_flags_deputy_id_deputies")
        ),
        sa.PrimaryKeyConstraint("deputy_id", "level", "term", name=op.f("pk_termination_flags")),
    )
    op.create_table(
        "highlight_rules",
        sa.Column("township", sa.String(length=9), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("max_highlights", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["township"], ["townships.code"], name=op.f("fk_highlight_rules_township_townships")
        ),
        sa.PrimaryKeyConstraint("township", "year", name=op.f("pk_highlight_rules")),
    )
    _carry_over_flags()
    with op.batch_alter_table("deputies") as batch:
        batch.add_column(sa.Column("elected_on", sa.Date(), nullable=True))
        batch.alter_column("status_since", existing_type=sa.Date(), nullable=True)
    op.execute(
        "UPDATE deputies SET elected_on = ("
        "SELECT MIN(h.effective_date) FROM status_history h "
        "WHERE h.deputy_id = deputies.id AND h.from_status IS NULL)"
    )
    with op.batch_alter_table("status_history") as batch:
        batch.add_column(sa.Column("level", sa.String(length=10), nullable=True))
        batch.add_column(
            sa.Column("state", sa.String(length=20), nullable=False, server_default="applied")
        )
        batch.add_column(sa.Column(
                "corrects_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            ))
    with op.batch_alter_table("highlights") as batch:
        batch.add_column(
            sa.Column("state", sa.String(length=20), nullable=False, server_default="reported")
        )


def _carry_over_flags() -> None:
    """Move flags announced before 0002 into termination_flags, with their event when kept."""
    bind = op.get_bind()
    keys = bind.execute(
        sa.text("SELECT key, announced_at FROM announcements WHERE kind = 'termination_flag'")
    ).all()
    for key, announced_at in keys:
        deputy_id, level, term = key.rsplit(":", 2)
        found = bind.execute(
            sa.text(
                "SELECT event_id, payload FROM outbox WHERE key = :key"
                " AND event_type = 'deputies.mandate.termination_flagged'"
                " ORDER BY seq DESC LIMIT 1"
            ),
            {"key": deputy_id},
        ).first()
        sessions = json.loads(found[1])["data"]["session_activity_ids"] if found else []
        bind.execute(
            sa.text(
                "INSERT INTO termination_flags"
                " (deputy_id, level, term, state, event_id, session_ids, changed_at)"
                " VALUES (:deputy_id, :level, :term, 'flagged', :event_id, :sessions, :at)"
            ),
            {
                "deputy_id": deputy_id,
                "level": level,
                "term": int(term),
                "event_id": found[0] if found else "announced-before-0002",
                "sessions": json.dumps(sessions),
                "at": announced_at,
            },
        )
    op.execute("DELETE FROM announcements WHERE kind = 'termination_flag'")


def downgrade() -> None:
    """Drop what upgrade added."""
    with op.batch_alter_table("highlights") as batch:
        batch.drop_column("state")
    with op.batch_alter_table("status_history") as batch:
        batch.drop_column("corrects_seq")
        batch.drop_column("state")
        batch.drop_column("level")
    with op.batch_alter_table("deputies") as batch:
        batch.drop_column("elected_on")
    op.drop_table("highlight_rules")
    op.drop_table("termination_flags")
    op.drop_index("ix_activity_townships_township", table_name="activity_townships")
    op.drop_table("activity_townships")
