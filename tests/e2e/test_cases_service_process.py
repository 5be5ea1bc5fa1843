"""The cases service as operators run it: `python -m cases`, real PostgreSQL and Kafka.

A deputy files a suggestion, staff accept and assign it, the unit replies, the deputy rates it;
the events reach Kafka keyed by the case id, in order; SIGTERM stops the process cleanly.
"""

from __future__ import annotations

import json

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from processes import bearer, drained, service_process

from contracts import deputies as dev, topics
from contracts.vocabulary import DeputyStatus, Gender, Level, TownshipKind
from kit.auth import Role
from kit.events import event
from kit.testing import bootstrap_servers, read_all, wait_until

pytestmark = pytest.mark.integration

TOWN = "990101002"


async def _announce_roster(prefix: str) -> None:
    """Publish the township and the deputy on deputies.events, as the deputies service would."""
    town = dev.TownshipRegistered(
        township=TOWN, county="990101", name="东湖镇", kind=TownshipKind.town
    )
    deputy = dev.DeputyRegistered(
        deputy_id="dep-7",
        township=TOWN,
        name="王秀英",
        gender=Gender.female,
        levels=frozenset({Level.township}),
        term=18,
        status=DeputyStatus.active,
        aggregate_version=1,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers())
    await producer.start()
    try:
        for data, key in ((town, TOWN), (deputy, "dep-7")):
            envelope = event(data, source="/services/deputies")
            await producer.send_and_wait(
                prefix + topics.DEPUTIES,
                envelope.model_dump_json().encode(),
                key=key.encode(),
                headers=[(k, v.encode()) for k, v in envelope.headers().items()],
            )
    finally:
        await producer.stop()


async def test_a_suggestion_is_filed_handled_and_published() -> None:
    async with service_process("cases") as running:
        await _announce_roster(running.prefix)
        admin = bearer(Role.county_admin, "990101")
        deputy = bearer(Role.deputy, TOWN, deputy_id="dep-7")
        unit = bearer(Role.handling_unit, "990101", unit_id="water")
        async with httpx.AsyncClient(base_url=running.base) as client:
            created = await client.post(
                "/api/v1/units",
                json={"unit_id": "water", "name": "县水利局", "scope": "990101"},
                headers=admin,
            )
            assert created.status_code == 201, created.text
            body = {
                "township": TOWN,
                "title": "关于解决石桥镇饮水安全问题的建议",
                "content": "部分村庄自来水水压不足，夏季经常停水，建议改造供水管网。",
                "category": "饮水安全",
                "lead_deputy_id": "dep-7",
            }
            filing = {**deputy, "X-Correlation-ID": "e2e-case", "Idempotency-Key": "k1"}

            async def roster_known() -> bool:  # the roster arrives over Kafka
                known = await client.post("/api/v1/suggestions", json=body, headers=filing)
                return known.status_code == 201

            await wait_until(roster_known, within=30, interval=0.5)
            case = await client.post("/api/v1/suggestions", json=body, headers=filing)
            assert case.status_code == 201, case.text
            case_id = case.json()["case_id"]
            version = case.json()["version"]
            for path, payload, auth in (
                ("accept", {}, admin),
                ("assign", {"lead_unit_id": "water"}, admin),
                ("reply", {"reply_class": "A", "text": "已完成管网改造。"}, unit),
                ("feedback", {"process": "satisfied", "result": "satisfied"}, deputy),
            ):
                step = await client.post(
                    f"/api/v1/cases/{case_id}/{path}",
                    json=payload,
                    headers={**auth, "If-Match": f'"{version}"'},
                )
                assert step.status_code == 200, step.text
                version = step.json()["version"]
            assert step.json()["state"] == "closed"
            illegal = await client.post(
                f"/api/v1/cases/{case_id}/reply",
                json={"reply_class": "A", "text": "again"},
                headers={**unit, "If-Match": f'"{version}"'},
            )
            assert illegal.status_code == 409
            assert illegal.json()["current_state"] == "closed"
            assert illegal.json()["allowed_actions"] == ["reopen"]
            metrics = (await client.get("/metrics")).text
            assert 'route="/api/v1/cases/{case_id}/reply"' in metrics
            assert case_id not in metrics

        await drained(running)
        records = await read_all(running.prefix + "cases.events")  # exactly these six
        envelopes = [json.loads(r.value or b"") for r in sorted(records, key=lambda r: r.offset)]
        assert {r.key for r in records} == {case_id.encode()}
        assert [e["type"] for e in envelopes] == [
            "cases.suggestion.submitted",
            "cases.case.triaged",
            "cases.case.assigned",
            "cases.case.replied",
            "cases.case.feedback_given",
            "cases.case.closed",
        ]
        assert envelopes[0]["correlationid"] == "e2e-case"
