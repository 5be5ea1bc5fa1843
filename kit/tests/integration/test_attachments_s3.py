"""The S3 store against a real local S3-compatible server (moto's server mode, as a process)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import pytest

from kit.attachments import Intake, Limits, StoreMissing, TooLarge, UnsupportedType
from kit.attachments.sniff import KNOWN
from kit.attachments.testing import moto_server, s3_store

pytestmark = pytest.mark.integration

PART = 5 * 1024 * 1024


@pytest.fixture(scope="module")
async def endpoint() -> AsyncIterator[str]:
    """One moto server for the module's tests."""
    async with moto_server() as url:
        yield url


async def chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """Yield the data as a request body arrives."""
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def test_small_and_multipart_files_come_back_equal(endpoint: str) -> None:
    store = s3_store(endpoint, part_bytes=PART)
    limits = Limits(40 * 1024 * 1024, frozenset(KNOWN))
    small = b"%PDF-1.4\n" + bytes(range(256)) * 40
    large = b"\x89PNG\r\n\x1a\n" + hashlib.sha256(b"seed").digest() * (12 * 1024 * 1024 // 32)
    for key, data in (("a/small", small), ("a/large", large)):
        intake = Intake(chunks(data), limits)
        await store.put(key, intake.stream())
        assert intake.sha256 == hashlib.sha256(data).hexdigest()
        assert b"".join([c async for c in store.open(key)]) == data
    assert await store.keys() == ["a/large", "a/small"]
    await store.delete("a/small")
    with pytest.raises(StoreMissing):
        await anext(store.open("a/small"))


async def test_a_refused_stream_leaves_no_object_and_no_open_upload(endpoint: str) -> None:
    store = s3_store(endpoint, part_bytes=PART)
    limits = Limits(11 * 1024 * 1024, frozenset(KNOWN))
    too_big = b"%PDF-1.4\n" + b"\0" * (12 * 1024 * 1024)
    with pytest.raises(TooLarge):
        await store.put("b/big", Intake(chunks(too_big), limits).stream())
    with pytest.raises(UnsupportedType):
        await store.put("b/exe", Intake(chunks(b"MZ" + b"\0" * 4096), limits).stream())
    assert await store.keys() == []
    assert await store.pending_uploads() == 0
