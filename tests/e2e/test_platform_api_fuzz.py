"""One fuzz run over the platform's four APIs, as each role, from their OpenAPI documents.

Each service runs as operators run it (`python -m <service>`, real PostgreSQL and Kafka); for every
role that may call something there, schemathesis sends what the schema allows and much that it
does not, a bounded number of requests per operation. No answer may be a server error (5xx).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from processes import Running, bearer, fuzz, service_process

from kit.auth import Role
from kit.authz_matrix import ROLES

pytestmark = pytest.mark.integration

COUNTY, TOWNSHIP = "990101", "990101001"
SERVICES = ("deputies", "cases", "scoring", "notify")
# Who may call something in each service (the authorisation matrices say what exactly).
CALLERS = {
    "deputies": ("county_admin", "county_leader", "auditor", "township_staff", "deputy"),
    "cases": tuple(role for role in ROLES if role != "operator"),
    "scoring": ("county_admin", "county_leader", "auditor", "township_staff", "deputy"),
    "notify": ROLES,
}
# Requests per operation: the administrator reaches the most code; the others their share of it.
EXAMPLES = {"county_admin": 6}
OTHERS = 2


def _headers(role: Role) -> dict[str, str]:
    if role in {Role.township_staff, Role.deputy}:
        return bearer(role, TOWNSHIP, deputy_id="dep-1" if role == Role.deputy else None)
    return bearer(role, COUNTY, unit_id="traffic" if role == Role.handling_unit else None)


@pytest.fixture(scope="module")
async def platform() -> AsyncIterator[dict[str, Running]]:
    """Start the four services side by side, each on a fresh database; stop them afterwards."""
    running: dict[str, Running] = {}
    gate = asyncio.Event()

    async def serve(name: str) -> None:
        async with service_process(name, ready_within=600) as one:
            running[name] = one
            await gate.wait()

    tasks = [asyncio.create_task(serve(name)) for name in SERVICES]
    try:
        while len(running) < len(SERVICES):
            done = [t for t in tasks if t.done()]
            for task in done:
                task.result()  # a service that did not start fails the fixture here
            await asyncio.sleep(0.2)
        yield running
    finally:
        gate.set()
        await asyncio.gather(*tasks)


@pytest.mark.parametrize(
    ("service", "role"),
    [(service, role) for service in SERVICES for role in CALLERS[service]],
)
async def test_no_request_makes_a_server_error(
    platform: dict[str, Running], service: str, role: str
) -> None:
    examples = EXAMPLES.get(role, OTHERS)
    # in this thread: schemathesis and pytest both compile code (ast is not thread-safe)
    statuses = fuzz(platform[service].base, _headers(Role(role)), examples=examples)
    assert statuses[400] > 0  # the fuzzer reached validation and the domain's refusals
