"""The roster projection a test instance starts with: the townships and deputies cases refer to."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import insert

from cases.adapters.tables import Tables
from kit.uow import UnitOfWorkFactory

TOWNSHIPS: Mapping[str, str] = {
    "990101001": "青石镇",
    "990101002": "东湖镇",
    "990102001": "西山乡",
}
"""Townships the tests file cases in (codes as the deputies service registers them)."""

DEPUTIES: Mapping[str, str] = {
    **{f"dep-{n}": "990101001" for n in range(1, 9)},
    "dep-9": "990102001",
}
"""Deputies the tests file for, with their townships; the roster knows no others."""


async def seed_roster(
    uow: UnitOfWorkFactory,
    tables: Tables,
    townships: Mapping[str, str] = TOWNSHIPS,
    deputies: Mapping[str, str] = DEPUTIES,
) -> None:
    """Write townships and active deputies into the projection, as ``deputies.events`` would."""
    async with uow() as work:
        if townships:
            await work.session.execute(
                insert(tables.townships),
                [{"code": c, "name": n, "kind": "town"} for c, n in townships.items()],
            )
        if deputies:
            await work.session.execute(
                insert(tables.deputies),
                [
                    {"deputy_id": d, "township": t, "name": d, "status": "active", "version": 1}
                    for d, t in deputies.items()
                ],
            )
        await work.commit()
