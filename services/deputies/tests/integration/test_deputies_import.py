"""Roster import (all or nothing, or valid rows only) and the masked XLSX export."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from deputies.testing import bodies
from deputies.testing.api import headers, running_app
from deputies.testing.harness import count, settings_for
from deputies.testing.sheets import HEADER, csv_bytes, roster_rows, xlsx

pytestmark = pytest.mark.integration

TOWN = "990101001"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def test_import_is_all_or_nothing_unless_valid_rows_are_asked_for(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", "990101")
    staff = headers(settings, "township_staff", TOWN)
    async with running_app(settings, relay=False) as (service, client):
        await client.post("/api/v1/townships", json=bodies.township(TOWN), headers=admin)
        rows = roster_rows(6, seed=7)
        bad_phone = (*rows[1][:5], "1234", *rows[1][6:])
        bad_id = (*rows[3][:6], "110105194912310021", rows[3][7])
        duplicate = (*rows[4][:6], rows[0][6], rows[4][7])
        last = (*rows[5][:7], "第九代表小组")
        full_width = (
            "陈静",
            "女",
            "镇级",
            "１８",
            "１９８０－０３",
            "１３８１２３４５６７８",
            bodies.id_number(),
            None,
        )
        content = xlsx(
            [rows[0], bad_phone, rows[2], (None,) * 8, bad_id, duplicate, last, full_width],
            title="东湖镇第十八届人大代表名册",
            merges=["H9:H10"],
        )
        url = "/api/v1/roster/import"
        refused = await client.post(
            url, params={"township": TOWN}, content=content, headers={**staff, "Content-Type": XLSX}
        )
        assert refused.status_code == 422, refused.text
        report = refused.json()["report"]
        assert report["written"] is False
        assert {(e["row"], e["column"], e["field"]) for e in report["errors"]} == {
            (4, "F", "phone"),
            (7, "G", "id_number"),
            (8, "G", "id_number"),
        }
        assert report["rows_blank"] == 1
        assert any(n.get("rows") == [9, 10] for n in report["notes"])
        assert await count(service.runtime.engine, service.services.tables.deputies) == 0
        outbox = service.runtime.tables.outbox
        registered = outbox.c.event_type == "deputies.deputy.registered"
        assert await count(service.runtime.engine, outbox, registered) == 0

        partial = await client.post(
            url,
            params={"township": TOWN, "mode": "valid_rows"},
            content=content,
            headers={**staff, "Content-Type": XLSX},
        )
        assert partial.status_code == 201, partial.text
        assert partial.json()["created"] == 4
        assert len(partial.json()["errors"]) == 3
        t = service.services.tables
        assert await count(service.runtime.engine, t.deputies) == 4
        assert await count(service.runtime.engine, outbox, registered) == 4
        assert (
            await count(service.runtime.engine, t.deputies, t.deputies.c.phone == "13812345678")
            == 1
        )
        assert (
            await count(service.runtime.engine, t.deputies, t.deputies.c.deputy_group == rows[5][7])
            == 2
        )


async def test_missing_columns_are_named_and_csv_in_gb18030_is_read(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", "990101")
    async with running_app(settings, relay=False) as (service, client):
        await client.post("/api/v1/townships", json=bodies.township(TOWN), headers=admin)
        renamed = ("代表姓名", "性别", "级别", "出生日期", "联系电话", "身份证号", "所属代表小组")
        rows = [(r[0], r[1], r[2], r[4], r[5], r[6], r[7]) for r in roster_rows(3, seed=8)]
        no_term = csv_bytes(rows, header=renamed, encoding="gb18030")
        missing = await client.post(
            "/api/v1/roster/import",
            params={"township": TOWN},
            content=no_term,
            headers={**admin, "Content-Type": "text/csv"},
        )
        assert missing.status_code == 422
        assert [e["field"] for e in missing.json()["report"]["errors"]] == ["term"]
        given = await client.post(
            "/api/v1/roster/import",
            params={"township": TOWN, "term": 18},
            content=no_term,
            headers={**admin, "Content-Type": "text/csv"},
        )
        assert given.status_code == 201, given.text
        assert given.json()["columns"]["身份证号"] == "id_number"
        assert await count(service.runtime.engine, service.services.tables.deputies) == 3
        huge = await client.post(
            "/api/v1/roster/import",
            params={"township": TOWN},
            content=b"x" * (settings.import_max_bytes + 1),
            headers={**admin, "Content-Type": "text/csv"},
        )
        assert huge.status_code == 422
        assert huge.json()["errors"][0]["type"] == "too_large"


async def test_export_masks_by_role_and_is_audited(database_url: str, topic_prefix: str) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", "990101")
    leader = headers(settings, "county_leader", "990101")
    async with running_app(settings, relay=False) as (service, client):
        await client.post("/api/v1/townships", json=bodies.township(TOWN), headers=admin)
        body = bodies.deputy(TOWN)
        await client.post("/api/v1/deputies", json=body, headers=admin)
        for who, phone in ((admin, "13812345678"), (leader, "138****5678")):
            response = await client.get(
                "/api/v1/roster/export", params={"township": TOWN}, headers=who
            )
            assert response.status_code == 200
            sheet = load_workbook(io.BytesIO(response.content)).active
            assert sheet is not None
            values = [[c.value for c in row] for row in sheet.iter_rows()]
            header = values[0]
            assert set(HEADER) <= set(header)
            assert values[1][header.index("手机号码")] == phone
            assert (values[1][header.index("公民身份号码")] == body["id_number"]) is (who is admin)
        audit = service.runtime.tables.audit_log
        assert await count(service.runtime.engine, audit, audit.c.action == "export") == 2
