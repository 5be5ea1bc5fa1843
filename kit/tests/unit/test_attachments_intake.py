"""Uploads are checked as they stream: type from the bytes, size, digest; names and dispositions."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kit.attachments import (
    Empty,
    Intake,
    Limits,
    LocalStore,
    StoreMissing,
    TooLarge,
    UnsupportedType,
    clean_filename,
    content_disposition,
)
from kit.attachments.sniff import DOCX, JPEG, KNOWN, PDF, PNG, XLSX, sniff
from kit.errors import InputError

PDF_BYTES = b"%PDF-1.7\n" + b"x" * 5000
LIMITS = Limits(10_000, frozenset(KNOWN))


def docx_bytes() -> bytes:
    """A minimal Office Open XML package as Word writes it ([Content_Types].xml first)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


async def chunks(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    """Yield the data in chunks, as a request body arrives."""
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def taken(intake: Intake) -> bytes:
    """Drain an intake's stream."""
    return b"".join([c async for c in intake.stream()])


def test_types_come_from_the_bytes() -> None:
    assert sniff(PDF_BYTES) == PDF
    assert sniff(b"\xff\xd8\xff\xe0" + b"\0" * 20) == JPEG
    assert sniff(b"\x89PNG\r\n\x1a\n" + b"\0" * 20) == PNG
    assert sniff(docx_bytes()[:512], filename="回复函.docx") == DOCX
    assert sniff(docx_bytes()[:512], filename="x.bin", declared=XLSX) == XLSX
    assert sniff(b"MZ\x90\x00 an executable") is None
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as z:
        z.writestr("evil.exe", "MZ")
    assert sniff(plain_zip.getvalue(), filename="a.docx") is None


async def test_a_file_passes_with_its_size_type_and_digest() -> None:
    intake = Intake(chunks(PDF_BYTES), LIMITS, filename="a.pdf", declared="image/png")
    assert await taken(intake) == PDF_BYTES
    assert (intake.size, intake.content_type) == (len(PDF_BYTES), PDF)
    assert intake.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()


async def test_a_small_file_is_sniffed_when_the_stream_ends() -> None:
    data = b"\x89PNG\r\n\x1a\n" + b"\0" * 10
    intake = Intake(chunks(data, 3), LIMITS)
    assert await taken(intake) == data
    assert intake.content_type == PNG


async def test_limits_stop_the_stream() -> None:
    with pytest.raises(TooLarge):
        await taken(Intake(chunks(PDF_BYTES * 3), LIMITS))
    with pytest.raises(UnsupportedType):
        await taken(Intake(chunks(b"MZ" + b"\0" * 2000), LIMITS))
    with pytest.raises(UnsupportedType):
        await taken(Intake(chunks(PDF_BYTES), Limits(10_000, frozenset({PNG}))))
    with pytest.raises(Empty):
        await taken(Intake(chunks(b""), LIMITS))


async def test_the_local_store_keeps_nothing_of_a_refused_upload(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "files")
    with pytest.raises(TooLarge):
        await store.put("t/a/1", Intake(chunks(PDF_BYTES * 3), LIMITS).stream())
    assert await store.keys() == []
    await store.put("t/a/2", Intake(chunks(PDF_BYTES), LIMITS).stream())
    assert await store.keys() == ["t/a/2"]
    assert b"".join([c async for c in store.open("t/a/2")]) == PDF_BYTES
    await store.delete("t/a/2")
    with pytest.raises(StoreMissing):
        await anext(store.open("t/a/2"))
    with pytest.raises(ValueError, match="storage key"):
        await store.delete("../outside")


def test_file_names_and_dispositions() -> None:
    assert clean_filename("C:\\扫描\\回复函 1.pdf") == "回复函 1.pdf"
    assert clean_filename('../a"b\x00.png') == "ab.png"
    with pytest.raises(InputError):
        clean_filename("  ")
    header = content_disposition('回复函 "终稿".pdf')
    assert header.startswith('attachment; filename="')
    assert "filename*=UTF-8''%E5%9B%9E%E5%A4%8D%E5%87%BD%20%22%E7%BB%88%E7%A8%BF%22.pdf" in header
    assert header.split('"')[1] == "___ ____.pdf"
