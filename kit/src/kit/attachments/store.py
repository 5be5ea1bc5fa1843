"""Where attachment bytes live: the ``Store`` protocol and the local-disk store (the default)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

CHUNK = 64 * 1024
"""Bytes per chunk read back for a download."""


class StoreMissing(LookupError):  # noqa: N818 (reads as what happened)
    """The store has no object under the key."""


@dataclass(frozen=True)
class StoredObject:
    """One object held by a store: its key and when it was last written (aware, UTC)."""

    key: str
    modified: datetime


class Store(Protocol):
    """A place for attachment bytes, written from a stream and read back as one."""

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> None:
        """Write the stream under ``key``; when the stream raises, leave nothing behind."""
        ...

    def open(self, key: str) -> AsyncIterator[bytes]:
        """Yield the object's bytes in chunks; raise ``StoreMissing`` before the first if absent."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object (absent already: nothing to do)."""
        ...

    async def keys(self) -> list[str]:
        """Return every key held (operators' checks and tests)."""
        ...

    async def objects(self) -> list[StoredObject]:
        """Return every object held with its last write, by key (the orphan sweep reads it)."""
        ...


def _safe(key: str) -> str:
    """Refuse a key that could leave the store's directory."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class LocalStore:
    """Files under one directory; written to a temporary name and renamed when complete."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / _safe(key)

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> None:
        """Write the stream to ``<key>.<random>.part``, then rename; remove the part on failure."""
        path = self._path(key)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        part = path.with_name(f"{path.name}.{uuid.uuid4().hex}.part")
        handle = await asyncio.to_thread(part.open, "wb")
        try:
            async for chunk in chunks:
                await asyncio.to_thread(handle.write, chunk)
            await asyncio.to_thread(_flush, handle)
        except BaseException:
            handle.close()
            part.unlink(missing_ok=True)
            raise
        handle.close()
        await asyncio.to_thread(os.replace, part, path)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        """Yield the file's bytes."""
        path = self._path(key)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            raise StoreMissing(key) from None
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK):
                yield chunk
        finally:
            handle.close()

    async def delete(self, key: str) -> None:
        """Remove the file."""
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def keys(self) -> list[str]:
        """Return every file's key (temporary parts included: none should be left)."""
        return [o.key for o in await self.objects()]

    async def objects(self) -> list[StoredObject]:
        """Return every file (temporary parts included) with its modification time."""

        def walk() -> list[StoredObject]:
            if not self.root.exists():
                return []
            found = [
                StoredObject(
                    p.relative_to(self.root).as_posix(),
                    datetime.fromtimestamp(p.stat().st_mtime, UTC),
                )
                for p in self.root.rglob("*")
                if p.is_file()
            ]
            return sorted(found, key=lambda o: o.key)

        return await asyncio.to_thread(walk)


def _flush(handle: object) -> None:
    """Flush and fsync a file handle (the bytes are on disk before the row says so)."""
    handle.flush()  # type: ignore[attr-defined]
    os.fsync(handle.fileno())  # type: ignore[attr-defined]
