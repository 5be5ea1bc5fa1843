"""Case numbers per county, year and kind (青山县2026年建议第37号); existing cases numbered.

Revision ID: 0005_case_numbers
Revises: 0004_attachments
"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0005_case_numbers"
down_revision = "0004_attachments"


def upgrade() -> None:
    """Add the number columns and the counters; number existing cases in order of filing."""
    op.add_column("cases", sa.Column("number_county", sa.String(length=6), nullable=True))
    op.add_column("cases", sa.Column("number_year", sa.Integer(), nullable=True))
    op.add_column("cases", sa.Column("number_seq", sa.Integer(), nullable=True))
    op.create_table(
        "case_counters",
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("county", "year", "kind", name=op.f("pk_case_counters")),
    )
    _number_existing()
    op.create_index(
        "ix_cases_number",
        "cases",
        ["number_county", "number_year", "kind", "number_seq"],
        unique=True,
    )


def _number_existing() -> None:
    """Give every case filed before numbers its place: by day received, then time of entry."""
    conn = op.get_bind()
    cases = sa.table(
        "cases",
        sa.column("case_id", sa.String),
        sa.column("kind", sa.String),
        sa.column("township", sa.String),
        sa.column("received_on", sa.Date),
        sa.column("created_at", sa.DateTime),
        sa.column("number_county", sa.String),
        sa.column("number_year", sa.Integer),
        sa.column("number_seq", sa.Integer),
    )
    rows = conn.execute(
        sa.select(cases.c.case_id, cases.c.kind, cases.c.township, cases.c.received_on).order_by(
            cases.c.received_on, cases.c.created_at, cases.c.case_id
        )
    ).all()
    last: dict[tuple[str, int, str], int] = defaultdict(int)
    numbers = []
    for row in rows:
        run = (row.township[:6], row.received_on.year, row.kind)
        last[run] += 1
        numbers.append(
            {"b_id": row.case_id, "b_county": run[0], "b_year": run[1], "b_seq": last[run]}
        )
    if numbers:
        conn.execute(
            sa.update(cases)
            .where(cases.c.case_id == sa.bindparam("b_id"))
            .values(
                number_county=sa.bindparam("b_county"),
                number_year=sa.bindparam("b_year"),
                number_seq=sa.bindparam("b_seq"),
            ),
            numbers,
        )
    counters = sa.table(
        "case_counters",
        sa.column("county", sa.String),
        sa.column("year", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("last", sa.Integer),
    )
    if last:
        op.bulk_insert(
            counters,
            [
                {"county": county, "year": year, "kind": kind, "last": n}
                for (county, year, kind), n in last.items()
            ],
        )


def downgrade() -> None:
    """Drop the numbers and the counters."""
    op.drop_index("ix_cases_number", table_name="cases")
    op.drop_table("case_counters")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("number_seq")
        batch.drop_column("number_year")
        batch.drop_column("number_county")
