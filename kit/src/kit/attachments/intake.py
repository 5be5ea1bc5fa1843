"""Take an upload as a stream: type sniffed from the first bytes, size and SHA-256 counted as it comes.

The checks run while the bytes flow, so a store writing the stream stops at the first byte past the
limit (and removes what it wrote): nothing oversized or of a refused type is ever kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterable, AsyncIterator, Collection
from dataclasses import dataclass

from kit.attachments.sniff import SNIFF_BYTES, sniff


class Refused(Exception):  # noqa: N818 (a refusal, not a failure of ours)
    """The upload breaks a limit; ``reason`` is the metric label, ``status`` the HTTP answer."""

    reason = "refused"
    status = 400


class TooLarge(Refused):
    """The file is larger than allowed."""

    reason = "too_large"
    status = 413


class UnsupportedType(Refused):
    """The file's bytes are not of an allowed type."""

    reason = "unsupported_type"
    status = 415


class Empty(Refused):
    """The request carried no file."""

    reason = "empty"
    status = 422


@dataclass(frozen=True)
class Limits:
    """What an upload may be: the largest size and the allowed (sniffed) content types."""

    max_bytes: int
    types: frozenset[str]


@dataclass
class Intake:
    """An upload's chunks, checked as they pass; after the stream ends, its size, type and digest."""

    chunks: AsyncIterable[bytes]
    limits: Limits
    filename: str = ""
    declared: str = ""
    size: int = 0
    content_type: str = ""
    sha256: str = ""

    def _check_head(self, head: bytes) -> None:
        kind = sniff(head, filename=self.filename, declared=self.declared)
        if kind is None or kind not in self.limits.types:
            allowed = ", ".join(sorted(self.limits.types))
            raise UnsupportedType(f"the file is not of an allowed type ({allowed})")
        self.content_type = kind

    def _count(self, chunk: bytes, digest: hashlib._Hash) -> None:
        self.size += len(chunk)
        if self.size > self.limits.max_bytes:
            raise TooLarge(f"the file is larger than {self.limits.max_bytes} bytes")
        digest.update(chunk)

    async def stream(self) -> AsyncIterator[bytes]:
        """Yield the checked chunks; raise ``Refused`` at the first one that breaks a limit."""
        digest = hashlib.sha256()
        head = b""
        sniffed = False
        async for chunk in self.chunks:
            if not chunk:
                continue
            if not sniffed:
                head += chunk
                if len(head) < SNIFF_BYTES:
                    continue
                self._check_head(head)
                sniffed, chunk = True, head
            self._count(chunk, digest)
            yield chunk
        if not sniffed:
            if not head:
                raise Empty("send the file as the request body")
            self._check_head(head)
            self._count(head, digest)
            yield head
        self.sha256 = digest.hexdigest()


def allowed_types(types: Collection[str]) -> frozenset[str]:
    """Return the allow-list as a set of lower-case content types."""
    return frozenset(t.strip().lower() for t in types if t.strip())
