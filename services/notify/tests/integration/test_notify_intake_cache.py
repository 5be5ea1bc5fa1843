"""The intake's copy of the directory: kept between batches, read again when anything writes it.

Real Kafka and PostgreSQL. "Another instance" is a second wiring on the same database (its own
services, its own copy): what it writes must reach the first instance's next batch.
"""

from __future__ import annotations

import pytest
from notify_harness import (
    TOWNSHIP,
    add_deputy,
    envelope,
    publish,
    replied,
    rows,
    running_core,
    settings_for as settings_of,
)

from contracts import deputies as dev
from contracts.vocabulary import DeputyStatus, Gender, Level, RecipientKind
from kit.testing import unique, wait_until
from notify.adapters.codec import document
from notify.domain.model import Channel, RecipientRef
from notify.domain.preferences import Preferences
from notify.handlers.directory import batch_snapshot
from notify.wiring import Core

pytestmark = pytest.mark.integration


async def _one_row(core: Core, event_id: str) -> object:
    async def stored() -> bool:
        return len(await rows(core, event_id=event_id, channel="email")) == 1

    await wait_until(stored, within=60)
    (row,) = await rows(core, event_id=event_id, channel="email")
    return row


async def test_a_write_by_another_instance_reaches_the_next_batch(
    database_url: str, topic_prefix: str
) -> None:
    deputy = unique("D-")
    ref = RecipientRef(RecipientKind.deputy, deputy)
    settings = settings_of(database_url, topic_prefix)
    async with running_core(settings) as core:
        await add_deputy(core, deputy)  # on the roster, no address yet
        first = envelope(replied(deputy))
        await publish(topic_prefix, first)
        row = await _one_row(core, str(first.id))
        assert (row.status, row.last_error) == ("failed", "no usable address")  # type: ignore[attr-defined]
        elsewhere = running_core(settings, consumers=False, relay=False, migrated=True)
        async with elsewhere as other, other.services.uow() as uow:
            store = other.services.store(uow)
            await store.upsert_recipient(
                ref, name="王新名", township=TOWNSHIP, active=True, version=2
            )
            await store.set_contact(ref, Channel.email, "dep@example.cn")
            await uow.commit()
        second = envelope(replied(deputy, case_id="C-2025-000777"))
        await publish(topic_prefix, second)
        row = await _one_row(core, str(second.id))
        assert row.status == "pending"  # type: ignore[attr-defined]
        assert row.body.startswith("王新名")  # type: ignore[attr-defined]


async def test_a_deputy_registered_on_the_topic_is_routed_to_by_the_next_batch(
    database_url: str, topic_prefix: str
) -> None:
    known, new = unique("D-"), unique("D-")
    settings = settings_of(database_url, topic_prefix)
    async with running_core(settings) as core:
        await add_deputy(core, known, email="known@example.cn")
        warm = envelope(replied(known))
        await publish(topic_prefix, warm)
        await _one_row(core, str(warm.id))  # the copy is read and kept
        registered = dev.DeputyRegistered(
            deputy_id=new,
            township=TOWNSHIP,
            name="李四",
            gender=Gender.female,
            levels=frozenset({Level.township}),
            term=18,
            status=DeputyStatus.active,
            aggregate_version=1,
        )
        await publish(topic_prefix, envelope(registered))

        async def projected() -> bool:
            async with core.services.uow() as uow:
                return (
                    await core.services.store(uow).township_of(
                        RecipientRef(RecipientKind.deputy, new)
                    )
                    is not None
                )

        await wait_until(projected, within=60)
        event = envelope(replied(new))
        await publish(topic_prefix, event)
        row = await _one_row(core, str(event.id))
        # known to the routing (a delivery to the deputy, failing for want of an address), not
        # "not in the directory" (a channel-less failure) as a stale copy would make it
        assert (row.recipient_id, row.last_error) == (new, "no usable address")  # type: ignore[attr-defined]


async def test_the_copy_is_kept_until_a_write_and_never_from_a_rolled_back_batch(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_of(database_url, topic_prefix)
    async with running_core(settings, consumers=False, relay=False) as core:
        svc = core.services
        deputy = RecipientRef(RecipientKind.deputy, unique("D-"))
        async with svc.uow() as uow:
            await svc.store(uow).upsert_recipient(
                deputy, name="赵五", township=TOWNSHIP, active=True
            )
            inside = await batch_snapshot(svc, uow)  # sees its own transaction's write
            assert inside.directory.deputy(deputy.id) is not None
            await uow.rollback()
        async with svc.uow() as uow:
            first = await batch_snapshot(svc, uow)
            await uow.commit()
        assert first.directory.deputy(deputy.id) is None
        async with svc.uow() as uow:
            again = await batch_snapshot(svc, uow)
            await uow.commit()
        assert again is first  # kept: nothing was written meanwhile
        reads = core.runtime.registry.get_sample_value("notify_directory_reads_total")
        assert reads == 2  # the rolled-back batch's and the first kept one
        async with svc.uow() as uow:
            prefs = Preferences(digest_everything=True)
            assert await svc.store(uow).save_preferences(deputy, document(prefs), 0) == 1
            await uow.commit()
        async with svc.uow() as uow:
            after = await batch_snapshot(svc, uow)
            await uow.commit()
        assert after is not first
        assert core.runtime.registry.get_sample_value("notify_directory_reads_total") == 3
        assert after.preferences[deputy].digest_everything
