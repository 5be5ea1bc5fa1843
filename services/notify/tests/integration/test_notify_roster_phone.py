"""A deputy's phone changed in the roster: the old number is not used again until it is re-entered.

The roster names the changed field, never the number (``deputies.deputy.updated``, ``changed``);
notify marks the SMS address it holds as superseded, lists the deputy to county staff, fails an SMS
to it with that cause (visible in the delivery log), and sends again once the address is entered.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from notify_harness import (
    COUNTY,
    TOWNSHIP,
    envelope,
    headers,
    publish,
    replied,
    rows,
    running_app,
    settings_for,
)

from contracts import deputies as dev
from contracts.vocabulary import DeputyStatus, Gender, Level, RecipientKind
from kit.clock import CHINA, utcnow
from kit.testing import unique, wait_until
from notify.domain.model import Channel, RecipientRef
from notify.testing.servers import Scripted, http_endpoint
from notify.wiring import Core

pytestmark = pytest.mark.integration


def _profile(deputy: str, version: int) -> dict[str, Any]:
    return {
        "deputy_id": deputy,
        "township": TOWNSHIP,
        "name": "陈代表",
        "gender": Gender.female,
        "levels": frozenset({Level.township}),
        "term": 18,
        "status": DeputyStatus.active,
        "aggregate_version": version,
    }


async def _wants_sms(core: Core, ref: RecipientRef, phone: str) -> None:
    start = (utcnow().astimezone(CHINA) + timedelta(hours=12)).strftime("%H:%M")
    end = (utcnow().astimezone(CHINA) + timedelta(hours=12, minutes=1)).strftime("%H:%M")
    async with core.services.uow() as uow:
        store = core.services.store(uow)
        await store.set_contact(ref, Channel.sms, phone)
        doc = {"channels": ["sms"], "quiet": [{"start": start, "end": end}]}
        assert await store.save_preferences(ref, doc, 0) == 1
        await uow.commit()


async def _sms(core: Core, event_id: str) -> Any:
    """Wait for the event's SMS delivery to end (sent or failed); return its row."""

    async def ended() -> bool:
        found = await rows(core, event_id=event_id, channel="sms")
        return bool(found) and found[0].status in {"sent", "failed"}

    await wait_until(ended, within=60)
    [row] = await rows(core, event_id=event_id, channel="sms")
    return row


async def test_a_phone_changed_in_the_roster_is_not_texted_until_it_is_entered_again(
    database_url: str, topic_prefix: str
) -> None:
    deputy = unique("D-")
    ref = RecipientRef(RecipientKind.deputy, deputy)
    with http_endpoint(default=Scripted(200, {"id": "gw"})) as gateway:
        settings = settings_for(
            database_url, topic_prefix, sms_url=gateway.url("/sms"), sms_api_key="k", sms_secret="s"
        )
        async with running_app(settings, consumers=True, jobs=True) as (service, client):
            core = Core(service.runtime, service.services)
            admin = headers(settings, "county_admin", COUNTY)
            listed = "/api/v1/directory/deputies?superseded=true"
            await publish(topic_prefix, envelope(dev.DeputyRegistered(**_profile(deputy, 1))))

            async def known() -> bool:
                async with core.services.uow() as uow:
                    return await core.services.store(uow).township_of(ref) is not None

            await wait_until(known, within=60)
            await _wants_sms(core, ref, "13800001234")
            before = envelope(replied(deputy, case_id="C-2025-000101"))
            await publish(topic_prefix, before)
            sent = await _sms(core, str(before.id))
            assert sent.status == "sent"
            assert (await client.get(listed, headers=admin)).json() == []

            # an unrelated change leaves the address; a new phone supersedes it
            other = dev.DeputyUpdated(**_profile(deputy, 2), changed=["occupation"])
            phone = dev.DeputyUpdated(**_profile(deputy, 3), changed=["address", "phone"])
            await publish(topic_prefix, envelope(other), envelope(phone))

            async def superseded() -> bool:
                return bool((await client.get(listed, headers=admin)).json())

            await wait_until(superseded, within=60)
            [entry] = (await client.get(listed, headers=admin)).json()
            assert (entry["id"], entry["superseded"]) == (deputy, ["sms"])
            assert entry["contacts"] == {"sms": "138****1234"}  # still masked, never in clear
            moved = core.runtime.registry.get_sample_value(
                "notify_contacts_superseded_total", {"channel": "sms"}
            )
            assert moved == 1

            after = envelope(replied(deputy, case_id="C-2025-000102"))
            await publish(topic_prefix, after)
            failed = await _sms(core, str(after.id))
            assert (failed.status, failed.error_kind) == ("failed", "permanent")
            assert "new phone number" in failed.last_error
            log = await client.get(f"/api/v1/recipients/deputy/{deputy}/deliveries", headers=admin)
            assert "new phone number" in log.text
            assert len(gateway.requests()) == 1  # the old number was not texted again

            entered = await client.put(
                f"/api/v1/recipients/deputy/{deputy}/contacts",
                json={"sms": "13900005678"},
                headers=admin,
            )
            assert entered.status_code == 200, entered.text
            assert (await client.get(listed, headers=admin)).json() == []
            again = envelope(replied(deputy, case_id="C-2025-000103"))
            await publish(topic_prefix, again)
            resent = await _sms(core, str(again.id))
            assert resent.status == "sent"
            requests = gateway.requests()
            assert [r.json()["to"] for r in requests] == ["13800001234", "13900005678"]
