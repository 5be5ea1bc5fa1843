"""Keep the projection of townships and deputies from ``deputies.events`` (inbox-guarded)."""

from __future__ import annotations

from sqlalchemy import insert, select, update

from cases.adapters.tables import Tables
from contracts import deputies as dev, topics
from kit.runner import Delivery, Subscription
from kit.uow import UnitOfWork

GROUP = "cases.roster"
TERMINATED = "terminated"
"""The roster status of a deputy whose mandate ended."""


async def _township(uow: UnitOfWork, tables: Tables, values: dict[str, str]) -> None:
    t = tables.townships
    done = await uow.session.execute(update(t).where(t.c.code == values["code"]).values(**values))
    if not getattr(done, "rowcount", 0):
        await uow.session.execute(insert(t).values(**values))


def roster_subscription(tables: Tables) -> Subscription:
    """Return the consumer of townships and deputies the cases service keeps a copy of."""

    async def township(delivery: Delivery, uow: UnitOfWork) -> None:
        data = delivery.data
        assert isinstance(data, dev.TownshipRegistered)
        values = {"code": data.township, "name": data.name, "kind": data.kind.value}
        await _township(uow, tables, values)

    async def deputy(delivery: Delivery, uow: UnitOfWork) -> None:
        data = delivery.data
        assert isinstance(data, dev.DeputyProfile)
        values = {
            "deputy_id": data.deputy_id,
            "township": data.township,
            "name": data.name,
            "status": data.status.value,
            "version": data.aggregate_version,
        }
        t = tables.deputies
        known = await uow.session.scalar(select(t.c.version).where(t.c.deputy_id == data.deputy_id))
        if known is None:
            await uow.session.execute(insert(t).values(**values))
        elif known < data.aggregate_version:  # an older copy arriving late changes nothing
            await uow.session.execute(
                update(t).where(t.c.deputy_id == data.deputy_id).values(**values)
            )

    async def status(delivery: Delivery, uow: UnitOfWork) -> None:
        data = delivery.data
        assert isinstance(data, dev.DeputyStatusChanged)
        t = tables.deputies
        await uow.session.execute(
            update(t)
            .where(t.c.deputy_id == data.deputy_id, t.c.version < data.aggregate_version)
            .values(status=data.to_status.value, version=data.aggregate_version)
        )

    return Subscription(
        group=GROUP,
        topics=(topics.DEPUTIES,),
        handlers={
            dev.TownshipRegistered.EVENT_TYPE: township,
            dev.DeputyRegistered.EVENT_TYPE: deputy,
            dev.DeputyUpdated.EVENT_TYPE: deputy,
            dev.DeputyStatusChanged.EVENT_TYPE: status,
        },
    )
