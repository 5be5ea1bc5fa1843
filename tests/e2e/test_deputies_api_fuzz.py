"""Property-based fuzzing of the deputies API from its OpenAPI document (schemathesis).

Whatever a county administrator sends that the schema allows, and much that it does not, the
running service answers without a server error (5xx).
"""

from __future__ import annotations

import pytest
from processes import bearer, fuzz

from kit.auth import Role

pytestmark = pytest.mark.integration


async def test_no_request_makes_a_server_error() -> None:
    statuses = await fuzz("deputies", bearer(Role.county_admin, "990101"))
    assert statuses[400] > 0  # the fuzzer reached validation and the domain's refusals
