"""Evidence files on manuscripts and highlights: streamed, limited, audited, on the topic by checksum."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from deputies.testing import bodies
from deputies.testing.api import headers, running_app
from deputies.testing.harness import published_all, settings_for
from kit.attachments import LocalStore, attachment_table
from kit.db import make_metadata
from kit.testing import count, drained

pytestmark = pytest.mark.integration

COUNTY = "990101"
TOWN = "990101001"
SCAN = b"%PDF-1.7\n" + hashlib.sha256(b"scan").digest() * 2000
ATTACHMENTS = attachment_table(make_metadata())


async def _manuscript(client: httpx.AsyncClient, admin: dict[str, str]) -> str:
    await client.post("/api/v1/townships", json=bodies.township(TOWN), headers=admin)
    made = await client.post(
        "/api/v1/manuscripts",
        json={"township": TOWN, "title": "稿件", "author": "通讯员", "submitted_on": "2026-05-01"},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _upload(
    client: httpx.AsyncClient, path: str, content: bytes, auth: dict[str, str], name: str
) -> Any:
    return client.post(
        path,
        params={"filename": name},
        content=content,
        headers={**auth, "Content-Type": "application/octet-stream"},
    )


async def _chunked(data: bytes) -> AsyncIterator[bytes]:
    for i in range(0, len(data), 16_384):
        yield data[i : i + 16_384]


async def test_evidence_is_stored_read_back_audited_and_announced_by_checksum(
    database_url: str, topic_prefix: str, tmp_path: Path
) -> None:
    settings = settings_for(
        database_url,
        topic_prefix,
        attachments_dir=str(tmp_path / "files"),
        attachments_max_bytes=100_000,
    )
    admin = headers(settings, "county_admin", COUNTY)
    staff = headers(settings, "township_staff", TOWN)
    async with running_app(settings) as (service, client):
        mid = await _manuscript(client, admin)
        path = f"/api/v1/manuscripts/{mid}/attachments"
        sent = await _upload(client, path, SCAN, staff, "用稿截图 第1版.pdf")
        assert sent.status_code == 201, sent.text
        item = sent.json()
        assert item["content_type"] == "application/pdf"  # from the bytes, not the header
        assert (item["size"], item["sha256"]) == (len(SCAN), hashlib.sha256(SCAN).hexdigest())

        listed = await client.get(path, headers=staff)
        assert [i["id"] for i in listed.json()] == [item["id"]]

        got = await client.get(f"{path}/{item['id']}", headers=staff)
        assert got.status_code == 200
        assert got.content == SCAN
        assert got.headers["content-type"] == "application/pdf"
        disposition = got.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="')
        assert (
            "filename*=UTF-8''%E7%94%A8%E7%A8%BF%E6%88%AA%E5%9B%BE%20%E7%AC%AC1%E7%89%88.pdf"
            in (disposition)
        )
        assert got.headers["x-content-type-options"] == "nosniff"

        too_big = await _upload(client, path, b"%PDF-1.7\n" + b"\0" * 100_000, staff, "big.pdf")
        assert too_big.status_code == 413, too_big.text
        streamed = await client.post(
            path,
            params={"filename": "big.pdf"},
            content=_chunked(b"%PDF-1.7\n" + b"\0" * 300_000),
            headers=staff,
        )
        assert streamed.status_code == 413, streamed.text  # no Content-Length: caught mid-stream
        wrong = await _upload(client, path, b"MZ\x90\x00" + b"\0" * 4000, staff, "a.pdf")
        assert wrong.status_code == 415, wrong.text
        deputy = headers(settings, "deputy", TOWN, deputy_id="d-1")
        refused = await _upload(client, path, SCAN, deputy, "a.pdf")
        assert refused.status_code == 403

        metrics = (await client.get("/metrics")).text
        assert 'kit_attachments_refused_total{reason="too_large",service="deputies"} 2.0' in metrics
        assert (
            'kit_attachments_refused_total{reason="unsupported_type",service="deputies"} 1.0'
            in (metrics)
        )

        engine = service.runtime.engine
        store = LocalStore(tmp_path / "files")
        assert await store.keys() == [f"{TOWN}/manuscript/{mid}/{item['id']}"]
        assert await count(engine, ATTACHMENTS) == 1

        removed = await client.delete(f"{path}/{item['id']}", headers=staff)
        assert removed.status_code == 204
        assert await store.keys() == []
        assert (await client.get(f"{path}/{item['id']}", headers=staff)).status_code == 404

        audit = service.runtime.tables.audit_log
        async with engine.connect() as conn:
            actions = [
                (r.action, r.detail.get("attachment_id"))
                for r in await conn.execute(
                    select(audit).where(audit.c.resource_id == mid).order_by(audit.c.id)
                )
            ]
        assert ("attach", item["id"]) in actions
        assert ("download", item["id"]) in actions
        assert ("detach", item["id"]) in actions

        await drained(engine, service.runtime.tables.outbox)
    events = {r["envelope"]["type"]: r for r in await published_all(topic_prefix)}
    added = events["deputies.evidence.added"]
    assert added["key"] == item["id"]
    assert added["envelope"]["data"] == {
        "attachment_id": item["id"],
        "owner_type": "manuscript",
        "owner_id": mid,
        "township": TOWN,
        "content_type": "application/pdf",
        "size": len(SCAN),
        "sha256": hashlib.sha256(SCAN).hexdigest(),
        "uploaded_by": f"township_staff-{TOWN}",
    }
    assert events["deputies.evidence.removed"]["envelope"]["data"]["sha256"] == item["sha256"]


async def test_evidence_on_a_highlight_follows_its_township(
    database_url: str, topic_prefix: str, tmp_path: Path
) -> None:
    settings = settings_for(database_url, topic_prefix, attachments_dir=str(tmp_path))
    admin = headers(settings, "county_admin", COUNTY)
    async with running_app(settings, relay=False) as (_, client):
        await client.post("/api/v1/townships", json=bodies.township(TOWN), headers=admin)
        made = await client.post(
            "/api/v1/highlights",
            json={"township": TOWN, "year": 2026, "title": "亮点", "summary": "一镇一特色"},
            headers=admin,
        )
        path = f"/api/v1/highlights/{made.json()['id']}/attachments"
        photo = b"\xff\xd8\xff\xe0" + b"\x10" * 3000
        other = headers(settings, "township_staff", "990101002")
        assert (await _upload(client, path, photo, other, "现场.jpg")).status_code == 403
        sent = await _upload(client, path, photo, admin, "现场.jpg")
        assert sent.status_code == 201
        assert sent.json()["content_type"] == "image/jpeg"
        leader = headers(settings, "county_leader", COUNTY)
        got = await client.get(f"{path}/{sent.json()['id']}", headers=leader)
        assert got.content == photo
        missing = await client.get("/api/v1/highlights/nope/attachments", headers=admin)
        assert missing.status_code == 404


async def test_the_orphan_sweep_deletes_old_objects_no_row_names(
    database_url: str, topic_prefix: str, tmp_path: Path
) -> None:
    settings = settings_for(database_url, topic_prefix, attachments_dir=str(tmp_path))
    admin = headers(settings, "county_admin", COUNTY)
    async with running_app(settings, relay=False) as (service, client):
        mid = await _manuscript(client, admin)
        sent = await _upload(client, f"/api/v1/manuscripts/{mid}/attachments", SCAN, admin, "a.pdf")
        assert sent.status_code == 201, sent.text
        kept = f"{TOWN}/manuscript/{mid}/{sent.json()['id']}"
        # what a process killed between the bytes and the row leaves: a file, a part; and one
        # upload still between its put and its commit (younger than the grace)
        store = LocalStore(tmp_path)
        for key in ("t/manuscript/m/lost", "t/manuscript/m/lost.ab12.part", "t/manuscript/m/new"):
            await store.put(key, _chunked(b"%PDF-1.7\n"))
        seven_hours_ago = time.time() - 7 * 3600
        for key in ("t/manuscript/m/lost", "t/manuscript/m/lost.ab12.part", kept):
            os.utime(tmp_path / key, (seven_hours_ago, seven_hours_ago))

        sweep = service.runtime.jobs["attachment_orphans"]
        assert await sweep() == 2
        assert await store.keys() == sorted([kept, "t/manuscript/m/new"])
        assert await sweep() == 0  # listed at most once an hour (ATTACHMENTS_SWEEP_MINUTES)
        swept = service.runtime.registry.get_sample_value(
            "kit_attachment_orphans_swept_total", {"service": "deputies"}
        )
        assert swept == 2
        got = await client.get(
            f"/api/v1/manuscripts/{mid}/attachments/{sent.json()['id']}", headers=admin
        )
        assert got.content == SCAN
