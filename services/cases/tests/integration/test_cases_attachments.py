"""Files on a case (reply letters, photos) in a real local S3-compatible store (moto's server).

The case's own rules decide who reads, attaches and removes; limits hold mid-stream with nothing
left in the bucket; the bytes come back equal; events carry the checksum, never the bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cases.settings import CasesSettings
from cases.testing import bodies
from cases.testing.harness import drained, headers, published_all, running_app, settings_for
from kit.attachments.s3 import S3Location, S3Store
from kit.attachments.testing import moto_server
from kit.testing import unique

pytestmark = pytest.mark.integration

PROVINCE = "99"
TOWN = "990101001"
PHOTO = b"\x89PNG\r\n\x1a\n" + hashlib.sha256(b"photo").digest() * 1000


def reply_letter() -> bytes:
    """A small DOCX package, as Word writes it."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document>关于代表建议的答复</w:document>")
    return out.getvalue()


@pytest.fixture
async def s3_settings(database_url: str, topic_prefix: str) -> AsyncIterator[CasesSettings]:
    """Settings of a cases instance whose attachments go to a bucket of a local moto server."""
    async with moto_server() as endpoint:
        yield settings_for(
            database_url,
            topic_prefix,
            attachments_backend="s3",
            attachments_max_bytes=200_000,
            s3_endpoint_url=endpoint,
            s3_bucket=unique("cases-").lower(),
            s3_access_key_id="testing",
            s3_secret_access_key="testing",
            s3_create_bucket=True,
        )


def bucket(settings: CasesSettings) -> S3Store:
    """The same bucket and prefix, to look inside."""
    secret = settings.s3_secret_access_key
    return S3Store(
        S3Location(
            bucket=settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=secret.get_secret_value() if secret else None,
            prefix="cases/",
        )
    )


async def _assigned_case(client: httpx.AsyncClient, root: dict[str, str]) -> dict[str, Any]:
    for unit_id, name in bodies.UNITS:
        await client.post("/api/v1/units", json=bodies.unit(unit_id, name, "99"), headers=root)
    case = (
        await client.post(
            "/api/v1/suggestions", json=bodies.suggestion("dep-1", TOWN), headers=root
        )
    ).json()
    for path, payload in (("accept", {}), ("assign", {"lead_unit_id": "traffic"})):
        answer = await client.post(
            f"/api/v1/cases/{case['case_id']}/{path}",
            json=payload,
            headers={**root, "If-Match": f'"{case["version"]}"'},
        )
        assert answer.status_code == 200, answer.text
        case = answer.json()
    return dict(case)


async def _chunked(data: bytes) -> AsyncIterator[bytes]:
    for i in range(0, len(data), 32_768):
        yield data[i : i + 32_768]


async def test_case_files_in_s3_follow_the_case_rules(
    s3_settings: CasesSettings, topic_prefix: str
) -> None:
    settings = s3_settings
    root = headers(settings, "county_admin", PROVINCE)
    unit = headers(settings, "handling_unit", "990101", unit_id="traffic")
    other_unit = headers(settings, "handling_unit", "990101", unit_id="water")
    deputy = headers(settings, "deputy", TOWN, deputy_id="dep-1")
    leader = headers(settings, "county_leader", "990101")
    letter = reply_letter()
    async with running_app(settings) as (service, client):
        case = await _assigned_case(client, root)
        path = f"/api/v1/cases/{case['case_id']}/attachments"

        def upload(content: Any, auth: dict[str, str], name: str) -> Any:
            return client.post(path, params={"filename": name}, content=content, headers=auth)

        sent = await upload(letter, unit, "答复函.docx")
        assert sent.status_code == 201, sent.text
        assert sent.json()["content_type"].endswith("wordprocessingml.document")
        photo = await upload(PHOTO, deputy, "现场照片.png")
        assert photo.status_code == 201, photo.text
        assert (await upload(PHOTO, other_unit, "x.png")).status_code == 403
        assert (await upload(PHOTO, leader, "x.png")).status_code == 403  # reads, does not add

        too_big = await upload(_chunked(b"\x89PNG\r\n\x1a\n" + b"\0" * 300_000), unit, "big.png")
        assert too_big.status_code == 413, too_big.text
        exe = await upload(b"MZ\x90\x00" + b"\0" * 5000, unit, "答复函.docx")
        assert exe.status_code == 415, exe.text

        listed = await client.get(path, headers=leader)
        assert listed.status_code == 200
        assert {i["file_name"] for i in listed.json()} == {"答复函.docx", "现场照片.png"}
        got = await client.get(f"{path}/{photo.json()['id']}", headers=unit)
        assert got.content == PHOTO
        assert got.headers["content-type"] == "image/png"
        assert (
            "filename*=UTF-8''%E7%8E%B0%E5%9C%BA%E7%85%A7%E7%89%87.png"
            in (got.headers["content-disposition"])
        )
        assert (await client.get(path, headers=other_unit)).status_code == 403

        store = bucket(settings)
        stored = await store.keys()
        assert len(stored) == 2
        assert await store.pending_uploads() == 0

        letter_id = sent.json()["id"]
        assert (await client.delete(f"{path}/{letter_id}", headers=unit)).status_code == 403
        assert (await client.delete(f"{path}/{letter_id}", headers=root)).status_code == 204
        assert await store.keys() == [f"{TOWN}/case/{case['case_id']}/{photo.json()['id']}"]
        await drained(service.runtime)
    events = [
        r["envelope"]
        for r in await published_all(topic_prefix)
        if r["envelope"]["type"].startswith("cases.attachment.")
    ]
    assert sorted((e["type"], e["data"]["attachment_id"]) for e in events) == sorted(
        [
            ("cases.attachment.added", letter_id),
            ("cases.attachment.added", photo.json()["id"]),
            ("cases.attachment.removed", letter_id),
        ]
    )
    by_id = {(e["type"], e["data"]["attachment_id"]): e["data"] for e in events}
    added = by_id["cases.attachment.added", letter_id]
    assert added["sha256"] == hashlib.sha256(letter).hexdigest()
    assert added["size"] == len(letter)
    assert "file_name" not in added
    assert by_id["cases.attachment.removed", letter_id]["sha256"] == added["sha256"]


async def test_the_orphan_sweep_empties_the_bucket_of_what_no_row_names(
    s3_settings: CasesSettings,
) -> None:
    settings = s3_settings.model_copy(update={"attachments_orphan_grace_hours": 0.0003})
    root = headers(settings, "county_admin", PROVINCE)
    async with running_app(settings) as (service, client):
        case = await _assigned_case(client, root)
        sent = await client.post(
            f"/api/v1/cases/{case['case_id']}/attachments",
            params={"filename": "答复函.docx"},
            content=reply_letter(),
            headers=root,
        )
        assert sent.status_code == 201, sent.text
        store = bucket(settings)
        await store.put(f"{TOWN}/case/{case['case_id']}/lost", _chunked(PHOTO))
        await asyncio.sleep(1.5)  # both older than the grace (about a second here)
        assert await service.runtime.jobs["attachment_orphans"]() == 1
        assert await store.keys() == [f"{TOWN}/case/{case['case_id']}/{sent.json()['id']}"]
