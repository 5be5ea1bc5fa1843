"""What a file is, from its first bytes (magic numbers), not from what the client says it is."""

from __future__ import annotations

import struct
from typing import Final

PDF: Final = "application/pdf"
JPEG: Final = "image/jpeg"
PNG: Final = "image/png"
WEBP: Final = "image/webp"
DOCX: Final = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

KNOWN: Final = (PDF, JPEG, PNG, WEBP, DOCX, XLSX)
"""Every type the sniffer recognises (and the default allow-list)."""

SNIFF_BYTES: Final = 512
"""How many leading bytes decide the type (a ZIP's first entry name fits in them)."""

_ZIP: Final = b"PK\x03\x04"
_OOXML_FIRST_ENTRIES: Final = ("[Content_Types].xml", "_rels/", "docProps/", "word/", "xl/")
_OOXML_BY_SUFFIX: Final = {".docx": DOCX, ".xlsx": XLSX}


def _zip_first_entry(head: bytes) -> str | None:
    """Return the name of a ZIP file's first local entry, if the head holds it."""
    if len(head) < 30 or not head.startswith(_ZIP):
        return None
    (name_length,) = struct.unpack_from("<H", head, 26)
    name = head[30 : 30 + name_length]
    if len(name) < name_length:
        return None
    return name.decode("utf-8", "replace")


def _ooxml(head: bytes, filename: str, declared: str) -> str | None:
    """Return DOCX or XLSX for an Office Open XML package (the name or declared type says which)."""
    first = _zip_first_entry(head)
    if first is None or not first.startswith(_OOXML_FIRST_ENTRIES):
        return None
    lower = filename.lower()
    for suffix, kind in _OOXML_BY_SUFFIX.items():
        if lower.endswith(suffix):
            return kind
    return declared if declared in (DOCX, XLSX) else None


def sniff(head: bytes, *, filename: str = "", declared: str = "") -> str | None:
    """Return the content type the leading bytes show, or None when they match no known type."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return _ooxml(head, filename, declared.split(";", 1)[0].strip().lower())
