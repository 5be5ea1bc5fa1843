"""The API documentation works without the internet: Swagger UI renders from the service alone."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import tempfile

import httpx
import pytest
import uvicorn

from cases.bootstrap import build
from cases.testing.harness import settings_for
from kit.testing import wait_until

pytestmark = pytest.mark.integration

OFFLINE = "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"  # every host but loopback fails to resolve


def chromium() -> str:
    """Return Debian's chromium (``./dev test`` installs it); fail in CI, skip elsewhere."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: ./dev test installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (./dev test installs it)")
    return found


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_swagger_ui_renders_the_operations_with_no_network() -> None:
    browser = chromium()
    settings = settings_for("postgresql+asyncpg://npc:npc@127.0.0.1:1/unused", "docs.")
    app = build(settings).app  # the docs need no database and no broker
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_config=None)
    )
    serving = asyncio.create_task(server.serve())
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

            async def up() -> bool:
                try:
                    return (await client.get("/livez")).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_until(up, within=30)
            page = (await client.get("/docs")).text
            assert "cdn" not in page.lower()
            assert "https://" not in page
            assert "/docs/assets/swagger-ui-bundle.js" in page
            assert (await client.get("/redoc")).status_code in (401, 404)
        with tempfile.TemporaryDirectory() as profile:
            process = await asyncio.create_subprocess_exec(
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                f"--user-data-dir={profile}",
                f"--host-resolver-rules={OFFLINE}",
                "--virtual-time-budget=8000",
                "--dump-dom",
                f"http://127.0.0.1:{port}/docs",
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
            )
            dom, _ = await asyncio.wait_for(process.communicate(), timeout=120)
        html = dom.decode()
        assert 'class="swagger-ui' in html, html[:2000]
        assert "opblock" in html  # the operations are rendered
        assert "/api/v1/suggestions" in html
        assert "/api/v1/cases/{case_id}/accept" in html
    finally:
        server.should_exit = True
        await serving
