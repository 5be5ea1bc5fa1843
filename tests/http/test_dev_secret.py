"""One development secret: refused without development mode; kit-token's token works with ./dev run's services."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from kit.auth import install_auth
from kit.auth.tokens import InsecureSecretError
from kit.settings import ServiceSettings
from kit.testing import bootstrap_servers, fresh_database, unique, wait_until

pytestmark = pytest.mark.integration

KIT_TOKEN = Path(sys.executable).with_name("kit-token")
SECRET_VARIABLES = ("JWT_SECRET", "CASES_JWT_SECRET", "DEV_MODE", "CASES_DEV_MODE", "ENV_FILE")


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """Return the environment without any secret or mode, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES}
    env["ENV_FILE"] = "/nonexistent.env"
    return {**env, **extra}


def test_settings_with_the_built_in_secret_are_refused_unless_in_dev_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in SECRET_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(InsecureSecretError, match="DEV_MODE=true"):
        install_auth(FastAPI(), ServiceSettings(_env_file=None))
    monkeypatch.setenv("DEV_MODE", "true")
    install_auth(FastAPI(), ServiceSettings(_env_file=None))
    monkeypatch.delenv("DEV_MODE")
    compose_fallback = ServiceSettings(_env_file=None, jwt_secret="change-me")
    with pytest.raises(InsecureSecretError):
        install_auth(FastAPI(), compose_fallback)
    own = ServiceSettings(_env_file=None, jwt_secret="a-secret-of-our-own-32-bytes-long!")
    install_auth(FastAPI(), own)


async def test_a_service_without_dev_mode_refuses_to_start_with_the_dev_secret() -> None:
    async with fresh_database() as url:
        env = clean_env(
            CASES_DATABASE_URL=url,
            KAFKA_BOOTSTRAP_SERVERS=bootstrap_servers(),
            KAFKA_TOPIC_PREFIX=unique("dev") + ".",
            CASES_HTTP_PORT=str(free_port()),
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cases", env=env, stderr=asyncio.subprocess.PIPE
        )
        try:
            _, err = await asyncio.wait_for(process.communicate(), timeout=120)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert process.returncode != 0
    assert b"DEV_MODE=true" in err


async def test_kit_token_is_accepted_by_a_service_started_like_dev_run() -> None:
    port = free_port()
    async with fresh_database() as url:
        env = clean_env(  # what ./dev run sets: development mode, no JWT_SECRET of its own
            DEV_MODE="true",
            CASES_DATABASE_URL=url,
            KAFKA_BOOTSTRAP_SERVERS=bootstrap_servers(),
            KAFKA_TOPIC_PREFIX=unique("dev") + ".",
            CASES_HTTP_PORT=str(port),
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cases", env=env, stderr=asyncio.subprocess.DEVNULL
        )
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

                async def ready() -> bool:
                    try:
                        return (await client.get("/readyz")).status_code == 200
                    except httpx.TransportError:
                        return False

                await wait_until(ready, within=90, interval=0.3)
                minted = await asyncio.create_subprocess_exec(
                    str(KIT_TOKEN),
                    "--role",
                    "county_admin",
                    "--scope",
                    "990101",
                    env=clean_env(),
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.DEVNULL,
                )
                token, _ = await minted.communicate()
                assert minted.returncode == 0
                auth = {"Authorization": f"Bearer {token.decode().strip()}"}
                response = await client.get("/api/v1/cases", headers=auth)
                assert response.status_code == 200, response.text
        finally:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=40)
            except TimeoutError:
                process.kill()
                await process.wait()
