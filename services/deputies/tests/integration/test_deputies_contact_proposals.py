"""A deputy proposes their own new phone or address; staff approve or reject it (audited, events)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from deputies.adapters.tables import make_schema
from deputies.testing import bodies
from deputies.testing.api import headers, running_app
from deputies.testing.harness import outbox_types, published, settings_for
from kit.db import make_engine

pytestmark = pytest.mark.integration

COUNTY = "990101"
TOWN = "990101001"
OTHER = "990101002"
NEW_PHONE = "13987654321"
NEW_ADDRESS = "青山县东湖镇幸福路88号"


async def _setup(client: httpx.AsyncClient, admin: dict[str, str]) -> list[dict[str, Any]]:
    for code in (TOWN, OTHER):
        await client.post("/api/v1/townships", json=bodies.township(code), headers=admin)
    return [
        (await client.post("/api/v1/deputies", json=bodies.deputy(code), headers=admin)).json()
        for code in (TOWN, TOWN, OTHER)
    ]


async def _audit_rows(url: str) -> list[dict[str, Any]]:
    """Return every audit row, oldest first."""
    table = make_schema().metadata.tables["audit_log"]
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(select(table).order_by(table.c.id))
            return [dict(r._mapping) for r in rows]
    finally:
        await engine.dispose()


async def test_a_deputy_proposes_and_their_township_approves_through_the_edit_path(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    staff = headers(settings, "township_staff", TOWN)
    other_staff = headers(settings, "township_staff", OTHER)
    async with running_app(settings) as (service, client):
        mine, neighbour, elsewhere = await _setup(client, admin)
        me = headers(settings, "deputy", TOWN, deputy_id=mine["id"])
        url = f"/api/v1/deputies/{mine['id']}/contact-proposals"
        body = {"phone": NEW_PHONE, "address": NEW_ADDRESS}

        # who may propose: the deputy, for their own record only, on the version they read
        assert (await client.post(url, json=body, headers=me)).status_code == 428
        for who in (staff, admin):
            refused = await client.post(url, json=body, headers={**who, "If-Match": '"1"'})
            assert refused.status_code == 403, refused.text
        theirs = f"/api/v1/deputies/{neighbour['id']}/contact-proposals"
        assert (
            await client.post(theirs, json=body, headers={**me, "If-Match": '"1"'})
        ).status_code == 403
        stale = await client.post(url, json=body, headers={**me, "If-Match": '"7"'})
        assert stale.status_code == 409, stale.text
        for wrong in (
            {"id_number": "110101199003071234"},
            {"phone": "12345"},
            {"phone": "13812345678"},
        ):
            bad = await client.post(url, json=wrong, headers={**me, "If-Match": '"1"'})
            assert bad.status_code == 422, (wrong, bad.text)

        made = await client.post(url, json=body, headers={**me, "If-Match": '"1"'})
        assert made.status_code == 201, made.text
        proposal = made.json()
        assert proposal["state"] == "pending"
        assert proposal["fields"] == ["address", "phone"]
        assert proposal["phone"] == NEW_PHONE  # the deputy sees their own in clear
        again = await client.post(
            url, json={"phone": "13700001111"}, headers={**me, "If-Match": '"1"'}
        )
        assert again.status_code == 409  # one pending proposal at a time

        # the pending list: staff of the township (in clear), not of another one
        pending = await client.get(
            "/api/v1/contact-proposals", params={"township": TOWN}, headers=staff
        )
        assert pending.status_code == 200
        assert [(p["id"], p["phone"]) for p in pending.json()] == [(proposal["id"], NEW_PHONE)]
        assert (
            await client.get(
                "/api/v1/contact-proposals", params={"township": TOWN}, headers=other_staff
            )
        ).status_code == 403
        county = await client.get(
            "/api/v1/contact-proposals", params={"township": COUNTY}, headers=admin
        )
        assert [p["id"] for p in county.json()] == [proposal["id"]]
        own = await client.get(url, headers=me)
        assert [p["id"] for p in own.json()] == [proposal["id"]]
        other_deputy = headers(settings, "deputy", TOWN, deputy_id=neighbour["id"])
        assert (await client.get(url, headers=other_deputy)).status_code == 403

        decide = f"/api/v1/contact-proposals/{proposal['id']}"
        assert (await client.post(f"{decide}/approve", headers=other_staff)).status_code == 403
        assert (await client.post(f"{decide}/approve", headers=me)).status_code == 403
        approved = await client.post(f"{decide}/approve", headers=staff)
        assert approved.status_code == 200, approved.text
        assert approved.json()["state"] == "approved"
        assert approved.json()["deputy_version"] == 2
        assert approved.headers["ETag"] == '"2"'
        assert (await client.post(f"{decide}/approve", headers=staff)).status_code == 409
        assert (
            await client.post(f"{decide}/reject", json={"reason": "晚了"}, headers=staff)
        ).status_code == 409

        record = (await client.get(f"/api/v1/deputies/{mine['id']}", headers=staff)).json()
        assert (record["phone"], record["address"], record["version"]) == (
            NEW_PHONE,
            NEW_ADDRESS,
            2,
        )
        assert record["id_number"] == mine["id_number"]

        types = await outbox_types(service.runtime.engine, service.runtime.tables.outbox)
        records = await published(topic_prefix, expected=len(types))

    mine_events = [r["envelope"] for r in records if r["envelope"]["subject"] == mine["id"]]
    assert [e["type"] for e in mine_events] == [
        "deputies.deputy.registered",
        "deputies.contact_change.proposed",
        "deputies.deputy.updated",
        "deputies.contact_change.approved",
    ]
    assert mine_events[1]["data"]["fields"] == ["address", "phone"]
    assert mine_events[1]["data"]["base_version"] == 1
    assert sorted(mine_events[2]["data"]["changed"]) == ["address", "phone"]
    assert mine_events[3]["data"]["aggregate_version"] == 2
    for envelope in mine_events:  # personal values never travel on the shared topic
        text = json.dumps(envelope, ensure_ascii=False)
        for value in (NEW_PHONE, "幸福路", "13812345678"):
            assert value not in text

    rows = await _audit_rows(database_url)
    actions = [(r["action"], r["resource_type"]) for r in rows if r["outcome"] == "ok"]
    assert ("propose", "contact_proposal") in actions
    assert ("approve", "contact_proposal") in actions
    update = next(r for r in rows if r["action"] == "update" and r["resource_id"] == mine["id"])
    assert update["detail"]["proposal"] == proposal["id"]
    assert update["detail"]["changes"]["phone"] == {"before": "138****5678", "after": "139****4321"}
    assert update["detail"]["changes"]["address"] == {"before": "****", "after": "****"}
    refusals = [
        r
        for r in rows
        if r["action"] == "refuse" and "contact-proposals" in (r["resource_id"] or "")
    ]
    assert len(refusals) >= 5  # staff and admin proposing, other staff listing and approving, ...
    assert "幸福路" not in json.dumps([r["detail"] for r in rows], ensure_ascii=False, default=str)
    assert NEW_PHONE not in json.dumps([r["detail"] for r in rows], ensure_ascii=False, default=str)
    assert elsewhere["township"] == OTHER


async def test_a_rejection_keeps_the_record_and_says_why(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    async with running_app(settings) as (service, client):
        mine, _, _ = await _setup(client, admin)
        me = headers(settings, "deputy", TOWN, deputy_id=mine["id"])
        url = f"/api/v1/deputies/{mine['id']}/contact-proposals"
        made = (
            await client.post(url, json={"phone": NEW_PHONE}, headers={**me, "If-Match": '"1"'})
        ).json()
        decide = f"/api/v1/contact-proposals/{made['id']}/reject"
        assert (await client.post(decide, json={}, headers=admin)).status_code == 422
        rejected = await client.post(decide, json={"reason": "号码无法接通"}, headers=admin)
        assert rejected.status_code == 200, rejected.text
        assert (rejected.json()["state"], rejected.json()["reason"]) == ("rejected", "号码无法接通")
        record = (await client.get(f"/api/v1/deputies/{mine['id']}", headers=admin)).json()
        assert (record["phone"], record["version"]) == (mine["phone"], 1)
        # a new proposal may follow once the last one is decided
        again = await client.post(url, json={"phone": NEW_PHONE}, headers={**me, "If-Match": '"1"'})
        assert again.status_code == 201
        types = await outbox_types(service.runtime.engine, service.runtime.tables.outbox)
        records = await published(topic_prefix, expected=len(types))
    rejection = [
        r["envelope"]
        for r in records
        if r["envelope"]["type"] == "deputies.contact_change.rejected"
    ]
    assert len(rejection) == 1
    assert rejection[0]["data"]["reason"] == "号码无法接通"
    assert rejection[0]["data"]["fields"] == ["phone"]
    assert "deputies.deputy.updated" not in [r["envelope"]["type"] for r in records]
    rows = await _audit_rows(database_url)
    assert [r["detail"]["reason"] for r in rows if r["action"] == "reject"] == ["号码无法接通"]


async def test_an_approval_over_a_later_edit_of_the_same_field_is_refused_clearly(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    staff = headers(settings, "township_staff", TOWN)
    async with running_app(settings, relay=False) as (_, client):
        mine, neighbour, _ = await _setup(client, admin)
        me = headers(settings, "deputy", TOWN, deputy_id=mine["id"])
        url = f"/api/v1/deputies/{mine['id']}/contact-proposals"
        made = (
            await client.post(url, json={"phone": NEW_PHONE}, headers={**me, "If-Match": '"1"'})
        ).json()
        edit = await client.patch(
            f"/api/v1/deputies/{mine['id']}",
            json={"phone": "13600001111"},
            headers={**staff, "If-Match": '"1"'},
        )
        assert edit.status_code == 200
        approve = f"/api/v1/contact-proposals/{made['id']}/approve"
        conflict = await client.post(approve, headers=staff)
        assert conflict.status_code == 409, conflict.text
        assert "phone changed since the proposal" in conflict.json()["detail"]
        assert "version 1, now 2" in conflict.json()["detail"]
        record = (await client.get(f"/api/v1/deputies/{mine['id']}", headers=staff)).json()
        assert (record["phone"], record["version"]) == ("13600001111", 2)
        still = (await client.get(url, headers=me)).json()
        assert [p["state"] for p in still] == ["pending"]

        # an edit of another field does not stand in the way: applied on the record's version now
        theirs = headers(settings, "deputy", TOWN, deputy_id=neighbour["id"])
        other_url = f"/api/v1/deputies/{neighbour['id']}/contact-proposals"
        made = (
            await client.post(
                other_url, json={"address": NEW_ADDRESS}, headers={**theirs, "If-Match": '"1"'}
            )
        ).json()
        party = await client.patch(
            f"/api/v1/deputies/{neighbour['id']}",
            json={"party": "群众"},
            headers={**staff, "If-Match": '"1"'},
        )
        assert party.status_code == 200
        ok = await client.post(f"/api/v1/contact-proposals/{made['id']}/approve", headers=staff)
        assert ok.status_code == 200, ok.text
        record = (await client.get(f"/api/v1/deputies/{neighbour['id']}", headers=staff)).json()
        assert (record["address"], record["party"], record["version"]) == (NEW_ADDRESS, "群众", 3)
