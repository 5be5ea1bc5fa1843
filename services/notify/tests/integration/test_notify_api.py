"""The API's behaviour: inbox and unread count, preferences (If-Match, 422 naming the field),
masked contacts, a failed delivery resent and sent, template preview; bad input changes nothing."""

from __future__ import annotations

import functools

import pytest
from notify_harness import (
    TOWNSHIP,
    add_deputy,
    envelope,
    headers,
    publish,
    replied,
    rows,
    running_app,
    settings_for,
)
from sqlalchemy import select

from kit.testing import unique, wait_until
from notify.testing.servers import smtp_server
from notify.wiring import Core

pytestmark = pytest.mark.integration


async def _status(core: Core, event_id: str, status: str) -> bool:
    return [r.status for r in await rows(core, event_id=event_id)] == [status]


async def test_inbox_preferences_contacts_and_resend(database_url: str, topic_prefix: str) -> None:
    deputy = unique("D-")
    with smtp_server() as (sink, port):
        sink.refuse["dep@example.cn"] = "550 5.1.1 no such user"
        settings = settings_for(database_url, topic_prefix, smtp_port=port)
        async with running_app(settings, consumers=True, jobs=True) as (service, client):
            core = Core(service.runtime, service.services)
            await add_deputy(core, deputy, email="dep@example.cn")
            me = headers(settings, "deputy", TOWNSHIP, deputy_id=deputy)
            admin = headers(settings, "county_admin", TOWNSHIP[:6])
            event = envelope(replied(deputy))
            await publish(topic_prefix, event)
            await wait_until(functools.partial(_status, core, str(event.id), "failed"), within=60)

            box = (await client.get("/api/v1/inbox", headers=me)).json()
            assert box["unread"] == 1
            [item] = box["items"]
            assert item["title"]
            assert not item["read"]
            read = await client.post(f"/api/v1/inbox/{item['item_id']}/read", headers=me)
            assert read.status_code == 204
            assert (await client.get("/api/v1/inbox", headers=me)).json()["unread"] == 0

            got = await client.get("/api/v1/preferences", headers=me)
            assert got.headers["ETag"] == '"0"'
            body = {**got.json(), "quiet": [{"start": "22:00", "end": "07:00"}]}
            missing = await client.put("/api/v1/preferences", json=body, headers=me)
            assert missing.status_code == 428
            overlapping = {
                **body,
                "quiet": [{"start": "22:00", "end": "07:00"}, {"start": "06:00", "end": "08:00"}],
            }
            bad = await client.put(
                "/api/v1/preferences", json=overlapping, headers={**me, "If-Match": '"0"'}
            )
            assert bad.status_code == 422
            assert ["body", "quiet", 1] in [e["loc"] for e in bad.json()["errors"]]
            unknown = {**body, "per_event": {"cases.case.nonsense": ["email"]}}
            bad = await client.put(
                "/api/v1/preferences", json=unknown, headers={**me, "If-Match": '"0"'}
            )
            assert bad.status_code == 422
            assert (await client.get("/api/v1/preferences", headers=me)).headers["ETag"] == '"0"'
            ok = await client.put(
                "/api/v1/preferences",
                json={**body, "channels": ["sms", "email"]},
                headers={**me, "If-Match": '"0"'},
            )
            assert ok.status_code == 200, ok.text
            assert ok.headers["ETag"] == '"1"'
            stale = await client.put(
                "/api/v1/preferences", json=body, headers={**me, "If-Match": '"0"'}
            )
            assert stale.status_code == 409

            unusable = await client.put(
                f"/api/v1/recipients/deputy/{deputy}/contacts",
                json={"email": "fixed@example", "sms": "1380000"},
                headers=admin,
            )
            assert unusable.status_code == 422
            assert {tuple(e["loc"]) for e in unusable.json()["errors"]} == {
                ("body", "email"),
                ("body", "sms"),
            }
            contacts = await client.put(
                f"/api/v1/recipients/deputy/{deputy}/contacts",
                json={"email": "fixed@example.cn", "sms": "13800001234"},
                headers=admin,
            )
            assert contacts.status_code == 200, contacts.text
            shown = contacts.json()
            assert "13800001234" not in str(shown)
            assert "fixed@example.cn" not in str(shown)
            assert set(shown) == {"email", "sms"}
            audit = core.runtime.tables.audit_log
            async with core.runtime.engine.connect() as conn:
                [detail] = (
                    await conn.execute(
                        select(audit.c.detail).where(audit.c.action == "set_contacts")
                    )
                ).scalars()
            assert detail["changes"] == {  # that each address changed, never to what
                "contacts.email": {"before": "****", "after": "****"},
                "contacts.sms": {"before": None, "after": "****"},
            }

            log = await client.get(f"/api/v1/recipients/deputy/{deputy}/deliveries", headers=me)
            [failed] = log.json()
            assert (failed["status"], failed["error_kind"]) == ("failed", "permanent")
            assert "example.cn" not in log.text
            again = await client.post(
                f"/api/v1/deliveries/{failed['delivery_id']}/resend", headers=admin
            )
            assert again.status_code == 200, again.text
            await wait_until(functools.partial(_status, core, str(event.id), "sent"), within=60)
            twice = await client.post(
                f"/api/v1/deliveries/{failed['delivery_id']}/resend", headers=admin
            )
            assert twice.status_code == 409

            preview = await client.post(
                "/api/v1/templates/cases.case.replied/preview",
                json={"channel": "sms"},
                headers=admin,
            )
            assert preview.status_code == 200
            assert preview.json()["body"].startswith("【县人大】")
            wrong = await client.post(
                "/api/v1/templates/cases.case.replied/preview",
                json={"channel": "email", "data": {"case_id": "C-1"}},
                headers=admin,
            )
            assert wrong.status_code == 422
        [mail] = sink.received()
        assert mail["To"] == "fixed@example.cn"
