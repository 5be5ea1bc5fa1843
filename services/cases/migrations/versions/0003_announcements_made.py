"""The kit's announcements_made table replaces case_announcements (rows kept: scope = case id).

Revision ID: 0002_announced
Revises: 0001
"""

from datetime import UTC, date, datetime, time

import sqlalchemy as sa
from alembic import op
from kit.clock import CHINA, china_day
from kit.db.tables import announcement_table, make_metadata
from kit.migrate import create_announcements_made, drop_announcements_made

revision = "0002_announced"
down_revision = "0002"


def upgrade() -> None:
    """Create the kit table, move every chase announcement made (its day → 00:00 China), drop the old."""
    create_announcements_made(op)
    ledger = announcement_table(make_metadata())
    old = _old_table()
    rows = op.get_bind().execute(sa.select(old.c.case_id, old.c.key, old.c.announced_on)).all()
    if rows:
        op.bulk_insert(
            ledger,
            [{"scope": case_id, "key": key, "made_at": _midnight(day)} for case_id, key, day in rows],
        )
    op.drop_table("case_announcements")


def downgrade() -> None:
    """Bring case_announcements back with the kit table's rows (made_at → its China day)."""
    op.create_table(
        "case_announcements",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("announced_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "key", name=op.f("pk_case_announcements")),
    )
    ledger = announcement_table(make_metadata())
    rows = op.get_bind().execute(sa.select(ledger.c.scope, ledger.c.key, ledger.c.made_at)).all()
    if rows:
        op.bulk_insert(
            _old_table(),
            [{"case_id": s, "key": k, "announced_on": china_day(at)} for s, k, at in rows],
        )
    drop_announcements_made(op)


def _old_table() -> sa.TableClause:
    return sa.table(
        "case_announcements",
        sa.column("case_id", sa.String),
        sa.column("key", sa.String),
        sa.column("announced_on", sa.Date),
    )


def _midnight(day: date) -> datetime:
    """Return 00:00 China time of a chase day, in UTC (the day an announcement was made)."""
    return datetime.combine(day, time(), CHINA).astimezone(UTC)
