"""亮分, contests and their resolution, assessment rules and publication, 履职档案, decisions (PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from io import BytesIO
from typing import Any

import httpx
import pytest
import yaml
from docx import Document
from docx.oxml.ns import qn
from sqlalchemy import select, update

from contracts.vocabulary import ActivityType, Attendance, ReplyClass
from kit.testing import count
from scoring.bootstrap import Service
from scoring.handlers.assessments import default_document as assessment_document
from scoring.handlers.rulesets import default_document
from scoring.testing import events as ev
from scoring.testing.harness import envelope, headers, ingest, running_app, settings_for

pytestmark = pytest.mark.integration

COUNTY = "990101"
TOWN = "990101001"
OTHER = "990101002"
YEAR = 2026


def at(version: int, auth: dict[str, str]) -> dict[str, str]:
    """Return headers with If-Match at a review version."""
    return {**auth, "If-Match": f'"{version}"'}


async def _year(service: Service) -> None:
    marks = {"d1": Attendance.present, "d2": Attendance.unexcused_absence}
    await ingest(
        service,
        [
            envelope(ev.township(TOWN)),
            envelope(ev.township(OTHER)),
            envelope(ev.deputy("d1", TOWN)),
            envelope(ev.deputy("d2", TOWN)),
            envelope(ev.deputy("d3", OTHER)),
            envelope(ev.logged("a1", TOWN, ActivityType.inspection, date(YEAR, 3, 2), marks)),
            envelope(ev.suggestion("c1", TOWN, "d1", "d2", on=date(YEAR, 2, 1))),
        ],
    )


async def _sent(service: Service, event_type: str) -> list[dict[str, Any]]:
    outbox = service.runtime.tables.outbox
    async with service.runtime.engine.connect() as conn:
        rows = await conn.execute(select(outbox.c.payload).where(outbox.c.event_type == event_type))
        return [json.loads(r.payload)["data"] for r in rows]


async def _ledger(client: httpx.AsyncClient, auth: dict[str, str], deputy: str) -> list[Any]:
    found = await client.get(f"/api/v1/deputies/{deputy}/ledger?year={YEAR}", headers=auth)
    assert found.status_code == 200, found.text
    return list(found.json())


async def _review_all(client: httpx.AsyncClient, settings: Any, deputies: list[str]) -> None:
    staff = headers(settings, "township_staff", TOWN)
    admin = headers(settings, "county_admin", COUNTY)
    for deputy in deputies:
        for e in await _ledger(client, staff, deputy):
            url = f"/api/v1/entries/{e['entry_id']}"
            first = await client.post(f"{url}/first-review", json={}, headers=at(1, staff))
            assert first.status_code == 200, first.text
            second = await client.post(f"{url}/recheck", json={}, headers=at(2, admin))
            assert second.status_code == 200, second.text


def _board(response: httpx.Response) -> list[tuple[str, float, str | None]]:
    assert response.status_code == 200, response.text
    return [(s["deputy_id"], float(s["total"]), s["period"]) for s in response.json()]


async def test_a_period_is_published_after_review_and_deputies_see_only_what_was_published(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    async with running_app(settings, relay=False) as (service, client):
        await _year(service)
        me = headers(settings, "deputy", TOWN, deputy_id="d1")
        staff = headers(settings, "township_staff", TOWN)
        admin = headers(settings, "county_admin", COUNTY)
        board = f"/api/v1/leaderboard?scope={TOWN}&year={YEAR}"
        assert _board(await client.get(board, headers=me)) == []  # nothing published yet
        card = f"/api/v1/deputies/d1/score-card?year={YEAR}"
        ranks = ("rank_in_township", "rank_in_county", "ranked_as_of")
        own = (await client.get(card, headers=me)).json()
        assert [own[k] for k in ranks] == [None, None, None]  # no standing before 亮分
        assert [(await client.get(card, headers=staff)).json()[k] for k in ranks] == [1, 1, None]
        assert _board(await client.get(board, headers=staff)) == [
            ("d1", 66.0, None),
            ("d2", 58.6, None),
        ]
        publish = {"scope": TOWN, "year": YEAR, "period": f"{YEAR}-Q1"}
        early = await client.post("/api/v1/publications", json=publish, headers=admin)
        assert early.status_code == 409, early.text
        assert "初审/复核" in early.text
        assert f"{TOWN}: 4" in early.text
        await _review_all(client, settings, ["d1", "d2"])
        monthly = await client.post(
            "/api/v1/publications", json={**publish, "period": f"{YEAR}-03"}, headers=admin
        )
        assert monthly.status_code == 422, monthly.text  # the seed publishes quarterly
        assert "period" in monthly.json()["errors"][0]["loc"]
        staffed = await client.post("/api/v1/publications", json=publish, headers=staff)
        assert staffed.status_code == 403
        done = await client.post("/api/v1/publications", json=publish, headers=admin)
        assert done.status_code == 201, done.text
        [pub] = done.json()
        assert (pub["publication_id"], pub["period_start"], pub["period_end"]) == (
            f"{TOWN}/{YEAR}-Q1",
            f"{YEAR}-01-01",
            f"{YEAR}-03-31",
        )
        assert [
            (s["deputy_id"], float(s["period_points"]), s["rank"]) for s in pub["standings"]
        ] == [
            ("d1", 6.0, 1),
            ("d2", -1.4, 2),
        ]
        assert {k: float(v) for k, v in pub["standings"][0]["by_category"].items() if float(v)} == {
            "base": 60,
            "activity": 3,
            "suggestion": 3,
        }
        again = await client.post("/api/v1/publications", json=publish, headers=admin)
        assert again.status_code == 409
        [sent] = await _sent(service, "scoring.score.published")
        assert (sent["township"], sent["period_label"], sent["deputy_ids"]) == (
            TOWN,
            f"{YEAR}-Q1",
            ["d1", "d2"],
        )

        # d2 earns in Q2: staff see it live, deputies still see the published Q1
        marks = {"d2": Attendance.present}
        q2 = ev.logged("a2", TOWN, ActivityType.research, date(YEAR, 5, 6), marks)
        await ingest(service, [envelope(q2)])
        published = [("d1", 66.0, f"{YEAR}-Q1"), ("d2", 58.6, f"{YEAR}-Q1")]
        assert _board(await client.get(board, headers=me)) == published
        own = (await client.get(card, headers=me)).json()
        assert [own[k] for k in ranks] == [1, None, f"{YEAR}-Q1"]
        assert ("d2", 61.6, None) in _board(await client.get(board, headers=staff))
        county = await client.get(f"/api/v1/leaderboard?scope={COUNTY}&year={YEAR}", headers=me)
        assert county.status_code == 403  # a deputy reads their own township's publication
        listed = await client.get(f"/api/v1/publications?scope={TOWN}&year={YEAR}", headers=me)
        assert [p["period"] for p in listed.json()] == [f"{YEAR}-Q1"]
        audit = service.runtime.tables.audit_log
        assert await count(service.runtime.engine, audit, audit.c.action == "publish_scores") == 1
        metrics = (await client.get("/metrics")).text
        for outcome, n in (("published", 1), ("under_review", 1), ("already", 1)):
            assert f'scoring_publications_total{{outcome="{outcome}"}} {n}.0' in metrics


async def test_a_contest_counts_from_publication_and_its_resolution_is_explained(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    async with running_app(settings, relay=False) as (service, client):
        await _year(service)
        me = headers(settings, "deputy", TOWN, deputy_id="d1")
        d2 = headers(settings, "deputy", TOWN, deputy_id="d2")
        admin = headers(settings, "county_admin", COUNTY)
        staff = headers(settings, "township_staff", TOWN)
        doc = yaml.safe_load(default_document(COUNTY, YEAR))
        doc["cadence"] = {
            **doc.get("cadence", {}),
            "contest_days": 7,
            "contest_from": "publication",
        }
        made = await client.post(
            "/api/v1/rule-sets",
            json={"county": COUNTY, "document": yaml.safe_dump(doc, allow_unicode=True)},
            headers=admin,
        )
        assert made.status_code == 201, made.text
        done = await client.post(f"/api/v1/rule-sets/{COUNTY}/{YEAR}/2/activate", headers=admin)
        assert done.status_code == 200, done.text
        [activated] = await _sent(service, "scoring.rule_set.activated")
        assert {k: activated[k] for k in ("county", "year", "version", "previous_version")} == {
            "county": COUNTY,
            "year": YEAR,
            "version": 2,
            "previous_version": 1,
        }
        assert activated["entries_changed"] == done.json()["entries_changed"] == 0

        lines = {e["rule_id"]: e for e in await _ledger(client, me, "d1")}
        lead = lines["suggestion.lead"]
        inspection = lines["activity.inspection.present"]
        theirs = await client.post(
            f"/api/v1/entries/{lead['entry_id']}/contest",
            json={"reason": "不是我的"},
            headers=at(1, d2),
        )
        assert theirs.status_code == 403  # another deputy's entry
        # unpublished: the window has not started counting, whatever the recording time
        e = service.services.tables.entries
        async with service.runtime.engine.begin() as conn:
            old = service.services.now() - timedelta(days=60)
            await conn.execute(update(e).where(e.c.deputy_id == "d1").values(recorded_at=old))
        url = f"/api/v1/entries/{lead['entry_id']}"
        contested = await client.post(
            f"{url}/contest", json={"reason": "领衔人记成了附议人"}, headers=at(1, me)
        )
        assert contested.status_code == 200, contested.text
        early = await client.post(
            f"{url}/resolve", json={"outcome": "upheld", "explanation": "x"}, headers=at(2, staff)
        )
        assert early.status_code == 403  # resolutions are the county's
        blank = await client.post(
            f"{url}/resolve", json={"outcome": "upheld", "explanation": " "}, headers=at(2, admin)
        )
        assert blank.status_code == 422
        resolved = await client.post(
            f"{url}/resolve",
            json={"outcome": "rejected", "explanation": "案卷显示您为领衔人，积分无误"},
            headers=at(2, admin),
        )
        assert (resolved.status_code, resolved.json()["status"]) == (200, "provisional")
        mine = await client.get("/api/v1/deputies/d1/contests", headers=me)
        [contest] = mine.json()
        assert (contest["reason"], contest["outcome"], contest["explanation"]) == (
            "领衔人记成了附议人",
            "rejected",
            "案卷显示您为领衔人，积分无误",
        )
        [event] = await _sent(service, "scoring.contest.resolved")
        assert (event["outcome"], event["contest_reason"], event["deputy_id"]) == (
            "rejected",
            "领衔人记成了附议人",
            "d1",
        )
        assert (await client.get("/api/v1/deputies/d1/contests", headers=d2)).status_code == 403

        # contested again, upheld: the line stops counting
        again = await client.post(f"{url}/contest", json={"reason": "重复"}, headers=at(3, me))
        assert again.status_code == 200, again.text
        upheld = await client.post(
            f"{url}/resolve",
            json={"outcome": "upheld", "explanation": "重复录入，已作废"},
            headers=at(4, admin),
        )
        assert upheld.json()["status"] == "voided"
        card = await client.get(f"/api/v1/deputies/d1/score-card?year={YEAR}", headers=me)
        assert float(card.json()["total"]) == 63
        twice = await client.post(
            f"{url}/resolve",
            json={"outcome": "upheld", "explanation": "again"},
            headers=at(5, admin),
        )
        assert twice.status_code == 409

        # a contested entry approved again at 初审 closes the contest as rejected, with the note
        u = f"/api/v1/entries/{inspection['entry_id']}"
        assert (
            await client.post(f"{u}/contest", json={"reason": "时长不对"}, headers=at(1, me))
        ).status_code == 200
        approved = await client.post(
            f"{u}/first-review", json={"reason": "签到表核对无误"}, headers=at(2, staff)
        )
        assert approved.json()["status"] == "first_reviewed", approved.text
        closed = (await client.get("/api/v1/deputies/d1/contests", headers=me)).json()[0]
        assert (closed["outcome"], closed["explanation"]) == ("rejected", "签到表核对无误")
        assert len(await _sent(service, "scoring.contest.resolved")) == 3
        assert (await client.post(f"{u}/recheck", json={}, headers=at(3, admin))).status_code == 200

        # published 8 days ago with a 7-day window: closed, and the answer says why
        await _review_all(client, settings, ["d2"])
        for e2 in await _ledger(client, staff, "d1"):
            if e2["status"] == "provisional":
                u = f"/api/v1/entries/{e2['entry_id']}"
                first = await client.post(
                    f"{u}/first-review", json={}, headers=at(e2["version"], staff)
                )
                assert first.status_code == 200, first.text
                again = await client.post(
                    f"{u}/recheck", json={}, headers=at(e2["version"] + 1, admin)
                )
                assert again.status_code == 200, again.text
        pub = await client.post(
            "/api/v1/publications",
            json={"scope": COUNTY, "year": YEAR, "period": f"{YEAR}-Q1"},
            headers=admin,
        )
        assert pub.status_code == 201, pub.text
        assert {p["township"] for p in pub.json()} == {TOWN, OTHER}
        p = service.services.tables.publications
        async with service.runtime.engine.begin() as conn:
            then = service.services.now() - timedelta(days=8)
            await conn.execute(update(p).values(published_at=then))
        fresh = {x["entry_id"]: x for x in await _ledger(client, me, "d1")}[inspection["entry_id"]]
        late = await client.post(
            f"/api/v1/entries/{inspection['entry_id']}/contest",
            json={"reason": "我没有参加"},
            headers=at(fresh["version"], me),
        )
        assert late.status_code == 409, late.text
        assert f"the publication (亮分) of {YEAR}-Q1" in late.text
        metrics = (await client.get("/metrics")).text
        for outcome, n in (("contested", 3), ("refused", 1), ("rejected", 2), ("upheld", 1)):
            assert f'scoring_contests_total{{outcome="{outcome}"}} {n}.0' in metrics


async def test_assessment_rules_are_the_countys_and_a_published_assessment_is_stored(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    async with running_app(settings, relay=False) as (service, client):
        await _year(service)
        admin = headers(settings, "county_admin", COUNTY)
        staff = headers(settings, "township_staff", TOWN)
        doc = yaml.safe_load(assessment_document(COUNTY, YEAR))
        bad = json.loads(json.dumps(doc))
        bad["dimensions"]["supervision"]["max"] = 16
        refused = await client.post(
            "/api/v1/assessment-rules",
            json={"county": COUNTY, "document": yaml.safe_dump(bad, allow_unicode=True)},
            headers=admin,
        )
        assert refused.status_code == 422, refused.text
        assert [e["loc"] for e in refused.json()["errors"]] == [["body", "document", "dimensions"]]
        wrong = json.loads(json.dumps(doc))
        wrong["thresholds"]["nonsense"] = 1
        refused = await client.post(
            "/api/v1/assessment-rules",
            json={"county": COUNTY, "document": yaml.safe_dump(wrong, allow_unicode=True)},
            headers=admin,
        )
        assert ["body", "document", "thresholds", "nonsense"] in [
            e["loc"] for e in refused.json()["errors"]
        ]
        tables = service.services.tables
        assert await count(service.runtime.engine, tables.assessment_rules) == 0

        before = await client.get(f"/api/v1/townships/{TOWN}/assessment?year={YEAR}", headers=staff)
        assert before.json()["rules_version"] == 1
        lenient = json.loads(json.dumps(doc))
        lenient["thresholds"] = {**lenient["thresholds"], "excellent": 1, "qualified": 0.5}
        made = await client.post(
            "/api/v1/assessment-rules",
            json={"county": COUNTY, "document": yaml.safe_dump(lenient, allow_unicode=True)},
            headers=admin,
        )
        assert (made.status_code, made.json()["version"], made.json()["status"]) == (
            201,
            2,
            "draft",
        ), made.text
        unchanged = await client.get(
            f"/api/v1/townships/{TOWN}/assessment?year={YEAR}", headers=staff
        )
        assert unchanged.json()["rules_version"] == 1  # a draft changes nothing
        done = await client.post(
            f"/api/v1/assessment-rules/{COUNTY}/{YEAR}/2/activate", headers=admin
        )
        assert done.json()["status"] == "active", done.text
        listed = await client.get(f"/api/v1/assessment-rules?county={COUNTY}", headers=staff)
        assert [(r["version"], r["status"]) for r in listed.json()] == [
            (2, "active"),
            (1, "retired"),
        ]
        after = await client.get(f"/api/v1/townships/{TOWN}/assessment?year={YEAR}", headers=staff)
        assert (after.json()["rules_version"], after.json()["grade"]) == (2, "excellent")

        unpublished = await client.get(
            f"/api/v1/assessment-publications?scope={TOWN}&year={YEAR}", headers=staff
        )
        assert unpublished.status_code == 404
        published = await client.post(f"/api/v1/assessments/{COUNTY}/{YEAR}/publish", headers=admin)
        assert published.status_code == 201, published.text
        assert {a["township"] for a in published.json()} == {TOWN, OTHER}
        again = await client.post(f"/api/v1/assessments/{COUNTY}/{YEAR}/publish", headers=admin)
        assert again.status_code == 409
        sent = await _sent(service, "scoring.assessment.published")
        assert sorted(x["township"] for x in sent) == [TOWN, OTHER]
        mine = next(x for x in sent if x["township"] == TOWN)
        assert mine["grade"] == "excellent"
        assert mine["ranked"] == 2
        deputy_work = next(d for d in mine["dimensions"] if d["dimension"] == "deputy_work")
        assert deputy_work["evidence"]  # the activity behind the activities line
        stored = await client.get(
            f"/api/v1/assessment-publications?scope={TOWN}&year={YEAR}", headers=staff
        )
        assert stored.status_code == 200, stored.text
        [snapshot] = stored.json()["assessments"]  # staff see their own township only
        assert snapshot["township"] == TOWN
        assert snapshot["evidence"]["deputy_work"]


async def test_a_deputy_takes_their_dossier_and_grades_are_only_proposed(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    async with running_app(settings, relay=False) as (service, client):
        await _year(service)
        await ingest(
            service,
            [
                envelope(ev.replied("c1", TOWN, ("d1", "d2"), on=date(YEAR, 4, 1))),
                envelope(
                    ev.logged(
                        "r1",
                        TOWN,
                        ActivityType.reception_day,
                        date(YEAR, 4, 9),
                        {"d1": Attendance.present},
                    )
                ),
            ],
        )
        me = headers(settings, "deputy", TOWN, deputy_id="d1")
        d2 = headers(settings, "deputy", TOWN, deputy_id="d2")
        staff = headers(settings, "township_staff", TOWN)
        elsewhere = headers(settings, "township_staff", OTHER)
        admin = headers(settings, "county_admin", COUNTY)
        found = await client.get(f"/api/v1/deputies/d1/dossier?year={YEAR}", headers=me)
        assert found.status_code == 200, found.text
        d = found.json()
        assert [(a["activity_id"], a["activity_type"], a["state"]) for a in d["activities"]] == [
            ("a1", "inspection", "present")
        ]
        assert [a["activity_id"] for a in d["reception_days"]] == ["r1"]
        [suggestion] = d["suggestions"]
        assert (suggestion["case_id"], suggestion["role"], suggestion["reply_class"]) == (
            "c1",
            "lead",
            ReplyClass.A.value,
        )
        card = (await client.get(f"/api/v1/deputies/d1/score-card?year={YEAR}", headers=me)).json()
        assert float(d["total"]) == float(card["total"])
        assert sum(float(i["points"]) for i in d["items"]) + float(d["base"]) == float(d["total"])
        assert d["grade"] == card["grade"]
        assert all(p["decision"] is None for p in d["proposals"])

        docx = await client.get(f"/api/v1/deputies/d1/dossier.docx?year={YEAR}", headers=staff)
        assert docx.status_code == 200, docx.text
        assert docx.headers["content-type"].startswith("application/vnd.openxmlformats")
        word = Document(BytesIO(docx.content))
        section = word.sections[0]
        assert section.page_width is not None
        assert section.page_height is not None
        assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4
        normal = word.styles["Normal"]
        assert normal.font.name == "FangSong"
        assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "FangSong"
        cells = {c.text for t in word.tables for row in t.rows for c in row.cells}
        assert {"a1", "r1", "c1", "quality.reply_class_a.lead", str(card["total"])} <= cells
        assert len(word.tables) >= 7

        for auth in (d2, elsewhere):
            for path in ("dossier", "dossier.docx"):
                denied = await client.get(f"/api/v1/deputies/d1/{path}?year={YEAR}", headers=auth)
                assert denied.status_code == 403
        assert (
            await client.get(f"/api/v1/deputies/d1/dossier?year={YEAR}", headers=admin)
        ).status_code == 200
        audit = service.runtime.tables.audit_log
        exports = (audit.c.action == "export") & (audit.c.resource_type == "dossier")
        assert await count(service.runtime.engine, audit, exports) == 3
        metrics = (await client.get("/metrics")).text
        assert 'scoring_dossier_exports_total{format="json"} 2.0' in metrics
        assert 'scoring_dossier_exports_total{format="docx"} 1.0' in metrics

        listed = await client.get(f"/api/v1/proposals?scope={TOWN}&year={YEAR}", headers=staff)
        assert listed.status_code == 200, listed.text
        proposals = {(p["deputy_id"], p["proposal"]): p for p in listed.json()}
        d1_grade = card["grade"]
        assert {k[0] for k in proposals} == {"d1", "d2"}
        mine = [k for k in proposals if k[0] == "d1"]
        assert all(
            proposals[k]["grade"] == d1_grade and proposals[k]["decision"] is None for k in mine
        )
        proposal = mine[0][1]
        body = {
            "year": YEAR,
            "proposal": proposal,
            "decision": "declined",
            "note": "主任会议 2026-12-20",
        }
        assert (
            await client.post("/api/v1/deputies/d1/decisions", json=body, headers=staff)
        ).status_code == 403
        decided = await client.post("/api/v1/deputies/d1/decisions", json=body, headers=admin)
        assert decided.status_code == 201, decided.text
        assert (
            await client.post("/api/v1/deputies/d1/decisions", json=body, headers=admin)
        ).status_code == 409
        unproposed = next(
            c for c in ("commendation", "reelection", "talk") if (("d1", c) not in proposals)
        )
        odd = await client.post(
            "/api/v1/deputies/d1/decisions", json={**body, "proposal": unproposed}, headers=admin
        )
        assert odd.status_code == 409
        listed = await client.get(f"/api/v1/proposals?scope={TOWN}&year={YEAR}", headers=staff)
        after = {(p["deputy_id"], p["proposal"]): p for p in listed.json()}
        assert (after["d1", proposal]["decision"], after["d1", proposal]["note"]) == (
            "declined",
            "主任会议 2026-12-20",
        )
        again = (await client.get(f"/api/v1/deputies/d1/score-card?year={YEAR}", headers=me)).json()
        assert (again["grade"], again["total"]) == (card["grade"], card["total"])  # nothing acted
