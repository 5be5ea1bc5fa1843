"""Run a service as operators do (`python -m <service>`) on a fresh database and topic prefix."""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.case import Case

from kit import testing as kit_testing
from kit.auth import AuthConfig, Principal, Role
from kit.db import kit_tables, make_engine, make_metadata
from kit.testing import bootstrap_servers, free_port, fresh_database, stop_process, unique

SECRET = "e2e-secret-that-is-long-enough-for-hs256"


@dataclass(frozen=True)
class Running:
    """A started service process: its base URL, the topic prefix it publishes under, its database."""

    base: str
    prefix: str
    database_url: str


async def drained(running: Running, *, within: float = 60.0) -> None:
    """Wait until the process's relay has published every outbox row (then read topics to the end)."""
    engine = make_engine(running.database_url)
    try:
        outbox = kit_tables(make_metadata()).outbox
        await kit_testing.drained(engine, outbox, within=within)
    finally:
        await engine.dispose()


def bearer(
    role: Role, scope: str, *, deputy_id: str | None = None, unit_id: str | None = None
) -> dict[str, str]:
    """Return the Authorization header of a user with one role."""
    principal = Principal(
        subject=f"e2e-{role}-{deputy_id or unit_id or scope}",
        roles=frozenset({role}),
        scope=scope,
        deputy_id=deputy_id,
        unit_id=unit_id,
    )
    return {"Authorization": f"Bearer {AuthConfig(secret=SECRET).issue(principal)}"}


@asynccontextmanager
async def service_process(
    name: str,
    *,
    prefix: str | None = None,
    ready_within: float = 60,
    extra_env: dict[str, str] | None = None,
) -> AsyncIterator[Running]:
    """Start `python -m <name>` on a fresh database; stop it with SIGTERM and check it exits.

    Services started with the same `prefix` share their topics (one platform); by default each
    process gets a prefix of its own. `extra_env` adds or overrides settings.
    """
    prefix = prefix or unique("e2e") + "."
    port = free_port()
    upper = name.upper()
    base = f"http://127.0.0.1:{port}"
    async with fresh_database() as url:
        env = {
            f"{upper}_DATABASE_URL": url,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers(),
            "KAFKA_TOPIC_PREFIX": prefix,
            f"{upper}_HTTP_PORT": str(port),
            "JWT_SECRET": SECRET,
            "RELAY_POLL_SECONDS": "0.2",
            **(extra_env or {}),
        }
        async with kit_testing.service_process(
            name, env, ready_at=base, ready_within=ready_within
        ) as process:
            yield Running(base, prefix, url)
            # uvicorn shuts down gracefully, then re-raises the signal as its exit status
            assert await stop_process(process) in (0, -signal.SIGTERM)


def fuzz(base: str, headers: dict[str, str], *, examples: int) -> Counter[int]:
    """Fuzz every operation of the service at `base` from its OpenAPI document; fail on any 5xx.

    At most `examples` generated requests per operation (derandomized: the same in every run).
    Returns how many responses of each status class (200, 400, ...) the fuzzer saw.
    """
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    schema = schemathesis.openapi.from_url(base + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,  # the same examples in every run: CI cannot be unlucky
            phases=[Phase.explicit, Phase.generate],  # no shrinking: a 5xx is reported as found
            suppress_health_check=list(HealthCheck),
        )
        def probe(case: Case[Any]) -> None:
            response = case.call(base_url=base, headers=headers, timeout=30)
            statuses[response.status_code // 100 * 100] += 1
            case.validate_response(response, checks=[not_a_server_error])

        try:
            probe()
        except Exception as error:
            failures.append(f"{operation.label}: {str(error)[:600]}")
    assert not failures, "\n\n".join(failures)
    assert sum(statuses.values()) >= len(operations), statuses
    return statuses
