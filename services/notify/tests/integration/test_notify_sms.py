"""SMS through a real local HTTP gateway: 500 then 200 gives one SMS; a gateway that stays down
gives ``notification.failed`` after the configured attempts while the consumer goes on."""

from __future__ import annotations

import functools
from datetime import timedelta

import pytest
from notify_harness import (
    TOWNSHIP,
    envelope,
    notify_events,
    publish,
    replied,
    rows,
    running_core,
    settings_for,
)

from contracts.vocabulary import RecipientKind
from kit.clock import CHINA, utcnow
from kit.testing import unique, wait_until
from notify.domain.model import Channel, RecipientRef
from notify.testing.servers import Scripted, http_endpoint
from notify.wiring import Core

pytestmark = pytest.mark.integration


async def _sms_deputy(core: Core, deputy: str, phone: str) -> None:
    """A deputy who wants SMS, with quiet hours far from now (the test must not wait for morning)."""
    ref = RecipientRef(RecipientKind.deputy, deputy)
    start = (utcnow().astimezone(CHINA) + timedelta(hours=12)).strftime("%H:%M")
    end = (utcnow().astimezone(CHINA) + timedelta(hours=12, minutes=1)).strftime("%H:%M")
    async with core.services.uow() as uow:
        store = core.services.store(uow)
        await store.upsert_recipient(ref, name="代表", township=TOWNSHIP, active=True)
        await store.set_contact(ref, Channel.sms, phone)
        doc = {"channels": ["sms"], "quiet": [{"start": start, "end": end}]}
        assert await store.save_preferences(ref, doc, 0) == 1
        await uow.commit()


async def _status(core: Core, event_id: str, status: str) -> bool:
    return [r.status for r in await rows(core, event_id=event_id, channel="sms")] == [status]


async def test_gateway_500_then_200_sends_one_sms_with_its_idempotency_key(
    database_url: str, topic_prefix: str
) -> None:
    deputy = unique("D-")
    with http_endpoint(Scripted(500, {"error": "busy"}), Scripted(200, {"id": "gw-1"})) as gateway:
        settings = settings_for(
            database_url, topic_prefix, sms_url=gateway.url("/sms"), sms_api_key="k", sms_secret="s"
        )
        async with running_core(settings, jobs=True) as core:
            await _sms_deputy(core, deputy, "13800001234")
            event = envelope(replied(deputy))
            await publish(topic_prefix, event)
            await wait_until(functools.partial(_status, core, str(event.id), "sent"), within=60)
            [row] = await rows(core, event_id=str(event.id), channel="sms")
        first, second = gateway.requests()
        assert len(gateway.requests()) == 2
        assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
        assert second.headers["Idempotency-Key"] == row.delivery_id
        assert second.json()["text"].startswith("【县人大】")
        assert (row.attempts, row.provider_id) == (2, "gw-1")
        assert "13800001234" not in (row.last_error or "")


async def test_a_gateway_that_stays_down_fails_after_n_attempts_and_the_consumer_goes_on(
    database_url: str, topic_prefix: str
) -> None:
    deputy, later = unique("D-"), unique("D-")
    with http_endpoint(default=Scripted(503, {"error": "down"})) as gateway:
        settings = settings_for(
            database_url,
            topic_prefix,
            sms_url=gateway.url("/sms"),
            sms_api_key="k",
            sms_secret="s",
            retry_max_attempts=3,
        )
        async with running_core(settings, jobs=True) as core:
            await _sms_deputy(core, deputy, "13800001234")
            await _sms_deputy(core, later, "13800005678")
            event = envelope(replied(deputy))
            await publish(topic_prefix, event)
            await wait_until(functools.partial(_status, core, str(event.id), "failed"), within=60)
            after = envelope(replied(later))
            await publish(topic_prefix, after)  # the consumer still takes events in
            await wait_until(functools.partial(_status, core, str(after.id), "retrying"), within=60)
            [row] = await rows(core, event_id=str(event.id), channel="sms")
            records = await notify_events(topic_prefix, expected=1)
        assert (row.attempts, row.error_kind) == (3, "retries_exhausted")
        failed = records[0]["envelope"]
        assert failed["type"] == "notify.notification.failed"
        assert failed["data"]["failure"] == "retries_exhausted"
        assert failed["data"]["attempts"] == 3
