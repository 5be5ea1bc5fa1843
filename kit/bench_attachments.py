"""Attachment upload cost: the kit's checked stream (sniff, size, SHA-256) against a plain write.

Run: ``uv run --frozen python kit/bench_attachments.py [--mib 64] [--rounds 3]``. Prints, for the
local store and for an S3-compatible server (moto's, started here), the seconds of a plain write of
the same chunks and of the kit's checked write, and their ratio (one run, one machine).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from kit.attachments import Intake, Limits, LocalStore
from kit.attachments.s3 import S3Store
from kit.attachments.sniff import KNOWN
from kit.attachments.testing import moto_server, s3_store

CHUNK = 64 * 1024


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    """Yield the data in request-sized chunks."""
    for i in range(0, len(data), CHUNK):
        yield data[i : i + CHUNK]


async def timed(rounds: int, run: Callable[[int], Awaitable[None]]) -> float:
    """Return the best of ``rounds`` runs, in seconds."""
    best = float("inf")
    for n in range(rounds):
        start = time.perf_counter()
        await run(n)
        best = min(best, time.perf_counter() - start)
    return best


async def compare(name: str, store: LocalStore | S3Store, data: bytes, rounds: int) -> None:
    """Print plain vs checked write seconds for one store."""
    limits = Limits(len(data) + 1, frozenset(KNOWN))

    async def plain(n: int) -> None:
        await store.put(f"plain/{n}", chunks(data))

    async def checked(n: int) -> None:
        await store.put(f"checked/{n}", Intake(chunks(data), limits).stream())

    raw = await timed(rounds, plain)
    ours = await timed(rounds, checked)
    mib = len(data) / 2**20
    print(
        f"{name:6} {mib:.0f} MiB  plain {raw:.3f} s  checked {ours:.3f} s  ratio {ours / raw:.2f}"
    )


async def main() -> None:
    """Run both comparisons."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data = b"%PDF-1.7\n" + os.urandom(args.mib * 2**20)
    with tempfile.TemporaryDirectory() as tmp:
        await compare("local", LocalStore(Path(tmp)), data, args.rounds)
    async with moto_server() as endpoint:
        await compare("s3", s3_store(endpoint), data, args.rounds)


if __name__ == "__main__":
    asyncio.run(main())
