"""A real local S3-compatible server for tests: moto's server mode, run as a process."""

from __future__ import annotations

import asyncio
import sys
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from kit.attachments.s3 import S3Location, S3Store
from kit.testing import free_port, unique


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - a local http URL we built
            return True
    except OSError:
        return False


@asynccontextmanager
async def moto_server(*, within: float = 30.0) -> AsyncIterator[str]:
    """Start ``moto.server`` on a free port; yield its endpoint URL; stop it afterwards."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "moto.server",
        "-H",
        "127.0.0.1",
        "-p",
        str(port),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not await asyncio.to_thread(_answers, url + "/moto-api/"):
            if process.returncode is not None or loop.time() > deadline:
                raise RuntimeError(f"moto server did not answer on {url}")
            await asyncio.sleep(0.1)
        yield url
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


def s3_store(endpoint_url: str, *, part_bytes: int | None = None) -> S3Store:
    """Return a store on a fresh bucket (created on first use) of a test server."""
    location = S3Location(
        bucket=unique("b-").lower(),
        endpoint_url=endpoint_url,
        access_key_id="testing",
        secret_access_key="testing",  # noqa: S106 - moto accepts any key
        prefix="t/",
        create_bucket=True,
    )
    return S3Store(location) if part_bytes is None else S3Store(location, part_bytes=part_bytes)
