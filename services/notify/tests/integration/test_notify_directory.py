"""The directory: units and staff written with If-Match and read masked, imports that write every
row or none, and the case projection routing what names no unit to the lead unit, titled."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest
from notify_harness import (
    COUNTY,
    TOWNSHIP,
    add_deputy,
    envelope,
    headers,
    notify_events,
    publish,
    rows,
    running_app,
    settings_for,
)
from openpyxl import Workbook
from sqlalchemy import select

from contracts.catalog import model_for
from kit.testing import unique, wait_until
from notify.domain.directory import Office
from notify.domain.model import Channel
from notify.templates.samples import TYPICAL
from notify.testing.servers import smtp_server
from notify.wiring import Core

pytestmark = pytest.mark.integration

UNIT = {
    "name": "县交通运输局",
    "county": COUNTY,
    "contacts": {"email": "jtj-office@example.cn", "sms": "13800001234"},
}


async def _audit(core: Core) -> list[Any]:
    table = core.runtime.tables.audit_log
    async with core.runtime.engine.connect() as conn:
        return list((await conn.execute(select(table))).all())


async def test_units_and_staff_are_written_with_if_match_and_read_masked(
    database_url: str, topic_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = settings_for(database_url, topic_prefix)
    async with running_app(settings) as (service, client):
        core = Core(service.runtime, service.services)
        admin = headers(settings, "county_admin", COUNTY)
        staff = headers(settings, "township_staff", TOWNSHIP)
        url = "/api/v1/directory/units/U-jtj"

        assert (await client.put(url, json=UNIT, headers=admin)).status_code == 428
        created = await client.put(url, json=UNIT, headers={**admin, "If-Match": '"0"'})
        assert created.status_code == 200, created.text
        assert created.headers["ETag"] == '"1"'
        assert created.json()["contacts"] == {"email": "j***@example.cn", "sms": "138****1234"}
        again = await client.put(url, json=UNIT, headers={**admin, "If-Match": '"0"'})
        assert again.status_code == 409  # it exists now

        bad = {**UNIT, "contacts": {"email": "not-an-address", "sms": "12345"}}
        refused = await client.put(url, json=bad, headers={**admin, "If-Match": '"1"'})
        assert refused.status_code == 422
        locs = {tuple(e["loc"]) for e in refused.json()["errors"]}
        assert locs == {("body", "contacts", "email"), ("body", "contacts", "sms")}

        erase = {**UNIT, "name": "青山县交通运输局", "contacts": {"sms": None}}
        changed = await client.put(url, json=erase, headers={**admin, "If-Match": '"1"'})
        assert changed.status_code == 200
        assert changed.json()["contacts"] == {"email": "j***@example.cn"}
        stale = await client.put(url, json=UNIT, headers={**admin, "If-Match": '"1"'})
        assert stale.status_code == 409

        listed = (await client.get("/api/v1/directory/units", headers=staff)).json()
        assert [(u["id"], u["name"], u["version"]) for u in listed] == [
            ("U-jtj", "青山县交通运输局", 2)
        ]

        # township staff enter their own township's staff and its offices, not a county office
        mine = {
            "name": "东湖镇人大主席团",
            "township": TOWNSHIP,
            "offices": ["township_staff", "township_chair"],
            "contacts": {"email": "dh-office@example.cn"},
        }
        put = await client.put(
            "/api/v1/directory/staff/S-dh", json=mine, headers={**staff, "If-Match": '"0"'}
        )
        assert put.status_code == 200, put.text
        assert put.json()["offices"] == ["township_chair", "township_staff"]
        county_office = {**mine, "offices": ["county_staff"]}
        denied = await client.put(
            "/api/v1/directory/staff/S-dh", json=county_office, headers={**staff, "If-Match": '"1"'}
        )
        assert denied.status_code == 403
        misplaced = await client.put(
            "/api/v1/directory/staff/S-c",
            json={**county_office, "township": COUNTY},
            headers={**admin, "If-Match": '"0"'},
        )
        assert misplaced.status_code == 200
        wrong_level = await client.put(
            "/api/v1/directory/staff/S-x",
            json={**mine, "township": COUNTY},
            headers={**admin, "If-Match": '"0"'},
        )
        assert wrong_level.status_code == 422  # a township office is held for a township

        async with core.services.uow() as uow:
            directory = await core.services.store(uow).directory()
        [holder] = directory.holders(Office.township_chair, TOWNSHIP)
        assert holder.ref.id == "S-dh"
        assert holder.address(Channel.email) == "dh-office@example.cn"

        audit = await _audit(core)
        written = [a for a in audit if a.action in {"create_entry", "change_entry"}]
        assert len(written) == 4
        erased = next(a for a in written if a.action == "change_entry")
        assert erased.detail["changes"] == {  # the kit's before/after; an address only as ****
            "contacts.sms": {"before": "****", "after": None},
            "name": {"before": "县交通运输局", "after": "青山县交通运输局"},
        }
        assert erased.detail["version"] == 2
        assert "example.cn" not in str([tuple(a) for a in audit])
        assert "13800001234" not in str([tuple(a) for a in audit])
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "jtj-office@example.cn" not in logged
    assert "13800001234" not in logged


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


async def test_an_import_writes_every_row_or_none_and_reports_each_rejected_row(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    async with running_app(settings) as (service, client):
        core = Core(service.runtime, service.services)
        admin = headers(settings, "county_admin", COUNTY)
        url = "/api/v1/directory/import?kind=units"
        csv_type = {"Content-Type": "text/csv"}
        bad = _csv(
            "单位编号,单位名称,邮箱,手机",
            "traffic,县交通运输局,jt@example.cn,13800001111",
            "water,县水利局,not-mail,",
            ",县教育局,jy@example.cn,",
            "traffic,重复,dup@example.cn,",
        )
        refused = await client.post(url, content=bad, headers={**admin, **csv_type})
        assert refused.status_code == 422
        report = refused.json()["report"]
        assert report["written"] is False
        assert [(e["row"], e["field"]) for e in report["errors"]] == [
            (3, "contacts.email"),
            (4, "id"),
            (5, "id"),
        ]
        assert (await client.get("/api/v1/directory/units", headers=admin)).json() == []
        registry = core.runtime.registry
        rejected = {"kind": "handling_unit", "result": "rejected"}
        assert registry.get_sample_value("notify_directory_import_rows_total", rejected) == 3

        good = _csv(
            "单位编号,单位名称,邮箱,手机",
            "traffic,县交通运输局,jt@example.cn,13800001111",
            "water,县水利局,sl@example.cn,",
        )
        done = await client.post(url, content=good, headers={**admin, **csv_type})
        assert done.status_code == 201, done.text
        assert (done.json()["created"], done.json()["updated"]) == (2, 0)
        written = {"kind": "handling_unit", "result": "written"}
        assert registry.get_sample_value("notify_directory_import_rows_total", written) == 2

        # XLSX, sent as a form upload: the same rows again update; "-" erases an address
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(["unit_id", "name", "email", "sms"])
        sheet.append(["traffic", "县交通运输局", "jt2@example.cn", "-"])
        buffer = io.BytesIO()
        book.save(buffer)
        files = {"file": ("units.xlsx", buffer.getvalue(), "application/octet-stream")}
        xlsx = await client.post(url, files=files, headers=admin)
        assert xlsx.status_code == 201, xlsx.text
        assert (xlsx.json()["created"], xlsx.json()["updated"]) == (0, 1)
        listed = (await client.get("/api/v1/directory/units", headers=admin)).json()
        assert [u["contacts"] for u in listed] == [
            {"email": "j***@example.cn"},
            {"email": "s***@example.cn"},
        ]

        # deputies: only addresses, only for deputies on the roster, only in the caller's area
        await add_deputy(core, "dep-1")
        await add_deputy(core, "dep-2", township="330103001")
        staff = headers(settings, "township_staff", TOWNSHIP)
        rows_ = _csv(
            "代表编号,手机,邮箱",
            "dep-1,13900002222,d1@example.cn",
            "dep-2,13900003333,",
            "dep-9,,x@example.cn",
        )
        durl = "/api/v1/directory/import?kind=deputies"
        denied = await client.post(durl, content=rows_, headers={**staff, **csv_type})
        assert denied.status_code == 422
        assert [(e["row"], e["message"]) for e in denied.json()["report"]["errors"]] == [
            (3, "this deputy is outside your area"),
            (4, "not on the roster notify knows"),
        ]
        ok = await client.post(
            durl, content=_csv("代表编号,手机", "dep-1,13900002222"), headers={**staff, **csv_type}
        )
        assert ok.status_code == 201
        [dep] = (await client.get("/api/v1/directory/deputies", headers=staff)).json()
        assert dep["contacts"] == {"sms": "139****2222"}

        units_by_staff = await client.post(url, content=good, headers={**staff, **csv_type})
        assert units_by_staff.status_code == 403


def _event(event_type: str, **changes: Any) -> Any:
    model = model_for(event_type)
    assert model is not None
    return model.model_validate({**TYPICAL[event_type], **changes})


async def test_the_case_projection_routes_what_names_no_unit_and_titles_the_messages(
    database_url: str, topic_prefix: str
) -> None:
    case, topic = unique("C-"), unique("T-")
    with smtp_server() as (_sink, port):
        settings = settings_for(database_url, topic_prefix, smtp_port=port)
        async with running_app(settings, consumers=True, jobs=True) as (service, client):
            core = Core(service.runtime, service.services)
            admin = headers(settings, "county_admin", COUNTY)
            for unit_id, mail in (("U-jtj", "jtj@example.cn"), ("U-zjj", "zjj@example.cn")):
                body = {"name": unit_id, "county": COUNTY, "contacts": {"email": mail}}
                put = await client.put(
                    f"/api/v1/directory/units/{unit_id}",
                    json=body,
                    headers={**admin, "If-Match": '"0"'},
                )
                assert put.status_code == 200
            await add_deputy(core, "D-001", email="d1@example.cn")
            title = "关于东湖镇老街排水管网改造的建议"
            assigned = envelope(_event("cases.case.assigned", case_id=case, title=title,
                                       deputy_ids=["D-001"]))  # fmt: skip
            opened = envelope(_event("cases.supervision.measure_added", topic_id=topic))
            moved = envelope(_event("cases.case.due_date_recomputed", case_id=case))
            withdrawn = envelope(
                _event("cases.supervision.measure_withdrawn", topic_id=topic, measure_id="M-3")
            )
            await publish(topic_prefix, assigned, opened)
            await publish(topic_prefix, moved, withdrawn)

            async def routed() -> bool:
                return bool(await rows(core, event_id=str(moved.id))) and bool(
                    await rows(core, event_id=str(withdrawn.id))
                )

            await wait_until(routed, within=60)
            moved_rows = {
                (r.recipient_id, r.template, r.status)
                for r in await rows(core, event_id=str(moved.id))
            }
            [gone] = await rows(core, event_id=str(withdrawn.id))
            records = await notify_events(topic_prefix, expected=1, in_app=True)
            [unit_row] = [
                r for r in await rows(core, event_id=str(moved.id)) if r.recipient_id == "U-jtj"
            ]
        assert ("U-jtj", "cases.case.due_date_recomputed.unit") in {
            (a, b) for a, b, _ in moved_rows
        }
        assert ("D-001", "cases.case.due_date_recomputed.deputy") in {
            (a, b) for a, b, _ in moved_rows
        }
        assert (gone.recipient_id, gone.template) == (
            "U-jtj",
            "cases.supervision.measure_withdrawn",
        )
        assert title in unit_row.body
        assert title[:20] in unit_row.title
        in_app = [
            r["envelope"]["data"] for r in records if r["envelope"]["data"]["channel"] == "in_app"
        ]
        assert in_app
        assert all(d["recipient_id"] for d in in_app)
