"""Events in, e-mail out, once: real Kafka, PostgreSQL and a local SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from notify_harness import (
    add_deputy,
    envelope,
    notify_events,
    publish,
    replied,
    rows,
    running_core,
    settings_for,
)

from kit.testing import unique, wait_until
from notify.adapters.base import Outgoing
from notify.domain.retry import Outcome
from notify.handlers.sending import send_round
from notify.testing.servers import MailSink, smtp_server
from notify.wiring import Core

pytestmark = pytest.mark.integration


def _mails(sink: MailSink, n: int) -> Callable[[], Awaitable[bool]]:
    async def arrived() -> bool:
        return len(sink.received()) >= n

    return arrived


async def _status(core: Core, event_id: str, status: str) -> bool:
    return [r.status for r in await rows(core, event_id=event_id)] == [status]


async def test_an_event_published_gives_exactly_one_email_even_when_redelivered(
    database_url: str, topic_prefix: str
) -> None:
    deputy = unique("D-")
    with smtp_server() as (sink, port):
        settings = settings_for(database_url, topic_prefix, smtp_port=port)
        async with running_core(settings, jobs=True) as core:
            await add_deputy(core, deputy, email="dep@example.cn")
            event = envelope(replied(deputy))
            await publish(topic_prefix, event)
            await wait_until(_mails(sink, 1), within=60)
            await publish(topic_prefix, event)  # the broker delivers it again
            marker = envelope(replied(deputy, case_id="C-2025-000999"))
            await publish(topic_prefix, marker)  # mailed after the repeat was consumed
            await wait_until(_mails(sink, 2), within=60)
            mine = await rows(core, event_id=str(event.id))
            after = await rows(core, event_id=str(marker.id))
            assert [(r.channel, r.status, r.attempts) for r in mine] == [("email", "sent", 1)]
            records = await notify_events(topic_prefix, expected=2)
            registry = core.runtime.registry
            by = {"channel": "email", "result": "sent"}
            assert registry.get_sample_value("notify_notifications_total", by) == 2
            latency = {"channel": "email"}
            assert registry.get_sample_value("notify_event_to_sent_seconds_count", latency) == 2
        mails = sink.received()
        assert len(mails) == 2
        assert sorted(m["X-Notify-Delivery"] for m in mails) == sorted(
            [mine[0].delivery_id, after[0].delivery_id]
        )
        assert mails[0]["Message-ID"] == f"<{mine[0].delivery_id}@notify.npc.localhost>"
        sent = [r["envelope"] for r in records]
        assert {e["type"] for e in sent} == {"notify.notification.sent"}
        assert {e["data"]["source_event_id"] for e in sent} == {str(event.id), str(marker.id)}
        assert "dep@example.cn" not in str(sent)


async def test_a_transient_smtp_failure_is_retried_and_mails_once(
    database_url: str, topic_prefix: str
) -> None:
    deputy = unique("D-")
    with smtp_server() as (sink, port):
        sink.refuse["later@example.cn"] = "451 4.3.0 try again later"
        settings = settings_for(database_url, topic_prefix, smtp_port=port)
        async with running_core(settings, jobs=True) as core:
            await add_deputy(core, deputy, email="later@example.cn")
            event = envelope(replied(deputy))
            await publish(topic_prefix, event)
            await wait_until(functools.partial(_status, core, str(event.id), "retrying"), within=60)
            [row] = await rows(core, event_id=str(event.id))
            assert row.last_error == "SMTP 451: recipient refused"
            del sink.refuse["later@example.cn"]  # the server recovers
            await wait_until(functools.partial(_status, core, str(event.id), "sent"), within=60)
            [row] = await rows(core, event_id=str(event.id))
        assert len(sink.received()) == 1
        assert row.attempts >= 2


async def test_a_permanent_failure_is_recorded_and_announced_not_retried(
    database_url: str, topic_prefix: str
) -> None:
    deputy = unique("D-")
    with smtp_server() as (sink, port):
        sink.refuse["gone@example.cn"] = "550 5.1.1 no such user"
        settings = settings_for(database_url, topic_prefix, smtp_port=port)
        async with running_core(settings, jobs=True) as core:
            await add_deputy(core, deputy, email="gone@example.cn")
            event = envelope(replied(deputy))
            await publish(topic_prefix, event)
            await wait_until(functools.partial(_status, core, str(event.id), "failed"), within=60)
            [row] = await rows(core, event_id=str(event.id))
            [record] = await notify_events(topic_prefix, expected=1)
        assert (row.attempts, row.error_kind) == (1, "permanent")
        assert sink.received() == []
        failed = record["envelope"]
        assert failed["type"] == "notify.notification.failed"
        assert failed["data"]["failure"] == "permanent"
        assert failed["data"]["notification_id"] == row.delivery_id
        assert "gone@example.cn" not in str(failed)


async def test_a_recipient_without_an_address_is_a_visible_failed_delivery(
    database_url: str, topic_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    deputy, unknown, reachable = unique("D-"), unique("D-"), unique("D-")
    with smtp_server() as (sink, port):
        settings = settings_for(database_url, topic_prefix, smtp_port=port)
        async with running_core(settings, jobs=True) as core:
            await add_deputy(core, deputy)  # known, but no e-mail address
            await add_deputy(core, reachable, email="ok@example.cn")
            event = envelope(replied(deputy))
            stranger = envelope(replied(unknown))  # not in the directory at all
            mailed = envelope(replied(reachable))  # same batch: failed and pending rows together
            with caplog.at_level(logging.WARNING, logger="kit.runner"):
                await publish(topic_prefix, event, stranger, mailed)
                await wait_until(
                    functools.partial(_status, core, str(stranger.id), "failed"), within=60
                )
                await wait_until(_mails(sink, 1), within=60)
            [row] = await rows(core, event_id=str(event.id))
            [lost] = await rows(core, event_id=str(stranger.id))
            records = await notify_events(topic_prefix, expected=2)
        assert (row.status, row.last_error) == ("failed", "no usable address")
        assert (lost.recipient_id, lost.last_error) == (unknown, "not in the directory")
        failed = [r for r in records if r["envelope"]["type"] == "notify.notification.failed"]
        assert [r["envelope"]["data"]["notification_id"] for r in failed] == [row.delivery_id]
        # the batch was taken whole, not failed and retried event by event
        assert not [r.message for r in caplog.records if "failed" in r.message], caplog.text


async def test_two_senders_on_one_backlog_send_every_delivery_once(
    database_url: str, topic_prefix: str
) -> None:
    count = 60
    with smtp_server() as (sink, port):
        settings = settings_for(database_url, topic_prefix, smtp_port=port, sender_batch=7)
        async with running_core(settings) as first, running_core(settings, migrated=True) as second:
            deputies = [unique("D-") for _ in range(count)]
            for d in deputies:
                await add_deputy(first, d, email=f"{d.lower()}@example.cn")
            await publish(topic_prefix, *(envelope(replied(d)) for d in deputies))

            async def stored() -> bool:
                return len(await rows(first, channel="email")) == count

            await wait_until(stored, within=60)

            async def drain(core: Core) -> int:
                sent = 0
                while (done := await send_round(core.services)).claimed:
                    sent += done.sent
                return sent

            by_first, by_second = await asyncio.gather(drain(first), drain(second))
            sent_rows = await rows(first, status="sent")
        assert by_first + by_second == count
        assert len(sent_rows) == count
        ids = [m["X-Notify-Delivery"] for m in sink.received()]
        assert len(ids) == count
        assert len(set(ids)) == count


async def test_a_channel_over_its_rate_limit_defers_without_counting_an_attempt(
    database_url: str, topic_prefix: str
) -> None:
    count = 5
    with smtp_server() as (sink, port):
        settings = settings_for(
            database_url, topic_prefix, smtp_port=port, rate_limits={"email": "2/600"}
        )
        async with running_core(settings) as core:
            deputies = [unique("D-") for _ in range(count)]
            for d in deputies:
                await add_deputy(core, d, email=f"{d.lower()}@example.cn")
            await publish(topic_prefix, *(envelope(replied(d)) for d in deputies))

            async def stored() -> bool:
                return len(await rows(core, channel="email")) == count

            await wait_until(stored, within=60)
            done = await send_round(core.services)
            waiting = await rows(core, status="pending")
        assert (done.claimed, done.sent) == (count, 2)
        assert len(sink.received()) == 2
        assert len(waiting) == count - 2
        assert {r.attempts for r in waiting} == {0}


async def test_the_intake_wakes_the_sender_instead_of_its_poll(
    database_url: str, topic_prefix: str
) -> None:
    deputy = unique("D-")
    with smtp_server() as (sink, port):
        # a poll and a sender's turn far longer than the wait below: only the intake's wake-up
        # can have the message sent in time
        settings = settings_for(
            database_url,
            topic_prefix,
            smtp_port=port,
            sender_poll_seconds=300.0,
            job_lease_seconds=300.0,
        )
        async with running_core(settings, jobs=True) as core:
            await add_deputy(core, deputy, email="dep@example.cn")
            await asyncio.sleep(2.0)  # the sender's first round found nothing: it idles
            event = envelope(replied(deputy))
            await publish(topic_prefix, event)
            await wait_until(_mails(sink, 1), within=30)
            await wait_until(functools.partial(_status, core, str(event.id), "sent"), within=30)
            assert core.runtime.job_runs["sender"] == 0  # still its first turn: woken, not polled


async def test_an_outcome_found_retaken_is_not_recorded_and_is_counted(
    database_url: str, topic_prefix: str
) -> None:
    deputy = unique("D-")
    with smtp_server() as (sink, port):
        settings = settings_for(database_url, topic_prefix, smtp_port=port)
        async with running_core(settings) as core:
            await add_deputy(core, deputy, email="dep@example.cn")
            await publish(topic_prefix, envelope(replied(deputy)))

            async def stored() -> bool:
                return len(await rows(core, channel="email")) == 1

            await wait_until(stored, within=60)
            svc = core.services
            send = svc.channels.send

            async def slow(outgoing: Outgoing) -> Outcome:
                # while this send is under way the claim runs out and another sender retakes it
                async with svc.uow() as uow:
                    later = svc.now() + timedelta(hours=1)
                    await svc.store(uow).claim(later, "other", later + timedelta(minutes=2), 10)
                    await uow.commit()
                return await send(outgoing)

            svc.channels.send = slow  # type: ignore[method-assign]
            done = await send_round(svc)
            [row] = await rows(core, channel="email")
            lost = core.runtime.registry.get_sample_value(
                "notify_claims_lost_total", {"channel": "email"}
            )
        assert (done.claimed, done.sent) == (1, 0)  # sent, but not ours to record any more
        assert (row.status, row.claimed_by) == ("sending", "other")
        assert lost == 1
        assert len(sink.received()) == 1
