"""Property-based fuzzing of the cases API from its OpenAPI document (schemathesis).

Whatever a county administrator sends that the schema allows, and much that it does not, the
running service answers without a server error (5xx).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from processes import bearer, service_process
from schemathesis.checks import not_a_server_error
from schemathesis.generation.case import Case

from kit.auth import Role

pytestmark = pytest.mark.integration

ADMIN = bearer(Role.county_admin, "990101")


async def test_no_request_makes_a_server_error() -> None:
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    async with service_process("cases") as running:
        schema = schemathesis.openapi.from_url(running.base + "/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
        assert len(operations) > 30
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=8,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def probe(case: Case[Any]) -> None:
                response = case.call(base_url=running.base, headers=ADMIN, timeout=30)
                statuses[response.status_code // 100 * 100] += 1
                case.validate_response(response, checks=[not_a_server_error])

            try:
                probe()
            except Exception as error:
                failures.append(f"{operation.label}: {str(error)[:600]}")
    assert not failures, "\n\n".join(failures)
    assert statuses[400] > 0  # the fuzzer reached validation and the domain's refusals
    assert sum(statuses.values()) >= 2 * len(operations), statuses
