"""The HTTP API on PostgreSQL: score cards, rule set draft → preview → activate, the review flow."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import select, update

from contracts.vocabulary import ActivityType, Attendance
from kit.testing import count
from scoring.bootstrap import Service
from scoring.handlers.rulesets import default_document
from scoring.testing import events as ev
from scoring.testing.harness import envelope, headers, ingest, running_app, settings_for

pytestmark = pytest.mark.integration

COUNTY = "990101"
TOWN = "990101001"
YEAR = 2026


async def _year(service: Service) -> None:
    marks = {"d1": Attendance.present, "d2": Attendance.unexcused_absence}
    await ingest(
        service,
        [
            envelope(ev.township(TOWN)),
            envelope(ev.deputy("d1", TOWN)),
            envelope(ev.deputy("d2", TOWN)),
            envelope(ev.logged("a1", TOWN, ActivityType.inspection, date(YEAR, 3, 2), marks)),
            envelope(ev.suggestion("c1", TOWN, "d1", "d2", on=date(YEAR, 2, 1))),
        ],
    )


def _draft(lead: float) -> str:
    doc = yaml.safe_load(default_document(COUNTY, YEAR))
    doc["suggestion"]["lead"] = lead
    return yaml.safe_dump(doc, allow_unicode=True)


async def _card(client: httpx.AsyncClient, auth: dict[str, str], deputy: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/deputies/{deputy}/score-card?year={YEAR}", headers=auth)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_card_explains_every_number_and_a_new_rule_set_is_previewed_then_activated(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    async with running_app(settings, relay=False) as (service, client):
        await _year(service)
        me = headers(settings, "deputy", TOWN, deputy_id="d1")
        admin = headers(settings, "county_admin", COUNTY)
        card = await _card(client, me, "d1")
        assert float(card["total"]) == 66  # 60 base + 3 inspection + 3 suggestion (lead)
        lines = {e["entry_id"]: e for e in card["lines"]}
        for total in card["by_category"]:
            assert float(total["points"]) == sum(
                float(lines[i]["points"]) for i in total["entry_ids"]
            ) + (60 if total["label"] == "base" else 0)
        assert float((await _card(client, admin, "d2"))["total"]) == 58.6  # 60 − 2 + 0.6
        other = await client.get(f"/api/v1/deputies/d2/score-card?year={YEAR}", headers=me)
        assert other.status_code == 403

        bad = await client.post(
            "/api/v1/rule-sets",
            json={
                "county": COUNTY,
                "document": _draft(3).replace("base_points: 60", "base_points: lots"),
            },
            headers=admin,
        )
        assert bad.status_code == 422, bad.text
        assert [e["loc"] for e in bad.json()["errors"]] == [["body", "document", "base_points"]]
        unknown = await client.post(
            "/api/v1/rule-sets",
            json={"county": COUNTY, "document": _draft(3) + "\nbogus: 1\n"},
            headers=admin,
        )
        assert unknown.status_code == 422
        assert ["body", "document", "bogus"] in [e["loc"] for e in unknown.json()["errors"]]
        tables = service.services.tables
        assert await count(service.runtime.engine, tables.rule_sets) == 1

        made = await client.post(
            "/api/v1/rule-sets", json={"county": COUNTY, "document": _draft(10)}, headers=admin
        )
        assert made.status_code == 201, made.text
        assert (made.json()["version"], made.json()["status"]) == (2, "draft")
        seen = await client.get(f"/api/v1/rule-sets/{COUNTY}/{YEAR}/2/preview", headers=admin)
        assert seen.status_code == 200, seen.text
        preview = seen.json()
        by_deputy = {d["deputy_id"]: d for d in preview["deputies"]}
        assert (float(by_deputy["d1"]["total_now"]), float(by_deputy["d1"]["total_draft"])) == (
            66,
            73,
        )
        assert not by_deputy["d2"]["changed"]
        assert [c["rule_id"] for c in preview["changes"]] == ["suggestion.lead"]

        outbox = service.runtime.tables.outbox
        recorded = outbox.c.event_type == "scoring.points.recorded"
        before = await count(service.runtime.engine, outbox, recorded)
        done = await client.post(f"/api/v1/rule-sets/{COUNTY}/{YEAR}/2/activate", headers=admin)
        assert done.status_code == 200, done.text
        assert (done.json()["status"], done.json()["entries_changed"]) == ("active", 1)
        assert float((await _card(client, me, "d1"))["total"]) == 73
        assert await count(service.runtime.engine, outbox, recorded) == before + 1
        async with service.runtime.engine.connect() as conn:
            changed = await conn.execute(
                select(outbox.c.payload).where(outbox.c.event_type == "scoring.score.changed")
            )
            sent = [json.loads(r.payload)["data"] for r in changed]
        moved = [m for m in sent if m["rule_set_version"] == 2]
        # the new version's differences, against the retired version's totals: d1 only
        assert [(m["deputy_id"], m["previous_total"], m["total"]) for m in moved] == [
            ("d1", 66, 73)
        ]
        again = await client.post(f"/api/v1/rule-sets/{COUNTY}/{YEAR}/2/activate", headers=admin)
        assert again.status_code == 409
        listed = await client.get(f"/api/v1/rule-sets?county={COUNTY}", headers=me)
        assert [(r["version"], r["status"]) for r in listed.json()] == [
            (2, "active"),
            (1, "retired"),
        ]


async def test_first_review_recheck_contest_and_void_move_the_status_never_the_points(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix, contest_days=10)
    async with running_app(settings, relay=False) as (service, client):
        await _year(service)
        me = headers(settings, "deputy", TOWN, deputy_id="d1")
        staff = headers(settings, "township_staff", TOWN)
        admin = headers(settings, "county_admin", COUNTY)
        ledger = await client.get(f"/api/v1/deputies/d1/ledger?year={YEAR}", headers=me)
        entry = next(e for e in ledger.json() if e["rule_id"] == "suggestion.lead")
        url = f"/api/v1/entries/{entry['entry_id']}"

        def at(version: int, auth: dict[str, str]) -> dict[str, str]:
            return {**auth, "If-Match": f'"{version}"'}

        assert (
            await client.post(f"{url}/recheck", json={}, headers=at(1, admin))
        ).status_code == 409
        assert (await client.post(f"{url}/first-review", json={}, headers=admin)).status_code in (
            403,
            428,
        )
        assert (await client.post(f"{url}/first-review", json={}, headers=staff)).status_code == 428
        first = await client.post(f"{url}/first-review", json={}, headers=at(1, staff))
        assert (first.status_code, first.json()["status"]) == (200, "first_reviewed"), first.text
        stale = await client.post(f"{url}/recheck", json={}, headers=at(1, admin))
        assert stale.status_code == 409
        second = await client.post(f"{url}/recheck", json={}, headers=at(2, admin))
        assert second.json()["status"] == "rechecked"
        reasonless = await client.post(f"{url}/contest", json={}, headers=at(3, me))
        assert reasonless.status_code == 422
        contested = await client.post(
            f"{url}/contest", json={"reason": "联名人数记错"}, headers=at(3, me)
        )
        assert contested.json()["status"] == "contested", contested.text
        voided = await client.post(f"{url}/void", json={"reason": "重复录入"}, headers=at(4, admin))
        assert voided.json()["status"] == "voided"
        card = await _card(client, me, "d1")
        assert float(card["total"]) == 63  # the voided suggestion no longer counts
        history = await client.get(f"{url}/reviews", headers=me)
        assert [h["action"] for h in history.json()] == [
            "first_review",
            "recheck",
            "contest",
            "void",
        ]
        assert float(entry["points"]) == 3.0  # the line itself is never edited
        ledger = await client.get(
            f"/api/v1/deputies/d1/ledger?year={YEAR}&status=voided", headers=me
        )
        assert [(e["entry_id"], float(e["points"])) for e in ledger.json()] == [
            (entry["entry_id"], 3.0)
        ]
        outbox = service.runtime.tables.outbox
        reviewed = outbox.c.event_type == "scoring.points.reviewed"
        assert await count(service.runtime.engine, outbox, reviewed) == 4
        audit = service.runtime.tables.audit_log
        async with service.runtime.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(audit.c.action, audit.c.detail)
                    .where(audit.c.resource_id == entry["entry_id"])
                    .order_by(audit.c.id)
                )
            ).all()
        assert [(a, d["changes"]) for a, d in rows] == [  # the kit's before/after, as every service
            ("first_review", {"status": {"before": "provisional", "after": "first_reviewed"}}),
            ("recheck", {"status": {"before": "first_reviewed", "after": "rechecked"}}),
            ("contest", {"status": {"before": "rechecked", "after": "contested"}}),
            ("void", {"status": {"before": "contested", "after": "voided"}}),
        ]

        # a contest after the window: 409 with the reason
        other = next(
            e
            for e in (
                await client.get(f"/api/v1/deputies/d1/ledger?year={YEAR}", headers=me)
            ).json()
            if e["rule_id"] != "suggestion.lead"
        )
        e = service.services.tables.entries
        async with service.runtime.engine.begin() as conn:
            old = service.services.now() - timedelta(days=11)
            await conn.execute(
                update(e).where(e.c.entry_id == other["entry_id"]).values(recorded_at=old)
            )
        late = await client.post(
            f"/api/v1/entries/{other['entry_id']}/contest",
            json={"reason": "我没有参加"},
            headers=at(1, me),
        )
        assert late.status_code == 409
        assert "window" in late.text


async def test_an_entry_the_new_rules_no_longer_give_is_taken_back_by_an_event(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    async with running_app(settings, relay=False) as (service, client):
        await _year(service)
        admin = headers(settings, "county_admin", COUNTY)
        doc = yaml.safe_load(default_document(COUNTY, YEAR))
        del doc["activities"]["inspection"]
        for minimum in doc["minimums"]:
            minimum["rules"] = [r for r in minimum["rules"] if "inspection" not in r]
        document = yaml.safe_dump(doc, allow_unicode=True)
        made = await client.post(
            "/api/v1/rule-sets", json={"county": COUNTY, "document": document}, headers=admin
        )
        assert made.status_code == 201, made.text
        old = await client.get(f"/api/v1/deputies/d1/ledger?year={YEAR}", headers=admin)
        inspection = next(e for e in old.json() if e["rule_id"] == "activity.inspection.present")
        done = await client.post(f"/api/v1/rule-sets/{COUNTY}/{YEAR}/2/activate", headers=admin)
        assert done.json()["entries_changed"] == 2, done.text  # d1 present, d2 absent
        outbox = service.runtime.tables.outbox
        async with service.runtime.engine.connect() as conn:
            rows = await conn.execute(
                select(outbox.c.payload).where(outbox.c.event_type == "scoring.points.recorded")
            )
            sent = [json.loads(r.payload)["data"] for r in rows]
        taken = [x for x in sent if x["compensates"] == inspection["entry_id"]]
        assert [(x["points"], x["rule_set_version"]) for x in taken] == [(-3.0, 2)]
        new = await client.get(f"/api/v1/deputies/d1/ledger?year={YEAR}", headers=admin)
        assert "activity.inspection.present" not in {e["rule_id"] for e in new.json()}
